"""`rung adopt --from TOOL`: take over a database another migration tool has been migrating.

Each module reads one tool's history table (never writing to it); `core` matches what it
says against the migrations folder and turns it into rung history events of kind `adopt`.
"""

from __future__ import annotations

from dataclasses import replace

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

__all__ = [
    "TOOLS",
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
