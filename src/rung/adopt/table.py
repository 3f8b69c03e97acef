"""Reading another tool's history table through rung's own connection. Never writes to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rung.adopt.model import Tool
from rung.dialects import Dialect
from rung.errors import RequestRefused

NOTHING_WRITTEN = "nothing was written"


@dataclass(frozen=True)
class OtherTable:
    dialect: Dialect
    conn: Any
    tool: Tool
    name: str  # as found in the database, which may differ in case from what was asked
    schema: str | None

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def rows(self, columns: str, *, order_by: str | None = None) -> list[tuple[Any, ...]]:
        """`SELECT columns FROM` the table; column names are unquoted, so each database
        folds them as the tool's own DDL did."""
        sql = f"SELECT {columns} FROM {self.dialect.qualified(self.name, self.schema)}"
        if order_by:
            sql += f" ORDER BY {order_by}"
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
            return list(cur.fetchall())
        except Exception as exc:
            if not self.dialect.is_statement_error(exc):
                raise
            raise self.refused(
                f"{self.label} does not look like {self.tool.title}'s history table: "
                f"{self.dialect.error_message(exc)}",
                hint=f"point --table at the table {self.tool.title} keeps its history in "
                f"({self.tool.table_setting or 'its default is ' + self.tool.table})",
            ) from None
        finally:
            cur.close()

    def refused(
        self, message: str, *, hint: str | None = None, details: Sequence[str] = ()
    ) -> RequestRefused:
        """A refusal that says rung's history and the other table are as they were."""
        return RequestRefused(f"{message}; {NOTHING_WRITTEN}", hint=hint, details=details)


def find_table(dialect: Dialect, conn: Any, tool: Tool, spec: str | None) -> OtherTable:
    """The tool's table (`spec` is NAME or SCHEMA.NAME), trying the name as written, then in
    lower and upper case (Liquibase's DATABASECHANGELOG is lower case on PostgreSQL)."""
    schema, _, name = (spec or tool.table).rpartition(".")
    for candidate in dict.fromkeys((name, name.lower(), name.upper())):
        if dialect.table_exists(conn, candidate, schema or None):
            return OtherTable(dialect, conn, tool, candidate, schema or None)
    where = f"schema {schema}" if schema else "the connection's default schema"
    hint = f"check --database; if {tool.title} keeps its history in another table or schema"
    if tool.table_setting:
        hint += f" ({tool.table_setting})"
    raise RequestRefused(
        f"no {tool.title} history table {name} in {dialect.server_label} ({where}); "
        f"{NOTHING_WRITTEN}",
        hint=hint + ", pass --table NAME or --table SCHEMA.NAME",
    )


def moment(value: Any) -> datetime | None:
    """A time as another tool stored it (datetime, ISO text, epoch seconds or milliseconds),
    in UTC; a time without a zone is taken as UTC. None when there is none to read."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 100_000_000_000 else value  # Prisma on SQLite: ms
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def truthy(value: Any) -> bool:
    """A boolean column as each database returns it: True, 1, b'\\x01', 't', 'true'."""
    if isinstance(value, bytes):
        return any(value)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true", "y", "yes")
    return bool(value)
