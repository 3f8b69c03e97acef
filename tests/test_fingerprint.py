"""Schema fingerprints: recorded in the history after each run, compared by `rung up` (a
warning) and `rung drift --fingerprint` (exit 13), without a scratch database."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from conftest import Backend, run_rung, write
from rung import Migrator
from rung.config import load_settings
from rung.dialects import connect
from rung.errors import MigrationFailed, RequestRefused
from rung.fingerprint import (
    Fingerprint,
    ObjectChange,
    carry,
    compare,
    decode,
    encode,
    last_recorded,
    take_key,
)
from rung.fingerprint import (
    write as write_fingerprint,
)
from rung.history import History
from rung.model import RunEvent

USERS = """-- rung:up
CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);
CREATE INDEX ix_users_email ON users (email);
-- rung:down
DROP TABLE users;
"""
POSTS = """-- rung:up
CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(100));
CREATE INDEX ix_posts_title ON posts (title);
-- rung:down
DROP TABLE posts;
"""
BROKEN = """-- rung:up
CREATE TABLE tags (id INTEGER PRIMARY KEY);
CREATE TABLE tags (id INTEGER PRIMARY KEY);
-- rung:down
DROP TABLE tags;
"""

# One change of each kind of object a database has, made by hand, and what must be named.
EVERYWHERE = [
    ("CREATE TABLE audit_log (note VARCHAR(50))", ["+ table audit_log", "+ column audit_log.note"]),
    ("ALTER TABLE users ADD COLUMN nickname VARCHAR(50)", ["+ column users.nickname"]),
    ("DROP INDEX ix_users_email", ["- index users.ix_users_email"]),
    ("CREATE VIEW user_emails AS SELECT email FROM users", ["+ view user_emails"]),
]
SERVERS = [
    (
        "ALTER TABLE users ADD CONSTRAINT ck_email CHECK (email <> '')",
        ["+ constraint users.ck_email"],
    ),
    ("CREATE SEQUENCE invoice_numbers", ["+ sequence invoice_numbers"]),
]
HAND_MADE: dict[str, list[tuple[str, list[str]]]] = {
    "sqlite": [
        *EVERYWHERE,
        (
            "CREATE TRIGGER trg_users AFTER INSERT ON users BEGIN SELECT 1; END",
            ["+ trigger users.trg_users"],
        ),
    ],
    "postgresql": [  # a column's type changes before a view reads it
        ("ALTER TABLE users ALTER COLUMN email TYPE VARCHAR(300)", ["~ column users.email"]),
        *EVERYWHERE,
        *SERVERS,
        (
            "CREATE FUNCTION touch_user() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RETURN NEW; END $$",
            ["+ function touch_user()"],
        ),
        (
            "CREATE TRIGGER trg_users BEFORE INSERT ON users"
            " FOR EACH ROW EXECUTE FUNCTION touch_user()",
            ["+ trigger users.trg_users"],
        ),
    ],
    "mariadb": [
        *[(sql + " ON users" if sql.startswith("DROP INDEX") else sql, n) for sql, n in EVERYWHERE],
        *SERVERS,
        ("ALTER TABLE users MODIFY email VARCHAR(300) NOT NULL", ["~ column users.email"]),
        ("CREATE FUNCTION answer() RETURNS INTEGER RETURN 42", ["+ function answer"]),
        (
            "CREATE TRIGGER trg_users BEFORE INSERT ON users"
            " FOR EACH ROW SET NEW.email = LOWER(NEW.email)",
            ["+ trigger users.trg_users"],
        ),
    ],
}

# SQLite's table definition is its CREATE TABLE text, which ADD COLUMN rewrites.
ALSO = {"sqlite": ["~ table users"]}


def hand_made(backend: Backend) -> tuple[list[str], list[str]]:
    """The statements of the hand-made changes for this database, and what must be named."""
    pairs = HAND_MADE[backend.name]
    names = [name for _, names in pairs for name in names] + ALSO.get(backend.name, [])
    return [sql for sql, _ in pairs], sorted(names)


def recorded_count(backend: Backend) -> int:
    return backend.query(
        "SELECT count(*) FROM rung_history WHERE event = 'fingerprint' AND outcome = 'success'"
    )[0][0]


def full_records(backend: Backend) -> int:
    """Records that list objects, leaving out `=` rows (nothing changed since the last)."""
    return backend.query(
        "SELECT count(*) FROM rung_history WHERE event = 'fingerprint' AND outcome = 'success'"
        " AND statement_hashes <> '='"
    )[0][0]


def last_payload(backend: Backend) -> str:
    return backend.query(
        "SELECT statement_hashes FROM rung_history WHERE event = 'fingerprint' ORDER BY id DESC"
    )[0][0]


def warnings(events: list[RunEvent]) -> list[RunEvent]:
    return [event for event in events if event.kind == "warning"]


# -- through the API, on every database ---------------------------------------------------------
def test_up_records_a_fingerprint_that_the_history_does_not_show(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    migrator = Migrator(backend.url.text, migrations)

    assert migrator.drift(fingerprint=True).compared is False  # none recorded yet
    migrator.up()

    assert recorded_count(backend) == 1
    report = migrator.drift(fingerprint=True)
    assert report.compared and not report.drifted and report.recorded_at is not None
    assert {e.event for e in migrator.history()} == {"apply"}  # running + success on MariaDB
    assert migrator.status().up_to_date


def test_every_kind_of_hand_made_change_is_named_by_drift_and_by_up(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    Migrator(backend.url.text, migrations).up()
    statements, expected = hand_made(backend)
    backend.execute(*statements)

    report = Migrator(backend.url.text, migrations).drift(fingerprint=True)
    assert sorted(change.text for change in report.changes) == expected
    assert report.drifted and report.method == "fingerprint"

    write(migrations, {"002_posts.sql": POSTS})
    events: list[RunEvent] = []
    result = Migrator(backend.url.text, migrations, on_event=events.append).up()

    assert [step.migration.label for step in result.steps] == ["002_posts"]  # it went on
    (warning,) = warnings(events)
    assert sorted(warning.changes) == expected
    assert "changed outside rung's migrations" in (warning.detail or "")


def test_changes_made_by_migrations_are_not_drift(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    events: list[RunEvent] = []
    migrator = Migrator(backend.url.text, migrations, on_event=events.append)
    migrator.up()
    write(migrations, {"002_posts.sql": POSTS})
    migrator.up()
    migrator.down(steps=1)
    migrator.up()
    migrator.up()  # nothing to do

    assert warnings(events) == []
    assert not migrator.drift(fingerprint=True).drifted
    assert full_records(backend) == 4  # one per run that changed the schema, not the no-op


def test_a_hand_made_change_stays_reported_after_an_up_that_applies_something(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    migrator = Migrator(backend.url.text, migrations)
    migrator.up()
    backend.execute("CREATE TABLE audit_log (note VARCHAR(50))")
    write(migrations, {"002_posts.sql": POSTS})
    migrator.up()  # records what 002 did, and only that

    changes = [c.text for c in migrator.drift(fingerprint=True).changes]

    assert changes == ["+ column audit_log.note", "+ table audit_log"]


def test_a_run_that_changes_no_object_records_one_small_row(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    migrator = Migrator(backend.url.text, migrations)
    migrator.up()
    write(migrations, {"002_data.sql": "INSERT INTO users (id, email) VALUES (1, 'a@b.c');\n"})
    migrator.up()

    assert recorded_count(backend) == 2
    assert last_payload(backend) == "="
    report = migrator.drift(fingerprint=True)
    assert report.compared and not report.drifted


def test_runs_of_a_rung_without_fingerprints_are_not_reported_as_hand_made(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    events: list[RunEvent] = []
    migrator = Migrator(backend.url.text, migrations, on_event=events.append)
    migrator.up()
    write(migrations, {"002_posts.sql": POSTS})
    settings = load_settings(database=backend.url.text, directory=migrations)
    Migrator(settings=replace(settings, fingerprint=False)).up()  # as an older rung would

    report = migrator.drift(fingerprint=True)
    assert "+ table posts" in [c.text for c in report.changes]
    assert any("migrations ran after it" in note for note in report.notes)

    migrator.up()  # nothing to apply: records the schema anew, without a warning
    assert warnings(events) == []
    assert not migrator.drift(fingerprint=True).drifted


def test_a_failed_run_still_records_what_was_committed(backend, migrations):
    write(migrations, {"001_users.sql": USERS, "002_posts.sql": POSTS, "003_tags.sql": BROKEN})
    migrator = Migrator(backend.url.text, migrations)
    with pytest.raises(MigrationFailed):
        migrator.up()  # 001 and 002 are committed; 003 fails (on MariaDB half-way)

    assert not migrator.drift(fingerprint=True).drifted


def test_accept_records_the_schema_as_it_is(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    events: list[RunEvent] = []
    migrator = Migrator(backend.url.text, migrations, on_event=events.append)
    migrator.up()
    backend.execute("CREATE TABLE audit_log (note VARCHAR(50))")

    accepted = migrator.accept_schema()

    assert [c.text for c in accepted] == ["+ column audit_log.note", "+ table audit_log"]
    assert not migrator.drift(fingerprint=True).drifted
    migrator.up()
    assert warnings(events) == []
    assert migrator.accept_schema() == []  # nothing new
    assert last_payload(backend) == "="  # recorded as unchanged, not copied again


def test_baseline_records_the_schema_it_found(backend, migrations):
    backend.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL)")
    write(migrations, {"001_users.sql": USERS})
    migrator = Migrator(backend.url.text, migrations)

    migrator.baseline((1,))
    backend.execute("ALTER TABLE users ADD COLUMN nickname VARCHAR(50)")

    assert "+ column users.nickname" in [c.text for c in migrator.drift(fingerprint=True).changes]


def test_fingerprint_false_records_nothing_and_refuses_the_comparison(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    settings = load_settings(database=backend.url.text, directory=migrations)
    migrator = Migrator(settings=replace(settings, fingerprint=False))
    migrator.up()

    assert recorded_count(backend) == 0
    with pytest.raises(RequestRefused, match="fingerprint = false"):
        migrator.drift(fingerprint=True)


# -- the catalog key: a cheap "nothing changed" ------------------------------------------------
def settle(backend: Backend) -> None:
    """MariaDB's catalog times count in seconds: it vouches for no key within two of a change."""
    if backend.name == "mariadb":
        time.sleep(2.1)


def catalog_key(backend: Backend) -> str | None:
    settle(backend)
    dialect, conn = connect(backend.url)
    try:
        return take_key(dialect, conn)
    finally:
        conn.close()


def test_the_catalog_key_ignores_data_and_follows_every_hand_made_change(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    Migrator(backend.url.text, migrations).up()
    before = catalog_key(backend)
    assert before is not None
    backend.execute(
        "INSERT INTO users (id, email) VALUES (1, 'a@b.c'), (2, 'd@e.f')",
        "UPDATE users SET email = 'x@y.z' WHERE id = 2",
        "DELETE FROM users WHERE id = 1",
        *{"postgresql": ["ANALYZE users", "VACUUM users"], "mariadb": ["ANALYZE TABLE users"]}.get(
            backend.name, []
        ),
    )
    assert catalog_key(backend) == before

    for statement in hand_made(backend)[0]:
        backend.execute(statement)
        after = catalog_key(backend)
        assert after != before, statement
        before = after


def test_an_unchanged_catalog_spares_the_full_query(backend, migrations, monkeypatch):
    write(migrations, {"001_users.sql": USERS})
    events: list[RunEvent] = []
    migrator = Migrator(backend.url.text, migrations, on_event=events.append)
    migrator.up()  # on MariaDB, too soon after its changes to record a key
    settle(backend)
    migrator.up()  # nothing to do: the full comparison finds no change, and keeps the key

    def full_query(*args: object, **kwargs: object) -> None:
        raise AssertionError("the full catalog query ran")

    monkeypatch.setattr("rung.fingerprint.take", full_query)
    migrator.up()
    report = migrator.drift(fingerprint=True)

    assert warnings(events) == []  # a failed comparison would warn
    assert report.compared and not report.drifted
    monkeypatch.undo()
    backend.execute("ALTER TABLE users ADD COLUMN nickname VARCHAR(50)")
    migrator.up()
    assert "+ column users.nickname" in warnings(events)[0].changes


# -- the real command ------------------------------------------------------------------------------
def test_rung_drift_fingerprint_and_up_warning(backend, migrations, tmp_path):
    args = ("-d", backend.url.text, "--dir", str(migrations))
    write(migrations, {"001_users.sql": USERS})

    none_yet = run_rung(tmp_path, "drift", "--fingerprint", *args)
    assert none_yet.code == 0 and "no schema fingerprint is recorded yet" in none_yet.out
    assert run_rung(tmp_path, "drift", "--fingerprint", *args, "--json").json()["drift"] is None

    assert run_rung(tmp_path, "up", *args).code == 0
    clean = run_rung(tmp_path, "drift", "--fingerprint", *args)
    assert clean.code == 0 and "no drift" in clean.out
    backend.execute("ALTER TABLE users ADD COLUMN nickname VARCHAR(50)")

    found = run_rung(tmp_path, "drift", "--fingerprint", *args)
    assert found.code == 13
    assert "+ column users.nickname" in found.out.splitlines()
    assert "error[drift]" in found.err and "--accept" in found.err
    document = run_rung(tmp_path, "drift", "--fingerprint", *args, "--json").json()
    assert document["drift"] is True and document["method"] == "fingerprint"
    assert "+ column users.nickname" in [c["text"] for c in document["changes"]]

    write(migrations, {"002_posts.sql": POSTS})
    up = run_rung(tmp_path, "up", *args)
    assert up.code == 0, up.err
    assert "warning: the schema was changed outside rung's migrations" in up.err
    assert "  + column users.nickname" in up.err.splitlines()
    assert "applied 002_posts" in up.out
    lines = run_rung(tmp_path, "up", *args, "--json").json_lines()
    assert lines[0]["event"] == "warning" and "+ column users.nickname" in lines[0]["changes"]

    accept = run_rung(tmp_path, "drift", "--accept", *args)
    assert accept.code == 0 and "+ column users.nickname" in accept.out
    quiet_up = run_rung(tmp_path, "up", *args)
    assert quiet_up.code == 0 and "warning" not in quiet_up.err
    assert "fingerprint" not in run_rung(tmp_path, "history", *args).out


def test_rung_drift_fingerprint_refuses_a_shadow_url(tmp_path):
    result = run_rung(tmp_path, "drift", "--fingerprint", "--shadow-url", "sqlite:///x.db")
    assert result.code == 2 and "--shadow-url" in result.err


def test_fingerprint_setting_in_rung_toml(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS})
    (tmp_path / "rung.toml").write_text('database = "sqlite:///app.db"\nfingerprint = false\n')
    assert run_rung(tmp_path, "up").code == 0
    refused = run_rung(tmp_path, "drift", "--fingerprint")
    assert refused.code == 9 and "fingerprint = false" in refused.err

    (tmp_path / "rung.toml").write_text('database = "sqlite:///app.db"\nfingerprint = "no"\n')
    bad = run_rung(tmp_path, "status")
    assert bad.code == 3 and "`fingerprint` must be true or false" in bad.err


# -- pieces, without a database ------------------------------------------------------------------
def fingerprint(**objects: str) -> Fingerprint:
    return Fingerprint({tuple(key.split("__")): value for key, value in objects.items()})


def test_compare_names_added_removed_and_changed_objects():
    old = fingerprint(table__a="1", column__a_x="2", index__a_ix="3")
    new = fingerprint(table__a="1", column__a_x="9", view__v="4")

    assert [c.text for c in compare(old, new)] == [
        "~ column a_x",
        "- index a_ix",
        "+ view v",
    ]
    assert compare(old, old) == []
    assert ObjectChange("+", "view", "v").as_dict()["text"] == "+ view v"


def test_carry_takes_the_runs_changes_and_keeps_the_hand_made_ones():
    recorded = fingerprint(table__a="1", table__b="2")
    before = fingerprint(table__a="1", table__b="2", table__hand="5")  # hand-made: hand
    after = fingerprint(table__a="7", table__hand="5", table__c="8")  # the run: a, -b, +c

    carried = carry(recorded, before, after)

    assert carried.objects == {("table", "a"): "7", ("table", "c"): "8"}
    assert [c.text for c in compare(carried, after)] == ["+ table hand"]


def test_encode_decode_round_trip_and_a_long_fingerprint_spans_rows(tmp_path):
    big = Fingerprint({("column", f"table_{i}.column_{i}"): f"{i:012x}" for i in range(30_000)})
    assert decode(encode(big)) == big
    odd = Fingerprint({("table", 'a\tquoted\nname\\"x"'): "1", ("table", "t\\n"): "2"})
    assert decode(encode(odd)) == odd  # separators inside quoted identifiers survive
    assert len(encode(big)) > 60_000  # more than one row's worth

    dialect, conn = connect(load_settings(database=f"sqlite:///{tmp_path / 'a.db'}").url())
    try:
        history = History(dialect, conn, "rung_history")
        history.create()
        write_fingerprint(history, big)
        rows = conn.execute("SELECT outcome FROM rung_history WHERE event = 'fingerprint'")
        assert [row[0] for row in rows][0] == "success"
        recorded = last_recorded(history)
    finally:
        conn.close()
    assert recorded is not None and recorded.fingerprint == big
    assert recorded.checksum == big.checksum
