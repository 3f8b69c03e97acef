"""Executes a plan: transactions, statements, history events. The only code that changes a database.

The caller holds the migration lock (or, where the lock is per transaction, the runner
re-checks the history inside each migration's transaction).
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from rung.dialects import Dialect
from rung.errors import Interrupted, MigrationFailed
from rung.history import History
from rung.model import REPEATABLE, PlanStep, RunEvent, Statement, Version
from rung.sqlsplit import is_transaction_control, normalize


def sql_checksum(text: str, flavour: str) -> str:
    """Checksum of a script's SQL, blind to comments, whitespace and line endings."""
    return hashlib.sha256(normalize(text, flavour).encode()).hexdigest()


def statement_hash(text: str, flavour: str) -> str:
    """A committed statement's short fingerprint, to check it is unchanged on resume."""
    return sql_checksum(text, flavour)[:16]


@dataclass
class _Prepared:
    step: PlanStep
    statements: Sequence[Statement]  # empty for Python migrations
    transactional: bool
    sql_checksum: str | None


class Runner:
    def __init__(
        self,
        dialect: Dialect,
        conn: Any,
        history: History,
        emit: Callable[[RunEvent], None],
        *,
        seen_id: int = 0,
        placeholders: Mapping[str, str] | None = None,
    ) -> None:
        self.dialect = dialect
        self.conn = conn
        self.history = history
        self.emit = emit
        self.seen_id = seen_id  # newest history event this runner has accounted for
        self.placeholders = placeholders or {}  # Python migrations read conn.info["placeholders"]
        self.interrupts = _Interrupts()
        # Newest event seen per version (per name for repeatables): event, outcome, checksum.
        self.latest: dict[object, tuple[str, str, str | None]] = {}
        self._announced: _Prepared | None = None  # whose `running` event is already written
        self._data_version: object = None  # `Dialect.data_version` when the history was read

    def prepare(self, step: PlanStep, statements: Sequence[Statement]) -> _Prepared:
        migration = step.migration
        script = migration.up if step.direction == "up" else migration.down
        own_transaction = any(is_transaction_control(s.text) for s in statements)
        transactional = (
            self.dialect.transactional_ddl
            and (script is None or script.transactional)
            and not own_transaction
        )
        checksum = sql_checksum(script.text, self.dialect.flavour) if script else None
        return _Prepared(step, statements, transactional, checksum)

    def run(self, prepared: Sequence[_Prepared], *, single_transaction: bool = False) -> None:
        with self.interrupts:
            if single_transaction:
                self._run_batch(prepared)
                return
            for index, item in enumerate(prepared):
                if item.transactional:
                    self.interrupts.check()
                    self._run_transactional(item)
                else:
                    following = prepared[index + 1] if index + 1 < len(prepared) else None
                    self._run_in_steps(
                        item, following if following and not following.transactional else None
                    )

    # -- one migration in one transaction ---------------------------------------------------
    def _run_transactional(self, item: _Prepared) -> None:
        step = item.step
        # Where the lock comes with the transaction, begin before looking at the history;
        # elsewhere BEGIN goes with the statements.
        if self.dialect.lock_per_transaction:
            self.dialect.begin(self.conn)
        started = time.time()
        try:
            if self.dialect.lock_per_transaction and self._done_elsewhere(step):
                self.dialect.rollback(self.conn)
                self.emit(
                    RunEvent(
                        "skipped",
                        step.direction,
                        step.migration,
                        detail="already done by another runner",
                    )
                )
                return
            self.emit(RunEvent("start", step.direction, step.migration))
            with self.interrupts.immediate():  # a transaction can be abandoned at any point
                self._execute(item, item.statements, begin=not self.dialect.lock_per_transaction)
            self.interrupts.check()
            duration = _ms(started)
            self._commit(self._success_row(item, started, duration))
        except BaseException as exc:
            self._safe_rollback()
            self._record_failure(item, started, 0, exc)
            raise self._failure(item, exc, committed=0, batch=False) from _cause(exc)
        self.emit(RunEvent("done", step.direction, step.migration, duration))

    # -- a whole batch in one transaction -----------------------------------------------------
    def _run_batch(self, prepared: Sequence[_Prepared]) -> None:
        done: list[tuple[_Prepared, int]] = []
        rows: list[tuple[Any, ...]] = []  # their success events, written before the commit
        current: _Prepared | None = None
        started = time.time()
        try:
            for item in prepared:
                current = item
                started = time.time()
                self.emit(RunEvent("start", item.step.direction, item.step.migration))
                with self.interrupts.immediate():
                    self._execute(item, item.statements, begin=not done)
                duration = _ms(started)
                rows.append(self._success_row(item, started, duration))
                done.append((item, duration))
            self.interrupts.check()
            self._commit(*rows)
        except BaseException as exc:
            self._safe_rollback()
            if current is not None:
                self._record_failure(current, started, 0, exc)
                raise self._failure(current, exc, committed=0, batch=True) from _cause(exc)
            raise
        for item, duration in done:
            self.emit(RunEvent("done", item.step.direction, item.step.migration, duration))

    def _commit(self, *rows: tuple[Any, ...]) -> None:
        """Write the success events and commit (in one round trip where the database takes
        statements together)."""
        self.dialect.execute(self.conn, [*self.history.inserts(rows), "COMMIT"])

    # -- a migration the database cannot run atomically: progress per statement --------------
    def _run_in_steps(self, item: _Prepared, following: _Prepared | None) -> None:
        """Run statement by statement, recording where it got to.

        A `running` event goes first, so that a killed run is seen as such. It is written
        with the previous migration's success event when there was one: each insert
        commits here, and one commit per migration is what the database's own client pays.
        """
        step = item.step
        started = time.time()
        if self._announced is not item:
            self.history.append(self._running_row(item, started))
        self.emit(RunEvent("start", step.direction, step.migration))
        committed = step.resume_from
        in_own_transaction = False
        try:
            self.interrupts.check()  # its running event is written: a stop here is recorded
            if step.migration.kind == "python":  # its data changes at least can be atomic
                with self.interrupts.immediate():
                    self._execute(item, (), begin=True)
                self.dialect.commit(self.conn)
            # Ctrl-C lets the running statement finish, so the progress recorded is exact.
            for index in range(step.resume_from, len(item.statements)):
                statement = item.statements[index]
                self._send([statement])
                if is_transaction_control(statement.text):
                    in_own_transaction = statement.text.split()[0].upper() in ("BEGIN", "START")
                if not in_own_transaction:
                    committed = index + 1
                self.interrupts.check()
        except BaseException as exc:
            self._safe_rollback()
            self._record_failure(item, started, committed, exc)
            raise self._failure(item, exc, committed=committed, batch=False) from _cause(exc)
        duration = _ms(started)
        rows = [self._success_row(item, started, duration)]
        if following is not None:
            rows.append(self._running_row(following, time.time()))
        self.history.append(*rows)
        self._announced = following
        resumed = f"resumed at statement {step.resume_from + 1}" if step.resume_from else None
        self.emit(RunEvent("done", step.direction, step.migration, duration, resumed))

    # -- pieces ----------------------------------------------------------------------------
    def _execute(
        self, item: _Prepared, statements: Sequence[Statement], *, begin: bool = False
    ) -> None:
        """Run the step's statements (or its Python function); `begin` opens the transaction
        first (in the same round trip where the database takes statements together)."""
        if item.step.migration.kind == "python":
            if begin:
                self.dialect.begin(self.conn)
            from rung.source.python import migration_function

            function = migration_function(item.step.migration, item.step.direction)
            with self.dialect.sqlalchemy_connection(self.conn) as conn:
                conn.info["placeholders"] = self.placeholders
                function(conn)
            return
        pending = statements[item.step.resume_from :]
        if item.transactional or begin:  # in one transaction: they may go together
            self._send(pending, begin=begin)
        else:  # each as the database runs it
            for statement in pending:
                self._send([statement])

    def _send(self, statements: Sequence[Statement], *, begin: bool = False) -> None:
        """`Dialect.execute` on the statements; a failure names its statement."""
        try:
            self.dialect.execute(self.conn, [s.text for s in statements], begin=begin)
        except BaseException as exc:
            index = getattr(exc, "rung_index", None)
            if index is not None:
                exc.rung_statement = statements[index]  # type: ignore[attr-defined]
            raise

    def run_unrecorded(self, item: _Prepared, *, rollback: bool) -> str | None:
        """Run a prepared step and record nothing (`rung verify`'s second up): in a transaction
        rolled back afterwards, or as the database runs it. Why it failed, or None."""
        try:
            self._execute(item, item.statements, begin=rollback)
        except Exception as exc:
            statement = getattr(exc, "rung_statement", None)
            where = f"line {statement.line}: " if statement is not None else ""
            cause = getattr(exc, "orig", None)  # the driver's error, in a Python migration
            reason = self._describe(cause if isinstance(cause, Exception) else exc).strip()
            return where + (reason.splitlines() or [""])[0]
        finally:
            if rollback:
                self._safe_rollback()
        return None

    def _done_elsewhere(self, step: PlanStep) -> bool:
        """Under SQLite's write lock: did another runner apply (or roll back) this meanwhile?"""
        version = self.dialect.data_version(self.conn)
        # Read what others wrote, unless no other connection has written since last time.
        if version is None or version != self._data_version:
            self._data_version = version
            for event in self.history.events(after_id=self.seen_id):
                self.seen_id = max(self.seen_id, event.id)
                self.latest[_subject(event.version, event.name)] = (
                    event.event,
                    event.outcome,
                    event.checksum,
                )
        m = step.migration
        latest = self.latest.get(_subject(m.version, m.name))
        if latest is None or latest[:2] != (_event(step), "success"):
            return False
        return not m.repeatable or latest[2] == m.checksum  # a repeatable: this very file

    def _success_row(self, item: _Prepared, started: float, duration: int) -> tuple[Any, ...]:
        step = item.step
        m = step.migration
        return self.history.row(
            m.version_text,
            m.name,
            _event(step),
            "success",
            checksum=m.checksum,
            sql_checksum=item.sql_checksum if step.direction == "up" else None,
            started_at=_utc(started),
            duration_ms=duration,
        )

    def _running_row(self, item: _Prepared, started: float) -> tuple[Any, ...]:
        m = item.step.migration
        return self.history.row(
            m.version_text, m.name, _event(item.step), "running", started_at=_utc(started)
        )

    def _record_failure(
        self, item: _Prepared, started: float, committed: int, exc: BaseException
    ) -> None:
        step = item.step
        m = step.migration
        hashes = tuple(
            statement_hash(s.text, self.dialect.flavour) for s in item.statements[:committed]
        )
        with suppress(Exception):  # the connection may be gone; the error raised says what failed
            self.history.record(
                m.version_text,
                m.name,
                _event(step),
                "failed",
                checksum=m.checksum,
                statements_done=committed,
                statement_hashes=hashes,
                error=self._describe(exc),
                started_at=_utc(started),
                duration_ms=_ms(started),
            )

    def _safe_rollback(self) -> None:
        with suppress(Exception):
            self.dialect.rollback(self.conn)

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, KeyboardInterrupt):
            return "interrupted (Ctrl-C)"
        if self.dialect.is_statement_error(exc):
            return self.dialect.error_message(exc)
        return f"{type(exc).__name__}: {exc}"

    def _failure(
        self, item: _Prepared, exc: BaseException, *, committed: int, batch: bool
    ) -> Exception:
        from rung.failure import explain_failure

        if isinstance(exc, MigrationFailed | Interrupted) or not isinstance(
            exc, Exception | KeyboardInterrupt
        ):
            return exc  # type: ignore[return-value]
        return explain_failure(
            self.dialect,
            item.step,
            item.statements,
            item.transactional,
            exc,
            committed=committed,
            batch=batch,
            reason=self._describe(exc),
        )


_EVENT = {"up": "apply", "down": "rollback"}


def _event(step: PlanStep) -> str:
    """The history event of a step: a baseline file's run is recorded as the baseline."""
    return "baseline" if step.migration.baseline else _EVENT[step.direction]


def _subject(version: Version, name: str) -> object:
    """What a history event is about: its version, or a repeatable's name (no version)."""
    return version or (REPEATABLE, name)


def _ms(started: float) -> int:
    return int((time.time() - started) * 1000)


def _utc(moment: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment, UTC)


def _cause(exc: BaseException) -> BaseException | None:
    return None if isinstance(exc, KeyboardInterrupt) else exc


class _Interrupts:
    """Ctrl-C handling during a run.

    Outside `immediate()` blocks a first Ctrl-C is held until the next `check()`, so that
    history writes and commits are never cut in half; a second Ctrl-C stops at once.
    """

    def __init__(self) -> None:
        self.pending = False
        self._immediate = False
        self._previous: Any = None

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handler(self, signum: int, frame: Any) -> None:
        if self._immediate or self.pending:
            raise KeyboardInterrupt
        self.pending = True

    @contextmanager
    def immediate(self) -> Iterator[None]:
        if self.pending:
            raise KeyboardInterrupt
        self._immediate = True
        try:
            yield
        finally:
            self._immediate = False

    def check(self) -> None:
        if self.pending:
            raise KeyboardInterrupt
