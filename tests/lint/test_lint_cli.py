"""`rung lint` through the real command: files or folder, dialect, formats, exit codes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from rung.cli import main
from rung.errors import EXIT_CODES, LintFailed
from rung.lint import RULES

ROOT = Path(__file__).parents[2]
Run = Callable[..., tuple[int, str, str]]

DANGEROUS = """-- rung:up
SET LOCAL lock_timeout = '2s';
ALTER TABLE users ADD COLUMN plan text NOT NULL;
CREATE INDEX users_plan_idx ON users (plan);

-- rung:down
DROP INDEX users_plan_idx;
ALTER TABLE users DROP COLUMN plan;
"""
WARNS = "CREATE TABLE tags (label TEXT NOT NULL);\n"


def write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


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


def test_lints_the_migrations_folder_in_the_dialect_of_the_configured_url(rung, tmp_path):
    (tmp_path / "rung.toml").write_text('database = "postgresql://app@db.invalid:1/app"\n')
    write(tmp_path.joinpath("migrations"), {"001_plan.sql": DANGEROUS, "002_py.py": ""})
    code, out, err = rung("lint")
    assert (code, err) == (LintFailed.exit_code, "")
    assert out == (
        "migrations/001_plan.sql:3:30  add-required-column  error  users.plan is added NOT NULL "
        "without a DEFAULT: the rows already there have no value for it, and inserts by the "
        "running code, which does not know it, fail\n"
        f"    hint: {RULES['add-required-column'].hint}\n"
        "migrations/001_plan.sql:4:1  create-index-without-concurrently  warning  CREATE INDEX "
        "users_plan_idx blocks writes to users until the whole index is built\n"
        f"    hint: {RULES['create-index-without-concurrently'].hint}\n"
        "Found 1 error and 1 warning in 1 migration (postgresql).\n"
    )


def test_warnings_alone_exit_0(rung, tmp_path):
    write(tmp_path, {"tags.sql": WARNS})
    code, out, _ = rung("lint", "--dialect", "sqlite", "tags.sql")
    assert code == 0
    assert out.startswith("tags.sql:1:14  table-without-primary-key  warning  ")


def test_clean_files_say_so_and_quiet_says_nothing(rung, tmp_path):
    write(tmp_path, {"ok.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"})
    assert rung("lint", "--dialect", "sqlite", "ok.sql") == (
        0,
        "No problems found in 1 migration (sqlite).\n",
        "",
    )
    assert rung("lint", "-q", "--dialect", "sqlite", "ok.sql") == (0, "", "")


def test_dialect_flag_beats_the_configured_url(rung, tmp_path):
    (tmp_path / "rung.toml").write_text('database = "sqlite:///app.db"\n')
    write(tmp_path, {"a.sql": "CREATE TABLE t (id serial PRIMARY KEY);\n"})
    assert "serial-column" not in rung("lint", "a.sql")[1]
    assert "serial-column" in rung("lint", "--dialect", "postgresql", "a.sql")[1]


def test_without_dialect_or_url_it_says_how_to_give_one(rung, tmp_path):
    write(tmp_path, {"a.sql": WARNS})
    code, out, err = rung("lint", "a.sql")
    assert code == 3 and out == ""
    assert "rung lint needs to know the SQL dialect" in err and "--dialect" in err


def test_a_url_rung_has_no_rules_for_needs_the_dialect_flag(rung, tmp_path):
    write(tmp_path, {"a.sql": WARNS})
    code, _, err = rung("-d", "mssql+pyodbc://u@h/db", "lint", "a.sql")
    assert code == 3 and "pass --dialect" in err


def test_any_sql_file_can_be_linted_and_a_down_file_stands_for_its_migration(rung, tmp_path):
    write(
        tmp_path,
        {
            "V0002.Drop.up.sql": "DROP TABLE legacy;\n",
            "V0002.Drop.down.sql": "CREATE TABLE legacy (id INTEGER PRIMARY KEY);\n",
        },
    )
    code, out, _ = rung("lint", "--dialect", "sqlite", "V0002.Drop.down.sql", "V0002.Drop.up.sql")
    assert code == LintFailed.exit_code
    assert re.findall(r"^(\S+)  (\S+)", out, re.M) == [("V0002.Drop.up.sql:1:12", "drop-table")]
    assert "the down does not restore the data" in out  # the down was read
    assert out.endswith("in 1 migration (sqlite).\n")


def test_only_sql_files_can_be_named(rung, tmp_path):
    write(tmp_path, {"002_x.py": "def up(conn): pass\n"})
    code, _, err = rung("lint", "--dialect", "sqlite", "002_x.py")
    assert code == 2 and "only .sql files" in err


def test_a_file_that_is_not_a_valid_migration_is_reported_as_such(rung, tmp_path):
    write(tmp_path, {"a.sql": "-- rung:nontransaction\nSELECT 1;\n"})
    code, _, err = rung("lint", "--dialect", "sqlite", "a.sql")
    assert code == 5 and "unknown directive" in err


def test_json_is_one_document(rung, tmp_path):
    write(tmp_path, {"a.sql": DANGEROUS})
    for args in (("--format", "json"), ("--json",)):
        code, out, _ = rung("lint", "--dialect", "postgresql", *args, "a.sql")
        document = json.loads(out)
        assert code == LintFailed.exit_code
        assert {k: document[k] for k in ("dialect", "migrations", "errors", "warnings")} == {
            "dialect": "postgresql",
            "migrations": 1,
            "errors": 1,
            "warnings": 1,
        }
        assert document["findings"][0] == {
            "path": "a.sql",
            "line": 3,
            "column": 30,
            "rule": "add-required-column",
            "severity": "error",
            "message": document["findings"][0]["message"],
            "hint": RULES["add-required-column"].hint,
        }


def test_sarif_is_a_valid_2_1_0_log(rung, tmp_path):
    write(tmp_path.joinpath("db"), {"a.sql": DANGEROUS})
    code, out, _ = rung("lint", "--dialect", "postgresql", "--format", "sarif", "db/a.sql")
    assert code == LintFailed.exit_code
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "rung" and driver["version"]
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(r.id for r in RULES.values() if "postgresql" in r.dialects)
    for described in driver["rules"]:
        assert described["shortDescription"]["text"] and described["help"]["text"]
        assert described["defaultConfiguration"]["level"] in ("error", "warning")
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("add-required-column", "error"),
        ("create-index-without-concurrently", "warning"),
    ]
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "db/a.sql"
        assert set(physical["region"]) == {"startLine", "startColumn"}
        assert all(isinstance(v, int) and v >= 1 for v in physical["region"].values())


def test_linting_never_connects(rung, tmp_path):
    """A server that does not exist is no obstacle: only the URL's dialect is used."""
    write(tmp_path, {"a.sql": WARNS})
    code, out, _ = rung("-d", "mysql://root@127.0.0.1:9/none", "lint", "a.sql")
    assert code == 0 and out.endswith("in 1 migration (mysql).\n")


def test_exit_code_11_is_documented():
    assert EXIT_CODES[11] and LintFailed.exit_code == 11
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^\| 11 \| .*lint", readme, re.M)


def test_the_command_and_its_options_are_in_the_readme_and_its_help(rung):
    readme = (ROOT / "README.md").read_text()
    assert "`rung lint" in readme
    code, out, _ = rung("lint", "--help")
    assert code == 0
    for option in ("--dialect", "--format"):
        assert option in readme and option in out
    assert re.search(r"^\s+11\s+\S", out, re.M)


def test_the_pre_commit_hook_runs_rung_lint_on_sql_files():
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert re.search(r"^- id: rung-lint$", hooks, re.M)
    assert re.search(r"^  entry: rung lint$", hooks, re.M)
    assert re.search(r"^  language: python$", hooks, re.M)
    assert re.search(r"^  types: \[sql\]$", hooks, re.M)
