"""The stairway test, on a scratch database: each migration goes up, down (the schema must
be exactly as before the up) and up again (the schema must be as after the first up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rung.errors import MigrationFailed, VerifyFailed
from rung.model import Migration

if TYPE_CHECKING:
    from rung.api import Migrator
    from rung.schema.diff import Change

__all__ = [
    "DOWN_DIFFERS",
    "FAILED",
    "NOT_REVERSIBLE",
    "OK",
    "REDO_DIFFERS",
    "MigrationCheck",
    "VerifyReport",
    "verify",
    "verify_error",
]

OK, NOT_REVERSIBLE, DOWN_DIFFERS, REDO_DIFFERS, FAILED = (
    "ok",
    "not-reversible",
    "down-differs",
    "redo-differs",
    "failed",
)
_FAILURES = (DOWN_DIFFERS, REDO_DIFFERS, FAILED)


@dataclass(frozen=True)
class MigrationCheck:
    """One migration's stairway. `changes` turn the expected schema into the one found."""

    label: str
    version: str
    outcome: str
    changes: tuple[Change, ...] = ()
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in _FAILURES

    @property
    def summary(self) -> str:
        return {
            OK: "up, down, up: the schema is restored and rebuilt exactly",
            NOT_REVERSIBLE: "not reversible (no down): only its up was run",
            DOWN_DIFFERS: "its down does not restore the schema as it was before its up",
            REDO_DIFFERS: "its second up builds a different schema than its first",
            FAILED: f"failed: {self.error}",
        }[self.outcome]


@dataclass(frozen=True)
class VerifyReport:
    checks: tuple[MigrationCheck, ...]
    prepared: tuple[str, ...] = ()  # applied first, untested (older than the last N)

    @property
    def failure(self) -> MigrationCheck | None:
        return next((check for check in self.checks if check.failed), None)

    @property
    def ok(self) -> bool:
        return self.failure is None


def verify(
    migrator: Migrator, *, last: int | None = None, shadow_url: str | None = None
) -> VerifyReport:
    from rung.api import Migrator
    from rung.scratch import scratch_database

    migrations = sorted(migrator.migrations(), key=lambda m: m.version)
    split = max(len(migrations) - last, 0) if last is not None else 0
    earlier, tested = migrations[:split], migrations[split:]
    with scratch_database(migrator.settings, shadow_url) as settings:
        scratch = Migrator(settings=settings)
        if earlier:
            scratch.replay(earlier)
        checks: list[MigrationCheck] = []
        for migration in tested:
            check = _stairway(scratch, migration)
            checks.append(check)
            if check.failed:
                break
    return VerifyReport(tuple(checks), tuple(m.label for m in earlier))


def _stairway(scratch: Migrator, migration: Migration) -> MigrationCheck:
    from rung.schema.diff import diff

    label, version = migration.label, migration.version
    text = migration.version_text
    step = "up"
    try:
        before = scratch.schema()
        scratch.up(target=version)
        after = scratch.schema()
        if not migration.has_down:
            return MigrationCheck(label, text, NOT_REVERSIBLE)
        step = "down"
        scratch.down(steps=1)
        changes = diff(before, scratch.schema())
        if changes:
            return MigrationCheck(label, text, DOWN_DIFFERS, tuple(changes))
        step = "second up"
        scratch.up(target=version)
        changes = diff(after, scratch.schema())
        if changes:
            return MigrationCheck(label, text, REDO_DIFFERS, tuple(changes))
    except MigrationFailed as exc:
        return MigrationCheck(label, text, FAILED, error=f"its {step}: {exc.message}")
    return MigrationCheck(label, text, OK)


def verify_error(report: VerifyReport) -> VerifyFailed:
    failure = report.failure
    assert failure is not None
    hint = {
        DOWN_DIFFERS: f"make the down section of {failure.label} undo exactly what its up does",
        REDO_DIFFERS: f"make the down section of {failure.label} undo exactly what its up does, "
        "so that the up can run again",
        FAILED: f"fix {failure.label} so that its up, down and up again all run",
    }[failure.outcome]
    return VerifyFailed(
        f"{failure.label}: {failure.summary}",
        details=[change.text for change in failure.changes],
        hint=hint,
    )
