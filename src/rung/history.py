"""The history table: an append-only log of every run, read and written through DB-API.

The table versions its own layout with `layout` events, so a later rung can change it
and an older rung refuses, rather than misreads, a table it does not understand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rung import __version__
from rung.dialects import Dialect
from rung.errors import IncompatibleHistory
from rung.model import HistoryEvent, history_version
from rung.source import CHECKSUM_VERSION

# 1: migrations' apply/rollback/baseline/repair events.
# 2: also repeatable runs (version 'repeatable'), `adopt` and `fingerprint` events, which
#    a layout-1 reader would misread; rung marks a table 2 when it first writes to it.
LAYOUT = 2

_COLUMNS = (
    "id",
    "version",
    "name",
    "event",
    "outcome",
    "checksum",
    "checksum_version",
    "sql_checksum",
    "statements_done",
    "statement_hashes",
    "error",
    "started_at",
    "duration_ms",
    "db_user",
    "os_user",
    "host",
    "rung_version",
)


def _audit_names() -> tuple[str | None, str]:
    """The OS user and host recorded with each event (imported when rung first writes)."""
    import getpass
    import socket

    try:
        user: str | None = getpass.getuser()
    except Exception:  # no user name in a container without /etc/passwd entry
        user = None
    return user, socket.gethostname()


class History:
    def __init__(self, dialect: Dialect, conn: Any, table: str, schema: str | None = None) -> None:
        self.dialect = dialect
        self.conn = conn
        self.table = table
        self.schema = schema
        self.name = dialect.qualified(table, schema)
        self._audit: tuple[str | None, str | None, str] | None = None
        self._layout: int | None = None

    @property
    def lock_key(self) -> str:
        return f"rung:{self.schema or ''}.{self.table}"

    def exists(self) -> bool:
        return self.dialect.table_exists(self.conn, self.table, self.schema)

    def create(self) -> None:
        """Create the table and record its layout (caller holds the lock or a transaction)."""
        d = self.dialect
        self._execute(
            f"CREATE TABLE IF NOT EXISTS {self.name} ("
            f"{d.id_column}, version VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL,"
            " event VARCHAR(16) NOT NULL, outcome VARCHAR(16) NOT NULL, checksum VARCHAR(64),"
            " checksum_version INTEGER NOT NULL, sql_checksum VARCHAR(64),"
            " statements_done INTEGER, statement_hashes TEXT, error TEXT,"
            f" started_at {d.timestamp_type} NOT NULL, duration_ms INTEGER,"
            " db_user VARCHAR(255), os_user VARCHAR(255), host VARCHAR(255),"
            " rung_version VARCHAR(32))"
        )
        self.record(str(LAYOUT), "rung history layout", "layout", "success")
        self._layout = LAYOUT

    def layout(self) -> int:
        """The newest layout recorded in the table (read once per History)."""
        if self._layout is None:
            rows = self._query(f"SELECT version FROM {self.name} WHERE event = 'layout'")
            self._layout = max((int(row[0]) for row in rows), default=1)
        return self._layout

    def check_layout(self) -> None:
        newest = self.layout()
        if newest > LAYOUT:
            raise IncompatibleHistory(
                f"the history table {self.table} has layout {newest}, written by a newer rung;"
                f" this rung ({__version__}) understands layout {LAYOUT} and older",
                hint="upgrade rung (pip install -U rung) before running it on this database",
            )

    def upgrade_layout(self) -> None:
        """Mark an older table as this layout before writing to it (caller holds the lock),
        so that an older rung refuses it instead of misreading the new kinds of event."""
        self.check_layout()
        if self.layout() < LAYOUT:
            self.record(str(LAYOUT), "rung history layout", "layout", "success")
            self._layout = LAYOUT

    def events(self, after_id: int = 0) -> list[HistoryEvent]:
        p = self.dialect.placeholder
        # Layout and fingerprint events describe the table and the schema, not migrations.
        rows = self._query(
            f"SELECT {', '.join(_COLUMNS)} FROM {self.name}"
            f" WHERE id > {p} AND event NOT IN ('layout', 'fingerprint') ORDER BY id",
            (after_id,),
        )
        from_db_time = self.dialect.from_db_time
        return [
            HistoryEvent(
                id=int(row[0]),
                version=history_version(row[1]),
                version_text=row[1],
                name=row[2],
                event=row[3],
                outcome=row[4],
                checksum=row[5],
                checksum_version=int(row[6]),
                sql_checksum=row[7],
                statements_done=row[8],
                statement_hashes=tuple(row[9].split()) if row[9] else (),
                error=row[10],
                started_at=from_db_time(row[11]),
                duration_ms=row[12],
                db_user=row[13],
                os_user=row[14],
                host=row[15],
                rung_version=row[16],
            )
            for row in rows
        ]

    def record(self, version: str, name: str, event: str, outcome: str, **fields: Any) -> None:
        """Append one event; `fields` are those of `row`."""
        self.append(self.row(version, name, event, outcome, **fields))

    def row(
        self,
        version: str,
        name: str,
        event: str,
        outcome: str,
        *,
        checksum: str | None = None,
        sql_checksum: str | None = None,
        statements_done: int | None = None,
        statement_hashes: tuple[str, ...] = (),
        error: str | None = None,
        started_at: datetime | None = None,
        duration_ms: int | None = None,
    ) -> tuple[Any, ...]:
        """The values of one event, audit columns included, ready for `append`."""
        if self._audit is None:
            self._audit = (self.dialect.current_user(self.conn), *_audit_names())
        db_user, os_user, host = self._audit
        from rung.dialects.base import utcnow

        return (
            version,
            name,
            event,
            outcome,
            checksum,
            CHECKSUM_VERSION,
            sql_checksum,
            statements_done,
            " ".join(statement_hashes) or None,
            error,
            self.dialect.to_db_time(started_at or utcnow()),
            duration_ms,
            db_user,
            os_user,
            host,
            __version__,
        )

    def append(self, *rows: tuple[Any, ...]) -> None:
        """Append events in one statement (where each statement commits, one commit for all),
        or in as few as the driver's limit on parameters allows."""
        for sql, params in self.inserts(rows):
            self._execute(sql, params)

    def inserts(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[str, tuple[Any, ...]]]:
        """The INSERT statements, with their parameters, that append `rows`."""
        width = len(_COLUMNS) - 1
        limit = self.dialect.max_parameters
        size = max(limit // width, 1) if limit else max(len(rows), 1)
        group = f"({', '.join([self.dialect.placeholder] * width)})"
        head = f"INSERT INTO {self.name} ({', '.join(_COLUMNS[1:])}) VALUES "
        chunks = (rows[start : start + size] for start in range(0, len(rows), size))
        return [
            (head + ", ".join([group] * len(chunk)), tuple(value for row in chunk for value in row))
            for chunk in chunks
        ]

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params)
        finally:
            cur.close()

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchall()
        finally:
            cur.close()
