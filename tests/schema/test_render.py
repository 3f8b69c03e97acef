"""The dump: deterministic bytes, sorted, one object per block."""

from __future__ import annotations

from schema_helpers import schema_of, shop

from rung.schema.model import Column, Index, PrimaryKey, Schema, Table, View
from rung.schema.render import render


def test_two_dumps_of_one_database_are_identical_bytes(backend, migrations):
    shop(backend, migrations)
    first = render(schema_of(backend.url.text)).encode()
    second = render(schema_of(backend.url.text)).encode()
    assert first == second
    text = first.decode()
    assert text.index("CREATE TABLE orders") < text.index("CREATE TABLE users")
    assert "rung_history" not in text
    assert "CREATE INDEX ix_orders_user ON orders (user_id);" in text
    assert "CREATE VIEW big_orders AS " in text


def test_render_is_one_block_per_object_with_a_header_and_no_timestamp():
    schema = Schema(
        "postgresql",
        tables=(
            Table(
                "users",
                (Column("id", "integer", False), Column("Email", "text", default="'x'")),
                primary_key=PrimaryKey(("id",)),
                indexes=(Index("ix_email", ("Email",), unique=True, predicate="id > 0"),),
            ),
        ),
        views=(View("v", "SELECT 1"),),
    )
    assert render(schema) == (
        "-- Schema dumped by `rung dump`: generated, do not edit.\n"
        "-- database: postgresql; 1 tables, 1 views, 0 sequences, 0 enums\n"
        "\n"
        "CREATE TABLE users (\n"
        "    id integer NOT NULL,\n"
        "    \"Email\" text DEFAULT 'x',\n"
        "    PRIMARY KEY (id)\n"
        ");\n"
        'CREATE UNIQUE INDEX ix_email ON users ("Email") WHERE id > 0;\n'
        "\n"
        "CREATE VIEW v AS SELECT 1;\n"
    )
