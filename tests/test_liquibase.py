"""Liquibase formatted SQL changelogs: one file per migration, its changesets in order as the
up and their rollbacks in reverse order as the down."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import FIXTURES, Backend, run_rung, write
from rung import Migrator
from rung.config import Settings
from rung.errors import InvalidMigrations, MigrationFailed, RequestRefused
from rung.source import discover
from rung.source.adapters import layout_for, liquibase
from rung.source.adapters.base import NewMigration

CHANGELOG = FIXTURES / "source" / "liquibase" / "changelog"
HEADER = "--liquibase formatted sql\n\n"


def found(folder: Path) -> list:
    return discover(folder, parse=True, layout=layout_for("liquibase"))


def one(migrations: Path, text: str, name: str = "001-x.sql"):
    write(migrations, {name: text})
    (migration,) = found(migrations)
    return migration


def statements(script, flavour: str = "postgresql") -> list[tuple[int, str]]:
    return [(s.line, s.text) for s in script.statements(flavour)]


def problems(migrations: Path, files: dict[str, str]) -> list[str]:
    write(migrations, files)
    with pytest.raises(InvalidMigrations) as error:
        found(migrations)
    return [line.replace(str(migrations) + "/", "") for line in error.value.details]


def migrator(backend: Backend, folder: Path) -> Migrator:
    return Migrator(
        settings=Settings(database=backend.url.text, directory=folder, format="liquibase")
    )


# -- reading the fixture ----------------------------------------------------------------------
def test_each_changelog_is_a_migration_versioned_by_its_number():
    result = found(CHANGELOG)  # db.changelog-master.xml is not read
    assert [m.version for m in result] == [(1,), (2,), (3,)]
    assert [m.label for m in result] == ["001-create-users", "002-create-posts", "003-seed-roles"]
    assert [m.version_text for m in result] == ["001", "002", "003"]
    assert [m.name for m in result] == ["create-users", "create-posts", "seed-roles"]


def test_up_is_the_changesets_in_order_with_the_files_lines():
    users, posts, _ = found(CHANGELOG)
    assert statements(users.up) == [
        (
            5,
            "CREATE TABLE users (\n    id INTEGER PRIMARY KEY,\n    email VARCHAR(191) NOT NULL,"
            "\n    name VARCHAR(100)\n)",
        ),
        (10, "CREATE UNIQUE INDEX users_email ON users (email)"),  # no `;`: the changeset ends
    ]
    assert [line for line, _ in statements(posts.up)] == [4, 13, 14, 18]


def test_down_is_the_rollbacks_in_reverse_changeset_order():
    users, posts, roles = found(CHANGELOG)
    assert statements(users.down) == [(11, "DROP TABLE users")]
    # comments (block rollback), index-posts (`not required`: nothing), then posts
    assert statements(posts.down) == [(25, "DROP TABLE comments"), (10, "DROP TABLE posts")]
    assert statements(roles.down) == [
        (17, "DELETE FROM roles WHERE id IN (3, 4)"),
        (9, "DELETE FROM roles WHERE id IN (1, 2)"),
        (5, "DROP TABLE roles"),
    ]


def test_run_in_transaction_false_makes_the_file_run_outside_a_transaction():
    users, posts, roles = found(CHANGELOG)
    assert users.transactional and roles.transactional
    assert not posts.transactional and not posts.down.transactional


def test_split_statements_false_end_delimiter_and_ignore():
    roles = found(CHANGELOG)[2]
    assert statements(roles.up) == [
        (4, "CREATE TABLE roles (id INTEGER PRIMARY KEY, label VARCHAR(50) NOT NULL)"),
        (8, "INSERT INTO roles (id, label) VALUES (1, 'admin'), (2, 'editor')"),
        (12, "INSERT INTO roles (id, label)\nVALUES (3, 'viewer')"),
        (15, "INSERT INTO roles (id, label) VALUES (4, 'guest')"),
    ]  # the ignore:true changeset is left out, as Liquibase leaves it


def test_changesets_keep_liquibases_identity():
    _, posts, roles = found(CHANGELOG)
    assert [(c.author, c.id, c.file_name, c.line) for c in liquibase.changesets(posts)] == [
        ("alice", "create-posts", "002-create-posts.sql", 3),
        ("bob", "index-posts", "002-create-posts.sql", 12),
        ("bob", "create-comments", "002-create-posts.sql", 17),
    ]
    assert [c.id for c in liquibase.changesets(roles)] == ["roles", "seed-roles", "seed-more"]


def test_logical_file_path_and_quoted_author(migrations):
    text = (
        "--liquibase formatted sql logicalFilePath:db/init.sql\n"
        '--changeset "Ann Lee":1\nSELECT 1;\n'
        "--changeset bob:2 logicalFilePath:other.sql\nSELECT 2;\n"
    )
    migration = one(migrations, text)
    assert [(c.author, c.id, c.file_name) for c in liquibase.changesets(migration)] == [
        ("Ann Lee", "1", "db/init.sql"),
        ("bob", "2", "other.sql"),
    ]


# -- rollbacks --------------------------------------------------------------------------------
def test_a_changeset_without_rollback_leaves_the_file_without_down(migrations):
    text = HEADER + "--changeset a:1\nCREATE TABLE a (id INT);\n--rollback DROP TABLE a;\n"
    text += "--changeset a:2\nINSERT INTO a VALUES (1);\n"
    migration = one(migrations, text)
    assert migration.down is None and not migration.has_down


@pytest.mark.parametrize("word", ["empty", "not required", "NOT REQUIRED: data only", "Empty"])
def test_empty_and_not_required_rollbacks_are_a_down_that_does_nothing(migrations, word):
    text = HEADER + f"--changeset a:1\nINSERT INTO a VALUES (1);\n--rollback {word}\n"
    migration = one(migrations, text)
    assert migration.has_down and statements(migration.down) == []


def test_multi_line_rollbacks_keep_their_lines(migrations):
    text = HEADER + (
        "--changeset a:1\nCREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n"
        "--rollback DROP TABLE b;\n--rollback DROP TABLE a;\n"
        "--changeset a:2\nCREATE TABLE c (id INT);\n"
        "/* liquibase rollback\nDROP TABLE\n  c;\n*/\n"
    )
    migration = one(migrations, text)
    assert statements(migration.down) == [
        (11, "DROP TABLE\n  c"),
        (6, "DROP TABLE b"),
        (7, "DROP TABLE a"),
    ]


def test_rollback_by_an_earlier_changeset_runs_its_sql(migrations):
    text = HEADER + (
        "--changeset a:create\nCREATE TABLE t (id INT);\n--rollback DROP TABLE t;\n"
        "--changeset a:drop\nDROP TABLE t;\n--rollback changesetId:create changesetAuthor:a\n"
    )
    migration = one(migrations, text)
    assert statements(migration.down) == [(4, "CREATE TABLE t (id INT)"), (5, "DROP TABLE t")]


def test_end_delimiter_on_its_own_line_and_rollback_delimiter(migrations):
    text = HEADER + (
        "--changeset a:1 endDelimiter:\\n/ rollbackEndDelimiter://\n"
        "SELECT 1;\nSELECT 2\n/\nSELECT 3\n"
        "--rollback SELECT 4 //\n--rollback SELECT 5;//\n"
    )
    migration = one(migrations, text)
    assert statements(migration.up) == [(4, "SELECT 1;\nSELECT 2"), (7, "SELECT 3")]
    assert statements(migration.down) == [(8, "SELECT 4"), (9, "SELECT 5;")]


def test_ignore_lines(migrations):
    text = HEADER + (
        "--changeset a:1\nSELECT 1;\n--ignoreLines:start\nSELECT 'skipped';\n"
        "--ignoreLines:end\n--ignoreLines:1\nSELECT 'skipped too';\nSELECT 2;\n"
    )
    migration = one(migrations, text)
    assert statements(migration.up) == [(4, "SELECT 1"), (10, "SELECT 2")]


def test_liquibase_comment_lines_are_not_sent_to_mysql(migrations):
    text = HEADER + "--changeset a:1\n--comment: why\n--validCheckSum: ANY\nSELECT 1;\n"
    migration = one(migrations, text)
    assert statements(migration.up, "mysql") == [(6, "SELECT 1")]


# -- problems, each with its file and line ----------------------------------------------------
def test_malformed_changelogs_are_reported_with_file_and_line(migrations):
    assert problems(
        migrations,
        {
            "001-no-header.sql": "--changeset a:1\nSELECT 1;\n",
            "002-headers.sql": HEADER
            + "--changeset alice\nSELECT 1;\n"
            + "--changeset alice runInTransaction:false\nSELECT 1;\n"
            + "--changeset a:1\nSELECT 1;\n--changeset a:1\nSELECT 2;\n"
            + "--changeset b:1\nSELECT 3;\n",
            "003-unsupported.sql": HEADER
            + "--changeset a:1 context:dev labels:x dbms:postgresql\nSELECT 1;\n"
            + "--changeset a:2 runOnChange:true colour:red splitStatements:maybe\nSELECT 1;\n"
            + "--changeset a:3\n--preconditions onFail:MARK_RAN\n"
            + "--precondition-sql-check expectedResult:0 SELECT COUNT(*) FROM t\nSELECT 1;\n",
            "004-rollbacks.sql": HEADER
            + "--changeset a:1\nSELECT 1;\n--rollback\n"
            + "--changeset a:2\nSELECT 1;\n--rollback changesetId:9 changesetAuthor:a\n"
            + "--changeset a:3\nSELECT 1;\n/* liquibase rollback\nSELECT 2;\n",
            "005-outside.sql": HEADER
            + "CREATE TABLE lost (id INT);\n--property name:x value:y\n"
            + "--changeset a:1\n-- only a comment\n",
            "006-empty.sql": "\n\n",
            "notes.sql": "SELECT 1;\n",
        },
    ) == [
        "notes.sql: not a valid liquibase migration file name",  # names are read first
        "001-no-header.sql:1: not Liquibase formatted SQL: "
        "the file must start with `--liquibase formatted sql`",
        "002-headers.sql:3: `--changeset` needs author:id, e.g. `--changeset alice:1` "
        "(quote an author with spaces)",
        "002-headers.sql:5: `--changeset` needs author:id, e.g. `--changeset alice:1` "
        "(quote an author with spaces)",
        "002-headers.sql:9: changeset a:1 is defined twice in this file (first at line 7)",
        "003-unsupported.sql:3: `context:` is not supported: "
        "rung runs every changeset, whatever the context",
        "003-unsupported.sql:3: `labels:` is not supported: "
        "rung runs every changeset, whatever its labels",
        "003-unsupported.sql:3: `dbms:` is not supported: "
        "keep per-database SQL in variant files (001-init.postgresql.sql) instead",
        "003-unsupported.sql:5: `runOnChange:true` is not supported: "
        "rung runs a changeset once; keep SQL to re-run in a repeatable migration",
        "003-unsupported.sql:5: unknown changeset attribute `colour:`",
        "003-unsupported.sql:5: `splitStatements:maybe`: write true or false",
        "003-unsupported.sql:8: Liquibase preconditions are not supported: "
        "rung runs every changeset; check the condition in SQL, or remove it",
        "003-unsupported.sql:9: Liquibase preconditions are not supported: "
        "rung runs every changeset; check the condition in SQL, or remove it",
        "004-rollbacks.sql:5: `--rollback` without SQL "
        "(write `--rollback empty` when the changeset needs none)",
        "004-rollbacks.sql:8: rolls back with changeset a:9, which is not earlier in this file "
        "(changesetId:<id> changesetAuthor:<author>)",
        "004-rollbacks.sql:11: `/* liquibase rollback` is not closed by `*/`",
        "005-outside.sql:4: `--property` (changelog parameters) is not supported; "
        "write the value into the SQL",
        "005-outside.sql:5: changeset a:1 has no SQL",
        "005-outside.sql:3: SQL before the first `--changeset`, which Liquibase does not run; "
        "move it into a changeset",
        "006-empty.sql: empty file: a Liquibase changelog starts with `--liquibase formatted sql`",
    ]


def test_a_bad_file_name_gives_the_naming_hint(migrations):
    write(migrations, {"changelog.sql": HEADER + "--changeset a:1\nSELECT 1;\n"})
    with pytest.raises(InvalidMigrations) as error:
        found(migrations)
    assert "<number>-<name>.sql" in (error.value.hint or "")


# -- on every database ------------------------------------------------------------------------
def test_changelogs_apply_roll_back_and_apply_again(backend, tmp_path):
    folder = tmp_path / "changelog"
    shutil.copytree(CHANGELOG, folder)
    m = migrator(backend, folder)
    assert [s.migration.label for s in m.up().steps] == [
        "001-create-users",
        "002-create-posts",
        "003-seed-roles",
    ]
    assert {"users", "posts", "comments", "roles"} <= backend.tables()
    assert backend.query("SELECT id, label FROM roles ORDER BY id") == [
        (1, "admin"),
        (2, "editor"),
        (3, "viewer"),
        (4, "guest"),
    ]
    assert len(m.down(everything=True).steps) == 3
    assert backend.tables() == {"rung_history"}
    assert len(m.up().steps) == 3
    assert {"users", "posts", "comments", "roles"} <= backend.tables()


def test_failing_rollback_names_the_changelog_line(backend, migrations):
    text = HEADER + (
        "--changeset a:1\nCREATE TABLE t1 (id INTEGER);\n--rollback DROP TABLE t1;\n"
        "--changeset a:2\nCREATE TABLE t2 (id INTEGER);\n--rollback DROP TABLE no_such_table;\n"
    )
    write(migrations, {"001-tables.sql": text})
    m = migrator(backend, migrations)
    m.up()
    with pytest.raises(MigrationFailed) as failure:
        m.down()
    assert failure.value.message.startswith(f"{migrations / '001-tables.sql'}:8: ")
    assert {"t1", "t2"} <= backend.tables()


def test_a_changelog_without_rollbacks_cannot_go_down(backend, migrations):
    write(migrations, {"001-t.sql": HEADER + "--changeset a:1\nCREATE TABLE t (id INTEGER);\n"})
    m = migrator(backend, migrations)
    m.up()
    with pytest.raises(RequestRefused, match="001-t: it has no down"):
        m.down()
    assert "t" in backend.tables()


def test_status_shows_the_changelogs_numbers(backend, tmp_path):
    shutil.copytree(CHANGELOG, tmp_path / "changelog")
    (tmp_path / "rung.toml").write_text(
        f'database = "{backend.url.text}"\ndirectory = "changelog"\nformat = "liquibase"\n',
        encoding="utf-8",
    )
    assert run_rung(tmp_path, "up", "--to", "2").code == 0
    status = run_rung(tmp_path, "status")
    assert status.code == 0, status.text
    assert "001" in status.out and "create-posts" in status.out
    rows = run_rung(tmp_path, "status", "--json").json()["migrations"]
    assert [(r["version"], r["state"]) for r in rows] == [
        ("001", "applied"),
        ("002", "applied"),
        ("003", "pending"),
    ]


# -- `rung new` -------------------------------------------------------------------------------
def test_new_changelog_follows_the_folders_separator():
    files = liquibase.LAYOUT.new_files(NewMigration("004", "add_tags", description="add tags"))
    ((name, text),) = files.items()
    assert name == "004-add-tags.sql"
    assert text.startswith("--liquibase formatted sql\n\n--changeset ")
    assert ":1\n--comment: add tags\n" in text
    underscore = liquibase.LAYOUT.new_files(
        NewMigration("004", "add_tags", examples=["001_init.sql"])
    )
    assert list(underscore) == ["004_add_tags.sql"]


def test_statements_are_cut_from_the_scripts_text_so_substitutions_run(migrations):
    text = HEADER + (
        "--changeset a:1 splitStatements:false\nCREATE TABLE ${t} (id INT);\n"
        "--rollback DROP TABLE ${t};\n"
        "--changeset a:2\nCREATE INDEX i ON ${t} (id)\n--rollback empty\n"
    )
    migration = one(migrations, text)
    up = replace(migration.up, text=migration.up.text.replace("${t}", "things"))
    assert statements(up) == [
        (4, "CREATE TABLE things (id INT)"),
        (7, "CREATE INDEX i ON things (id)"),
    ]
    down = replace(migration.down, text=migration.down.text.replace("${t}", "things"))
    assert statements(down) == [(5, "DROP TABLE things")]


def test_a_malformed_changelog_stops_rung_up_before_anything_runs(backend, tmp_path):
    folder = tmp_path / "changelog"
    folder.mkdir()
    write(
        folder,
        {
            "001-ok.sql": HEADER + "--changeset a:1\nCREATE TABLE ok (id INTEGER);\n",
            "002-bad.sql": HEADER + "--changeset a:1 context:dev\nCREATE TABLE bad (id INTEGER);\n",
        },
    )
    (tmp_path / "rung.toml").write_text(
        f'database = "{backend.url.text}"\ndirectory = "changelog"\nformat = "liquibase"\n',
        encoding="utf-8",
    )
    result = run_rung(tmp_path, "up")
    assert result.code == 5, result.text
    assert f"{folder / '002-bad.sql'}:3: `context:` is not supported" in result.err
    assert "ok" not in backend.tables() and "bad" not in backend.tables()
