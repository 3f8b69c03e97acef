"""Pure planning: from migrations and history events to statuses and plans. No I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from rung.errors import InvalidMigrations, RequestRefused
from rung.model import (
    AppliedState,
    Failure,
    HistoryEvent,
    Migration,
    Plan,
    PlanStep,
    Version,
    format_version,
)

APPLIED, PENDING, MODIFIED, MISSING, FAILED, BASELINE = (
    "applied",
    "pending",
    "modified",
    "missing",
    "failed",
    "baseline",
)


@dataclass(frozen=True)
class HistoryState:
    states: dict[Version, AppliedState] = field(default_factory=dict)
    baseline: Version | None = None
    baseline_at: datetime | None = None
    baseline_order: int = 0
    last_id: int = 0


def derive(events: Iterable[HistoryEvent]) -> HistoryState:
    """Replay the history, oldest first, into each version's current standing."""
    states: dict[Version, AppliedState] = {}
    baseline: tuple[Version, datetime, int] | None = None
    last_id = 0
    for e in events:
        last_id = max(last_id, e.id)
        if e.event == "baseline":
            baseline = (e.version, e.started_at, e.id)
            continue
        before = states.get(e.version)
        if before is None and baseline is not None and e.version <= baseline[0]:
            before = AppliedState(
                e.version,
                e.name,
                True,
                applied_at=baseline[1],
                baseline=True,
                order=baseline[2],
                version_text=e.version_text,
            )
        before = before or AppliedState(e.version, e.name, False, version_text=e.version_text)
        if e.event == "apply" and e.outcome == "success":
            states[e.version] = AppliedState(
                e.version,
                e.name,
                True,
                e.checksum,
                e.sql_checksum,
                e.started_at,
                e.duration_ms,
                order=e.id,
                version_text=e.version_text,
            )
        elif e.event == "rollback" and e.outcome == "success":
            states[e.version] = AppliedState(e.version, e.name, False, version_text=e.version_text)
        elif e.event in ("apply", "rollback"):  # failed, or running when the process died
            direction = "up" if e.event == "apply" else "down"
            done = e.statements_done if e.outcome == "failed" else None
            error = e.error if e.outcome == "failed" else "the run was interrupted (process killed)"
            failure = Failure(direction, error, done, e.statement_hashes, e.started_at)
            states[e.version] = replace(before, failure=failure)
        elif e.event == "repair":
            if e.outcome == "applied":
                states[e.version] = replace(
                    before,
                    applied=True,
                    checksum=e.checksum,
                    sql_checksum=e.sql_checksum,
                    failure=None,
                    order=before.order or e.id,
                    applied_at=before.applied_at or e.started_at,
                )
            else:
                states[e.version] = AppliedState(
                    e.version, e.name, False, version_text=e.version_text
                )
    if baseline is None:
        return HistoryState(states, last_id=last_id)
    return HistoryState(states, baseline[0], baseline[1], baseline[2], last_id)


@dataclass(frozen=True)
class MigrationStatus:
    version: Version
    name: str
    state: str
    migration: Migration | None
    applied: AppliedState | None
    change: str | None = None  # what kind of edit, for modified migrations

    @property
    def label(self) -> str:
        return self.migration.label if self.migration else f"{self.version_text}_{self.name}"

    @property
    def version_text(self) -> str:
        if self.migration:
            return self.migration.version_text
        return self.applied.version_text if self.applied else format_version(self.version)

    @property
    def is_applied(self) -> bool:
        return self.applied is not None and self.applied.applied


Classifier = Callable[[Migration, AppliedState], str]


def statuses(
    migrations: Sequence[Migration], history: HistoryState, classify: Classifier
) -> list[MigrationStatus]:
    """Each migration file and each applied version without a file, in version order."""
    result = []
    by_version = {m.version: m for m in migrations}
    for version in sorted(by_version.keys() | history.states.keys()):
        migration = by_version.get(version)
        state = history.states.get(version)
        if state is None and history.baseline is not None and version <= history.baseline:
            state = AppliedState(
                version,
                migration.name if migration else "",
                True,
                applied_at=history.baseline_at,
                baseline=True,
                order=history.baseline_order,
            )
        if migration is None:
            partial = state is not None and state.failure is not None and state.failure.partial
            if state is not None and (state.applied or partial):
                result.append(MigrationStatus(version, state.name, MISSING, None, state))
            continue
        if state is None or (not state.applied and state.failure is None):
            result.append(MigrationStatus(version, migration.name, PENDING, migration, state))
        elif state.failure is not None:
            result.append(MigrationStatus(version, migration.name, FAILED, migration, state))
        elif state.baseline:
            result.append(MigrationStatus(version, migration.name, BASELINE, migration, state))
        elif state.checksum is not None and state.checksum != migration.checksum:
            change = classify(migration, state)
            result.append(
                MigrationStatus(version, migration.name, MODIFIED, migration, state, change)
            )
        else:
            result.append(MigrationStatus(version, migration.name, APPLIED, migration, state))
    return result


def check_consistent(items: Sequence[MigrationStatus]) -> None:
    """Refuse to run anything while an applied migration's file is edited or gone."""
    problems = []
    for s in items:
        if s.state == MODIFIED:
            problems.append(f"{s.migration.path}: changed since it was applied ({s.change})")
        elif s.state == MISSING:
            problems.append(f"{s.label}: applied, but its file is missing from the folder")
    if problems:
        raise InvalidMigrations(
            f"{len(problems)} applied migration(s) no longer match their files; nothing was run",
            details=problems,
            hint="restore the files as they were applied, or, if the change is intended, "
            "run `rung repair` to accept the files as they are now",
        )


def plan_up(
    items: Sequence[MigrationStatus],
    *,
    target: Version | None = None,
    allow_out_of_order: bool = False,
) -> Plan:
    check_consistent(items)
    if target is not None and not any(s.version == target and s.migration for s in items):
        raise RequestRefused(
            f"--to {format_version(target)}: there is no migration with that version",
            hint="run `rung status` to see the versions",
        )
    for s in items:
        failure = s.applied.failure if s.applied else None
        if failure is None or not failure.partial:
            continue
        if failure.direction == "down":
            raise RequestRefused(
                f"the rollback of {s.label} stopped half-way; nothing was run",
                hint="finish it with `rung down`, or fix the database and run `rung repair`",
            )
        if failure.statements_done is None:
            raise RequestRefused(
                f"{s.label} was interrupted while running, and this database cannot tell how "
                "much of it was committed; nothing was run",
                hint="check the database by hand, then run `rung repair --as applied` if the "
                "migration's work is all there or `rung repair --as pending` if none of it is",
            )
    newest_applied = max((s.version for s in items if s.is_applied), default=None)
    steps = []
    for s in items:
        if s.is_applied or s.migration is None or (target is not None and s.version > target):
            continue
        if newest_applied is not None and s.version < newest_applied and not allow_out_of_order:
            raise InvalidMigrations(
                f"{s.migration.path} is pending but older than {format_version(newest_applied)}, "
                "which is applied already; nothing was run",
                hint="give the migration a version above the newest applied one (rename the "
                "file), or pass --allow-out-of-order to apply it anyway",
            )
        steps.append(_step(s, "up"))
    return Plan(tuple(steps))


def plan_down(
    items: Sequence[MigrationStatus],
    *,
    steps: int | None = None,
    target: Version | None = None,
    everything: bool = False,
) -> Plan:
    """Roll back in the reverse of the order migrations were applied, not by version.

    The last applied one by default; the last `steps`; all above `target`; or `everything`.
    """
    if steps is not None and steps < 1:
        raise RequestRefused(f"cannot roll back {steps} steps: give a number of 1 or more")
    applied = sorted(
        (s for s in items if s.is_applied), key=lambda s: (s.applied.order, s.version), reverse=True
    )
    if not applied:
        raise RequestRefused(
            "nothing to roll back: no migration is applied",
            hint="`rung status` shows where the database stands; `rung up` applies migrations",
        )
    if target is not None:
        if not any(s.version == target for s in items):
            raise RequestRefused(
                f"--to {format_version(target)}: there is no migration with that version",
                hint="`rung status` shows the versions; `rung down --all` rolls back everything",
            )
        chosen = [s for s in applied if s.version > target]
    elif everything:
        chosen = applied
    else:
        chosen = applied[: steps if steps is not None else 1]
    check_consistent(items)
    for s in items:
        failure = s.applied.failure if s.applied else None
        if failure and failure.partial and failure.direction == "up":
            raise RequestRefused(
                f"{s.label} is partly applied after a failure; nothing was rolled back",
                hint="finish it with `rung up`, or fix the database and run `rung repair`",
            )
        if failure and failure.direction == "down" and failure.statements_done is None:
            raise RequestRefused(
                f"the rollback of {s.label} was interrupted, and this database cannot tell how "
                "much of it was committed; nothing was rolled back",
                hint="check the database by hand, then run `rung repair --as applied` if the "
                "migration's work is all there or `rung repair --as pending` if none of it is",
            )
    for s in chosen:
        if s.migration is None or not s.migration.has_down:
            raise RequestRefused(
                f"cannot roll back {s.label}: it has no down migration; nothing was rolled back",
                hint="add a `-- rung:down` section (or a down(conn) function) to "
                f"{s.migration.path if s.migration else 'the file'}, or roll back fewer steps",
            )
    return Plan(tuple(_step(s, "down") for s in chosen))


def _step(item: MigrationStatus, direction: str) -> PlanStep:
    """A step that resumes where a failed run of the same direction stopped, if one did."""
    assert item.migration is not None
    failure = item.applied.failure if item.applied else None
    if failure is None or failure.direction != direction or not failure.statements_done:
        return PlanStep(item.migration, direction)
    return PlanStep(item.migration, direction, failure.statements_done, failure.statement_hashes)
