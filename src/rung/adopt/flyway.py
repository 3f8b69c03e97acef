"""Flyway's flyway_schema_history: one row per run, in installed_rank order.

Versioned rows are adopted with their install time, duration and checksum (Flyway's CRC-32
of the file's lines, which rung recomputes to see whether a file changed since). A
`<< Flyway Baseline >>` row becomes rung's baseline at its version; the schema-creation
row is skipped; undo rows take their version back out. A repeatable (version NULL) is
recorded when its last run had the file's checksum, and otherwise left to `rung up`,
which runs it again as Flyway would. A row with success = false is a
failure Flyway itself refuses to migrate past, and so does `rung adopt`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any

from rung.adopt.model import Entry, Reading, Request, Tool
from rung.adopt.table import OtherTable, moment, truthy
from rung.model import Migration, Version, format_version, parse_version

_COLUMNS = "installed_rank, version, description, type, script, checksum, installed_on, "
_COLUMNS += "execution_time, success"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def checksum(migration: Migration) -> str | None:
    """Flyway's checksum of the file: CRC-32 over its lines' UTF-8 bytes without line breaks
    or a byte-order mark, as a signed 32-bit integer; None if it is not UTF-8 text."""
    try:
        text = migration.path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = _LINE_BREAK.split(text.removeprefix("\ufeff"))
    if lines[-1] == "":
        lines.pop()  # a final line break ends the last line; it does not start another
    value = zlib.crc32("".join(lines).encode("utf-8"))
    return str(value - (1 << 32) if value >= 1 << 31 else value)


def same_file(migration: Migration, recorded: str) -> bool:
    """Unknown (not UTF-8) counts as the same: rung cannot tell, so it does not accuse."""
    found = checksum(migration)
    return found is None or found == recorded


def read(table: OtherTable, request: Request, migrations: Sequence[Migration]) -> Reading:
    rows = table.rows(_COLUMNS, order_by="installed_rank")
    _refuse_failures(table, rows)
    applied: dict[Version, Entry] = {}
    repeatables: dict[str, Entry] = {}  # by script: its last run
    baseline: Entry | None = None
    ignored: dict[str, str] = {}
    for _, version, description, kind, script, crc, installed_on, took, _ in rows:
        kind = str(kind or "").upper()
        if kind == "SCHEMA":
            continue  # Flyway created the schema it migrates: nothing to adopt
        if version is None:  # a repeatable migration (R__): its last run counts
            repeatables.pop(str(script), None)
            repeatables[str(script)] = Entry(
                str(script), (), moment(installed_on), _int(took), _text(crc)
            )
            continue
        try:
            parsed = parse_version(str(version))
        except ValueError:
            ignored[str(version)] = (
                f"{version} ({description}): not a version rung reads; not recorded"
            )
            continue
        label = f"{version} ({description})"
        if kind == "BASELINE":  # named "<< Flyway Baseline >>", or as `flyway baseline` was told
            baseline = Entry(str(description), parsed, moment(installed_on))
        elif kind.startswith("UNDO") or kind == "DELETE":
            applied.pop(parsed, None)  # undone, or removed by `flyway repair`
        else:
            applied.pop(parsed, None)
            applied[parsed] = Entry(label, parsed, moment(installed_on), _int(took), _text(crc))
    versions = [e.version for e in applied.values()] + ([baseline.version] if baseline else [])
    newest = max(versions, default=None)
    position = f"version {format_version(newest)}" if newest else "no version"
    return Reading(
        tuple(applied.values()),
        baseline=baseline,
        ignored=tuple(ignored.values()),
        position=position,
        repeatables=tuple(repeatables.values()),
    )


def _refuse_failures(table: OtherTable, rows: list[tuple[Any, ...]]) -> None:
    failed = [
        f"{version or script} ({description}): success = false, installed on {installed_on}"
        for _, version, description, _, script, _, installed_on, _, success in rows
        if not truthy(success)
    ]
    if failed:
        raise table.refused(
            f"{table.label} records {len(failed)} failed Flyway migration(s)",
            details=failed,
            hint="finish or undo the failed migration's work by hand, remove the failed row "
            "with `flyway repair` (or re-run `flyway migrate`), then run `rung adopt --from "
            "flyway` again",
        )


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


TOOL = Tool(
    "flyway",
    "Flyway",
    "flyway_schema_history",
    read,
    format="flyway",
    table_setting="flyway.table, flyway.defaultSchema",
    same_file=same_file,
)
