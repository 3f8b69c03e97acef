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

# The connected database only. Statistics (cardinality, row counts, AUTO_INCREMENT counters,
# times) are left out: they change by themselves. No joins between information_schema
# views: MariaDB evaluates them row by row (a foreign key's columns and its rules are two
# rows of one object). {checks}: MariaDB names a CHECK per table, MySQL per database.
_FINGERPRINT_SQL = """
SELECT CASE table_type WHEN 'SEQUENCE' THEN 'sequence' ELSE 'table' END, table_name,
    concat_ws(' ', table_type, engine, table_collation, create_options, table_comment)
FROM information_schema.tables
WHERE table_schema = DATABASE() AND table_type <> 'VIEW'
UNION ALL
SELECT 'column', concat(table_name, '.', column_name),
    concat_ws(' ', column_type, is_nullable, concat('default ', column_default), extra,
        character_set_name, collation_name, generation_expression, column_comment)
FROM information_schema.columns
WHERE table_schema = DATABASE() AND table_name NOT IN (SELECT table_name
    FROM information_schema.tables
    WHERE table_schema = DATABASE() AND table_type IN ('VIEW', 'SEQUENCE'))
UNION ALL
SELECT 'index', concat(table_name, '.', index_name),
    concat_ws(' ', seq_in_index, column_name, sub_part, collation, non_unique, index_type,
        index_comment)
FROM information_schema.statistics WHERE table_schema = DATABASE()
UNION ALL
SELECT 'constraint', concat(table_name, '.', constraint_name),
    concat_ws(' ', 'foreign key', ordinal_position, column_name, referenced_table_name,
        referenced_column_name)
FROM information_schema.key_column_usage
WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL
UNION ALL
SELECT 'constraint', concat(table_name, '.', constraint_name),
    concat_ws(' ', 'on update', update_rule, 'on delete', delete_rule)
FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()
UNION ALL
{checks}
UNION ALL
SELECT 'view', table_name, concat_ws(' ', md5(view_definition), check_option, security_type)
FROM information_schema.views WHERE table_schema = DATABASE()
UNION ALL
SELECT 'trigger', concat(event_object_table, '.', trigger_name),
    concat_ws(' ', action_timing, event_manipulation, md5(action_statement))
FROM information_schema.triggers WHERE trigger_schema = DATABASE()
UNION ALL
SELECT lower(routine_type), routine_name,
    concat_ws(' ', dtd_identifier, md5(routine_definition), is_deterministic, sql_data_access,
        security_type)
FROM information_schema.routines WHERE routine_schema = DATABASE()
UNION ALL
SELECT lower(routine_type), specific_name,
    concat_ws(' ', ordinal_position, parameter_mode, parameter_name, dtd_identifier)
FROM information_schema.parameters WHERE specific_schema = DATABASE()
"""
_MYSQL_CHECKS = """SELECT 'constraint', concat(t.table_name, '.', t.constraint_name),
    concat('check ', c.check_clause)
FROM information_schema.table_constraints t JOIN information_schema.check_constraints c
    ON c.constraint_schema = t.constraint_schema AND c.constraint_name = t.constraint_name
WHERE t.table_schema = DATABASE() AND t.constraint_type = 'CHECK'"""
_MARIADB_CHECKS = """SELECT 'constraint', concat(table_name, '.', constraint_name),
    concat('check ', check_clause)
FROM information_schema.check_constraints WHERE constraint_schema = DATABASE()"""

# MariaDB rewrites a table's .frm file at every ALTER, and reports its time as the table's
# create_time; routines and triggers carry their own times. Those times count in seconds,
# so a key is only given when none of them is within the last two seconds: a change in
# the same second as the one before it would otherwise go unseen.
_MARIADB_KEY_SQL = """
SELECT IF(GREATEST(COALESCE(t.newest, 0), COALESCE(r.newest, 0), COALESCE(g.newest, 0))
        > NOW() - INTERVAL 2 SECOND,
    NULL, concat_ws(' ', t.summary, r.summary, g.summary, v.summary))
FROM (SELECT MAX(create_time) AS newest, concat(count(*), ':',
        COALESCE(SUM(crc32(concat_ws(' ', table_name, table_type, create_time))), 0)) AS summary
    FROM information_schema.tables WHERE table_schema = DATABASE()) AS t,
(SELECT MAX(last_altered) AS newest, concat(count(*), ':', COALESCE(SUM(crc32(concat_ws(' ',
        specific_name, routine_type, created, last_altered, md5(routine_definition)))), 0))
        AS summary
    FROM information_schema.routines WHERE routine_schema = DATABASE()) AS r,
(SELECT MAX(created) AS newest, concat(count(*), ':', COALESCE(SUM(crc32(concat_ws(' ',
        event_object_table, trigger_name, created, md5(action_statement)))), 0)) AS summary
    FROM information_schema.triggers WHERE trigger_schema = DATABASE()) AS g,
(SELECT concat(count(*), ':', COALESCE(SUM(crc32(concat_ws(' ', table_name,
        md5(view_definition), check_option, security_type))), 0)) AS summary
    FROM information_schema.views WHERE table_schema = DATABASE()) AS v
"""


class MySQL(Dialect):
    name = "mysql"
    display_name = "MySQL"
    flavour = "mysql"
    transactional_ddl = False
    sqlalchemy_url = "mysql+pymysql://"
    begin_sql = "START TRANSACTION"
    # PyMySQL puts the values into the text: one statement of events, whatever their number,
    # is what keeps them atomic where each statement commits.
    max_parameters = None
    id_column = "id BIGINT AUTO_INCREMENT PRIMARY KEY"
    timestamp_type = "DATETIME(6)"
    current_user_sql = "SELECT CURRENT_USER()"
    table_exists_sql = (
        "SELECT 1 FROM information_schema.tables"
        " WHERE table_schema = COALESCE(%s, DATABASE()) AND table_name = %s"
    )
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = (pymysql.MySQLError,)
    fingerprint_sql = _FINGERPRINT_SQL.format(checks=_MYSQL_CHECKS)
    rollback_note = ""  # DDL is not transactional: the runner explains progress instead

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def quote_literal(self, value: str, conn: Any = None) -> str:
        """Backslashes are escaped unless the session's sql_mode has NO_BACKSLASH_ESCAPES
        (without a session to ask, escaping is the choice nothing can be injected into).
        Under that mode, a value whose backslashes would make rung's statement splitter,
        which reads MySQL strings with backslash escapes, end the literal elsewhere than
        the server does raises ValueError."""
        text = value.replace("'", "''")
        if "\\" not in value:
            return f"'{text}'"
        if conn is None or not _no_backslash_escapes(conn):
            return "'" + text.replace("\\", "\\\\") + "'"
        if _ODD_BACKSLASHES_BEFORE_QUOTE.search(text):
            raise ValueError(
                "the session has NO_BACKSLASH_ESCAPES, and an odd run of backslashes before a "
                "quote or at the end of the value cannot be written so that rung's statement "
                "splitter and the server read it alike"
            )
        return f"'{text}'"

    def connect(self, database: str | None = None, *, read_only: bool = False) -> Any:
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

    def clone_database(self, source_name: str, target_name: str) -> DatabaseURL:
        # No server-side copy exists: recreate each object from SHOW CREATE, then copy rows.
        url = self.create_database(target_name)
        src = self.quote(source_name)
        conn = self.connect(database=target_name)
        try:
            with conn.cursor() as cur:
                cur.execute("SET FOREIGN_KEY_CHECKS = 0")
                cur.execute(f"SHOW FULL TABLES FROM {src}")
                objects = list(cur.fetchall())
                views = [name for name, kind in objects if kind == "VIEW"]
                for table in [name for name, kind in objects if kind != "VIEW"]:
                    self._clone_table(cur, source_name, table)
                self._clone_views(cur, source_name, views)
                for kind, name in self._routines(cur, source_name):
                    cur.execute(f"SHOW CREATE {kind} {src}.{self.quote(name)}")
                    cur.execute(cur.fetchone()[2])
        finally:
            conn.close()
        return url

    def _clone_table(self, cur: Any, source_name: str, table: str) -> None:
        qualified = f"{self.quote(source_name)}.{self.quote(table)}"
        cur.execute(f"SHOW CREATE TABLE {qualified}")
        cur.execute(cur.fetchone()[1])
        cur.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s AND extra NOT LIKE %s"
            " ORDER BY ordinal_position",
            (source_name, table, "%GENERATED%"),
        )
        columns = ", ".join(self.quote(row[0]) for row in cur.fetchall())
        cur.execute(
            f"INSERT INTO {self.quote(table)} ({columns}) SELECT {columns} FROM {qualified}"
        )

    def _clone_views(self, cur: Any, source_name: str, views: list[str]) -> None:
        """Views name the source database in their text; a view may read another, so
        those that fail wait for the next round."""
        prefix = self.quote(source_name) + "."
        pending = list(views)
        while pending:
            failed: list[str] = []
            error: Exception | None = None
            for view in pending:
                cur.execute(f"SHOW CREATE VIEW {prefix}{self.quote(view)}")
                try:
                    cur.execute(cur.fetchone()[1].replace(prefix, ""))
                except pymysql.MySQLError as exc:
                    failed.append(view)
                    error = exc
            if len(failed) == len(pending):
                raise error or RuntimeError("views could not be cloned")
            pending = failed

    def _routines(self, cur: Any, source_name: str) -> list[tuple[str, str]]:
        cur.execute(
            "SELECT routine_type, routine_name FROM information_schema.routines"
            " WHERE routine_schema = %s",
            (source_name,),
        )
        found = [(kind, name) for kind, name in cur.fetchall()]
        cur.execute(
            "SELECT 'TRIGGER', trigger_name FROM information_schema.triggers"
            " WHERE trigger_schema = %s ORDER BY action_order",
            (source_name,),
        )
        return found + [(kind, name) for kind, name in cur.fetchall()]


_ODD_BACKSLASHES_BEFORE_QUOTE = re.compile(r"(?<!\\)\\(?:\\\\)*(?='|\Z)")


def _no_backslash_escapes(conn: Any) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT @@SESSION.sql_mode")
        row = cur.fetchone()
    return "NO_BACKSLASH_ESCAPES" in str(row[0] if row else "").upper()


class MariaDB(MySQL):
    name = "mariadb"
    display_name = "MariaDB"
    fingerprint_sql = _FINGERPRINT_SQL.format(checks=_MARIADB_CHECKS)
    fingerprint_key_sql = _MARIADB_KEY_SQL
