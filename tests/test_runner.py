"""The runner under real processes: concurrent runners, a lock held elsewhere, kill -9, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import Backend, write
from rung import Migrator
from rung.dialects import connect
from rung.plan import APPLIED, FAILED, PENDING

RUNG = [sys.executable, "-m", "rung.cli"]


def rung(backend: Backend, folder: Path, *args: str, **popen: object) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("RUNG_DATABASE_URL", "DATABASE_URL")}
    return subprocess.Popen(
        [*RUNG, "-d", backend.url.text, "--dir", str(folder), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **popen,
    )


def slow_sql(backend: Backend, seconds: float) -> str:
    """A statement that keeps the server busy for about `seconds`."""
    if backend.name == "postgresql":
        return f"SELECT pg_sleep({seconds})"
    if backend.name == "mariadb":
        return f"SELECT SLEEP({seconds})"
    rows = int(seconds * 4_000_000)  # SQLite has no sleep: count through a recursive CTE
    return (
        f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows})"
        " SELECT count(*) FROM c"
    )


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def applied_count(backend: Backend, version: str) -> int:
    p = "?" if backend.name == "sqlite" else "%s"
    return backend.query(
        f"SELECT count(*) FROM rung_history WHERE version = {p} AND event = 'apply'"
        " AND outcome = 'success'",
        (version,),
    )[0][0]


def history_exists(backend: Backend) -> bool:
    return "rung_history" in backend.tables()


@pytest.mark.slow
def test_eight_runners_at_once_apply_each_migration_exactly_once(backend, migrations):
    for i in range(1, 13):
        write(
            migrations,
            {
                f"{i:03d}_t{i}.sql": f"CREATE TABLE t{i} (id INTEGER);\n"
                f"INSERT INTO t{i} VALUES ({i});\n"
            },
        )
    runners = [rung(backend, migrations, "up") for _ in range(8)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in runners]
    assert [code for code, _, _ in results] == [0] * 8, results
    for i in range(1, 13):
        assert applied_count(backend, f"{i:03d}") == 1
        assert backend.query(f"SELECT id FROM t{i}") == [(i,)]


@pytest.mark.slow
def test_second_runner_waits_for_the_lock_says_who_holds_it_then_finds_nothing(backend, migrations):
    write(migrations, {"001_slow.sql": f"CREATE TABLE t (id INTEGER);\n{slow_sql(backend, 2)};\n"})
    first = rung(backend, migrations, "up")
    wait_for(lambda: history_exists(backend))
    time.sleep(0.3)
    second = rung(backend, migrations, "up")
    assert first.wait(timeout=60) == 0
    assert second.wait(timeout=60) == 0, second.stderr.read()
    out, err = second.stdout.read(), second.stderr.read()
    if backend.name != "sqlite":  # SQLite waits on its own write lock, silently
        assert "waiting for the migration lock held by" in err
    assert "Nothing to apply" in out or "skipped" in out
    assert applied_count(backend, "001") == 1


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql", "mariadb"], indirect=True)
def test_lock_timeout_gives_up_with_its_own_exit_code(backend, migrations):
    """SQLite's lock is its write lock: see the busy-timeout test below."""
    write(migrations, {"001_t.sql": "CREATE TABLE t (id INTEGER);"})
    dialect, _ = connect(backend.url)
    from rung.history import History

    holder = dialect.acquire_lock(History(dialect, None, "rung_history").lock_key, 5, print)
    try:
        waiting = rung(backend, migrations, "up", "--lock-timeout", "1")
        assert waiting.wait(timeout=30) == 7
        assert "lock" in waiting.stderr.read()
    finally:
        holder.release()
    assert rung(backend, migrations, "up").wait(timeout=30) == 0


@pytest.mark.slow
def test_sqlite_busy_timeout_gives_up_with_the_lock_exit_code(tmp_path, migrations):
    import sqlite3

    db = tmp_path / "busy.db"
    write(migrations, {"001_t.sql": "CREATE TABLE t (id INTEGER);"})
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        proc = subprocess.run(
            [*RUNG, "-d", f"sqlite:///{db}", "--dir", str(migrations), "up", "--lock-timeout", "1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert proc.returncode == 7, proc.stderr
    assert "lock" in proc.stderr


@pytest.mark.slow
def test_kill_9_mid_migration_leaves_a_consistent_state(backend, migrations):
    write(
        migrations,
        {
            "001_first.sql": "CREATE TABLE first_table (id INTEGER);",
            "002_slow.sql": f"{slow_sql(backend, 30)};\nCREATE TABLE second_table (id INTEGER);\n",
        },
    )
    proc = rung(backend, migrations, "up")
    wait_for(lambda: history_exists(backend) and applied_count(backend, "001") == 1)
    time.sleep(1.0)  # well inside the slow statement
    proc.kill()
    proc.wait(timeout=10)
    m = Migrator(backend.url.text, migrations)
    state = {i.label: i for i in m.status().migrations}
    assert state["001_first"].state == APPLIED
    (migrations / "002_slow.sql").write_text("CREATE TABLE second_table (id INTEGER);\n")
    if backend.transactional_ddl:
        assert state["002_slow"].state == PENDING  # the transaction died with the process
    else:
        # MariaDB commits as it goes: rung does not guess how far the killed run got.
        assert state["002_slow"].state == FAILED
        assert state["002_slow"].applied.failure.statements_done is None
        again = rung(backend, migrations, "up")
        assert again.wait(timeout=30) == 9
        assert "repair --as" in again.stderr.read()
        m.repair(mark="pending")
    m.up()
    assert "second_table" in backend.tables()
    assert applied_count(backend, "002") == 1


@pytest.mark.slow
def test_ctrl_c_mid_migration_records_what_happened(backend, migrations):
    write(
        migrations,
        {
            "001_first.sql": "CREATE TABLE first_table (id INTEGER);",
            "002_slow.sql": f"CREATE TABLE a_table (id INTEGER);\n{slow_sql(backend, 2.5)};\n"
            "CREATE TABLE b_table (id INTEGER);\n",
        },
    )
    proc = rung(backend, migrations, "up", "--json")
    wait_for(lambda: history_exists(backend) and applied_count(backend, "001") == 1)
    time.sleep(0.8)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    error = json.loads(proc.stdout.read().strip().splitlines()[-1])
    assert error["error"] == "interrupted"
    m = Migrator(backend.url.text, migrations)
    item = {i.label: i for i in m.status().migrations}["002_slow"]
    assert item.state == FAILED
    if backend.transactional_ddl:
        assert "a_table" not in backend.tables()
        assert item.applied.failure.statements_done == 0
        m.up()
    else:
        # The running statement was allowed to finish: exactly two statements committed.
        assert "a_table" in backend.tables() and "b_table" not in backend.tables()
        assert item.applied.failure.statements_done == 2
        assert m.up().steps[0].resume_from == 2
    assert {"a_table", "b_table"} <= backend.tables()


def test_a_reader_that_goes_away_does_not_stop_the_migrations(tmp_path, migrations):
    """`rung up | head -1`: the pipe closes after one line; every migration still applies."""
    for i in range(1, 201):
        write(migrations, {f"{i:03d}_t{i}.sql": f"CREATE TABLE t{i} (id INTEGER);"})
    url = f"sqlite:///{tmp_path / 'piped.db'}"
    proc = subprocess.Popen(
        [*RUNG, "-d", url, "--dir", str(migrations), "up"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().startswith("✓ applied 001_t1")
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    assert Migrator(url, migrations).status().count(APPLIED) == 200
