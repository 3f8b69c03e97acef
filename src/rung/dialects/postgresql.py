"""PostgreSQL through psycopg 3.

Transactional DDL; the lock is a session advisory lock, polled with
pg_try_advisory_lock on a connection of its own that never opens a transaction, so
`CREATE INDEX CONCURRENTLY` in a migration does not wait for it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import psycopg

from rung.config import DatabaseURL
from rung.dialects.base import Dialect, Lock

APPLICATION_NAME = "rung"
_PIPELINE = psycopg.Pipeline.is_supported()  # libpq 14 or later

# The schemas on the search_path; objects outside the current one are named schema.name.
# Names, not OIDs or column numbers, so that a dump and restore changes nothing; objects an
# extension owns are the extension's (listed with its version).
_FINGERPRINT_SQL = """
WITH ns AS (
    SELECT oid, CASE WHEN nspname = current_schema() THEN '' ELSE nspname || '.' END AS prefix
    FROM pg_namespace WHERE nspname = ANY (current_schemas(false))
), member AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
), rel AS (
    SELECT c.oid, c.relkind, ns.prefix || c.relname AS name,
        concat_ws(' ', c.relkind, c.relpersistence, c.reloptions::text,
            CASE WHEN c.relrowsecurity THEN 'rls' END,
            CASE WHEN c.relforcerowsecurity THEN 'force-rls' END,
            pg_get_partkeydef(c.oid), pg_get_expr(c.relpartbound, c.oid),
            (SELECT string_agg(i.inhparent::regclass::text, ',' ORDER BY i.inhseqno)
             FROM pg_inherits i WHERE i.inhrelid = c.oid)) AS definition
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
        AND NOT EXISTS (SELECT 1 FROM member
            WHERE member.classid = 'pg_class'::regclass AND member.objid = c.oid)
)
SELECT 'table', name, definition FROM rel WHERE relkind IN ('r', 'p', 'f')
UNION ALL
SELECT 'column', r.name || '.' || a.attname,
    concat_ws(' ', format_type(a.atttypid, a.atttypmod),
        CASE WHEN a.attnotnull THEN 'not null' END,
        'default ' || pg_get_expr(d.adbin, d.adrelid),
        'identity ' || nullif(a.attidentity::text, ''),
        'generated ' || nullif(a.attgenerated::text, ''),
        'collate ' || (SELECT collname FROM pg_collation
            WHERE oid = nullif(a.attcollation, t.typcollation)))
FROM rel r
JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE r.relkind IN ('r', 'p', 'f')
UNION ALL
SELECT 'constraint', r.name || '.' || k.conname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN rel r ON r.oid = k.conrelid
WHERE k.contype <> 'n'
UNION ALL
SELECT 'index', r.name || '.' || i.relname,
    pg_get_indexdef(x.indexrelid) || CASE WHEN x.indisvalid THEN '' ELSE ' invalid' END
FROM pg_index x JOIN rel r ON r.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid
    AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x'))
UNION ALL
SELECT CASE r.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, r.name,
    md5(pg_get_viewdef(r.oid)) || ' ' || r.definition
FROM rel r WHERE r.relkind IN ('v', 'm')
UNION ALL
SELECT 'sequence', r.name, concat_ws(' ', format_type(s.seqtypid, NULL), s.seqstart,
    s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
    AND d.objid = r.oid AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT 'trigger', r.name || '.' || t.tgname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
UNION ALL
SELECT 'policy', r.name || '.' || p.polname, concat_ws(' ', p.polcmd, p.polpermissive,
    p.polroles::regrole[]::text, pg_get_expr(p.polqual, p.polrelid),
    pg_get_expr(p.polwithcheck, p.polrelid))
FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
    ns.prefix || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
    md5(pg_get_functiondef(p.oid))
FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p') AND NOT EXISTS (SELECT 1 FROM member
    WHERE member.classid = 'pg_proc'::regclass AND member.objid = p.oid)
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum' ELSE 'domain' END, ns.prefix || t.typname,
    concat_ws(' ', format_type(nullif(t.typbasetype, 0), t.typtypmod),
        CASE WHEN t.typnotnull THEN 'not null' END, t.typdefault,
        (SELECT string_agg(quote_literal(e.enumlabel), ',' ORDER BY e.enumsortorder)
         FROM pg_enum e WHERE e.enumtypid = t.oid),
        (SELECT string_agg(pg_get_constraintdef(k.oid), ' ' ORDER BY k.conname)
         FROM pg_constraint k WHERE k.contypid = t.oid))
FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd') AND NOT EXISTS (SELECT 1 FROM member
    WHERE member.classid = 'pg_type'::regclass AND member.objid = t.oid)
UNION ALL
SELECT 'extension', e.extname, e.extversion || ' ' || n.nspname
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
"""

# Every catalog `_FINGERPRINT_SQL` reads. A DDL statement writes new versions of the rows
# it changes (new xmin) and adds or removes others (count), whereas statistics and counters
# are updated in place: the key holds across VACUUM and ANALYZE. Temporary tables and
# TRUNCATE change it without changing the schema, which costs one full query.
_KEY_CATALOGS = (
    "pg_namespace",
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_type",
    "pg_collation",
    "pg_constraint",
    "pg_index",
    "pg_inherits",
    "pg_rewrite",
    "pg_sequence",
    "pg_trigger",
    "pg_policy",
    "pg_proc",
    "pg_enum",
    "pg_extension",
    "pg_depend",
)
_FINGERPRINT_KEY_SQL = "SELECT concat_ws(' ', current_schemas(false)::text, {})".format(
    ", ".join(
        f"(SELECT count(*) || ':' || coalesce(sum(hashint8(xmin::text::int8)), 0) FROM {catalog})"
        for catalog in _KEY_CATALOGS
    )
)


class PostgreSQL(Dialect):
    name = "postgresql"
    display_name = "PostgreSQL"
    flavour = "postgresql"
    transactional_ddl = True
    max_parameters = 65535  # the protocol's count is 16 bits
    sqlalchemy_url = "postgresql+psycopg://"
    id_column = "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    timestamp_type = "TIMESTAMPTZ"
    current_user_sql = "SELECT current_user"
    table_exists_sql = "SELECT 1 WHERE to_regclass(%s) IS NOT NULL"
    fingerprint_sql = _FINGERPRINT_SQL
    fingerprint_key_sql = _FINGERPRINT_KEY_SQL
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = (psycopg.Error,)
    outside_transaction_only = re.compile(
        r"(CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY"
        r"|REINDEX\s+(\(.*?\)\s*)?\w+\s+CONCURRENTLY|VACUUM|CREATE\s+DATABASE|DROP\s+DATABASE"
        r"|ALTER\s+SYSTEM|CREATE\s+TABLESPACE|DROP\s+TABLESPACE"
        r"|ALTER\s+TABLE\s+.*\s+DETACH\s+PARTITION\s+\S+\s+CONCURRENTLY)\b",
        re.IGNORECASE | re.DOTALL,
    )
    rollback_note = "PostgreSQL rolled the migration back; only a failed event was recorded."

    def _conninfo(self, database: str | None = None) -> str:
        url = self.url if database is None else self.url.with_database(database)
        # psycopg takes libpq URIs; drop SQLAlchemy's "+driver" and the "postgres" alias.
        return "postgresql://" + url.text.split("://", 1)[1]

    def execute(
        self, conn: Any, statements: Sequence[str | tuple[str, Any]], *, begin: bool = False
    ) -> None:
        # Several (BEGIN counted) go in one round trip: pipeline mode sends every statement
        # before reading any result. The failed one is the first whose cursor got no result
        # (those after it are skipped). Statements with parameters are rung's own, the same
        # each time: psycopg may prepare them; a migration's statements run once each.
        if not _PIPELINE or len(statements) + begin < 2:
            super().execute(conn, statements, begin=begin)
            return
        cursors: list[Any] = []
        try:
            with conn.pipeline():
                for statement in [self.begin_sql, *statements] if begin else statements:
                    cursors.append(conn.cursor())
                    if isinstance(statement, str):
                        cursors[-1].execute(statement, prepare=False)
                    else:
                        cursors[-1].execute(*statement)
        except psycopg.Error as exc:
            failed = next((i for i, cur in enumerate(cursors) if cur.pgresult is None), None)
            exc.rung_index = (  # type: ignore[attr-defined]
                failed - begin if failed is not None and failed >= begin else None
            )
            raise
        finally:
            for cur in cursors:
                cur.close()

    def quote_literal(self, value: str, conn: Any = None) -> str:
        # E'' reads backslashes as escapes whatever standard_conforming_strings says.
        if "\\" in value:
            return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
        return "'" + value.replace("'", "''") + "'"

    def connect(self, database: str | None = None, *, read_only: bool = False) -> Any:
        params = {"application_name": APPLICATION_NAME}
        if "connect_timeout" not in self.url.query:
            params["connect_timeout"] = "10"
        try:
            return psycopg.connect(self._conninfo(database), autocommit=True, **params)
        except psycopg.Error as exc:
            raise self.connection_failed(exc) from None

    @property
    def server_label(self) -> str:
        database, host = self.url.database or "(default)", self.url.host or "localhost"
        return f"PostgreSQL database {database} on {host}"

    def table_exists_params(self, table: str, schema: str | None) -> tuple[Any, ...]:
        return (self.qualified(table, schema),)

    def error_message(self, exc: BaseException) -> str:
        diag = getattr(exc, "diag", None)
        primary = getattr(diag, "message_primary", None)
        if not primary:
            return str(exc).strip()
        parts = [primary]
        for extra in ("message_detail", "message_hint"):
            value = getattr(diag, extra, None)
            if value:
                parts.append(value)
        return "; ".join(parts)

    def error_line(self, exc: BaseException, statement: str) -> int | None:
        position = getattr(getattr(exc, "diag", None), "statement_position", None)
        return statement[: int(position) - 1].count("\n") if position else None

    def explain_failure(self, exc: BaseException) -> str | None:
        if getattr(exc, "sqlstate", None) == "53200":  # out_of_shared_memory
            return (
                "PostgreSQL ran out of lock slots: one transaction touched more tables than "
                "max_locks_per_transaction allows. Raise max_locks_per_transaction in "
                "postgresql.conf (and restart), or apply without --single-transaction."
            )
        return None

    def acquire_lock(self, key: str, timeout: float, on_wait: Callable[[str | None], None]) -> Lock:
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        conn = self.connect()

        def try_lock() -> bool:
            return bool(conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_id,)).fetchone()[0])

        def holder() -> str | None:
            row = conn.execute(
                "SELECT a.pid, a.application_name, a.client_addr, a.usename, a.backend_start"
                " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted"
                " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND l.objsubid = 1 AND (l.classid::bigint << 32 | l.objid::bigint) = %s",
                (lock_id,),
            ).fetchone()
            if row is None:
                return None
            pid, app, addr, user, since = row
            return (
                f"{app or 'a client'} (pid {pid}, user {user}, from {addr or 'local socket'}, "
                f"connected since {since:%Y-%m-%d %H:%M:%S %Z})"
            )

        try:
            self._poll_lock(try_lock, holder, key, timeout, on_wait)
        except BaseException:
            conn.close()
            raise

        def release() -> None:
            try:
                conn.execute("SELECT pg_advisory_unlock(%s)", (lock_id,))
            finally:
                conn.close()

        return Lock(release)

    def create_database(self, name: str) -> DatabaseURL:
        admin = self.connect()
        try:
            admin.execute(f"DROP DATABASE IF EXISTS {self.quote(name)} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {self.quote(name)}")
        finally:
            admin.close()
        return self.url.with_database(name)

    def drop_database(self, name: str) -> None:
        admin = self.connect()
        try:
            admin.execute(f"DROP DATABASE IF EXISTS {self.quote(name)} WITH (FORCE)")
        finally:
            admin.close()

    def clone_database(self, source_name: str, target_name: str) -> DatabaseURL:
        # A server-side copy of the template's files, far faster than migrating again. The
        # template must have no open connection: rung closes its own after each command.
        admin = self.connect()
        try:
            admin.execute(f"DROP DATABASE IF EXISTS {self.quote(target_name)} WITH (FORCE)")
            admin.execute(
                f"CREATE DATABASE {self.quote(target_name)} TEMPLATE {self.quote(source_name)}"
            )
        finally:
            admin.close()
        return self.url.with_database(target_name)
