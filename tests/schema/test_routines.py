"""Triggers, functions and procedures: introspected, dumped, diffed and seen by drift, on
every backend (SQLite has triggers only)."""

from __future__ import annotations

import pytest
from schema_helpers import (
    ROUTINES,
    SHOP,
    execute,
    migrate,
    schema_of,
    shop_with_routines,
)

from conftest import second_database, write
from rung import Migrator
from rung.schema.diff import MAX_BODY_LINES, diff
from rung.schema.model import Routine, Schema, Trigger, normalise_body
from rung.schema.render import render

# A change by hand to each kind of object, as (statements per backend, the line diff shows).
# Functions and procedures exist on PostgreSQL and MariaDB; SQLite has none.
HAND_MADE = {
    "trigger body": (
        {
            "sqlite": [
                "DROP TRIGGER trg_users_email",
                "CREATE TRIGGER trg_users_email AFTER UPDATE OF email, age ON users\n"
                "BEGIN\n    DELETE FROM audit WHERE note = NEW.email;\nEND",
            ],
            "mariadb": [
                "DROP TRIGGER trg_users_email",
                "CREATE TRIGGER trg_users_email BEFORE UPDATE ON users FOR EACH ROW\n"
                "    SET NEW.age = COALESCE(NEW.age, 1)",
            ],
            "postgresql": [
                "DROP TRIGGER trg_users_email ON users",
                "CREATE TRIGGER trg_users_email AFTER DELETE OR TRUNCATE ON users"
                " FOR EACH STATEMENT EXECUTE FUNCTION log_user()",
            ],
        },
        "~ trigger users.trg_users_email: ",
    ),
    "dropped trigger": (
        {
            "*": ["DROP TRIGGER trg_users_audit"],
            "postgresql": ["DROP TRIGGER trg_users_audit ON users"],
        },
        "- trigger users.trg_users_audit AFTER INSERT",
    ),
    "function body": (
        {
            "mariadb": [
                "DROP FUNCTION add_points",
                "CREATE FUNCTION add_points(base INT, bonus INT) RETURNS INT DETERMINISTIC\n"
                "    RETURN base + bonus + 1",
            ],
            "postgresql": [
                "CREATE OR REPLACE FUNCTION add_points(base integer, bonus integer DEFAULT 1)"
                " RETURNS integer LANGUAGE sql IMMUTABLE STRICT AS 'SELECT base + bonus + 1'"
            ],
        },
        "~ function add_points(integer, integer): body changed",
    ),
    "new function": (
        {
            "mariadb": ["CREATE FUNCTION twice(n INT) RETURNS INT DETERMINISTIC RETURN n * 2"],
            "postgresql": [
                "CREATE FUNCTION twice(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n * 2'"
            ],
        },
        "+ function twice(integer) (n integer) RETURNS integer",
    ),
    "dropped procedure": (
        {
            "mariadb": ["DROP PROCEDURE reset_age"],
            "postgresql": ["DROP PROCEDURE reset_age(integer)"],
        },
        "- procedure reset_age(integer) (IN uid integer)",
    ),
}


def _statements(backend_name: str, change: str) -> list[str]:
    by_backend, _ = HAND_MADE[change]
    statements = by_backend.get(backend_name, by_backend.get("*"))
    if statements is None:
        pytest.skip(f"{backend_name} has no functions or procedures")
    return statements


# -- introspection ---------------------------------------------------------------------------
def test_triggers_are_read_with_timing_events_level_condition_and_action(backend, migrations):
    shop_with_routines(backend, migrations)
    triggers = {t.name: t for t in schema_of(backend.url.text).triggers}
    assert sorted(triggers) == ["trg_users_audit", "trg_users_email"]
    audit, email = triggers["trg_users_audit"], triggers["trg_users_email"]
    assert (audit.table, audit.timing, audit.level) == ("users", "AFTER", "ROW")
    if backend.name == "postgresql":
        assert audit.events == ("INSERT", "UPDATE OF email")
        assert audit.condition == "new.age > 0"
        assert audit.action == "EXECUTE FUNCTION log_user()"
        assert (email.events, email.level) == (("DELETE",), "STATEMENT")
    elif backend.name == "sqlite":
        assert audit.events == ("INSERT",)
        assert audit.condition == "NEW.age > 0"
        assert audit.action == (
            "BEGIN\n    INSERT INTO audit (note) VALUES ('user ' || NEW.email);\nEND"
        )
        assert email.events == ("UPDATE OF email, age",)
    else:
        assert (audit.events, audit.condition) == (("INSERT",), None)
        assert audit.action.startswith("BEGIN\n    INSERT INTO audit")
        assert (email.timing, email.events) == ("BEFORE", ("UPDATE",))
        assert email.action == "SET NEW.age = COALESCE(NEW.age, 0)"


def test_functions_and_procedures_are_read_with_signature_and_body(backend, migrations):
    shop_with_routines(backend, migrations)
    routines = {(r.kind, r.key): r for r in schema_of(backend.url.text).routines}
    if backend.name == "sqlite":
        assert routines == {}
        return
    add = routines["function", "add_points(integer, integer)"]
    reset = routines["procedure", "reset_age(integer)"]
    assert (add.returns, reset.returns) == ("integer", None)
    assert reset.parameters == "IN uid integer"
    assert reset.body == "BEGIN\n    UPDATE users SET age = 0 WHERE id = uid;\nEND" + (
        ";" if backend.name == "postgresql" else ""
    )
    if backend.name == "postgresql":
        assert sorted(routines) == [
            ("function", "add_points(integer, integer)"),
            ("function", "log_user()"),
            ("function", "user_count()"),
            ("procedure", "reset_age(integer)"),
        ]
        assert add.parameters == "base integer, bonus integer DEFAULT 1"
        assert (add.language, add.volatility, add.options) == ("sql", "IMMUTABLE", ("STRICT",))
        assert add.body == "SELECT base + bonus"
        assert routines["function", "log_user()"].returns == "trigger"
        assert routines["function", "user_count()"].body.startswith("BEGIN ATOMIC")
    else:
        assert add.parameters == "base integer, bonus integer"
        assert (add.volatility, add.body) == ("DETERMINISTIC", "RETURN base + bonus")
        assert reset.options == ("MODIFIES SQL DATA",)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_functions_an_extension_owns_are_left_out(backend):
    backend.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    assert schema_of(backend.url.text).routines == ()


@pytest.mark.parametrize("backend", ["mariadb"], indirect=True)
def test_who_defined_a_routine_or_trigger_makes_no_difference(backend, migrations):
    shop_with_routines(backend, migrations)
    with second_database(backend) as other:
        write(migrations, {"003_routines.sql": _with_definer(ROUTINES["mariadb"])})
        migrate(other, migrations)
        assert diff(schema_of(backend.url.text), schema_of(other)) == []


def _with_definer(script: str) -> str:
    definer = "DEFINER = `someone_else`@`localhost` "
    for kind in ("TRIGGER", "FUNCTION", "PROCEDURE"):
        script = script.replace(f"CREATE {kind}", f"CREATE {definer}{kind}")
    return script


# -- the same migrations, twice; changes by hand ------------------------------------------
def test_the_same_migrations_twice_give_equal_schemas_and_identical_dumps(backend, migrations):
    shop_with_routines(backend, migrations)
    with second_database(backend) as other:
        migrate(other, migrations)
        first, second = schema_of(backend.url.text), schema_of(other)
    assert diff(first, second) == []
    assert render(first).encode() == render(second).encode()


@pytest.mark.parametrize("change", sorted(HAND_MADE))
def test_a_change_by_hand_shows_in_diff_and_in_drift(backend, migrations, change):
    statements = _statements(backend.name, change)
    shop_with_routines(backend, migrations)
    before = schema_of(backend.url.text)
    execute(backend.url.text, *statements)
    lines = [c.text for c in diff(before, schema_of(backend.url.text))]
    expected = HAND_MADE[change][1]
    assert [line for line in lines if line.startswith(expected)], lines
    assert len(lines) == 1, lines

    report = Migrator(backend.url.text, migrations).drift()
    assert [c.text for c in report.changes] == lines


def test_drift_sees_no_triggers_or_functions_right_after_up(backend, migrations):
    shop_with_routines(backend, migrations)
    report = Migrator(backend.url.text, migrations).drift()
    assert report.changes == (), [c.text for c in report.changes]


def test_verify_catches_a_down_that_leaves_a_trigger_behind(backend, migrations):
    script = ROUTINES[backend.name]
    for forgotten in (
        "DROP TRIGGER trg_users_audit ON users;\n",
        "DROP TRIGGER trg_users_audit;\n",
    ):
        script = script.replace(forgotten, "")
    script = script.replace("DROP FUNCTION log_user();\n", "")  # the trigger still calls it
    write(migrations, {**SHOP, "003_routines.sql": script})

    report = Migrator(backend.url.text, migrations).verify()

    assert report.failure is not None and report.failure.label == "003_routines"
    texts = [c.text for c in report.failure.changes]
    assert [t for t in texts if t.startswith("+ trigger users.trg_users_audit AFTER INSERT")], texts


def test_a_changed_body_shows_its_changed_lines(backend, migrations):
    shop_with_routines(backend, migrations)
    statements = _statements(
        backend.name, "trigger body" if backend.name == "sqlite" else "function body"
    )
    before = schema_of(backend.url.text)
    execute(backend.url.text, *statements)
    (change,) = diff(before, schema_of(backend.url.text))
    removed = [line for line in change.lines if line.startswith("-")]
    added = [line for line in change.lines if line.startswith("+")]
    if backend.name == "sqlite":
        assert change.text == "~ trigger users.trg_users_email: body changed"
        assert (removed, added) == (
            ["-    DELETE FROM audit WHERE note = OLD.email;"],
            ["+    DELETE FROM audit WHERE note = NEW.email;"],
        )
    else:
        assert removed and added and all("base + bonus" in line for line in removed + added)
        assert added[0].endswith("+ 1")


# -- without a database ------------------------------------------------------------------------
def _function(body: str, **changes: object) -> Routine:
    fields = {
        "kind": "function",
        "name": "f",
        "arguments": "integer",
        "parameters": "n integer",
        "returns": "integer",
        "language": "plpgsql",
        "body": body,
        "volatility": "VOLATILE",
    }
    fields.update(changes)
    return Routine(**fields)  # type: ignore[arg-type]


def test_diff_names_what_changed_in_a_function():
    old = Schema("postgresql", routines=(_function("BEGIN\n  RETURN n;\nEND;"),))
    new = Schema(
        "postgresql",
        routines=(_function("BEGIN\n  RETURN n + 1;\nEND;", volatility="STABLE"),),
    )
    (change,) = diff(old, new)
    assert change.text == "~ function f(integer): volatility VOLATILE -> STABLE; body changed"
    assert change.lines == (" BEGIN", "-  RETURN n;", "+  RETURN n + 1;", " END;")
    assert change.as_dict()["lines"] == list(change.lines)
    assert [c.text for c in diff(old, Schema("postgresql"))] == [
        "- function f(integer) (n integer) RETURNS integer LANGUAGE plpgsql"
    ]


def test_a_long_body_change_is_summed_up_instead_of_shown():
    long_old = "\n".join(f"x{i} := {i};" for i in range(40))
    long_new = "\n".join(f"x{i} := {i + 1};" for i in range(40))
    old = Schema("postgresql", routines=(_function(long_old),))
    (change,) = diff(old, Schema("postgresql", routines=(_function(long_new),)))
    assert change.text == "~ function f(integer): body changed (80 lines differ)"
    assert change.lines == ()
    assert MAX_BODY_LINES < 80


def test_functions_and_procedures_of_one_name_are_told_apart():
    procedure = _function("BEGIN NULL; END;", kind="procedure", returns=None, volatility=None)
    changes = diff(Schema("postgresql", routines=(_function("x"),)), Schema("postgresql"))
    assert [c.kind for c in changes] == ["function"]
    both = Schema("postgresql", routines=(_function("x"), procedure))
    assert [c.text for c in diff(Schema("postgresql", routines=(_function("x"),)), both)] == [
        "+ procedure f(integer) (n integer) LANGUAGE plpgsql"
    ]


def test_trigger_fields_that_changed_are_named():
    old = Trigger("t", "users", "BEFORE", ("INSERT",), "EXECUTE FUNCTION f()")
    new = Trigger("t", "users", "AFTER", ("INSERT", "UPDATE"), "EXECUTE FUNCTION g()")
    (change,) = diff(Schema("postgresql", triggers=(old,)), Schema("postgresql", triggers=(new,)))
    assert change.text == (
        "~ trigger users.t: timing BEFORE -> AFTER; events (INSERT) -> (INSERT, UPDATE); "
        "action EXECUTE FUNCTION f() -> EXECUTE FUNCTION g()"
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("\r\n  BEGIN\r\n    x;  \r\n  END\r\n\r\n", "BEGIN\n  x;\nEND"),
        ("BEGIN x; END", "BEGIN x; END"),
        ("\n\nselect 1\n", "select 1"),
        ("a  b\n  c", "a  b\n  c"),  # whitespace inside a line and relative indents are kept
    ],
)
def test_bodies_are_normalised_only_where_it_means_nothing(given, expected):
    assert normalise_body(given) == expected
    assert normalise_body(normalise_body(given)) == normalise_body(given)
