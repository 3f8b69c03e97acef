"""Liquibase's DATABASECHANGELOG: a row per changeset run, keyed by (ID, AUTHOR, FILENAME).

A changelog file is one rung migration; it is adopted when every changeset Liquibase would
run from it has a row (EXECUTED, RERAN or MARK_RAN), with the time of its last one. A file
only part of whose changesets ran cannot be one rung migration, and a FAILED row is a
failure: both are refused. FILENAME is matched by the changeset's logicalFilePath when it
has one, else by the file's name (Liquibase records the path it was given, which may start
with folders or `classpath:`). MD5SUM is not compared: Liquibase's checksum normalises each
changeset in ways rung does not reproduce, so a file edited since is recorded as it is now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rung.adopt.model import Entry, Reading, Request, Tool
from rung.adopt.table import OtherTable, moment
from rung.model import Migration
from rung.source.adapters.liquibase import Changeset, changesets

_COLUMNS = "id, author, filename, dateexecuted, orderexecuted, exectype"
_RAN = {"EXECUTED", "RERAN", "MARK_RAN"}
Key = tuple[str, str, str]  # id, author, file name as matched


def _base(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


def read(table: OtherTable, request: Request, migrations: Sequence[Migration]) -> Reading:
    rows = table.rows(_COLUMNS, order_by="orderexecuted, dateexecuted")
    failed = [
        f"{a}:{i} in {f}: EXECTYPE FAILED" for i, a, f, _, _, kind in rows if kind == "FAILED"
    ]
    if failed:
        raise table.refused(
            f"{table.label} records {len(failed)} failed Liquibase changeset(s)",
            details=failed,
            hint="fix the changeset and finish it with `liquibase update` (or clear the row "
            "with `liquibase changelog-sync` once the database holds its work), then run "
            "`rung adopt --from liquibase` again",
        )
    ran: dict[Key, tuple[datetime | None, int]] = {}
    for changeset_id, author, filename, executed, order, kind in rows:
        if str(kind).upper() in _RAN:
            for name in dict.fromkeys((str(filename), _base(str(filename)))):
                ran[(str(changeset_id), str(author), name)] = (moment(executed), int(order))
    entries: list[tuple[int, Entry]] = []
    partial: list[str] = []
    matched: set[Key] = set()
    for migration in migrations:
        found = [(cs, ran.get(_key(cs))) for cs in changesets(migration)]
        done = [(cs, when) for cs, when in found if when is not None]
        matched.update(_key(cs) for cs, _ in done)
        if done and len(done) < len(found):
            missing = ", ".join(f"{cs.author}:{cs.id}" for cs, when in found if when is None)
            partial.append(f"{migration.path}: Liquibase has not run {missing}")
        elif done:
            applied_at = max((when[0] for _, when in done if when[0]), default=None)
            first = min(when[1] for _, when in done)
            entries.append((first, Entry(migration.label, migration.version, applied_at)))
    if partial:
        raise table.refused(
            f"{len(partial)} changelog file(s) ran only in part under Liquibase, and a rung "
            "migration is a whole file",
            details=partial,
            hint="run `liquibase update` to finish them (or move the changesets not yet run "
            "into a new file), then run `rung adopt --from liquibase` again",
        )
    entries.sort(key=lambda item: item[0])
    adopted = [entry for _, entry in entries]
    position = adopted[-1].label if adopted else "no changelog applied"
    return Reading(tuple(adopted), ignored=tuple(_unmatched(rows, matched)), position=position)


def _key(changeset: Changeset) -> Key:
    return (changeset.id, changeset.author, changeset.file_name)


def _unmatched(rows: Sequence[tuple], matched: set[Key]) -> list[str]:
    """Changelog files Liquibase ran that are not in the folder (XML or YAML changelogs,
    files moved away), one line per file."""
    counts: dict[str, int] = {}
    for changeset_id, author, filename, _, _, kind in rows:
        keys = {(str(changeset_id), str(author), n) for n in (str(filename), _base(str(filename)))}
        if str(kind).upper() in _RAN and not keys & matched:
            counts[str(filename)] = counts.get(str(filename), 0) + 1
    return [
        f"{name}: {count} changeset(s) Liquibase ran, from no changelog in the folder; not recorded"
        for name, count in counts.items()
    ]


TOOL = Tool(
    "liquibase",
    "Liquibase",
    "DATABASECHANGELOG",
    read,
    format="liquibase",
    table_setting="liquibase.databaseChangeLogTableName",
)
