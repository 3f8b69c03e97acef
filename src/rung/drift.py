"""Drift: was the database changed by hand? The migrations its history says are applied are
replayed, in applied order, on a scratch database; the two schemas are then compared."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from rung import plan as planning
from rung.errors import DriftFound, RequestRefused
from rung.model import Migration, Repeatable
from rung.plan import MigrationStatus, RepeatableStatus

if TYPE_CHECKING:
    from rung.api import Migrator
    from rung.schema.diff import Change

__all__ = [
    "DriftReport",
    "batches",
    "drift",
    "drift_error",
    "expected_migrations",
    "expected_repeatables",
]


@dataclass(frozen=True)
class DriftReport:
    """`changes` turn the expected schema into the live one: `+` was added by hand."""

    database: str
    changes: tuple[Change, ...]
    migrations: tuple[str, ...]  # what the expected schema was built from, in applied order
    notes: tuple[str, ...] = ()
    method: str = "shadow"  # or "fingerprint"
    compared: bool = True  # False: no fingerprint was recorded to compare with
    recorded_at: datetime | None = None  # when the fingerprint compared with was recorded

    @property
    def drifted(self) -> bool:
        return bool(self.changes)


def expected_migrations(items: Sequence[MigrationStatus]) -> tuple[list[Migration], list[str]]:
    """The migrations the history says are applied, in applied order, and notes on what
    makes the expected schema less than exact."""
    # A baseline file that ran is not replayed: the migrations it stands in for are.
    applied = [item for item in items if item.is_applied and not _baseline_file(item)]
    missing = [
        item.label for item in applied if item.migration is None and not item.applied.baseline
    ]
    if missing:
        raise RequestRefused(
            "cannot build the expected schema: the files of these applied migrations are "
            "missing: " + ", ".join(missing),
            hint="restore the files (`rung status` lists them as missing)",
        )
    notes = [
        f"{item.label}: built from the current file, which changed after it was applied"
        for item in applied
        if item.state == planning.MODIFIED
    ]
    notes += [
        f"{item.label}: failed half-way; its committed statements are not in the expected schema"
        for item in items
        if item.state == planning.FAILED and not item.is_applied and item.applied.failure.partial
    ]
    if any(item.applied.baseline for item in applied):
        notes.append(
            "the history starts at a baseline; the expected schema holds only what the files "
            "up to it create"
        )
    ordered = sorted(
        (item for item in applied if item.migration is not None),
        key=lambda item: (item.applied.order, item.version),
    )
    return [item.migration for item in ordered], notes


def _baseline_file(item: MigrationStatus) -> bool:
    return item.migration is not None and item.migration.baseline


def expected_repeatables(
    items: Sequence[RepeatableStatus],
) -> tuple[list[Repeatable], list[str]]:
    """The repeatables the database ran, as their files are now, and notes on what makes
    the expected schema less than exact."""
    ran = [item for item in items if item.applied is not None and item.applied.checksum]
    notes = [
        f"{item.label}: its file is gone; what it created is not in the expected schema"
        for item in ran
        if item.repeatable is None
    ]
    notes += [
        f"{item.label}: built from the current file, which changed after it last ran"
        for item in ran
        if item.repeatable is not None and item.repeatable.checksum != item.applied.checksum
    ]
    return [item.repeatable for item in ran if item.repeatable is not None], notes


def batches(migrations: Sequence[Migration]) -> list[list[Migration]]:
    """Split an applied order into runs of rising versions, each applied by one `up`."""
    runs: list[list[Migration]] = []
    for migration in migrations:
        if runs and migration.version > runs[-1][-1].version:
            runs[-1].append(migration)
        else:
            runs.append([migration])
    return runs


def drift(migrator: Migrator, *, shadow_url: str | None = None) -> DriftReport:
    from rung.api import Migrator
    from rung.schema.diff import diff
    from rung.scratch import scratch_database

    report = migrator.status()
    expected, notes = expected_migrations(report.migrations)
    repeatables, repeatable_notes = expected_repeatables(report.repeatables)
    actual = migrator.schema()
    with scratch_database(migrator.settings, shadow_url) as settings:
        scratch = Migrator(settings=replace(settings, fingerprint=False))  # thrown away
        done: list[Migration] = []
        for run in batches(expected):
            done += run
            scratch.replay(done)
        if repeatables:  # after the versioned ones, as `rung up` runs them
            scratch.replay(done, repeatables)
        built = scratch.schema()
    return DriftReport(
        report.database,
        tuple(diff(built, actual)),
        tuple(m.label for m in [*expected, *repeatables]),
        tuple(notes + repeatable_notes),
    )


def drift_error(report: DriftReport) -> DriftFound:
    count = len(report.changes)
    if report.method == "fingerprint":
        return DriftFound(
            "the database's schema differs from the fingerprint rung recorded after its last "
            f"run: {count} object(s) added (+), removed (-) or changed (~) since",
            hint="write a migration for changes to keep, or undo them; to keep them as they "
            "are, run `rung drift --fingerprint --accept`",
        )
    return DriftFound(
        f"the database's schema differs from the schema its {len(report.migrations)} applied "
        f"migration(s) build: {count} difference(s)",
        hint="a `+` was added to the database by hand, a `-` removed from it; write a "
        "migration for changes to keep, or undo them",
    )
