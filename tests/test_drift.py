"""`rung drift`: the live schema against the one its applied migrations build on a scratch
database, on every backend."""

from __future__ import annotations

import json
from pathlib import PurePath

import pytest

from conftest import run_rung, write
from rung import Migrator
from rung.drift import DriftReport, batches, drift_error
from rung.errors import DriftFound, MigrationFailed, RequestRefused
from rung.model import Migration
from rung.scratch import scratch_name
from scratch_helpers import GOOD, POSTS, TAGS, USERS, scratch_databases

HAND_MADE = {
    "add a column": (
        {"*": "ALTER TABLE users ADD COLUMN nickname VARCHAR(50)"},
        "+ column users.nickname",
    ),
    "drop an index": (
        {
            "*": "DROP INDEX ix_users_email",
            "mariadb": "DROP INDEX ix_users_email ON users",
        },
        "- index ix_users_email",
    ),
    "add a table": (
        {"*": "CREATE TABLE audit (id INTEGER PRIMARY KEY)"},
        "+ table audit",
    ),
}


def test_no_drift_right_after_up(backend, migrations, tmp_path):
    write(migrations, GOOD)
    migrator = Migrator(backend.url.text, migrations)
    migrator.up()
    before = scratch_databases(backend, tmp_path)

    report = migrator.drift()

    assert not report.drifted and report.changes == ()
    assert report.migrations == ("001_users", "002_posts", "003_tags")
    assert scratch_databases(backend, tmp_path) <= before


@pytest.mark.parametrize("change", sorted(HAND_MADE))
def test_a_hand_made_change_is_reported(backend, migrations, tmp_path, change):
    write(migrations, GOOD)
    migrator = Migrator(backend.url.text, migrations)
    migrator.up()
    statements, line = HAND_MADE[change]
    backend.execute(statements.get(backend.name, statements["*"]))
    before = scratch_databases(backend, tmp_path)

    report = migrator.drift()

    assert report.drifted
    assert [c.text for c in report.changes if c.text.startswith(line)], report.changes
    assert len(report.changes) == 1, [c.text for c in report.changes]
    assert drift_error(report).exit_code == DriftFound.exit_code == 13
    assert scratch_databases(backend, tmp_path) <= before


def test_only_the_applied_migrations_build_the_expected_schema(backend, migrations):
    write(migrations, GOOD)
    migrator = Migrator(backend.url.text, migrations)
    migrator.up()
    migrator.down(steps=1)  # 003 rolled back: its table must not be expected

    report = migrator.drift()

    assert not report.drifted, [c.text for c in report.changes]
    assert report.migrations == ("001_users", "002_posts")


def test_a_migration_applied_out_of_order_is_replayed_in_applied_order(backend, migrations):
    write(migrations, {"001_users.sql": USERS, "003_tags.sql": TAGS})
    migrator = Migrator(backend.url.text, migrations)
    migrator.up()
    write(migrations, {"002_posts.sql": POSTS})
    migrator.up(allow_out_of_order=True)

    report = migrator.drift()

    assert not report.drifted, [c.text for c in report.changes]
    assert report.migrations == ("001_users", "003_tags", "002_posts")


def test_the_scratch_database_is_dropped_when_replaying_fails(backend, migrations, tmp_path):
    write(migrations, GOOD)
    migrator = Migrator(backend.url.text, migrations)
    migrator.up()
    # The file of an applied migration now fails: replaying it on the scratch database fails.
    (migrations / "003_tags.sql").write_text("-- rung:up\nCREATE TABLE users (id INTEGER);\n")
    before = scratch_databases(backend, tmp_path)

    with pytest.raises(MigrationFailed):
        migrator.drift()

    assert scratch_databases(backend, tmp_path) <= before


def test_the_scratch_database_is_named_after_the_database_it_serves(backend, migrations, tmp_path):
    """One left behind (by a killed run) says whose it was; parallel runs tell theirs apart."""
    seen = tmp_path / "seen.txt"
    where = (
        "from sqlalchemy import text\n\n\n"
        "def up(conn):\n"
        '    sql = {"postgresql": "SELECT current_database()", "mysql": "SELECT DATABASE()",\n'
        '           "sqlite": "SELECT file FROM pragma_database_list WHERE name = \'main\'"}\n'
        f"    with open({str(seen)!r}, 'a') as out:\n"
        "        out.write(conn.execute(text(sql[conn.dialect.name])).scalar() + '\\n')\n"
    )
    write(migrations, {"001_users.sql": USERS, "002_where.py": where})
    migrator = Migrator(backend.url.text, migrations)
    migrator.up()
    migrator.drift()
    served, scratch = (PurePath(name).name for name in seen.read_text().split())
    label = served.lower().replace(".", "_")
    assert scratch.startswith(f"rung_scratch_{label}_"), (served, scratch)
    assert not scratch_databases(backend, tmp_path)


def test_a_scratch_name_is_short_and_names_the_original_database():
    assert scratch_name("shop_prod").startswith("rung_scratch_shop_prod_")
    assert scratch_name("shop_prod") != scratch_name("shop_prod")
    copy = scratch_name(scratch_name("Shop-Prod"))  # `rung verify`'s copy of a scratch one
    assert copy.startswith("rung_scratch_shop_prod_") and copy.count("scratch") == 1
    assert scratch_name("/srv/app/data.db").startswith("rung_scratch_data_db_")
    assert len(scratch_name("x" * 200)) <= 63  # PostgreSQL's limit; MySQL's is 64
    assert scratch_name(None).startswith("rung_scratch_")


def test_an_applied_migration_without_its_file_is_refused(tmp_path, migrations):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    write(migrations, GOOD)
    Migrator(url, migrations).up()
    (migrations / "002_posts.sql").unlink()

    with pytest.raises(RequestRefused, match="002_posts"):
        Migrator(url, migrations).drift()


def test_a_shadow_url_is_used_and_must_be_empty(tmp_path, migrations):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    shadow = f"sqlite:///{tmp_path / 'shadow.db'}"
    write(migrations, GOOD)
    migrator = Migrator(url, migrations)
    migrator.up()

    assert not migrator.drift(shadow_url=shadow).drifted
    assert (tmp_path / "shadow.db").exists()  # rung's own, not dropped
    with pytest.raises(RequestRefused, match="not empty"):
        migrator.drift(shadow_url=shadow)


def test_batches_split_an_applied_order_into_rising_runs(tmp_path):
    def m(version: int) -> Migration:
        return Migration((version,), "x", tmp_path / f"{version}_x.sql", "sql", "")

    runs = batches([m(1), m(2), m(5), m(3), m(4), m(6), m(2)])
    assert [[x.version[0] for x in run] for run in runs] == [[1, 2, 5], [3, 4, 6], [2]]
    assert batches([]) == []


def test_drift_error_names_the_source_and_count():
    report = DriftReport("db", (), ("001_a",))
    assert "1 applied migration(s)" in drift_error(report).message


# -- the real command -------------------------------------------------------------------------


def test_rung_drift_exits_0_then_13_with_the_difference(backend, migrations, tmp_path):
    write(migrations, GOOD)
    args = ("-d", backend.url.text, "--dir", str(migrations))
    assert run_rung(tmp_path, "up", *args).code == 0
    before = scratch_databases(backend, tmp_path)

    clean = run_rung(tmp_path, "drift", *args)
    assert clean.code == 0, clean.err
    assert "no drift" in clean.out

    backend.execute("ALTER TABLE users ADD COLUMN nickname VARCHAR(50)")
    found = run_rung(tmp_path, "drift", *args)
    assert found.code == 13, found.err
    assert "+ column users.nickname" in found.out
    assert "error[drift]" in found.err

    as_json = run_rung(tmp_path, "drift", *args, "--json")
    assert as_json.code == 13
    document = json.loads(as_json.out)
    assert document["drift"] is True
    assert [c["text"] for c in document["changes"]][0].startswith("+ column users.nickname")
    assert scratch_databases(backend, tmp_path) <= before


def test_rung_drift_with_a_non_empty_shadow_database_exits_9(tmp_path, migrations):
    write(migrations, GOOD)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    assert run_rung(tmp_path, "up", "-d", url, "--dir", str(migrations)).code == 0
    result = run_rung(tmp_path, "drift", "-d", url, "--dir", str(migrations), "--shadow-url", url)
    assert result.code == 9
    assert "not empty" in result.err


def test_derive_ignores_event_kinds_it_does_not_know():
    """A later `fingerprint` event (the schema's hash after `rung up`) must not change state."""
    from datetime import UTC, datetime

    from rung.model import HistoryEvent
    from rung.plan import derive

    def event(id_: int, kind: str) -> HistoryEvent:
        return HistoryEvent(
            id_, (1,), "001", "users", kind, "success", "abc", 1, None, None, (), None,
            datetime(2026, 1, 1, tzinfo=UTC), 5, None, None, None, None,
        )  # fmt: skip

    plain = derive([event(1, "apply")])
    with_unknown = derive([event(1, "apply"), event(2, "fingerprint")])
    assert with_unknown.states == plain.states
    assert with_unknown.last_id == 2
