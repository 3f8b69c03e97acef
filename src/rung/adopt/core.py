"""Planning an adoption: check rung's history is fresh, read the other tool's table, match
its entries to the folder's files, and turn the result into history events.

Everything here only reads; `rung.adopt.adopt` appends the events, under the lock, in one
transaction, so a refusal anywhere leaves both tables as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rung import plan as planning
from rung.adopt.model import Adopted, AdoptReport, Baseline, Entry, Reading, Request, Tool
from rung.adopt.table import NOTHING_WRITTEN, find_table
from rung.dialects import Dialect
from rung.errors import RequestRefused
from rung.history import History
from rung.model import HistoryEvent, Migration, Version, format_version
from rung.source.adapters import Layout

ADOPT = "adopt"
APPLIED, BASELINE, NOTED = "applied", "baseline", "noted"  # outcomes of adopt events
_NAME_WIDTH = 255  # the history table's name column


def plan_adoption(
    tool: Tool,
    request: Request,
    *,
    dialect: Dialect,
    history: History,
    events: Sequence[HistoryEvent],
    migrations: Sequence[Migration],
    directory: Path,
    repeatables: Sequence[Migration] = (),
    format_hint: str | None = None,
) -> AdoptReport:
    """What adopting would record; RequestRefused when it must not be done."""
    refuse_adopted(events, history.table)
    table = find_table(dialect, history.conn, tool, request.table)
    reading = tool.read(table, request, migrations)
    report = AdoptReport(
        tool.name,
        table.label,
        dialect.server_label,
        history.table,
        position=reading.position,
        format_hint=format_hint,
    )
    if not tool.file_based:
        return _baseline_only(request, migrations, directory, report)
    report = _match(tool, reading, migrations, directory, report)
    return _match_repeatables(tool, reading, repeatables, directory, report)


def refuse_adopted(events: Sequence[HistoryEvent], history_table: str) -> None:
    """Adopting is for a database rung has not migrated: no applied migration, no baseline,
    no earlier adoption. Failed or rolled-back runs alone do not count."""
    state = planning.derive(events)
    applied = sorted(v for v, s in state.states.items() if s.applied)
    ran = sorted(name for name, r in state.repeatables.items() if r.checksum is not None)
    earlier = [e for e in events if e.event == ADOPT]
    if not (applied or ran or state.baseline or earlier):
        return
    if earlier:
        what = f"an adoption (event #{earlier[-1].id}: {earlier[-1].name})"
    elif state.baseline:
        what = f"a baseline at {format_version(state.baseline)}"
    elif not applied:
        what = f"{len(ran)} repeatable migration(s) run ({', '.join(ran[:5])})"
    else:
        shown = ", ".join(state.states[v].version_text or format_version(v) for v in applied[:5])
        what = f"{len(applied)} applied migration(s) ({shown}{', …' if len(applied) > 5 else ''})"
    raise RequestRefused(
        f"rung's history ({history_table}) already records {what}; adopting is for a "
        f"database rung has not migrated yet; {NOTHING_WRITTEN}",
        hint="`rung status` and `rung history` show where it stands; a database is adopted "
        "once, before rung first migrates it",
    )


def _key(version: Version) -> Version:
    """Versions as tools compare them: 1.0 is 1 (Flyway), so trailing zeros do not count."""
    trimmed = list(version)
    while len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()
    return tuple(trimmed)


def _match(
    tool: Tool,
    reading: Reading,
    migrations: Sequence[Migration],
    directory: Path,
    report: AdoptReport,
) -> AdoptReport:
    """Each applied entry against the file of its version, in the tool's order."""
    by_key = {_key(m.version): m for m in migrations}
    adopted: dict[Version, Adopted] = {}
    missing: list[str] = []

    def take(entry: Entry, migration: Migration) -> None:
        adopted.pop(migration.version, None)  # applied again later: the later run counts
        adopted[migration.version] = _adopted(tool, entry, migration)

    for entry in reading.entries:
        migration = by_key.get(_key(entry.version))
        if migration is None:
            missing.append(
                f"{entry.label}: no migration file with version "
                f"{format_version(entry.version)} in {directory}; not recorded"
            )
        else:
            take(entry, migration)
    if reading.up_to is not None:
        for migration in migrations:
            if migration.version <= reading.up_to.version:
                take(Entry(migration.label, migration.version), migration)
        if _key(reading.up_to.version) not in by_key:
            missing.append(
                f"{reading.up_to.label}: no migration file with that version in "
                f"{directory}; those below it are recorded"
            )
    baseline = _tool_baseline(reading.baseline, by_key)
    pending = [
        m
        for m in migrations
        if m.version not in adopted and not (baseline and m.version <= baseline.version)
    ]
    return replace(
        report,
        adopted=list(adopted.values()),
        baseline=baseline,
        not_adopted=[*missing, *reading.ignored],
        pending=pending,
    )


def _match_repeatables(
    tool: Tool,
    reading: Reading,
    repeatables: Sequence[Migration],
    directory: Path,
    report: AdoptReport,
) -> AdoptReport:
    """A repeatable the tool last ran as its file is now is recorded, so `rung up` does not
    run it again; one changed since is left for `rung up` to run, as the tool would."""
    by_file = {r.path.name: r for r in repeatables}
    adopted, notes = [], []
    for entry in reading.repeatables:
        repeatable = by_file.get(entry.label.replace("\\", "/").rsplit("/", 1)[-1])
        if repeatable is None:
            notes.append(
                f"{entry.label}: a repeatable migration with no file in {directory}; not recorded"
            )
        elif _adopted(tool, entry, repeatable).changed:
            notes.append(
                f"{entry.label}: changed since {tool.title} last ran it; not recorded, "
                f"so `rung up` runs it again, as {tool.title} would"
            )
        else:
            adopted.append(Adopted(repeatable, entry.applied_at, entry.duration_ms))
    return replace(report, repeatables=adopted, not_adopted=[*report.not_adopted, *notes])


def _adopted(tool: Tool, entry: Entry, migration: Migration) -> Adopted:
    """The file as recorded; where the tool's checksum says the file changed since it ran,
    rung records the tool's checksum, so `rung status` shows it as modified."""
    adopted = Adopted(migration, entry.applied_at, entry.duration_ms)
    if (
        entry.checksum is None
        or tool.same_file is None
        or tool.same_file(migration, entry.checksum)
    ):
        return adopted
    changed = (
        f"changed since {tool.title} applied it (the checksum {tool.title} recorded, "
        f"{entry.checksum}, is not the file's)"
    )
    return replace(adopted, changed=changed, recorded_checksum=f"{tool.name}:{entry.checksum}"[:64])


def _tool_baseline(entry: Entry | None, by_key: dict[Version, Migration]) -> Baseline | None:
    if entry is None:
        return None
    migration = by_key.get(_key(entry.version))
    if migration is not None:
        return Baseline(migration.version, migration.version_text, migration.name, entry.applied_at)
    return Baseline(entry.version, format_version(entry.version), entry.label, entry.applied_at)


def _baseline_only(
    request: Request, migrations: Sequence[Migration], directory: Path, report: AdoptReport
) -> AdoptReport:
    """Alembic, Sequelize: their migrations cannot run here, so rung notes their position,
    and with --version counts its own files up to that version as applied."""
    if request.version is None:
        return replace(report, pending=list(migrations))
    known = {m.version: m for m in migrations}
    chosen = known.get(request.version)
    if chosen is None:
        raise RequestRefused(
            f"--version {format_version(request.version)}: there is no migration with that "
            f"version in {directory}; {NOTHING_WRITTEN}",
            hint="name the version of the newest rung migration the database already holds "
            "(`rung status` lists them), or leave --version out to count none of them",
        )
    baseline = Baseline(chosen.version, chosen.version_text, chosen.name)
    return replace(
        report, baseline=baseline, pending=[m for m in migrations if m.version > chosen.version]
    )


def event_rows(report: AdoptReport, history: History, flavour: str) -> list[tuple[Any, ...]]:
    """The adopt events: the baseline, each adopted migration in the tool's order, and last a
    note of where the tool stood, which names the tool and its table for the audit trail."""
    from rung.runner import sql_checksum

    rows = []
    if report.baseline is not None:
        b = report.baseline
        rows.append(history.row(b.version_text, b.name, ADOPT, BASELINE, started_at=b.applied_at))
    for item in [*report.adopted, *report.repeatables]:
        m = item.migration
        sql = sql_checksum(m.up.text, flavour) if m.up is not None and not item.changed else None
        rows.append(
            history.row(
                m.version_text,
                m.name,
                ADOPT,
                APPLIED,
                checksum=item.recorded_checksum or m.checksum,
                sql_checksum=sql,
                started_at=item.applied_at,
                duration_ms=item.duration_ms,
            )
        )
    rows.append(history.row("0", note(report), ADOPT, NOTED))
    return rows


def note(report: AdoptReport) -> str:
    """The history's record of the adoption: 'flyway_schema_history (flyway) at version 3'."""
    text = f"{report.table} ({report.tool})"
    if report.position:
        text += f" at {report.position}"
    return text[:_NAME_WIDTH]


def folder_layout(tool: Tool, configured: Layout | None) -> tuple[Layout, str | None]:
    """The layout to read the folder with, and a hint when it is not the configured one:
    without `format` in the config, a file-based tool's folder is read with its own layout."""
    from rung.source.adapters import layout_for

    if configured is not None or tool.format is None:
        return configured or layout_for(), None
    hint = (
        f'add format = "{tool.format}" to rung.toml, so that every rung command reads this '
        f"folder as {tool.title} names its files"
    )
    return layout_for(tool.format), hint
