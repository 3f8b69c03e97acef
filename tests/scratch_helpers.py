"""Shared by the drift and verify tests: sample migrations and the scratch databases a
server holds."""

from __future__ import annotations

from pathlib import Path

from conftest import POSTS, TAGS, Backend
from rung.scratch import SCRATCH_PREFIX, scratch_name

USERS = """-- rung:up
CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);
CREATE INDEX ix_users_email ON users (email);
-- rung:down
DROP TABLE users;
"""
GOOD = {"001_users.sql": USERS, "002_posts.sql": POSTS, "003_tags.sql": TAGS}


def scratch_databases(backend: Backend, tmp_path: Path) -> set[str]:
    """Scratch databases (SQLite: files) rung left on the backend's server for the test's
    database (they carry its name: tests running in parallel have scratch databases too)."""
    if backend.name == "sqlite":
        return {path.name for path in tmp_path.rglob(SCRATCH_PREFIX + "*")}
    sql = {
        "postgresql": "SELECT datname FROM pg_database WHERE datname LIKE %s",
        "mariadb": "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
    }[backend.name]
    ours = scratch_name(backend.url.database).rpartition("_")[0] + "_"
    rows = backend.query(sql, (SCRATCH_PREFIX + "%",))
    return {row[0] for row in rows if row[0].startswith(ours)}
