"""rung.sum: its format, determinism, what verification finds, and the merge it forces."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import write
from rung.errors import InvalidMigrations
from rung.source import checksum, integrity

USERS = (
    "-- rung:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n-- rung:down\nDROP TABLE users;\n"
)
POSTS = "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n"


@pytest.fixture
def folder(migrations: Path) -> Path:
    return write(
        migrations,
        {
            "10_tags.sql": POSTS,
            "2_posts.up.sql": POSTS,
            "2_posts.down.sql": "DROP TABLE posts;\n",
            "1_users.sql": USERS,
            "notes.txt": "not a migration",
            "__init__.py": "",
        },
    )


def test_format_lists_each_file_in_version_order_then_a_total(folder):
    text = integrity.render(folder)
    lines = text.splitlines()
    assert lines[0] == "rung-sum 1"
    assert [line.split("  ", 1)[1] for line in lines[1:-1]] == [
        "1_users.sql",
        "2_posts.down.sql",
        "2_posts.up.sql",
        "10_tags.sql",  # numerically after 2, not as text
    ]
    assert lines[1] == f"{checksum(USERS.encode())}  1_users.sql"
    body = text.rsplit("total ", 1)[0]
    assert lines[-1] == f"total {hashlib.sha256(body.encode()).hexdigest()}"
    assert text.endswith("\n") and "\r" not in text


def test_writing_is_deterministic_with_lf_endings(folder):
    first = integrity.write(folder).read_bytes()
    assert integrity.write(folder).read_bytes() == first
    assert b"\r" not in first
    assert integrity.verify(folder).ok


def test_a_folder_without_rung_sum_is_not_stale(folder):
    result = integrity.verify(folder)
    assert not result.present and result.ok
    integrity.require_fresh(folder)  # does not raise


def test_added_removed_and_changed_files_are_named(folder):
    integrity.write(folder)
    write(folder, {"3_new.sql": POSTS, "1_users.sql": USERS + "-- edited\n"})
    (folder / "10_tags.sql").unlink()
    result = integrity.verify(folder)
    assert not result.ok and not result.tampered
    assert result.added == ("3_new.sql",)
    assert result.removed == ("10_tags.sql",)
    assert result.changed == ("1_users.sql",)
    with pytest.raises(InvalidMigrations) as caught:
        integrity.require_fresh(folder)
    details = "\n".join(caught.value.details)
    assert "3_new.sql: added" in details and "10_tags.sql: listed" in details
    assert "1_users.sql: changed" in details and "rung hash" in caught.value.hint


def test_line_endings_do_not_matter(folder):
    integrity.write(folder)
    (folder / "1_users.sql").write_bytes(USERS.replace("\n", "\r\n").encode())
    assert integrity.verify(folder).ok
    # nor those of rung.sum itself, as a CRLF checkout leaves it
    path = folder / integrity.SUM_FILE
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert integrity.verify(folder).ok


def test_a_hand_edited_total_or_line_is_caught(folder):
    path = integrity.write(folder)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + "total " + "0" * 64 + "\n")
    result = integrity.verify(folder)
    assert result.total_mismatch and result.tampered and not result.ok


def test_conflict_markers_make_it_unreadable(folder):
    path = integrity.write(folder)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + "<<<<<<< HEAD\n" + lines[-1] + "=======\n>>>>>>> b\n")
    result = integrity.verify(folder)
    assert result.unreadable and "merge-conflict" in result.unreadable and not result.ok


def test_a_wrong_first_line_is_unreadable(folder):
    (folder / integrity.SUM_FILE).write_text("something else\n")
    assert integrity.verify(folder).unreadable


def test_two_branches_adding_a_migration_change_the_same_total_line(folder, tmp_path):
    """What makes git refuse to merge the second branch without a conflict."""
    integrity.write(folder)
    main_lines = (folder / integrity.SUM_FILE).read_text().splitlines()
    branches = {}
    for branch, name in (("a", "20_add_a.sql"), ("b", "21_add_b.sql")):
        copy = tmp_path / branch
        shutil.copytree(folder, copy)
        write(copy, {name: f"CREATE TABLE {branch} (id INTEGER PRIMARY KEY);\n"})
        integrity.write(copy)
        branches[branch] = (copy / integrity.SUM_FILE).read_text().splitlines()
    a, b = branches["a"], branches["b"]
    assert a[:-2] == b[:-2] == main_lines[:-1]  # both insert just above the total line
    assert a[-2] != b[-2] and a[-1] != b[-1] != main_lines[-1]
    # The naive resolution (keep both lines, either total) is still caught.
    merged = tmp_path / "merged"
    shutil.copytree(tmp_path / "a", merged)
    shutil.copy(tmp_path / "b" / "21_add_b.sql", merged)
    (merged / integrity.SUM_FILE).write_text("\n".join([*a[:-1], b[-2], a[-1]]) + "\n")
    assert integrity.verify(merged).total_mismatch
