"""`rung adopt --from TOOL`: take over a database another migration tool has been migrating.

Each module reads one tool's history table (never writing to it); `core` matches what it
says against the migrations folder and turns it into rung history events of kind `adopt`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rung.adopt import (
    alembic,
    dbmate,
    diesel,
    flyway,
    golang_migrate,
    liquibase,
    prisma,
    sequelize,
)
from rung.adopt.core import event_rows, folder_layout, plan_adoption
from rung.adopt.model import Adopted, AdoptReport, Baseline, Request, Tool
from rung.errors import UsageError
from rung.model import Version
from rung.session import events, open_session, transaction

if TYPE_CHECKING:
    from rung.api import Migrator
    from rung.dialects import Dialect
    from rung.history import History

__all__ = [
    "TOOLS",
    "adopt",
    "AdoptReport",
    "Adopted",
    "Baseline",
    "Request",
    "Tool",
    "event_rows",
    "folder_layout",
    "plan_adoption",
    "tool_named",
]

TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        flyway.TOOL,
        golang_migrate.TOOL,
        dbmate.TOOL,
        prisma.TOOL,
        diesel.TOOL,
        liquibase.TOOL,
        alembic.TOOL,
        sequelize.TOOL,
    )
}
# Flask-Migrate keeps Alembic's table and revisions: the same tool under the name people use.
TOOLS["flask-migrate"] = replace(alembic.TOOL, name="flask-migrate", title="Flask-Migrate")


def tool_named(name: str) -> Tool:
    tool = TOOLS.get(name.lower())
    if tool is None:
        raise UsageError(
            f"--from {name}: rung cannot adopt from that tool",
            hint=f"known tools: {', '.join(sorted(TOOLS))}",
        )
    return tool


def adopt(
    migrator: Migrator,
    tool: str,
    *,
    table: str | None = None,
    version: Version | None = None,
    revision: str | None = None,
    dry_run: bool = False,
) -> AdoptReport:
    """`Migrator.adopt`: plan on a read-only connection (every refusal comes before anything
    is written), then plan again under the lock and append the events in one transaction."""
    from rung.source import discover
    from rung.source.repeatable import discover_repeatables

    source, request = tool_named(tool), Request(table, version, revision)
    source.check(request)
    settings = migrator.settings
    layout, hint = folder_layout(
        source, migrator.layout if settings.format or settings.pattern else None
    )
    # Parsed now, so that a file rung cannot read stops it before anything is written.
    folder, variant = migrator.directory, migrator.dialect_name
    migrations = discover(folder, parse=True, layout=layout, dialect=variant)
    repeatables = discover_repeatables(folder, parse=True, layout=layout, dialect=variant)

    def planned(dialect: Dialect, history: History) -> AdoptReport:
        return plan_adoption(
            source,
            request,
            dialect=dialect,
            history=history,
            events=events(history),
            migrations=migrations,
            directory=folder,
            repeatables=repeatables,
            format_hint=hint,
        )

    with open_session(settings, migrator.on_event) as (dialect, history):
        report = planned(dialect, history)
    if dry_run:
        return replace(report, dry_run=True)
    with (
        open_session(settings, migrator.on_event, write=True) as (dialect, history),
        transaction(dialect, history.conn),
    ):
        report = planned(dialect, history)  # again, under the lock
        history.append(*event_rows(report, history, dialect.flavour))
    return report
