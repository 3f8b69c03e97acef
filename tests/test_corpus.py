"""Real migration folders from public projects, run unmodified and in place.

Authelia's layout (`V0001.Initial_Schema.up.sql`) is read where it lies with one config
line, `pattern`; the folder is read-only to rung (no rung.sum is written there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, Backend, corpus
from rung import Migrator
from rung.config import Settings
from rung.errors import MigrationFailed
from rung.plan import FAILED

AUTHELIA_FOLDER = {"sqlite": "sqlite", "postgresql": "postgres", "mariadb": "mysql"}
AUTHELIA_PATTERN = r"^V(?P<version>\d+)\.(?P<name>\w+)\.(?P<direction>up|down)\.sql$"


def authelia(backend: Backend) -> Path:
    return corpus("authelia", AUTHELIA_FOLDER[backend.name])


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file in the folder with its size and modification time."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def migrator(backend: Backend, folder: Path) -> Migrator:
    # Authelia registers BIN2B64/B642BIN on its SQLite connections; the hook does the same.
    settings = Settings(
        database=backend.url.text,
        directory=folder,
        pattern=AUTHELIA_PATTERN,
        on_connect="authelia_hooks:on_connect",
        config_file=FIXTURES / "rung.toml",
    )
    return Migrator(settings=settings)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_authelia_applies_rolls_back_completely_and_reapplies(backend):
    folder = authelia(backend)
    before = snapshot(folder)
    m = migrator(backend, folder)
    applied = m.up()
    assert len(applied.steps) == 26
    tables = backend.tables()
    assert {"authentication_logs", "totp_configurations", "webauthn_credentials"} <= tables
    assert m.up().steps == []
    assert len(m.down(everything=True).steps) == 26
    assert backend.tables() == {"rung_history"}
    assert len(m.up().steps) == 26
    assert backend.tables() == tables
    assert m.status().up_to_date
    assert [i.version_text for i in m.status().migrations][:2] == ["0001", "0002"]
    assert snapshot(folder) == before and not (folder / "rung.sum").exists()


@pytest.mark.parametrize("backend", ["mariadb"], indirect=True)
def test_authelia_on_mariadb_applies_and_rolls_back_as_far_as_its_files_allow(backend):
    """Authelia's MySQL downs cannot pass V0007 after V0012's down: V0012's down recreates
    webauthn_devices with an index named `kid`, and V0007's down creates `kid` again. The
    files, sent as whole scripts straight to MariaDB, fail the same way (checked by hand);
    rung must stop there with the server's message and exact progress."""
    folder = authelia(backend)
    before = snapshot(folder)
    m = migrator(backend, folder)
    tables = None
    assert len(m.up().steps) == 26
    tables = backend.tables()
    assert m.up().steps == []
    assert len(m.down(target=(7,)).steps) == 19
    assert len(m.up().steps) == 19
    assert backend.tables() == tables
    m.down(target=(7,))
    with pytest.raises(MigrationFailed, match="Duplicate key name 'kid'") as failure:
        m.down()
    assert "V0007.ConsistencyFixes.down.sql:32" in failure.value.message
    item = {i.label: i for i in m.status().migrations}["V0007.ConsistencyFixes"]
    assert item.state == FAILED and item.applied.failure.statements_done == 29  # lines 1-31
    assert snapshot(folder) == before and not (folder / "rung.sum").exists()
