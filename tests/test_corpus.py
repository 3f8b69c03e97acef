"""Real migration folders from public projects, run unmodified (file contents untouched).

Authelia's layout (`V0001.Initial_Schema.up.sql`) is copied under rung's own names
(`0001_Initial_Schema.up.sql`); the SQL inside is byte for byte the project's.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, Backend, corpus
from rung import Migrator
from rung.config import Settings
from rung.errors import MigrationFailed
from rung.plan import FAILED

AUTHELIA_FOLDER = {"sqlite": "sqlite", "postgresql": "postgres", "mariadb": "mysql"}
_AUTHELIA_NAME = re.compile(r"^V(?P<version>\d+)\.(?P<name>\w+)\.(?P<direction>up|down)\.sql$")


def authelia(backend: Backend, target: Path) -> Path:
    source = corpus("authelia", AUTHELIA_FOLDER[backend.name])
    target.mkdir()
    for path in source.iterdir():
        match = _AUTHELIA_NAME.match(path.name)
        assert match, f"unexpected file in the corpus: {path.name}"
        shutil.copyfile(
            path, target / f"{match['version']}_{match['name']}.{match['direction']}.sql"
        )
    return target


def migrator(backend: Backend, folder: Path) -> Migrator:
    # Authelia registers BIN2B64/B642BIN on its SQLite connections; the hook does the same.
    settings = Settings(
        database=backend.url.text,
        directory=folder,
        on_connect="authelia_hooks:on_connect",
        config_file=FIXTURES / "rung.toml",
    )
    return Migrator(settings=settings)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_authelia_applies_rolls_back_completely_and_reapplies(backend, tmp_path):
    folder = authelia(backend, tmp_path / "authelia")
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


@pytest.mark.parametrize("backend", ["mariadb"], indirect=True)
def test_authelia_on_mariadb_applies_and_rolls_back_as_far_as_its_files_allow(backend, tmp_path):
    """Authelia's MySQL downs cannot pass V0007 after V0012's down: V0012's down recreates
    webauthn_devices with an index named `kid`, and V0007's down creates `kid` again. The
    files, sent as whole scripts straight to MariaDB, fail the same way (checked by hand);
    rung must stop there with the server's message and exact progress."""
    folder = authelia(backend, tmp_path / "authelia")
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
    assert "0007_ConsistencyFixes.down.sql:32" in failure.value.message
    item = {i.label: i for i in m.status().migrations}["0007_ConsistencyFixes"]
    assert item.state == FAILED and item.applied.failure.statements_done == 29  # lines 1-31
