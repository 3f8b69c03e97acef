"""What every database dialect provides, and the defaults most of them share.

Implementer's checklist for a new dialect:
- declare the capabilities below (never probe the server by creating things);
- `connect()` returns a DB-API connection in autocommit mode: rung issues BEGIN/COMMIT
  itself, so that statements that cannot run in a transaction can run outside one;
- `acquire_lock()` holds a lock that dies with its session, on a connection of its own
  that is never inside a transaction;
- the history table's column types, `table_exists_sql`, `current_user_sql`;
- `error_message()` extracts the server's own words from a driver exception;
- `create_database()` / `drop_database()` for scratch databases (tests, drift checks).
- `fingerprint_sql`, one catalog query describing each schema object (`rung.fingerprint`),
  and where the catalog allows, `fingerprint_key_sql`, a cheap one that tells it unchanged.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from rung.config import DatabaseURL, redact
from rung.errors import ConnectError, LockTimeout

LOCK_POLL_SECONDS = 0.2


class Lock:
    """A held migration lock. `release()` is safe to call twice."""

    def __init__(self, release: Callable[[], None] | None = None) -> None:
        self._release = release

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


class Dialect:
    name: ClassVar[str] = "base"
    display_name: ClassVar[str] = "database"
    flavour: ClassVar[str] = "generic"  # statement splitter flavour
    transactional_ddl: ClassVar[bool] = True
    # True where the lock is the database's own write lock, taken per transaction (SQLite):
    # the runner then re-checks the history inside each migration's transaction.
    lock_per_transaction: ClassVar[bool] = False
    placeholder: ClassVar[str] = "%s"
    # Most parameters one statement may carry (None: no limit): long INSERTs are split.
    max_parameters: ClassVar[int | None] = 999
    sqlalchemy_url: ClassVar[str] = ""  # dialect+driver part, for Python migrations
    begin_sql: ClassVar[str] = "BEGIN"
    id_column: ClassVar[str] = "id INTEGER PRIMARY KEY"
    timestamp_type: ClassVar[str] = "TIMESTAMP"
    current_user_sql: ClassVar[str | None] = None
    table_exists_sql: ClassVar[str] = ""
    # One catalog query: rows of (kind, name, definition) for each object of the migrated
    # schema (an object may span rows, each with its own position); it must leave out what
    # changes by itself (statistics, counters, row counts). None: no schema fingerprints.
    fingerprint_sql: ClassVar[str | None] = None
    # One value that changes whenever an object `fingerprint_sql` describes may have changed,
    # much cheaper to compute (a summary of the catalog's row versions): an equal value
    # spares the full query. NULL where it cannot vouch for the schema right now. A change
    # that leaves the schema as it was may change it too: that only costs the full query.
    fingerprint_key_sql: ClassVar[str | None] = None
    # Driver exceptions that mean "the statement failed" (as opposed to a bug in rung).
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    # Statements the server refuses inside a transaction block (matched at their start).
    outside_transaction_only: ClassVar[re.Pattern[str] | None] = None
    # Tells the user what a failure mid-way leaves behind on this database.
    rollback_note: ClassVar[str] = (
        "{db} rolled the migration back; only a failed event was recorded."
    )

    def __init__(self, url: DatabaseURL, *, lock_timeout: float = 60.0) -> None:
        self.url = url
        self.lock_timeout = lock_timeout

    # -- connections -----------------------------------------------------------------
    def connect(self, *, read_only: bool = False) -> Any:
        """A DB-API connection in autocommit mode. `read_only`: the caller will not write,
        so nothing (such as a database file) need be created for it."""
        raise NotImplementedError

    def connection_failed(self, exc: BaseException) -> ConnectError:
        message = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
        return ConnectError(
            f"cannot connect to {self.display_name} at {self.url.redacted}: {message}",
            hint="check that the server is running and reachable, and the user, password and "
            "database name in the URL",
        )

    @property
    def server_label(self) -> str:
        return self.url.redacted

    # -- SQL helpers ---------------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def quote_literal(self, value: str, conn: Any = None) -> str:
        """`value` as a string literal that reads back as exactly `value`; `conn` is the
        session it will run in, where a setting changes how strings are read."""
        return "'" + value.replace("'", "''") + "'"

    @property
    def database_name(self) -> str | None:
        """The database's name as SQL refers to it (the `${rung:database}` placeholder)."""
        return self.url.database

    def qualified(self, table: str, schema: str | None) -> str:
        return f"{self.quote(schema)}.{self.quote(table)}" if schema else self.quote(table)

    def current_user(self, conn: Any) -> str | None:
        if not self.current_user_sql:
            return None
        cur = conn.cursor()
        cur.execute(self.current_user_sql)
        row = cur.fetchone()
        return str(row[0]) if row and row[0] is not None else None

    def table_exists(self, conn: Any, table: str, schema: str | None) -> bool:
        cur = conn.cursor()
        cur.execute(self.table_exists_sql, self.table_exists_params(table, schema))
        return cur.fetchone() is not None

    def table_exists_params(self, table: str, schema: str | None) -> tuple[Any, ...]:
        return (table,)

    def to_db_time(self, moment: datetime) -> Any:
        return moment

    def from_db_time(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def error_message(self, exc: BaseException) -> str:
        return str(exc).strip()

    def is_statement_error(self, exc: BaseException) -> bool:
        return isinstance(exc, self.driver_errors)

    def error_line(self, exc: BaseException, statement: str) -> int | None:
        """0-based line within `statement` where the server says the error is, if it says."""
        return None

    def cannot_run_in_transaction(self, statement: str) -> str | None:
        """Why `statement` cannot run inside a transaction block, if it cannot."""
        match = (
            self.outside_transaction_only.match(statement)
            if self.outside_transaction_only
            else None
        )
        return (
            f"{' '.join(match.group(0).split()).upper()} cannot run inside a transaction"
            if match
            else None
        )

    def explain_failure(self, exc: BaseException) -> str | None:
        """Advice for failures whose cause is a server setting, not the migration."""
        return None

    # -- statements and transactions --------------------------------------------------------
    def execute(
        self, conn: Any, statements: Sequence[str | tuple[str, Any]], *, begin: bool = False
    ) -> None:
        """Run the statements (texts, or texts with their parameters) in order, after opening
        a transaction when `begin`; several at once only in a transaction, which they may be
        sent in together. Their results are read and dropped. A failure raises the driver's
        error with `rung_index`, the failed statement's position in `statements` (None where
        the driver cannot tell); those after it do not run."""
        if begin:
            self.begin(conn)
        for index, statement in enumerate(statements):
            args = (statement,) if isinstance(statement, str) else statement
            cur = conn.cursor()
            try:
                cur.execute(*args)
                if cur.description is not None:
                    cur.fetchall()  # SELECTs in migrations; MySQL needs the results read
            except BaseException as exc:
                exc.rung_index = index  # type: ignore[attr-defined]
                raise
            finally:
                cur.close()

    def data_version(self, conn: Any) -> object:
        """A value that changes whenever another connection commits a change to the database
        (where `lock_per_transaction`), or None where the database cannot tell."""
        return None

    def begin(self, conn: Any) -> None:
        conn.cursor().execute(self.begin_sql)

    def commit(self, conn: Any) -> None:
        conn.cursor().execute("COMMIT")

    def rollback(self, conn: Any) -> None:
        conn.cursor().execute("ROLLBACK")

    def sqlalchemy_connection(self, conn: Any) -> Any:
        """A SQLAlchemy Connection on `conn`, inside rung's transaction (Python migrations)."""
        if getattr(self, "_sa_engine", None) is None or self._sa_raw is not conn:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import StaticPool

            self._sa_raw = conn
            engine = create_engine(
                self.sqlalchemy_url,
                creator=lambda: conn,
                poolclass=StaticPool,
                pool_reset_on_return=None,
            )
            # rung alone ends its transaction: SQLAlchemy's commit and rollback do nothing here.
            engine.dialect.do_commit = lambda dbapi_connection: None
            engine.dialect.do_rollback = lambda dbapi_connection: None
            engine.dialect.do_close = lambda dbapi_connection: None
            self._sa_engine = engine
        return self._sa_engine.connect()

    # -- locking ---------------------------------------------------------------------------
    def acquire_lock(self, key: str, timeout: float, on_wait: Callable[[str | None], None]) -> Lock:
        """Hold the migration lock named `key`, waiting at most `timeout` seconds."""
        return Lock()

    def _poll_lock(
        self,
        try_lock: Callable[[], bool],
        holder: Callable[[], str | None],
        key: str,
        timeout: float,
        on_wait: Callable[[str | None], None],
    ) -> None:
        deadline = time.monotonic() + timeout
        told = False
        while not try_lock():
            who = holder()
            if not told:
                on_wait(who)
                told = True
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"another rung has held the migration lock on {self.server_label} "
                    f"for more than {timeout:g} s" + (f": {who}" if who else ""),
                    hint="wait for it to finish, or raise --lock-timeout; the lock is released "
                    "when its holder's connection closes",
                )
            time.sleep(LOCK_POLL_SECONDS)

    # -- scratch databases (tests, drift checks) -------------------------------------------
    def create_database(self, name: str) -> DatabaseURL:
        raise NotImplementedError

    def drop_database(self, name: str) -> None:
        raise NotImplementedError

    def clone_database(self, source_name: str, target_name: str) -> DatabaseURL:
        """A new database `target_name` holding a copy of the scratch database `source_name`
        (schema, data, rung's history): how the pytest plugin hands each test a migrated one."""
        raise NotImplementedError


def utcnow() -> datetime:
    return datetime.now(UTC)
