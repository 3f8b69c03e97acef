"""The migration verbs: init, new, up, down, status, history, validate, baseline, repair."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from rung.cli.core import _EXIT_CODE_HELP, _command, _Context, _run, _version, main
from rung.config import CONFIG_FILE
from rung.errors import NotUpToDate
from rung.model import format_version


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

# Values for ${{name}} in migrations; RUNG_PLACEHOLDER_<NAME> overrides each (README: Placeholders).
# [placeholders]
# schema = "app"

# Named environments, chosen with --env NAME; their settings override the ones above.
# [env.production]
# database = "postgresql://deploy@db.internal/app?password=${{DB_PASSWORD}}"
"""


@main.command(epilog=_EXIT_CODE_HELP)
@click.argument("description")
@click.option(
    "--python",
    "python_file",
    is_flag=True,
    help="Create a Python migration (up(conn)/down(conn)); rung's own layout only.",
)
@click.option(
    "--sequential",
    is_flag=True,
    help="Number it after the highest version, keeping its width (004_), instead of a UTC "
    "timestamp.",
)
@_command
def new(description: str, python_file: bool, sequential: bool) -> None:
    """Create a new migration named after DESCRIPTION, as the folder's layout names them.

    The version is the current UTC time (20261127103000_add_users.sql), or with
    --sequential the next number after the highest existing version (004_add_users.sql).
    With format = "flyway" it is the next major version (V4__add_users.sql), unless the
    folder's versions are timestamps; golang-migrate gets an .up.sql and a .down.sql,
    dbmate one file with `-- migrate:up` / `-- migrate:down`, prisma a folder with
    migration.sql, diesel a folder with up.sql and down.sql (2026-11-27-103000_add_users),
    liquibase a changelog (004-add-users.sql) with one changeset to fill in; a `pattern`
    folder gets a copy of its newest file's name with the new version and name.
    """

    def body(c: _Context) -> None:
        from rung.source.native import new_migration_files

        migrator = c.migrator()
        files = new_migration_files(
            migrator.directory,
            description,
            now=datetime.now(UTC),
            layout=migrator.layout,
            python=python_file,
            sequential=sequential,
        )
        migrator.hash(only_if_present=True)  # refuses a rung.sum a merge left broken
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        written = migrator.hash(only_if_present=True)
        also = f" and refreshed {written}" if written else ""
        paths = [str(path) for path in files]
        c.reporter.message(
            f"created {', '.join(paths)}{also}",
            path=paths[0],
            paths=paths,
            sum=str(written) if written else None,
        )

    _run(body)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "--to",
    "target",
    metavar="VERSION",
    help="Apply pending migrations up to and including VERSION; repeatable migrations wait "
    "for an `up` without --to.",
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
@click.option(
    "--dump",
    "dump_path",
    is_flag=False,
    flag_value="schema.sql",
    default=None,
    metavar="[PATH]",
    help="After migrating, write the schema dump (as `rung dump`) to PATH (schema.sql).",
)
@_command
def up(
    target: str | None,
    dry_run: bool,
    single_transaction: bool,
    allow_out_of_order: bool,
    dump_path: str | None,
) -> None:
    """Apply pending migrations in version order, each exactly once; then, in name order, the
    repeatable migrations (migrations/repeatable/) that are new or changed since they last ran.

    Each migration runs in its own transaction where the database allows (PostgreSQL,
    SQLite); on MySQL/MariaDB progress is recorded per statement, and after a failure
    `rung up` resumes at the failed statement once the file is fixed (a repeatable
    migration runs again from its first statement). `${name}` placeholders take their
    values from [placeholders] in rung.toml and RUNG_PLACEHOLDER_<NAME>; one without a
    value stops the run before anything runs.

    It first compares the schema with the fingerprint rung recorded after its last run,
    and warns on standard error, naming each object changed outside the migrations
    (`rung drift --fingerprint`); the run goes on. Afterwards it records the fingerprint
    anew (`fingerprint = false` in rung.toml turns this off).
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
        if dump_path and not dry_run:
            from rung.cli.schema import write_schema

            write_schema(c, dump_path)

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
    help=f"Exit {NotUpToDate.exit_code} when anything is pending, modified, missing or failed "
    "(a repeatable migration: pending or failed).",
)
@_command
def status(exit_code: bool) -> None:
    """Show each migration as applied, baseline, below-baseline (a baseline file runs in its
    place), pending, modified, missing or failed, and each repeatable migration as applied,
    pending (new or changed), failed or missing."""

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
    after the database was fixed by hand; stop listing repeatable migrations whose file was
    deleted (what they created stays). Each repair is recorded in the history."""

    def body(c: _Context) -> None:
        repaired = c.migrator().repair(mark=mark)
        labels = [item.label for item in repaired]
        c.reporter.message(
            f"repaired {', '.join(labels)}" if labels else "nothing to repair", repaired=labels
        )

    _run(body)
