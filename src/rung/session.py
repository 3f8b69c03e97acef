"""A connection to the configured database, with its history table: what every verb opens.

Reading sessions connect read-only and never create anything; writing sessions hold the
migration lock and make sure the history table exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from rung import plan as planning
from rung.config import Settings, connection_hook
from rung.dialects import Dialect, connect
from rung.errors import ConfigError
from rung.history import LAYOUT, History
from rung.model import HistoryEvent, RunEvent


@contextmanager
def open_session(
    settings: Settings, on_event: Callable[[RunEvent], None], *, write: bool = False
) -> Iterator[tuple[Dialect, History]]:
    """Connected, and for writes holding the migration lock with the history table present."""
    hook = connection_hook(settings)
    dialect, conn = connect(settings.url(), lock_timeout=settings.lock_timeout, read_only=not write)
    lock = None
    try:
        if hook is not None:
            try:
                hook(conn, dialect.name)
            except Exception as exc:
                raise ConfigError(
                    f"the on_connect hook {settings.on_connect} raised {type(exc).__name__}: {exc}"
                ) from exc
        history = History(dialect, conn, settings.history_table, settings.history_schema)
        if write:
            lock = dialect.acquire_lock(
                history.lock_key,
                settings.lock_timeout,
                lambda holder: on_event(RunEvent("lock-wait", detail=holder)),
            )
            _ensure_table(dialect, history)
        yield dialect, history
    finally:
        if lock is not None:
            lock.release()
        with suppress(Exception):
            conn.close()


def events(history: History) -> list[HistoryEvent]:
    """Every event, oldest first; none before rung first wrote to this database."""
    if not history.exists():
        return []
    history.check_layout()
    return history.events()


def state(history: History) -> planning.HistoryState:
    return planning.derive(events(history))


@contextmanager
def transaction(dialect: Dialect, conn: Any) -> Iterator[None]:
    """Commit what the block does, or roll it all back if it raises."""
    dialect.begin(conn)
    try:
        yield
        dialect.commit(conn)
    except BaseException:
        dialect.rollback(conn)
        raise


def _ensure_table(dialect: Dialect, history: History) -> None:
    if history.exists():
        if history.layout() < LAYOUT:
            with transaction(dialect, history.conn):
                history.upgrade_layout()
        return
    with transaction(dialect, history.conn):
        if not history.exists():  # another runner may have created it meanwhile
            history.create()
