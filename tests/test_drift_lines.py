"""A changed trigger or function body: `rung drift` and `rung verify` print its changed lines
under the difference, as `rung diff` does, on every backend."""

from __future__ import annotations

from conftest import Backend, run_rung, second_database, write
from rung.drift import DriftReport
from rung.fingerprint import ObjectChange
from rung.report.drift import show_drift, show_verify
from rung.schema.diff import Change
from rung.verify import DOWN_DIFFERS, MigrationCheck, VerifyReport

TABLES = """-- rung:up
CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(100));
CREATE TABLE audit (note VARCHAR(100));
-- rung:down
DROP TABLE audit;
DROP TABLE notes;
"""
# One object with a body per backend (SQLite has triggers only), created with `word` in it,
# and the statement that drops it.
ROUTINE = {
    "sqlite": (
        "CREATE TRIGGER trg_notes AFTER INSERT ON notes\nBEGIN\n"
        "    INSERT INTO audit (note) VALUES ('{word}');\nEND;\n",
        "DROP TRIGGER trg_notes;\n",
    ),
    "postgresql": (
        "CREATE FUNCTION label() RETURNS text LANGUAGE plpgsql AS $$\nBEGIN\n"
        "    RETURN '{word}';\nEND;\n$$;\n",
        "DROP FUNCTION label();\n",
    ),
    "mariadb": (
        "CREATE FUNCTION label() RETURNS VARCHAR(10) DETERMINISTIC\n    RETURN '{word}';\n",
        "DROP FUNCTION label;\n",
    ),
}


def create(backend: Backend, word: str) -> str:
    return ROUTINE[backend.name][0].format(word=word)


def drop(backend: Backend) -> str:
    return ROUTINE[backend.name][1]


def migration(up: str, down: str) -> str:
    return f"-- rung:up\n{up}-- rung:down\n{down}"


def block(out: str, first: str) -> list[str]:
    """The line starting with `first` (after its indentation) and the more-indented lines
    under it."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(first))
    indent = len(lines[start]) - len(lines[start].lstrip())
    under = []
    for line in lines[start + 1 :]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        under.append(line)
    return [lines[start], *under]


def test_drift_prints_a_changed_body_as_diff_does(backend, migrations, tmp_path):
    write(
        migrations,
        {
            "001_tables.sql": TABLES,
            "002_routine.sql": migration(create(backend, "one"), drop(backend)),
        },
    )
    args = ("-d", backend.url.text, "--dir", str(migrations))
    assert run_rung(tmp_path, "up", *args).code == 0
    # by hand: the same object, with another body
    backend.execute(drop(backend).rstrip(";\n"), create(backend, "two").rstrip(";\n"))

    found = run_rung(tmp_path, "drift", *args)

    assert found.code == 13, found.err
    shown = block(found.out, "~ ")
    assert shown[0].endswith(": body changed"), found.out
    removed = [line for line in shown if line.startswith("    -")]
    added = [line for line in shown if line.startswith("    +")]
    assert len(removed) == 1 and "'one'" in removed[0], found.out
    assert len(added) == 1 and "'two'" in added[0], found.out
    with second_database(backend) as expected:
        assert run_rung(tmp_path, "up", "-d", expected, "--dir", str(migrations)).code == 0
        compared = run_rung(tmp_path, "diff", expected, backend.url.text)
    assert compared.code == 0, compared.err
    assert block(compared.out, "~ ") == shown  # one renderer, one format


def test_verify_prints_a_changed_body_under_the_migration(backend, migrations, tmp_path):
    restores_another_body = drop(backend) + create(backend, "three")
    write(
        migrations,
        {
            "001_tables.sql": TABLES,
            "002_routine.sql": migration(create(backend, "one"), drop(backend)),
            "003_reword.sql": migration(
                drop(backend) + create(backend, "two"), restores_another_body
            ),
        },
    )

    failed = run_rung(tmp_path, "verify", "-d", backend.url.text, "--dir", str(migrations))

    assert failed.code == 14, failed.err
    assert "error[verify-failed]: 003_reword:" in failed.err
    shown = block(failed.out, "~ ")
    assert shown[0].startswith("    ~ ") and shown[0].endswith(": body changed"), failed.out
    removed = [line for line in shown if line.startswith("        -")]
    added = [line for line in shown if line.startswith("        +")]
    assert len(removed) == 1 and "'one'" in removed[0], failed.out
    assert len(added) == 1 and "'three'" in added[0], failed.out


# -- without a database ------------------------------------------------------------------------
BODY = Change("~", "function", "f(integer)", "body changed", ("-  RETURN n;", "+  RETURN n + 1;"))


def test_drift_and_verify_text_put_the_lines_under_their_change(capsys):
    fingerprint = ObjectChange("~", "table", "users")
    show_drift(DriftReport("db", (BODY, fingerprint), ("001_x",)), as_json=False)
    assert capsys.readouterr().out.splitlines() == [
        "~ function f(integer): body changed",
        "    -  RETURN n;",
        "    +  RETURN n + 1;",
        "~ table users",  # a fingerprint names the object only
    ]
    check = MigrationCheck("002_f", "002", DOWN_DIFFERS, (BODY,))
    show_verify(VerifyReport((check,)), as_json=False)
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        "    ~ function f(integer): body changed",
        "        -  RETURN n;",
        "        +  RETURN n + 1;",
    ]


def test_quiet_and_json_output_are_unchanged(capsys):
    show_drift(DriftReport("db", (BODY,), ("001_x",)), as_json=False, quiet=True)
    assert capsys.readouterr().out == ""
    show_drift(DriftReport("db", (BODY,), ("001_x",)), as_json=True)
    assert '"lines": ["-  RETURN n;", "+  RETURN n + 1;"]' in capsys.readouterr().out
