"""Every rule has an `err` case that triggers it and an `ok` case that does not, and the
rendered text of each is a snapshot.

Cases live in tests/fixtures/lint/<rule-id>/<err|ok>[-label].<dialect>.sql, next to the
expected output (.txt) and, when the case needs settings, a config file (.toml) with a
[lint] table. RUNG_UPDATE_SNAPSHOTS=1 rewrites the .txt files; review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import FIXTURES
from rung.config import load_settings
from rung.lint import RULES, lint, load_files
from rung.report.lint import text

CASES = FIXTURES / "lint"
SQL_FILES = sorted(CASES.glob("*/*.sql"))
UPDATE = os.environ.get("RUNG_UPDATE_SNAPSHOTS") == "1"


def render(sql: Path) -> tuple[str, set[str]]:
    """The text output of linting one case file, run from its folder, and the rule ids found."""
    dialect = sql.name.split(".")[-2]
    config = sql.with_suffix(".toml")
    settings = load_settings(
        cwd=sql.parent, environ={}, config_file=config if config.exists() else None
    )
    findings = lint(load_files([Path(sql.name)]), dialect=dialect, settings=settings.lint)
    return text(findings, migrations=1, dialect=dialect), {f.rule for f in findings}


def test_every_rule_has_an_err_and_an_ok_case():
    for rule_id in RULES:
        names = [p.name for p in (CASES / rule_id).glob("*.sql")]
        assert any(n.startswith("err") for n in names), f"{rule_id}: no err case"
        assert any(n.startswith("ok") for n in names), f"{rule_id}: no ok case"
    assert {p.parent.name for p in SQL_FILES} == set(RULES)


@pytest.mark.parametrize("sql", SQL_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case_output_matches_its_snapshot(sql: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(sql.parent)
    rendered, found = render(sql)
    snapshot = sql.with_suffix(".txt")
    if UPDATE:
        snapshot.write_text(rendered + "\n", encoding="utf-8")
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run with RUNG_UPDATE_SNAPSHOTS=1"
    assert rendered == snapshot.read_text(encoding="utf-8").removesuffix("\n")
    rule_id = sql.parent.name
    if sql.name.startswith("err"):
        assert rule_id in found, f"{sql.name} should trigger {rule_id}"
    else:
        assert rule_id not in found, f"{sql.name} should not trigger {rule_id}"
