"""Alembic (and Flask-Migrate, which is Alembic): alembic_version(version_num) holds the
revision the database is at, one row per head. Its Python migrations cannot run in rung,
so adopting notes that revision and rung's own migrations continue from there.
"""

from __future__ import annotations

from collections.abc import Sequence

from rung.adopt.model import Reading, Request, Tool
from rung.adopt.table import OtherTable
from rung.model import Migration


def read(table: OtherTable, request: Request, migrations: Sequence[Migration]) -> Reading:
    heads = sorted(str(row[0]) for row in table.rows("version_num"))
    chosen = request.revision
    if chosen is not None and chosen not in heads:
        raise table.refused(
            f"--revision {chosen}: {table.label} holds "
            + (", ".join(heads) if heads else "no revision (the database is at base)"),
            hint="pass the revision `alembic current` prints for this database",
        )
    if chosen is None and len(heads) > 1:
        raise table.refused(
            f"{table.label} holds {len(heads)} heads: the Alembic history is branched",
            details=heads,
            hint="merge them (`alembic merge heads`, then `alembic upgrade head`) before "
            "adopting, or pass --revision naming the head to record",
        )
    if not heads:
        return Reading(position="base (no revision applied)")
    position = f"revision {chosen or heads[0]}"
    if len(heads) > 1:
        position += f" (heads {', '.join(heads)})"
    return Reading(position=position)


TOOL = Tool(
    "alembic",
    "Alembic",
    "alembic_version",
    read,
    table_setting="version_table in env.py",
    options=("version", "revision"),
)
