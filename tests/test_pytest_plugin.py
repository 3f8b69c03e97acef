"""The pytest plugin, run on small example projects with pytester: SQLite always, the
servers from conftest's SERVERS (skipped when unreachable, failed under CI=true)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

# The drivers are imported here, before pytester snapshots sys.modules: it unloads what a
# test imported, and a driver imported twice breaks other tests' `except psycopg.Error`.
import rung.dialects.mysql  # noqa: F401
import rung.dialects.postgresql  # noqa: F401
from conftest import SERVERS, Backend, _server_problem, write
from rung.config import parse_url
from rung.dialects import connect, dialect_for
from rung.pytest_plugin import PREFIX

pytest_plugins = ["pytester"]

GOOD = {
    "001_users.sql": "-- rung:up\n"
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);\n"
    "CREATE INDEX ix_users_email ON users (email);\n"
    "-- rung:down\nDROP TABLE users;\n",
    "002_posts.sql": "-- rung:up\n"
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,"
    " FOREIGN KEY (user_id) REFERENCES users (id));\n"
    "CREATE VIEW post_count AS SELECT count(*) AS n FROM posts;\n"
    "-- rung:down\nDROP VIEW post_count;\nDROP TABLE posts;\n",
}
# The down drops the table but leaves another behind: the stairway test must catch it.
WRONG_DOWN = {
    "003_titles.sql": "-- rung:up\nCREATE TABLE titles (id INTEGER PRIMARY KEY);\n"
    "-- rung:down\nDROP TABLE titles;\nCREATE TABLE titles_left (id INTEGER);\n",
}

CONFTEST = """
import pytest

@pytest.fixture
def record(request):
    def record(url):
        with open(request.config.rootpath / "urls.txt", "a") as out:
            out.write(url + "\\n")
    return record
"""

TESTS = """
from rung import Migrator
from rung.config import parse_url
from rung.dialects import connect, dialect_for


def rows(url, sql):
    _, conn = connect(parse_url(url))
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return list(cur.fetchall()) if cur.description else []
    finally:
        conn.close()


def test_migrated(migrated_database, record, rung_settings):
    record(migrated_database)
    assert Migrator(migrated_database, rung_settings.directory).status().up_to_date
    rows(migrated_database, "INSERT INTO users (id, email) VALUES (1, 'a@example.com')")
    rows(migrated_database, "INSERT INTO posts (id, user_id) VALUES (1, 1)")
    assert rows(migrated_database, "SELECT n FROM post_count") == [(1,)]


def test_does_not_see_other_writes(migrated_database, record):
    record(migrated_database)
    assert rows(migrated_database, "SELECT count(*) FROM users") == [(0,)]
    assert rows(migrated_database, "SELECT n FROM post_count") == [(0,)]


def test_empty_scratch(rung_migrator, record):
    record(rung_migrator.settings.database)
    assert [item.state for item in rung_migrator.status().migrations] == ["pending"] * 2
    assert len(rung_migrator.up().steps) == 2
"""


def _server_url(name: str) -> str:
    problem = _server_problem(name)
    if problem:
        message = f"{name} server not reachable ({SERVERS[name]}): {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — under CI=true every server must be up")
        pytest.skip(message)
    return SERVERS[name]


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        folder = tmp_path / "sqlite"
        folder.mkdir()
        return f"sqlite:///{folder / 'base.db'}"
    return _server_url(request.param)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("RUNG_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    write(pytester.mkdir("migrations"), GOOD)
    pytester.makeconftest(CONFTEST)
    return pytester


def _plugin_databases(url: str) -> set[str]:
    """The databases (SQLite: files) this plugin made beside `url` that still exist."""
    parsed = parse_url(url)
    if parsed.family == "sqlite":
        assert parsed.path is not None
        return {p.name for p in Path(parsed.path).parent.glob(PREFIX + "*")}
    sql = {
        "postgresql": "SELECT datname FROM pg_database",
        "mysql": "SELECT schema_name FROM information_schema.schemata",
    }[parsed.family]
    _, conn = connect(parsed)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return {row[0] for row in cur.fetchall() if row[0].startswith(PREFIX)}
    finally:
        conn.close()


def test_fixtures_give_isolated_migrated_databases_and_drop_them(
    project: pytest.Pytester, database_url: str
) -> None:
    project.makepyfile(test_app=TESTS)
    before = _plugin_databases(database_url)
    result = project.runpytest_subprocess(
        "--rung-database-url", database_url, "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=3)
    urls = (project.path / "urls.txt").read_text().split()
    assert len(set(urls)) == 3  # each test its own database
    assert _plugin_databases(database_url) == before  # the template too is gone


def test_ini_options_and_sqlite_fallback(project: pytest.Pytester) -> None:
    (project.path / "migrations").rename(project.path / "db")
    project.makeini("[pytest]\nrung_migrations = db\n")
    project.makepyfile(test_app=TESTS)
    project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_database_url_from_ini_and_migrations_flag(
    project: pytest.Pytester, tmp_path: Path
) -> None:
    (project.path / "migrations").rename(project.path / "schema")
    url = f"sqlite:///{tmp_path / 'base.db'}"
    project.makeini(f"[pytest]\nrung_database_url = {url}\nrung_migrations = nowhere\n")
    project.makepyfile(test_app=TESTS)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--rung-migrations", "schema")
    result.assert_outcomes(passed=3)
    assert (project.path / "urls.txt").read_text().count(str(tmp_path)) == 3


def test_stairway_from_ini_passes_on_good_migrations(
    project: pytest.Pytester, database_url: str
) -> None:
    project.makeini("[pytest]\nrung_stairway = true\n")
    result = project.runpytest_subprocess("--rung-database-url", database_url, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_rung_stairway PASSED*"])


def test_stairway_fails_on_a_wrong_down(project: pytest.Pytester, database_url: str) -> None:
    write(project.path / "migrations", WRONG_DOWN)
    project.makeini("[pytest]\nrung_stairway = true\n")
    result = project.runpytest_subprocess("--rung-database-url", database_url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*rung verify failed*", "*003_titles*", "*titles_left*"])


def test_stairway_imported_into_a_test_module(project: pytest.Pytester) -> None:
    project.makepyfile(test_schema="from rung.pytest_plugin import test_rung_stairway  # noqa\n")
    result = project.runpytest_subprocess("-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_schema.py::test_rung_stairway PASSED*"])


def test_inert_when_unused(pytester: pytest.Pytester) -> None:
    """Installed but unused: no test added, no driver or heavy library imported."""
    pytester.makepyfile(
        test_other="""
import sys

def test_nothing_loaded(pytestconfig):
    assert pytestconfig.pluginmanager.hasplugin("rung")
    heavy = {"psycopg", "pymysql", "sqlalchemy", "sqlglot"}
    assert not heavy & set(sys.modules)
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_clone_database_copies_schema_data_and_views(backend: Backend) -> None:
    backend.execute(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER,"
        " FOREIGN KEY (parent_id) REFERENCES parent (id))",
        "INSERT INTO parent (id) VALUES (1)",
        "INSERT INTO child (id, parent_id) VALUES (10, 1)",
        "CREATE VIEW child_count AS SELECT count(*) AS n FROM child",
    )
    if backend.name == "mariadb":  # routines and triggers are recreated one by one there
        backend.execute(
            "CREATE TRIGGER child_ins BEFORE INSERT ON child FOR EACH ROW SET NEW.id = NEW.id + 1",
            "CREATE FUNCTION answer() RETURNS INTEGER RETURN 42",
        )
    admin_url = backend.url if backend.name == "sqlite" else parse_url(SERVERS[backend.name])
    admin = dialect_for(admin_url)
    source = backend.url.database if backend.name != "sqlite" else "test"
    target = PREFIX + "clone_" + uuid.uuid4().hex[:8]
    copy = Backend(backend.name, admin.clone_database(source, target), backend.dialect)
    try:
        assert copy.tables() == backend.tables() >= {"parent", "child"}
        assert copy.query("SELECT n FROM child_count") == [(1,)]
        copy.execute("INSERT INTO child (id, parent_id) VALUES (20, 1)")
        assert backend.query("SELECT count(*) FROM child") == [(1,)]  # the source is untouched
        if backend.name == "mariadb":
            assert copy.query("SELECT max(id), answer() FROM child") == [(21, 42)]
    finally:
        admin.drop_database(target)
    assert target not in _plugin_databases(str(admin_url.text))


# -- under pytest-xdist ---------------------------------------------------------------------------
def test_every_xdist_worker_gets_its_own_databases_and_drops_them(
    project: pytest.Pytester, database_url: str
) -> None:
    project.makepyfile(test_app=TESTS, test_more=TESTS)
    project.makeini("[pytest]\nrung_stairway = true\n")
    before = _plugin_databases(database_url)

    result = project.runpytest_subprocess(
        "-n", "2", "--rung-database-url", database_url, "-p", "no:cacheprovider"
    )

    result.assert_outcomes(passed=7)  # 6 tests and the stairway, which runs once
    urls = (project.path / "urls.txt").read_text().split()
    assert len(set(urls)) == 6  # each test its own database
    workers = {match.group(1) for url in urls if (match := re.search(rf"{PREFIX}(gw\d+)_", url))}
    assert len(workers) == 2, urls  # both workers migrated a template and used it
    assert _plugin_databases(database_url) == before  # every worker dropped its template
