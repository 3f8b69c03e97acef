"""One fresh, empty database per test, on every backend: SQLite always, servers from URLs.

Servers come from RUNG_TEST_POSTGRESQL_URL and RUNG_TEST_MYSQL_URL (defaults: the local
servers). A server that cannot be reached skips its tests with the reason, except under
CI=true, where it fails them: CI must never pass by skipping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rung.config import DatabaseURL, parse_url
from rung.dialects import Dialect, connect, dialect_for
from rung.errors import ConnectError

SERVERS = {
    "postgresql": os.environ.get(
        "RUNG_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get("RUNG_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}
BACKENDS = ("sqlite", "postgresql", "mariadb")
FIXTURES = Path(__file__).parent / "fixtures"
# Real migration folders from public projects; beside the repository, or where this says.
CORPORA = Path(
    os.environ.get("RUNG_CORPORA") or Path(__file__).resolve().parents[2] / "shared" / "corpora"
)


def corpus(*parts: str) -> Path:
    """A corpus folder; its tests skip, saying where they looked, when it is not there."""
    folder = CORPORA.joinpath(*parts)
    if not folder.is_dir():
        pytest.skip(f"corpus not found at {folder} (set RUNG_CORPORA to the corpora folder)")
    return folder


_reachable: dict[str, str | None] = {}


def _server_problem(name: str) -> str | None:
    """None if the server answers, else why not (checked once per session)."""
    if name not in _reachable:
        try:
            _, conn = connect(parse_url(SERVERS[name]), lock_timeout=5)
            conn.close()
            _reachable[name] = None
        except ConnectError as exc:
            _reachable[name] = exc.message
    return _reachable[name]


@dataclass
class Backend:
    """A fresh database for one test, and a few ways to look inside it."""

    name: str
    url: DatabaseURL
    dialect: Dialect

    @property
    def transactional_ddl(self) -> bool:
        return self.dialect.transactional_ddl

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        dialect, conn = connect(self.url)
        try:
            cur = conn.cursor()
            cur.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def execute(self, *statements: str) -> None:
        dialect, conn = connect(self.url)
        try:
            for sql in statements:
                conn.cursor().execute(sql)
        finally:
            conn.close()

    def tables(self) -> set[str]:
        """Table names in the database (rung's history table included)."""
        sql = {
            "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%'",
            "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
            "mariadb": "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = DATABASE()",
        }[self.name]
        return {row[0] for row in self.query(sql)}

    def history_rows(self, table: str = "rung_history") -> list[tuple[Any, ...]]:
        return self.query(
            f"SELECT version, event, outcome, statements_done FROM {table}"
            " WHERE event NOT IN ('layout', 'fingerprint') ORDER BY id"
        )


# Small migrations that apply and roll back on every database.
USERS = """-- rung:up
CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);
-- rung:down
DROP TABLE users;
"""
POSTS = """-- rung:up
CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(100));
-- rung:down
DROP TABLE posts;
"""
TAGS = """-- rung:up
CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(50));
-- rung:down
DROP TABLE tags;
"""

URL_VARIABLES = ("RUNG_DATABASE_URL", "DATABASE_URL")
_SCRIPT = Path(sys.executable).with_name("rung")
RUNG = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "rung.cli"]


@dataclass
class Outcome:
    """What a `rung` command did: exit code, standard output, standard error."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """The one JSON document on stdout (fails if there is more than one line)."""
        lines = self.out.splitlines()
        assert len(lines) == 1, self.out
        return json.loads(lines[0])

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines()]

    @property
    def text(self) -> str:
        return self.out + self.err


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without database URLs, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in URL_VARIABLES}
    env.update(extra)
    return env


def run_rung(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Outcome:
    """Run the installed `rung` script in a process of its own, as a user would."""
    done = subprocess.run(
        [*RUNG, *args],
        cwd=cwd,
        env=clean_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _fresh_backend(request.param, tmp_path)


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


def _fresh_backend(name: str, tmp_path: Path) -> Iterator[Backend]:
    if name == "sqlite":
        url = parse_url(f"sqlite:///{tmp_path / 'test.db'}")
        yield Backend(name, url, dialect_for(url))
        return
    problem = _server_problem(name)
    if problem:
        message = f"{name} server not reachable ({SERVERS[name]}): {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — under CI=true every server must be up")
        pytest.skip(message)
    admin = dialect_for(parse_url(SERVERS[name]))
    database = f"rung_test_{uuid.uuid4().hex[:12]}"
    url = admin.create_database(database)
    try:
        yield Backend(name, url, dialect_for(url))
    finally:
        admin.drop_database(database)


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    """An empty migrations folder; tests write files into it."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    return folder


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@contextmanager
def second_database(backend: Backend) -> Iterator[str]:
    """Another fresh database on the backend's server (or folder), dropped afterwards."""
    name = f"rung_test_{uuid.uuid4().hex[:12]}"
    url = backend.dialect.create_database(name)
    try:
        yield url.text
    finally:
        backend.dialect.drop_database(name)
