"""Folder-per-migration layouts: Prisma Migrate (`<timestamp>_<name>/migration.sql`) and
diesel (`<version>_<name>/up.sql`, `down.sql`, `metadata.toml`), read in place."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, Backend, run_rung
from rung import Migrator
from rung.config import Settings
from rung.errors import InvalidMigrations, RequestRefused
from rung.model import parse_version
from rung.source import discover, integrity
from rung.source.adapters import diesel, layout_for, prisma
from rung.source.adapters.base import NewMigration

PRISMA = FIXTURES / "source" / "prisma" / "migrations"
DIESEL = FIXTURES / "source" / "diesel" / "migrations"


def copy(source: Path, tmp_path: Path) -> Path:
    folder = tmp_path / source.parent.name / source.name
    shutil.copytree(source, folder)
    return folder


def put(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write files given by their path in `folder`, creating sub-folders."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def found(folder: Path, format: str) -> list:
    return discover(folder, parse=True, layout=layout_for(format))


def problems(folder: Path, format: str) -> list[str]:
    with pytest.raises(InvalidMigrations) as error:
        found(folder, format)
    return [line.replace(str(folder) + "/", "") for line in error.value.details]


def migrator(backend: Backend, folder: Path, format: str) -> Migrator:
    return Migrator(settings=Settings(database=backend.url.text, directory=folder, format=format))


def configure(project: Path, backend: Backend, directory: str, format: str) -> None:
    (project / "rung.toml").write_text(
        f'database = "{backend.url.text}"\ndirectory = "{directory}"\nformat = "{format}"\n',
        encoding="utf-8",
    )


# -- Prisma: reading --------------------------------------------------------------------------
def test_prisma_folders_are_migrations_named_by_their_folder():
    result = found(PRISMA, "prisma")
    assert [m.version for m in result] == [(20240101120000,), (20240102093000,), (20240103150000,)]
    assert [m.label for m in result] == [
        "20240101120000_init",
        "20240102093000_add_posts",
        "20240103150000_add_user_name",
    ]
    assert [m.name for m in result] == ["init", "add_posts", "add_user_name"]
    assert [m.version_text for m in result] == [
        "20240101120000",
        "20240102093000",
        "20240103150000",
    ]
    assert [prisma.migration_name(m) for m in result] == [m.label for m in result]
    first = result[0]
    assert first.path == PRISMA / "20240101120000_init" / "migration.sql"
    assert [s.line for s in first.up.statements("postgresql")] == [2, 11]
    assert not first.has_down and first.down is None and first.transactional


def test_prisma_checksum_is_prismas_own_for_lf_files():
    for migration in found(PRISMA, "prisma"):
        data = migration.path.read_bytes()
        assert migration.checksum == hashlib.sha256(data).hexdigest()
        assert migration.checksum == prisma.prisma_checksum(data)
        assert prisma.checksum_matches(migration, migration.checksum)


def test_prisma_checksum_matches_as_prisma_compares_line_endings(migrations):
    text = "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n"
    put(migrations, {"1_crlf/migration.sql": text.replace("\n", "\r\n").encode()})
    (migration,) = found(migrations, "prisma")
    recorded_on_linux = hashlib.sha256(text.encode()).hexdigest()
    assert migration.checksum == recorded_on_linux  # rung normalises line endings too
    assert prisma.checksum_matches(migration, recorded_on_linux)
    assert not prisma.checksum_matches(migration, hashlib.sha256(b"other").hexdigest())
    unpadded = "".join(f"{b:x}" for b in hashlib.sha256(text.encode()).digest())
    assert prisma.checksum_matches(migration, unpadded)  # what early Prisma versions wrote


def test_prisma_files_beside_and_inside_folders_are_not_read(migrations):
    put(
        migrations,
        {
            "migration_lock.toml": 'provider = "sqlite"\n',
            "README.md": "notes",
            "rung.sum": "",
            ".git-keep/x": "",
            "0_init/migration.sql": "CREATE TABLE a (id INTEGER);\n",
            "0_init/notes.txt": "not SQL",
            "0_init/extra.sql": "DROP TABLE a;",
        },
    )
    (migration,) = found(migrations, "prisma")
    assert migration.label == "0_init" and migration.version == (0,)
    assert [s.text for s in migration.up.statements("sqlite")] == ["CREATE TABLE a (id INTEGER)"]


def test_prisma_problems_name_the_folder(migrations):
    put(
        migrations,
        {
            "20240101120000_init/migration.sql": "SELECT 1;\n",
            "drafts/migration.sql": "SELECT 1;\n",
            "20240102120000_no_script/up.sql": "SELECT 1;\n",
            "20240101120000_again/migration.sql": "SELECT 1;\n",
            "20240103120000_markers/migration.sql": "SELECT 1;\n-- rung:down\nSELECT 2;\n",
            "20240104120000_stray.sql": "SELECT 1;\n",
        },
    )
    assert problems(migrations, "prisma") == [
        "20240101120000_init: version 20240101120000 is also used by 20240101120000_again",
        "20240102120000_no_script: no migration.sql in this migration folder",
        "20240104120000_stray.sql: not read: a prisma migration is a folder <version>_<name> "
        "holding migration.sql",
        "drafts: not a Prisma migration folder name (<timestamp>_<name>)",
        "20240103120000_markers/migration.sql:2: "
        "`-- rung:down` marker in a Prisma migration.sql (no down)",
    ]


def test_prisma_no_transaction_directive_is_honoured(migrations):
    put(migrations, {"1_index/migration.sql": "-- rung:no-transaction\nCREATE INDEX i ON t (c);\n"})
    (migration,) = found(migrations, "prisma")
    assert not migration.transactional


# -- Prisma: on every database ----------------------------------------------------------------
def test_prisma_folder_applies_and_refuses_a_down(backend, tmp_path):
    folder = copy(PRISMA, tmp_path)
    m = migrator(backend, folder, "prisma")
    result = m.up()
    assert [s.migration.label for s in result.steps] == [
        "20240101120000_init",
        "20240102093000_add_posts",
        "20240103150000_add_user_name",
    ]
    assert {"users", "posts"} <= backend.tables()
    backend.execute(
        "INSERT INTO users (id, email, created_at, name) VALUES (1, 'a@example.com', 'now', 'A')",
        "INSERT INTO posts (id, title, author_id) VALUES (1, 'hello', 1)",
    )
    before = backend.history_rows()
    with pytest.raises(RequestRefused, match="20240103150000_add_user_name: it has no down"):
        m.down()
    assert backend.history_rows() == before  # nothing ran, nothing was recorded
    assert m.up().steps == []  # applying again finds nothing to do
    applied = [row[0] for row in before if row[1:3] == ("apply", "success")]
    assert applied == ["20240101120000", "20240102093000", "20240103150000"]


def test_prisma_status_shows_prismas_version_and_name(backend, tmp_path):
    copy(PRISMA, tmp_path)
    configure(tmp_path, backend, "prisma/migrations", "prisma")
    assert run_rung(tmp_path, "up", "--to", "20240102093000").code == 0
    status = run_rung(tmp_path, "status")
    assert status.code == 0, status.text
    assert "20240101120000" in status.out and "add_posts" in status.out
    rows = {
        item["version"]: item
        for item in run_rung(tmp_path, "status", "--json").json()["migrations"]
    }
    assert rows["20240102093000"]["state"] == "applied"
    assert rows["20240103150000"]["state"] == "pending"
    assert rows["20240103150000"]["path"].endswith("20240103150000_add_user_name/migration.sql")


# -- diesel: reading --------------------------------------------------------------------------
def test_diesel_versions_are_the_numbers_their_digits_make():
    result = found(DIESEL, "diesel")
    assert [m.version for m in result] == [
        (0,),
        (20171213123456,),
        (20171214090000,),
        (20180102101500,),
    ]
    assert [m.version_text for m in result] == [
        "00000000000000",
        "2017-12-13-123456",
        "2017-12-14-090000",
        "2018-01-02-101500",
    ]
    assert [diesel.recorded_version(m) for m in result] == [
        "00000000000000",
        "20171213123456",
        "20171214090000",
        "20180102101500",
    ]
    assert result[1].label == "2017-12-13-123456_create_users"
    assert parse_version("2017-12-13-123456") == (20171213123456,)  # as the history reads it
    with pytest.raises(ValueError):
        parse_version("2017-12-13.1")
    assert result[1].name == "create_users"
    assert result[1].down_path == DIESEL / "2017-12-13-123456_create_users" / "down.sql"
    assert [s.text for s in result[1].down.statements("mysql")] == ["DROP TABLE users"]


def test_diesel_plain_and_dashed_versions_order_together(migrations):
    put(
        migrations,
        {
            "20180101000000_plain/up.sql": "SELECT 2;",
            "2017-12-31-235959_dashed/up.sql": "SELECT 1;",
            "2018-01-01-000001_later/up.sql": "SELECT 3;",
        },
    )
    assert [m.label for m in found(migrations, "diesel")] == [
        "2017-12-31-235959_dashed",
        "20180101000000_plain",
        "2018-01-01-000001_later",
    ]


def test_diesel_metadata_run_in_transaction_false_is_no_transaction():
    tags = found(DIESEL, "diesel")[-1]
    assert tags.label == "2018-01-02-101500_create_tags"
    assert not tags.up.transactional and not tags.down.transactional
    assert not tags.transactional
    assert all(m.up.transactional for m in found(DIESEL, "diesel")[:-1])


def test_diesel_without_down_sql_has_no_down(migrations):
    put(
        migrations,
        {
            "2020-01-01-000000_a/up.sql": "CREATE TABLE a (id INTEGER);",
            "2020-01-01-000000_a/metadata.toml": "run_in_transaction = true\nother = 'kept'\n",
        },
    )
    (migration,) = found(migrations, "diesel")
    assert migration.down is None and not migration.has_down and migration.transactional


def test_diesel_problems_name_the_folder_or_file(migrations):
    put(
        migrations,
        {
            "2017-12-13-123456_users/up.sql": "SELECT 1;",
            "20171213123456_same_version/up.sql": "SELECT 1;",
            "create_posts/up.sql": "SELECT 1;",
            "2017-12-14-000000_only_down/down.sql": "SELECT 1;",
            "2017-12-15-000000_bad_toml/up.sql": "SELECT 1;",
            "2017-12-15-000000_bad_toml/metadata.toml": "run_in_transaction = \n",
            "2017-12-16-000000_bad_value/up.sql": "SELECT 1;",
            "2017-12-16-000000_bad_value/metadata.toml": 'run_in_transaction = "no"\n',
        },
    )
    found_problems = problems(migrations, "diesel")
    assert found_problems[0] == "2017-12-14-000000_only_down: no up.sql in this migration folder"
    assert found_problems[1:3] == [
        "20171213123456_same_version: version 20171213123456 is also used by "
        "2017-12-13-123456_users",
        "create_posts: not a diesel migration folder name (<version>_<name>)",
    ]
    assert found_problems[3].startswith("2017-12-15-000000_bad_toml/metadata.toml: not valid TOML")
    assert found_problems[4:] == [
        "2017-12-16-000000_bad_value/metadata.toml: "
        "run_in_transaction must be true or false, not 'no'"
    ]


# -- diesel: on every database ----------------------------------------------------------------
def test_diesel_folder_applies_rolls_back_and_applies_again(backend, tmp_path):
    folder = copy(DIESEL, tmp_path)
    m = migrator(backend, folder, "diesel")
    assert len(m.up().steps) == 4
    assert {"users", "posts", "tags"} <= backend.tables()
    backend.execute(
        "INSERT INTO users (id, name, email) VALUES (1, 'Ann', 'ann@example.com')",
        "INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello')",
        "INSERT INTO tags (id, post_id, label) VALUES (1, 1, 'news')",
    )
    down = m.down(everything=True)
    assert [s.migration.label for s in down.steps] == [
        "2018-01-02-101500_create_tags",
        "2017-12-14-090000_create_posts",
        "2017-12-13-123456_create_users",
        "00000000000000_diesel_initial_setup",
    ]
    assert backend.tables() == {"rung_history"}
    assert len(m.up().steps) == 4
    assert {"users", "posts", "tags"} <= backend.tables()
    versions = [row[0] for row in backend.history_rows() if row[1:3] == ("apply", "success")]
    assert versions[:4] == [
        "00000000000000",
        "2017-12-13-123456",
        "2017-12-14-090000",
        "2018-01-02-101500",
    ]


def test_diesel_cli_status_and_down_to_use_diesels_version(backend, tmp_path):
    copy(DIESEL, tmp_path)
    configure(tmp_path, backend, "diesel/migrations", "diesel")
    assert run_rung(tmp_path, "up").code == 0
    down = run_rung(tmp_path, "down", "--to", "2017-12-13-123456")
    assert down.code == 0, down.text
    assert "users" in backend.tables() and "posts" not in backend.tables()
    status = run_rung(tmp_path, "status")
    assert "2017-12-13-123456" in status.out and "create_users" in status.out
    states = {
        i["version"]: i["state"]
        for i in run_rung(tmp_path, "status", "--json").json()["migrations"]
    }
    assert states == {
        "00000000000000": "applied",
        "2017-12-13-123456": "applied",
        "2017-12-14-090000": "pending",
        "2018-01-02-101500": "pending",
    }


# -- rung.sum and `rung new` ------------------------------------------------------------------
@pytest.mark.parametrize("format, source", [("prisma", PRISMA), ("diesel", DIESEL)])
def test_rung_sum_lists_each_folders_files(format, source, tmp_path):
    folder = copy(source, tmp_path)
    layout = layout_for(format)
    integrity.write(folder, layout)
    listed = (folder / "rung.sum").read_text().splitlines()[1:-1]
    names = [line.split("  ", 1)[1] for line in listed]
    if format == "prisma":
        assert names[0] == "20240101120000_init/migration.sql" and len(names) == 3
    else:
        assert "2018-01-02-101500_create_tags/metadata.toml" in names
        assert "2017-12-13-123456_create_users/down.sql" in names
    assert integrity.verify(folder, layout).ok
    edited = folder / names[-1]
    edited.write_text(edited.read_text() + "-- edited\n")
    assert integrity.verify(folder, layout).changed == (names[-1],)


def test_new_files_are_shaped_as_each_tool_writes_them():
    assert prisma.LAYOUT.new_files(NewMigration("20260101120000", "add_users")) == {
        "20260101120000_add_users/migration.sql": "-- This is an empty migration.\n"
    }
    assert diesel.LAYOUT.new_files(NewMigration("20260101120000", "add_users")) == {
        "2026-01-01-120000_add_users/up.sql": "-- Your SQL goes here\n",
        "2026-01-01-120000_add_users/down.sql": "-- This file should undo anything in `up.sql`\n",
    }
    plain = diesel.LAYOUT.new_files(
        NewMigration(
            "20260101120000",
            "x",
            examples=["00000000000000_diesel_initial_setup", "20250101000000_a"],
        )
    )
    assert set(plain) == {"20260101120000_x/up.sql", "20260101120000_x/down.sql"}
    with pytest.raises(Exception, match="reads only SQL files"):
        prisma.LAYOUT.refuse_python(True)
