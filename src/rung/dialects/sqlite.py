"""SQLite through the standard library's sqlite3.

Transactional DDL; the lock is SQLite's own write lock, taken per migration with
BEGIN IMMEDIATE and waited for up to the lock timeout (the busy timeout).
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rung.config import DatabaseURL, parse_url
from rung.dialects.base import Dialect
from rung.errors import ConnectError, LockTimeout

# A table's definition is its CREATE TABLE text (its CHECK constraints live nowhere else);
# its columns are listed on their own too, so that the change is named. SQLite's own
# tables (sqlite_sequence, sqlite_stat1) and automatic indexes are left out.
_FINGERPRINT_SQL = """
SELECT 'table', name, sql FROM sqlite_master
WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_'
UNION ALL
SELECT 'column', m.name || '.' || p.name,
    p.type || ' ' || p."notnull" || ' ' || p.pk || ' ' || p.hidden
    || coalesce(' default ' || p.dflt_value, '')
FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name) AS p
WHERE m.type = 'table' AND substr(m.name, 1, 7) <> 'sqlite_'
UNION ALL
SELECT type, tbl_name || '.' || name, sql FROM sqlite_master
WHERE type IN ('index', 'trigger') AND sql IS NOT NULL
UNION ALL
SELECT 'view', name, sql FROM sqlite_master WHERE type = 'view'
"""


class SQLite(Dialect):
    name = "sqlite"
    display_name = "SQLite"
    flavour = "sqlite"
    transactional_ddl = True
    lock_per_transaction = True
    placeholder = "?"
    # SQLITE_MAX_VARIABLE_NUMBER: 32766 since SQLite 3.32, 999 before.
    max_parameters = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
    sqlalchemy_url = "sqlite://"
    begin_sql = "BEGIN IMMEDIATE"
    id_column = "id INTEGER PRIMARY KEY AUTOINCREMENT"
    timestamp_type = "TEXT"
    table_exists_sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    fingerprint_sql = _FINGERPRINT_SQL
    # SQLite counts every change of the schema in the file's header.
    fingerprint_key_sql = "SELECT schema_version FROM pragma_schema_version"
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = (sqlite3.Error,)
    outside_transaction_only = re.compile(r"VACUUM\b", re.IGNORECASE)
    rollback_note = "SQLite rolled the migration back; only a failed event was recorded."

    @property
    def path(self) -> str:
        assert self.url.path is not None
        return self.url.path

    def connect(self, *, read_only: bool = False) -> Any:
        path = self.path
        if path != ":memory:" and not Path(path).parent.is_dir():
            raise ConnectError(
                f"cannot open SQLite database {path}: folder {Path(path).parent} does not exist",
                hint="create the folder, or fix the path in the database URL",
            )
        if read_only and path != ":memory:" and not Path(path).exists():
            path = ":memory:"  # a file not made yet is an empty database; reading must not make it
        try:
            conn = sqlite3.connect(path, timeout=self.lock_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise self.connection_failed(exc) from None
        return conn

    def begin(self, conn: Any) -> None:
        try:
            conn.execute(self.begin_sql)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            raise LockTimeout(
                f"{self.path} stayed locked by another writer for more than "
                f"{self.lock_timeout:g} s",
                hint="wait for the other writer to finish, or raise --lock-timeout",
            ) from None

    def data_version(self, conn: Any) -> object:
        # The connection's own commits leave it as it is.
        return conn.execute("PRAGMA data_version").fetchone()[0]

    @property
    def server_label(self) -> str:
        return self.path

    @property
    def database_name(self) -> str | None:
        return "main"  # what SQL calls the connected file: main.users

    def to_db_time(self, moment: datetime) -> Any:
        return moment.isoformat()

    def create_database(self, name: str) -> DatabaseURL:
        folder = Path(self.path).parent if self.path != ":memory:" else Path.cwd()
        target = folder / f"{name}.db"
        target.unlink(missing_ok=True)
        return parse_url(f"sqlite:///{target}")

    def drop_database(self, name: str) -> None:
        folder = Path(self.path).parent if self.path != ":memory:" else Path.cwd()
        for suffix in ("", "-journal", "-wal", "-shm"):
            (folder / f"{name}.db{suffix}").unlink(missing_ok=True)

    def clone_database(self, source_name: str, target_name: str) -> DatabaseURL:
        folder = Path(self.path).parent if self.path != ":memory:" else Path.cwd()
        target = folder / f"{target_name}.db"
        self.drop_database(target_name)
        # The backup API copies a consistent snapshot, whatever the journal mode.
        source = closing(sqlite3.connect(folder / f"{source_name}.db"))
        with source as original, closing(sqlite3.connect(target)) as copy:
            original.backup(copy)
        return parse_url(f"sqlite:///{target}")
