"""The `rung` command: arguments -> Settings -> Migrator -> reporter -> exit code. Nothing else."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click

from rung import __version__
from rung.config import CONFIG_FILE, load_settings, redact
from rung.errors import (
    EXIT_CODES,
    CheckFailed,
    Interrupted,
    LintFailed,
    NotUpToDate,
    RungError,
    UsageError,
)
from rung.model import Version, format_version, parse_version

_EXIT_CODE_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code:>3}  {meaning}" for code, meaning in sorted(EXIT_CODES.items())
)

_COMMON = ("database", "directory", "env", "config", "lock_timeout", "json_output", "quiet")


def _common_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command takes, before or after the command name."""
    options = [
        click.option(
            "-d",
            "--database",
            metavar="URL",
            help="Database URL (sqlite:///app.db, "
            "postgresql://user@host/db, mysql://user@host/db, any SQLAlchemy URL). "
            "Default: $RUNG_DATABASE_URL, $DATABASE_URL, then the config file.",
        ),
        click.option(
            "--dir",
            "directory",
            metavar="PATH",
            type=click.Path(file_okay=False),
            help="Migrations folder (default: ./migrations, or `directory` in the config).",
        ),
        click.option(
            "--env", metavar="NAME", help="Use the [env.NAME] settings of the config file."
        ),
        click.option(
            "--config",
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help=f"Config file (default: ./{CONFIG_FILE}, else [tool.rung] in ./pyproject.toml).",
        ),
        click.option(
            "--lock-timeout",
            type=float,
            metavar="SECONDS",
            help="How long to wait for another rung holding the migration lock (default 60).",
        ),
        click.option(
            "--json",
            "json_output",
            is_flag=True,
            default=None,
            help="Machine-readable output: a JSON document, or JSON lines for up/down.",
        ),
        click.option("-q", "--quiet", is_flag=True, default=None, help="Print only errors."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _command(function: Callable[..., Any]) -> Callable[..., Any]:
    """Merge common options given after the command with those given before it."""

    @_common_options
    @click.pass_context
    @wraps(function)
    def wrapper(ctx: click.Context, **kwargs: Any) -> Any:
        common = dict(ctx.obj or {})
        for key in _COMMON:
            value = kwargs.pop(key)
            if value is not None:
                common[key] = value
        ctx.obj = common
        return function(**kwargs)

    return wrapper


class _Context:
    """What a command needs: the settings, a reporter, and a Migrator wired to the reporter."""

    def __init__(self) -> None:
        from rung.report import reporter

        options = click.get_current_context().obj
        self.options = options
        self.json = bool(options.get("json_output"))
        self.reporter = reporter(json=self.json, quiet=bool(options.get("quiet")))

    def settings(self) -> Any:
        o = self.options
        return load_settings(
            database=o.get("database"),
            directory=o.get("directory"),
            env=o.get("env"),
            lock_timeout=o.get("lock_timeout"),
            config_file=o.get("config"),
        )

    def migrator(self) -> Any:
        from rung.api import Migrator

        return Migrator(settings=self.settings(), on_event=self._event)

    def _event(self, event: Any) -> None:
        # A reader that went away (`rung up | head`) must not stop a migration half-way.
        try:
            self.reporter.event(event)
        except BrokenPipeError:
            _silence_stdout()


def _silence_stdout() -> None:
    """Send the rest of standard output nowhere: its reader has closed the pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _run(body: Callable[[_Context], int | None]) -> None:
    """Run a command body; turn every failure into its message and documented exit code."""
    try:
        context = _Context()
    except RungError as error:
        _fallback_error(error)
        sys.exit(error.exit_code)
    try:
        code = body(context) or 0
    except RungError as error:
        context.reporter.error(error)
        code = error.exit_code
    except KeyboardInterrupt:
        context.reporter.error(Interrupted("interrupted; nothing more was run"))
        code = Interrupted.exit_code
    except BrokenPipeError:  # the reader of our output stopped reading: not an error here
        _silence_stdout()
        code = 0
    except Exception as exc:  # a bug in rung: show it, without secrets
        text = redact("".join(traceback.format_exception(exc)))
        context.reporter.error(
            RungError(
                f"unexpected {type(exc).__name__}: {redact(str(exc))}",
                details=text.rstrip().splitlines()[-12:],
                hint="this is a bug in rung; please report it with the details above",
            )
        )
        code = 1
    sys.exit(code)


def _fallback_error(error: RungError) -> None:
    click.echo(redact(f"error[{error.code}]: {error.message}"), err=True)
    if error.hint:
        click.echo(redact(f"  hint: {error.hint}"), err=True)


def _version(value: str | None) -> Version | None:
    if value is None:
        return None
    try:
        return parse_version(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a version (digits, e.g. 003 or 20261127103000)"
        ) from None


class _Rung(click.Group):
    """With --json, usage errors too come out as a JSON document."""

    def main(self, args: Any = None, **kwargs: Any) -> Any:
        argv = sys.argv[1:] if args is None else list(args)
        if "--json" not in argv:
            return super().main(args, **kwargs)
        try:
            return super().main(args, standalone_mode=False, **kwargs)
        except click.ClickException as error:
            from rung.report.json import JsonReporter

            JsonReporter().error(UsageError(error.format_message(), hint="see `rung --help`"))
            sys.exit(UsageError.exit_code)


@click.group(
    cls=_Rung, epilog=_EXIT_CODE_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@_common_options
@click.version_option(__version__, prog_name="rung")
@click.pass_context
def main(ctx: click.Context, **options: Any) -> None:
    """rung: plain, reviewable SQL and Python schema migrations, applied exactly once.

    \b
    Quick start:
      rung init                 create migrations/ and rung.toml
      rung new "add users"      create a migration file
      rung up                   apply what is pending
      rung status               see where the database stands
      rung down                 roll back the last migration
    """
    ctx.obj = {key: value for key, value in options.items() if value is not None}


@main.command(epilog=_EXIT_CODE_HELP)
@_command
def init() -> None:
    """Create the migrations folder and a commented rung.toml (SQLite app.db by default)."""

    def body(c: _Context) -> None:
        config = Path(c.options.get("config") or CONFIG_FILE)
        directory = Path(c.options.get("directory") or config.parent / "migrations")
        created = []
        if not directory.exists():
            directory.mkdir(parents=True)
            created.append(f"{directory}/")
        if not config.exists():
            config.parent.mkdir(parents=True, exist_ok=True)
            # The config names its folder relative to itself, as rung reads it.
            relative = os.path.relpath(directory.resolve(), config.parent.resolve())
            config.write_text(
                _CONFIG_TEMPLATE.format(directory=Path(relative).as_posix()), encoding="utf-8"
            )
            created.append(str(config))
        c.reporter.message(
            f"created {', '.join(created)}" if created else "nothing to do: already initialised",
            created=created,
        )

    _run(body)


_CONFIG_TEMPLATE = """\
# rung configuration. Flags beat environment variables, which beat this file.

# Database URL. RUNG_DATABASE_URL or DATABASE_URL, when set, take precedence.
# Examples: sqlite:///app.db  postgresql://user@localhost/app  mysql://user@localhost/app
# ${{VARIABLE}} is replaced by that environment variable, so no password need live here.
database = "sqlite:///app.db"

# Folder of migration files, relative to this file.
directory = "{directory}"

# Name of the history table rung keeps in your database.
# history_table = "rung_history"

# Seconds to wait for another rung holding the migration lock.
# lock_timeout = 60

# Named environments, chosen with --env NAME; their settings override the ones above.
# [env.production]
# database = "postgresql://deploy@db.internal/app?password=${{DB_PASSWORD}}"
"""


@main.command(epilog=_EXIT_CODE_HELP)
@click.argument("description")
@click.option(
    "--python", "python_file", is_flag=True, help="Create a Python migration (up(conn)/down(conn))."
)
@click.option(
    "--sequential",
    is_flag=True,
    help="Number it NNN_ after the highest version instead of a UTC timestamp.",
)
@_command
def new(description: str, python_file: bool, sequential: bool) -> None:
    """Create a new migration file named after DESCRIPTION.

    The version is the current UTC time (20261127103000_add_users.sql), or with
    --sequential the next number after the highest existing version (004_add_users.sql).
    """

    def body(c: _Context) -> None:
        from rung.source.native import new_migration_path

        migrator = c.migrator()
        directory = migrator.directory
        path = new_migration_path(
            directory, description, python=python_file, sequential=sequential, now=datetime.now(UTC)
        )
        migrator.hash(only_if_present=True)  # refuses a rung.sum a merge left broken
        slug = path.stem.split("_", 1)[1]
        path.write_text(
            (_PYTHON_TEMPLATE if python_file else _SQL_TEMPLATE).format(
                description=description.replace('"', "'"), slug=slug
            ),
            encoding="utf-8",
        )
        written = migrator.hash(only_if_present=True)
        also = f" and refreshed {written}" if written else ""
        c.reporter.message(
            f"created {path}{also}", path=str(path), sum=str(written) if written else None
        )

    _run(body)


_SQL_TEMPLATE = """\
-- rung:up


-- rung:down

"""

_PYTHON_TEMPLATE = '''\
"""{description}"""

from sqlalchemy import text


def up(conn):
    """Runs inside the migration's transaction; conn is a SQLAlchemy Connection."""
    conn.execute(text("SELECT 1"))


def down(conn):
    conn.execute(text("SELECT 1"))
'''


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "--to",
    "target",
    metavar="VERSION",
    help="Apply pending migrations up to and including VERSION.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the SQL that would run; execute and record nothing."
)
@click.option(
    "--single-transaction",
    is_flag=True,
    help="Apply the whole batch atomically (databases with transactional DDL only).",
)
@click.option(
    "--allow-out-of-order",
    is_flag=True,
    help="Apply pending migrations older than the newest applied one instead of refusing.",
)
@_command
def up(
    target: str | None, dry_run: bool, single_transaction: bool, allow_out_of_order: bool
) -> None:
    """Apply pending migrations in version order, each exactly once.

    Each migration runs in its own transaction where the database allows (PostgreSQL,
    SQLite); on MySQL/MariaDB progress is recorded per statement, and after a failure
    `rung up` resumes at the failed statement once the file is fixed.
    """
    version = _version(target)

    def body(c: _Context) -> None:
        result = c.migrator().up(
            target=version,
            dry_run=dry_run,
            single_transaction=single_transaction,
            allow_out_of_order=allow_out_of_order,
        )
        c.reporter.run_result(result)

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    metavar="N",
    help="Roll back the last N applied migrations.",
)
@click.option("--to", "target", metavar="VERSION", help="Roll back every migration above VERSION.")
@click.option("--all", "everything", is_flag=True, help="Roll back every applied migration.")
@click.option(
    "--dry-run", is_flag=True, help="Print the SQL that would run; execute and record nothing."
)
@_command
def down(steps: int | None, target: str | None, everything: bool, dry_run: bool) -> None:
    """Roll back the most recently applied migration (by applied order, not version).

    A migration without a down stops the rollback before anything runs.
    """
    if sum(bool(x) for x in (steps, target, everything)) > 1:
        raise click.UsageError("use only one of --steps, --to and --all")
    version = _version(target)

    def body(c: _Context) -> None:
        result = c.migrator().down(
            steps=steps, target=version, everything=everything, dry_run=dry_run
        )
        c.reporter.run_result(result)

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "--exit-code",
    is_flag=True,
    help=f"Exit {NotUpToDate.exit_code} when anything is pending, modified, missing or failed.",
)
@_command
def status(exit_code: bool) -> None:
    """Show each migration as applied, pending, modified, missing or failed."""

    def body(c: _Context) -> int:
        report = c.migrator().status()
        c.reporter.status(report)
        return NotUpToDate.exit_code if exit_code and not report.up_to_date else 0

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "--limit", type=click.IntRange(min=1), metavar="N", help="Show only the last N events."
)
@_command
def history(limit: int | None) -> None:
    """Print the audit trail: every up, down, baseline and repair ever run."""

    def body(c: _Context) -> None:
        events = c.migrator().history()
        c.reporter.history(events[-limit:] if limit else events)

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@_command
def validate() -> None:
    """Check the migration files (names, duplicates, syntax of markers) and, when a
    database is configured, that applied migrations still match their files. Changes nothing."""

    def body(c: _Context) -> int:
        from rung.errors import InvalidMigrations

        report = c.migrator().validate()
        c.reporter.validation(report)
        return 0 if report.ok else InvalidMigrations.exit_code

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.argument("version")
@_command
def baseline(version: str) -> None:
    """Mark an existing database as being at VERSION without running anything.

    Migrations up to VERSION count as applied; later ones are pending.
    """
    parsed = _version(version)

    def body(c: _Context) -> None:
        assert parsed is not None
        c.migrator().baseline(parsed)
        c.reporter.message(
            f"baseline recorded at version {format_version(parsed)}", version=format_version(parsed)
        )

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "--as",
    "mark",
    type=click.Choice(["applied", "pending"]),
    help="For migrations that stopped half-way: whether the database now holds "
    "their whole work (applied) or none of it (pending).",
)
@_command
def repair(mark: str | None) -> None:
    """Accept the current checksums of edited migration files, and clear recorded failures
    after the database was fixed by hand. Each repair is recorded in the history."""

    def body(c: _Context) -> None:
        repaired = c.migrator().repair(mark=mark)
        labels = [item.label for item in repaired]
        c.reporter.message(
            f"repaired {', '.join(labels)}" if labels else "nothing to repair", repaired=labels
        )

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dialect",
    type=click.Choice(["sqlite", "postgresql", "mysql", "mariadb"]),
    help="SQL dialect to lint as (default: that of the configured database URL).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    help="Output: text (default), one JSON document, or SARIF 2.1.0 for code review tools.",
)
@_command
def lint(files: tuple[Path, ...], dialect: str | None, output_format: str | None) -> None:
    """Check migrations for dangerous or non-portable SQL, without connecting to a database.

    Lints FILES (any .sql files), or every migration in the migrations folder. Exits
    11 when a finding has error severity. `-- rung:allow RULE-ID reason` above a
    statement silences a rule there; rules are listed in docs/lint.md.
    """

    def body(c: _Context) -> int:
        from rung.lint import RULES, dialect_name, load_files
        from rung.lint import lint as run_lint
        from rung.report.lint import show

        settings = c.settings()
        name = dialect_name(dialect, settings)
        if files:
            migrations = load_files(files)
        else:
            migrations = [m for m in c.migrator().migrations(parse=True) if m.kind == "sql"]
        findings = run_lint(migrations, dialect=name, settings=settings.lint)
        show(
            findings,
            output_format=output_format or ("json" if c.json else "text"),
            rules=[r for r in RULES.values() if name in r.dialects],
            migrations=len(migrations),
            dialect=name,
            quiet=bool(c.options.get("quiet")),
        )
        return LintFailed.exit_code if any(f.severity == "error" for f in findings) else 0

    _run(body)


@main.command("hash", epilog=_EXIT_CODE_HELP)
@_command
def hash_() -> None:
    """Write or refresh rung.sum, the integrity file of the migrations folder.

    It holds a hash per migration file and one over them all, so two branches that each
    add a migration conflict in git. `rung up` and `rung check` fail while it does not
    match the folder; run this after editing a migration no database has applied yet.
    """

    def body(c: _Context) -> None:
        path = c.migrator().hash()
        c.reporter.message(f"wrote {path}", path=str(path))

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.argument("version")
@_command
def rebase(version: str) -> None:
    """Renumber the not-yet-applied migration VERSION to a new UTC timestamp after the
    newest version, keeping its name, and rewrite rung.sum.

    For the second branch of two that each added a migration. Refused when VERSION is
    applied in the configured database, if one is configured.
    """
    parsed = _version(version)

    def body(c: _Context) -> None:
        assert parsed is not None
        result = c.migrator().rebase(parsed, now=datetime.now(UTC))
        names = ", ".join(f"{old.name} -> {new.name}" for old, new in result.renamed)
        c.reporter.message(
            f"renumbered {result.old_version} to {result.new_version}: {names}; "
            f"wrote {result.sum_file}",
            old_version=result.old_version,
            new_version=result.new_version,
            renamed=[[str(old), str(new)] for old, new in result.renamed],
            sum=str(result.sum_file),
        )

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "--allow-out-of-order",
    is_flag=True,
    help="Report pending migrations older than the newest applied one as warnings, not errors.",
)
@click.option(
    "--dialect",
    type=click.Choice(["sqlite", "postgresql", "mysql", "mariadb"]),
    help="SQL dialect to lint as (default: that of the configured database URL).",
)
@_command
def check(allow_out_of_order: bool, dialect: str | None) -> None:
    """The CI gate: exit 12 on anything that should block a merge.

    Checks the tree as it is now: invalid or duplicate migrations, lint errors, a stale
    rung.sum, and, when a database is configured (--database), applied migrations that
    were edited or removed and pending ones older than the newest applied (out of order).
    Lint warnings are reported but do not fail the check.
    """

    def body(c: _Context) -> int:
        from rung.report.check import show

        report = c.migrator().check(allow_out_of_order=allow_out_of_order, dialect=dialect)
        show(report, as_json=c.json, quiet=bool(c.options.get("quiet")))
        return 0 if report.ok else CheckFailed.exit_code

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "-o",
    "--output",
    metavar="PATH",
    default="schema.sql",
    show_default=True,
    help="File to write the dump to, or - for standard output.",
)
@_command
def dump(output: str) -> None:
    """Write the database's schema as deterministic SQL, for code review.

    Tables, columns, keys, constraints, indexes, views, sequences and enums, sorted, one
    object per block; rung's history table is left out. The same schema always gives the
    same bytes.
    """

    def body(c: _Context) -> None:
        from rung.report.schema import write_dump
        from rung.schema.render import render

        schema = c.migrator().schema()
        written = write_dump(render(schema), output)
        if written is not None:
            c.reporter.message(
                f"wrote {written}: {len(schema.tables)} tables, {len(schema.views)} views",
                path=written,
            )

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@_command
def diff(source: str, target: str) -> None:
    """Compare the schemas of two databases, FROM and TO (database URLs), and list what
    differs: `+ column users.age integer NULL`, `~ index ix_x: columns (a) -> (a, b)`.

    Dump files as FROM or TO are not supported yet. Exits 0 whether or not they differ;
    with --json, `equal` says whether they do.
    """

    def body(c: _Context) -> None:
        from dataclasses import replace

        from rung.api import Migrator
        from rung.report.schema import show_diff
        from rung.schema.diff import diff as schema_diff

        settings = c.settings()
        old, new = (
            Migrator(settings=replace(settings, database=url)).schema() for url in (source, target)
        )
        show_diff(schema_diff(old, new), as_json=c.json, quiet=bool(c.options.get("quiet")))

    _run(body)


_SHADOW_HELP = (
    "Empty database to build the expected schema in (default: a temporary database created "
    "and dropped on the same server; for SQLite a file beside the database)."
)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option("--shadow-url", metavar="URL", help=_SHADOW_HELP)
@_command
def drift(shadow_url: str | None) -> None:
    """Was the database changed by hand? Replay the migrations its history says are
    applied, in applied order, on a scratch database, and compare the two schemas.

    Lists each difference (`+` added by hand, `-` removed, `~` changed); exits 13 when
    there is any.
    """

    def body(c: _Context) -> int:
        from rung.drift import drift_error
        from rung.report.drift import show_drift

        report = c.migrator().drift(shadow_url=shadow_url)
        show_drift(report, as_json=c.json, quiet=bool(c.options.get("quiet")))
        if not report.drifted:
            return 0
        if not c.json:
            c.reporter.error(drift_error(report))
        return drift_error(report).exit_code

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "--last",
    type=click.IntRange(min=1),
    metavar="N",
    help="Test only the newest N migrations (the older ones are applied first, untested).",
)
@click.option("--shadow-url", metavar="URL", help=_SHADOW_HELP.replace("the expected schema", "up"))
@_command
def verify(last: int | None, shadow_url: str | None) -> None:
    """Test every migration on a scratch database before production (the stairway):
    up, down (the schema must be exactly as before), up again (as after the first up).

    Stops at the first migration that fails and shows the difference; exits 14 then.
    Migrations without a down are reported as not reversible, which is not a failure.
    """

    def body(c: _Context) -> int:
        from rung.report.drift import show_verify
        from rung.verify import verify_error

        report = c.migrator().verify(last=last, shadow_url=shadow_url)
        show_verify(report, as_json=c.json, quiet=bool(c.options.get("quiet")))
        if report.ok:
            return 0
        if not c.json:
            c.reporter.error(verify_error(report))
        return verify_error(report).exit_code

    _run(body)


if __name__ == "__main__":  # pragma: no cover
    main()
