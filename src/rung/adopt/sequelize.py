"""Sequelize's SequelizeMeta(name): the file name of each applied migration. Its JavaScript
migrations cannot run in rung, so adopting notes the last one applied (Sequelize applies
them in file-name order) and rung's own migrations continue from there.
"""

from __future__ import annotations

from collections.abc import Sequence

from rung.adopt.model import Reading, Request, Tool
from rung.adopt.table import OtherTable
from rung.model import Migration


def read(table: OtherTable, request: Request, migrations: Sequence[Migration]) -> Reading:
    names = sorted(str(row[0]) for row in table.rows("name"))
    if not names:
        return Reading(position="no migration applied")
    return Reading(position=f"{names[-1]} ({len(names)} migration(s) applied)")


TOOL = Tool(
    "sequelize",
    "Sequelize",
    "SequelizeMeta",
    read,
    table_setting="migrationStorageTableName",
    options=("version",),
)
