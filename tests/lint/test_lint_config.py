"""The [lint] table of rung.toml ([tool.rung.lint] in pyproject.toml): disable rules, change
severities, name the target server version; mistakes are errors that say where they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from rung.config import LintSettings, load_settings
from rung.errors import ConfigError
from rung.lint import lint, load_files

DROPS = "DROP TABLE audit;\nDELETE FROM sessions;\n"


def setup(tmp_path: Path, config: str, name: str = "rung.toml") -> tuple[LintSettings, Path]:
    (tmp_path / name).write_text(config, encoding="utf-8")
    sql = tmp_path / "001_drop.sql"
    sql.write_text(DROPS, encoding="utf-8")
    return load_settings(cwd=tmp_path, environ={}).lint, sql


def rules(settings: LintSettings, sql: Path, dialect: str = "sqlite") -> list[tuple[str, str]]:
    return [
        (f.rule, f.severity) for f in lint(load_files([sql]), dialect=dialect, settings=settings)
    ]


def test_without_a_lint_table_every_rule_runs_at_its_own_severity(tmp_path):
    settings, sql = setup(tmp_path, 'database = "sqlite:///app.db"\n')
    assert settings == LintSettings()
    assert rules(settings, sql) == [
        ("destructive-without-down", "warning"),
        ("drop-table", "error"),
        ("delete-without-where", "error"),
    ]


def test_disabled_rules_do_not_run(tmp_path):
    settings, sql = setup(
        tmp_path, '[lint]\ndisable = ["drop-table", "destructive-without-down"]\n'
    )
    assert rules(settings, sql) == [("delete-without-where", "error")]


def test_severity_can_be_changed_per_rule(tmp_path):
    settings, sql = setup(
        tmp_path,
        '[lint]\nseverity = { "drop-table" = "warning", "destructive-without-down" = "error" }\n',
    )
    assert rules(settings, sql) == [
        ("destructive-without-down", "error"),
        ("drop-table", "warning"),
        ("delete-without-where", "error"),
    ]


def test_the_lint_table_is_read_from_pyproject_too(tmp_path):
    settings, sql = setup(
        tmp_path,
        '[project]\nname = "app"\n\n[tool.rung.lint]\ndisable = ["drop-table"]\n',
        name="pyproject.toml",
    )
    assert settings.disable == ("drop-table",)
    assert ("drop-table", "error") not in rules(settings, sql)


def test_target_version_switches_version_dependent_rules(tmp_path):
    sql = tmp_path / "001_id.sql"
    sql.write_text("CREATE TABLE tags (id serial PRIMARY KEY);\n", encoding="utf-8")
    for version, expected in (("9.6", []), ("10", ["serial-column"]), (None, ["serial-column"])):
        settings = LintSettings(target_version=version)
        found = lint(load_files([sql]), dialect="postgresql", settings=settings)
        assert [f.rule for f in found] == expected, version


def test_a_number_is_accepted_as_target_version(tmp_path):
    settings, _ = setup(tmp_path, "[lint]\ntarget_version = 15\n")
    assert settings.target_version == "15"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('disabled = ["drop-table"]', r"rung\.toml \[lint\]: unknown setting 'disabled'"),
        ('disable = "drop-table"', r"disable must be a list of rule ids"),
        ('severity = { "drop-table" = "fatal" }', r'severity must map rule ids to "error"'),
        ('target_version = "fifteen"', r"target_version 'fifteen' is not a server version"),
    ],
)
def test_a_malformed_lint_table_is_an_error_naming_the_file(tmp_path, table, message):
    (tmp_path / "rung.toml").write_text(f"[lint]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(cwd=tmp_path, environ={})


@pytest.mark.parametrize(
    "table", ['disable = ["drop-tabel"]', 'severity = { "drop-tabel" = "warning" }']
)
def test_an_unknown_rule_id_is_an_error_when_linting(tmp_path, table):
    settings, sql = setup(tmp_path, f"[lint]\n{table}\n")
    with pytest.raises(ConfigError, match=r"rung\.toml \[lint\]: unknown rule 'drop-tabel'"):
        lint(load_files([sql]), dialect="sqlite", settings=settings)
