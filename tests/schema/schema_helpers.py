"""Shared by the schema tests: sample migrations and a second database beside the first."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import Backend, write
from rung import Migrator
from rung.config import parse_url
from rung.dialects import connect
from rung.schema.inspect import inspect_schema
from rung.schema.model import Schema

SHOP = {
    "001_users.sql": """-- rung:up
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(100) NOT NULL UNIQUE,
    age INTEGER DEFAULT 0 CHECK (age >= 0),
    active BOOLEAN DEFAULT TRUE NOT NULL
);
CREATE INDEX ix_users_age ON users (age);
-- rung:down
DROP TABLE users;
""",
    "002_orders.sql": """-- rung:up
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    total NUMERIC(10, 2),
    created_at TIMESTAMP,
    CONSTRAINT ck_orders_total CHECK (total >= 0)
);
CREATE INDEX ix_orders_user ON orders (user_id);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
-- rung:down
DROP VIEW big_orders;
DROP TABLE orders;
""",
}


def migrate(url: str, folder: Path) -> None:
    Migrator(url, folder).up()


def schema_of(url: str) -> Schema:
    dialect, conn = connect(parse_url(url))
    try:
        return inspect_schema(dialect, conn)
    finally:
        conn.close()


def shop(backend: Backend, migrations: Path) -> Path:
    write(migrations, SHOP)
    migrate(backend.url.text, migrations)
    return migrations


@contextmanager
def second_database(backend: Backend) -> Iterator[str]:
    """Another fresh database on the backend's server (or folder), dropped afterwards."""
    name = f"rung_test_{uuid.uuid4().hex[:12]}"
    url = backend.dialect.create_database(name)
    try:
        yield url.text
    finally:
        backend.dialect.drop_database(name)
