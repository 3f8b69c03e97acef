"""Whatever the text, linting reports findings (or that the file is not a valid migration):
it never crashes. Statements are built from SQL words so that they reach the parser."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rung.errors import InvalidMigrations
from rung.lint import RULES, lint, load_files
from rung.lint.model import DIALECTS

_VOCABULARY = (
    "ALTER TABLE ADD DROP COLUMN CONSTRAINT INDEX CONCURRENTLY CREATE UNIQUE ON USING "
    "PRIMARY KEY FOREIGN REFERENCES CHECK NOT NULL VALID DEFAULT RENAME TO TYPE SET "
    "UPDATE DELETE FROM WHERE INSERT INTO SELECT VALUES TRUNCATE SCHEMA CASCADE VACUUM FULL "
    "CLUSTER MODIFY CHANGE AFTER FIRST ALGORITHM=INPLACE LOCK=NONE serial timestamp char(3) "
    "int text uuid now() gen_random_uuid() lock_timeout BEGIN COMMIT users t a b ( ) , ; = "
    "'x' 1 -- \n"
)
WORDS = _VOCABULARY.split(" ")
SQL = st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)


@pytest.mark.parametrize("dialect", DIALECTS)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sql=st.one_of(SQL, st.text(max_size=200)))
def test_linting_any_text_never_crashes(tmp_path: Path, dialect: str, sql: str):
    path = tmp_path / "001_any.sql"
    path.write_text(sql, encoding="utf-8")
    try:
        findings = lint(load_files([path]), dialect=dialect)
    except InvalidMigrations:  # an unterminated quote or comment, an unknown directive
        return
    for finding in findings:
        assert finding.line >= 1 and finding.column >= 1
        assert finding.message and finding.hint
        assert "a bug in rung" not in finding.message, finding


def test_a_rule_that_fails_is_reported_and_the_others_still_run(tmp_path, monkeypatch):
    def broken(ctx: object) -> list[object]:
        raise AttributeError("'bool' object has no attribute 'name'")

    monkeypatch.setitem(RULES, "drop-table", replace(RULES["drop-table"], check=broken))
    path = tmp_path / "001_x.sql"
    path.write_text("DROP TABLE t;\nDELETE FROM t;\n", encoding="utf-8")
    found = lint(load_files([path]), dialect="sqlite")
    assert sorted((f.line, f.rule) for f in found) == [
        (1, "destructive-without-down"),
        (1, "drop-table"),
        (2, "delete-without-where"),
        (2, "drop-table"),
    ]
    failures = [f for f in found if f.rule == "drop-table"]
    assert all("AttributeError" in f.message and "a bug in rung" in f.message for f in failures)
