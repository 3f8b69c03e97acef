"""Shared by the schema tests: sample migrations and their schemas."""

from __future__ import annotations

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


# Triggers, functions and procedures on top of SHOP, in each database's own SQL.
ROUTINES = {
    "sqlite": """-- rung:up
CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
CREATE TRIGGER trg_users_audit AFTER INSERT ON users FOR EACH ROW WHEN NEW.age > 0
BEGIN
    INSERT INTO audit (note) VALUES ('user ' || NEW.email);
END;
CREATE TRIGGER trg_users_email AFTER UPDATE OF email, age ON users
BEGIN
    DELETE FROM audit WHERE note = OLD.email;
END;
-- rung:down
DROP TRIGGER trg_users_email;
DROP TRIGGER trg_users_audit;
DROP TABLE audit;
""",
    "postgresql": """-- rung:up
CREATE TABLE audit (id SERIAL PRIMARY KEY, note TEXT);
CREATE FUNCTION log_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit (note) VALUES ('user ' || NEW.email);
    RETURN NEW;
END;
$$;
CREATE FUNCTION add_points(base integer, bonus integer DEFAULT 1) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT AS 'SELECT base + bonus';
CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT count(*) FROM users;
END;
CREATE PROCEDURE reset_age(uid integer) LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET age = 0 WHERE id = uid;
END;
$$;
CREATE TRIGGER trg_users_audit AFTER INSERT OR UPDATE OF email ON users
    FOR EACH ROW WHEN (NEW.age > 0) EXECUTE FUNCTION log_user();
CREATE TRIGGER trg_users_email AFTER DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION log_user();
-- rung:down
DROP TRIGGER trg_users_email ON users;
DROP TRIGGER trg_users_audit ON users;
DROP PROCEDURE reset_age(integer);
DROP FUNCTION user_count();
DROP FUNCTION add_points(integer, integer);
DROP FUNCTION log_user();
DROP TABLE audit;
""",
    "mariadb": """-- rung:up
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTO_INCREMENT, note TEXT);
CREATE TRIGGER trg_users_audit AFTER INSERT ON users FOR EACH ROW
BEGIN
    INSERT INTO audit (note) VALUES (CONCAT('user ', NEW.email));
END;
CREATE FUNCTION add_points(base INT, bonus INT) RETURNS INT DETERMINISTIC
    RETURN base + bonus;
CREATE PROCEDURE reset_age(IN uid INT) MODIFIES SQL DATA
BEGIN
    UPDATE users SET age = 0 WHERE id = uid;
END;
CREATE TRIGGER trg_users_email BEFORE UPDATE ON users FOR EACH ROW
    SET NEW.age = COALESCE(NEW.age, 0);
-- rung:down
DROP TRIGGER trg_users_email;
DROP PROCEDURE reset_age;
DROP FUNCTION add_points;
DROP TRIGGER trg_users_audit;
DROP TABLE audit;
""",
}


def shop_with_routines(backend: Backend, migrations: Path) -> Path:
    """SHOP plus triggers, functions and procedures, applied to the backend's database."""
    write(migrations, {**SHOP, "003_routines.sql": ROUTINES[backend.name]})
    migrate(backend.url.text, migrations)
    return migrations


def execute(url: str, *statements: str) -> None:
    """Run statements on `url`, one by one (for changes made by hand)."""
    _, conn = connect(parse_url(url))
    try:
        for sql in statements:
            conn.cursor().execute(sql)
    finally:
        conn.close()
