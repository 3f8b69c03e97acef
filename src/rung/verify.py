"""The stairway test, on a scratch database: each migration goes up, down (the schema must
be exactly as before the up) and up again (the schema must be as after the first up).

Right after its first up, each migration's up also runs a second time, where that leaves no
trace: in a transaction rolled back afterwards, or, where DDL commits by itself (MySQL,
MariaDB, `-- rung:no-transaction`), on a copy of the scratch database. An up that fails
then is not idempotent: information, not a failure.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rung.errors import MigrationFailed, RequestRefused, VerifyFailed
from rung.model import Migration

if TYPE_CHECKING:
    from rung.api import Migrator
    from rung.config import Settings
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
    idempotent: bool | None = None  # does its up run a second time? None: not tried
    second_up_error: str | None = None  # why the second up failed, or why it was not tried

    @property
    def failed(self) -> bool:
        return self.outcome in _FAILURES

    @property
    def idempotency_note(self) -> str | None:
        """Information on the second up, when there is something to say."""
        if self.idempotent is False:
            return f"not idempotent: its up fails when run a second time: {self.second_up_error}"
        if self.idempotent is None and self.second_up_error:
            return f"idempotency not checked: {self.second_up_error}"
        return None

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

    # A baseline file stands in for migrations on an empty database only: not a stair.
    found = [m for m in migrator.migrations() if not m.baseline]
    migrations = sorted(found, key=lambda m: m.version)
    split = max(len(migrations) - last, 0) if last is not None else 0
    earlier, tested = migrations[:split], migrations[split:]
    with scratch_database(migrator.settings, shadow_url) as settings:
        scratch = Migrator(settings=replace(settings, fingerprint=False))
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

    version = migration.version
    again: tuple[bool | None, str | None] = (None, None)

    def check(
        outcome: str, changes: list[Change] | None = None, error: str | None = None
    ) -> MigrationCheck:
        return MigrationCheck(
            migration.label, migration.version_text, outcome, tuple(changes or ()), error, *again
        )

    step = "up"
    try:
        before = scratch.schema()
        scratch.up(target=version)
        after = scratch.schema()
        again = _run_again(scratch, migration)
        if not migration.has_down:
            return check(NOT_REVERSIBLE)
        step = "down"
        scratch.down(steps=1)
        changes = diff(before, scratch.schema())
        if changes:
            return check(DOWN_DIFFERS, changes)
        step = "second up"
        scratch.up(target=version)
        changes = diff(after, scratch.schema())
        if changes:
            return check(REDO_DIFFERS, changes)
    except MigrationFailed as exc:
        return check(FAILED, error=f"its {step}: {exc.message}")
    return check(OK)


def _run_again(scratch: Migrator, migration: Migration) -> tuple[bool | None, str | None]:
    """Run the up a second time, leaving no trace: (idempotent, why not or why not tried)."""
    try:
        error = scratch.rerun(migration)
    except RequestRefused:  # it cannot be rolled back: run it on a copy
        return _run_again_on_a_copy(scratch.settings, migration)
    return error is None, error


def _run_again_on_a_copy(
    settings: Settings, migration: Migration
) -> tuple[bool | None, str | None]:
    from rung.api import Migrator
    from rung.config import redact
    from rung.dialects import dialect_for
    from rung.scratch import scratch_name

    url = settings.url()
    if url.database is None:
        return None, "it runs outside a transaction, on a database file rung does not copy"
    admin = dialect_for(url, lock_timeout=settings.lock_timeout)
    name = scratch_name(url.database)
    try:
        copy = admin.clone_database(url.database, name)
    except Exception as exc:  # no privilege to create databases beside a shadow database, ...
        with suppress(Exception):
            admin.drop_database(name)
        reason = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
        return (
            None,
            f"it runs outside a transaction and the scratch database could not be copied: {reason}",
        )
    try:
        error = Migrator(settings=replace(settings, database=copy.text)).rerun(
            migration, rollback=False
        )
    finally:
        admin.drop_database(name)
    return error is None, error


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
