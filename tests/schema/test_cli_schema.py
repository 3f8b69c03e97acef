"""`rung dump` and `rung diff` through the real command, in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from schema_helpers import migrate, shop

from conftest import second_database

RUNG = [sys.executable, "-m", "rung.cli"]


def run(cwd, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("RUNG_DATABASE_URL", "DATABASE_URL")}
    return subprocess.run(
        [*RUNG, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_dump_writes_schema_sql_by_default_and_stdout_with_dash(backend, migrations, tmp_path):
    shop(backend, migrations)
    done = run(tmp_path, "dump", "-d", backend.url.text)
    assert done.returncode == 0, done.stderr
    written = (tmp_path / "schema.sql").read_bytes()
    assert b"CREATE TABLE users (" in written
    assert "schema.sql" in done.stdout
    again = run(tmp_path, "dump", "-d", backend.url.text, "--output", "-")
    assert again.returncode == 0, again.stderr
    assert again.stdout.encode() == written
    other = run(tmp_path, "dump", "-d", backend.url.text, "-o", str(tmp_path / "out" / "s.sql"))
    assert other.returncode == 0, other.stderr
    assert (tmp_path / "out" / "s.sql").read_bytes() == written


def test_diff_lists_changes_as_text_and_json(backend, migrations, tmp_path):
    shop(backend, migrations)
    with second_database(backend) as other:
        migrate(other, migrations)
        same = run(tmp_path, "diff", backend.url.text, other)
        assert same.returncode == 0, same.stderr
        assert same.stdout == "no differences\n"
        backend.execute("ALTER TABLE users ADD COLUMN nickname VARCHAR(30)")
        text = run(tmp_path, "diff", other, backend.url.text)
        assert text.returncode == 0, text.stderr
        assert text.stdout.splitlines() == [
            "+ column users.nickname varchar(30) NULL",
            "1 difference(s)",
        ]
        as_json = run(tmp_path, "diff", other, backend.url.text, "--json")
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["equal"] is False
    assert document["changes"] == [
        {
            "change": "+",
            "kind": "column",
            "name": "users.nickname",
            "detail": "varchar(30) NULL",
            "text": "+ column users.nickname varchar(30) NULL",
            "lines": [],
        }
    ]


def test_diff_of_an_unreachable_database_exits_with_the_connect_code(tmp_path):
    done = run(tmp_path, "diff", f"sqlite:///{tmp_path}/missing/a.db", f"sqlite:///{tmp_path}/b.db")
    assert done.returncode == 4, done.stderr
    assert "does not exist" in done.stderr
