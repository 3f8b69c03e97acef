"""`rung lint FILE` reads a file of the migrations folder as `rung up` does, through the
configured layout; repeatable migrations are linted by `rung lint` and `rung check`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from rung.cli import main
from rung.errors import CheckFailed, InvalidMigrations, LintFailed, UsageError

Run = Callable[..., tuple[int, str, str]]

INDEX_CONCURRENTLY = "CREATE INDEX CONCURRENTLY users_email ON users (email);\n"
DBMATE = """-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY users_email ON users (email);

-- migrate:down
DROP TABLE users;
"""
LIQUIBASE = """--liquibase formatted sql

--changeset alice:drop-email runInTransaction:false
CREATE INDEX CONCURRENTLY users_email ON users (email);
--rollback DROP INDEX users_email;

--changeset alice:archive
DROP TABLE legacy;
--rollback CREATE TABLE legacy AS SELECT * FROM legacy_archive;
"""
VIEWS = """CREATE OR REPLACE VIEW active_users AS SELECT id FROM users WHERE active;
CREATE OR REPLACE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM users
$$;
"""
WIPES = "DROP TABLE cache_entries;\nDELETE FROM sessions;\n"


@pytest.fixture
def rung(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run `rung ARGS...` in tmp_path, with no database URL in the environment."""
    monkeypatch.chdir(tmp_path)
    for name in ("RUNG_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(main, list(args), prog_name="rung", catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def project(tmp_path: Path, format: str, files: dict[str, str]) -> Path:
    """rung.toml choosing the layout, and migrations/ holding `files` (paths in it)."""
    (tmp_path / "rung.toml").write_text(f'format = "{format}"\n', encoding="utf-8")
    folder = tmp_path / "migrations"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def findings(rung: Run, *args: str) -> tuple[int, list[tuple[str, int, str]]]:
    """Exit code, and (file, line, rule) of each finding of `rung lint --format json`."""
    code, out, err = rung("lint", "--dialect", "postgresql", "--format", "json", *args)
    assert code in (0, LintFailed.exit_code), err
    document = json.loads(out)
    return code, sorted((f["path"], f["line"], f["rule"]) for f in document["findings"])


# -- a named file is read as its layout writes it ------------------------------------------
def test_a_dbmate_file_is_read_in_its_sections(rung, tmp_path):
    project(tmp_path, "dbmate", {"20240101000000_index_email.sql": DBMATE})
    # transaction:false on the up marker, and the DROP TABLE is the down, which is not run up
    assert findings(rung, "migrations/20240101000000_index_email.sql") == (0, [])
    # the same file outside the folder is read in rung's own format, as before
    shutil.copy(tmp_path / "migrations/20240101000000_index_email.sql", tmp_path / "loose.sql")
    code, found = findings(rung, "loose.sql")
    assert code == LintFailed.exit_code
    assert ("loose.sql", 2, "cannot-run-in-transaction") in found
    assert ("loose.sql", 5, "drop-table") in found


def test_a_liquibase_changelog_is_read_by_changesets(rung, tmp_path):
    project(tmp_path, "liquibase", {"001-archive.sql": LIQUIBASE})
    # runInTransaction:false, and the rollbacks are the down, which restores `legacy`
    path = "migrations/001-archive.sql"
    assert findings(rung, path) == (0, [(path, 8, "missing-lock-timeout")])
    shutil.copy(tmp_path / "migrations/001-archive.sql", tmp_path / "changelog.sql")
    code, found = findings(rung, "changelog.sql")
    assert code == LintFailed.exit_code
    rules = {rule for _, _, rule in found}
    assert {"cannot-run-in-transaction", "drop-table", "destructive-without-down"} <= rules


def test_a_flyway_file_is_paired_with_its_undo(rung, tmp_path):
    project(
        tmp_path,
        "flyway",
        {
            "V1__users.sql": "CREATE TABLE users (id BIGINT PRIMARY KEY);\n",
            "V2__drop_legacy.sql": "DROP TABLE legacy;\n",
            "U2__drop_legacy.sql": "CREATE TABLE legacy (id BIGINT PRIMARY KEY);\n",
        },
    )
    path = "migrations/V2__drop_legacy.sql"
    expected = (11, [(path, 1, "drop-table"), (path, 1, "missing-lock-timeout")])
    # the U file is the down: the migration has one, so destructive-without-down is quiet
    assert findings(rung, path) == expected
    # naming the undo lints its migration, once when both are named
    assert findings(rung, "migrations/U2__drop_legacy.sql") == expected
    assert findings(rung, path, "migrations/U2__drop_legacy.sql") == expected
    code, out, _ = rung("lint", "--dialect", "postgresql", "migrations/V2__drop_legacy.sql")
    assert "the down does not restore the data" in out


def test_a_diesel_file_reads_its_folder(rung, tmp_path):
    project(
        tmp_path,
        "diesel",
        {
            "2024-01-01-000000_index_email/up.sql": INDEX_CONCURRENTLY,
            "2024-01-01-000000_index_email/down.sql": "DROP INDEX CONCURRENTLY users_email;\n",
            "2024-01-01-000000_index_email/metadata.toml": "run_in_transaction = false\n",
        },
    )
    folder = "migrations/2024-01-01-000000_index_email"
    for named in ("up.sql", "down.sql", "metadata.toml"):
        assert findings(rung, f"{folder}/{named}") == (0, []), named
    # without metadata.toml diesel runs it in a transaction, where CONCURRENTLY fails
    (tmp_path / folder / "metadata.toml").unlink()
    assert findings(rung, f"{folder}/up.sql") == (
        11,
        [(f"{folder}/up.sql", 1, "cannot-run-in-transaction")],
    )


def test_a_prisma_migration_is_up_only(rung, tmp_path):
    project(tmp_path, "prisma", {"20240101000000_drop/migration.sql": "DROP TABLE legacy;\n"})
    path = "migrations/20240101000000_drop/migration.sql"
    rules = [rule for _, _, rule in findings(rung, path)[1]]
    assert rules == ["destructive-without-down", "drop-table", "missing-lock-timeout"]


def test_a_per_dialect_variant_is_paired_with_its_own_down(rung, tmp_path):
    project(
        tmp_path,
        "golang-migrate",
        {
            "000002_drop_legacy.up.sql": "DROP TABLE legacy;\n",
            "000002_drop_legacy.down.sql": "SELECT 1;\n",
            "000002_drop_legacy.postgresql.up.sql": "DROP TABLE legacy;\n",
            "000002_drop_legacy.postgresql.down.sql": (
                "CREATE TABLE legacy AS SELECT * FROM legacy_archive;\n"
            ),
        },
    )
    # the variant's own down restores the data; the generic one's does not
    code, found = findings(rung, "migrations/000002_drop_legacy.postgresql.up.sql")
    assert (code, [rule for _, _, rule in found]) == (0, ["missing-lock-timeout"])
    code, found = findings(rung, "migrations/000002_drop_legacy.up.sql")
    assert (code, [rule for _, _, rule in found]) == (11, ["drop-table", "missing-lock-timeout"])


@pytest.mark.parametrize(
    ("format", "files", "named", "message"),
    [
        ("flyway", {"notes.sql": "SELECT 1;\n"}, "notes.sql", "not a valid flyway"),
        ("prisma", {"stray.sql": "SELECT 1;\n"}, "stray.sql", "not read: a prisma migration"),
        (
            "prisma",
            {"notes/migration.sql": "SELECT 1;\n"},
            "notes/migration.sql",
            "not a Prisma migration folder name",
        ),
        ("dbmate", {"20240101_x.sql": "-- migrate:down\nSELECT 1;\n"}, "20240101_x.sql", "up"),
        ("rung", {"repeatable/v.up.sql": "SELECT 1;\n"}, "repeatable/v.up.sql", "one file"),
    ],
)
def test_a_file_the_layout_cannot_read_is_an_error(rung, tmp_path, format, files, named, message):
    project(tmp_path, format, files)
    code, out, err = rung("lint", "--dialect", "postgresql", f"migrations/{named}")
    assert code == InvalidMigrations.exit_code, out + err
    assert f"migrations/{named.split('/')[0]}" in err and message in err


def test_a_file_of_the_folder_that_is_not_a_migration_must_be_sql(rung, tmp_path):
    project(tmp_path, "prisma", {"20240101000000_x/migration.sql": "SELECT 1;\n"})
    (tmp_path / "migrations/migration_lock.toml").write_text('provider = "postgresql"\n')
    code, _, err = rung("lint", "--dialect", "postgresql", "migrations/migration_lock.toml")
    assert code == UsageError.exit_code and "only .sql files can be linted" in err


# -- repeatable migrations are linted ------------------------------------------------------
@pytest.mark.parametrize(
    ("format", "name"),
    [("rung", "repeatable/housekeeping.sql"), ("flyway", "R__housekeeping.sql")],
)
def test_repeatables_are_linted_without_the_down_rules(rung, tmp_path, format, name):
    project(
        tmp_path,
        format,
        {name: WIPES, "repeatable/views.sql": VIEWS},
    )
    path = f"migrations/{name}"
    wanted = [(path, 1, "drop-table"), (path, 1, "missing-lock-timeout")]
    wanted += [(path, 2, "backfill-with-schema-change"), (path, 2, "delete-without-where")]
    # the folder, and the file by name: destructive-without-down never fires, views are clean
    assert findings(rung) == (11, wanted)
    assert findings(rung, path) == (11, wanted)
    assert findings(rung, "migrations/repeatable/views.sql") == (0, [])
    _, out, _ = rung("lint", "--dialect", "postgresql", path)
    assert "a repeatable migration has no down and runs again when its file changes" in out


def test_an_allow_silences_a_finding_in_a_repeatable(rung, tmp_path):
    project(
        tmp_path,
        "rung",
        {
            "001_users.sql": "CREATE TABLE users (id BIGINT PRIMARY KEY);\n",
            "repeatable/cleanup.sql": "-- rung:allow delete-without-where sessions are "
            "recreated at login\nDELETE FROM sessions;\n",
        },
    )
    assert findings(rung) == (0, [])


def test_check_reports_lint_errors_in_repeatables(rung, tmp_path):
    project(
        tmp_path,
        "rung",
        {
            "001_users.sql": "CREATE TABLE users (id BIGINT PRIMARY KEY);\n",
            "repeatable/views.sql": VIEWS,
        },
    )
    code, out, err = rung("check", "--dialect", "postgresql", "--json")
    assert code == 0, out + err
    (tmp_path / "migrations/repeatable/cleanup.sql").write_text("DELETE FROM sessions;\n")
    code, out, err = rung("check", "--dialect", "postgresql", "--json")
    assert code == CheckFailed.exit_code, out + err
    lint = [p for p in json.loads(out)["problems"] if p["kind"] == "lint"]
    assert [(p["severity"], p["message"].split(": ")[1]) for p in lint] == [
        ("error", "delete-without-where")
    ]
    assert "repeatable/cleanup.sql:1:1" in lint[0]["message"]


def test_the_down_rule_still_fires_for_versioned_migrations(rung, tmp_path):
    """The exemption is the repeatable's: a versioned migration without a down is warned."""
    project(
        tmp_path,
        "rung",
        {"001_drop.sql": "DROP TABLE legacy;\n", "repeatable/drop.sql": "DROP TABLE legacy;\n"},
    )
    code, out, err = rung("lint", "--dialect", "sqlite", "--format", "json")
    found = [(f["path"], f["rule"]) for f in json.loads(out)["findings"]]
    assert (code, found) == (
        LintFailed.exit_code,
        [
            ("migrations/001_drop.sql", "destructive-without-down"),
            ("migrations/001_drop.sql", "drop-table"),
            ("migrations/repeatable/drop.sql", "drop-table"),
        ],
    )
