"""Differences between schemas: none for the same migrations, the right line for each change."""

from __future__ import annotations

from schema_helpers import SHOP, migrate, schema_of, shop

from conftest import second_database, write
from rung.schema.diff import diff
from rung.schema.model import Column, Index, Schema, Table


def test_the_same_migrations_in_two_databases_give_no_differences(backend, migrations):
    shop(backend, migrations)
    with second_database(backend) as other:
        migrate(other, migrations)
        assert diff(schema_of(backend.url.text), schema_of(other)) == []
        assert schema_of(backend.url.text) == schema_of(other)


def test_hand_made_changes_show_up_with_their_one_line_form(backend, tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    write(folder, SHOP)
    migrate(backend.url.text, folder)
    with second_database(backend) as other:
        migrate(other, folder)
        before = schema_of(other)
        changed_type = {
            "sqlite": None,  # SQLite cannot change a column's type in place
            "postgresql": "ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(255)",
            "mariadb": "ALTER TABLE users MODIFY email VARCHAR(255) NOT NULL",
        }[backend.name]
        statements = [
            "ALTER TABLE users ADD COLUMN nickname VARCHAR(30)",
            # First the new index: MariaDB keeps an index on a foreign key's columns.
            "CREATE INDEX ix_orders_created ON orders (user_id, created_at)",
            "DROP INDEX ix_orders_user" + (" ON orders" if backend.name == "mariadb" else ""),
        ]
        if changed_type:
            statements.append(changed_type)
        if backend.name != "sqlite":  # SQLite cannot add a constraint to a table
            statements.append("ALTER TABLE orders ADD CONSTRAINT ck_created CHECK (id > 0)")
        _execute(other, statements)
        lines = [change.text for change in diff(before, schema_of(other))]
    assert "+ column users.nickname varchar(30) NULL" in lines
    assert "- index ix_orders_user (user_id)" in lines
    assert "+ index ix_orders_created (user_id, created_at)" in lines
    if changed_type:
        assert "~ column users.email: varchar(100) -> varchar(255)" in lines
    if backend.name != "sqlite":
        assert "+ check orders.ck_created CHECK (id > 0)" in lines


def _execute(url: str, statements: list[str]) -> None:
    from rung.config import parse_url
    from rung.dialects import connect

    _, conn = connect(parse_url(url))
    try:
        for sql in statements:
            conn.cursor().execute(sql)
    finally:
        conn.close()


def _schema(*tables: Table) -> Schema:
    return Schema("sqlite", tables=tables)


def test_changed_index_and_column_lines():
    users = Table("users", (Column("id", "integer", False), Column("age", "integer")))
    orders_old = Table("orders", (Column("user_id", "integer"),), indexes=(Index("ix", ("a",)),))
    orders_new = Table(
        "orders", (Column("user_id", "integer"),), indexes=(Index("ix", ("a", "b")),)
    )
    users_new = Table("users", (Column("id", "integer", False), Column("age", "bigint", False)))
    lines = [c.text for c in diff(_schema(orders_old, users), _schema(orders_new, users_new))]
    assert lines == [
        "~ index ix: columns (a) -> (a, b)",
        "~ column users.age: integer -> bigint; NULL -> NOT NULL",
    ]


def test_added_and_removed_tables():
    a, b = Table("a", (Column("x", "text"),)), Table("b", (Column("y", "text"),))
    changes = diff(_schema(a), _schema(b))
    assert [c.text for c in changes] == ["- table a", "+ table b"]
    assert changes[1].as_dict()["kind"] == "table"
