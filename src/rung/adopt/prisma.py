"""Prisma Migrate's _prisma_migrations: a row per attempt at a migration, named by its folder.

A migration is applied when a row of it finished and was not rolled back, as Prisma reads
it; its checksum (SHA-256 of migration.sql) is compared with the file. A row that never
finished and was not rolled back is a failure Prisma itself refuses to go past (P3009),
and a migration whose newest row was rolled back is half-way through Prisma's recovery:
both are refused, naming the migration and the `prisma migrate resolve` that settles it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rung.adopt.model import Entry, Reading, Request, Tool
from rung.adopt.table import OtherTable, moment
from rung.model import Migration
from rung.source.adapters.prisma import checksum_matches, migration_name

_COLUMNS = "migration_name, checksum, started_at, finished_at, rolled_back_at"


def read(table: OtherTable, request: Request, migrations: Sequence[Migration]) -> Reading:
    folders = {migration_name(m): m for m in migrations}
    runs: dict[str, list[tuple[str, datetime | None, datetime | None, bool]]] = {}
    for name, checksum, started, finished, rolled_back in table.rows(
        _COLUMNS, order_by="started_at"
    ):
        runs.setdefault(str(name), []).append(
            (str(checksum), moment(started), moment(finished), rolled_back is not None)
        )
    _refuse_unsettled(table, runs)
    entries, ignored = [], []
    for name, attempts in runs.items():
        done = [a for a in attempts if a[2] is not None and not a[3]]
        if not done:
            continue  # every attempt was rolled back and then applied again: see the refusal
        checksum, started, finished, _ = done[-1]
        migration = folders.get(name)
        if migration is None:
            ignored.append(f"{name}: no migration folder of that name; not recorded")
            continue
        took = int((finished - started).total_seconds() * 1000) if started and finished else None
        entries.append(Entry(name, migration.version, started, took, checksum))
    entries.sort(key=lambda entry: (entry.applied_at is None, entry.applied_at, entry.version))
    position = entries[-1].label if entries else "no migration applied"
    return Reading(tuple(entries), ignored=tuple(ignored), position=position)


def _refuse_unsettled(
    table: OtherTable, runs: dict[str, list[tuple[str, datetime | None, datetime | None, bool]]]
) -> None:
    """Failed (never finished, not rolled back) and rolled-back-not-reapplied migrations."""
    problems = []
    for name, attempts in runs.items():
        _, started, finished, rolled_back = attempts[-1]
        if finished is None and not rolled_back:
            problems.append(f"{name}: started {started} and never finished (failed)")
        elif rolled_back and not any(a[2] is not None and not a[3] for a in attempts):
            problems.append(f"{name}: rolled back, and not applied again since")
    if problems:
        raise table.refused(
            f"{table.label} shows {len(problems)} Prisma migration(s) that did not complete",
            details=problems,
            hint="settle them with Prisma first: fix the database, then `prisma migrate resolve "
            "--applied NAME` (its work is all there) or `--rolled-back NAME` followed by "
            "`prisma migrate deploy`; then run `rung adopt --from prisma` again",
        )


TOOL = Tool(
    "prisma",
    "Prisma",
    "_prisma_migrations",
    read,
    format="prisma",
    table_setting="Prisma always uses _prisma_migrations",
    same_file=checksum_matches,
)
