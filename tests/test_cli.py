"""The `rung` command as users run it: arguments, output, exit codes, on every backend.

Most tests drive `rung.cli.main` through click's CliRunner (same code path, same exit
codes, separate stdout and stderr). A few run the installed `rung` script in a process
of its own, where the real environment, working folder or a second process matters.
"""

from __future__ import annotations

import getpass
import json
import re
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import (
    POSTS,
    RUNG,
    TAGS,
    URL_VARIABLES,
    USERS,
    Backend,
    Outcome,
    clean_env,
    run_rung,
    write,
)
from rung import __version__
from rung.cli import main

README = Path(__file__).parent.parent / "README.md"


Rung = Callable[..., Outcome]


@pytest.fixture
def rung(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Rung:
    """Run `rung ARGS...` in-process, in tmp_path, with no database URL in the environment."""
    monkeypatch.chdir(tmp_path)
    for name in URL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Outcome:
        result = runner.invoke(main, list(args), prog_name="rung", catch_exceptions=False)
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return invoke


def folder(path: Path, files: dict[str, str]) -> Path:
    """A migrations folder somewhere other than ./migrations, with files in it."""
    path.mkdir(parents=True, exist_ok=True)
    return write(path, files)


def two(migrations: Path) -> Path:
    return write(migrations, {"001_users.sql": USERS, "002_posts.sql": POSTS})


def rows(out: str, *cells: str) -> list[list[str]]:
    """The lines of a table that hold all of `cells`, split into words (column order free)."""
    return [line.split() for line in out.splitlines() if set(cells) <= set(line.split())]


def db_label(backend: Backend) -> str:
    """What identifies the database in status output: its file, or its name on the server."""
    return backend.url.path if backend.name == "sqlite" else backend.url.database


# -- init and new -------------------------------------------------------------------------------


def test_init_then_new_then_up_works_with_the_default_sqlite_config(tmp_path):
    init = run_rung(tmp_path, "init")
    assert init.code == 0, init.err
    assert (tmp_path / "migrations").is_dir() and (tmp_path / "rung.toml").is_file()
    assert "created migrations/, rung.toml" in init.out
    new = run_rung(tmp_path, "new", "add users")
    assert new.code == 0, new.err
    [created] = (tmp_path / "migrations").iterdir()
    created.write_text(USERS, encoding="utf-8")
    up = run_rung(tmp_path, "up")
    assert up.code == 0, up.err
    tables = sqlite3.connect(tmp_path / "app.db").execute("SELECT name FROM sqlite_master")
    assert "users" in {row[0] for row in tables}
    assert run_rung(tmp_path, "status", "--exit-code").code == 0


def test_init_is_idempotent_and_leaves_existing_files_alone(rung, tmp_path):
    assert rung("init").code == 0
    (tmp_path / "rung.toml").write_text('database = "sqlite:///mine.db"\n', encoding="utf-8")
    write(tmp_path / "migrations", {"001_users.sql": USERS})
    again = rung("init")
    assert again.code == 0
    assert "already initialised" in again.out
    assert (tmp_path / "rung.toml").read_text() == 'database = "sqlite:///mine.db"\n'
    assert (tmp_path / "migrations" / "001_users.sql").read_text() == USERS


def test_init_writes_a_config_that_rung_reads_and_documents_the_settings(rung, tmp_path):
    rung("init")
    text = (tmp_path / "rung.toml").read_text()
    assert 'database = "sqlite:///app.db"' in text and "[env.production]" in text
    status = rung("status")
    assert status.code == 0, status.err
    assert "app.db" in status.out


def test_init_with_dir_records_the_folder_for_later_commands(rung, tmp_path):
    assert rung("init", "--dir", "db/migrations").code == 0
    assert (tmp_path / "db" / "migrations").is_dir()
    assert rung("new", "add users").code == 0  # no --dir: rung.toml says where
    [created] = (tmp_path / "db" / "migrations").iterdir()
    assert created.name.endswith("_add_users.sql")


def test_init_with_a_config_file_elsewhere_points_it_at_the_folder_it_created(rung, tmp_path):
    """`directory` is relative to the config file, so init must write it that way."""
    (tmp_path / "deploy").mkdir()
    assert rung("init", "--config", "deploy/rung.toml").code == 0
    result = rung("new", "add users", "--config", "deploy/rung.toml")
    assert result.code == 0, result.err


def test_init_with_a_config_file_in_a_missing_folder_is_not_an_internal_error(rung, tmp_path):
    result = rung("init", "--config", "nowhere/rung.toml")
    assert result.code in (0, 3), result.err  # create the folder, or say why not
    assert "unexpected" not in result.err


def test_new_names_the_file_with_a_utc_timestamp_and_a_slug(rung, migrations):
    before = int(datetime.now(UTC).strftime("%Y%m%d%H%M%S"))
    result = rung("new", "Add users & roles!")
    after = int(datetime.now(UTC).strftime("%Y%m%d%H%M%S"))
    assert result.code == 0, result.err
    [created] = migrations.iterdir()
    match = re.fullmatch(r"(\d{14})_add_users_roles\.sql", created.name)
    assert match, created.name
    assert before <= int(match[1]) <= after
    assert created.name in result.out


def test_new_twice_in_the_same_second_gives_two_versions(rung, migrations, monkeypatch):
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 11, 27, 10, 30, 0, tzinfo=UTC)

    monkeypatch.setattr("rung.cli.migrate.datetime", Frozen)
    assert rung("new", "first").code == rung("new", "second").code == 0
    assert sorted(p.name for p in migrations.iterdir()) == [
        "20261127103000_first.sql",
        "20261127103001_second.sql",
    ]


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], "001_add_users.sql"),
        (["0007_a.sql"], "0008_add_users.sql"),
        (["9_a.sql"], "10_add_users.sql"),
    ],
)
def test_new_sequential_keeps_the_width_and_increments(rung, migrations, existing, expected):
    write(migrations, {name: "-- empty\n" for name in existing})
    assert rung("new", "add users", "--sequential").code == 0
    assert sorted(p.name for p in migrations.iterdir()) == sorted([*existing, expected])


def test_new_python_writes_up_and_down(rung, migrations):
    assert rung("new", "backfill emails", "--python", "--sequential").code == 0
    text = (migrations / "001_backfill_emails.py").read_text()
    assert "def up(conn):" in text and "def down(conn):" in text


@pytest.mark.parametrize("description", ["!!!", "  ", "&-&"])
def test_new_with_a_description_without_letters_or_digits_is_an_error(
    rung, migrations, description
):
    result = rung("new", description)
    assert result.code == 3
    assert "cannot name a migration" in result.err and "hint:" in result.err
    assert list(migrations.iterdir()) == []


def test_new_without_a_migrations_folder_says_to_run_init(rung):
    result = rung("new", "add users")
    assert result.code == 3
    assert "migrations folder not found" in result.err and "rung init" in result.err


def test_templates_made_by_new_apply_and_roll_back_cleanly(rung, backend, migrations):
    url = backend.url.text
    assert rung("new", "nothing yet", "--sequential").code == 0
    assert rung("new", "backfill", "--python", "--sequential").code == 0
    up = rung("up", "-d", url)
    assert up.code == 0, up.err
    assert "Applied 2 migration(s)." in up.out
    down = rung("down", "--all", "-d", url)
    assert down.code == 0, down.err
    assert "Rolled back 2 migration(s)." in down.out
    states = {
        m["name"]: m["state"] for m in rung("status", "--json", "-d", url).json()["migrations"]
    }
    assert states == {"nothing_yet": "pending", "backfill": "pending"}


# -- up -----------------------------------------------------------------------------------------


def test_up_prints_each_migration_and_a_summary(rung, backend, migrations):
    two(migrations)
    result = rung("up", "-d", backend.url.text)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert re.fullmatch(r"✓ applied 001_users \(\d+ ms\)", lines[0])
    assert re.fullmatch(r"✓ applied 002_posts \(\d+ ms\)", lines[1])
    assert lines[-1] == "Applied 2 migration(s)."
    assert result.err == ""
    assert {"users", "posts"} <= backend.tables()
    again = rung("up", "-d", backend.url.text)
    assert again.code == 0
    assert again.out.strip() == "Nothing to apply: the database is up to date."


def test_up_json_prints_json_lines_ending_in_a_summary(rung, backend, migrations):
    two(migrations)
    result = rung("up", "--json", "-d", backend.url.text)
    assert result.code == 0, result.err
    events = result.json_lines()
    done = [(e["version"], e["event"]) for e in events[:-1] if e["event"] == "done"]
    assert done == [("001", "done"), ("002", "done")]
    summary = events[-1]
    assert summary["event"] == "summary" and summary["direction"] == "up"
    assert summary["count"] == 2 and summary["dry_run"] is False
    assert [s["name"] for s in summary["steps"]] == ["users", "posts"]


def test_up_to_stops_at_the_version(rung, backend, migrations):
    write(migrations, {"001_users.sql": USERS, "002_posts.sql": POSTS, "003_tags.sql": TAGS})
    assert rung("up", "--to", "2", "-d", backend.url.text).code == 0
    assert {"users", "posts"} <= backend.tables() and "tags" not in backend.tables()


def test_quiet_up_prints_nothing_on_success(rung, backend, migrations):
    two(migrations)
    result = rung("-q", "up", "-d", backend.url.text)
    assert (result.code, result.out, result.err) == (0, "", "")
    assert "posts" in backend.tables()


def test_quiet_still_prints_errors(rung, backend, migrations):
    result = rung("down", "-q", "-d", backend.url.text)
    assert result.code == 9
    assert "nothing to roll back" in result.err


def test_out_of_order_migration_is_refused_then_allowed(rung, backend, migrations):
    write(migrations, {"001_users.sql": USERS, "003_tags.sql": TAGS})
    rung("up", "-d", backend.url.text)
    write(migrations, {"002_posts.sql": POSTS})
    refused = rung("up", "-d", backend.url.text)
    assert refused.code == 5
    assert "002_posts" in refused.err and "--allow-out-of-order" in refused.err
    allowed = rung("up", "--allow-out-of-order", "-d", backend.url.text)
    assert allowed.code == 0, allowed.err
    assert "posts" in backend.tables()


# -- dry run ------------------------------------------------------------------------------------


def test_up_dry_run_prints_the_sql_and_creates_nothing(rung, backend, migrations):
    two(migrations)
    result = rung("up", "--dry-run", "-d", backend.url.text)
    assert result.code == 0, result.err
    assert "-- dry run: would apply 2 migration(s); nothing was executed" in result.out
    assert "-- 001_users (up)" in result.out and "-- 002_posts (up)" in result.out
    assert "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);" in result.out
    assert "CREATE TABLE posts" in result.out
    assert backend.tables() == set()  # not even the history table


def test_up_dry_run_json_gives_the_statements(rung, backend, migrations):
    two(migrations)
    summary = rung("up", "--dry-run", "--json", "-d", backend.url.text).json()
    assert summary["dry_run"] is True and summary["count"] == 2
    assert summary["steps"][1]["statements"] == [
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(100))"
    ]
    assert backend.tables() == set()


def test_down_dry_run_prints_the_rollback_and_changes_nothing(rung, backend, migrations):
    two(migrations)
    rung("up", "-d", backend.url.text)
    result = rung("down", "--dry-run", "-d", backend.url.text)
    assert result.code == 0, result.err
    assert "would roll back 1 migration(s)" in result.out
    assert "-- 002_posts (down)" in result.out and "DROP TABLE posts;" in result.out
    assert "posts" in backend.tables()


# -- down ---------------------------------------------------------------------------------------


def test_down_rolls_back_the_last_migration(rung, backend, migrations):
    two(migrations)
    rung("up", "-d", backend.url.text)
    result = rung("down", "-d", backend.url.text)
    assert result.code == 0, result.err
    assert re.match(r"✓ rolled back 002_posts \(\d+ ms\)", result.out)
    assert result.out.splitlines()[-1] == "Rolled back 1 migration(s)."
    assert "posts" not in backend.tables() and "users" in backend.tables()


def test_down_json_prints_json_lines_ending_in_a_summary(rung, backend, migrations):
    two(migrations)
    rung("up", "-d", backend.url.text)
    events = rung("down", "--all", "--json", "-d", backend.url.text).json_lines()
    assert [e["name"] for e in events if e["event"] == "done"] == ["posts", "users"]
    assert events[-1]["event"] == "summary"
    assert (events[-1]["direction"], events[-1]["count"]) == ("down", 2)


def test_down_steps_and_to(rung, backend, migrations):
    write(migrations, {"001_users.sql": USERS, "002_posts.sql": POSTS, "003_tags.sql": TAGS})
    url = backend.url.text
    rung("up", "-d", url)
    assert rung("down", "--steps", "2", "-d", url).code == 0
    assert backend.tables() & {"users", "posts", "tags"} == {"users"}
    rung("up", "-d", url)
    assert rung("down", "--to", "1", "-d", url).code == 0
    assert backend.tables() & {"users", "posts", "tags"} == {"users"}


# -- status -------------------------------------------------------------------------------------


def test_status_shows_each_migration_and_counts(rung, backend, migrations):
    two(migrations)
    rung("up", "--to", "1", "-d", backend.url.text)
    result = rung("status", "-d", backend.url.text)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert db_label(backend) in lines[0]
    [applied] = rows(result.out, "001", "users", "applied")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d+ ms", " ".join(applied))  # when, took
    [pending] = rows(result.out, "002", "posts")
    assert sorted(pending) == sorted(["002", "posts", "pending"])
    assert lines[-1] == "1 applied, 1 pending"


def test_status_json_is_one_document(rung, backend, migrations):
    two(migrations)
    rung("up", "--to", "1", "-d", backend.url.text)
    document = rung("status", "--json", "-d", backend.url.text).json()
    assert document["up_to_date"] is False
    assert db_label(backend) in document["database"]
    states = [(m["version"], m["name"], m["state"]) for m in document["migrations"]]
    assert states == [("001", "users", "applied"), ("002", "posts", "pending")]
    assert (
        document["migrations"][0]["applied_at"] and document["migrations"][1]["applied_at"] is None
    )


def test_status_exit_code_is_8_while_anything_is_pending_and_0_when_all_applied(
    rung, backend, migrations
):
    two(migrations)
    url = backend.url.text
    assert rung("status", "--exit-code", "-d", url).code == 8
    assert rung("status", "--exit-code", "--json", "-d", url).code == 8
    assert rung("status", "-d", url).code == 0  # without --exit-code, pending is not an error
    rung("up", "-d", url)
    assert rung("status", "--exit-code", "-d", url).code == 0


def test_status_exit_code_is_8_for_an_edited_migration(rung, backend, migrations):
    two(migrations)
    rung("up", "-d", backend.url.text)
    (migrations / "001_users.sql").write_text(USERS.replace("200", "250"), encoding="utf-8")
    result = rung("status", "--exit-code", "-d", backend.url.text)
    assert result.code == 8
    assert rows(result.out, "001", "users", "modified")
    assert "001_users: edited after it was applied" in result.out


def test_status_of_a_failed_migration_says_what_to_do(rung, backend, migrations):
    write(
        migrations,
        {"001_bad.sql": "CREATE TABLE a (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n"},
    )
    rung("up", "-d", backend.url.text)
    result = rung("status", "-d", backend.url.text)
    assert rows(result.out, "001", "bad", "failed")
    if backend.transactional_ddl:
        assert "applying it failed and nothing was committed" in result.out
    else:
        assert "statements 1-1 are committed, statement 2 failed" in result.out
    assert result.out.splitlines()[-1] == "1 failed"


# -- history ------------------------------------------------------------------------------------


def test_history_lists_every_up_and_down(rung, backend, migrations):
    two(migrations)
    url = backend.url.text
    rung("up", "-d", url)
    rung("down", "-d", url)
    result = rung("history", "-d", url)
    assert result.code == 0, result.err
    assert rows(result.out, "apply", "001_users", "success")
    assert rows(result.out, "apply", "002_posts", "success")
    [rollback] = rows(result.out, "rollback", "002_posts", "success")
    assert __version__ in rollback  # which rung ran it
    assert any(cell.startswith(f"{getpass.getuser()}@") for cell in rollback)  # who, from where


def test_history_json_and_limit(rung, backend, migrations):
    two(migrations)
    url = backend.url.text
    rung("up", "-d", url)
    rung("down", "-d", url)
    events = rung("history", "--json", "-d", url).json()["events"]
    finished = [
        (e["version"], e["event"], e["outcome"]) for e in events if e["outcome"] != "running"
    ]
    assert finished[-3:] == [
        ("001", "apply", "success"),
        ("002", "apply", "success"),
        ("002", "rollback", "success"),
    ]
    assert (
        events[-1]["os_user"] and events[-1]["host"] and events[-1]["rung_version"] == __version__
    )
    [last] = rung("history", "--json", "--limit", "1", "-d", url).json()["events"]
    assert last == events[-1]


def test_history_of_a_fresh_database_is_empty(rung, backend, migrations):
    result = rung("history", "-d", backend.url.text)
    assert result.code == 0, result.err
    assert result.out.strip() == "The history is empty."


# -- validate -----------------------------------------------------------------------------------


def test_validate_checks_files_against_the_database(rung, backend, migrations):
    two(migrations)
    rung("up", "-d", backend.url.text)
    result = rung("validate", "-d", backend.url.text)
    assert result.code == 0, result.err
    assert result.out.strip() == "✓ 2 migration(s) are valid and match the database's history."
    document = rung("validate", "--json", "-d", backend.url.text).json()
    assert document == {
        "ok": True,
        "problems": [],
        "migrations": 2,
        "repeatables": 0,
        "checked_database": True,
    }


def test_validate_changes_nothing(rung, backend, migrations):
    two(migrations)
    assert rung("validate", "-d", backend.url.text).code == 0
    assert backend.tables() == set()


def test_quiet_validate_prints_nothing_when_all_is_well(rung, migrations):
    two(migrations)
    result = rung("-q", "validate")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_validate_reports_an_edited_migration(rung, backend, migrations):
    two(migrations)
    rung("up", "-d", backend.url.text)
    (migrations / "002_posts.sql").write_text(POSTS.replace("100", "150"), encoding="utf-8")
    result = rung("validate", "--json", "-d", backend.url.text)
    assert result.code == 5
    [problem] = result.json()["problems"]
    assert "002_posts.sql" in problem and "changed since it was applied" in problem


def test_validate_without_a_database_checks_only_the_files(rung, migrations):
    two(migrations)
    result = rung("validate")
    assert result.code == 0, result.err
    assert result.out.strip() == "✓ 2 migration(s) are valid."
    assert rung("validate", "--json").json()["checked_database"] is False


def test_validate_lists_every_bad_file(rung, migrations):
    write(migrations, {"01-add.sql": "", "V1_x.sql": "", "002_a.sql": "", "002_b.sql": ""})
    result = rung("validate")
    assert result.code == 5
    for name in ("01-add.sql", "V1_x.sql", "002_b.sql"):
        assert name in result.out
    document = rung("validate", "--json").json()
    assert document["ok"] is False and len(document["problems"]) == 3


# -- baseline and repair ------------------------------------------------------------------------


def test_baseline_marks_an_existing_database(rung, backend, migrations):
    backend.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL)")
    two(migrations)
    url = backend.url.text
    result = rung("baseline", "1", "-d", url)
    assert result.code == 0, result.err
    assert result.out.strip() == "baseline recorded at version 1"
    assert rows(rung("status", "-d", url).out, "001", "users", "baseline")
    up = rung("up", "-d", url)
    assert up.code == 0, up.err
    assert "002_posts" in up.out and "001_users" not in up.out


def test_baseline_json(rung, backend, migrations):
    two(migrations)
    document = rung("baseline", "1", "--json", "-d", backend.url.text).json()
    assert document == {"message": "baseline recorded at version 1", "version": "1"}


def test_baseline_on_a_database_rung_has_migrated_is_refused(rung, backend, migrations):
    two(migrations)
    rung("up", "--to", "1", "-d", backend.url.text)
    result = rung("baseline", "2", "-d", backend.url.text)
    assert result.code == 9
    assert "already has a rung history" in result.err


def test_baseline_after_everything_was_rolled_back_takes_effect_or_is_refused(
    rung, backend, migrations
):
    """`baseline` must not report success while changing nothing."""
    two(migrations)
    url = backend.url.text
    rung("up", "-d", url)
    rung("down", "--all", "-d", url)
    result = rung("baseline", "2", "-d", url)
    states = {
        m["name"]: m["state"] for m in rung("status", "--json", "-d", url).json()["migrations"]
    }
    if result.code == 0:
        assert states == {"users": "baseline", "posts": "baseline"}
    else:
        assert result.code == 9 and states == {"users": "pending", "posts": "pending"}


def test_repair_accepts_an_edited_migration(rung, backend, migrations):
    write(migrations, {"001_users.sql": USERS, "002_posts.sql": POSTS, "003_tags.sql": TAGS})
    url = backend.url.text
    rung("up", "--to", "2", "-d", url)
    (migrations / "001_users.sql").write_text(USERS.replace("200", "300"), encoding="utf-8")
    refused = rung("up", "-d", url)
    assert refused.code == 5
    assert "tags" not in backend.tables()
    result = rung("repair", "-d", url)
    assert result.code == 0, result.err
    assert result.out.strip() == "repaired 001_users"
    assert rung("up", "-d", url).code == 0
    assert "tags" in backend.tables()
    events = rung("history", "--json", "-d", url).json()["events"]
    assert ("001", "repair", "applied") in [
        (e["version"], e["event"], e["outcome"]) for e in events
    ]


def test_repair_with_nothing_to_repair(rung, backend, migrations):
    two(migrations)
    rung("up", "-d", backend.url.text)
    assert rung("repair", "-d", backend.url.text).out.strip() == "nothing to repair"
    document = rung("repair", "--json", "-d", backend.url.text).json()
    assert document == {"message": "nothing to repair", "repaired": []}


def test_repair_clears_a_recorded_failure(rung, backend, migrations):
    """A failure that committed nothing needs no --as (on MariaDB: a failing first statement)."""
    write(migrations, {"001_bad.sql": "INSERT INTO nowhere VALUES (1);\n"})
    url = backend.url.text
    assert rung("up", "-d", url).code == 6
    result = rung("repair", "-d", url)
    assert result.code == 0, result.err
    assert result.out.strip() == "repaired 001_bad"
    states = [m["state"] for m in rung("status", "--json", "-d", url).json()["migrations"]]
    assert states == ["pending"]


@pytest.mark.parametrize("backend", ["mariadb"], indirect=True)
def test_repair_of_a_half_applied_migration_needs_as(rung, backend, migrations):
    write(
        migrations, {"001_x.sql": "CREATE TABLE a (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n"}
    )
    url = backend.url.text
    assert rung("up", "-d", url).code == 6
    refused = rung("repair", "-d", url)
    assert refused.code == 9
    assert "stopped half-way" in refused.err and "--as applied" in refused.err
    backend.execute("INSERT INTO a VALUES (1)")  # a human finishes the job
    assert rung("repair", "--as", "applied", "-d", url).out.strip() == "repaired 001_x"
    assert rung("status", "--exit-code", "-d", url).code == 0


# -- common options and where the database comes from -------------------------------------------


def test_common_options_work_before_and_after_the_command(rung, backend, tmp_path):
    sql = folder(tmp_path / "db" / "sql", {"001_users.sql": USERS})
    url = backend.url.text
    before = rung("-d", url, "--dir", "db/sql", "--json", "status")
    after = rung("status", "-d", url, "--dir", "db/sql", "--json")
    assert before.code == after.code == 0, before.err + after.err
    assert before.json() == after.json()
    [migration] = before.json()["migrations"]
    assert Path(migration["path"]).resolve() == (sql / "001_users.sql").resolve()
    assert rung("--database", url, "up", "--dir", str(sql)).code == 0
    assert "users" in backend.tables()


def test_dir_points_at_another_folder(rung, backend, tmp_path):
    folder(tmp_path / "schema", {"001_users.sql": USERS})
    missing = rung("up", "-d", backend.url.text)  # ./migrations does not exist
    assert missing.code == 3
    assert rung("up", "--dir", "schema", "-d", backend.url.text).code == 0
    assert "users" in backend.tables()


def test_rung_database_url_beats_database_url(rung, backend, migrations, tmp_path, monkeypatch):
    two(migrations)
    monkeypatch.setenv("RUNG_DATABASE_URL", backend.url.text)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'decoy.db'}")
    result = rung("up")
    assert result.code == 0, result.err
    assert "users" in backend.tables()
    assert not (tmp_path / "decoy.db").exists()


def test_database_url_variable_and_flag_through_the_real_command(tmp_path):
    folder(tmp_path / "migrations", {"001_users.sql": USERS})
    assert run_rung(tmp_path, "up", env=clean_env(DATABASE_URL="sqlite:///plain.db")).code == 0
    assert (tmp_path / "plain.db").exists()
    env = clean_env(RUNG_DATABASE_URL="sqlite:///rung.db", DATABASE_URL="sqlite:///plain2.db")
    assert run_rung(tmp_path, "up", env=env).code == 0
    assert (tmp_path / "rung.db").exists() and not (tmp_path / "plain2.db").exists()
    assert run_rung(tmp_path, "up", "-d", "sqlite:///flag.db", env=env).code == 0
    assert (tmp_path / "flag.db").exists()


def test_env_option_selects_the_environment_of_the_config_file(
    rung, backend, migrations, tmp_path, monkeypatch
):
    two(migrations)
    (tmp_path / "rung.toml").write_text(
        f'database = "sqlite:///base.db"\n\n[env.target]\ndatabase = "{backend.url.text}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("RUNG_DATABASE_URL", "sqlite:///variable.db")
    result = rung("--env", "target", "up")
    assert result.code == 0, result.err
    assert {"users", "posts"} <= backend.tables()
    assert not (tmp_path / "base.db").exists() and not (tmp_path / "variable.db").exists()
    assert rung("status", "--exit-code", "--env", "target").code == 0


def test_unknown_env_is_a_config_error(rung, migrations, tmp_path):
    (tmp_path / "rung.toml").write_text('database = "sqlite:///app.db"\n', encoding="utf-8")
    result = rung("status", "--env", "nope")
    assert result.code == 3
    assert "no environment named 'nope'" in result.err


def test_config_option_reads_another_file_with_its_directory(rung, backend, tmp_path):
    folder(tmp_path / "deploy" / "sql", {"001_users.sql": USERS})
    (tmp_path / "deploy" / "rung.toml").write_text(
        f'database = "{backend.url.text}"\ndirectory = "sql"\n', encoding="utf-8"
    )
    result = rung("up", "--config", "deploy/rung.toml")
    assert result.code == 0, result.err
    assert "users" in backend.tables()


def test_bad_config_file_is_a_config_error_naming_the_key(rung, migrations, tmp_path):
    (tmp_path / "rung.toml").write_text('databse = "sqlite:///app.db"\n', encoding="utf-8")
    result = rung("status")
    assert result.code == 3
    assert "databse" in result.err and "rung.toml" in result.err


# -- exit codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["down", "--steps", "1", "--all"],
        ["down", "--to", "1", "--all"],
        ["down", "--steps", "0"],
        ["up", "--to", "abc"],
        ["repair", "--as", "maybe"],
        ["new"],
        ["status", "--bogus"],
        ["frobnicate"],
    ],
    ids=" ".join,
)
def test_wrong_usage_exits_2_and_touches_nothing(rung, migrations, tmp_path, args):
    two(migrations)
    result = rung(*args, "-d", "sqlite:///app.db")
    assert result.code == 2
    assert "Usage: rung" in result.err and result.out == ""
    assert not (tmp_path / "app.db").exists()


def test_wrong_usage_with_json_is_a_json_document(rung, migrations):
    two(migrations)
    result = rung("down", "--steps", "1", "--all", "--json", "-d", "sqlite:///app.db")
    assert result.code == 2
    document = result.json()
    assert document["error"] == "usage" and document["exit_code"] == 2
    assert "only one of --steps, --to and --all" in document["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-d", "foo://x", "status"], "unknown database URL scheme 'foo'"),
        (["-d", "not a url", "status"], "not a database URL"),
        (["-d", "postgresql://u@h:port/db", "status"], "malformed database URL"),
        (["status"], "no database given"),
    ],
    ids=["unknown scheme", "not a url", "bad port", "no database"],
)
def test_configuration_errors_exit_3(rung, migrations, args, message):
    result = rung(*args)
    assert result.code == 3
    assert message in result.err


def test_missing_migrations_folder_exits_3(rung, tmp_path):
    result = rung("up", "-d", "sqlite:///app.db")
    assert result.code == 3
    assert f"migrations folder not found: {tmp_path / 'migrations'}" in result.err
    assert not (tmp_path / "app.db").exists()


CONNECT_FAILURES = [
    "postgresql://postgres@127.0.0.1:1/x",
    "mysql://root@127.0.0.1:1/x",
    "postgresql://rung_nobody:s3cretpw@127.0.0.1:5432/test",
    "mysql://rung_nobody:s3cretpw@127.0.0.1:3306/test",
]


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
@pytest.mark.parametrize("url", CONNECT_FAILURES)
def test_connection_failure_exits_4_and_never_shows_the_password(tmp_path, url, json_flag):
    (tmp_path / "migrations").mkdir()
    result = run_rung(tmp_path, "status", "-d", url, *json_flag)
    assert result.code == 4, result.text
    assert "s3cretpw" not in result.text
    message = result.json()["message"] if json_flag else result.err
    assert "cannot connect to" in message
    assert url.replace("s3cretpw", "***") in message  # the URL is shown, redacted


def test_password_in_the_query_of_a_config_url_is_never_shown(tmp_path):
    """The README's own example: `?password=${DB_PASSWORD}` in an [env.*] table."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "rung.toml").write_text(
        "[env.production]\n"
        'database = "postgresql://rung_nobody@127.0.0.1:5432/test?password=${DB_PASSWORD}"\n',
        encoding="utf-8",
    )
    env = clean_env(DB_PASSWORD="s3cretpw")
    for json_flag in ([], ["--json"]):
        result = run_rung(tmp_path, "status", "--env", "production", *json_flag, env=env)
        assert result.code == 4, result.text
        assert "s3cretpw" not in result.text


def test_malformed_names_exit_5_naming_each_file(rung, migrations, tmp_path):
    write(migrations, {"01-add.sql": "", "V1_x.sql": "", "001_ok.sql": USERS})
    result = rung("up", "-d", "sqlite:///app.db")
    assert result.code == 5
    assert "01-add.sql: not a valid migration file name" in result.err
    assert "V1_x.sql: not a valid migration file name" in result.err
    assert "001_add_users.sql" in result.err  # the hint shows a valid name
    assert not (tmp_path / "app.db").exists()


def test_duplicate_versions_exit_5(rung, migrations):
    write(migrations, {"002_a.sql": "", "2_b.sql": ""})
    result = rung("up", "-d", "sqlite:///app.db")
    assert result.code == 5
    assert "also used by" in result.err and "002_a.sql" in result.err and "2_b.sql" in result.err


def test_edited_applied_migration_exits_5_before_anything_runs(rung, backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    rung("up", "-d", backend.url.text)
    (migrations / "001_users.sql").write_text(USERS.replace("200", "300"), encoding="utf-8")
    write(migrations, {"002_posts.sql": POSTS})
    result = rung("up", "-d", backend.url.text)
    assert result.code == 5
    assert "001_users.sql: changed since it was applied" in result.err
    assert "rung repair" in result.err
    assert "posts" not in backend.tables()
    assert rung("down", "-d", backend.url.text).code == 5


def test_failing_migration_exits_6_naming_file_line_statement_and_state(rung, backend, migrations):
    write(
        migrations,
        {
            "001_users.sql": USERS,
            "002_broken.sql": "CREATE TABLE ok_table (id INTEGER);\n\n"
            "INSERT INTO no_such_table VALUES (1);\n",
        },
    )
    result = rung("up", "-d", backend.url.text)
    assert result.code == 6
    assert f"{migrations / '002_broken.sql'}:3: " in result.err
    assert re.search(r"^\s+3 \| INSERT INTO no_such_table VALUES \(1\)", result.err, re.M)
    if backend.transactional_ddl:
        assert "rolled the migration back; only a failed event was recorded" in result.err
        assert "ok_table" not in backend.tables()
    else:
        assert "committed statements 1-1 of 2" in result.err
        assert "ok_table" in backend.tables()
    assert "hint: " in result.err
    assert "✓ applied 001_users" in result.out  # what did run is still reported


def test_failing_migration_json_ends_with_the_error(rung, backend, migrations):
    write(migrations, {"001_broken.sql": "INSERT INTO no_such_table VALUES (1);\n"})
    result = rung("up", "--json", "-d", backend.url.text)
    assert result.code == 6
    *events, error = result.json_lines()
    assert [e["event"] for e in events] == ["start"]
    assert error["error"] == "migration-failed" and error["exit_code"] == 6
    assert "001_broken.sql:1" in error["message"] and error["hint"]
    assert any("INSERT INTO no_such_table" in line for line in error["details"])


def test_down_with_nothing_applied_exits_9(rung, backend, migrations):
    two(migrations)
    result = rung("down", "-d", backend.url.text)
    assert result.code == 9
    assert "nothing to roll back: no migration is applied" in result.err


def test_up_to_an_unknown_version_exits_9(rung, backend, migrations):
    two(migrations)
    result = rung("up", "--to", "999", "-d", backend.url.text)
    assert result.code == 9
    assert "--to 999: there is no migration with that version" in result.err
    assert "users" not in backend.tables()


def test_down_of_a_migration_without_down_exits_9(rung, backend, migrations):
    write(migrations, {"001_users.sql": USERS, "002_plain.sql": "CREATE TABLE plain (id INTEGER);"})
    rung("up", "-d", backend.url.text)
    result = rung("down", "--all", "-d", backend.url.text)
    assert result.code == 9
    assert "cannot roll back 002_plain: it has no down migration" in result.err
    assert {"users", "plain"} <= backend.tables()


def test_single_transaction_is_atomic_or_refused(rung, backend, migrations):
    write(migrations, {"001_users.sql": USERS, "002_bad.sql": "INSERT INTO nowhere VALUES (1);"})
    result = rung("up", "--single-transaction", "-d", backend.url.text)
    assert "users" not in backend.tables()
    if backend.transactional_ddl:
        assert result.code == 6
        assert "002_bad" in result.err
    else:  # MariaDB: refused before anything runs
        assert result.code == 9
        assert "--single-transaction needs transactional DDL" in result.err


def test_history_from_a_newer_rung_exits_10(rung, backend, migrations):
    two(migrations)
    url = backend.url.text
    rung("up", "--to", "1", "-d", url)
    backend.execute(
        "INSERT INTO rung_history (version, name, event, outcome, checksum_version, started_at)"
        " VALUES ('99', 'layout', 'layout', 'success', 1, '2030-01-01 00:00:00')"
    )
    for command in ("up", "down", "status", "history"):
        result = rung(command, "-d", url)
        assert result.code == 10, command
        assert "written by a newer rung" in result.err and "upgrade rung" in result.err
    assert "posts" not in backend.tables()


@pytest.mark.slow
def test_lock_held_past_the_timeout_exits_7(rung, backend, migrations, tmp_path):
    write(migrations, {"001_slow.py": "import time\n\n\ndef up(conn):\n    time.sleep(3)\n"})
    holder = subprocess.Popen(
        [*RUNG, "up", "--json", "-d", backend.url.text],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = json.loads(holder.stdout.readline())  # the slow migration runs: lock held
        assert started["event"] == "start", started
        result = rung("up", "--lock-timeout", "0.5", "-d", backend.url.text)
    finally:
        holder.wait(timeout=60)
    assert result.code == 7, result.err
    assert "--lock-timeout" in result.err
    if not backend.dialect.lock_per_transaction:  # server locks say who holds them
        assert "waiting for the migration lock" in result.err
    assert holder.returncode == 0


def test_internal_error_exits_1_without_secrets(rung, migrations, monkeypatch):
    def boom(self):
        raise RuntimeError("lost postgresql://app:Int3rnalPw@db.internal/app")

    monkeypatch.setattr("rung.api.Migrator.status", boom)
    result = rung("status", "-d", "sqlite:///app.db")
    assert result.code == 1
    assert "unexpected RuntimeError" in result.err and "report it" in result.err
    assert "Int3rnalPw" not in result.text
    assert "app:***@db.internal" in result.err


def test_ctrl_c_exits_130(rung, migrations, monkeypatch):
    def interrupted(self, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr("rung.api.Migrator.up", interrupted)
    result = rung("up", "-d", "sqlite:///app.db")
    assert result.code == 130
    assert "interrupted" in result.err


# -- the shape of errors ------------------------------------------------------------------------

# name: (error code, files in ./migrations, arguments); each fails before any progress.
ERRORS = {
    "unknown scheme": ("config", {}, ["status", "-d", "foo://x"]),
    "missing folder": ("config", {}, ["status", "-d", "sqlite:///app.db", "--dir", "nowhere"]),
    "bad names": ("invalid-migrations", {"01-add.sql": ""}, ["up", "-d", "sqlite:///app.db"]),
    "unreachable": ("connect", {}, ["status", "-d", "postgresql://postgres@127.0.0.1:1/x"]),
    "nothing to roll back": ("refused", {}, ["down", "-d", "sqlite:///app.db"]),
}


def provoke(rung: Rung, migrations: Path, name: str, *extra: str) -> tuple[Outcome, str]:
    code, files, args = ERRORS[name]
    write(migrations, files)
    return rung(*args, *extra), code


@pytest.mark.parametrize("name", ERRORS)
def test_errors_print_code_message_and_hint_on_stderr_only(rung, migrations, name):
    result, code = provoke(rung, migrations, name)
    assert result.code not in (0, 1)
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines[0].startswith(f"error[{code}]: "), lines[0]
    assert any(line.strip().startswith("hint: ") for line in lines[1:]), result.err


@pytest.mark.parametrize("name", ERRORS)
def test_errors_in_json_mode_are_one_json_object(rung, migrations, name):
    result, code = provoke(rung, migrations, name, "--json")
    document = result.json()
    assert {"error", "exit_code", "message", "hint"} <= document.keys()
    assert (document["error"], document["exit_code"]) == (code, result.code)
    assert document["message"]
    assert result.err == ""


# -- help and documentation ---------------------------------------------------------------------


def _readme_exit_codes() -> list[str]:
    section = README.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| (\d+) \|", section, re.M)


def test_main_help_lists_every_command_and_every_exit_code(tmp_path):
    result = run_rung(tmp_path, "--help")
    assert result.code == 0
    commands = result.out.split("Commands:", 1)[1]
    for name in main.commands:
        assert re.search(rf"^\s+{name}\s+\S", commands, re.M), name
    exit_codes = result.out.split("Exit codes:", 1)[1]
    documented = _readme_exit_codes()
    assert len(documented) >= 12
    for code in documented:
        assert re.search(rf"^\s+{code}\s+\S", exit_codes, re.M), code


@pytest.mark.parametrize("name", sorted(main.commands))
def test_each_command_help_shows_its_options_and_the_exit_codes(rung, name):
    result = rung(name, "--help")
    assert result.code == 0
    assert result.out.startswith(f"Usage: rung {name}")
    for param in main.commands[name].params:
        if isinstance(param, click.Option):
            assert max(param.opts, key=len) in result.out, param.opts
    assert "Exit codes:" in result.out and "130" in result.out


def test_version(rung):
    assert rung("--version").out.strip() == f"rung, version {__version__}"


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help_and_is_documented_in_the_readme(name):
    command = main.commands[name]
    assert command.help and command.help.strip()
    assert f"`rung {name}" in README.read_text()


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_is_documented_in_the_readme(name):
    readme = README.read_text()
    for param in main.commands[name].params:
        if isinstance(param, click.Option) and "--help" not in param.opts:
            mentioned = (
                re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", readme) for o in param.opts
            )
            assert any(mentioned), (name, param.opts)
