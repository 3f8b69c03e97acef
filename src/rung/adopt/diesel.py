"""diesel's __diesel_schema_migrations(version, run_on): a row per applied migration, its
version being the folder's version without dashes (2017-12-13-123456 is 20171213123456)."""

from __future__ import annotations

from collections.abc import Sequence

from rung.adopt.model import Entry, Reading, Request, Tool
from rung.adopt.table import OtherTable, moment
from rung.model import Migration
from rung.source.adapters.diesel import recorded_version


def read(table: OtherTable, request: Request, migrations: Sequence[Migration]) -> Reading:
    folders = {recorded_version(m): m for m in migrations}
    folders_by_version = {m.version: m for m in migrations}
    entries, ignored = [], []
    for version, run_on in table.rows("version, run_on", order_by="run_on, version"):
        migration = folders.get(str(version))
        if migration is None:
            ignored.append(
                f"version {version}: no migration folder with that version; not recorded"
            )
            continue
        entries.append(Entry(migration.label, migration.version, moment(run_on)))
    newest = max(entries, key=lambda entry: entry.version, default=None)
    position = f"version {recorded_version(folders_by_version[newest.version])}" if newest else ""
    return Reading(tuple(entries), ignored=tuple(ignored), position=position or "no version")


TOOL = Tool(
    "diesel",
    "diesel",
    "__diesel_schema_migrations",
    read,
    format="diesel",
    table_setting="diesel always uses __diesel_schema_migrations",
)
