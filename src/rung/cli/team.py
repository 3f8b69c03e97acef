"""Commands for working in a team: lint, hash, rebase, check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from rung.cli.core import _EXIT_CODE_HELP, _command, _Context, _run, main
from rung.errors import CheckFailed, LintFailed

# `rung lint` and `rung check` lint without connecting: the dialect is a word, not a URL.
DIALECT_OPTION = click.option(
    "--dialect",
    type=click.Choice(["sqlite", "postgresql", "mysql", "mariadb"]),
    help="SQL dialect to lint as (default: that of the configured database URL).",
)


@main.command(epilog=_EXIT_CODE_HELP)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DIALECT_OPTION
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    help="Output: text (default), one JSON document, or SARIF 2.1.0 for code review tools.",
)
@_command
def lint(files: tuple[Path, ...], dialect: str | None, output_format: str | None) -> None:
    """Check migrations for dangerous or non-portable SQL, without connecting to a database.

    Lints FILES (any .sql files; those of the migrations folder are read through its
    configured format, repeatable ones as repeatables), or every migration and repeatable
    migration in the migrations folder. Exits 11 when a finding has error severity.
    `-- rung:allow RULE-ID reason` above a statement silences a rule there; rules are
    listed in docs/lint.md.
    """

    def body(c: _Context) -> int:
        from rung.lint import RULES, dialect_name, load_files, with_placeholders
        from rung.lint import lint as run_lint
        from rung.report.lint import show

        settings = c.settings()
        name = dialect_name(dialect, settings)
        if files:
            migrations = load_files(files, settings)
        else:
            migrator = c.migrator()  # repeatables run as migrations do, so are linted alike
            found = [*migrator.migrations(parse=True), *migrator.repeatables(parse=True)]
            migrations = [m for m in found if m.kind == "sql"]
        migrations = with_placeholders(migrations, dialect=name, settings=settings)
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
@click.argument("migration", metavar="VERSION|FILE")
@_command
def rebase(migration: str) -> None:
    """Renumber a not-yet-applied migration, given by VERSION or by one of its files
    (migrations/20261101000000_x.sql), to a version after the newest, keeping its name,
    and rewrite rung.sum.

    For the second branch of two that each added a migration; naming the file tells
    apart two migrations a merge left with one version. Files are renamed as the folder's
    layout names them: paired .up/.down files, Flyway's V and its U, and per-dialect
    variants together; a Prisma or diesel migration's folder is renamed (name the folder,
    a file in it, or its version, with diesel's dashes or without). The new version
    follows the folder: a UTC timestamp when its versions are timestamps, else the next
    number (004_, V4__). Refused when the migration is applied in the configured
    database, if one is configured.
    """

    def body(c: _Context) -> None:
        result = c.migrator().rebase(migration, now=datetime.now(UTC))
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
@DIALECT_OPTION
@click.option(
    "--dump",
    "dump_path",
    is_flag=False,
    flag_value="schema.sql",
    default=None,
    metavar="[PATH]",
    help="Also fail when the committed dump at PATH (schema.sql) differs from the schema the "
    "migrations build on a scratch database beside the configured one.",
)
@_command
def check(allow_out_of_order: bool, dialect: str | None, dump_path: str | None) -> None:
    """The CI gate: exit 12 on anything that should block a merge.

    Checks the tree as it is now: invalid or duplicate migrations, lint errors, a stale
    rung.sum, and, when a database is configured (--database), applied migrations that
    were edited or removed and pending ones older than the newest applied (out of order).
    Lint warnings, and versioned migrations that use what only a repeatable migration
    creates, are reported as warnings and do not fail the check.
    """

    def body(c: _Context) -> int:
        from rung.report.check import show

        report = c.migrator().check(
            allow_out_of_order=allow_out_of_order,
            dialect=dialect,
            dump=Path(dump_path) if dump_path else None,
        )
        show(report, as_json=c.json, quiet=bool(c.options.get("quiet")))
        return 0 if report.ok else CheckFailed.exit_code

    _run(body)
