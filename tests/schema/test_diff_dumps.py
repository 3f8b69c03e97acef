"""`rung diff` with dump files written by `rung dump` on either side, and its exit code,
through the real command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from schema_helpers import execute, schema_of, shop_with_routines

from conftest import RUNG, Backend, Outcome, clean_env, run_rung, second_database
from scratch_helpers import scratch_databases

PG_DUMP = (
    "-- Schema dumped by `rung dump`: generated, do not edit.\n"
    "-- database: postgresql; 1 tables, 0 views, 0 sequences, 0 enums\n"
    "\n"
    "CREATE TABLE t (\n    id integer NOT NULL\n);\n"
)


def _dump(backend: Backend, cwd: Path, name: str) -> Path:
    done = run_rung(cwd, "dump", "-d", backend.url.text, "-o", name)
    assert done.code == 0, done.err
    return cwd / name


def _diff(backend: Backend, cwd: Path, *args: str) -> Outcome:
    """`rung diff`, with the backend's server to load dumps on when neither side is a URL."""
    return run_rung(cwd, "diff", *args, "-d", backend.url.text)


def test_a_dump_is_the_same_bytes_run_after_run_and_holds_every_kind(backend, migrations, tmp_path):
    shop_with_routines(backend, migrations)
    first = _dump(backend, tmp_path, "a.sql").read_bytes()
    second = _dump(backend, tmp_path, "b.sql").read_bytes()
    assert first == second
    text = first.decode()
    assert text.splitlines()[1].startswith(f"-- database: {backend.name}; 3 tables, 1 views")
    assert "2 triggers" in text.splitlines()[1]
    assert text.index("CREATE TABLE users") < text.index("CREATE TABLE orders")  # its reference
    assert text.index("CREATE VIEW big_orders") < text.index("CREATE TRIGGER trg_users_audit")
    if backend.name != "sqlite":
        assert "CREATE FUNCTION add_points(" in text
        assert "CREATE PROCEDURE reset_age(" in text
    if backend.name == "mariadb":  # bodies hold `;`: the mysql client needs a delimiter
        assert "DELIMITER ;;\nCREATE TRIGGER trg_users_audit" in text


def test_a_dump_compares_equal_to_the_database_it_came_from(backend, migrations, tmp_path):
    shop_with_routines(backend, migrations)
    dump = _dump(backend, tmp_path, "schema.sql")
    before = scratch_databases(backend, tmp_path)
    for sides in ((str(dump), backend.url.text), (backend.url.text, str(dump))):
        done = run_rung(tmp_path, "diff", *sides, "--exit-code")
        assert (done.code, done.out) == (0, "no differences\n"), done.err
    assert scratch_databases(backend, tmp_path) <= before  # each scratch database dropped


def test_two_dumps_compare_and_exit_15_with_exit_code(backend, migrations, tmp_path):
    shop_with_routines(backend, migrations)
    _dump(backend, tmp_path, "old.sql")
    drop = "DROP TRIGGER trg_users_email" + (" ON users" if backend.name == "postgresql" else "")
    execute(backend.url.text, "ALTER TABLE users ADD COLUMN nickname VARCHAR(30)", drop)
    _dump(backend, tmp_path, "new.sql")

    done = _diff(backend, tmp_path, "old.sql", "new.sql")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0] == "+ column users.nickname varchar(30) NULL"
    assert lines[1].startswith("- trigger users.trg_users_email ")
    assert lines[2:] == ["2 difference(s)"]

    strict = _diff(backend, tmp_path, "old.sql", "new.sql", "--exit-code")
    assert (strict.code, strict.out) == (15, done.out), strict.err
    as_json = _diff(backend, tmp_path, "old.sql", "new.sql", "--exit-code", "--json")
    assert as_json.code == 15, as_json.err
    document = as_json.json()
    assert document["equal"] is False
    assert [c["kind"] for c in document["changes"]] == ["column", "trigger"]
    same = _diff(backend, tmp_path, "new.sql", "new.sql", "--exit-code")
    assert (same.code, same.out) == (0, "no differences\n"), same.err


def test_a_changed_function_body_shows_its_lines(backend, migrations, tmp_path):
    if backend.name == "sqlite":
        pytest.skip("SQLite has no functions")
    shop_with_routines(backend, migrations)
    _dump(backend, tmp_path, "schema.sql")
    execute(
        backend.url.text,
        *{
            "postgresql": [
                "CREATE OR REPLACE FUNCTION add_points(base integer, bonus integer DEFAULT 1) "
                "RETURNS integer LANGUAGE sql IMMUTABLE STRICT AS 'SELECT base + 2 * bonus'"
            ],
            "mariadb": [
                "DROP FUNCTION add_points",
                "CREATE FUNCTION add_points(base INT, bonus INT) RETURNS INT DETERMINISTIC "
                "RETURN base + 2 * bonus",
            ],
        }[backend.name],
    )
    done = run_rung(tmp_path, "diff", "schema.sql", backend.url.text, "--exit-code")
    assert done.code == 15, done.err
    keyword = "SELECT" if backend.name == "postgresql" else "RETURN"
    assert done.out.splitlines() == [
        "~ function add_points(integer, integer): body changed",
        f"    -{keyword} base + bonus",
        f"    +{keyword} base + 2 * bonus",
        "1 difference(s)",
    ]


def test_a_dump_that_does_not_load_is_refused_at_its_line(backend, migrations, tmp_path):
    shop_with_routines(backend, migrations)
    dump = _dump(backend, tmp_path, "schema.sql")
    text = dump.read_text() + "\nCREATE INDEX ix_broken ON nowhere (x);\n"
    dump.write_text(text)
    line = text.count("\n")  # the last line
    before = scratch_databases(backend, tmp_path)

    done = run_rung(tmp_path, "diff", "schema.sql", backend.url.text)

    assert done.code == 9, done.text
    assert f"schema.sql:{line}: the dump does not load on " in done.err
    assert "CREATE INDEX ix_broken ON nowhere (x)" in done.err
    assert "rung dump" in done.err  # the hint: write it again
    assert scratch_databases(backend, tmp_path) <= before


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"], indirect=True)
def test_a_shadow_database_takes_the_dump_and_must_be_empty(backend, migrations, tmp_path):
    shop_with_routines(backend, migrations)
    _dump(backend, tmp_path, "schema.sql")
    with second_database(backend) as shadow:
        done = run_rung(tmp_path, "diff", "schema.sql", backend.url.text, "--shadow-url", shadow)
        assert (done.code, done.out) == (0, "no differences\n"), done.err
        assert schema_of(shadow) == schema_of(backend.url.text)  # left holding the dump

        again = run_rung(tmp_path, "diff", "schema.sql", backend.url.text, "--shadow-url", shadow)
    assert again.code == 9
    assert "is not empty" in again.err


# -- refusals that need no server ------------------------------------------------------------
def test_a_file_that_is_not_a_dump_is_refused_naming_it(tmp_path, migrations):
    (migrations / "001_users.sql").write_text("CREATE TABLE users (id INTEGER);\n")
    done = run_rung(tmp_path, "diff", "migrations/001_users.sql", f"sqlite:///{tmp_path}/a.db")
    assert done.code == 2
    assert "migrations/001_users.sql:1: not a schema dump written by `rung dump`" in done.err
    missing = run_rung(tmp_path, "diff", "nowhere.sql", f"sqlite:///{tmp_path}/a.db")
    assert missing.code == 2
    assert "FROM nowhere.sql: no such file, and not a database URL" in missing.err
    assert not (tmp_path / "a.db").exists()


def test_a_dump_of_another_kind_of_database_is_refused(tmp_path):
    (tmp_path / "pg.sql").write_text(PG_DUMP)
    done = run_rung(tmp_path, "diff", "pg.sql", f"sqlite:///{tmp_path}/a.db")
    assert done.code == 9
    assert "cannot compare pg.sql (a postgresql dump) with " in done.err
    assert "(a SQLite database)" in done.err
    secret = run_rung(tmp_path, "diff", "pg.sql", "mysql://me:s3cret@127.0.0.1:1/db")
    assert secret.code == 9 and "s3cret" not in secret.text


def test_two_server_dumps_need_a_server_of_their_kind(tmp_path):
    (tmp_path / "a.sql").write_text(PG_DUMP)
    (tmp_path / "b.sql").write_text(PG_DUMP)
    done = run_rung(tmp_path, "diff", "a.sql", "b.sql")
    assert done.code == 9
    assert "a.sql is a postgresql dump" in done.err and "--database" in done.err
    wrong = run_rung(tmp_path, "diff", "a.sql", "b.sql", "-d", f"sqlite:///{tmp_path}/x.db")
    assert wrong.code == 9
    assert "not a database of that kind" in wrong.err
    shadow = run_rung(tmp_path, "diff", "a.sql", "b.sql", "--shadow-url", "postgresql://h/db")
    assert shadow.code == 2
    assert "--shadow-url holds one dump" in shadow.err


def test_help_documents_dump_files_and_the_exit_code(tmp_path):
    done = run_rung(tmp_path, "diff", "--help")
    assert done.code == 0
    text = " ".join(done.out.split())
    assert "dump file written by `rung dump`" in text
    assert "--exit-code" in text and "Exit 15 when the schemas differ" in text
    assert "15 `rung diff --exit-code`: the two schemas differ" in text


def test_a_dump_with_a_foreign_key_cycle_loads(backend, tmp_path):
    if backend.name == "sqlite":  # SQLite cannot add a key later, but may name a later table
        backend.execute(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id))",
            "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id))",
        )
    else:
        backend.execute(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER)",
            "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id))",
            "ALTER TABLE a ADD CONSTRAINT fk_a_b FOREIGN KEY (b_id) REFERENCES b (id)",
        )
    _dump(backend, tmp_path, "schema.sql")
    done = run_rung(tmp_path, "diff", "schema.sql", backend.url.text, "--exit-code")
    assert (done.code, done.out) == (0, "no differences\n"), done.err


def test_a_dump_can_come_from_standard_input(backend, migrations, tmp_path):
    shop_with_routines(backend, migrations)
    dump = _dump(backend, tmp_path, "schema.sql").read_text()
    done = subprocess.run(
        [*RUNG, "diff", "-", backend.url.text, "--exit-code"],
        input=dump.replace("CREATE INDEX ix_users_age", "CREATE INDEX ix_users_years"),
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 15, done.stderr
    assert done.stdout.splitlines() == [
        "+ index ix_users_age (age)",
        "- index ix_users_years (age)",
        "2 difference(s)",
    ]
