"""MySQL and MariaDB through PyMySQL.

DDL commits implicitly, so migrations are not atomic here: the runner records progress
per statement instead. The lock is GET_LOCK on a connection of its own; it is released
when that connection closes, so a killed runner leaves no lock behind.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, ClassVar

import pymysql

from rung.config import DatabaseURL
from rung.dialects.base import Dialect, Lock


class MySQL(Dialect):
    name = "mysql"
    display_name = "MySQL"
    flavour = "mysql"
    transactional_ddl = False
    sqlalchemy_url = "mysql+pymysql://"
    begin_sql = "START TRANSACTION"
    id_column = "id BIGINT AUTO_INCREMENT PRIMARY KEY"
    timestamp_type = "DATETIME(6)"
    current_user_sql = "SELECT CURRENT_USER()"
    table_exists_sql = (
        "SELECT 1 FROM information_schema.tables"
        " WHERE table_schema = COALESCE(%s, DATABASE()) AND table_name = %s"
    )
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = (pymysql.MySQLError,)
    rollback_note = ""  # DDL is not transactional: the runner explains progress instead

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def connect(self, database: str | None = None) -> Any:
        url = self.url
        options: dict[str, Any] = {
            "host": url.host or "localhost",
            "port": url.port or 3306,
            "user": url.username or "root",
            "password": url.password or "",
            "database": database if database is not None else url.database,
            "charset": url.query.get("charset", "utf8mb4"),
            "autocommit": True,
            "connect_timeout": int(url.query.get("connect_timeout", 10)),
            "program_name": "rung",
        }
        if "unix_socket" in url.query:
            options["unix_socket"] = url.query["unix_socket"]
        try:
            return pymysql.connect(**options)
        except pymysql.MySQLError as exc:
            raise self.connection_failed(exc) from None

    @property
    def server_label(self) -> str:
        database, host = self.url.database or "(none)", self.url.host or "localhost"
        return f"{self.display_name} database {database} on {host}"

    def table_exists_params(self, table: str, schema: str | None) -> tuple[Any, ...]:
        return (schema, table)

    def error_message(self, exc: BaseException) -> str:
        if len(exc.args) >= 2 and isinstance(exc.args[0], int):
            return f"({exc.args[0]}) {exc.args[1]}"
        return str(exc).strip()

    def error_line(self, exc: BaseException, statement: str) -> int | None:
        match = re.search(r" at line (\d+)$", str(exc.args[-1]) if exc.args else "")
        return int(match.group(1)) - 1 if match else None

    def acquire_lock(self, key: str, timeout: float, on_wait: Callable[[str | None], None]) -> Lock:
        conn = self.connect()
        # GET_LOCK names are server-wide and at most 64 characters.
        scope = f"{conn.db.decode() if isinstance(conn.db, bytes) else conn.db}:{key}"
        name = "rung:" + hashlib.sha256(scope.encode()).hexdigest()[:40]

        def scalar(sql: str, *params: Any) -> Any:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                row = cur.fetchone()
                return row[0] if row else None

        def holder() -> str | None:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT id, user, host, time FROM information_schema.processlist"
                    " WHERE id = IS_USED_LOCK(%s)",
                    (name,),
                )
                row = cur.fetchone()
            if row is None:
                return None
            pid, user, host, seconds = row
            return f"connection {pid} (user {user}, from {host}, connected {seconds} s ago)"

        try:
            self._poll_lock(
                lambda: scalar("SELECT GET_LOCK(%s, 0)", name) == 1, holder, key, timeout, on_wait
            )
        except BaseException:
            conn.close()
            raise

        def release() -> None:
            try:
                scalar("SELECT RELEASE_LOCK(%s)", name)
            finally:
                conn.close()

        return Lock(release)

    def create_database(self, name: str) -> DatabaseURL:
        admin = self.connect(database="")
        try:
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {self.quote(name)}")
                cur.execute(f"CREATE DATABASE {self.quote(name)}")
        finally:
            admin.close()
        return self.url.with_database(name)

    def drop_database(self, name: str) -> None:
        admin = self.connect(database="")
        try:
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {self.quote(name)}")
        finally:
            admin.close()


class MariaDB(MySQL):
    name = "mariadb"
    display_name = "MariaDB"
