"""rung.source.adapters: other tools' layouts (Flyway, golang-migrate, dbmate, a file-name
pattern), the `format` / `pattern` settings, and per-dialect variants of one migration."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import corpus, write
from rung import Migrator
from rung.config import Settings, load_settings
from rung.errors import ConfigError, InvalidMigrations
from rung.model import Migration
from rung.source import discover, integrity
from rung.source.adapters import layout_for
from rung.source.variants import choose, split_tag

AUTHELIA = r"^V(?P<version>\d+)\.(?P<name>\w+)\.(?P<direction>up|down)\.sql$"


def found(folder: Path, format: str | None = None, pattern: str | None = None, **kw):
    return discover(folder, parse=True, layout=layout_for(format, pattern), **kw)


def problems(folder: Path, format: str | None = None, pattern: str | None = None) -> list[str]:
    with pytest.raises(InvalidMigrations) as error:
        found(folder, format, pattern)
    return [line.replace(str(folder) + "/", "") for line in error.value.details]


def settings(folder: Path, **kw) -> Settings:
    return Settings(directory=folder, **kw)


# -- config ---------------------------------------------------------------------------------
def config(tmp_path: Path, text: str) -> Settings:
    (tmp_path / "rung.toml").write_text(text, encoding="utf-8")
    return load_settings(cwd=tmp_path, environ={})


def test_format_and_pattern_are_read_from_rung_toml(tmp_path):
    assert config(tmp_path, 'format = "flyway"\n').format == "flyway"
    loaded = config(tmp_path, f"pattern = '{AUTHELIA}'\n")
    assert loaded.pattern == AUTHELIA and loaded.format is None
    assert layout_for(loaded.format, loaded.pattern).format == "pattern"  # pattern alone


def test_format_is_read_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.rung]\nformat = "dbmate"\n')
    assert load_settings(cwd=tmp_path, environ={}).format == "dbmate"


@pytest.mark.parametrize(
    "text, message",
    [
        ('format = "sqitch"\n', "unknown migration format 'sqitch'"),
        ("format = 3\n", "`format` must be a string"),
        ("pattern = '^(?P<version>\\d+'\n", "is not a regular expression"),
        ("pattern = '^(?P<name>\\w+)\\.sql$'\n", "has no `version` group"),
        ("pattern = '^(?P<version>\\d+)_(?P<what>\\w+)\\.sql$'\n", "unknown group(s) what"),
        ('format = "pattern"\n', 'format = "pattern" needs a `pattern`'),
        ("format = \"flyway\"\npattern = '^(?P<version>\\d+)'\n", "only read with format"),
    ],
)
def test_bad_layout_settings_are_clear_errors(tmp_path, text, message):
    with pytest.raises(ConfigError) as error:
        config(tmp_path, text)
    assert message in error.value.message
    assert str(tmp_path / "rung.toml") in error.value.message


def test_format_pattern_with_a_pattern_is_accepted(tmp_path):
    loaded = config(tmp_path, f"format = \"pattern\"\npattern = '{AUTHELIA}'\n")
    assert layout_for(loaded.format, loaded.pattern).format == "pattern"


# -- rung (native) --------------------------------------------------------------------------
def test_rung_format_is_the_default_and_reads_as_before(migrations):
    write(migrations, {"001_a.sql": "SELECT 1;", "002_b.up.sql": "x;", "002_b.down.sql": "y;"})
    default = discover(migrations, parse=True)
    explicit = found(migrations, "rung")
    assert default == explicit and all(type(m) is Migration for m in explicit)
    assert [m.version_text for m in explicit] == ["001", "002"]


# -- pattern --------------------------------------------------------------------------------
def test_pattern_reads_home_grown_names(migrations):
    write(
        migrations,
        {
            "V0002.Add_Posts.up.sql": "CREATE TABLE posts (id INT);",
            "V0002.Add_Posts.down.sql": "DROP TABLE posts;",
            "V0010.Later.up.sql": "SELECT 1;",
            "V0001.Initial_Schema.up.sql": "CREATE TABLE users (id INT);",
            "README.md": "not a migration",
        },
    )
    result = found(migrations, pattern=AUTHELIA)
    assert [m.version for m in result] == [(1,), (2,), (10,)]
    assert [m.label for m in result] == ["V0001.Initial_Schema", "V0002.Add_Posts", "V0010.Later"]
    assert [m.version_text for m in result] == ["0001", "0002", "0010"]
    assert [m.name for m in result] == ["Initial_Schema", "Add_Posts", "Later"]
    assert result[1].down is not None and result[1].down.text == "DROP TABLE posts;"
    assert result[0].down is None


def test_pattern_without_direction_keeps_sections(migrations):
    write(migrations, {"m-7-users.sql": "-- rung:up\nCREATE TABLE u (id INT);\n-- rung:down\nx;\n"})
    (migration,) = found(migrations, pattern=r"m-(?P<version>\d+)-(?P<name>\w+)\.sql")
    assert migration.version == (7,) and migration.down.text == "x;\n"
    assert migration.down.first_line == 4


def test_pattern_problems_name_the_files(migrations):
    write(
        migrations,
        {
            "V0001.a.up.sql": "SELECT 1;",
            "0002_other.sql": "SELECT 1;",
            "V0003.b.down.sql": "SELECT 1;",
        },
    )
    assert problems(migrations, pattern=AUTHELIA) == [
        f"0002_other.sql: file name does not match the pattern {AUTHELIA!r}",
        "V0003.b.down.sql: down file without its .up.sql file",
    ]


def test_pattern_with_dotted_versions_orders_numerically(migrations):
    write(migrations, {"v1.10-b.sql": "SELECT 1;", "v1.2-a.sql": "SELECT 1;"})
    result = found(migrations, pattern=r"v(?P<version>[\d.]+)-(?P<name>\w+)\.sql")
    assert [m.version for m in result] == [(1, 2), (1, 10)]


# -- Flyway ---------------------------------------------------------------------------------
def test_flyway_versions_are_tuples_so_1_2_0_comes_before_1_10_0(migrations):
    write(
        migrations,
        {
            "V1_10_0__later.sql": "SELECT 1;",
            "V1_2_0__earlier.sql": "SELECT 1;",
            "V1.3__dotted.sql": "SELECT 1;",
            "V2__plain_name.sql": "SELECT 1;",
        },
    )
    result = found(migrations, "flyway")
    assert [m.version for m in result] == [(1, 2, 0), (1, 3), (1, 10, 0), (2,)]
    assert [m.name for m in result] == ["earlier", "dotted", "later", "plain_name"]
    assert [m.version_text for m in result] == ["1_2_0", "1.3", "1_10_0", "2"]
    assert result[0].label == "V1_2_0__earlier"


def test_flyway_undo_is_the_down(migrations):
    write(
        migrations,
        {
            "V1__users.sql": "CREATE TABLE users (id INT);\n",
            "U1__users.sql": "DROP TABLE users;\n",
            "V2__posts.sql": "CREATE TABLE posts (id INT);\n",
        },
    )
    first, second = found(migrations, "flyway")
    assert first.path.name == "V1__users.sql" and first.down_path.name == "U1__users.sql"
    assert first.down.text == "DROP TABLE users;\n" and first.has_down
    assert not second.has_down and second.up.text == "CREATE TABLE posts (id INT);\n"


def test_flyway_repeatable_and_baseline_files_are_reported_not_ignored(migrations):
    write(
        migrations,
        {
            "V1__users.sql": "SELECT 1;",
            "R__views.sql": "SELECT 1;",
            "B1_20_0__baseline.sql": "SELECT 1;",
            "V__no_version.sql": "SELECT 1;",
            "1_rung_style.sql": "SELECT 1;",
            "U3__undo_alone.sql": "SELECT 1;",
        },
    )
    assert problems(migrations, "flyway") == [
        "1_rung_style.sql: not a valid flyway migration file name",
        "V__no_version.sql: a Flyway V migration needs a version, e.g. V1__x.sql",
        "U3__undo_alone.sql: down file without its .up.sql file",
    ]


# -- golang-migrate -------------------------------------------------------------------------
def test_golang_migrate_pairs_up_and_down(migrations):
    write(
        migrations,
        {
            "1_create_users.up.sql": "CREATE TABLE users (id INT);",
            "1_create_users.down.sql": "DROP TABLE users;",
            "20_add_index.up.sql": "CREATE INDEX i ON users (id);",
            "3_only_up.up.sql": "SELECT 1;",
        },
    )
    result = found(migrations, "golang-migrate")
    assert [m.version for m in result] == [(1,), (3,), (20,)]
    assert [m.name for m in result] == ["create_users", "only_up", "add_index"]
    assert result[0].down.text == "DROP TABLE users;" and not result[1].has_down


def test_golang_migrate_needs_a_direction(migrations):
    write(migrations, {"1_x.up.sql": "SELECT 1;", "2_no_direction.sql": "SELECT 1;"})
    assert problems(migrations, "golang-migrate") == [
        "2_no_direction.sql: not a valid golang-migrate migration file name"
    ]


# -- dbmate ---------------------------------------------------------------------------------
DBMATE = """\
-- a comment before the sections
-- migrate:up
CREATE TABLE users (id INT);

-- migrate:down
DROP TABLE users;
"""


def test_dbmate_sections(migrations):
    write(migrations, {"20260101120000_users.sql": DBMATE})
    (migration,) = found(migrations, "dbmate")
    assert migration.version == (20260101120000,) and migration.name == "users"
    assert migration.up.text == "CREATE TABLE users (id INT);\n\n"
    assert migration.up.first_line == 3 and migration.up.transactional
    assert migration.down.text == "DROP TABLE users;\n" and migration.down.first_line == 6
    assert migration.version_text == "20260101120000"


def test_dbmate_transaction_false(migrations):
    text = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (c);\n"
    text += "-- migrate:down\nDROP INDEX i;\n"
    write(migrations, {"1_index.sql": text})
    (migration,) = found(migrations, "dbmate")
    assert not migration.up.transactional and not migration.transactional
    assert migration.down.transactional


def test_dbmate_without_down_has_none(migrations):
    write(migrations, {"1_x.sql": "-- migrate:up\nSELECT 1;\n"})
    (migration,) = found(migrations, "dbmate")
    assert migration.down is None and not migration.has_down


def test_dbmate_problems(migrations):
    write(
        migrations,
        {
            "1_no_markers.sql": "SELECT 1;\n",
            "2_twice.sql": "-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n",
            "3_reversed.sql": "-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 2;\n",
            "4_option.sql": "-- migrate:up transaction:maybe\nSELECT 1;\n",
            "5_sql_first.sql": "SELECT 0;\n-- migrate:up\nSELECT 1;\n",
        },
    )
    assert problems(migrations, "dbmate") == [
        "1_no_markers.sql: no `-- migrate:up` marker (dbmate files need one)",
        "2_twice.sql:3: second `-- migrate:up` marker",
        "3_reversed.sql: the `-- migrate:down` section comes before `-- migrate:up`",
        "4_option.sql:1: unknown marker option 'transaction:maybe' (known: transaction:false)",
        "5_sql_first.sql:1: SQL before the first `-- rung:up` marker; move it into a section",
    ]


# -- rung.sum follows the layout ------------------------------------------------------------
def test_rung_sum_lists_the_layouts_files_in_version_order(migrations):
    write(
        migrations,
        {"V1_10__b.sql": "SELECT 1;", "V1_2__a.sql": "SELECT 1;", "notes.txt": "x"},
    )
    layout = layout_for("flyway")
    names = [p.name for p in integrity.migration_files(migrations, layout)]
    assert names == ["V1_2__a.sql", "V1_10__b.sql"]
    m = Migrator(settings=settings(migrations, format="flyway"))
    m.hash()
    assert integrity.verify(migrations, layout).ok
    write(migrations, {"V3__c.sql": "SELECT 3;"})
    assert integrity.verify(migrations, layout).added == ("V3__c.sql",)


# -- per-dialect variants -------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, expected",
    [
        ("005_x.postgresql.sql", ("005_x.sql", "postgresql")),
        ("005_x.postgres.up.sql", ("005_x.up.sql", "postgres")),
        ("005_x.sqlite3.down.sql", ("005_x.down.sql", "sqlite3")),
        ("005_x.MariaDB.sql", ("005_x.sql", "mariadb")),
        ("005_x.up.sql", ("005_x.up.sql", None)),
        ("005_x.oracle.sql", ("005_x.oracle.sql", None)),
    ],
)
def test_split_tag(name, expected):
    assert split_tag(name) == expected


VARIANTS = {
    "001_base.sql": "CREATE TABLE t (id INT);",
    "005_x.postgresql.sql": "-- pg",
    "005_x.sqlite.sql": "-- sqlite",
    "005_x.mysql.sql": "-- mysql",
    "005_x.sql": "-- generic",
    "006_y.postgres.up.sql": "-- pg up",
    "006_y.postgres.down.sql": "-- pg down",
    "006_y.up.sql": "-- generic up",
    "007_only_pg.postgres.sql": "-- pg only",
}


@pytest.mark.parametrize(
    "dialect, texts",
    [
        ("postgresql", ["-- pg", "-- pg up", "-- pg only"]),
        ("sqlite", ["-- sqlite", "-- generic up"]),
        ("mysql", ["-- mysql", "-- generic up"]),
        ("mariadb", ["-- mysql", "-- generic up"]),
        ("generic", ["-- generic", "-- generic up"]),
        (None, ["-- generic", "-- generic up", "-- pg only"]),
    ],
)
def test_variant_for_the_database_else_the_generic_file(migrations, dialect, texts):
    write(migrations, VARIANTS)
    result = discover(migrations, parse=True, dialect=dialect)
    assert [m.text for m in result][1:] == texts
    down = {m.version: m.down for m in result}[(6,)]
    assert (down.text if down else None) == ("-- pg down" if dialect == "postgresql" else None)


def test_sqlite3_and_mariadb_spellings(migrations):
    write(migrations, {"1_a.sqlite3.sql": "s", "1_a.mariadb.sql": "m", "1_a.sql": "g"})
    assert [m.text for m in discover(migrations, dialect="sqlite")] == ["s"]
    assert [m.text for m in discover(migrations, dialect="mysql")] == ["m"]
    assert [m.name for m in discover(migrations, dialect="mysql")] == ["a"]


def test_variants_are_all_in_rung_sum(migrations):
    write(migrations, VARIANTS)
    assert len(integrity.migration_files(migrations)) == len(VARIANTS)


def test_choose_keeps_plain_folders_whole():
    layout = layout_for()
    files = [(Path(n), layout.match(n), None) for n in ("1_a.sql", "2_b.sql")]
    assert [p.name for p, _ in choose(files, "sqlite")] == ["1_a.sql", "2_b.sql"]


def test_variants_with_other_formats(migrations):
    write(migrations, {"1_a.sqlite.up.sql": "s", "1_a.up.sql": "g", "1_a.down.sql": "d"})
    (migration,) = found(migrations, "golang-migrate", dialect="sqlite")
    assert migration.text == "s" and migration.down is None  # a variant replaces it whole
    (migration,) = found(migrations, "golang-migrate", dialect="postgresql")
    assert migration.text == "g" and migration.down.text == "d"


# -- end to end, on every database ----------------------------------------------------------
def test_each_format_applies_and_rolls_back(backend, tmp_path):
    folders = {
        "flyway": {
            "V1_2__users.sql": "CREATE TABLE users (id INT);\n",
            "U1_2__users.sql": "DROP TABLE users;\n",
            "V1_10__posts.sql": "CREATE TABLE posts (id INT);\n",
            "U1_10__posts.sql": "DROP TABLE posts;\n",
        },
        "golang-migrate": {
            "1_users.up.sql": "CREATE TABLE users (id INT);\n",
            "1_users.down.sql": "DROP TABLE users;\n",
            "2_posts.up.sql": "CREATE TABLE posts (id INT);\n",
            "2_posts.down.sql": "DROP TABLE posts;\n",
        },
        "dbmate": {
            "1_users.sql": "-- migrate:up\nCREATE TABLE users (id INT);\n"
            "-- migrate:down\nDROP TABLE users;\n",
            "2_posts.sql": "-- migrate:up\nCREATE TABLE posts (id INT);\n"
            "-- migrate:down\nDROP TABLE posts;\n",
        },
    }
    for format, files in folders.items():
        (tmp_path / format).mkdir()
        folder = write(tmp_path / format, files)
        m = Migrator(settings=Settings(database=backend.url.text, directory=folder, format=format))
        assert len(m.up().steps) == 2, format
        assert {"users", "posts"} <= backend.tables()
        assert len(m.down(everything=True).steps) == 2, format
        assert backend.tables() == {"rung_history"}


def test_dialect_variant_is_picked_for_the_connected_database(backend, migrations):
    write(
        migrations,
        {
            "001_t.sql": "CREATE TABLE generic_t (id INT);",
            "001_t.postgresql.sql": "CREATE TABLE pg_t (id INT);",
            "001_t.sqlite.sql": "CREATE TABLE lite_t (id INT);",
            "001_t.mariadb.sql": "CREATE TABLE mariadb_t (id INT);",
        },
    )
    m = Migrator(settings=Settings(database=backend.url.text, directory=migrations))
    m.up()
    expected = {"sqlite": "lite_t", "postgresql": "pg_t", "mariadb": "mariadb_t"}[backend.name]
    assert expected in backend.tables() and "generic_t" not in backend.tables()
    assert m.status().up_to_date


def test_authelia_folder_is_read_in_place_with_one_config_line(tmp_path):
    folder = corpus("authelia", "sqlite")
    (tmp_path / "rung.toml").write_text(f"pattern = '{AUTHELIA}'\ndirectory = '{folder}'\n")
    m = Migrator(settings=load_settings(cwd=tmp_path, environ={}))
    before = sorted(p.name for p in folder.iterdir())
    result = m.migrations()
    assert len(result) == 26 and all(item.has_down for item in result)
    assert [item.version for item in result] == [(n,) for n in range(1, 27)]
    assert m.validate().ok
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written there
