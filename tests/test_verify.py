"""`rung verify`: the stairway (up, down, up) of each migration on a scratch database."""

from __future__ import annotations

import json

import pytest

from conftest import run_rung, write
from rung import Migrator
from rung.verify import DOWN_DIFFERS, FAILED, NOT_REVERSIBLE, OK, verify_error
from scratch_helpers import GOOD, TAGS, USERS, scratch_databases

# The down forgets the index the up created on another table.
FORGETS_INDEX = """-- rung:up
CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(100));
CREATE INDEX ix_users_email ON users (email);
-- rung:down
DROP TABLE posts;
"""
NO_DOWN = "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n"
BROKEN_DOWN = """-- rung:up
CREATE TABLE posts (id INTEGER PRIMARY KEY);
-- rung:down
DROP TABLE no_such_table;
"""
USERS_WITHOUT_INDEX = """-- rung:up
CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);
-- rung:down
DROP TABLE users;
"""


def outcomes(report):
    return [(check.label, check.outcome) for check in report.checks]


def test_good_migrations_pass(backend, migrations, tmp_path):
    write(migrations, GOOD)
    before = scratch_databases(backend, tmp_path)

    report = Migrator(backend.url.text, migrations).verify()

    assert report.ok and report.failure is None
    assert outcomes(report) == [("001_users", OK), ("002_posts", OK), ("003_tags", OK)]
    assert scratch_databases(backend, tmp_path) <= before
    assert backend.tables() == set()  # the configured database is never touched


def test_a_down_that_forgets_an_index_is_caught_with_the_diff(backend, migrations, tmp_path):
    write(
        migrations,
        {
            "001_users.sql": USERS_WITHOUT_INDEX,
            "002_posts.sql": FORGETS_INDEX,
            "003_tags.sql": TAGS,
        },
    )
    before = scratch_databases(backend, tmp_path)

    report = Migrator(backend.url.text, migrations).verify()

    assert not report.ok
    assert outcomes(report) == [("001_users", OK), ("002_posts", DOWN_DIFFERS)]  # stops there
    assert [c.text for c in report.failure.changes] == ["+ index ix_users_email (email)"]
    error = verify_error(report)
    assert error.exit_code == 14 and error.message.startswith("002_posts:")
    assert scratch_databases(backend, tmp_path) <= before


def test_a_migration_without_a_down_is_not_reversible_but_not_a_failure(backend, migrations):
    write(migrations, {"001_users.sql": USERS, "002_notes.sql": NO_DOWN, "003_tags.sql": TAGS})

    report = Migrator(backend.url.text, migrations).verify()

    assert report.ok
    assert outcomes(report) == [
        ("001_users", OK),
        ("002_notes", NOT_REVERSIBLE),
        ("003_tags", OK),
    ]


def test_a_down_that_fails_is_a_failure(backend, migrations, tmp_path):
    write(migrations, {"001_users.sql": USERS, "002_posts.sql": BROKEN_DOWN})
    before = scratch_databases(backend, tmp_path)

    report = Migrator(backend.url.text, migrations).verify()

    assert outcomes(report) == [("001_users", OK), ("002_posts", FAILED)]
    assert report.failure.error.startswith("its down:")
    assert scratch_databases(backend, tmp_path) <= before


def test_last_n_tests_only_the_newest_after_applying_the_older(backend, migrations):
    write(migrations, {"001_users.sql": USERS, "002_posts.sql": BROKEN_DOWN})
    write(migrations, {"003_tags.sql": TAGS, "004_notes.sql": NO_DOWN.replace("notes", "n2")})

    report = Migrator(backend.url.text, migrations).verify(last=2)

    assert report.ok  # 002's broken down is not tested
    assert report.prepared == ("001_users", "002_posts")
    assert outcomes(report) == [("003_tags", OK), ("004_notes", NOT_REVERSIBLE)]
    everything = Migrator(backend.url.text, migrations).verify(last=10)
    assert everything.prepared == () and not everything.ok


def test_a_shadow_url_needs_no_configured_database(tmp_path, migrations):
    write(migrations, GOOD)
    shadow = f"sqlite:///{tmp_path / 'shadow.db'}"

    report = Migrator(None, migrations).verify(shadow_url=shadow)

    assert report.ok and len(report.checks) == 3


# -- the real command -------------------------------------------------------------------------


def test_rung_verify_exits_0_or_14_naming_the_migration(backend, migrations, tmp_path):
    args = ("-d", backend.url.text, "--dir", str(migrations))
    write(migrations, {"001_users.sql": USERS_WITHOUT_INDEX, "003_tags.sql": TAGS})
    before = scratch_databases(backend, tmp_path)

    passed = run_rung(tmp_path, "verify", *args)
    assert passed.code == 0, passed.err
    assert "verified 2 migration(s)" in passed.out

    write(migrations, {"002_posts.sql": FORGETS_INDEX})
    failed = run_rung(tmp_path, "verify", *args)
    assert failed.code == 14, failed.err
    assert "+ index ix_users_email (email)" in failed.out
    assert "error[verify-failed]: 002_posts:" in failed.err

    last = run_rung(tmp_path, "verify", *args, "--last", "1", "--json")
    assert last.code == 0, last.err
    document = json.loads(last.out)
    assert document["ok"] is True and document["prepared"] == ["001_users", "002_posts"]
    assert [m["migration"] for m in document["migrations"]] == ["003_tags"]
    assert scratch_databases(backend, tmp_path) <= before


@pytest.mark.parametrize("value", ["0", "x"])
def test_rung_verify_rejects_a_bad_last(tmp_path, value):
    assert run_rung(tmp_path, "verify", "--last", value).code == 2


# -- a second up: idempotency, as information ---------------------------------------------------
IF_NOT_EXISTS = """-- rung:up
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY);
-- rung:down
DROP TABLE notes;
"""
# No down, so nothing undoes what a second up might leave; it fails at its third statement,
# after its INSERT ran again.
COUNTERS = """CREATE TABLE IF NOT EXISTS counters (n INTEGER);
INSERT INTO counters (n) VALUES (1);
CREATE TABLE counters_log (id INTEGER);
"""
# Fails if the second up of COUNTERS left its row behind.
UNIQUE_COUNTERS = """-- rung:up
CREATE UNIQUE INDEX ux_counters_n ON counters (n);
-- rung:down
DROP INDEX ux_counters_n ON counters;
"""
OUTSIDE_A_TRANSACTION = """-- rung:no-transaction
-- rung:up
CREATE TABLE outside (id INTEGER PRIMARY KEY);
-- rung:down
DROP TABLE outside;
"""


def idempotency(report):
    return [(check.label, check.idempotent) for check in report.checks]


def test_an_up_that_fails_when_run_again_is_information_not_a_failure(
    backend, migrations, tmp_path
):
    write(migrations, {"001_users.sql": USERS, "002_notes.sql": IF_NOT_EXISTS})
    before = scratch_databases(backend, tmp_path)

    report = Migrator(backend.url.text, migrations).verify()

    assert report.ok
    assert outcomes(report) == [("001_users", OK), ("002_notes", OK)]
    assert idempotency(report) == [("001_users", False), ("002_notes", True)]
    first = report.checks[0]
    assert "users" in first.second_up_error and first.second_up_error.startswith("line 2: ")
    assert first.idempotency_note.startswith("not idempotent: its up fails when run a second")
    assert report.checks[1].idempotency_note is None
    assert scratch_databases(backend, tmp_path) <= before
    assert backend.tables() == set()


def test_a_second_up_leaves_no_trace_for_the_migrations_after_it(backend, migrations):
    down = (
        UNIQUE_COUNTERS
        if backend.name == "mariadb"
        else UNIQUE_COUNTERS.replace(" ON counters;", ";")
    )
    write(migrations, {"001_counters.sql": COUNTERS, "002_unique.sql": down})

    report = Migrator(backend.url.text, migrations).verify()

    assert outcomes(report) == [("001_counters", NOT_REVERSIBLE), ("002_unique", OK)]
    assert idempotency(report) == [("001_counters", False), ("002_unique", False)]
    assert "counters_log" in report.checks[0].second_up_error


def test_a_migration_outside_a_transaction_runs_again_on_a_copy(backend, migrations, tmp_path):
    write(migrations, {"001_outside.sql": OUTSIDE_A_TRANSACTION})
    before = scratch_databases(backend, tmp_path)

    (check,) = Migrator(backend.url.text, migrations).verify().checks

    assert check.outcome == OK
    if backend.name == "sqlite":  # a file rung does not copy: said, not guessed
        assert check.idempotent is None
        assert check.idempotency_note.startswith("idempotency not checked: it runs outside")
    else:
        assert check.idempotent is False and "outside" in check.second_up_error
    assert scratch_databases(backend, tmp_path) <= before


def test_rung_verify_shows_idempotency_in_text_and_json(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS, "002_notes.sql": IF_NOT_EXISTS})
    args = ("-d", f"sqlite:///{tmp_path / 'app.db'}", "--dir", str(migrations))

    text = run_rung(tmp_path, "verify", *args)
    assert text.code == 0, text.err
    assert "    info: not idempotent: its up fails when run a second time: line 2:" in text.out
    assert "verified 2 migration(s); 1 not idempotent (information, not a failure)" in text.out

    document = run_rung(tmp_path, "verify", *args, "--json").json()
    assert [(m["migration"], m["idempotent"]) for m in document["migrations"]] == [
        ("001_users", False),
        ("002_notes", True),
    ]
    assert "users" in document["migrations"][0]["second_up_error"]


PYTHON_UP = """from sqlalchemy import text


def up(conn):
    conn.execute(text("CREATE TABLE py_made (id INTEGER)"))


def down(conn):
    conn.execute(text("DROP TABLE py_made"))
"""


def test_a_python_migration_runs_again_too_and_the_error_is_the_databases(backend, migrations):
    write(migrations, {"001_py_made.py": PYTHON_UP})

    (check,) = Migrator(backend.url.text, migrations).verify().checks

    assert check.outcome == OK and check.idempotent is False
    assert "py_made" in check.second_up_error and "\n" not in check.second_up_error
