"""`rung rebase` in folder-per-migration layouts: Prisma (`<timestamp>_<name>/migration.sql`)
and diesel (`<version>_<name>/up.sql`, `down.sql`, `metadata.toml`) rename the folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import Backend, run_rung
from rung import Migrator
from rung.config import Settings
from rung.errors import RequestRefused
from rung.source import discover, integrity
from rung.source.adapters import layout_for

NOW = datetime(2026, 11, 27, 10, 30, 0, tzinfo=UTC)
PRISMA = {
    "migration_lock.toml": 'provider = "postgresql"\n',
    "20240101120000_init/migration.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    "20240102093000_add_posts/migration.sql": "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n",
    "20240103000000_add_tags/migration.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n",
}
DIESEL = {
    "00000000000000_diesel_initial_setup/up.sql": "SELECT 1;\n",
    "2017-12-13-123456_create_users/up.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    "2017-12-13-123456_create_users/down.sql": "DROP TABLE users;\n",
    "2018-01-02-101500_create_posts/up.sql": "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n",
    "2018-01-02-101500_create_posts/down.sql": "DROP TABLE posts;\n",
    "2018-01-02-101500_create_posts/metadata.toml": "run_in_transaction = false\n",
    "2018-02-01-000000_create_tags/up.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n",
}


def project(tmp_path: Path, format: str, files: dict[str, str], database: str = "") -> Path:
    """rung.toml choosing the layout, and migrations/ with `files` (paths in it) and rung.sum."""
    config = f'directory = "migrations"\nformat = "{format}"\n'
    if database:
        config += f'database = "{database}"\n'
    (tmp_path / "rung.toml").write_text(config, encoding="utf-8")
    folder = tmp_path / "migrations"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    integrity.write(folder, layout_for(format))
    return folder


def tree(folder: Path) -> list[str]:
    """Every file under the folder, by its path in it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def rebase(tmp_path: Path, *args: str) -> dict:
    result = run_rung(tmp_path, "rebase", *args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def check_passes(tmp_path: Path) -> None:
    result = run_rung(tmp_path, "check", "--dialect", "sqlite")
    assert result.code == 0, result.out + result.err


def test_prisma_rebase_renames_the_folder_and_rewrites_rung_sum(tmp_path):
    folder = project(tmp_path, "prisma", PRISMA)
    migrator = Migrator(settings=Settings(directory=folder, format="prisma"))
    result = migrator.rebase("20240102093000", now=NOW)
    assert (result.old_version, result.new_version) == ("20240102093000", "20261127103000")
    assert result.renamed == [
        (folder / "20240102093000_add_posts", folder / "20261127103000_add_posts")
    ]
    assert tree(folder) == [
        "20240101120000_init/migration.sql",
        "20240103000000_add_tags/migration.sql",
        "20261127103000_add_posts/migration.sql",
        "migration_lock.toml",
        "rung.sum",
    ]
    assert (folder / "20261127103000_add_posts/migration.sql").read_text() == PRISMA[
        "20240102093000_add_posts/migration.sql"
    ]
    assert "20261127103000_add_posts/migration.sql" in (folder / "rung.sum").read_text()
    assert integrity.verify(folder, layout_for("prisma")).ok
    newest = discover(folder, layout=layout_for("prisma"))[-1]
    assert (newest.version_text, newest.name, newest.label) == (
        "20261127103000",
        "add_posts",
        "20261127103000_add_posts",
    )
    check_passes(tmp_path)


def test_diesel_rebase_keeps_the_dashed_form_and_every_file(tmp_path):
    folder = project(tmp_path, "diesel", DIESEL)
    document = rebase(tmp_path, "2018-01-02-101500")  # the version as the folder writes it
    new = document["new_version"]
    assert document["old_version"] == "2018-01-02-101500"
    assert len(new) == 17 and new[4] == new[7] == new[10] == "-"
    assert int(new.replace("-", "")) > 20180201000000
    moved = f"{new}_create_posts"
    assert document["renamed"] == [
        [str(folder / "2018-01-02-101500_create_posts"), str(folder / moved)]
    ]
    assert [p for p in tree(folder) if p.startswith(moved)] == [
        f"{moved}/down.sql",
        f"{moved}/metadata.toml",
        f"{moved}/up.sql",
    ]
    assert not (folder / "2018-01-02-101500_create_posts").exists()
    newest = discover(folder, layout=layout_for("diesel"))[-1]
    assert newest.version_text == new and newest.down_path == folder / moved / "down.sql"
    assert not newest.up.transactional  # metadata.toml moved with it
    check_passes(tmp_path)


def test_diesel_rebase_keeps_plain_digits_plain(tmp_path):
    files = {**DIESEL, "20180301000000_add_likes/up.sql": "SELECT 1;\n"}
    folder = project(tmp_path, "diesel", files)
    migrator = Migrator(settings=Settings(directory=folder, format="diesel"))
    result = migrator.rebase("20180301000000", now=NOW)
    assert result.new_version == "20261127103000"
    assert (folder / "20261127103000_add_likes/up.sql").is_file()
    # a dashed one after it is dashed, and numbered after the plain one
    result = migrator.rebase("2018-02-01-000000", now=NOW)
    assert result.new_version == "2026-11-27-103001"
    assert (folder / "2026-11-27-103001_create_tags/up.sql").is_file()
    assert integrity.verify(folder, layout_for("diesel")).ok


@pytest.mark.parametrize(
    "argument",
    [
        "migrations/20240102093000_add_posts",
        "migrations/20240102093000_add_posts/",
        "20240102093000_add_posts",
        "migrations/20240102093000_add_posts/migration.sql",
    ],
)
def test_rebase_takes_the_folder_or_a_file_in_it(tmp_path, argument):
    folder = project(tmp_path, "prisma", PRISMA)
    new = rebase(tmp_path, argument)["new_version"]
    assert (folder / f"{new}_add_posts/migration.sql").is_file()
    assert not (folder / "20240102093000_add_posts").exists()
    check_passes(tmp_path)


def test_two_folders_with_one_version_are_told_apart_by_folder(tmp_path):
    """A merge brought main's 2018-02-01-000000_create_tags beside ours, written plainly."""
    files = {**DIESEL, "20180201000000_add_likes/up.sql": "SELECT 1;\n"}
    folder = project(tmp_path, "diesel", files)
    before = tree(folder)
    ambiguous = run_rung(tmp_path, "rebase", "20180201000000")
    assert ambiguous.code == 9
    assert "20180201000000_add_likes" in ambiguous.err
    assert "2018-02-01-000000_create_tags" in ambiguous.err
    assert "rung rebase" in ambiguous.err
    assert tree(folder) == before
    new = rebase(tmp_path, "migrations/20180201000000_add_likes")["new_version"]
    assert len(new) == 14 and (folder / f"{new}_add_likes/up.sql").is_file()
    assert (folder / "2018-02-01-000000_create_tags/up.sql").is_file()
    check_passes(tmp_path)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("20990101000000", "no migration file has version 20990101000000"),
        ("2099-01-01-000000", "no migration file has version 20990101000000"),
        ("20990101000000_nothing", "no migration folder named 20990101000000_nothing"),
        ("../elsewhere/20180101000000_x", "is not in the migrations folder"),
        ("notes", "not a diesel migration folder name"),
        ("repeatable", "not a diesel migration folder name"),
    ],
)
def test_rebase_refuses_what_is_not_a_migration_folder(tmp_path, argument, message):
    folder = project(
        tmp_path,
        "diesel",
        {**DIESEL, "notes/README.md": "x\n", "repeatable/views.sql": "SELECT 1;\n"},
    )
    before = tree(folder), (folder / "rung.sum").read_text()
    result = run_rung(tmp_path, "rebase", argument)
    assert result.code == 9, result.out + result.err
    assert message in result.err
    assert (tree(folder), (folder / "rung.sum").read_text()) == before


def test_migrator_rebase_refuses_before_renaming(tmp_path):
    folder = project(tmp_path, "prisma", PRISMA)
    migrator = Migrator(settings=Settings(directory=folder, format="prisma"))
    with pytest.raises(RequestRefused, match="no migration folder named 1_missing"):
        migrator.rebase(Path("1_missing"), now=NOW)
    assert tree(folder)[:3] == sorted(p for p in PRISMA if "/" in p)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("format", "files", "applied", "pending"),
    [
        (
            "prisma",
            PRISMA,
            "20240102093000",
            ("20240101150000_add_likes/migration.sql", "CREATE TABLE likes (id INTEGER);\n"),
        ),
        (
            "diesel",
            DIESEL,
            "2018-01-02-101500",
            ("2018-01-10-000000_add_likes/up.sql", "CREATE TABLE likes (id INTEGER);\n"),
        ),
    ],
)
def test_rebase_refuses_an_applied_folder_and_renumbers_a_pending_one(
    tmp_path, backend: Backend, format, files, applied, pending
):
    url = backend.url.text
    folder = project(tmp_path, format, files, database=url)
    assert run_rung(tmp_path, "up").code == 0
    history = backend.history_rows()
    # the merge brings a migration older than the newest applied one
    (folder / pending[0]).parent.mkdir()
    (folder / pending[0]).write_text(pending[1], encoding="utf-8")
    integrity.write(folder, layout_for(format))
    before = tree(folder), (folder / "rung.sum").read_text()
    refused = run_rung(tmp_path, "rebase", applied)
    assert refused.code == 9, refused.out + refused.err
    assert f"{applied} is applied" in refused.err and "nothing was renamed" in refused.err
    assert (tree(folder), (folder / "rung.sum").read_text()) == before
    assert backend.history_rows() == history
    document = rebase(tmp_path, str(Path("migrations", pending[0]).parent))
    assert int(document["new_version"].replace("-", "")) > int(applied.replace("-", ""))
    up = run_rung(tmp_path, "up")
    assert up.code == 0, up.out + up.err
    assert "likes" in backend.tables()
    assert backend.history_rows()[-1][0] == document["new_version"]
