"""`rung new` and `rung rebase` in other tools' layouts (Flyway, golang-migrate, dbmate, a
file-name pattern), and per-dialect variants that must carry their migration's name."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import Backend, run_rung, write
from rung.errors import ConfigError, InvalidMigrations
from rung.source import discover, integrity
from rung.source.adapters import layout_for
from rung.source.native import new_migration_files
from rung.source.renumber import next_version

NOW = datetime(2026, 11, 27, 10, 30, 0, tzinfo=UTC)
AUTHELIA = r"^V(?P<version>\d+)\.(?P<name>\w+)\.(?P<direction>up|down)\.sql$"
CONFIGS = {
    "flyway": 'format = "flyway"\n',
    "golang-migrate": 'format = "golang-migrate"\n',
    "dbmate": 'format = "dbmate"\n',
    "pattern": f"pattern = '{AUTHELIA}'\n",
}


def project(tmp_path: Path, format: str, files: dict[str, str] | None = None) -> Path:
    """A project in tmp_path: rung.toml choosing the layout, and migrations/ with files."""
    (tmp_path / "rung.toml").write_text(CONFIGS[format], encoding="utf-8")
    folder = tmp_path / "migrations"
    folder.mkdir(exist_ok=True)
    return write(folder, files or {})


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def new(folder: Path, format: str, description: str = "add users", **kw: object) -> dict:
    files = new_migration_files(folder, description, now=NOW, layout=layout_for(format), **kw)
    return {path.name: text for path, text in files.items()}


# -- rung new: names ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], "V1__add_users.sql"),
        (["V1__a.sql", "V2__b.sql"], "V3__add_users.sql"),
        (["V1_2_0__a.sql", "V1_10_3__b.sql"], "V2__add_users.sql"),  # the next major version
        (["V1.1__a.sql", "B3__base.sql", "U1.1__a.sql"], "V4__add_users.sql"),
        (["V001__a.sql", "V009__b.sql"], "V010__add_users.sql"),  # the folder's width
        (["V20261101093000__a.sql"], "V20261127103000__add_users.sql"),  # timestamps
        (["V202611010930__a.sql"], "V202611271030__add_users.sql"),  # minute timestamps
        (["V20261201000000__future.sql"], "V20261201000001__add_users.sql"),  # clock behind
    ],
)
def test_new_flyway_numbers_as_the_folder_does(migrations, existing, expected):
    write(migrations, dict.fromkeys(existing, "SELECT 1;\n"))
    assert list(new(migrations, "flyway")) == [expected]


def test_new_flyway_sequential_numbers_a_timestamp_folder_on(migrations):
    write(migrations, {"V20261101093000__a.sql": ""})
    assert list(new(migrations, "flyway", sequential=True)) == ["V20261101093001__add_users.sql"]


def test_new_flyway_follows_the_configured_naming(tmp_path):
    folder = project(tmp_path, "flyway", {"M1--a.ddl": "SELECT 1;"})
    with open(tmp_path / "rung.toml", "a", encoding="utf-8") as file:
        file.write('[flyway]\nprefix = "M"\nundo_prefix = "UM"\nseparator = "--"\n')
        file.write('suffixes = [".ddl"]\n')
    result = run_rung(tmp_path, "new", "Add Users", "--json")
    assert result.code == 0, result.err
    assert result.json()["paths"] == [str(folder / "M2--add_users.ddl")]
    assert "UM2--add_users.ddl" in (folder / "M2--add_users.ddl").read_text()


@pytest.mark.parametrize(
    ("format", "existing", "expected"),
    [
        (
            "golang-migrate",
            [],
            {"20261127103000_add_users.up.sql": "", "20261127103000_add_users.down.sql": ""},
        ),
        (
            "dbmate",
            ["20261127103000_a.sql"],
            {"20261127103001_add_users.sql": "-- migrate:up\n\n\n-- migrate:down\n\n"},
        ),
        (
            "pattern",
            ["V0025.Earlier.up.sql", "V0026.Latest.up.sql", "V0026.Latest.down.sql"],
            {"V0027.add_users.up.sql": "", "V0027.add_users.down.sql": ""},
        ),
    ],
)
def test_new_in_each_layout(migrations, format, existing, expected):
    write(migrations, {name: "-- migrate:up\n" for name in existing})
    layout = layout_for(pattern=AUTHELIA) if format == "pattern" else layout_for(format)
    files = new_migration_files(migrations, "add users", now=NOW, layout=layout)
    assert {path.name: text for path, text in files.items()} == expected


def test_new_golang_migrate_sequential_uses_six_digits(migrations):
    assert list(new(migrations, "golang-migrate", sequential=True)) == [
        "000001_add_users.up.sql",
        "000001_add_users.down.sql",
    ]


def test_new_pattern_without_a_direction_writes_rung_sections(migrations):
    write(migrations, {"m-0007-init.sql": ""})
    layout = layout_for(pattern=r"m-(?P<version>\d+)-(?P<name>\w+)\.sql")
    files = new_migration_files(migrations, "add users", now=NOW, layout=layout)
    assert {p.name: t for p, t in files.items()} == {
        "m-0008-add_users.sql": "-- rung:up\n\n\n-- rung:down\n\n"
    }


def test_new_pattern_keeps_the_case_of_the_direction(migrations):
    write(migrations, {"2_x.UP.sql": ""})
    layout = layout_for(pattern=r"(?P<version>\d+)_(?P<name>\w+)\.(?P<direction>UP|DOWN)\.sql")
    files = new_migration_files(migrations, "y", now=NOW, layout=layout)
    assert [p.name for p in files] == ["3_y.UP.sql", "3_y.DOWN.sql"]


@pytest.mark.parametrize(
    ("existing", "pattern", "message"),
    [
        ([], AUTHELIA, "the folder has none"),
        (["V1.Init.up.sql"], r"^V(?P<version>\d+)\.(?P<name>[A-Z]\w+)\.up\.sql$", "read back"),
    ],
)
def test_new_pattern_refuses_what_it_cannot_name(tmp_path, existing, pattern, message):
    (tmp_path / "migrations").mkdir()
    folder = write(tmp_path / "migrations", dict.fromkeys(existing, ""))
    (tmp_path / "rung.toml").write_text(f"pattern = '{pattern}'\n")
    result = run_rung(tmp_path, "new", "add users")
    assert result.code == 3 and message in result.err and "hint:" in result.err
    assert names(folder) == sorted(existing)


@pytest.mark.parametrize("format", ["flyway", "golang-migrate", "dbmate", "pattern"])
def test_new_python_is_refused_outside_rungs_own_layout(tmp_path, format):
    folder = project(tmp_path, format, {"V0001.Init.up.sql": ""} if format == "pattern" else {})
    result = run_rung(tmp_path, "new", "backfill", "--python")
    assert result.code == 3, result.err
    assert "--python" in result.err and "reads only SQL files" in result.err
    assert names(folder) == (["V0001.Init.up.sql"] if format == "pattern" else [])


# -- rung new: what it writes is read back, applied, hashed ---------------------------------
SQL = {
    "flyway": ("CREATE TABLE {t} (id INT);\n", None),
    "golang-migrate": ("CREATE TABLE {t} (id INT);\n", "DROP TABLE {t};\n"),
    "dbmate": (
        "-- migrate:up\nCREATE TABLE {t} (id INT);\n-- migrate:down\nDROP TABLE {t};\n",
        None,
    ),
    "pattern": ("CREATE TABLE {t} (id INT);\n", "DROP TABLE {t};\n"),
}


@pytest.mark.parametrize("format", ["flyway", "golang-migrate", "dbmate", "pattern"])
def test_new_files_are_read_back_and_applied(tmp_path, backend: Backend, format):
    first = {"V0001.first.up.sql": "CREATE TABLE first (id INT);\n"} if format == "pattern" else {}
    folder = project(tmp_path, format, first)
    assert run_rung(tmp_path, "hash").code == 0
    result = run_rung(tmp_path, "new", "add users", "--json")
    assert result.code == 0, result.err
    document = result.json()
    assert document["sum"] == str(folder / "rung.sum")  # refreshed: the new files are in it
    up_text, down_text = SQL[format]
    for path in map(Path, document["paths"]):
        path.write_text((down_text if ".down." in path.name else up_text).format(t="users"))
    assert run_rung(tmp_path, "hash").code == 0
    url = backend.url.text
    up = run_rung(tmp_path, "up", "-d", url)
    assert up.code == 0, up.err
    assert "users" in backend.tables()
    status = run_rung(tmp_path, "status", "--exit-code", "-d", url)
    assert status.code == 0, status.out


def test_new_refreshes_rung_sum_in_another_layout(tmp_path):
    folder = project(tmp_path, "flyway", {"V1__a.sql": "SELECT 1;\n"})
    assert run_rung(tmp_path, "hash").code == 0
    assert run_rung(tmp_path, "new", "b").code == 0
    layout = layout_for("flyway")
    assert integrity.verify(folder, layout).ok
    assert "V2__b.sql" in (folder / "rung.sum").read_text()


# -- rung rebase --------------------------------------------------------------------------------
def rebase(tmp_path: Path, *args: str) -> dict:
    result = run_rung(tmp_path, "rebase", *args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_rebase_a_flyway_migration_by_its_file_renames_v_and_u(tmp_path):
    folder = project(
        tmp_path,
        "flyway",
        {
            "V1__users.sql": "SELECT 1;",
            "V2__theirs.sql": "SELECT 2;",
            "V2__mine.sql": "SELECT 2;",
            "U2__mine.sql": "SELECT 0;",
            "B1__base.sql": "SELECT 1;",
        },
    )
    ambiguous = run_rung(tmp_path, "rebase", "2")
    assert ambiguous.code == 9
    assert "V2__mine.sql" in ambiguous.err and "rung rebase" in ambiguous.err
    document = rebase(tmp_path, "migrations/V2__mine.sql")
    assert (document["old_version"], document["new_version"]) == ("2", "3")
    assert names(folder) == [
        "B1__base.sql",
        "U3__mine.sql",
        "V1__users.sql",
        "V2__theirs.sql",
        "V3__mine.sql",
        "rung.sum",
    ]
    assert integrity.verify(folder, layout_for("flyway")).ok
    assert discover(folder, layout=layout_for("flyway"))[-1].down_path.name == "U3__mine.sql"


def test_rebase_takes_a_down_file_or_a_bare_name_too(tmp_path):
    folder = project(
        tmp_path,
        "golang-migrate",
        {
            "20260101000000_users.up.sql": "x",
            "20260101000000_users.down.sql": "y",
            "20260201000000_posts.up.sql": "x",
        },
    )
    new = rebase(tmp_path, "20260101000000_users.down.sql")["new_version"]
    assert int(new) > 20260201000000 and len(new) == 14
    assert names(folder) == sorted(
        [
            "20260201000000_posts.up.sql",
            f"{new}_users.down.sql",
            f"{new}_users.up.sql",
            "rung.sum",
        ]
    )


def test_rebase_keeps_per_dialect_variants_together(tmp_path):
    (tmp_path / "migrations").mkdir()
    folder = write(
        tmp_path / "migrations",
        {
            "001_a.sql": "SELECT 1;",
            "002_x.sql": "SELECT 1;",
            "002_x.postgres.sql": "SELECT 1;",
            "002_x.sqlite.sql": "SELECT 1;",
        },
    )
    new = rebase(tmp_path, "2")["new_version"]
    assert names(folder) == sorted(
        ["001_a.sql", f"{new}_x.sql", f"{new}_x.postgres.sql", f"{new}_x.sqlite.sql", "rung.sum"]
    )


def test_rebase_in_a_pattern_folder_keeps_its_shape(tmp_path):
    folder = project(
        tmp_path,
        "pattern",
        {
            "V0001.Init.up.sql": "x",
            "V0002.Mine.up.sql": "x",
            "V0002.Mine.down.sql": "y",
            "V0003.Theirs.up.sql": "x",
        },
    )
    assert rebase(tmp_path, "migrations/V0002.Mine.up.sql")["new_version"] == "0004"
    assert "V0004.Mine.up.sql" in names(folder) and "V0004.Mine.down.sql" in names(folder)


def test_rebase_by_file_is_refused_when_that_migration_ran(tmp_path, backend: Backend):
    folder = project(tmp_path, "flyway", {"V1__users.sql": "CREATE TABLE users (id INT);"})
    url = backend.url.text
    assert run_rung(tmp_path, "up", "-d", url).code == 0
    # the merge brings a V1 of another name, which this database never ran
    write(folder, {"V1__other.sql": "CREATE TABLE other (id INT);"})
    refused = run_rung(tmp_path, "rebase", "V1__users.sql", "-d", url)
    assert refused.code == 9 and "is applied" in refused.err
    assert rebase(tmp_path, "V1__other.sql", "-d", url)["new_version"] == "2"
    assert run_rung(tmp_path, "up", "-d", url).code == 0
    assert "other" in backend.tables()


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("V9__nothing.sql", "no file named V9__nothing.sql"),
        ("../rung.toml", "is not in the migrations folder"),
        ("B1__base.sql", "is a baseline: it keeps its version"),
        ("notes.sql", "not a valid flyway migration file name"),
    ],
)
def test_rebase_refuses_a_file_it_cannot_renumber(tmp_path, argument, message):
    folder = project(
        tmp_path,
        "flyway",
        {"V1__users.sql": "SELECT 1;", "B1__base.sql": "SELECT 1;", "notes.sql": "x"},
    )
    before = names(folder)
    result = run_rung(tmp_path, "rebase", argument)
    assert result.code == 9, result.err
    assert message in result.err
    assert names(folder) == before


# -- next_version ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("existing", "numbering", "expected"),
    [
        ([], "timestamp", "20261127103000"),
        ([], "sequential", "001"),
        ([((3,), "003")], "timestamp", "20261127103000"),
        ([((3,), "003")], "sequential", "004"),
        ([((20261127103000,), "20261127103000")], "timestamp", "20261127103001"),
        ([((20261127103059,), "20261127103059")], "timestamp", "20261127103100"),
        ([((20261127103000, 2), "20261127103000.2")], "timestamp", "20261127103001"),
        ([((99999999999999999,), "99999999999999999")], "timestamp", "100000000000000000"),
        ([((20261127,), "20261127")], "sequential", "20261128"),  # a date-numbered folder
    ],
)
def test_next_version(existing, numbering, expected):
    assert next_version(existing, numbering=numbering, now=NOW) == expected


# -- per-dialect variants carry the migration's name ---------------------------------------------
def test_variants_named_unlike_their_migration_are_reported(migrations):
    write(
        migrations,
        {
            "005_add_y.sql": "SELECT 1;",
            "005_add_x.postgres.sql": "SELECT 1;",
            "005_add_y.sqlite.sql": "SELECT 1;",
            "006_a.mysql.sql": "SELECT 1;",
            "006_b.sqlite.sql": "SELECT 1;",
            "007_c.up.sql": "SELECT 1;",
            "007_c.postgres.up.sql": "SELECT 1;",
            "007_c.down.sql": "SELECT 1;",
        },
    )
    for dialect in (None, "postgresql", "sqlite"):
        with pytest.raises(InvalidMigrations) as error:
            discover(migrations, dialect=dialect)
        problems = [line.replace(f"{migrations}/", "") for line in error.value.details]
        assert problems == [
            "005_add_x.postgres.sql: a postgres variant of version 5 is named 'add_x', but "
            "005_add_y.sql names it 'add_y': variants of one migration share its name; "
            "rename one of them",
            "006_b.sqlite.sql: a sqlite variant of version 6 is named 'b', but "
            "006_a.mysql.sql names it 'a': variants of one migration share its name; "
            "rename one of them",
        ], dialect


def test_variant_name_problems_stop_up_before_anything_runs(tmp_path, backend: Backend):
    (tmp_path / "migrations").mkdir()
    folder = write(
        tmp_path / "migrations",
        {"001_users.sql": "CREATE TABLE users (id INT);", "001_people.sqlite.sql": "x"},
    )
    result = run_rung(tmp_path, "up", "-d", backend.url.text)
    assert result.code == 5
    assert re.search(r"001_people\.sqlite\.sql: a sqlite variant .* 001_users\.sql", result.err)
    assert "users" not in backend.tables()
    assert names(folder) == ["001_people.sqlite.sql", "001_users.sql"]


def test_new_still_refuses_an_unusable_description(migrations):
    with pytest.raises(ConfigError, match="cannot name a migration"):
        new(migrations, "flyway", "!!!")


def test_rebase_in_a_numbered_folder_takes_the_next_number(tmp_path):
    """Two branches each added 004 with `rung new --sequential`: name yours by its file."""
    (tmp_path / "migrations").mkdir()
    folder = write(
        tmp_path / "migrations",
        {"001_a.sql": "x", "004_likes.sql": "x", "004_tags.up.sql": "x", "004_tags.down.sql": "y"},
    )
    document = rebase(tmp_path, "migrations/004_tags.up.sql")
    assert (document["old_version"], document["new_version"]) == ("004", "005")
    assert names(folder) == [
        "001_a.sql",
        "004_likes.sql",
        "005_tags.down.sql",
        "005_tags.up.sql",
        "rung.sum",
    ]
