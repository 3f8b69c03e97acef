"""`rung adopt --from TOOL`: take over a database another migration tool has been migrating."""

from __future__ import annotations

import click

from rung.cli.core import _EXIT_CODE_HELP, _command, _Context, _run, _version, main

# rung.adopt.TOOLS, spelled out so that starting `rung` does not import the readers.
TOOLS = (
    "alembic",
    "dbmate",
    "diesel",
    "flask-migrate",
    "flyway",
    "golang-migrate",
    "liquibase",
    "prisma",
    "sequelize",
)


@main.command(epilog=_EXIT_CODE_HELP)
@click.option(
    "--from",
    "tool",
    required=True,
    type=click.Choice(TOOLS, case_sensitive=False),
    help="The tool that has been migrating this database.",
)
@click.option(
    "--table",
    metavar="[SCHEMA.]NAME",
    help="The tool's history table, when not its default (flyway_schema_history, "
    "schema_migrations, _prisma_migrations, __diesel_schema_migrations, DATABASECHANGELOG, "
    "alembic_version, SequelizeMeta).",
)
@click.option(
    "--version",
    "version",
    metavar="VERSION",
    help="alembic, flask-migrate, sequelize: count rung's migrations up to VERSION as "
    "applied (a baseline); without it, all of them are pending.",
)
@click.option(
    "--revision",
    metavar="REV",
    help="alembic, flask-migrate: the revision the database must be at; required when "
    "alembic_version holds several heads.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be recorded; write nothing.")
@_command
def adopt(
    tool: str, table: str | None, version: str | None, revision: str | None, dry_run: bool
) -> None:
    """Take over a database from another migration tool without re-running anything.

    Reads the tool's history table (never changing it) and records each migration it
    applied in rung's history as an `adopt` event, with the file's checksum and the
    original applied time, under the migration lock and in one transaction. Refused,
    with nothing written, when rung's history already records applied migrations, when
    the tool's table is missing, or when it shows a failed migration.

    The folders of Flyway, golang-migrate, dbmate, Prisma, diesel and Liquibase are read
    with that tool's layout unless `format` is configured. Alembic and Sequelize
    migrations cannot run in rung: their position is noted, and rung's own migrations
    continue from there. See docs/adopting.md.
    """
    parsed = _version(version)

    def body(c: _Context) -> None:
        from rung.report.adopt import show

        report = c.migrator().adopt(
            tool, table=table, version=parsed, revision=revision, dry_run=dry_run
        )
        show(report, as_json=c.json, quiet=bool(c.options.get("quiet")))

    _run(body)
