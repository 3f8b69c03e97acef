"""Any other database SQLAlchemy can reach, through a raw DB-API connection.

rung still speaks DB-API; SQLAlchemy only finds the driver and opens the connection.
Without a lock primitive rung knows, this dialect assumes one runner at a time, and it
assumes DDL is not transactional, so progress is recorded per statement.
"""

from __future__ import annotations

from typing import Any

from rung.config import redact
from rung.dialects.base import Dialect
from rung.errors import ConfigError


class Generic(Dialect):
    name = "generic"
    display_name = "database"
    flavour = "generic"
    transactional_ddl = False
    table_exists_sql = ""

    def connect(self, *, read_only: bool = False) -> Any:
        try:
            from sqlalchemy import create_engine
            from sqlalchemy.exc import ArgumentError, NoSuchModuleError
        except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
            raise ConfigError("SQLAlchemy is needed for this database URL") from None
        try:
            engine = create_engine(self.url.text, isolation_level="AUTOCOMMIT")
        except (NoSuchModuleError, ArgumentError, ImportError) as exc:
            scheme = self.url.text.split("://", 1)[0]
            raise ConfigError(
                f"unknown database URL scheme {scheme!r} in {self.url.redacted}: "
                f"{redact(str(exc))}",
                hint="use sqlite:///file.db, postgresql://..., mysql://... or mariadb://..., "
                "or a SQLAlchemy URL whose driver is installed",
            ) from None
        self.sqlalchemy_url = f"{engine.dialect.name}+{engine.dialect.driver}://"
        self.placeholder = {"qmark": "?", "numeric": ":1", "named": ":p"}.get(
            engine.dialect.paramstyle, "%s"
        )
        self.driver_errors = (engine.dialect.loaded_dbapi.Error,)
        self._engine = engine
        try:
            self._pooled = engine.raw_connection()  # keep the pool's wrapper alive with it
            return self._pooled.driver_connection
        except Exception as exc:
            raise self.connection_failed(exc) from None

    def table_exists(self, conn: Any, table: str, schema: str | None) -> bool:
        from sqlalchemy import inspect

        return inspect(self._engine).has_table(table, schema=schema)
