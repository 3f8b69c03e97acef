"""Behaviour of the Migrator verbs, the same test body on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Backend, write
from rung import Migrator
from rung.config import Settings
from rung.errors import (
    IncompatibleHistory,
    InvalidMigrations,
    MigrationFailed,
    RequestRefused,
    ScriptError,
)
from rung.plan import APPLIED, BASELINE, FAILED, MISSING, MODIFIED, PENDING

USERS = """-- rung:up
CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);
CREATE INDEX ix_users_email ON users (email);
-- rung:down
DROP TABLE users;
"""
POSTS = """-- rung:up
CREATE TABLE posts (
    id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), title VARCHAR(100));
INSERT INTO posts (id, title) VALUES (1, 'first; with a semicolon');
-- rung:down
DROP TABLE posts;
"""
TAGS = """-- rung:up
CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(50));
-- rung:down
DROP TABLE tags;
"""


def migrator(backend: Backend, folder: Path, events: list | None = None) -> Migrator:
    on_event = events.append if events is not None else None
    return Migrator(backend.url.text, folder, on_event=on_event)


def states(m: Migrator) -> dict[str, str]:
    return {item.label: item.state for item in m.status().migrations}


def three(folder: Path) -> Path:
    return write(folder, {"001_users.sql": USERS, "002_posts.sql": POSTS, "003_tags.sql": TAGS})


def test_up_applies_everything_pending_once_and_is_idempotent(backend, migrations):
    m = migrator(backend, three(migrations))
    result = m.up()
    assert [s.migration.label for s in result.steps] == ["001_users", "002_posts", "003_tags"]
    assert {"users", "posts", "tags", "rung_history"} <= backend.tables()
    assert backend.query("SELECT title FROM posts") == [("first; with a semicolon",)]
    assert m.up().steps == []  # a second run does nothing
    assert [row[:3] for row in backend.history_rows() if row[2] == "success"] == [
        ("001", "apply", "success"),
        ("002", "apply", "success"),
        ("003", "apply", "success"),
    ]
    assert set(states(m).values()) == {APPLIED}


def test_versions_sort_numerically_not_as_text(backend, migrations):
    write(
        migrations,
        {"9_a.sql": "CREATE TABLE a (id INTEGER);", "10_b.sql": "CREATE TABLE b (id INTEGER);"},
    )
    result = migrator(backend, migrations).up()
    assert [s.migration.label for s in result.steps] == ["9_a", "10_b"]


def test_up_to_stops_at_the_version_and_rejects_unknown_ones(backend, migrations):
    m = migrator(backend, three(migrations))
    m.up(target=(2,))
    assert states(m) == {"001_users": APPLIED, "002_posts": APPLIED, "003_tags": PENDING}
    with pytest.raises(RequestRefused, match="no migration with that version"):
        m.up(target=(7,))


def test_dry_run_executes_and_records_nothing(backend, migrations):
    m = migrator(backend, three(migrations))
    result = m.up(dry_run=True)
    assert result.dry_run and len(result.steps) == 3
    assert result.steps[1].statements[1].text.startswith("INSERT INTO posts")
    assert result.steps[1].statements[1].line == 4
    assert backend.tables() == set()  # not even the history table


def test_down_rolls_back_by_applied_order_not_version(backend, migrations):
    write(migrations, {"001_users.sql": USERS, "003_tags.sql": TAGS})
    m = migrator(backend, migrations)
    m.up()
    write(migrations, {"002_posts.sql": POSTS})
    m.up(allow_out_of_order=True)  # 002 is applied last
    result = m.down()
    assert [s.migration.label for s in result.steps] == ["002_posts"]
    assert "posts" not in backend.tables() and "tags" in backend.tables()


def test_down_steps_to_and_all(backend, migrations):
    m = migrator(backend, three(migrations))
    m.up()
    assert [s.migration.label for s in m.down(steps=2).steps] == ["003_tags", "002_posts"]
    m.up()
    assert [s.migration.label for s in m.down(target=(1,)).steps] == ["003_tags", "002_posts"]
    assert states(m)["001_users"] == APPLIED
    m.down(everything=True)
    assert backend.tables() == {"rung_history"}
    with pytest.raises(RequestRefused, match="nothing to roll back"):
        m.down()


def test_down_to_an_unknown_version_is_refused(backend, migrations):
    m = migrator(backend, three(migrations))
    m.up()
    with pytest.raises(RequestRefused, match="no migration with that version"):
        m.down(target=(42,))


def test_migration_without_down_stops_the_rollback_before_anything_runs(backend, migrations):
    write(migrations, {"001_users.sql": USERS, "002_plain.sql": "CREATE TABLE plain (id INTEGER);"})
    write(migrations, {"003_tags.sql": TAGS})
    m = migrator(backend, migrations)
    m.up()
    with pytest.raises(RequestRefused, match="002_plain: it has no down"):
        m.down(steps=3)
    assert {"users", "plain", "tags"} <= backend.tables()  # 003 was not rolled back either


def test_paired_files_and_files_without_markers(backend, migrations):
    write(
        migrations,
        {
            "001_users.up.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);",
            "001_users.down.sql": "DROP TABLE users;",
            "002_only_up.sql": "CREATE TABLE only_up (id INTEGER);",
        },
    )
    m = migrator(backend, migrations)
    m.up()
    assert {"users", "only_up"} <= backend.tables()
    with pytest.raises(RequestRefused, match="no down"):
        m.down()


def test_comment_only_migration_is_recorded(backend, migrations):
    write(migrations, {"001_placeholder.sql": "-- nothing to do on this database\n/* really */\n"})
    m = migrator(backend, migrations)
    assert len(m.up().steps) == 1
    assert states(m) == {"001_placeholder": APPLIED}


def test_failed_statement_leaves_schema_and_history_as_before(backend, migrations):
    write(
        migrations,
        {
            "001_users.sql": USERS,
            "002_broken.sql": "CREATE TABLE ok_table (id INTEGER);\n"
            "INSERT INTO ok_table VALUES (1);\nINSERT INTO no_such_table VALUES (1);\n",
        },
    )
    m = migrator(backend, migrations)
    with pytest.raises(MigrationFailed) as failure:
        m.up()
    error = failure.value
    assert "002_broken.sql:3" in error.message
    assert any("INSERT INTO no_such_table" in line for line in error.details)
    assert "users" in backend.tables()  # the first migration stays applied
    item = {i.label: i for i in m.status().migrations}["002_broken"]
    assert item.state == FAILED
    if backend.transactional_ddl:
        assert "ok_table" not in backend.tables()
        assert item.applied.failure.statements_done == 0
        assert any("rolled the migration back" in line for line in error.details)
    else:
        assert "ok_table" in backend.tables()
        assert item.applied.failure.statements_done == 2
        assert any("committed statements 1-2 of 3" in line for line in error.details)


def test_a_failed_statement_in_the_middle_is_named_and_nothing_after_it_runs(backend, migrations):
    # PostgreSQL receives the statements together: the failure must still name its own.
    write(
        migrations,
        {
            "001_x.sql": "CREATE TABLE a (id INTEGER);\n"
            "INSERT INTO a VALUES (1);\n\nINSERT INTO nowhere VALUES (1);\n"
            "CREATE TABLE after_it (id INTEGER);\n"
        },
    )
    with pytest.raises(MigrationFailed) as failure:
        migrator(backend, migrations).up()
    assert failure.value.message.startswith(f"{migrations / '001_x.sql'}:4: ")
    assert any("INSERT INTO nowhere" in line for line in failure.value.details)
    assert "after_it" not in backend.tables()


def test_syntax_error_in_third_statement_names_file_and_line(backend, migrations):
    write(
        migrations,
        {
            "001_x.sql": "-- header; with a semicolon\nCREATE TABLE a (id INTEGER);\n"
            "CREATE TABLE b (id INTEGER);\n\nCREATE TABLEE c (id INTEGER);\n"
        },
    )
    with pytest.raises(MigrationFailed) as failure:
        migrator(backend, migrations).up()
    assert failure.value.message.startswith(f"{migrations / '001_x.sql'}:5: ")
    assert failure.value.hint


@pytest.mark.parametrize("backend", ["mariadb"], indirect=True)
def test_mariadb_resumes_at_the_failed_statement_after_the_file_is_fixed(backend, migrations):
    broken = (
        "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n"
        "INSERT INTO nowhere VALUES (1);\nCREATE TABLE d (id INTEGER);\n"
    )
    write(migrations, {"001_x.sql": broken})
    m = migrator(backend, migrations)
    with pytest.raises(MigrationFailed) as failure:
        m.up()
    assert (
        "fix statement 3" in failure.value.hint
        and "resumes at that statement" in failure.value.hint
    )
    write(
        migrations,
        {
            "001_x.sql": broken.replace(
                "INSERT INTO nowhere VALUES (1);", "CREATE TABLE c (id INTEGER);"
            )
        },
    )
    result = m.up()
    assert result.steps[0].resume_from == 2
    assert {"a", "b", "c", "d"} <= backend.tables()
    assert states(m) == {"001_x": APPLIED}


@pytest.mark.parametrize("backend", ["mariadb"], indirect=True)
def test_mariadb_refuses_to_resume_when_committed_statements_changed(backend, migrations):
    write(
        migrations, {"001_x.sql": "CREATE TABLE a (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n"}
    )
    m = migrator(backend, migrations)
    with pytest.raises(MigrationFailed):
        m.up()
    write(
        migrations, {"001_x.sql": "CREATE TABLE a2 (id INTEGER);\nCREATE TABLE c (id INTEGER);\n"}
    )
    with pytest.raises(InvalidMigrations, match="cannot resume") as refused:
        m.up()
    assert any("statement 1 (line 1)" in line for line in refused.value.details)
    assert "c" not in backend.tables()


@pytest.mark.parametrize("backend", ["mariadb"], indirect=True)
def test_repair_accepts_a_hand_finished_migration(backend, migrations):
    write(
        migrations, {"001_x.sql": "CREATE TABLE a (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n"}
    )
    m = migrator(backend, migrations)
    with pytest.raises(MigrationFailed):
        m.up()
    with pytest.raises(RequestRefused, match="stopped half-way"):
        m.repair()
    backend.execute("CREATE TABLE c (id INTEGER)")  # the human finishes the job
    assert [i.label for i in m.repair(mark="applied")] == ["001_x"]
    assert states(m) == {"001_x": APPLIED}
    assert m.up().steps == []
    assert backend.history_rows()[-1][1:3] == ("repair", "applied")


def test_edited_applied_migration_stops_up_and_says_what_changed(backend, migrations):
    three(migrations)
    m = migrator(backend, migrations)
    m.up(target=(2,))
    (migrations / "001_users.sql").write_text(
        USERS.replace("DROP TABLE users;", "-- note\nDROP TABLE users;")
    )
    item = {i.label: i for i in m.status().migrations}["001_users"]
    assert item.state == MODIFIED and "the SQL that ran is the same" in item.change
    (migrations / "001_users.sql").write_text(USERS.replace("VARCHAR(200)", "VARCHAR(300)"))
    with pytest.raises(InvalidMigrations) as refused:
        m.up()
    assert any(
        "001_users.sql" in d and "SQL of the up section changed" in d for d in refused.value.details
    )
    assert "tags" not in backend.tables()  # nothing ran
    m.repair()
    assert states(m)["001_users"] == APPLIED
    m.up()
    assert "tags" in backend.tables()


def test_line_ending_changes_are_not_edits(backend, migrations):
    write(migrations, {"001_users.sql": USERS})
    m = migrator(backend, migrations)
    m.up()
    (migrations / "001_users.sql").write_bytes(USERS.replace("\n", "\r\n").encode())
    assert states(m) == {"001_users": APPLIED}


def test_missing_file_of_applied_migration(backend, migrations):
    m = migrator(backend, three(migrations))
    m.up(target=(2,))
    (migrations / "002_posts.sql").unlink()
    assert states(m)["002_posts"] == MISSING
    with pytest.raises(InvalidMigrations, match="no longer match"):
        m.up()
    assert not m.validate().ok


def test_out_of_order_pending_migration_is_refused_by_default(backend, migrations):
    write(migrations, {"001_users.sql": USERS, "003_tags.sql": TAGS})
    m = migrator(backend, migrations)
    m.up()
    write(migrations, {"002_posts.sql": POSTS})
    with pytest.raises(InvalidMigrations, match="older than 3"):
        m.up()
    assert [s.migration.label for s in m.up(allow_out_of_order=True).steps] == ["002_posts"]


def test_baseline_marks_existing_database(backend, migrations):
    backend.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL)")
    m = migrator(backend, three(migrations))
    m.baseline((1,))
    assert states(m) == {"001_users": BASELINE, "002_posts": PENDING, "003_tags": PENDING}
    assert [s.migration.label for s in m.up().steps] == ["002_posts", "003_tags"]
    with pytest.raises(RequestRefused, match="already has"):
        m.baseline((3,))


def test_python_migration_runs_in_the_migration_transaction(backend, migrations):
    write(
        migrations,
        {
            "001_users.sql": USERS,
            "002_seed.py": (
                "from sqlalchemy import text\n\n"
                "def up(conn):\n"
                '    conn.execute(text("INSERT INTO users (id, email)"\n'
                "                      \" VALUES (1, 'a@example.org')\"))\n"
                "    conn.commit()  # rung owns the transaction: this does not end it\n\n"
                "def down(conn):\n"
                "    conn.execute(text('DELETE FROM users'))\n"
            ),
        },
    )
    m = migrator(backend, migrations)
    m.up()
    assert backend.query("SELECT email FROM users") == [("a@example.org",)]
    m.down()
    assert backend.query("SELECT email FROM users") == []


def test_python_migration_that_raises_rolls_back_its_data(backend, migrations):
    write(
        migrations,
        {
            "001_users.sql": USERS,
            "002_bad.py": (
                "from sqlalchemy import text\n\n"
                "def up(conn):\n"
                '    conn.execute(text("INSERT INTO users (id, email)"\n'
                "                      \" VALUES (1, 'a@example.org')\"))\n"
                "    raise ValueError('bad data')\n"
            ),
        },
    )
    m = migrator(backend, migrations)
    with pytest.raises(MigrationFailed, match=r"002_bad.py:6: ValueError: bad data"):
        m.up()
    assert backend.query("SELECT email FROM users") == []
    assert states(m)["002_bad"] == FAILED


def test_a_failure_at_commit_leaves_the_migration_unapplied(backend, migrations):
    """A deferred constraint is checked when the migration's transaction commits, after its
    statements and its success event went through: the commit's failure undoes both."""
    if backend.name != "postgresql":
        pytest.skip("deferred constraints are checked at commit on PostgreSQL only")
    deferred = (
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER\n"
        "    REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);\n"
        "INSERT INTO child VALUES (1, 42);\n"
    )
    write(migrations, {"001_users.sql": USERS, "002_orphan.sql": deferred, "003_tags.sql": TAGS})
    m = migrator(backend, migrations)
    with pytest.raises(MigrationFailed, match="002_orphan.sql") as failure:
        m.up()
    assert "violates foreign key constraint" in failure.value.message
    assert not {"parent", "child", "tags"} & backend.tables()
    assert states(m) == {"001_users": APPLIED, "002_orphan": FAILED, "003_tags": PENDING}
    (migrations / "002_orphan.sql").write_text(deferred.replace("42", "NULL"))
    assert len(m.up().steps) == 2


def test_python_migration_without_up(backend, migrations):
    write(migrations, {"001_nothing.py": "def down(conn):\n    pass\n"})
    with pytest.raises(MigrationFailed, match="defines no up"):
        migrator(backend, migrations).up()


def test_own_transaction_file_runs_as_written(backend, migrations):
    begin = "START TRANSACTION" if backend.name == "mariadb" else "BEGIN"
    write(
        migrations,
        {
            "001_own.sql": f"{begin};\nCREATE TABLE own (id INTEGER);\n"
            "INSERT INTO own VALUES (1);\nCOMMIT;\n"
        },
    )
    m = migrator(backend, migrations)
    m.up()
    assert backend.query("SELECT id FROM own") == [(1,)]
    assert states(m) == {"001_own": APPLIED}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_no_transaction_directive_allows_concurrent_index(backend, migrations):
    write(
        migrations,
        {
            "001_users.sql": USERS,
            "002_index.sql": "-- rung:no-transaction\n-- rung:up\n"
            "CREATE INDEX CONCURRENTLY ix_users_id ON users (id);\n"
            "-- rung:down\nDROP INDEX CONCURRENTLY ix_users_id;\n",
        },
    )
    m = migrator(backend, migrations)
    m.up()
    assert backend.query("SELECT indexname FROM pg_indexes WHERE indexname = 'ix_users_id'")
    m.down()
    assert not backend.query("SELECT indexname FROM pg_indexes WHERE indexname = 'ix_users_id'")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_statement_that_cannot_run_in_a_transaction_is_refused_before_anything_runs(
    backend, migrations
):
    write(
        migrations,
        {
            "001_users.sql": USERS,
            "002_index.sql": "-- an index\nCREATE INDEX  CONCURRENTLY ix_users_id ON users (id);\n",
        },
    )
    with pytest.raises(InvalidMigrations) as refused:
        migrator(backend, migrations).up()
    assert refused.value.details == (
        f"{migrations / '002_index.sql'}:2: CREATE INDEX CONCURRENTLY cannot run inside a "
        "transaction",
    )
    assert "rung:no-transaction" in refused.value.hint
    assert "users" not in backend.tables()  # not even the first migration ran


def test_single_transaction_is_all_or_nothing(backend, migrations):
    bad = "CREATE TABLE t2 (id INTEGER);\nINSERT INTO nowhere VALUES (1);\nSELECT 1;\n"
    write(migrations, {"001_users.sql": USERS, "002_bad.sql": bad})
    m = migrator(backend, migrations)
    if not backend.transactional_ddl:
        with pytest.raises(RequestRefused, match="needs transactional DDL"):
            m.up(single_transaction=True)
        assert backend.tables() <= {"rung_history"}
        return
    with pytest.raises(MigrationFailed, match="002_bad.sql:2"):
        m.up(single_transaction=True)
    assert not {"users", "t2"} & backend.tables()
    (migrations / "002_bad.sql").write_text("CREATE TABLE t (id INTEGER);")
    assert len(m.up(single_transaction=True).steps) == 2


def test_single_transaction_takes_more_migrations_than_one_insert_can_record(backend, migrations):
    """A batch's success events are written together before its commit, in as many INSERTs
    as the driver's limit on parameters needs (each event has 16 values)."""
    if not backend.transactional_ddl:
        pytest.skip("--single-transaction needs transactional DDL")
    count = backend.dialect.max_parameters // 12  # a third more than one INSERT carries
    write(migrations, {f"{i:05d}_step.sql": f"SELECT {i};\n" for i in range(1, count + 1)})
    m = migrator(backend, migrations)
    assert len(m.up(single_transaction=True).steps) == count
    recorded = backend.query(
        "SELECT count(*) FROM rung_history WHERE event = 'apply' AND outcome = 'success'"
    )
    assert recorded[0][0] == count
    assert [s.state for s in m.status().migrations] == [APPLIED] * count


def test_history_from_a_newer_rung_is_refused(backend, migrations):
    m = migrator(backend, three(migrations))
    m.up(target=(1,))
    backend.execute(
        "INSERT INTO rung_history (version, name, event, outcome, checksum_version, started_at)"
        " VALUES ('99', 'layout', 'layout', 'success', 1, '2030-01-01 00:00:00')"
    )
    for verb in (m.up, m.status, m.history):
        with pytest.raises(IncompatibleHistory, match="newer rung"):
            verb()


def test_a_layout_1_history_is_marked_layout_2_when_rung_first_writes_to_it(backend, migrations):
    """Layout 2 adds event kinds (repeatable runs, adopt, fingerprint) an older rung would
    misread; marking the table makes such a rung refuse it instead."""
    m = migrator(backend, three(migrations))
    m.up(target=(1,))
    backend.execute("DELETE FROM rung_history WHERE event = 'layout'")
    backend.execute(
        "INSERT INTO rung_history (version, name, event, outcome, checksum_version, started_at)"
        " VALUES ('1', 'rung history layout', 'layout', 'success', 1, '2020-01-01 00:00:00')"
    )

    def layouts() -> list[str]:
        rows = backend.query("SELECT version FROM rung_history WHERE event = 'layout' ORDER BY id")
        return [str(row[0]) for row in rows]

    m.status()
    assert layouts() == ["1"]  # reading changes nothing
    m.up()
    assert layouts() == ["1", "2"]
    m.down()
    assert layouts() == ["1", "2"]  # once


def test_history_is_an_audit_trail(backend, migrations):
    m = migrator(backend, three(migrations))
    m.up()
    m.down()
    events = m.history()
    assert [(e.version_text, e.event, e.outcome) for e in events if e.outcome != "running"][
        -2:
    ] == [("003", "apply", "success"), ("003", "rollback", "success")]
    last = events[-1]
    assert last.os_user and last.host and last.rung_version and last.duration_ms is not None
    if backend.name != "sqlite":
        assert last.db_user


def test_validate_reports_bad_names_and_duplicates_without_a_database(tmp_path, migrations):
    write(
        migrations,
        {"01-add.sql": "", "V1_x.sql": "", "002_a.sql": "", "002_b.sql": "", "README.md": "x"},
    )
    report = Migrator(settings=Settings(directory=migrations)).validate()
    assert not report.ok
    text = "\n".join(report.problems)
    assert "01-add.sql" in text and "V1_x.sql" in text and "version 2 is also used" in text
    assert "README" not in text


def test_non_utf8_file_is_reported_with_its_line(backend, migrations):
    (migrations / "001_latin1.sql").write_bytes(b"-- ok\nINSERT INTO t VALUES ('caf\xe9');\n")
    with pytest.raises(InvalidMigrations) as bad:
        migrator(backend, migrations).up()
    assert any("001_latin1.sql:2: not UTF-8" in line for line in bad.value.details)
    assert backend.tables() == set()


def test_unterminated_string_is_reported_before_anything_runs(backend, migrations):
    write(
        migrations,
        {"001_users.sql": USERS, "002_bad.sql": "INSERT INTO users VALUES (1, 'oops);\n"},
    )
    with pytest.raises(ScriptError, match="002_bad.sql:1"):
        migrator(backend, migrations).up()
    assert "users" not in backend.tables()


def test_reading_a_sqlite_database_that_does_not_exist_does_not_create_it(tmp_path, migrations):
    three(migrations)
    url = f"sqlite:///{tmp_path / 'not_yet.db'}"
    m = Migrator(url, migrations)
    assert m.status().count(PENDING) == 3
    assert m.history() == [] and m.validate().ok
    assert len(m.up(dry_run=True).steps) == 3
    assert not (tmp_path / "not_yet.db").exists()
    m.up()
    assert (tmp_path / "not_yet.db").exists()
