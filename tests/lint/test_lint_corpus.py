"""Linting a real project's migrations (Authelia's, for three databases) never crashes and
finds only what a reviewer would agree with."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import corpus
from rung.lint import Finding, lint, load_files

DIALECTS = {"postgres": "postgresql", "mysql": "mysql", "sqlite": "sqlite"}
# What each dialect's run may report: Authelia rebuilds tables, drops old ones, uses serial
# and char(n) columns, and creates indexes and foreign keys on existing tables.
PLAUSIBLE = {
    "postgres": {
        "add-constraint-without-not-valid",
        "backfill-with-schema-change",
        "change-column-type",
        "char-column",
        "create-index-without-concurrently",
        "drop-index-without-concurrently",
        "drop-table",
        "missing-lock-timeout",
        "rename-column",
        "rename-table",
        "serial-column",
    },
    "mysql": {
        "add-index-without-online-ddl",
        "alter-column-copies-table",
        "change-column-type",
        "drop-table",
        "rename-column",
        "rename-table",
        "unparseable-statement",
    },
    "sqlite": {"char-column", "drop-table", "rename-column", "rename-table"},
}


def run(folder: str) -> tuple[list[Path], list[Finding]]:
    files = sorted(corpus("authelia", folder).glob("*.sql"))
    return files, lint(load_files(files), dialect=DIALECTS[folder])


@pytest.mark.parametrize("folder", sorted(DIALECTS))
def test_every_file_lints_and_every_finding_is_plausible(folder):
    files, findings = run(folder)
    assert len(load_files(files)) == 26  # the down files stand for their migrations
    assert {f.rule for f in findings} <= PLAUSIBLE[folder]
    for finding in findings:  # positions point into the up file, at the statement or a name
        lines = Path(finding.path).read_text(encoding="utf-8").splitlines()
        assert finding.path.endswith(".up.sql")
        text = lines[finding.line - 1]
        assert text[finding.column - 1].isalnum() or text[finding.column - 1] in "_(`\"'"


@pytest.mark.parametrize("folder", sorted(DIALECTS))
def test_the_only_errors_are_tables_dropped_with_their_data(folder):
    _, findings = run(folder)
    errors = Counter((Path(f.path).name, f.rule) for f in findings if f.severity == "error")
    assert errors == {
        ("V0006.ConsentPreConfiguration.up.sql", "drop-table"): 5,
        ("V0007.ConsistencyFixes.up.sql", "drop-table"): 13,
    }
    dropped = {f.message.split()[2] for f in findings if f.rule == "drop-table"}
    # V0006 copies oauth2_consent_session into the new preconfiguration table first.
    assert "oauth2_consent_session" not in dropped


def test_a_table_moved_aside_and_rebuilt_in_one_transaction_is_no_rename():
    _, findings = run("postgres")
    renames = [(Path(f.path).name, f.message) for f in findings if f.rule == "rename-table"]
    # V0002 rebuilds totp_configurations under its own name, but u2f_devices becomes
    # webauthn_devices: only that one disappears for the running code.
    assert [(name, message.split()[2]) for name, message in renames] == [
        ("V0002.WebAuthn.up.sql", "u2f_devices")
    ]


def test_mysql_stored_procedures_are_reported_unparsed_not_crashed_on():
    _, findings = run("mysql")
    unparsed = [(Path(f.path).name, f.line) for f in findings if f.rule == "unparseable-statement"]
    assert unparsed == [("V0007.ConsistencyFixes.up.sql", 4), ("V0007.ConsistencyFixes.up.sql", 21)]


def test_missing_lock_timeout_is_reported_once_per_migration_at_most():
    _, findings = run("postgres")
    per_file = Counter(Path(f.path).name for f in findings if f.rule == "missing-lock-timeout")
    assert per_file and set(per_file.values()) == {1}
