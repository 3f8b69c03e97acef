"""rung.plan: history events -> each migration's standing -> what up and down would run.

Pure functions, so no database and no files: migrations and history events are built here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rung.errors import InvalidMigrations, RequestRefused, RungError
from rung.model import AppliedState, HistoryEvent, Migration, Version, format_version
from rung.plan import (
    APPLIED,
    BASELINE,
    FAILED,
    MISSING,
    MODIFIED,
    PENDING,
    HistoryState,
    MigrationStatus,
    check_consistent,
    derive,
    plan_down,
    plan_up,
    statuses,
)

T0 = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
CHANGE = "the SQL of the up section changed"


def v(version: int | Version) -> Version:
    return (version,) if isinstance(version, int) else version


def mig(
    version: int | Version,
    name: str | None = None,
    *,
    has_down: bool = True,
    checksum: str | None = None,
    kind: str = "sql",
) -> Migration:
    version = v(version)
    text = format_version(version).zfill(3)
    name = name or f"m{text.replace('.', '_')}"
    path = Path("migrations") / f"{text}_{name}.{'py' if kind == 'python' else 'sql'}"
    if kind == "python":
        body = "def up(conn):\n    pass\n" + ("def down(conn):\n    pass\n" if has_down else "")
    else:
        body = "-- rung:up\nCREATE TABLE t (id INT);\n"
        body += "-- rung:down\nDROP TABLE t;\n" if has_down else ""
    return Migration(version, name, path, kind, checksum or f"sum-{text}", text=body)


@dataclass
class Log:
    """History events as the history table hands them over: ids increasing, oldest first."""

    events: list[HistoryEvent] = field(default_factory=list)

    def add(
        self,
        version: int | Version,
        event: str,
        outcome: str = "success",
        *,
        name: str = "m",
        checksum: str | None = None,
        sql_checksum: str | None = None,
        statements_done: int | None = None,
        hashes: tuple[str, ...] = (),
        error: str | None = None,
    ) -> HistoryEvent:
        number = len(self.events) + 1
        version = v(version)
        e = HistoryEvent(
            id=number * 10,  # ids need not be consecutive
            version=version,
            version_text=format_version(version).zfill(3),
            name=name,
            event=event,
            outcome=outcome,
            checksum=checksum,
            checksum_version=1,
            sql_checksum=sql_checksum,
            statements_done=statements_done,
            statement_hashes=hashes,
            error=error,
            started_at=T0 + timedelta(minutes=number),
            duration_ms=5 if outcome in ("success", "failed") else None,
            db_user="app",
            os_user="deploy",
            host="ci",
            rung_version="0.1.0",
        )
        self.events.append(e)
        return e

    def apply(self, m: Migration, outcome: str = "success", **kw) -> HistoryEvent:
        kw.setdefault("checksum", m.checksum)
        if outcome == "success":
            kw.setdefault("sql_checksum", "sql-" + m.checksum)
        if outcome == "failed":
            kw.setdefault("statements_done", 0)
            kw.setdefault("error", "boom")
        return self.add(m.version, "apply", outcome, name=m.name, **kw)

    def rollback(self, m: Migration, outcome: str = "success", **kw) -> HistoryEvent:
        kw.setdefault("checksum", m.checksum)
        if outcome == "failed":
            kw.setdefault("statements_done", 0)
            kw.setdefault("error", "boom")
        return self.add(m.version, "rollback", outcome, name=m.name, **kw)

    def baseline(self, version: int | Version) -> HistoryEvent:
        return self.add(version, "baseline", name="baseline")

    def repair(self, m: Migration, outcome: str) -> HistoryEvent:
        return self.add(
            m.version, "repair", outcome, name=m.name, checksum=m.checksum, sql_checksum="sql-new"
        )

    def state(self) -> HistoryState:
        return derive(self.events)


def classify(migration: Migration, state: AppliedState) -> str:
    return CHANGE


def items(migrations: list[Migration], log: Log) -> list[MigrationStatus]:
    return statuses(migrations, log.state(), classify)


def by_label(found: list[MigrationStatus]) -> dict[str, str]:
    return {s.label: s.state for s in found}


def versions(plan) -> list[Version]:
    return [step.migration.version for step in plan.steps]


def applied_log(*migrations: Migration) -> Log:
    log = Log()
    for m in migrations:
        log.apply(m)
    return log


M1, M2, M3, M4 = mig(1, "users"), mig(2, "posts"), mig(3, "tags"), mig(4, "likes")


# --- derive ----------------------------------------------------------------------------------


def test_derive_empty_history():
    state = derive([])
    assert state.states == {} and state.baseline is None and state.last_id == 0


def test_derive_successful_apply():
    log = Log()
    e = log.apply(M1)
    state = log.state()
    applied = state.states[(1,)]
    assert applied.applied and not applied.baseline and applied.failure is None
    assert (applied.checksum, applied.sql_checksum) == (M1.checksum, "sql-" + M1.checksum)
    assert (applied.applied_at, applied.duration_ms, applied.order) == (e.started_at, 5, e.id)
    assert applied.name == "users"
    assert state.last_id == e.id


def test_derive_clean_failure_of_an_apply():
    log = Log()
    e = log.apply(M1, "failed", statements_done=0, error="relation does not exist")
    applied = log.state().states[(1,)]
    assert not applied.applied
    failure = applied.failure
    assert failure.direction == "up" and failure.error == "relation does not exist"
    assert failure.statements_done == 0 and not failure.partial and failure.at == e.started_at


def test_derive_partial_failure_keeps_progress_and_hashes():
    log = Log()
    log.apply(M1, "failed", statements_done=2, hashes=("aa", "bb"))
    failure = log.state().states[(1,)].failure
    assert failure.partial and failure.statements_done == 2
    assert failure.statement_hashes == ("aa", "bb")


def test_derive_running_apply_means_the_process_died_with_unknown_progress():
    log = Log()
    log.apply(M1, "running", checksum=None)
    applied = log.state().states[(1,)]
    assert not applied.applied
    assert applied.failure.statements_done is None and applied.failure.partial
    assert "interrupted" in applied.failure.error


def test_derive_running_then_success_is_applied_without_failure():
    log = Log()
    log.apply(M1, "running", checksum=None)
    e = log.apply(M1)
    applied = log.state().states[(1,)]
    assert applied.applied and applied.failure is None and applied.order == e.id


def test_derive_retry_after_failure_clears_it():
    log = Log()
    log.apply(M1, "failed")
    log.apply(M1)
    assert log.state().states[(1,)].failure is None


def test_derive_rollback_makes_it_unapplied():
    log = applied_log(M1)
    log.rollback(M1)
    applied = log.state().states[(1,)]
    assert not applied.applied and applied.failure is None and applied.checksum is None


def test_derive_failed_rollback_leaves_it_applied_with_a_down_failure():
    log = applied_log(M1)
    first = log.events[0]
    log.rollback(M1, "failed", statements_done=1, hashes=("aa",))
    applied = log.state().states[(1,)]
    assert applied.applied and applied.order == first.id and applied.checksum == M1.checksum
    assert applied.failure.direction == "down" and applied.failure.statements_done == 1


def test_derive_reapply_after_rollback_takes_the_new_order():
    log = applied_log(M1, M2)
    log.rollback(M1)
    e = log.apply(M1)
    state = log.state()
    assert state.states[(1,)].order == e.id > state.states[(2,)].order


def test_derive_baseline():
    log = Log()
    e = log.baseline(3)
    state = log.state()
    assert (state.baseline, state.baseline_at, state.baseline_order) == ((3,), e.started_at, e.id)
    assert state.states == {}
    assert state.last_id == e.id


def test_derive_events_after_a_baseline_apply_to_their_version():
    log = Log()
    log.baseline(2)
    log.rollback(M2)
    e = log.apply(M3)
    state = log.state()
    assert state.baseline == (2,)
    assert not state.states[(2,)].applied
    assert state.states[(3,)].applied and state.states[(3,)].order == e.id


def test_derive_repair_applied_clears_a_failure():
    log = Log()
    log.apply(M1, "failed", statements_done=1)
    repair = log.repair(M1, "applied")
    applied = log.state().states[(1,)]
    assert applied.applied and applied.failure is None
    assert applied.order == repair.id and applied.applied_at == repair.started_at
    assert applied.checksum == M1.checksum and applied.sql_checksum == "sql-new"


def test_derive_repair_applied_of_an_edited_file_keeps_order_and_time():
    log = Log()
    first = log.apply(M1)
    edited = mig(1, "users", checksum="sum-edited")
    log.repair(edited, "applied")
    applied = log.state().states[(1,)]
    assert applied.applied and applied.checksum == "sum-edited"
    assert (applied.order, applied.applied_at) == (first.id, first.started_at)


def test_derive_repair_pending_makes_it_unapplied():
    log = applied_log(M1)
    log.rollback(M1, "failed", statements_done=1)
    log.repair(M1, "pending")
    applied = log.state().states[(1,)]
    assert not applied.applied and applied.failure is None


def test_derive_last_id_is_the_highest_id():
    log = applied_log(M1, M2, M3)
    assert log.state().last_id == log.events[-1].id


# --- statuses --------------------------------------------------------------------------------


def test_statuses_without_history_are_all_pending_in_version_order():
    found = items([M3, M1, M2], Log())
    assert [s.version for s in found] == [(1,), (2,), (3,)]
    assert {s.state for s in found} == {PENDING}
    assert all(s.applied is None and not s.is_applied for s in found)


def test_statuses_of_each_kind():
    log = Log()
    log.apply(M1)
    log.apply(M2)
    gone = mig(3, "gone")
    log.apply(gone)
    log.apply(M4, "failed")
    edited = mig(2, "posts", checksum="sum-edited")
    found = items([M1, edited, M4, mig(5, "new")], log)
    assert by_label(found) == {
        "001_users": APPLIED,
        "002_posts": MODIFIED,
        "003_gone": MISSING,  # no file: its label comes from the history's spelling
        "004_likes": FAILED,
        "005_new": PENDING,
    }
    status = {s.label: s for s in found}
    assert status["002_posts"].change == CHANGE
    assert status["001_users"].change is None
    assert status["003_gone"].migration is None and status["003_gone"].name == "gone"
    assert status["003_gone"].version_text == "003"
    assert status["001_users"].version_text == "001"
    assert [s.is_applied for s in found] == [True, True, True, False, False]


def test_statuses_pass_the_migration_and_its_applied_state_to_the_classifier():
    log = applied_log(M1)
    edited = mig(1, "users", checksum="sum-edited")
    seen = []

    def spy(migration, state):
        seen.append((migration, state.checksum))
        return "only comments changed"

    (status,) = statuses([edited], log.state(), spy)
    assert status.state == MODIFIED and status.change == "only comments changed"
    assert seen == [(edited, M1.checksum)]


def test_classifier_is_not_asked_about_unchanged_migrations():
    def fail(migration, state):
        raise AssertionError("not modified")

    statuses([M1, M2], applied_log(M1).state(), fail)


def test_rolled_back_migration_is_pending_again():
    log = applied_log(M1, M2)
    log.rollback(M2)
    assert by_label(items([M1, M2], log)) == {"001_users": APPLIED, "002_posts": PENDING}


def test_rolled_back_migration_without_a_file_is_not_listed():
    log = applied_log(M1, M2)
    log.rollback(M2)
    assert by_label(items([M1], log)) == {"001_users": APPLIED}


def test_failed_rollback_shows_failed_and_still_applied():
    log = applied_log(M1)
    log.rollback(M1, "failed")
    (status,) = items([M1], log)
    assert status.state == FAILED and status.is_applied


def test_statuses_with_a_baseline():
    log = Log()
    log.baseline(2)
    found = items([M1, M2, M3], log)
    assert by_label(found) == {"001_users": BASELINE, "002_posts": BASELINE, "003_tags": PENDING}
    baseline = found[0].applied
    assert baseline.baseline and baseline.applied
    assert baseline.applied_at == log.events[0].started_at
    assert baseline.order == log.events[0].id


def test_baseline_at_a_version_without_a_file_covers_those_below_it():
    log = Log()
    log.baseline(20261127000000)
    assert by_label(items([M1, M2], log)) == {"001_users": BASELINE, "002_posts": BASELINE}


def test_baselined_migration_is_not_compared_by_checksum():
    log = Log()
    log.baseline(1)
    assert by_label(items([mig(1, "users", checksum="anything")], log)) == {"001_users": BASELINE}


def test_baselined_migration_rolled_back_then_reapplied():
    log = Log()
    log.baseline(2)
    log.rollback(M2)
    assert by_label(items([M1, M2], log)) == {"001_users": BASELINE, "002_posts": PENDING}
    log.apply(M2)
    assert by_label(items([M1, M2], log)) == {"001_users": BASELINE, "002_posts": APPLIED}


def test_modified_and_missing_take_the_applied_state():
    log = applied_log(M1)
    edited = mig(1, "users", checksum="sum-edited")
    (status,) = items([edited], log)
    assert status.applied.checksum == M1.checksum and status.migration is edited


def test_repaired_edit_is_applied_again():
    log = applied_log(M1)
    edited = mig(1, "users", checksum="sum-edited")
    log.repair(edited, "applied")
    assert by_label(items([edited], log)) == {"001_users": APPLIED}


def test_python_migration_statuses():
    python = mig(2, "seed", kind="python")
    log = applied_log(M1, python)
    assert by_label(items([M1, python], log)) == {"001_users": APPLIED, "002_seed": APPLIED}


# --- check_consistent ------------------------------------------------------------------------


def test_check_consistent_passes_applied_pending_failed_and_baseline():
    log = Log()
    log.baseline(1)
    log.apply(M2)
    log.apply(M3, "failed")
    check_consistent(items([M1, M2, M3, M4], log))


def test_check_consistent_lists_every_modified_and_missing_migration():
    log = applied_log(M1, M2, M3)
    edited = mig(1, "users", checksum="sum-edited")
    with pytest.raises(InvalidMigrations) as error:
        check_consistent(items([edited, M3], log))
    details = error.value.details
    assert len(details) == 2
    assert str(edited.path) in details[0] and CHANGE in details[0]
    assert "2_posts" in details[1] and "missing" in details[1]
    assert "nothing was run" in error.value.message
    assert "rung repair" in error.value.hint


# --- plan_up ---------------------------------------------------------------------------------


def test_plan_up_runs_pending_in_version_order():
    plan = plan_up(items([M3, M1, M2], Log()))
    assert versions(plan) == [(1,), (2,), (3,)]
    assert all(s.direction == "up" and s.resume_from == 0 for s in plan.steps)
    assert all(s.committed_hashes == () for s in plan.steps)


def test_plan_up_skips_applied_and_baseline():
    log = Log()
    log.baseline(1)
    log.apply(M2)
    assert versions(plan_up(items([M1, M2, M3, M4], log))) == [(3,), (4,)]


def test_plan_up_orders_numerically():
    found = items([mig(10), mig(9), mig((1, 10)), mig((1, 2))], Log())
    assert versions(plan_up(found)) == [(1, 2), (1, 10), (9,), (10,)]


def test_plan_up_with_nothing_pending_is_an_empty_plan():
    plan = plan_up(items([M1, M2], applied_log(M1, M2)))
    assert plan.steps == () and not plan


def test_plan_up_to_a_target():
    found = items([M1, M2, M3, M4], applied_log(M1))
    assert versions(plan_up(found, target=(3,))) == [(2,), (3,)]
    assert versions(plan_up(found, target=(1,))) == []
    assert versions(plan_up(found, target=(4,))) == [(2,), (3,), (4,)]


@pytest.mark.parametrize("target", [(7,), (0,), (2, 5)])
def test_plan_up_to_an_unknown_version_is_refused(target):
    with pytest.raises(RequestRefused, match="no migration with that version"):
        plan_up(items([M1, M2, M3], Log()), target=target)


def test_plan_up_to_a_version_whose_file_is_gone_is_refused():
    log = applied_log(M1, M2)
    log.rollback(M2)
    with pytest.raises(RequestRefused, match="no migration with that version"):
        plan_up(items([M1], log), target=(2,))


def test_plan_up_refuses_an_out_of_order_pending_migration():
    found = items([M1, M2, M3], applied_log(M1, M3))
    with pytest.raises(InvalidMigrations) as error:
        plan_up(found)
    assert str(M2.path) in error.value.message and "older than 3" in error.value.message
    assert "--allow-out-of-order" in error.value.hint


def test_plan_up_allows_out_of_order_when_asked():
    found = items([M1, M2, M3, M4], applied_log(M1, M3))
    assert versions(plan_up(found, allow_out_of_order=True)) == [(2,), (4,)]


def test_plan_up_out_of_order_below_a_baseline():
    log = Log()
    log.baseline(2)
    log.rollback(M1)  # rolled back below the baseline, then asked to apply again
    with pytest.raises(InvalidMigrations, match="older than 2"):
        plan_up(items([M1, M2, M3], log))
    assert versions(plan_up(items([M1, M2, M3], log), allow_out_of_order=True)) == [(1,), (3,)]


def test_plan_up_to_a_target_still_refuses_out_of_order_below_it():
    found = items([M1, M2, M3, M4], applied_log(M1, M3))
    with pytest.raises(InvalidMigrations, match="older than 3"):
        plan_up(found, target=(4,))
    assert versions(plan_up(found, target=(1,))) == []


@pytest.mark.parametrize("kind", ["modified", "missing"])
def test_plan_up_refuses_modified_or_missing_before_planning_anything(kind):
    log = applied_log(M1, M2)
    files = [mig(1, "users", checksum="sum-edited"), M2] if kind == "modified" else [M2]
    with pytest.raises(InvalidMigrations, match="no longer match"):
        plan_up(items(files + [M3, M4], log))


def test_plan_up_checks_consistency_before_the_target():
    log = applied_log(M1)
    with pytest.raises(InvalidMigrations):
        plan_up(items([mig(1, "users", checksum="sum-edited")], log), target=(99,))


def test_plan_up_retries_a_cleanly_failed_migration_from_the_start():
    log = applied_log(M1)
    log.apply(M2, "failed", statements_done=0)
    plan = plan_up(items([M1, M2, M3], log))
    assert versions(plan) == [(2,), (3,)]
    assert plan.steps[0].resume_from == 0 and plan.steps[0].committed_hashes == ()


def test_plan_up_resumes_a_partial_failure():
    log = applied_log(M1)
    log.apply(M2, "failed", statements_done=2, hashes=("aa", "bb"))
    plan = plan_up(items([M1, M2, M3], log))
    assert versions(plan) == [(2,), (3,)]
    first, second = plan.steps
    assert (first.resume_from, first.committed_hashes) == (2, ("aa", "bb"))
    assert (second.resume_from, second.committed_hashes) == (0, ())


def test_plan_up_refuses_a_partial_failure_with_unknown_progress():
    log = applied_log(M1)
    log.apply(M2, "running", checksum=None)
    with pytest.raises(RequestRefused) as error:
        plan_up(items([M1, M2, M3], log))
    assert "002_posts" in error.value.message and "nothing was run" in error.value.message
    assert "repair --as applied" in error.value.hint and "--as pending" in error.value.hint


def test_plan_up_refuses_after_a_half_done_rollback():
    log = applied_log(M1, M2)
    log.rollback(M2, "failed", statements_done=1, hashes=("aa",))
    with pytest.raises(RequestRefused, match="rollback of 002_posts stopped half-way"):
        plan_up(items([M1, M2, M3], log))


def test_plan_up_refuses_after_a_killed_rollback():
    log = applied_log(M1, M2)
    log.rollback(M2, "running", checksum=None)
    with pytest.raises(RequestRefused, match="rollback of 002_posts stopped half-way"):
        plan_up(items([M1, M2, M3], log))


def test_plan_up_continues_after_a_cleanly_failed_rollback():
    log = applied_log(M1, M2)
    log.rollback(M2, "failed", statements_done=0)
    assert versions(plan_up(items([M1, M2, M3], log))) == [(3,)]


def test_plan_up_after_repair():
    log = applied_log(M1)
    log.apply(M2, "failed", statements_done=1)
    log.repair(M2, "applied")
    assert versions(plan_up(items([M1, M2, M3], log))) == [(3,)]
    log = applied_log(M1)
    log.apply(M2, "running", checksum=None)
    log.repair(M2, "pending")
    assert versions(plan_up(items([M1, M2, M3], log))) == [(2,), (3,)]


def test_plan_up_does_not_reapply_a_baselined_migration_whose_rollback_failed():
    """A rollback that failed cleanly leaves the migration applied, baseline or not."""
    log = Log()
    log.baseline(2)
    log.rollback(M2, "failed", statements_done=0)
    found = items([M1, M2, M3], log)
    assert {s.label: s.is_applied for s in found} == {
        "001_users": True,
        "002_posts": True,
        "003_tags": False,
    }
    assert versions(plan_up(found)) == [(3,)]


def test_plan_up_refuses_while_a_partly_applied_migration_has_lost_its_file():
    """002 committed one statement of two, then its file was deleted: the database still holds
    half of it, so up must not carry on as if 002 never existed."""
    log = applied_log(M1)
    log.apply(M2, "failed", statements_done=1, hashes=("aa",))
    with pytest.raises(RungError):
        plan_up(items([M1, M3], log))


# --- plan_down -------------------------------------------------------------------------------


def test_plan_down_rolls_back_the_last_applied():
    plan = plan_down(items([M1, M2, M3], applied_log(M1, M2, M3)))
    assert versions(plan) == [(3,)]
    assert plan.steps[0].direction == "down" and plan.steps[0].resume_from == 0


def test_plan_down_goes_by_applied_order_not_version():
    log = applied_log(M1, M3, M2)  # 2 was applied out of order, last
    found = items([M1, M2, M3], log)
    assert versions(plan_down(found)) == [(2,)]
    assert versions(plan_down(found, steps=3)) == [(2,), (3,), (1,)]


def test_plan_down_steps():
    found = items([M1, M2, M3, M4], applied_log(M1, M2, M3, M4))
    assert versions(plan_down(found, steps=2)) == [(4,), (3,)]
    assert versions(plan_down(found, steps=4)) == [(4,), (3,), (2,), (1,)]
    assert versions(plan_down(found, steps=10**9)) == [(4,), (3,), (2,), (1,)]


def test_plan_down_ignores_pending_migrations():
    found = items([M1, M2, M3], applied_log(M1, M2))
    assert versions(plan_down(found, steps=5)) == [(2,), (1,)]


@pytest.mark.parametrize("steps", [-1, -3])
def test_plan_down_refuses_a_negative_number_of_steps(steps):
    found = items([M1, M2, M3, M4], applied_log(M1, M2, M3, M4))
    with pytest.raises((RequestRefused, ValueError)):
        plan_down(found, steps=steps)


def test_plan_down_to_a_target_rolls_back_everything_above_it():
    log = applied_log(M1, M3, M4, M2)
    found = items([M1, M2, M3, M4], log)
    assert versions(plan_down(found, target=(1,))) == [(2,), (4,), (3,)]
    assert versions(plan_down(found, target=(3,))) == [(4,)]
    assert versions(plan_down(found, target=(4,))) == []


def test_plan_down_to_a_pending_or_missing_version():
    log = applied_log(M1, M2, M3)
    log.rollback(M3)
    log.rollback(M2)
    log.apply(M2)
    found = items([M1, M2, M3, M4], log)
    assert versions(plan_down(found, target=(3,))) == []
    assert versions(plan_down(found, target=(1,))) == [(2,)]


def test_plan_down_to_an_unknown_version_is_refused():
    found = items([M1, M2], applied_log(M1, M2))
    with pytest.raises(RequestRefused, match="no migration with that version"):
        plan_down(found, target=(7,))


@pytest.mark.parametrize("history", ["empty", "all rolled back", "only failed"])
def test_plan_down_with_nothing_applied_is_refused(history):
    log = Log()
    if history == "all rolled back":
        log = applied_log(M1, M2)
        log.rollback(M2)
        log.rollback(M1)
    elif history == "only failed":
        log.apply(M1, "failed")
    with pytest.raises(RequestRefused, match="nothing to roll back"):
        plan_down(items([M1, M2], log))


def test_plan_down_refuses_a_migration_without_down_naming_it():
    no_down = mig(2, "plain", has_down=False)
    found = items([M1, no_down, M3], applied_log(M1, no_down, M3))
    assert versions(plan_down(found)) == [(3,)]
    with pytest.raises(RequestRefused) as error:
        plan_down(found, steps=3)
    assert "cannot roll back 002_plain: it has no down" in error.value.message
    assert "nothing was rolled back" in error.value.message
    assert str(no_down.path) in error.value.hint


def test_plan_down_to_a_target_refuses_a_migration_without_down_above_it():
    no_down = mig(3, "plain", has_down=False)
    found = items([M1, M2, no_down, M4], applied_log(M1, M2, no_down, M4))
    with pytest.raises(RequestRefused, match="003_plain"):
        plan_down(found, target=(1,))
    assert versions(plan_down(found, target=(3,))) == [(4,)]


def test_plan_down_python_migration_needs_its_down():
    with_down = mig(1, "seed", kind="python")
    without = mig(2, "backfill", kind="python", has_down=False)
    found = items([with_down, without], applied_log(with_down, without))
    with pytest.raises(RequestRefused, match="002_backfill"):
        plan_down(found)
    found = items([with_down], applied_log(with_down))
    assert versions(plan_down(found)) == [(1,)]


def test_plan_down_refuses_a_missing_file_among_those_to_roll_back():
    found = items([M1, M2], applied_log(M1, M2, M3))
    with pytest.raises(InvalidMigrations, match="no longer match"):
        plan_down(found)


def test_plan_down_refuses_a_modified_file_among_those_to_roll_back():
    edited = mig(2, "posts", checksum="sum-edited")
    found = items([M1, edited], applied_log(M1, M2))
    with pytest.raises(InvalidMigrations, match="no longer match"):
        plan_down(found)


def test_plan_down_is_stopped_by_any_modified_applied_migration():
    """README: 'An applied migration whose file has changed stops `up` and `down` before
    anything runs' — not only the ones about to be rolled back."""
    edited = mig(1, "users", checksum="sum-edited")
    found = items([edited, M2, M3], applied_log(M1, M2, M3))
    with pytest.raises(InvalidMigrations):
        plan_down(found)


def test_plan_down_rolls_back_baseline_migrations_that_have_a_down():
    log = Log()
    log.baseline(2)
    log.apply(M3)
    found = items([M1, M2, M3], log)
    assert versions(plan_down(found, steps=3)) == [(3,), (2,), (1,)]
    assert versions(plan_down(found, target=(1,))) == [(3,), (2,)]


def test_plan_down_refuses_a_baseline_migration_without_down():
    log = Log()
    log.baseline(1)
    plain = mig(1, "plain", has_down=False)
    with pytest.raises(RequestRefused, match="001_plain"):
        plan_down(items([plain], log))


def test_plan_down_resumes_a_partial_rollback():
    log = applied_log(M1, M2)
    log.rollback(M2, "failed", statements_done=1, hashes=("aa",))
    plan = plan_down(items([M1, M2], log))
    assert versions(plan) == [(2,)]
    assert (plan.steps[0].resume_from, plan.steps[0].committed_hashes) == (1, ("aa",))
    plan = plan_down(items([M1, M2], log), steps=2)
    assert [s.resume_from for s in plan.steps] == [1, 0]


def test_plan_down_retries_a_cleanly_failed_rollback_from_the_start():
    log = applied_log(M1, M2)
    log.rollback(M2, "failed", statements_done=0)
    plan = plan_down(items([M1, M2], log))
    assert versions(plan) == [(2,)] and plan.steps[0].resume_from == 0


def test_plan_down_does_not_resume_an_up_failure():
    """A partial failure of the up direction is not progress of a rollback."""
    log = applied_log(M1, M2)
    log.apply(M3, "failed", statements_done=0)
    plan = plan_down(items([M1, M2, M3], log))
    assert versions(plan) == [(2,)] and plan.steps[0].resume_from == 0


def test_plan_down_refuses_while_a_migration_is_partly_applied():
    log = applied_log(M1, M2)
    log.apply(M3, "failed", statements_done=1)
    with pytest.raises(RequestRefused, match="003_tags is partly applied"):
        plan_down(items([M1, M2, M3], log))
    log = applied_log(M1, M2)
    log.apply(M3, "running", checksum=None)
    with pytest.raises(RequestRefused, match="003_tags is partly applied"):
        plan_down(items([M1, M2, M3], log))


def test_plan_down_refuses_a_killed_rollback_with_unknown_progress():
    """As for up: when the history cannot say how much of the rollback was committed, rung must
    not guess that none was and run the down script again from its first statement."""
    log = applied_log(M1, M2)
    log.rollback(M2, "running", checksum=None)
    with pytest.raises(RequestRefused):
        plan_down(items([M1, M2], log))


def test_plans_are_values():
    found = items([M1, M2], applied_log(M1))
    assert plan_up(found) == plan_up(found)
    assert plan_down(found) == plan_down(found)


# --- properties --------------------------------------------------------------------------------

version_strategy = st.one_of(
    st.integers(0, 60).map(lambda n: (n,)),
    st.tuples(st.integers(0, 6), st.integers(0, 12)),
)


@st.composite
def runs(draw):
    """A pool of migrations (revealed a few at a time, as files get added) and operations."""
    pool_versions = draw(st.lists(version_strategy, min_size=3, max_size=8, unique=True))
    pool = [mig(version, has_down=True) for version in pool_versions]
    operation = st.one_of(
        st.just(("add",)),
        st.just(("add",)),  # twice as likely: new files below applied ones make out-of-order runs
        st.tuples(st.just("up"), st.booleans(), st.integers(0, 10)),
        st.tuples(st.just("down"), st.integers(1, 4)),
        st.tuples(st.just("down-to"), st.integers(0, 10)),
        st.tuples(st.just("fail"), st.integers(0, 10)),
    )
    return pool, draw(st.lists(operation, min_size=10, max_size=30))


@settings(max_examples=300, deadline=None)
@given(runs())
def test_derived_state_follows_any_sequence_of_ups_and_downs(run):
    pool, operations = run
    files: list[Migration] = [pool[0]]
    hidden = pool[1:]
    log = Log()
    applied: list[Version] = []  # the model: versions in the order they were applied
    failed: set[Version] = set()
    for operation in operations:
        found = items(files, log)
        pending = sorted(m.version for m in files if m.version not in applied)
        if operation[0] == "add":
            if hidden:
                files.append(hidden.pop(0))
        elif operation[0] == "up":
            _, allow, pick = operation
            target = sorted(m.version for m in files)[pick % len(files)] if pick < 5 else None
            wanted = [p for p in pending if target is None or p <= target]
            out_of_order = applied and any(p < max(applied) for p in wanted)
            if out_of_order and not allow:
                event("up refused: out of order")
                with pytest.raises(InvalidMigrations):
                    plan_up(found, target=target)
                continue
            event("up out of order" if out_of_order else "up")
            plan = plan_up(found, target=target, allow_out_of_order=allow)
            assert versions(plan) == wanted
            for step in plan.steps:
                log.apply(step.migration)
                applied.append(step.migration.version)
                failed.discard(step.migration.version)
        elif operation[0] == "fail":
            if not pending or (applied and pending[0] < max(applied)):
                continue
            (m,) = [m for m in files if m.version == pending[0]]
            log.apply(m, "failed", statements_done=0)
            failed.add(m.version)
            event("failed")
        elif operation[0] in ("down", "down-to"):
            if not applied:
                with pytest.raises(RequestRefused, match="nothing to roll back"):
                    plan_down(found, steps=1)
                continue
            if operation[0] == "down":
                steps = operation[1]
                plan = plan_down(found, steps=steps)
                expected = applied[::-1][:steps]
            else:
                target = sorted(m.version for m in files)[operation[1] % len(files)]
                plan = plan_down(found, target=target)
                expected = [a for a in applied[::-1] if a > target]
            assert versions(plan) == expected
            event(f"{operation[0]}: {'empty' if not expected else 'rolled back'}")
            for step in plan.steps:
                log.rollback(step.migration)
                applied.remove(step.migration.version)

        found = items(files, log)
        assert [s.version for s in found] == sorted(m.version for m in files)
        assert {s.version for s in found if s.is_applied} == set(applied)
        for s in found:
            if s.version in applied:
                assert s.state == APPLIED
            elif s.version in failed:
                assert s.state == FAILED
            else:
                assert s.state == PENDING
        by_order = sorted((s for s in found if s.is_applied), key=lambda s: s.applied.order)
        assert [s.version for s in by_order] == applied


@st.composite
def histories(draw):
    """Migrations and a history in which each version was applied (in some order) or not."""
    chosen = draw(st.lists(version_strategy, min_size=1, max_size=10, unique=True))
    migrations = [mig(version) for version in chosen]
    order = draw(st.permutations(migrations))
    count = draw(st.integers(0, len(order)))
    log = Log()
    for m in order[:count]:
        log.apply(m)
    return migrations, log, [m.version for m in order[:count]]


@settings(max_examples=300, deadline=None)
@given(histories())
def test_plan_up_never_includes_an_applied_version_and_is_sorted(case):
    migrations, log, applied = case
    plan = plan_up(items(migrations, log), allow_out_of_order=True)
    planned = versions(plan)
    assert planned == sorted(planned)
    assert not set(planned) & set(applied)
    assert set(planned) | set(applied) == {m.version for m in migrations}
    newest = max(applied, default=None)
    if newest is not None and any(p < newest for p in planned):
        with pytest.raises(InvalidMigrations):
            plan_up(items(migrations, log))
    else:
        assert plan_up(items(migrations, log)) == plan


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(1, 12))
def test_plan_down_steps_are_the_last_applied_in_reverse(case, steps):
    migrations, log, applied = case
    found = items(migrations, log)
    if not applied:
        with pytest.raises(RequestRefused):
            plan_down(found, steps=steps)
        return
    plan = plan_down(found, steps=steps)
    assert len(plan.steps) == min(steps, len(applied))
    assert versions(plan) == applied[::-1][:steps]
    assert all(step.direction == "down" for step in plan.steps)


@settings(max_examples=200, deadline=None)
@given(histories(), st.data())
def test_plan_down_to_a_target_leaves_exactly_the_versions_up_to_it(case, data):
    migrations, log, applied = case
    if not applied:
        return
    target = data.draw(st.sampled_from([m.version for m in migrations]))
    plan = plan_down(items(migrations, log), target=target)
    assert versions(plan) == [a for a in applied[::-1] if a > target]
    for step in plan.steps:
        log.rollback(step.migration)
    left = {s.version for s in items(migrations, log) if s.is_applied}
    assert left == {a for a in applied if a <= target}


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.data())
def test_a_partial_up_failure_resumes_where_it_stopped(total, data):
    done = data.draw(st.integers(0, total - 1))
    hashes = tuple(f"h{i}" for i in range(done))
    log = applied_log(M1)
    log.apply(M2, "failed", statements_done=done, hashes=hashes)
    plan = plan_up(items([M1, M2, M3], log))
    assert versions(plan) == [(2,), (3,)]
    assert (plan.steps[0].resume_from, plan.steps[0].committed_hashes) == (done, hashes)
    if done:
        with pytest.raises(RequestRefused):
            plan_down(items([M1, M2, M3], log))
    else:
        assert versions(plan_down(items([M1, M2, M3], log))) == [(1,)]
