"""Commands that read the schema itself: dump, diff, drift, verify."""

from __future__ import annotations

import click

from rung.cli.core import _EXIT_CODE_HELP, _command, _Context, _run, main


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

    _run(lambda c: write_schema(c, output))


def write_schema(c: _Context, output: str) -> None:
    """Introspect the configured database and write its dump to `output` ("-": stdout)."""
    from rung.report.schema import write_dump
    from rung.schema.render import render

    schema = c.migrator().schema()
    written = write_dump(render(schema), output)
    if written is not None:
        c.reporter.message(
            f"wrote {written}: {len(schema.tables)} tables, {len(schema.views)} views",
            path=written,
        )


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
