"""rung.source: file names, sections, directives, encodings, checksums, `rung new` names, and
loading Python migrations. No database: everything here reads and writes files only."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, write
from rung.errors import ConfigError, InvalidMigrations, ScriptError
from rung.model import Migration, format_version
from rung.source import checksum, discover
from rung.source.native import new_migration_path
from rung.source.python import migration_function
from rung.sqlsplit import split

BLOG = FIXTURES / "source" / "blog"
NOW = datetime(2026, 11, 27, 10, 30, 0, tzinfo=UTC)


def labels(folder: Path) -> list[str]:
    return [m.label for m in discover(folder, parse=True)]


def only(folder: Path) -> Migration:
    (migration,) = discover(folder, parse=True)
    return migration


def problems(folder: Path) -> list[str]:
    """The detail lines of the InvalidMigrations that discovering `folder` raises."""
    with pytest.raises(InvalidMigrations) as error:
        discover(folder, parse=True)
    assert error.value.details, "every problem is listed on a line of its own"
    return list(error.value.details)


def problem_for(folder: Path, file_name: str) -> str:
    """The one problem reported for `file_name`, which must start with its path (and line)."""
    found = [p for p in problems(folder) if p.startswith(str(folder / file_name))]
    assert len(found) == 1, found
    return found[0]


def line_of(problem: str, folder: Path, file_name: str) -> int | None:
    match = re.match(re.escape(str(folder / file_name)) + r"(?::(\d+))?: ", problem)
    assert match, problem
    return int(match[1]) if match[1] else None


def statements(migration: Migration, direction: str = "up") -> list[tuple[int, str]]:
    script = migration.up if direction == "up" else migration.down
    assert script is not None
    parts = split(script.text, "generic", first_line=script.first_line, path=str(script.path))
    return [(s.line, s.text) for s in parts]


def file_line(path: Path, number: int) -> str:
    """Line `number` (1-based) of a file, counting \\n, \\r\\n and \\r as line ends."""
    text = path.read_bytes().decode("utf-8-sig")
    return re.split(r"\r\n|\r|\n", text)[number - 1]


# --- a realistic folder ----------------------------------------------------------------------


def test_fixture_folder_reads_every_format_in_version_order():
    found = discover(BLOG)
    assert [m.label for m in found] == [
        "001_create_users",
        "1.5_add_posts",
        "002_index_posts",
        "3_backfill_titles",
        "10_rename_title",
    ]
    assert [m.version for m in found] == [(1,), (1, 5), (2,), (3,), (10,)]
    assert [m.kind for m in found] == ["sql", "sql", "sql", "python", "sql"]
    assert [m.has_down for m in found] == [True, False, True, True, True]
    users, posts, index, backfill, rename = found
    assert users.name == "create_users" and users.version_text == "001"
    assert statements(users) == [
        (5, "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL)"),
        (6, "CREATE INDEX ix_users_email ON users (email)"),
    ]
    assert statements(users, "down") == [(9, "DROP TABLE users")]
    assert posts.down is None and posts.up.first_line == 1
    assert not index.transactional and not index.down.transactional
    assert backfill.up is None and backfill.down is None and backfill.transactional
    assert rename.path.name == "10_rename_title.up.sql"
    assert rename.down_path is not None and rename.down_path.name == "10_rename_title.down.sql"
    assert rename.down.path == rename.down_path
    assert rename.checksum == checksum((BLOG / "10_rename_title.up.sql").read_bytes())


def test_missing_folder_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="migrations folder not found"):
        discover(tmp_path / "nope")


def test_empty_folder_has_no_migrations(migrations):
    assert discover(migrations, parse=True) == []


# --- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "version", "name", "label", "version_text"),
    [
        ("001_x.sql", (1,), "x", "001_x", "001"),
        ("20261127103000_add_users.sql", (20261127103000,), "add_users", None, "20261127103000"),
        ("1.2_x.sql", (1, 2), "x", "1.2_x", "1.2"),
        ("1.2.0_x.sql", (1, 2, 0), "x", "1.2.0_x", "1.2.0"),
        ("0_zero.sql", (0,), "zero", "0_zero", "0"),
        ("001_add_users.sql", (1,), "add_users", "001_add_users", "001"),
        ("001_add.users_v2.sql", (1,), "add.users_v2", "001_add.users_v2", "001"),
        ("001_x.up.sql", (1,), "x", "001_x", "001"),
        ("002_backfill.py", (2,), "backfill", "002_backfill", "002"),
    ],
)
def test_valid_names(migrations, file_name, version, name, label, version_text):
    write(migrations, {file_name: "SELECT 1;\n" if file_name.endswith(".sql") else "def up(c): 0"})
    migration = only(migrations)
    assert migration.version == version
    assert migration.name == name
    assert migration.label == (label or file_name.rsplit(".", 1)[0])
    assert migration.version_text == version_text
    assert migration.path == migrations / file_name


def test_paired_files_make_one_migration_named_after_the_up_file(migrations):
    write(
        migrations, {"001_x.up.sql": "CREATE TABLE x (id INT);", "001_x.down.sql": "DROP TABLE x;"}
    )
    migration = only(migrations)
    assert migration.label == "001_x" and migration.version_text == "001"
    assert migration.path == migrations / "001_x.up.sql"
    assert migration.down_path == migrations / "001_x.down.sql"
    assert migration.has_down
    assert migration.up.text == "CREATE TABLE x (id INT);"
    assert migration.down.text == "DROP TABLE x;"
    assert (migration.up.first_line, migration.down.first_line) == (1, 1)


def test_up_file_without_down_file_has_no_down(migrations):
    write(migrations, {"001_x.up.sql": "CREATE TABLE x (id INT);"})
    migration = only(migrations)
    assert not migration.has_down and migration.down is None and migration.down_path is None


INVALID_NAMES = ["01-add.sql", "V1_x.sql", "001.sql", "x_001.sql", "001_x.up.py", "001_.sql"]


@pytest.mark.parametrize("file_name", INVALID_NAMES)
def test_invalid_name_is_reported_with_the_file(migrations, file_name):
    write(migrations, {file_name: "SELECT 1;"})
    problem = problem_for(migrations, file_name)
    assert "not a valid migration file name" in problem
    with pytest.raises(InvalidMigrations) as error:
        discover(migrations, parse=True)
    assert error.value.hint and "001_add_users.sql" in error.value.hint


def test_all_invalid_names_are_reported_at_once(migrations):
    write(migrations, dict.fromkeys(INVALID_NAMES, "SELECT 1;"))
    write(migrations, {"002_fine.sql": "SELECT 1;"})
    found = problems(migrations)
    assert len(found) == len(INVALID_NAMES)
    for file_name in INVALID_NAMES:
        assert sum(p.startswith(f"{migrations / file_name}: ") for p in found) == 1, file_name
    assert not any("002_fine" in p for p in found)


def test_down_file_without_up_file(migrations):
    write(migrations, {"001_x.down.sql": "DROP TABLE x;"})
    assert "down file without its .up.sql file" in problem_for(migrations, "001_x.down.sql")


def test_name_problems_and_content_problems_are_reported_together(migrations):
    write(migrations, {"01-add.sql": "", "002_x.sql": "-- rung:up\nSELECT 1;\n-- rung:updown\n"})
    (migrations / "003_latin1.sql").write_bytes(b"SELECT 'caf\xe9';\n")
    found = problems(migrations)
    assert len(found) == 3
    assert any(p.startswith(f"{migrations / '01-add.sql'}: ") for p in found)
    assert any(p.startswith(f"{migrations / '002_x.sql'}:3: unknown directive") for p in found)
    assert any(p.startswith(f"{migrations / '003_latin1.sql'}:1: not UTF-8") for p in found)


@pytest.mark.parametrize(
    "ignored",
    [
        "README.md",
        "rung.sum",
        "notes.txt",
        "__init__.py",
        "__main__.py",
        ".hidden.sql",
        ".001_x.sql",
        "001_x.sql.bak",
        "001_x.sql~",
        "001_x.pyc",
    ],
)
def test_ignored_files(migrations, ignored):
    write(migrations, {ignored: "this is not SQL (", "002_real.sql": "SELECT 1;"})
    assert labels(migrations) == ["002_real"]


def test_subfolders_are_ignored(migrations):
    write(migrations, {"002_real.sql": "SELECT 1;"})
    (migrations / "archive").mkdir()
    write(migrations / "archive", {"001_old.sql": "SELECT 1;", "bad-name.sql": ""})
    (migrations / "003_folder.sql").mkdir()  # a folder named like a migration
    (migrations / "__pycache__").mkdir()
    assert labels(migrations) == ["002_real"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("001_a.sql", "001_b.sql"),
        ("001_a.sql", "1_b.sql"),  # same version: 1
        ("1.2_a.sql", "01.002_b.sql"),  # same version: 1.2
        ("001_a.sql", "001_b.py"),
        ("001_a.sql", "001_a.up.sql"),
        ("001_a.py", "001_b.up.sql"),
        ("001_a.up.sql", "001_b.up.sql"),
        ("001_a.down.sql", "001_b.down.sql"),
    ],
)
def test_duplicate_versions_name_both_files(migrations, first, second):
    write(migrations, {first: "SELECT 1;", second: "SELECT 2;"})
    found = problems(migrations)
    assert any(first in p and second in p and "is also used by" in p for p in found), found


def test_duplicate_version_message_says_which_version(migrations):
    write(migrations, {"001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 2;"})
    assert any("version 1 is also used by" in p for p in problems(migrations))


def test_three_files_with_one_version_are_all_named(migrations):
    write(migrations, {"001_a.sql": "", "01_b.sql": "", "1_c.sql": ""})
    text = "\n".join(problems(migrations))
    assert "001_a.sql" in text and "01_b.sql" in text and "1_c.sql" in text


def test_paired_files_with_different_names_are_not_one_migration(migrations):
    """`001_a.up.sql` and `001_b.down.sql` are two files with one version, not a pair."""
    write(
        migrations, {"001_a.up.sql": "CREATE TABLE a (id INT);", "001_b.down.sql": "DROP TABLE b;"}
    )
    found = problems(migrations)
    assert any("001_a.up.sql" in p and "001_b.down.sql" in p for p in found), found


def test_down_file_beside_a_python_migration_is_not_silently_ignored(migrations):
    """A `.down.sql` file that is never used must not pass as if it were part of the migration."""
    write(migrations, {"001_a.py": "def up(conn):\n    pass\n", "001_a.down.sql": "DROP TABLE a;"})
    found = problems(migrations)
    assert any("001_a.down.sql" in p for p in found), found


def test_down_file_beside_a_sectioned_file_is_reported(migrations):
    write(migrations, {"001_a.sql": "SELECT 1;", "001_a.down.sql": "SELECT 2;"})
    assert any("001_a.down.sql" in p for p in problems(migrations))


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["10_b.sql", "9_a.sql"], ["9_a", "10_b"]),
        (["1.10_b.sql", "1.2_a.sql"], ["1.2_a", "1.10_b"]),
        (["2_c.sql", "1.10_b.sql", "1_a.sql"], ["1_a", "1.10_b", "2_c"]),
        (["0010_b.sql", "009_a.sql"], ["009_a", "0010_b"]),
        (["20261127103000_b.sql", "999_a.sql"], ["999_a", "20261127103000_b"]),
        (["1.2.1_b.sql", "1.2_a.sql", "1.3_c.sql"], ["1.2_a", "1.2.1_b", "1.3_c"]),
    ],
)
def test_versions_are_ordered_as_numbers(migrations, names, expected):
    write(migrations, dict.fromkeys(names, "SELECT 1;"))
    assert labels(migrations) == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 120), min_size=1, max_size=3).map(tuple),
        min_size=1,
        max_size=8,
        unique=True,
    ),
    st.data(),
)
def test_discover_sorts_any_versions_numerically_whatever_the_padding(versions, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spelled = {}
        for index, version in enumerate(versions):
            pad = data.draw(st.integers(1, 4), label=f"width {index}")
            text = ".".join(f"{part:0{pad}d}" for part in version)
            spelled[version] = text
            (folder / f"{text}_m{index}.sql").write_text("SELECT 1;\n")
        found = discover(folder, parse=True)
    assert [m.version for m in found] == sorted(versions)
    assert [m.version_text for m in found] == [spelled[v] for v in sorted(versions)]
    assert all(format_version(m.version) == ".".join(map(str, m.version)) for m in found)


# --- sections --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("up_marker", "down_marker"),
    [
        ("-- rung:up", "-- rung:down"),
        ("--rung:up", "--rung:down"),
        ("-- RUNG:UP", "-- Rung:Down"),
        ("   --   rung:up   ", "\t--\trung:down\t"),
        ("-- rung:up  (the change)", "-- rung:down  (undo it)"),
        ("-- rung:up\r", "-- rung:down\r"),  # CRLF files
    ],
)
def test_markers_in_any_case_and_spacing(migrations, up_marker, down_marker):
    write(
        migrations,
        {"001_x.sql": f"{up_marker}\nCREATE TABLE x (id INT);\n{down_marker}\nDROP TABLE x;\n"},
    )
    migration = only(migrations)
    assert migration.has_down
    assert [text for _, text in statements(migration)] == ["CREATE TABLE x (id INT)"]
    assert [text for _, text in statements(migration, "down")] == ["DROP TABLE x"]
    assert (migration.up.first_line, migration.down.first_line) == (2, 4)


def test_marker_must_be_a_line_of_its_own(migrations):
    write(migrations, {"001_x.sql": "SELECT 1; -- rung:down\nSELECT 2;\n"})
    migration = only(migrations)
    assert not migration.has_down
    assert [text for _, text in statements(migration)] == ["SELECT 1", "SELECT 2"]


def test_file_without_markers_is_all_up_and_has_no_down(migrations):
    text = "-- adds x\nCREATE TABLE x (id INT);\nDROP TABLE y;\n"
    write(migrations, {"001_x.sql": text})
    migration = only(migrations)
    assert migration.up.text == text and migration.up.first_line == 1
    assert migration.down is None and not migration.has_down
    assert statements(migration) == [(2, "CREATE TABLE x (id INT)"), (3, "DROP TABLE y")]


@pytest.mark.parametrize("text", ["", "-- nothing to do here\n", "/* a; b; */\n-- c;\n"])
def test_comment_only_and_empty_files_are_valid_empty_migrations(migrations, text):
    write(migrations, {"001_x.sql": text})
    assert statements(only(migrations)) == []


def test_up_only_sections(migrations):
    write(migrations, {"001_x.sql": "-- rung:up\nSELECT 1;\n"})
    migration = only(migrations)
    assert not migration.has_down and migration.down is None
    assert statements(migration) == [(2, "SELECT 1")]


def test_empty_down_section_still_counts_as_a_down(migrations):
    write(migrations, {"001_x.sql": "-- rung:up\nSELECT 1;\n-- rung:down\n-- nothing to undo\n"})
    migration = only(migrations)
    assert migration.has_down and statements(migration, "down") == []


def test_statement_lines_map_to_file_lines(migrations):
    write(
        migrations,
        {
            "001_x.sql": (
                "-- A header comment.\n"
                "/* A block\n   comment; with a semicolon. */\n"
                "\n"
                "-- rung:up\n"
                "CREATE TABLE a (id INT);\n"
                "\n"
                "CREATE TABLE b (\n  id INT\n);\n"
                "-- rung:down\n"
                "\n"
                "DROP TABLE b;\n"
                "DROP TABLE a;\n"
            )
        },
    )
    migration = only(migrations)
    assert migration.up.first_line == 6 and migration.down.first_line == 12
    assert [line for line, _ in statements(migration)] == [6, 8]
    assert [line for line, _ in statements(migration, "down")] == [13, 14]
    for direction in ("up", "down"):
        for line, text in statements(migration, direction):
            assert file_line(migration.path, line).startswith(text.splitlines()[0])


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_statement_lines_with_any_line_ending(migrations, newline):
    lines = ["-- header", "-- rung:up", "", "SELECT 1;", "-- rung:down", "SELECT 2;", ""]
    (migrations / "001_x.sql").write_bytes(newline.join(lines).encode())
    migration = only(migrations)
    assert statements(migration) == [(4, "SELECT 1")]
    assert statements(migration, "down") == [(6, "SELECT 2")]


@pytest.mark.parametrize(
    "odd",
    ["\x0c", "\x0b", "\x1c", "\x85", "\u2028", "\u2029"],
    ids=["FF", "VT", "FS", "NEL", "LS", "PS"],
)
def test_characters_that_python_splits_lines_at_do_not_shift_line_numbers(migrations, odd):
    """Only \\n, \\r\\n and \\r end a line (as for the SQL splitter and every editor's line count);
    str.splitlines() also splits at form feeds, U+2028 and others."""
    write(
        migrations,
        {
            "001_x.sql": (
                f"-- page break here:{odd}\n"
                "-- rung:up\n"
                f"INSERT INTO t VALUES ('a{odd}b');\n"
                "-- rung:down\n"
                "DELETE FROM t;\n"
            )
        },
    )
    migration = only(migrations)
    assert [line for line, _ in statements(migration)] == [3]
    assert statements(migration, "down") == [(5, "DELETE FROM t")]


@st.composite
def sectioned_files(draw):
    """A sectioned migration file as lines, and the file lines its statements start on."""
    comment = st.sampled_from(["-- note", "/* block */", "", "   ", "-- ; semicolon in a comment"])
    lines: list[str] = draw(st.lists(comment, max_size=4))
    expected: dict[str, list[int]] = {"up": [], "down": []}
    for direction in ("up", "down"):
        lines.append(f"-- rung:{direction}")
        for index in range(draw(st.integers(0, 4))):
            lines.extend(draw(st.lists(comment, max_size=2)))
            expected[direction].append(len(lines) + 1)
            if draw(st.booleans()):
                lines.extend([f"CREATE TABLE t{index} (", "  id INT", ");"])
            else:
                lines.append(f"SELECT {index};")
        lines.extend(draw(st.lists(comment, max_size=2)))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join(lines) + newline, expected


@settings(max_examples=100, deadline=None)
@given(sectioned_files())
def test_statement_lines_are_file_lines_for_any_layout(case):
    text, expected = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "001_x.sql").write_bytes(text.encode())
        migration = only(folder)
        assert [line for line, _ in statements(migration)] == expected["up"]
        assert [line for line, _ in statements(migration, "down")] == expected["down"]
        for direction in ("up", "down"):
            for line, statement in statements(migration, direction):
                assert file_line(migration.path, line).startswith(statement.splitlines()[0])


def test_header_comments_before_the_first_marker_are_allowed(migrations):
    write(
        migrations,
        {"001_x.sql": "-- why: ticket 42; careful\n/* multi\nline; */\n\n-- rung:up\nSELECT 1;\n"},
    )
    assert statements(only(migrations)) == [(6, "SELECT 1")]


def test_sql_before_the_first_marker_is_an_error_with_its_line(migrations):
    write(
        migrations,
        {"001_x.sql": "-- header\n\nCREATE TABLE early (id INT);\n-- rung:up\nSELECT 1;\n"},
    )
    problem = problem_for(migrations, "001_x.sql")
    assert "SQL before the first `-- rung:up` marker" in problem
    assert line_of(problem, migrations, "001_x.sql") == 3


def test_unreadable_header_is_reported_as_a_problem_of_its_file(migrations):
    """An unterminated comment before the first marker: reported with the other problems,
    naming the file, not raised on its own without a file name."""
    write(
        migrations,
        {"001_x.sql": "/* started but never closed\n-- rung:up\nSELECT 1;\n", "02-bad.sql": ""},
    )
    found = problems(migrations)
    assert any(p.startswith(str(migrations / "001_x.sql")) for p in found), found
    assert any(p.startswith(str(migrations / "02-bad.sql")) for p in found), found


def test_down_section_before_up_is_an_error_with_its_line(migrations):
    write(
        migrations,
        {"001_x.sql": "-- rung:down\nDROP TABLE x;\n-- rung:up\nCREATE TABLE x (id INT);\n"},
    )
    problem = problem_for(migrations, "001_x.sql")
    assert "`-- rung:down` section comes before `-- rung:up`" in problem
    assert line_of(problem, migrations, "001_x.sql") == 1


def test_down_marker_without_up_marker_is_an_error(migrations):
    write(migrations, {"001_x.sql": "CREATE TABLE x (id INT);\n-- rung:down\nDROP TABLE x;\n"})
    text = "\n".join(problems(migrations))
    assert "001_x.sql" in text and "no `-- rung:up` marker" in text


@pytest.mark.parametrize(
    ("text", "marker", "line"),
    [
        ("-- rung:up\nSELECT 1;\n-- rung:up\nSELECT 2;\n", "up", 3),
        ("-- rung:up\nSELECT 1;\n-- rung:down\nSELECT 2;\n-- RUNG:DOWN\nSELECT 3;\n", "down", 5),
    ],
)
def test_duplicated_marker_is_an_error_with_its_line(migrations, text, marker, line):
    write(migrations, {"001_x.sql": text})
    problem = problem_for(migrations, "001_x.sql")
    assert f"second `-- rung:{marker}` marker" in problem
    assert line_of(problem, migrations, "001_x.sql") == line


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("-- rung:no-transactions\n-- rung:up\nSELECT 1;\n", 1),
        ("-- rung:up\nSELECT 1;\n-- rung:dwon\nSELECT 2;\n", 3),
        ("SELECT 1;\n\n  -- Rung:NoTransaction\n", 3),
    ],
)
def test_unknown_directive_is_an_error_with_its_line(migrations, text, line):
    write(migrations, {"001_x.sql": text})
    problem = problem_for(migrations, "001_x.sql")
    assert "unknown directive" in problem
    assert line_of(problem, migrations, "001_x.sql") == line


def test_unknown_directive_in_a_paired_file_is_an_error(migrations):
    write(migrations, {"001_x.up.sql": "SELECT 1;", "001_x.down.sql": "\n-- rung:no-tx\nSELECT 2;"})
    problem = problem_for(migrations, "001_x.down.sql")
    assert "unknown directive" in problem and line_of(problem, migrations, "001_x.down.sql") == 2


def test_markers_in_paired_files_are_an_error(migrations):
    write(migrations, {"001_x.up.sql": "-- rung:up\nSELECT 1;\n", "001_x.down.sql": "SELECT 2;\n"})
    problem = problem_for(migrations, "001_x.up.sql")
    assert "marker in a paired" in problem and line_of(problem, migrations, "001_x.up.sql") == 1


def test_allow_directive_is_known(migrations):
    write(
        migrations,
        {"001_x.sql": "-- rung:allow ban-drop-table the table is empty\nDROP TABLE x;\n"},
    )
    assert statements(only(migrations)) == [(2, "DROP TABLE x")]


# --- no-transaction --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "up_tx", "down_tx"),
    [
        ("-- rung:up\nSELECT 1;\n-- rung:down\nSELECT 2;\n", True, True),
        ("-- rung:no-transaction\n-- rung:up\nSELECT 1;\n-- rung:down\nSELECT 2;\n", False, False),
        ("-- rung:up\n-- rung:no-transaction\nSELECT 1;\n-- rung:down\nSELECT 2;\n", False, True),
        ("-- rung:up\nSELECT 1;\n-- rung:down\n-- rung:no-transaction\nSELECT 2;\n", True, False),
        ("-- rung:up\nSELECT 1;\n-- RUNG:No-Transaction\n-- rung:down\nSELECT 2;\n", False, True),
        (
            "-- why: VACUUM\n  --rung:no-transaction\n-- rung:up\nVACUUM;\n-- rung:down\n",
            False,
            False,
        ),
    ],
)
def test_no_transaction_in_the_header_applies_to_both_sections_inside_one_to_that_one(
    migrations, text, up_tx, down_tx
):
    write(migrations, {"001_x.sql": text})
    migration = only(migrations)
    assert (migration.up.transactional, migration.down.transactional) == (up_tx, down_tx)
    assert migration.transactional == up_tx


def test_no_transaction_in_a_file_without_markers(migrations):
    write(migrations, {"001_x.sql": "-- rung:no-transaction\nVACUUM;\n"})
    migration = only(migrations)
    assert not migration.up.transactional and not migration.transactional
    assert statements(migration) == [(2, "VACUUM")]


@pytest.mark.parametrize(("in_up", "in_down"), [(True, False), (False, True), (True, True)])
def test_no_transaction_in_a_paired_file_applies_to_that_file(migrations, in_up, in_down):
    directive = "-- rung:no-transaction\n"
    write(
        migrations,
        {
            "001_x.up.sql": (directive if in_up else "") + "CREATE INDEX CONCURRENTLY i ON t (c);",
            "001_x.down.sql": (directive if in_down else "") + "DROP INDEX CONCURRENTLY i;",
        },
    )
    migration = only(migrations)
    assert migration.up.transactional is not in_up
    assert migration.down.transactional is not in_down
    assert migration.transactional is not in_up


# --- Python migrations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "has_down"),
    [
        ("def up(conn):\n    pass\n", False),
        ("def up(conn):\n    pass\n\n\ndef down(conn):\n    pass\n", True),
        ("def up(conn): pass\ndef down (conn): pass\n", True),
        ("def up(conn):\n    pass\n\n\ndef downgrade(conn):\n    pass\n", False),
        ("def up(conn):\n    pass\n# def down(conn):\n#     pass\n", False),
        ("class Helper:\n    def down(self, conn):\n        pass\n\n\ndef up(conn): pass\n", False),
    ],
)
def test_python_migration_has_down(migrations, source, has_down):
    write(migrations, {"002_backfill.py": source})
    migration = only(migrations)
    assert migration.kind == "python"
    assert migration.has_down is has_down
    assert migration.up is None and migration.down is None and migration.transactional


@pytest.mark.parametrize(
    ("source", "has_down"),
    [
        ("def up(conn):\n    pass\n\n\ndown = up  # the change is its own inverse\n", True),
        (
            '"""No way back:\ndef down(conn) is deliberately missing."""\n\ndef up(conn): pass\n',
            False,
        ),
    ],
    ids=["assigned-down", "docstring-mentions-def-down"],
)
def test_python_has_down_follows_what_the_module_defines(migrations, source, has_down):
    """has_down decides, before anything runs, whether a rollback can go ahead; a wrong True
    makes `rung down` stop half-way on 'defines no down(conn) function'."""
    write(migrations, {"002_backfill.py": source})
    migration = only(migrations)
    assert migration.has_down is has_down
    if has_down:
        assert callable(migration_function(migration, "down"))
    else:
        with pytest.raises(ScriptError):
            migration_function(migration, "down")


def test_python_functions_are_loaded_from_the_file(migrations):
    write(
        migrations,
        {
            "002_x.py": "CALLS = []\n\ndef up(conn):\n    return ('up', conn)\n\ndef down(conn):\n"
            "    return ('down', conn)\n"
        },
    )
    migration = only(migrations)
    assert migration_function(migration, "up")("c") == ("up", "c")
    assert migration_function(migration, "down")("c") == ("down", "c")


def test_python_syntax_error_is_found_before_anything_runs(migrations):
    write(migrations, {"002_x.py": "import os\n\ndef up(conn)\n    pass\n"})
    with pytest.raises(InvalidMigrations) as error:
        discover(migrations, parse=True)
    assert error.value.details[0].startswith(f"{migrations / '002_x.py'}:3: Python syntax error")
    assert error.value.hint


@pytest.mark.parametrize(
    ("source", "line", "raised"),
    [
        ("import os\n\nraise RuntimeError('boom')\n", 3, "RuntimeError: boom"),
        ("import no_such_module_for_rung_tests\n", 1, "ModuleNotFoundError"),
        ("LIMIT = int('x')\n\ndef up(conn):\n    pass\n", 1, "ValueError"),
    ],
)
def test_python_module_level_exception_names_file_and_line(migrations, source, line, raised):
    write(migrations, {"002_x.py": source})
    with pytest.raises(ScriptError) as error:
        migration_function(only(migrations), "up")
    assert error.value.message.startswith(f"{migrations / '002_x.py'}:{line}: ")
    assert raised in error.value.message


@pytest.mark.parametrize("direction", ["up", "down"])
def test_python_missing_function_is_reported(migrations, direction):
    other = "down" if direction == "up" else "up"
    write(migrations, {"002_x.py": f"def {other}(conn):\n    pass\n\n{direction} = 42\n"})
    with pytest.raises(ScriptError, match=rf"002_x\.py: defines no {direction}\(conn\) function"):
        migration_function(only(migrations), direction)


def test_python_migration_is_imported_fresh_each_time(migrations):
    write(migrations, {"002_x.py": "def up(conn):\n    return 1\n"})
    migration = only(migrations)
    assert migration_function(migration, "up")(None) == 1
    write(migrations, {"002_x.py": "def up(conn):\n    return 2\n"})
    assert migration_function(migration, "up")(None) == 2


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_non_utf8_file_is_reported_with_file_and_line(migrations, newline):
    text = newline.join(["-- ok", "SELECT 1;", "INSERT INTO t VALUES ('caf\xe9');", ""])
    (migrations / "001_latin1.sql").write_bytes(text.encode("latin-1"))
    problem = problem_for(migrations, "001_latin1.sql")
    assert "not UTF-8" in problem
    assert line_of(problem, migrations, "001_latin1.sql") == 3


def test_non_utf8_line_counts_old_mac_line_endings(migrations):
    (migrations / "001_latin1.sql").write_bytes(
        b"-- ok\rSELECT 1;\rINSERT INTO t VALUES ('\xe9');\r"
    )
    problem = problem_for(migrations, "001_latin1.sql")
    assert line_of(problem, migrations, "001_latin1.sql") == 3


@pytest.mark.parametrize("file_name", ["001_x.down.sql", "001_x.py"])
def test_non_utf8_paired_down_file_and_python_file_are_reported(migrations, file_name):
    if file_name.endswith(".down.sql"):
        write(migrations, {"001_x.up.sql": "SELECT 1;"})
    (migrations / file_name).write_bytes(b"\n\xff\xfe\n")
    assert line_of(problem_for(migrations, file_name), migrations, file_name) == 2


def test_utf8_byte_order_mark_is_accepted(migrations):
    text = "-- rung:up\nINSERT INTO t VALUES ('café');\n-- rung:down\nDELETE FROM t;\n"
    (migrations / "001_bom.sql").write_bytes(b"\xef\xbb\xbf" + text.encode())
    migration = only(migrations)
    assert "\ufeff" not in migration.up.text
    assert statements(migration) == [(2, "INSERT INTO t VALUES ('café')")]
    assert statements(migration, "down") == [(4, "DELETE FROM t")]


def test_utf8_byte_order_mark_in_paired_and_plain_files(migrations):
    (migrations / "001_x.up.sql").write_bytes(b"\xef\xbb\xbfSELECT 1;")
    (migrations / "001_x.down.sql").write_bytes(b"\xef\xbb\xbfSELECT 2;")
    (migrations / "002_y.sql").write_bytes(b"\xef\xbb\xbf-- rung:no-transaction\nVACUUM;")
    paired, plain = discover(migrations, parse=True)
    assert statements(paired) == [(1, "SELECT 1")] and statements(paired, "down") == [
        (1, "SELECT 2")
    ]
    assert not plain.transactional  # the directive on the first line is seen past the BOM


# --- checksums -------------------------------------------------------------------------------

USERS = "-- rung:up\nCREATE TABLE users (id INT);\n\n-- rung:down\nDROP TABLE users;\n"


def discovered_checksum(data: bytes, file_name: str = "001_x.sql") -> str:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / file_name).write_bytes(data)
        return only(Path(tmp)).checksum


def test_checksum_is_sha256_of_the_file_with_lf_line_endings():
    import hashlib

    assert checksum(USERS.encode()) == hashlib.sha256(USERS.encode()).hexdigest()
    assert discovered_checksum(USERS.encode()) == checksum(USERS.encode())


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_checksum_ignores_line_endings(newline):
    variant = USERS.replace("\n", newline).encode()
    assert discovered_checksum(variant) == discovered_checksum(USERS.encode())


def test_checksum_ignores_mixed_line_endings():
    mixed = b"-- rung:up\r\nCREATE TABLE users (id INT);\r\rDROP\n"
    assert checksum(mixed) == checksum(b"-- rung:up\nCREATE TABLE users (id INT);\n\nDROP\n")


@pytest.mark.parametrize(
    "edited",
    [
        USERS.replace("INT", "BIGINT"),
        USERS.replace("DROP TABLE users;", "DROP TABLE users; -- bye"),  # down section only
        USERS.replace("\n\n", "\n"),  # a blank line
        USERS.replace(";\n", "; \n", 1),  # trailing whitespace
        USERS + "\n",
        USERS.rstrip("\n"),
        USERS.replace("-- rung:up", "-- RUNG:UP"),
        USERS.replace("users", "Users"),
    ],
)
def test_checksum_changes_with_any_other_edit(edited):
    assert discovered_checksum(edited.encode()) != discovered_checksum(USERS.encode())


def test_paired_checksum_covers_only_the_up_file(migrations):
    write(
        migrations,
        {"001_x.up.sql": "CREATE TABLE x (id INT);\n", "001_x.down.sql": "DROP TABLE x;\n"},
    )
    before = only(migrations).checksum
    assert before == checksum(b"CREATE TABLE x (id INT);\n")
    write(migrations, {"001_x.down.sql": "DROP TABLE IF EXISTS x;\n"})
    assert only(migrations).checksum == before
    (migrations / "001_x.up.sql").write_bytes(b"CREATE TABLE x (id INT);\r\n")
    assert only(migrations).checksum == before
    write(migrations, {"001_x.up.sql": "CREATE TABLE x (id BIGINT);\n"})
    assert only(migrations).checksum != before


def test_python_checksum_is_of_the_file(migrations):
    source = "def up(conn):\n    pass\n"
    write(migrations, {"002_x.py": source})
    assert only(migrations).checksum == checksum(source.encode())


line_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)))


@settings(max_examples=200, deadline=None)
@given(st.lists(line_text, max_size=8), st.sampled_from(["\r\n", "\r"]), st.booleans())
def test_checksum_is_blind_to_line_endings_only(lines, newline, final_newline):
    end = "\n" if final_newline else ""
    lf = ("\n".join(lines) + end).encode()
    variant = (newline.join(lines) + end.replace("\n", newline)).encode()
    assert checksum(variant) == checksum(lf)


@settings(max_examples=200, deadline=None)
@given(line_text, line_text)
def test_checksum_differs_for_different_text(a, b):
    assert (checksum(a.encode()) == checksum(b.encode())) == (a == b)


# --- `rung new` names --------------------------------------------------------------------------


def test_new_migration_is_named_after_the_utc_time(migrations):
    path = new_migration_path(migrations, "add users", python=False, sequential=False, now=NOW)
    assert path == migrations / "20261127103000_add_users.sql"
    python = new_migration_path(migrations, "backfill", python=True, sequential=False, now=NOW)
    assert python == migrations / "20261127103000_backfill.py"


def test_new_migration_in_the_same_second_gets_the_next_version(migrations):
    write(migrations, {"20261127103000_add_users.sql": "", "20261127103001_add_posts.sql": ""})
    path = new_migration_path(migrations, "add tags", python=False, sequential=False, now=NOW)
    assert path == migrations / "20261127103002_add_tags.sql"
    path.write_text("")
    assert labels(migrations)[-1] == "20261127103002_add_tags"


def test_new_migration_collides_with_a_python_migration_too(migrations):
    write(migrations, {"20261127103000_seed.py": "def up(conn): pass\n"})
    path = new_migration_path(migrations, "x", python=True, sequential=False, now=NOW)
    assert path.name == "20261127103001_x.py"


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], "001_add_users.sql"),
        (["001_a.sql", "002_b.sql", "003_c.sql"], "004_add_users.sql"),
        (["1_a.sql", "2_b.sql"], "3_add_users.sql"),
        (["0001_a.sql", "0009_b.sql"], "0010_add_users.sql"),
        (["009_a.sql"], "010_add_users.sql"),
        (["99_a.sql"], "100_add_users.sql"),
        (["2_b.sql", "010_a.sql"], "011_add_users.sql"),  # the highest version, not the last name
        (["001_a.up.sql", "001_a.down.sql"], "002_add_users.sql"),
        (["001_a.sql", "0002_b.py"], "0003_add_users.sql"),
    ],
)
def test_new_sequential_keeps_the_width_of_the_highest_version(migrations, existing, expected):
    write(migrations, dict.fromkeys(existing, ""))
    path = new_migration_path(migrations, "add users", python=False, sequential=True, now=NOW)
    assert path == migrations / expected
    path.write_text("")
    assert labels(migrations)[-1] == expected.removesuffix(".sql")


@pytest.mark.parametrize(
    ("description", "slug"),
    [
        ("add users", "add_users"),
        ("Add Users", "add_users"),
        ("  add   users  ", "add_users"),
        ("add-users; drop posts!", "add_users_drop_posts"),
        ("Index on users(email)", "index_on_users_email"),
        ("v2 schema", "v2_schema"),
        ("2026 cleanup", "2026_cleanup"),
        ("__private__", "private"),
        ("x", "x"),
    ],
)
def test_new_slug_rules(migrations, description, slug):
    path = new_migration_path(migrations, description, python=False, sequential=True, now=NOW)
    assert path.name == f"001_{slug}.sql"
    path.write_text("")
    assert only(migrations).name == slug  # what rung new writes, rung reads back


@pytest.mark.parametrize("description", ["", "   ", "!!!", "-- _ --", "?"])
def test_new_refuses_a_description_without_letters_or_digits(migrations, description):
    with pytest.raises(ConfigError, match="cannot name a migration") as error:
        new_migration_path(migrations, description, python=False, sequential=False, now=NOW)
    assert error.value.hint


def test_new_refuses_when_the_folder_has_invalid_migrations(migrations):
    write(migrations, {"01-add.sql": ""})
    with pytest.raises(InvalidMigrations):
        new_migration_path(migrations, "x", python=False, sequential=True, now=NOW)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=30))
def test_new_names_are_valid_migration_names_or_refused(description):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            path = new_migration_path(folder, description, python=False, sequential=False, now=NOW)
        except ConfigError:
            assert not re.search(r"[a-z0-9]", description.lower())
            return
        path.write_text("")
        (migration,) = discover(folder, parse=True)
        assert migration.version == (20261127103000,)
        assert re.fullmatch(r"[^\W_]+(_[^\W_]+)*", migration.name)  # letters of any script
