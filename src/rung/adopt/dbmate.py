"""dbmate's schema_migrations(version varchar(128) primary key): a row per applied migration,
without a time or a checksum, so files are adopted in version order as they are now."""

from __future__ import annotations

from collections.abc import Sequence

from rung.adopt.model import Entry, Reading, Request, Tool
from rung.adopt.table import OtherTable
from rung.model import Migration, parse_version


def read(table: OtherTable, request: Request, migrations: Sequence[Migration]) -> Reading:
    entries, ignored = [], []
    for (version,) in table.rows("version"):
        try:
            entries.append(Entry(f"version {version}", parse_version(str(version))))
        except ValueError:
            ignored.append(f"version {version}: not a version rung reads; not recorded")
    entries.sort(key=lambda entry: entry.version)
    position = entries[-1].label if entries else "no version"
    return Reading(tuple(entries), ignored=tuple(ignored), position=position)


TOOL = Tool(
    "dbmate",
    "dbmate",
    "schema_migrations",
    read,
    format="dbmate",
    table_setting="--migrations-table / DBMATE_MIGRATIONS_TABLE",
)
