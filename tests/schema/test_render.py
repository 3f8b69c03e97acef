"""The dump: deterministic bytes, sorted, one object per block."""

from __future__ import annotations

from schema_helpers import schema_of, shop

from rung.schema.model import (
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Routine,
    Schema,
    Table,
    Trigger,
    View,
)
from rung.schema.render import render


def test_two_dumps_of_one_database_are_identical_bytes(backend, migrations):
    shop(backend, migrations)
    first = render(schema_of(backend.url.text)).encode()
    second = render(schema_of(backend.url.text)).encode()
    assert first == second
    text = first.decode()
    # orders references users, so users comes first; otherwise tables are sorted by name.
    assert text.index("CREATE TABLE users") < text.index("CREATE TABLE orders")
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


def _cycle(dialect: str) -> Schema:
    """a references b and b references a: neither can be created first with its key."""
    return Schema(
        dialect,
        tables=(
            Table(
                "a",
                (Column("id", "integer", False), Column("b_id", "integer")),
                foreign_keys=(ForeignKey(("b_id",), "b", ("id",), name="fk_a_b"),),
            ),
            Table(
                "b",
                (Column("id", "integer", False), Column("a_id", "integer")),
                foreign_keys=(ForeignKey(("a_id",), "a", ("id",)),),
            ),
        ),
    )


def test_a_foreign_key_cycle_is_closed_by_alter_table_where_references_are_checked():
    text = render(_cycle("postgresql"))
    assert "CREATE TABLE a (\n    id integer NOT NULL,\n    b_id integer\n);" in text
    assert "    FOREIGN KEY (a_id) REFERENCES a (id)\n);" in text
    assert text.endswith(
        "ALTER TABLE a ADD CONSTRAINT fk_a_b FOREIGN KEY (b_id) REFERENCES b (id);\n"
    )
    # SQLite resolves references when it uses them: every key stays in its table.
    assert "ALTER TABLE" not in render(_cycle("sqlite"))


def test_triggers_and_routines_render_per_database():
    function = Routine(
        "function", "add", "integer", "n integer", "integer", "sql", "SELECT n + 1", "IMMUTABLE"
    )
    trigger = Trigger("trg", "t", "BEFORE", ("INSERT",), "EXECUTE FUNCTION f()")
    assert render(Schema("postgresql", routines=(function,), triggers=(trigger,))) == (
        "-- Schema dumped by `rung dump`: generated, do not edit.\n"
        "-- database: postgresql; 0 tables, 0 views, 0 sequences, 0 enums, 1 triggers, "
        "1 functions\n"
        "\n"
        "SET check_function_bodies = false;\n"
        "\n"
        "CREATE FUNCTION add(n integer) RETURNS integer\n"
        "    LANGUAGE sql IMMUTABLE\n"
        "AS $rung$\n"
        "SELECT n + 1\n"
        "$rung$;\n"
        "\n"
        "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n"
    )
    mysql = Schema(
        "mariadb",
        routines=(Routine("procedure", "p", "", "", None, "SQL", "BEGIN\n  SELECT 1;\nEND"),),
        triggers=(Trigger("trg", "t", "BEFORE", ("INSERT",), "SET NEW.n = 1"),),
    )
    assert render(mysql).split("\n\n")[1:] == [
        "DELIMITER ;;\nCREATE PROCEDURE p()\n    LANGUAGE SQL\nBEGIN\n  SELECT 1;\nEND;;\n"
        "DELIMITER ;",
        "DELIMITER ;;\nCREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\nSET NEW.n = 1;;\n"
        "DELIMITER ;\n",
    ]


def test_a_body_holding_the_dollar_tag_gets_another():
    body = "SELECT '$rung$'"
    function = Routine("function", "f", "", "", "text", "sql", body, "STABLE")
    assert "AS $rung1$\nSELECT '$rung$'\n$rung1$;" in render(
        Schema("postgresql", routines=(function,))
    )
