"""golang-migrate's schema_migrations(version bigint, dirty boolean): one row, the current
version. Every migration up to it is applied; `dirty = true` means the last one failed
part-way, which golang-migrate itself refuses to go past until `migrate force`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rung.adopt.model import Entry, Reading, Request, Tool
from rung.adopt.table import OtherTable, truthy
from rung.model import Migration


def read(table: OtherTable, request: Request, migrations: Sequence[Migration]) -> Reading:
    rows = table.rows("version, dirty")
    if not rows:
        return Reading(position="no version")
    if len(rows) > 1:
        raise table.refused(
            f"{table.label} holds {len(rows)} rows; golang-migrate keeps exactly one (the "
            "current version), so this is not a table rung can read as golang-migrate's",
            details=[f"version {version}, dirty {dirty}" for version, dirty in rows],
            hint="check --table, or reduce it to the current version with `migrate force V`",
        )
    version, dirty = rows[0]
    if truthy(dirty):
        raise table.refused(
            f"golang-migrate marks version {version} dirty in {table.label}: that migration "
            "failed part-way",
            hint=f"fix the database by hand, then run `migrate force {version}` if its work is "
            "complete (or force the version before it if none of it is), and run `rung adopt "
            "--from golang-migrate` again",
        )
    number = int(version)
    if number < 0:  # golang-migrate's "no version"
        return Reading(position="no version")
    return Reading(up_to=Entry(f"version {number}", (number,)), position=f"version {number}")


TOOL = Tool(
    "golang-migrate",
    "golang-migrate",
    "schema_migrations",
    read,
    format="golang-migrate",
    table_setting="x-migrations-table in the database URL",
)
