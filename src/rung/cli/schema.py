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

    Tables, columns, keys, constraints, indexes, views, sequences, enums, triggers,
    functions and procedures, sorted, one object per block; rung's history table is left
    out. The same schema always gives the same bytes, and the file re-executes on an empty
    database of its kind (and `rung diff` reads it).
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
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 15 when the schemas differ (0 when they are the same), as `git diff "
    "--exit-code` does; without it, rung diff exits 0 either way.",
)
@click.option(
    "--shadow-url",
    metavar="URL",
    help="Empty database to load a PostgreSQL or MySQL/MariaDB dump file into (default: a "
    "temporary database created and dropped on the server of the other side's URL, else "
    "of --database). SQLite dumps load in memory.",
)
@_command
def diff(source: str, target: str, exit_code: bool, shadow_url: str | None) -> None:
    """Compare two schemas, FROM and TO, and list what turns FROM into TO:
    `+ column users.age integer NULL`, `~ index ix_x: columns (a) -> (a, b)`,
    `~ function f(integer): body changed`.

    Each of FROM and TO is a database URL or a dump file written by `rung dump` (- reads
    one from standard input: `git show main:schema.sql | rung diff - URL`). A dump is
    loaded into a scratch database of its own kind and read back, so it compares equal to
    the database it was taken from; it can only be compared with a database (or a dump) of
    that kind. Nothing else is written.

    Exits 0 whether or not they differ, unless --exit-code is given; with --json, `equal`
    says whether they do.
    """

    def body(c: _Context) -> int:
        from rung.errors import SchemaDiffers
        from rung.report.schema import show_diff
        from rung.schema.diff import diff as schema_diff
        from rung.schema.load import read_sides, schemas

        old, new = schemas(c.settings(), read_sides(source, target), shadow_url=shadow_url)
        changes = schema_diff(old, new)
        show_diff(changes, as_json=c.json, quiet=bool(c.options.get("quiet")))
        return SchemaDiffers.exit_code if exit_code and changes else 0

    _run(body)


_SHADOW_HELP = (
    "Empty database to build the expected schema in (default: a temporary database created "
    "and dropped on the same server; for SQLite a file beside the database)."
)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option("--shadow-url", metavar="URL", help=_SHADOW_HELP)
@click.option(
    "--fingerprint",
    is_flag=True,
    help="Compare with the schema fingerprint rung recorded after its last run instead: one "
    "catalog query, no scratch database; names each object changed since.",
)
@click.option(
    "--accept",
    is_flag=True,
    help="Record the schema as it is now as its fingerprint (implies --fingerprint), so that "
    "the changes it has are no longer reported.",
)
@_command
def drift(shadow_url: str | None, fingerprint: bool, accept: bool) -> None:
    """Was the database changed by hand? Replay the migrations its history says are
    applied, in applied order, on a scratch database, and compare the two schemas.

    Lists each difference (`+` added by hand, `-` removed, `~` changed, a changed body
    followed by its changed lines as in `rung diff`); exits 13 when there is any. With
    --fingerprint, compares with the fingerprint recorded after rung's last `up` or `down`
    instead, naming each table, column, index, constraint, view,
    trigger, function... changed since; with none recorded yet, says so and exits 0.
    """
    if shadow_url and (fingerprint or accept):
        raise click.UsageError("--shadow-url builds a scratch database; --fingerprint needs none")

    def body(c: _Context) -> int:
        from rung.drift import drift_error
        from rung.report.drift import show_drift

        if accept:
            changes = c.migrator().accept_schema()
            accepted = f"; {len(changes)} change(s) accepted" if changes else ""
            listed = "" if c.json else "".join(f"\n  {change.text}" for change in changes)
            c.reporter.message(
                f"recorded the schema's fingerprint{accepted}{listed}",
                changes=[change.text for change in changes],
            )
            return 0
        report = c.migrator().drift(shadow_url=shadow_url, fingerprint=fingerprint)
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
    Each up also runs a second time, in a transaction rolled back (or, on MySQL/MariaDB
    and for -- rung:no-transaction, on a copy of the scratch database): one that fails is
    shown as not idempotent, information and not a failure.
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
