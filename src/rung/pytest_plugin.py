"""rung's pytest plugin: migrated databases for tests, and the stairway test as a test item.

Loaded by the `pytest11` entry point in every test suite of an environment where rung is
installed, so it stays inert until used: no database driver and nothing of rung's beyond
this module is imported until a fixture is requested or the stairway test is enabled.

- `rung_migrator`: a Migrator on a fresh, empty scratch database (one per test).
- `migrated_database`: the URL of a database with every migration applied, one per test,
  copied from a template migrated once per session (`Dialect.clone_database`).
- `rung_stairway = true` in the ini file (or `from rung.pytest_plugin import
  test_rung_stairway` in a test module) adds `test_rung_stairway`, which runs
  `Migrator.verify()` on a scratch database.

Under pytest-xdist each worker migrates a template of its own and names every database
after itself (`rung_pytest_gw0_...`), so workers never share or drop each other's.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rung.api import Migrator
    from rung.config import Settings
    from rung.dialects import Dialect
    from rung.verify import VerifyReport

__all__ = [
    "migrated_database",
    "rung_migrator",
    "rung_settings",
    "test_rung_stairway",
]

# Databases this plugin makes; a leftover (a killed run) says where it came from.
PREFIX = "rung_pytest_"
STAIRWAY_NAME = "test_rung_stairway"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rung", "rung database migrations")
    group.addoption(
        "--rung-database-url",
        dest="rung_database_url",
        metavar="URL",
        help="server (or SQLite file) beside which rung's test databases are created; "
        "default: ini rung_database_url, then RUNG_DATABASE_URL / DATABASE_URL / rung.toml, "
        "then a temporary SQLite file",
    )
    group.addoption(
        "--rung-migrations",
        dest="rung_migrations",
        metavar="PATH",
        help="migrations folder; default: ini rung_migrations, then rung's settings",
    )
    parser.addini("rung_database_url", "database URL for rung's test databases")
    parser.addini("rung_migrations", "migrations folder, relative to the ini file")
    parser.addini(
        "rung_stairway", "collect test_rung_stairway (rung verify)", type="bool", default=False
    )


def load_test_settings(config: pytest.Config, scratch_folder: Path) -> Settings:
    """Flags > ini > rung's own settings; with no database anywhere, a SQLite file in
    `scratch_folder`."""
    from rung.config import load_settings

    base = config.inipath.parent if config.inipath else config.rootpath
    url = config.getoption("rung_database_url") or config.getini("rung_database_url") or None
    folder: str | Path | None = config.getoption("rung_migrations")
    if folder is None and config.getini("rung_migrations"):
        folder = base / config.getini("rung_migrations")
    settings = load_settings(database=url, directory=folder)
    if not settings.database:
        settings = replace(settings, database=f"sqlite:///{scratch_folder / 'rung.db'}")
    return settings


@pytest.fixture(scope="session")
def rung_settings(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """rung's Settings for the tests: database URL and migrations folder."""
    return load_test_settings(pytestconfig, tmp_path_factory.mktemp("rung"))


@pytest.fixture
def rung_migrator(rung_settings: Settings) -> Iterator[Migrator]:
    """A Migrator on a fresh, empty scratch database, dropped after the test."""
    from rung.api import Migrator

    with _ScratchDatabase(rung_settings) as (_, _, url):
        yield Migrator(settings=replace(rung_settings, database=url))


@pytest.fixture(scope="session")
def _rung_template(rung_settings: Settings) -> Iterator[_Copies]:
    """A database with every migration applied, once per session, and its copies."""
    from rung.api import Migrator

    with _ScratchDatabase(rung_settings, "template") as (admin, name, url):
        Migrator(settings=replace(rung_settings, database=url)).up()
        copies = _Copies(admin, name)
        try:
            yield copies
        finally:
            copies.close()


@pytest.fixture
def migrated_database(_rung_template: _Copies) -> Iterator[str]:
    """The URL of this test's own database with every migration applied, dropped after it."""
    name, url = _rung_template.take()
    try:
        yield url
    finally:
        _rung_template.discard(name)


class _Copies:
    """Copies of the template, made one ahead in a background thread while a test runs, so
    a test waits for its copy only when the one before it was quicker than the copying;
    used copies are dropped in the same thread."""

    def __init__(self, admin: Dialect, template: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.admin, self.template = admin, template
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rung-copies")
        self.next = self.worker.submit(self._copy)

    def _copy(self) -> tuple[str, str]:
        name = _new_name()
        return name, self.admin.clone_database(self.template, name).text

    def take(self) -> tuple[str, str]:
        ready, self.next = self.next, self.worker.submit(self._copy)
        return ready.result()

    def discard(self, name: str) -> None:
        self.worker.submit(self.admin.drop_database, name)

    def close(self) -> None:
        with suppress(Exception):  # the spare copy's error, if any, was nobody's to see
            self.discard(self.next.result()[0])
        self.worker.shutdown(wait=True)


class _ScratchDatabase:
    """Create a scratch database beside the configured one; drop it on exit."""

    def __init__(self, settings: Settings, role: str = "") -> None:
        from rung.dialects import dialect_for

        self.admin = dialect_for(settings.url(), lock_timeout=settings.lock_timeout)
        self.name = _new_name(role)

    def __enter__(self) -> tuple[Dialect, str, str]:
        return self.admin, self.name, self.admin.create_database(self.name).text

    def __exit__(self, *exc: object) -> None:
        self.admin.drop_database(self.name)


def _new_name(role: str = "") -> str:
    """rung_pytest_<random>; under pytest-xdist rung_pytest_gw0_<random>, and a template is
    rung_pytest_gw0_template_<random>: a leftover of a killed run says who made it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    parts = [part for part in (worker, role) if part]
    return PREFIX + "".join(f"{part}_" for part in parts) + uuid.uuid4().hex[:12]


# -- the stairway test --------------------------------------------------------------------
class StairwayFailed(Exception):
    """`rung verify` found a migration whose down does not undo its up."""


def run_stairway(settings: Settings) -> VerifyReport:
    from rung.api import Migrator

    report = Migrator(settings=settings).verify()
    if not report.ok:
        raise StairwayFailed(render_report(report))
    return report


def render_report(report: VerifyReport) -> str:
    from rung.verify import verify_error

    lines = [f"{check.label}: {check.summary}" for check in report.checks]
    if report.failure is not None:
        error = verify_error(report)
        lines += [f"    {detail}" for detail in error.details]
        lines.append(f"hint: {error.hint}")
    return "\n".join(lines)


def test_rung_stairway(rung_settings: Settings) -> None:
    """Every migration goes up, down (the schema as before) and up again (as after the up).

    Import it into a test module to collect it there."""
    __tracebackhide__ = True
    try:
        run_stairway(rung_settings)
    except StairwayFailed as exc:
        pytest.fail(f"rung verify failed:\n{exc}", pytrace=False)


class StairwayItem(pytest.Item):
    """`test_rung_stairway`, collected when the ini file sets `rung_stairway = true`."""

    def runtest(self) -> None:
        with tempfile.TemporaryDirectory(prefix="rung-stairway-") as folder:
            run_stairway(load_test_settings(self.config, Path(folder)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, StairwayFailed):
            return f"rung verify failed:\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, STAIRWAY_NAME


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect, so they apply to it too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getini("rung_stairway"):
        return
    items.append(
        StairwayItem.from_parent(session, name=STAIRWAY_NAME, nodeid=f"rung::{STAIRWAY_NAME}")
    )
