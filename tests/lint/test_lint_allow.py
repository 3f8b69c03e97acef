"""`-- rung:allow RULE-ID reason` silences the rules it names, for the statement below it only."""

from __future__ import annotations

from pathlib import Path

import pytest

from rung.lint import lint, load_files


def findings(tmp_path: Path, sql: str, dialect: str = "sqlite") -> list[tuple[int, str]]:
    path = tmp_path / "001_case.sql"
    path.write_text(sql, encoding="utf-8")
    return [(f.line, f.rule) for f in lint(load_files([path]), dialect=dialect)]


def test_an_allow_silences_the_named_rule_on_the_statement_below(tmp_path):
    sql = (
        "-- rung:allow delete-without-where the table only holds a cache\n"
        "DELETE FROM cache;\n"
        "DELETE FROM sessions;\n"
    )
    assert findings(tmp_path, sql) == [(3, "delete-without-where")]


def test_an_allow_silences_only_the_rules_it_names(tmp_path):
    sql = "-- rung:allow update-without-where every row needs the new plan\nDELETE FROM sessions;\n"
    assert findings(tmp_path, sql) == [(2, "delete-without-where")]


def test_one_allow_may_name_several_rules_and_sit_above_other_comments(tmp_path):
    sql = (
        "-- rung:allow drop-table,destructive-without-down replaced by the events table\n"
        "-- ticket OPS-12\n"
        "DROP TABLE audit;\n"
    )
    assert findings(tmp_path, sql) == []


def test_several_allow_lines_stack(tmp_path):
    sql = (
        "-- rung:allow drop-table replaced by the events table\n"
        "-- rung:allow destructive-without-down nothing to roll back to\n"
        "DROP TABLE audit;\n"
    )
    assert findings(tmp_path, sql) == []


def test_rule_ids_in_an_allow_are_case_insensitive(tmp_path):
    sql = "-- RUNG:ALLOW Delete-Without-Where cache only\nDELETE FROM cache;\n"
    assert findings(tmp_path, sql) == []


@pytest.mark.parametrize(
    ("allow", "problem"),
    [
        ("-- rung:allow delete-without-where", "gives no reason"),
        ("-- rung:allow", "names no rule"),
        ("-- rung:allow delete-where cache only", "unknown rule 'delete-where'"),
    ],
)
def test_an_invalid_allow_silences_nothing_and_is_a_finding(tmp_path, allow, problem):
    path = tmp_path / "001_case.sql"
    path.write_text(f"{allow}\nDELETE FROM cache;\n", encoding="utf-8")
    found = lint(load_files([path]), dialect="sqlite")
    assert [(f.line, f.column, f.rule, f.severity) for f in found] == [
        (1, 1, "invalid-allow", "error"),
        (2, 1, "delete-without-where", "error"),
    ]
    assert problem in found[0].message


def test_an_allow_separated_by_a_blank_line_is_not_above_the_statement(tmp_path):
    sql = "-- rung:allow delete-without-where cache only\n\nDELETE FROM cache;\n"
    assert findings(tmp_path, sql) == [(1, "invalid-allow"), (3, "delete-without-where")]


def test_an_allow_inside_a_section_applies_in_that_section(tmp_path):
    sql = (
        "-- rung:up\n"
        "  -- rung:allow delete-without-where cache only\n"
        "  DELETE FROM cache;\n"
        "-- rung:down\n"
    )
    assert findings(tmp_path, sql) == []


def test_an_invalid_allow_is_reported_where_it_is(tmp_path):
    sql = "-- rung:up\nSELECT 1;\n    -- rung:allow drop-table\nDROP TABLE t;\n-- rung:down\n"
    path = tmp_path / "001_case.sql"
    path.write_text(sql, encoding="utf-8")
    found = [f for f in lint(load_files([path]), dialect="sqlite") if f.rule == "invalid-allow"]
    assert [(f.line, f.column) for f in found] == [(3, 5)]


def test_migration_wide_findings_are_silenced_above_the_statement_they_point_at(tmp_path):
    sql = (
        "CREATE TABLE plans (id bigint PRIMARY KEY);\n"
        "-- rung:allow missing-lock-timeout the role sets lock_timeout\n"
        "ALTER TABLE users ADD COLUMN plan_id bigint;\n"
    )
    assert findings(tmp_path, sql, "postgresql") == []


def test_the_reason_may_follow_a_tab(tmp_path):
    assert (
        findings(tmp_path, "-- rung:allow\tdelete-without-where\tcache only\nDELETE FROM c;\n")
        == []
    )
