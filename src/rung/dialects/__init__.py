"""Everything that differs between databases lives in this package.

Code outside it reads a dialect's capabilities and calls its hooks; it never asks which
database it is talking to.
"""

from __future__ import annotations

from typing import Any

from rung.config import DatabaseURL
from rung.dialects.base import Dialect, Lock


def dialect_for(url: DatabaseURL, *, lock_timeout: float = 60.0) -> Dialect:
    """The dialect for a URL, before connecting (MySQL may become MariaDB on connect)."""
    if url.family == "sqlite":
        from rung.dialects.sqlite import SQLite

        return SQLite(url, lock_timeout=lock_timeout)
    if url.family == "postgresql":
        from rung.dialects.postgresql import PostgreSQL

        return PostgreSQL(url, lock_timeout=lock_timeout)
    if url.family == "mysql":
        from rung.dialects.mysql import MySQL

        return MySQL(url, lock_timeout=lock_timeout)
    from rung.dialects.generic import Generic

    return Generic(url, lock_timeout=lock_timeout)


def connect(
    url: DatabaseURL, *, lock_timeout: float = 60.0, read_only: bool = False
) -> tuple[Dialect, Any]:
    """Open a connection and return it with the dialect that fits the server behind it."""
    dialect = dialect_for(url, lock_timeout=lock_timeout)
    conn = dialect.connect(read_only=read_only)
    if dialect.name == "mysql" and "mariadb" in conn.get_server_info().lower():
        from rung.dialects.mysql import MariaDB

        dialect = MariaDB(url, lock_timeout=lock_timeout)
    return dialect, conn


__all__ = ["Dialect", "Lock", "connect", "dialect_for"]
