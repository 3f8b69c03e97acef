"""Pure planning: from migrations and history events to statuses and plans. No I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from rung.errors import InvalidMigrations, RequestRefused
from rung.model import (
    REPEATABLE,
    AppliedState,
    Failure,
    HistoryEvent,
    Migration,
    Plan,
    PlanStep,
    Repeatable,
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
# Not run on this database: the baseline file planned for it (pending) stands in for it.
BELOW_BASELINE = "below-baseline"


@dataclass(frozen=True)
class HistoryState:
    states: dict[Version, AppliedState] = field(default_factory=dict)
    baseline: Version | None = None
    baseline_at: datetime | None = None
    baseline_order: int = 0
    last_id: int = 0
    repeatables: dict[str, RepeatableState] = field(default_factory=dict)
    baseline_failure: AppliedState | None = None  # a baseline file's run failed or was cut
    baseline_run: AppliedState | None = None  # a baseline file's run (B1_20_0__): checksums

    @property
    def baseline_file(self) -> str | None:
        """The baseline file that ran ("1_20_0_name"); None for `rung baseline VERSION`."""
        run = self.baseline_run
        return f"{run.version_text}_{run.name}" if run else None


def derive(events: Iterable[HistoryEvent]) -> HistoryState:
    """Replay the history, oldest first, into each version's current standing."""
    events = list(events)
    states: dict[Version, AppliedState] = {}
    baseline: tuple[Version, datetime, int] | None = None
    baseline_failure: AppliedState | None = None
    baseline_run: AppliedState | None = None
    last_id = 0
    for e in events:
        last_id = max(last_id, e.id)
        if e.version_text == REPEATABLE:  # derive_repeatables reads these
            continue
        if e.event == "baseline" and e.outcome != "success":
            baseline_failure = _baseline_failure(e)
            continue
        if e.event == "repair" and baseline_failure and e.version == baseline_failure.version:
            baseline_failure = None  # `rung repair` settled the failed baseline
            if e.outcome == "applied":
                baseline = (e.version, e.started_at, e.id)
                baseline_run = _applied(e)
            continue
        if _settles_baseline_file(e, baseline_run, states):
            assert baseline_run is not None
            baseline_run = replace(baseline_run, checksum=e.checksum, sql_checksum=e.sql_checksum)
            continue
        if e.event == "baseline" or (e.event, e.outcome) == ("adopt", "baseline"):
            baseline = (e.version, e.started_at, e.id)
            # A baseline file's run has a checksum; `rung baseline VERSION` runs nothing.
            ran = e.event == "baseline" and e.checksum
            baseline_run = _applied(e) if ran else None
            baseline_failure = None
            continue
        if e.event == "adopt" and e.outcome != "applied":  # "noted": the other tool's position
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
        if (e.event, e.outcome) in (("apply", "success"), ("adopt", "applied")):
            states[e.version] = _applied(e)
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
    repeatables = derive_repeatables(events)
    if baseline is None:
        return HistoryState(
            states, last_id=last_id, repeatables=repeatables, baseline_failure=baseline_failure
        )
    return HistoryState(
        states,
        baseline[0],
        baseline[1],
        baseline[2],
        last_id,
        repeatables=repeatables,
        baseline_run=baseline_run,
    )


def _applied(e: HistoryEvent) -> AppliedState:
    """Applied by this event (a run, an adoption, a baseline file's run or the repair that
    finished it), with the file's checksums."""
    return AppliedState(
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


def _settles_baseline_file(
    e: HistoryEvent, run: AppliedState | None, states: dict[Version, AppliedState]
) -> bool:
    """Whether `e` is the `rung repair` that accepted an edited baseline file: a repair of
    its version while no failed migration of that version waits for one instead (the
    migrations a baseline stands in for never run, so nothing else there is repaired)."""
    if run is None or (e.event, e.outcome) != ("repair", "applied") or e.version != run.version:
        return False
    state = states.get(e.version)
    return state is None or state.failure is None


def _baseline_failure(e: HistoryEvent) -> AppliedState:
    """A baseline file's failed (or interrupted) run, which `rung up` finishes first."""
    done = e.statements_done if e.outcome == "failed" else None
    error = e.error if e.outcome == "failed" else "the run was interrupted (process killed)"
    failure = Failure("up", error, done, e.statement_hashes, e.started_at)
    return AppliedState(e.version, e.name, False, failure=failure, version_text=e.version_text)


@dataclass(frozen=True)
class MigrationStatus:
    version: Version
    name: str
    state: str
    migration: Migration | None
    applied: AppliedState | None
    change: str | None = None  # what kind of edit, for modified migrations
    baseline_file: str | None = None  # the baseline file that stands in for it here

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
    migrations: Sequence[Migration],
    history: HistoryState,
    classify: Classifier,
    *,
    target: Version | None = None,
) -> list[MigrationStatus]:
    """Each migration file and each applied version without a file, in version order.

    On a database with no applied migration, the newest baseline file at or below `target`
    is pending, and the migrations it stands in for are BELOW_BASELINE. The baseline file
    that ran on this database is listed only when its file changed since (MODIFIED, as an
    applied migration's); other baseline files are ignored.
    """
    result: list[MigrationStatus] = []
    by_version = {m.version: m for m in migrations if not m.baseline}
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
    baselines = [m for m in migrations if m.baseline]
    return _with_baseline(result, baselines, history, target, classify)


def _with_baseline(
    items: list[MigrationStatus],
    baselines: Sequence[Migration],
    history: HistoryState,
    target: Version | None,
    classify: Classifier,
) -> list[MigrationStatus]:
    """The statuses with the baseline file this database runs, or ran, in its place."""
    if history.baseline is not None:
        if history.baseline_file is None:
            return items
        ran = next((b for b in baselines if b.version == history.baseline), None)
        label = ran.label if ran else history.baseline_file
        items = [replace(s, baseline_file=label) if s.state == BASELINE else s for s in items]
        return _with_edited_baseline(items, ran, history.baseline_run, classify)
    failed = history.baseline_failure
    if failed is not None:  # finish the baseline that failed before anything else
        chosen = next((b for b in baselines if b.version == failed.version), None)
        if chosen is None:
            if not (failed.failure and failed.failure.partial):
                return items
            row = MigrationStatus(failed.version, failed.name, MISSING, None, failed)
            return _insert(items, row)
        row = MigrationStatus(chosen.version, chosen.name, FAILED, chosen, failed)
    else:
        candidates = [b for b in baselines if target is None or b.version <= target]
        if not candidates or not all(_untouched(s) for s in items):
            return items
        chosen = max(candidates, key=lambda b: b.version)
        row = MigrationStatus(chosen.version, chosen.name, PENDING, chosen, None)
    covered = [
        replace(s, state=BELOW_BASELINE, baseline_file=chosen.label)
        if s.version <= chosen.version and _untouched(s)
        else s
        for s in items
    ]
    return _insert(covered, row)


def _with_edited_baseline(
    items: list[MigrationStatus],
    baseline: Migration | None,
    run: AppliedState | None,
    classify: Classifier,
) -> list[MigrationStatus]:
    """The statuses, with the baseline file that ran here as MODIFIED if its file changed
    since: it is this database's history, like an applied migration's file."""
    if baseline is None or run is None or run.checksum in (None, baseline.checksum):
        return items
    change = classify(baseline, run)
    row = MigrationStatus(baseline.version, baseline.name, MODIFIED, baseline, run, change)
    return _insert(items, row)


def _untouched(item: MigrationStatus) -> bool:
    """Neither applied nor partly applied: a baseline may still run in its place."""
    failure = item.applied.failure if item.applied else None
    return not item.is_applied and not (failure and failure.partial)


def _insert(items: list[MigrationStatus], row: MigrationStatus) -> list[MigrationStatus]:
    """`row` after the migrations at or below its version (a baseline runs before those above)."""
    index = next((i for i, s in enumerate(items) if s.version > row.version), len(items))
    return [*items[:index], row, *items[index:]]


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
        if s.state == BELOW_BASELINE:  # the baseline file runs in its place
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
        if s.baseline_file:
            raise RequestRefused(
                f"cannot roll back past the baseline {s.baseline_file}: a baseline has no down, "
                f"and {s.label} is part of it; nothing was rolled back",
                hint=f"roll back only what was applied after {s.baseline_file}: "
                "`rung down --to VERSION` with its version",
            )
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


# -- repeatable migrations -------------------------------------------------------------------
NEW, CHANGED, AFTER_ROLLBACK = "new", "changed", "after-rollback"  # why a repeatable is pending


@dataclass(frozen=True, slots=True)
class RepeatableState:
    """A repeatable's standing, derived from its history events."""

    name: str
    checksum: str | None = None  # of its last successful run; None if none succeeded
    applied_at: datetime | None = None
    duration_ms: int | None = None
    order: int = 0  # id of the event of that run
    failure: Failure | None = None  # its latest run failed, or was interrupted
    stale: bool = False  # a versioned migration was rolled back after that run


def derive_repeatables(events: Sequence[HistoryEvent]) -> dict[str, RepeatableState]:
    """Replay the history, oldest first, into each repeatable's standing, by name."""
    states: dict[str, RepeatableState] = {}
    last_rollback = 0
    for e in events:
        if e.version_text != REPEATABLE:
            if e.event == "rollback" and e.outcome == "success":
                last_rollback = e.id
            continue
        before = states.get(e.name) or RepeatableState(e.name)
        if (e.event, e.outcome) in (("apply", "success"), ("adopt", "applied")):
            states[e.name] = RepeatableState(
                e.name, e.checksum, e.started_at, e.duration_ms, order=e.id
            )
        elif e.event == "apply":  # failed, or running when the process died
            done = e.statements_done if e.outcome == "failed" else None
            error = e.error if e.outcome == "failed" else "the run was interrupted (process killed)"
            failure = Failure("up", error, done, e.statement_hashes, e.started_at)
            states[e.name] = replace(before, failure=failure)
        elif e.event == "repair" and e.outcome == "pending":  # forgotten: its file was deleted
            states.pop(e.name, None)
        elif e.event == "repair":
            states[e.name] = replace(
                before, checksum=e.checksum, failure=None, order=before.order or e.id
            )
    return {
        name: replace(state, stale=state.checksum is not None and state.order < last_rollback)
        for name, state in states.items()
    }


@dataclass(frozen=True)
class RepeatableStatus:
    """A repeatable's standing: applied, pending (NEW, CHANGED, AFTER_ROLLBACK), failed, or
    missing (it ran, and its file is gone)."""

    name: str
    state: str
    repeatable: Repeatable | None
    applied: RepeatableState | None
    change: str | None = None  # why it is pending

    @property
    def label(self) -> str:
        return self.repeatable.label if self.repeatable else f"{REPEATABLE}/{self.name}"

    @property
    def due(self) -> bool:
        """Whether the next `rung up` runs it."""
        return self.state in (PENDING, FAILED)


def repeatable_statuses(
    repeatables: Sequence[Repeatable], history: HistoryState
) -> list[RepeatableStatus]:
    """Each repeatable file, and each repeatable that ran but whose file is gone, by name."""
    by_name = {r.name: r for r in repeatables}
    result = []
    for name in sorted(by_name.keys() | history.repeatables.keys()):
        repeatable, state = by_name.get(name), history.repeatables.get(name)
        if repeatable is None:
            if state is not None and state.checksum is not None:
                result.append(RepeatableStatus(name, MISSING, None, state))
            continue
        if state is not None and state.failure is not None:
            result.append(RepeatableStatus(name, FAILED, repeatable, state))
        elif state is None or state.checksum is None:
            result.append(RepeatableStatus(name, PENDING, repeatable, state, NEW))
        elif state.checksum != repeatable.checksum:
            result.append(RepeatableStatus(name, PENDING, repeatable, state, CHANGED))
        elif state.stale:
            result.append(RepeatableStatus(name, PENDING, repeatable, state, AFTER_ROLLBACK))
        else:
            result.append(RepeatableStatus(name, APPLIED, repeatable, state))
    return result


def plan_repeatables(items: Sequence[RepeatableStatus]) -> tuple[PlanStep, ...]:
    """The repeatables to run after the versioned migrations, in name order, each from its
    first statement: a repeatable is written to run again, so it is never resumed."""
    return tuple(PlanStep(item.repeatable, "up") for item in items if item.due and item.repeatable)
