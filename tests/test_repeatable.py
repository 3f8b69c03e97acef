"""Repeatable migrations (migrations/repeatable/, Flyway's R__name.sql): run after the
versioned ones whenever their file changes, recorded in the history by name; the same test
body on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

# The drivers are imported here, before pytester snapshots sys.modules (see
# test_pytest_plugin.py): a driver imported twice breaks other tests' `except psycopg.Error`.
import rung.dialects.mysql  # noqa: F401
import rung.dialects.postgresql  # noqa: F401
from conftest import RUNG, SERVERS, Backend, _server_problem, run_rung, write
from rung import Migrator
from rung.config import Settings
from rung.errors import InvalidMigrations, MigrationFailed, RequestRefused
from rung.model import REPEATABLE, HistoryEvent
from rung.plan import (
    AFTER_ROLLBACK,
    APPLIED,
    CHANGED,
    FAILED,
    MISSING,
    NEW,
    PENDING,
    derive,
    repeatable_statuses,
)
from rung.source.repeatable import discover_repeatables

pytest_plugins = ["pytester"]

USERS = """-- rung:up
CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, active INTEGER);
INSERT INTO users (id, email, active) VALUES (1, 'a@example.com', 1), (2, 'b@example.com', 0);
-- rung:down
DROP VIEW IF EXISTS active_users;
DROP TABLE users;
"""
VIEW = """-- The users who can log in.
DROP VIEW IF EXISTS active_users;
CREATE VIEW active_users AS SELECT id FROM users WHERE active = 1;
"""
VIEW_WITH_EMAIL = """-- The users who can log in, with their address.
DROP VIEW IF EXISTS active_users;
CREATE VIEW active_users AS SELECT id, email FROM users WHERE active = 1;
"""
BROKEN_VIEW = """DROP VIEW IF EXISTS active_users;
CREAT VIEW active_users AS SELECT id FROM users;
"""


def project(folder: Path, view: str = VIEW, **more: str) -> Path:
    write(folder, {"001_users.sql": USERS, **more})
    (folder / "repeatable").mkdir(exist_ok=True)
    write(folder / "repeatable", {"active_users.sql": view})
    return folder


def migrator(backend: Backend, folder: Path, **settings: object) -> Migrator:
    return Migrator(settings=Settings(database=backend.url.text, directory=folder, **settings))


def repeatable_states(m: Migrator) -> dict[str, tuple[str, str | None]]:
    return {item.label: (item.state, item.change) for item in m.status().repeatables}


def repeatable_runs(backend: Backend) -> list[tuple[str, str, str]]:
    return backend.query(
        "SELECT name, outcome, checksum FROM rung_history"
        " WHERE version = 'repeatable' AND outcome <> 'running' ORDER BY id"
    )


# -- up ---------------------------------------------------------------------------------------
def test_up_runs_a_new_repeatable_after_the_versioned_migrations_and_only_once(backend, migrations):
    m = migrator(backend, project(migrations, **{"002_posts.sql": "CREATE TABLE posts (id INT);"}))
    result = m.up()
    labels = [step.migration.label for step in result.steps]
    assert labels == ["001_users", "002_posts", "repeatable/active_users"]
    assert backend.query("SELECT id FROM active_users") == [(1,)]
    assert [row[:3] for row in backend.history_rows() if row[2] == "success"] == [
        ("001", "apply", "success"),
        ("002", "apply", "success"),
        (REPEATABLE, "apply", "success"),
    ]
    assert m.up().steps == []  # unchanged: not run again
    assert len(repeatable_runs(backend)) == 1
    assert repeatable_states(m) == {"repeatable/active_users": (APPLIED, None)}
    assert m.status().up_to_date


def test_an_edited_repeatable_runs_again_and_the_history_keeps_both_runs(backend, migrations):
    m = migrator(backend, project(migrations))
    m.up()
    write(migrations / "repeatable", {"active_users.sql": VIEW_WITH_EMAIL})
    assert repeatable_states(m) == {"repeatable/active_users": (PENDING, CHANGED)}
    assert not m.status().up_to_date
    result = m.up()
    assert [step.migration.label for step in result.steps] == ["repeatable/active_users"]
    assert backend.query("SELECT id, email FROM active_users") == [(1, "a@example.com")]
    runs = repeatable_runs(backend)
    assert [(name, outcome) for name, outcome, _ in runs] == [
        ("active_users", "success"),
        ("active_users", "success"),
    ]
    assert runs[0][2] != runs[1][2]  # each run with the checksum of the file it ran
    events = [e for e in m.history() if e.version_text == REPEATABLE and e.outcome == "success"]
    assert [e.label for e in events] == ["repeatable/active_users"] * 2
    assert all(e.db_user is not None or backend.name == "sqlite" for e in events)
    assert all(e.duration_ms is not None and e.os_user and e.host for e in events)


def test_repeatables_run_in_name_order(backend, migrations):
    project(migrations)
    write(
        migrations / "repeatable",
        {  # b_summary reads a_base: name order makes that work
            "b_summary.sql": "DROP VIEW IF EXISTS b_summary;\n"
            "CREATE VIEW b_summary AS SELECT count(*) AS n FROM a_base;\n",
            "a_base.sql": "DROP VIEW IF EXISTS a_base;\n"
            "CREATE VIEW a_base AS SELECT id FROM users;\n",
        },
    )
    result = migrator(backend, migrations).up()
    assert [step.migration.label for step in result.steps][1:] == [
        "repeatable/a_base",
        "repeatable/active_users",
        "repeatable/b_summary",
    ]
    assert backend.query("SELECT n FROM b_summary") == [(2,)]


def test_a_python_repeatable_runs_its_up(backend, migrations):
    project(migrations)
    write(
        migrations / "repeatable",
        {
            "user_count.py": '"""A view written in Python."""\n'
            "from sqlalchemy import text\n\n\n"
            "def up(conn):\n"
            '    conn.execute(text("DROP VIEW IF EXISTS user_count"))\n'
            '    conn.execute(text("CREATE VIEW user_count AS SELECT count(*) AS n FROM users"))\n'
        },
    )
    m = migrator(backend, migrations)
    m.up()
    assert backend.query("SELECT n FROM user_count") == [(2,)]
    assert repeatable_states(m)["repeatable/user_count"] == (APPLIED, None)


def test_the_variant_for_the_database_is_the_one_that_runs(backend, migrations):
    project(migrations)
    tag = {"sqlite": "sqlite", "postgresql": "postgresql", "mariadb": "mysql"}[backend.name]
    write(
        migrations / "repeatable",
        {
            f"flavour.{tag}.sql": "DROP VIEW IF EXISTS flavour;\n"
            f"CREATE VIEW flavour AS SELECT '{tag}' AS name;\n",
            "flavour.sql": "DROP VIEW IF EXISTS flavour;\n"
            "CREATE VIEW flavour AS SELECT 'generic' AS name;\n",
        },
    )
    m = migrator(backend, migrations)
    m.up()
    assert backend.query("SELECT name FROM flavour") == [(tag,)]
    assert repeatable_states(m)[f"repeatable/flavour.{tag}"] == (APPLIED, None)


def test_up_to_a_version_leaves_repeatables_for_a_full_up(backend, migrations):
    m = migrator(backend, project(migrations, **{"002_posts.sql": "CREATE TABLE posts (id INT);"}))
    result = m.up(target=(1,))
    assert [step.migration.label for step in result.steps] == ["001_users"]
    assert repeatable_states(m) == {"repeatable/active_users": (PENDING, NEW)}
    assert [step.migration.label for step in m.up().steps] == [
        "002_posts",
        "repeatable/active_users",
    ]


def test_dry_run_shows_repeatables_and_runs_nothing(backend, migrations):
    m = migrator(backend, project(migrations))
    result = m.up(dry_run=True)
    assert result.dry_run
    last = result.steps[-1]
    assert last.migration.label == "repeatable/active_users"
    assert [s.text for s in last.statements][1].startswith("CREATE VIEW active_users")
    assert last.statements[1].line == 3  # the file's own line
    assert backend.tables() == set()


def test_single_transaction_includes_the_repeatables(backend, migrations):
    if not backend.transactional_ddl:
        pytest.skip("--single-transaction needs transactional DDL")
    m = migrator(backend, project(migrations, view=BROKEN_VIEW))
    with pytest.raises(MigrationFailed) as failed:
        m.up(single_transaction=True)
    assert "rolled back the whole batch" in failed.value.details[-1]
    assert "users" not in backend.tables()  # the versioned migration went back with it
    write(migrations / "repeatable", {"active_users.sql": VIEW})
    assert len(m.up(single_transaction=True).steps) == 2
    assert backend.query("SELECT id FROM active_users") == [(1,)]


def test_runners_started_at_once_run_a_repeatable_exactly_once(backend, migrations):
    project(migrations)
    command = [*RUNG, "-d", backend.url.text, "--dir", str(migrations), "up"]
    runners = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in runners]
    assert [code for code, _ in results] == [0] * 4, results
    assert len(repeatable_runs(backend)) == 1


# -- failures ---------------------------------------------------------------------------------
def test_a_failed_repeatable_is_recorded_and_the_fixed_file_runs_next_time(backend, migrations):
    m = migrator(backend, project(migrations, view=BROKEN_VIEW))
    with pytest.raises(MigrationFailed) as failed:
        m.up()
    assert "repeatable/active_users.sql:2" in failed.value.message
    assert "users" in backend.tables()  # the versioned migration before it stays applied
    runs = backend.query(
        "SELECT event, outcome, statements_done, error FROM rung_history"
        " WHERE version = 'repeatable' AND outcome <> 'running' ORDER BY id"
    )
    assert [row[:2] for row in runs] == [("apply", "failed")]
    assert runs[0][3]  # the database's error is kept
    if not backend.transactional_ddl:  # the DROP before the typo was committed
        assert runs[0][2] == 1
        assert "runs the whole repeatable migration again" in (failed.value.hint or "")
    [item] = m.status().repeatables
    assert item.state == FAILED and item.applied.failure is not None
    assert not m.status().up_to_date
    write(migrations / "repeatable", {"active_users.sql": VIEW})  # fixed: runs from the top
    assert [step.migration.label for step in m.up().steps] == ["repeatable/active_users"]
    assert backend.query("SELECT id FROM active_users") == [(1,)]
    assert repeatable_states(m) == {"repeatable/active_users": (APPLIED, None)}


def test_a_failed_repeatable_exits_as_a_failed_migration(backend, migrations, tmp_path):
    project(migrations, view=BROKEN_VIEW)
    result = run_rung(tmp_path, "up", "-d", backend.url.text)
    assert result.code == MigrationFailed.exit_code, result.text
    assert "error[migration-failed]" in result.err and "active_users.sql:2" in result.err
    status = run_rung(tmp_path, "status", "-d", backend.url.text)
    assert "repeatable/active_users: its last run failed" in status.out
    assert "Fix the file and run `rung up`" in status.out


# -- status, history, down, repair ------------------------------------------------------------
def test_status_lists_repeatables_and_exit_code_counts_pending_ones(backend, migrations, tmp_path):
    project(migrations)
    url = backend.url.text
    assert run_rung(tmp_path, "up", "--to", "1", "-d", url).code == 0
    pending = run_rung(tmp_path, "status", "--exit-code", "-d", url)
    assert pending.code == 8, pending.text
    assert "repeatable  active_users  pending" in pending.out
    assert "1 applied; repeatable: 1 pending" in pending.out
    document = run_rung(tmp_path, "status", "--json", "-d", url).json()
    assert document["up_to_date"] is False
    [item] = document["repeatables"]
    assert (item["name"], item["state"], item["change"]) == ("active_users", "pending", "new")
    assert item["path"].endswith("repeatable/active_users.sql") and item["applied_at"] is None

    up = run_rung(tmp_path, "up", "--json", "-d", url).json_lines()
    done = [(e["version"], e["name"], e["repeatable"]) for e in up if e["event"] == "done"]
    assert done == [(REPEATABLE, "active_users", True)]
    assert run_rung(tmp_path, "status", "--exit-code", "-d", url).code == 0
    [item] = run_rung(tmp_path, "status", "--json", "-d", url).json()["repeatables"]
    assert item["state"] == "applied" and item["applied_at"] and item["change"] is None
    assert item["checksum"] == item["applied_checksum"]

    history = run_rung(tmp_path, "history", "-d", url)
    assert "repeatable/active_users" in history.out
    events = run_rung(tmp_path, "history", "--json", "-d", url).json()["events"]
    assert [(e["version"], e["name"]) for e in events][-1] == (REPEATABLE, "active_users")
    edited = VIEW_WITH_EMAIL
    write(migrations / "repeatable", {"active_users.sql": edited})
    changed = run_rung(tmp_path, "status", "-d", url)
    assert "repeatable/active_users: changed since it last ran" in changed.out


def test_dry_run_on_the_command_line_names_the_repeatable(backend, migrations, tmp_path):
    project(migrations)
    result = run_rung(tmp_path, "up", "--dry-run", "-d", backend.url.text)
    assert result.code == 0, result.text
    assert "would apply 1 migration(s) and 1 repeatable migration(s)" in result.out
    assert "-- repeatable/active_users (repeatable)" in result.out
    assert "CREATE VIEW active_users" in result.out


def test_down_never_touches_repeatables_and_they_run_again_after_it(backend, migrations):
    m = migrator(backend, project(migrations, **{"002_posts.sql": POSTS}))
    m.up()
    result = m.down()
    assert [step.migration.label for step in result.steps] == ["002_posts"]
    assert backend.query("SELECT id FROM active_users") == [(1,)]  # down left it alone
    assert repeatable_states(m) == {"repeatable/active_users": (PENDING, AFTER_ROLLBACK)}
    m.down(everything=True)  # 001's down drops the view with its table
    assert "users" not in backend.tables()
    with pytest.raises(RequestRefused, match="nothing to roll back"):
        m.down()  # a repeatable is never a step of down
    m.up()  # the rollback may have dropped what the repeatable made: it runs again
    assert backend.query("SELECT id FROM active_users") == [(1,)]
    assert repeatable_states(m) == {"repeatable/active_users": (APPLIED, None)}


POSTS = """-- rung:up
CREATE TABLE posts (id INTEGER PRIMARY KEY);
-- rung:down
DROP TABLE posts;
"""


def test_a_deleted_repeatable_is_missing_and_nothing_is_dropped(backend, migrations, tmp_path):
    m = migrator(backend, project(migrations))
    m.up()
    (migrations / "repeatable" / "active_users.sql").unlink()
    assert repeatable_states(m) == {"repeatable/active_users": (MISSING, None)}
    assert m.up().steps == []
    assert backend.query("SELECT id FROM active_users") == [(1,)]  # still there
    status = run_rung(tmp_path, "status", "--exit-code", "-d", backend.url.text)
    assert status.code == 0, status.text  # nothing for `up` to do
    assert "repeatable/active_users: it ran, but its file is gone" in status.out
    assert m.validate().ok
    repaired = m.repair()
    assert [item.label for item in repaired] == ["repeatable/active_users"]
    assert m.status().repeatables == []  # forgotten; the view is still there
    assert backend.query("SELECT id FROM active_users") == [(1,)]


def test_repair_baseline_and_validate_keep_working_beside_repeatable_events(backend, migrations):
    m = migrator(backend, project(migrations))
    m.up()
    assert m.repair() == []  # nothing to repair; the repeatable is not touched
    with pytest.raises(RequestRefused, match="already has a rung history"):
        m.baseline((1,))
    report = m.validate()
    assert report.ok and report.checked_database and report.repeatables == 1


def test_a_baselined_database_gets_its_repeatables_on_the_next_up(backend, migrations):
    backend.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200), active INT)")
    m = migrator(backend, project(migrations))
    m.baseline((1,))
    assert [step.migration.label for step in m.up().steps] == ["repeatable/active_users"]


# -- drift, verify, the pytest plugin ---------------------------------------------------------
def test_drift_and_verify_see_what_repeatables_build(backend, migrations):
    m = migrator(backend, project(migrations))
    m.up()
    report = m.drift()
    assert not report.drifted, [change.text for change in report.changes]
    assert report.migrations == ("001_users", "repeatable/active_users")
    write(migrations / "repeatable", {"active_users.sql": VIEW_WITH_EMAIL})
    notes = m.drift().notes
    assert any("repeatable/active_users: built from the current file" in note for note in notes)
    assert m.verify().ok  # the stairway tests versioned migrations; repeatables do not disturb it


PLUGIN_TESTS = """
from rung import Migrator
from rung.config import parse_url
from rung.dialects import connect


def test_migrated(migrated_database, rung_settings):
    assert Migrator(migrated_database, rung_settings.directory).status().up_to_date
    _, conn = connect(parse_url(migrated_database))
    try:
        cur = conn.cursor()
        cur.execute("SELECT id FROM active_users")
        assert list(cur.fetchall()) == [(1,)]
    finally:
        conn.close()
"""


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'base.db'}"
    problem = _server_problem(request.param)
    if problem:
        pytest.skip(f"{request.param} server not reachable: {problem}")
    return SERVERS[request.param]


def test_pytest_plugin_databases_hold_the_repeatables(pytester, monkeypatch, server_url):
    for name in ("RUNG_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    project(pytester.mkdir("migrations"))
    pytester.makeini("[pytest]\nrung_stairway = true\n")
    pytester.makepyfile(test_app=PLUGIN_TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--rung-database-url", server_url
    )
    result.assert_outcomes(passed=2)  # test_migrated, and the stairway


# -- Flyway ----------------------------------------------------------------------------------
def test_flyway_r_files_are_repeatables(backend, migrations):
    write(
        migrations,
        {
            "V1__users.sql": USERS.split("-- rung:down")[0].replace("-- rung:up\n", ""),
            "R__active_users.sql": VIEW,
        },
    )
    m = migrator(backend, migrations, format="flyway")
    assert [m.label for m in m.repeatables()] == ["R__active_users"]
    assert [m.label for m in m.migrations()] == ["V1__users"]
    assert [step.migration.label for step in m.up().steps] == ["V1__users", "R__active_users"]
    assert backend.query("SELECT id FROM active_users") == [(1,)]
    write(migrations, {"R__active_users.sql": VIEW_WITH_EMAIL})
    assert [step.migration.label for step in m.up().steps] == ["R__active_users"]
    assert [name for name, _, _ in repeatable_runs(backend)] == ["active_users"] * 2


def test_flyway_repeatable_problems_name_the_files(migrations):
    write(
        migrations,
        {"R1__versioned.sql": "SELECT 1;", "R__views.sql": VIEW, "V1__x.sql": "SELECT 1;"},
    )
    (migrations / "repeatable").mkdir()
    write(migrations / "repeatable", {"views.sql": VIEW})
    m = Migrator(settings=Settings(directory=migrations, format="flyway"))
    with pytest.raises(InvalidMigrations) as caught:
        m.repeatables()
    assert caught.value.details == (
        f"{migrations / 'R__views.sql'}: repeatable 'views' is also defined by "
        "repeatable/views.sql",
    )
    with pytest.raises(InvalidMigrations) as caught:
        m.migrations()
    assert caught.value.details == (
        f"{migrations / 'R1__versioned.sql'}: a Flyway repeatable migration has no version: "
        "name it R__<name>.sql",
    )


# -- files ------------------------------------------------------------------------------------
def test_bad_repeatable_files_are_problems_naming_each_file(migrations, tmp_path):
    project(migrations)
    folder = migrations / "repeatable"
    write(
        folder,
        {
            "active_users.py": "def up(conn):\n    pass\n",  # a second active_users
            "notes.txt": "not a migration",
            "views.down.sql": "DROP VIEW v;",
            "with_down.sql": "-- rung:up\nCREATE VIEW v AS SELECT 1 AS x;\n"
            "-- rung:down\nDROP VIEW v;\n",
            "no_up.py": "def down(conn):\n    pass\n",
            ".hidden.sql": "not read",
        },
    )
    (folder / "latin1.sql").write_bytes(b"-- caf\xe9\nSELECT 1;\n")
    (folder / "nested").mkdir()
    (folder / "__pycache__").mkdir()
    details = Migrator(settings=Settings(directory=migrations)).validate().problems
    assert sorted(details) == sorted(
        [
            f"{folder / 'active_users.sql'}: repeatable 'active_users' is also defined by "
            "repeatable/active_users.py",
            f"{folder / 'latin1.sql'}:1: not UTF-8 text (byte 0xe9 at offset 6)",
            f"{folder / 'nested'}: folders inside repeatable/ are not read; move its files up",
            f"{folder / 'notes.txt'}: not a repeatable migration: only .sql and .py files "
            "belong in repeatable/",
            f"{folder / 'views.down.sql'}: a repeatable migration is one file, without "
            ".up/.down parts (rung down never runs a repeatable migration); name it <name>.sql",
            f"{folder / 'with_down.sql'}:3: a `-- rung:down` section in a repeatable migration "
            "(rung down never runs a repeatable migration); remove it, and drop objects that "
            "should go in a versioned migration",
            f"{folder / 'no_up.py'}: defines no up(conn) function; add `def up(conn):`",
            f"{folder / 'no_up.py'}:1: defines down, but rung down never runs a repeatable "
            "migration; remove it",
        ]
    )
    result = run_rung(tmp_path, "validate")
    assert result.code == 5 and str(folder / "notes.txt") in result.out


def test_up_refuses_a_bad_repeatable_before_anything_runs(backend, migrations):
    project(migrations)
    write(migrations / "repeatable", {"active_users.py": "def up(conn):\n    pass\n"})
    with pytest.raises(InvalidMigrations, match="repeatable migrations"):
        migrator(backend, migrations).up()
    assert backend.tables() == set()  # not even the history table


def test_rung_sum_covers_repeatables(backend, migrations, tmp_path):
    project(migrations)
    m = migrator(backend, migrations)
    m.hash()
    lines = (migrations / "rung.sum").read_text().splitlines()
    assert [line.split("  ")[1] for line in lines[1:-1]] == [
        "001_users.sql",
        "repeatable/active_users.sql",
    ]
    write(migrations / "repeatable", {"active_users.sql": VIEW_WITH_EMAIL})
    with pytest.raises(InvalidMigrations) as caught:
        m.up()
    assert caught.value.details == (
        f"{migrations / 'repeatable' / 'active_users.sql'}: changed since rung.sum was written",
    )
    assert backend.tables() == set()
    check = run_rung(tmp_path, "check", "--dialect", "sqlite")
    assert check.code == 12 and "error[integrity]" in check.out
    m.hash()
    assert len(m.up().steps) == 2


def test_rebase_ignores_repeatables_named_like_versions(migrations):
    write(migrations, {"001_users.sql": USERS})
    (migrations / "repeatable").mkdir()
    write(migrations / "repeatable", {"001_views.sql": VIEW})
    Migrator(settings=Settings(directory=migrations)).hash()
    result = Migrator(settings=Settings(directory=migrations)).rebase(
        (1,), now=datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert [old.name for old, _ in result.renamed] == ["001_users.sql"]
    assert (migrations / "repeatable" / "001_views.sql").exists()


# -- rung check -------------------------------------------------------------------------------
REPORT = """-- rung:up
-- active_users in a comment, and in a string, are not uses
INSERT INTO users (id, email, active) VALUES (3, 'active_users', 1);
CREATE TABLE report AS
  SELECT * FROM "Active_Users";
-- rung:down
DROP TABLE report;
"""


def test_check_warns_when_a_versioned_migration_uses_what_only_a_repeatable_creates(
    migrations, tmp_path
):
    project(migrations, **{"002_report.sql": REPORT})
    write(
        migrations / "repeatable",
        {"users_view.sql": "DROP VIEW IF EXISTS users_v;\nCREATE VIEW users_v AS SELECT 1;\n"},
    )
    write(
        migrations, {"003_own.sql": "CREATE VIEW users_v AS SELECT 2 AS x;\nSELECT * FROM users_v;"}
    )
    result = run_rung(tmp_path, "check", "--dialect", "postgresql", "--json")
    assert result.code == 0, result.text  # a warning does not block a merge
    document = result.json()
    warnings = [p for p in document["problems"] if p["kind"] == "repeatable"]
    assert len(warnings) == 1, warnings  # users_v: a versioned migration creates it too
    [warning] = warnings
    assert warning["severity"] == "warning"
    message = warning["message"]
    assert message.startswith(f"{migrations / '002_report.sql'}:5: uses active_users")
    assert "only the repeatable migration repeatable/active_users creates" in message
    assert f"({migrations / 'repeatable' / 'active_users.sql'}:3)" in message
    text = run_rung(tmp_path, "check", "--dialect", "postgresql")
    assert "warning[repeatable]" in text.out and "check passed" in text.out


def test_check_reports_bad_repeatables_as_invalid(migrations, tmp_path):
    project(migrations)
    write(migrations / "repeatable", {"notes.txt": "x"})
    result = run_rung(tmp_path, "check", "--dialect", "sqlite", "--json")
    assert result.code == 12
    kinds = {(p["kind"], p["severity"]) for p in result.json()["problems"]}
    assert ("invalid", "error") in kinds


# -- planning, without a database -------------------------------------------------------------
def _event(id: int, version: str, name: str, event: str, outcome: str, checksum: str | None = None):
    from rung.model import history_version

    return HistoryEvent(
        id, history_version(version), version, name, event, outcome, checksum, 1, None,
        None, (), None, datetime(2030, 1, 1, tzinfo=UTC), 1, None, None, None, None,
    )  # fmt: skip


def test_planning_derives_each_repeatables_standing_from_its_events(migrations):
    project(migrations)
    write(migrations / "repeatable", {"b.sql": "SELECT 1;", "c.sql": "SELECT 2;"})
    files = {r.name: r for r in discover_repeatables(migrations)}
    a, b, c = files["active_users"], files["b"], files["c"]
    history = derive(
        [
            _event(1, "001", "users", "apply", "success"),
            _event(2, REPEATABLE, "active_users", "apply", "success", a.checksum),
            _event(3, REPEATABLE, "b", "apply", "success", "older"),
            _event(4, REPEATABLE, "c", "apply", "success", c.checksum),
            _event(5, REPEATABLE, "c", "apply", "running"),  # killed while running
            _event(6, REPEATABLE, "gone", "apply", "success", "x"),
            _event(7, REPEATABLE, "forgotten", "apply", "success", "y"),
            _event(8, REPEATABLE, "forgotten", "repair", "pending"),
        ]
    )
    assert set(history.states) == {(1,)}  # versioned standings are not disturbed
    states = {
        s.name: (s.state, s.change) for s in repeatable_statuses(list(files.values()), history)
    }
    assert states == {
        "active_users": (APPLIED, None),
        "b": (PENDING, CHANGED),
        "c": (FAILED, None),
        "gone": (MISSING, None),
    }
    rolled_back = derive(
        [
            _event(1, REPEATABLE, "b", "apply", "success", b.checksum),
            _event(2, "001", "users", "rollback", "success"),
        ]
    )
    [b_status] = repeatable_statuses([b], rolled_back)
    assert (b_status.state, b_status.change) == (PENDING, AFTER_ROLLBACK)
