"""`rung adopt --from TOOL`: taking over a database another tool has been migrating, on
SQLite, PostgreSQL and MariaDB. Each tool's table is created with the columns that tool
uses, holding the rows it leaves, beside the schema objects its migrations created."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import Backend, run_rung, write
from rung import Migrator
from rung.adopt.flyway import checksum as flyway_checksum
from rung.adopt.table import moment
from rung.config import Settings
from rung.errors import InvalidMigrations, RequestRefused, UsageError
from rung.model import HistoryEvent
from rung.plan import APPLIED, BASELINE, MODIFIED, PENDING, derive

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);\n"
POSTS = "CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(100));\n"
TAGS = "CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(50));\n"
COMMENTS = "CREATE TABLE comments (id INTEGER PRIMARY KEY, body VARCHAR(500));\n"
VIEW = "DROP VIEW IF EXISTS user_emails;\nCREATE VIEW user_emails AS SELECT email FROM users;\n"


# -- helpers ----------------------------------------------------------------------------------
def java_checksum(text: str) -> int:
    """Flyway's checksum as its Java code computes it, written independently of rung's: a
    CRC-32 updated with each line BufferedReader.readLine() returns (\\n, \\r or \\r\\n end
    a line and are not part of it), the byte-order mark dropped, cast to a signed int."""
    lines, current, index = [], "", 0
    while index < len(text):
        char = text[index]
        if char in "\r\n":
            lines.append(current)
            current = ""
            if char == "\r" and text[index + 1 : index + 2] == "\n":
                index += 1
        else:
            current += char
        index += 1
    if current:
        lines.append(current)
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    crc = 0
    for line in lines:
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= (1 << 31) else crc


def q(backend: Backend, name: str) -> str:
    return backend.dialect.quote(name)


def rows(backend: Backend, table: str, order: str) -> list[tuple[Any, ...]]:
    return backend.query(f"SELECT * FROM {q(backend, table)} ORDER BY {order}")


def settings(backend: Backend, folder: Path, format: str | None = None) -> Settings:
    return Settings(database=backend.url.text, directory=folder, format=format)


def states(m: Migrator) -> dict[str, str]:
    return {item.label: item.state for item in m.status().migrations}


def config(tmp_path: Path, backend: Backend, folder: str, format: str | None = None) -> None:
    lines = [f'database = "{backend.url.text}"', f'directory = "{folder}"']
    if format:
        lines.append(f'format = "{format}"')
    (tmp_path / "rung.toml").write_text("\n".join(lines) + "\n")


def adopted_events(backend: Backend) -> list[tuple[Any, ...]]:
    return [row for row in backend.history_rows() if row[1] == "adopt"]


# -- Flyway -----------------------------------------------------------------------------------
FLYWAY_DDL = {
    "postgresql": (
        'CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL,'
        ' "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL,'
        ' "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER,'
        ' "installed_by" VARCHAR(100) NOT NULL,'
        ' "installed_on" TIMESTAMP NOT NULL DEFAULT now(),'
        ' "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL)',
        'ALTER TABLE "flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk"'
        ' PRIMARY KEY ("installed_rank")',
        'CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success")',
    ),
    "mariadb": (
        "CREATE TABLE `flyway_schema_history` (`installed_rank` INT NOT NULL,"
        " `version` VARCHAR(50), `description` VARCHAR(200) NOT NULL,"
        " `type` VARCHAR(20) NOT NULL, `script` VARCHAR(1000) NOT NULL, `checksum` INT,"
        " `installed_by` VARCHAR(100) NOT NULL,"
        " `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
        " `execution_time` INT NOT NULL, `success` BOOL NOT NULL,"
        " CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY (`installed_rank`)) ENGINE=InnoDB",
        "CREATE INDEX `flyway_schema_history_s_idx` ON `flyway_schema_history` (`success`)",
    ),
    "sqlite": (
        'CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY,'
        ' "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL,'
        ' "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INT,'
        ' "installed_by" VARCHAR(100) NOT NULL,'
        " \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),"
        ' "execution_time" INT NOT NULL, "success" BOOLEAN NOT NULL)',
        'CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success")',
    ),
}

FlywayRow = tuple[int, str | None, str, str, str, int | None, str, int, bool]


def flyway_table(backend: Backend, entries: list[FlywayRow], table: str = "") -> None:
    """The table as Flyway leaves it: (rank, version, description, type, script, checksum,
    installed_on, execution_time, success) per row."""
    statements = list(FLYWAY_DDL[backend.name])
    if table:
        statements = [s.replace("flyway_schema_history", table) for s in statements]
    backend.execute(*statements)
    for rank, version, description, kind, script, crc, on, took, ok in entries:
        backend.execute(
            f"INSERT INTO {q(backend, table or 'flyway_schema_history')} VALUES ({rank}, "
            f"{'NULL' if version is None else repr(version)}, '{description}', '{kind}', "
            f"'{script}', {'NULL' if crc is None else crc}, 'deploy', "
            f"'2024-01-0{on} 10:00:00', {took}, {'TRUE' if ok else 'FALSE'})"
        )


def flyway_project(backend: Backend, folder: Path) -> list[FlywayRow]:
    """Three migrations Flyway applied (users, posts, tags), each with its undo where it has
    one, and a repeatable view it ran after them; the database holds what they made."""
    files = {
        "R__user_emails.sql": VIEW,
        "V1__create_users.sql": USERS,
        "V1_1__add_posts.sql": POSTS.replace("\n", "\r\n"),  # written on Windows
        "U1_1__add_posts.sql": "DROP TABLE posts;\n",
        "V2__add_tags.sql": "\ufeff" + TAGS,  # with a byte-order mark
        "U2__add_tags.sql": "DROP TABLE tags;\n",
    }
    write(folder, files)
    backend.execute(USERS, POSTS, TAGS, *VIEW.splitlines())

    def ran(rank: int, version: str | None, script: str, day: int, took: int) -> FlywayRow:
        description = script.split("__", 1)[1].removesuffix(".sql").replace("_", " ")
        return (
            rank,
            version,
            description,
            "SQL",
            script,
            java_checksum(files[script]),
            day,
            took,
            True,
        )

    entries = [
        ran(1, "1", "V1__create_users.sql", 1, 12),
        ran(2, "1.1", "V1_1__add_posts.sql", 2, 7),
        ran(3, "2", "V2__add_tags.sql", 3, 5),
        ran(4, None, "R__user_emails.sql", 3, 2),  # Flyway runs repeatables after the others
    ]
    if backend.name == "postgresql":  # Flyway created the schema it migrates
        entries.insert(
            0, (0, None, "<< Flyway Schema Creation >>", "SCHEMA", '"public"', None, 1, 0, True)
        )
    flyway_table(backend, entries)
    return entries


def test_flyway_checksum_is_flyways_crc32_of_the_lines(tmp_path):
    for index, text in enumerate(
        ("", "SELECT 1;", "a\nb\n", "a\r\nb", "\ufeffé\r\r\nx\n\n", "-- ü\n" * 300)
    ):
        path = tmp_path / f"V{index}__x.sql"
        path.write_bytes(text.encode("utf-8"))
        assert flyway_checksum(SimpleNamespace(path=path)) == str(java_checksum(text))
    # Line endings and a byte-order mark do not change it, as Flyway documents.
    assert java_checksum("a\r\nb\r\n") == java_checksum("\ufeffa\nb")


def test_flyway_project_is_adopted_with_its_times_and_carries_on(backend, tmp_path):
    folder = tmp_path / "db" / "migration"
    folder.mkdir(parents=True)
    flyway_project(backend, folder)
    before = rows(backend, "flyway_schema_history", "installed_rank")
    config(tmp_path, backend, "db/migration")  # no `format`: adopt reads Flyway's names

    adopted = run_rung(tmp_path, "adopt", "--from", "flyway")
    assert adopted.code == 0, adopted.text
    assert (
        "recorded 3 migration(s) as applied, 1 repeatable(s) as run from flyway_schema_history"
        in adopted.out
    )
    assert 'add format = "flyway" to rung.toml' in adopted.out
    assert rows(backend, "flyway_schema_history", "installed_rank") == before

    config(tmp_path, backend, "db/migration", "flyway")
    assert run_rung(tmp_path, "status", "--exit-code").code == 0
    status = run_rung(tmp_path, "status", "--json").json()
    assert [(m["version"], m["state"]) for m in status["migrations"]] == [
        ("1", APPLIED),
        ("1_1", APPLIED),
        ("2", APPLIED),
    ]
    assert [m["applied_at"][:19] for m in status["migrations"]] == [
        "2024-01-01T10:00:00",
        "2024-01-02T10:00:00",
        "2024-01-03T10:00:00",
    ]
    assert [m["duration_ms"] for m in status["migrations"]] == [12, 7, 5]
    up = run_rung(tmp_path, "up")
    assert up.code == 0 and "Nothing to apply" in up.out

    history = run_rung(tmp_path, "history", "--json").json()["events"]
    assert [(e["event"], e["outcome"], e["version"]) for e in history] == [
        ("adopt", "applied", "1"),
        ("adopt", "applied", "1_1"),
        ("adopt", "applied", "2"),
        ("adopt", "applied", "repeatable"),
        ("adopt", "noted", "0"),
    ]
    assert history[-1]["name"] == "flyway_schema_history (flyway) at version 2"
    assert "flyway_schema_history (flyway) at version 2" in run_rung(tmp_path, "history").out

    write(
        folder, {"V3__add_comments.sql": COMMENTS, "U3__add_comments.sql": "DROP TABLE comments;"}
    )
    up = run_rung(tmp_path, "up")
    assert up.code == 0 and "applied V3__add_comments" in up.out, up.text
    assert "comments" in backend.tables()
    # The adopted migrations roll back with their undo files, like any other.
    down = run_rung(tmp_path, "down", "--steps", "2")
    assert down.code == 0, down.text
    assert not {"comments", "tags"} & backend.tables()


def test_flyway_baseline_row_becomes_the_baseline_and_repeatables_are_reported(backend, migrations):
    write(
        migrations,
        {"V1__legacy.sql": USERS, "V2__add_posts.sql": POSTS, "V3__add_tags.sql": TAGS},
    )
    backend.execute(USERS, POSTS)
    flyway_table(
        backend,
        [
            (
                1,
                "1",
                "<< Flyway Baseline >>",
                "BASELINE",
                "<< Flyway Baseline >>",
                None,
                1,
                0,
                True,
            ),
            (2, "2", "add posts", "SQL", "V2__add_posts.sql", java_checksum(POSTS), 2, 3, True),
            (3, None, "views", "SQL", "R__views.sql", 12345, 3, 1, True),
        ],
    )
    m = Migrator(settings=settings(backend, migrations, "flyway"))
    report = m.adopt("flyway")
    assert report.baseline is not None and report.baseline.version == (1,)
    assert [item.migration.label for item in report.adopted] == ["V2__add_posts"]
    assert [p.label for p in report.pending] == ["V3__add_tags"]
    assert report.not_adopted == [
        f"R__views.sql: a repeatable migration with no file in {migrations}; not recorded"
    ]
    assert states(m) == {"V1__legacy": BASELINE, "V2__add_posts": APPLIED, "V3__add_tags": PENDING}
    assert [s.migration.label for s in m.up().steps] == ["V3__add_tags"]
    assert "tags" in backend.tables()


def test_flyway_repeatable_changed_since_it_last_ran_is_left_to_run_again(backend, migrations):
    flyway_project(backend, migrations)
    (migrations / "R__user_emails.sql").write_text(VIEW.replace("SELECT email", "SELECT id, email"))
    m = Migrator(settings=settings(backend, migrations, "flyway"))
    report = m.adopt("flyway")
    assert report.repeatables == []
    assert report.not_adopted == [
        "R__user_emails.sql: changed since Flyway last ran it; not recorded, so `rung up` runs "
        "it again, as Flyway would"
    ]
    assert [item.state for item in m.status().repeatables] == [PENDING]
    assert [s.migration.label for s in m.up().steps] == ["R__user_emails"]
    assert m.status().up_to_date


def test_flyway_file_changed_since_it_ran_shows_as_modified_until_repaired(backend, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    flyway_project(backend, folder)
    (folder / "V2__add_tags.sql").write_text(TAGS + "-- an afterthought\n")
    config(tmp_path, backend, "migrations", "flyway")

    adopted = run_rung(tmp_path, "adopt", "--from", "flyway")
    assert adopted.code == 0, adopted.text
    assert "V2__add_tags: changed since Flyway applied it" in adopted.out
    assert f"the checksum Flyway recorded, {java_checksum(TAGS)}, is not the file's" in adopted.out
    status = run_rung(tmp_path, "status")
    assert "V2__add_tags: edited after it was applied" in status.out
    assert run_rung(tmp_path, "up").code == 5  # as for any applied file edited since
    assert run_rung(tmp_path, "repair").code == 0
    assert run_rung(tmp_path, "status", "--exit-code").code == 0


def test_flyway_failed_row_is_refused_and_nothing_is_written(backend, migrations):
    flyway_project(backend, migrations)
    backend.execute(
        f"UPDATE {q(backend, 'flyway_schema_history')} SET success = FALSE WHERE version = '2'"
    )
    before = rows(backend, "flyway_schema_history", "installed_rank")
    with pytest.raises(RequestRefused, match="1 failed Flyway migration") as refused:
        Migrator(settings=settings(backend, migrations)).adopt("flyway")
    assert any(
        detail.startswith("2 (add tags): success = false") for detail in refused.value.details
    )
    assert "flyway repair" in refused.value.hint
    assert "nothing was written" in refused.value.message
    assert "rung_history" not in backend.tables()
    assert rows(backend, "flyway_schema_history", "installed_rank") == before


def test_flyway_entry_without_a_file_is_reported_not_recorded(backend, migrations):
    flyway_project(backend, migrations)
    (migrations / "V1_1__add_posts.sql").unlink()
    (migrations / "U1_1__add_posts.sql").unlink()
    m = Migrator(settings=settings(backend, migrations, "flyway"))
    report = m.adopt("flyway")
    assert [item.migration.label for item in report.adopted] == ["V1__create_users", "V2__add_tags"]
    assert report.not_adopted == [
        f"1.1 (add posts): no migration file with version 1.1 in {migrations}; not recorded"
    ]
    assert states(m) == {"V1__create_users": APPLIED, "V2__add_tags": APPLIED}


def test_table_option_names_another_table(backend, migrations):
    write(migrations, {"V1__create_users.sql": USERS})
    backend.execute(USERS)
    flyway_table(
        backend,
        [(1, "1", "create users", "SQL", "V1__create_users.sql", java_checksum(USERS), 1, 4, True)],
        table="schema_version",
    )
    m = Migrator(settings=settings(backend, migrations, "flyway"))
    with pytest.raises(RequestRefused, match="no Flyway history table flyway_schema_history"):
        m.adopt("flyway")
    report = m.adopt("flyway", table="schema_version")
    assert report.table == "schema_version"
    assert states(m) == {"V1__create_users": APPLIED}


# -- refusals common to every tool ------------------------------------------------------------
def test_missing_table_is_refused_naming_table_and_database(backend, migrations, tmp_path):
    write(migrations, {"1_create_users.up.sql": USERS})
    config(tmp_path, backend, "migrations")
    result = run_rung(tmp_path, "adopt", "--from", "golang-migrate")
    assert result.code == 9
    assert "no golang-migrate history table schema_migrations in " in result.err
    assert str(backend.url.database or backend.url.path) in result.err
    assert "the connection's default schema" in result.err and "--table" in result.err
    assert "nothing was written" in result.err
    assert "rung_history" not in backend.tables()


def test_a_database_rung_already_migrated_is_refused(backend, migrations):
    write(migrations, {"1_create_users.up.sql": USERS})
    backend.execute(
        "CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT"
        " NULL)",
        "INSERT INTO schema_migrations VALUES (1, FALSE)",
    )
    m = Migrator(settings=settings(backend, migrations, "golang-migrate"))
    m.up()
    before = backend.history_rows()
    with pytest.raises(RequestRefused, match=r"already records 1 applied migration\(s\) \(1\)"):
        m.adopt("golang-migrate")
    assert backend.history_rows() == before


def test_adopting_twice_is_refused(backend, migrations):
    backend.execute(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
        " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        "INSERT INTO alembic_version VALUES ('ae1027a6acf')",
    )
    m = Migrator(backend.url.text, migrations)
    m.adopt("alembic")
    with pytest.raises(RequestRefused, match="already records an adoption"):
        m.adopt("alembic")
    assert len(adopted_events(backend)) == 1


def test_a_failed_rung_run_before_adopting_does_not_block_it(backend, migrations):
    """A team that first tried `rung up` on the old database (which failed, the tables being
    there) can still adopt: the adoption says the migration is applied."""
    write(migrations, {"1_create_users.up.sql": USERS})
    backend.execute(
        USERS,
        "CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT"
        " NULL)",
        "INSERT INTO schema_migrations VALUES (1, FALSE)",
    )
    m = Migrator(settings=settings(backend, migrations, "golang-migrate"))
    with pytest.raises(Exception, match="users"):
        m.up()
    m.adopt("golang-migrate")
    assert states(m) == {"1_create_users": APPLIED}
    assert m.up().steps == []


def test_options_a_tool_does_not_take_are_refused_before_connecting(migrations):
    m = Migrator("postgresql://nobody@127.0.0.1:1/none", migrations)
    with pytest.raises(RequestRefused, match="--version does not apply to --from flyway"):
        m.adopt("flyway", version=(3,))
    with pytest.raises(RequestRefused, match="--revision does not apply to --from sequelize"):
        m.adopt("sequelize", revision="abc")
    with pytest.raises(UsageError, match="--from liquid"):
        m.adopt("liquid")


def test_dry_run_shows_what_would_be_recorded_and_writes_nothing(backend, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    flyway_project(backend, folder)
    config(tmp_path, backend, "migrations", "flyway")
    result = run_rung(tmp_path, "adopt", "--from", "flyway", "--dry-run")
    assert result.code == 0, result.text
    assert "✓ V1__create_users (applied " in result.out
    assert "dry run: would record 3 migration(s)" in result.out
    assert "nothing was written" in result.out
    assert "rung_history" not in backend.tables()
    document = run_rung(tmp_path, "adopt", "--from", "flyway", "--dry-run", "--json").json()
    assert document["dry_run"] is True and document["tool"] == "flyway"
    assert [item["version"] for item in document["adopted"]] == ["1", "1_1", "2"]
    assert document["adopted"][0]["applied_at"].startswith("2024-01-01T10:00:00")
    assert document["adopted"][0]["duration_ms"] == 12
    assert document["position"] == "version 2" and document["pending"] == []
    assert "rung_history" not in backend.tables()


# -- golang-migrate ---------------------------------------------------------------------------
GOLANG_DDL = {
    "postgresql": 'CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null'
    " primary key, dirty boolean not null)",
    "mariadb": "CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint not null"
    " primary key, dirty boolean not null)",
    "sqlite": "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool)",
}


def golang_project(backend: Backend, folder: Path, version: int, dirty: bool = False) -> None:
    folder.mkdir(exist_ok=True)
    write(
        folder,
        {
            "000001_create_users.up.sql": USERS,
            "000001_create_users.down.sql": "DROP TABLE users;",
            "000002_add_posts.up.sql": POSTS,
            "000002_add_posts.down.sql": "DROP TABLE posts;",
            "000003_add_tags.up.sql": TAGS,
            "000003_add_tags.down.sql": "DROP TABLE tags;",
        },
    )
    backend.execute(USERS, POSTS, GOLANG_DDL[backend.name])
    if backend.name == "sqlite":
        backend.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version)"
        )
    backend.execute(
        f"INSERT INTO schema_migrations VALUES ({version}, {'TRUE' if dirty else 'FALSE'})"
    )


def test_golang_migrate_every_version_up_to_the_current_one_is_adopted(backend, tmp_path):
    golang_project(backend, tmp_path / "migrations", version=2)
    config(tmp_path, backend, "migrations", "golang-migrate")
    result = run_rung(tmp_path, "adopt", "--from", "golang-migrate")
    assert result.code == 0, result.text
    assert "- 000003_add_tags: pending" in result.out
    assert "hint" not in result.out  # the format is configured already
    status = run_rung(tmp_path, "status", "--json").json()
    assert [(m["version"], m["state"]) for m in status["migrations"]] == [
        ("000001", APPLIED),
        ("000002", APPLIED),
        ("000003", PENDING),
    ]
    up = run_rung(tmp_path, "up")
    assert up.code == 0 and "applied 000003_add_tags" in up.out
    assert run_rung(tmp_path, "up").out.startswith("Nothing to apply")
    assert backend.query("SELECT version, dirty FROM schema_migrations")[0][0] == 2


def test_golang_migrate_dirty_version_is_refused(backend, migrations):
    golang_project(backend, migrations, version=2, dirty=True)
    with pytest.raises(RequestRefused, match="marks version 2 dirty") as refused:
        Migrator(settings=settings(backend, migrations)).adopt("golang-migrate")
    assert "migrate force 2" in refused.value.hint
    assert "rung_history" not in backend.tables()
    assert len(backend.query("SELECT version FROM schema_migrations")) == 1


# -- dbmate -----------------------------------------------------------------------------------
def dbmate_file(up: str, down: str) -> str:
    return f"-- migrate:up\n{up}\n-- migrate:down\n{down}\n"


def test_dbmate_applied_versions_are_adopted(backend, tmp_path):
    folder = tmp_path / "db" / "migrations"
    folder.mkdir(parents=True)
    write(
        folder,
        {
            "20240101100000_create_users.sql": dbmate_file(USERS, "DROP TABLE users;"),
            "20240102100000_add_posts.sql": dbmate_file(POSTS, "DROP TABLE posts;"),
        },
    )
    backend.execute(
        USERS,
        POSTS,
        "create table if not exists schema_migrations (version varchar(128) primary key)",
        "insert into schema_migrations (version) values ('20240101100000')",
        "insert into schema_migrations (version) values ('20240102100000')",
    )
    config(tmp_path, backend, "db/migrations")
    result = run_rung(tmp_path, "adopt", "--from", "dbmate", "--json")
    assert result.code == 0, result.text
    document = result.json()
    assert [item["version"] for item in document["adopted"]] == ["20240101100000", "20240102100000"]
    assert document["hint"] == (
        'add format = "dbmate" to rung.toml, so that every rung command reads this folder as '
        "dbmate names its files"
    )
    config(tmp_path, backend, "db/migrations", "dbmate")
    assert run_rung(tmp_path, "status", "--exit-code").code == 0
    assert run_rung(tmp_path, "up").out.startswith("Nothing to apply")
    write(folder, {"20240301100000_add_tags.sql": dbmate_file(TAGS, "DROP TABLE tags;")})
    assert "applied 20240301100000_add_tags" in run_rung(tmp_path, "up").out
    assert backend.query("SELECT COUNT(*) FROM schema_migrations") == [(2,)]


def test_a_pending_file_older_than_the_newest_adopted_is_pointed_out(backend, migrations):
    """dbmate applies a file added late on a branch; rung refuses it out of order, so the
    report says so before anyone runs `rung up`."""
    write(
        migrations,
        {
            "20240101100000_create_users.sql": dbmate_file(USERS, "DROP TABLE users;"),
            "20240102100000_add_posts.sql": dbmate_file(POSTS, "DROP TABLE posts;"),
            "20240103100000_add_tags.sql": dbmate_file(TAGS, "DROP TABLE tags;"),
        },
    )
    backend.execute(
        USERS,
        TAGS,
        "create table schema_migrations (version varchar(128) primary key)",
        "insert into schema_migrations (version) values ('20240101100000')",
        "insert into schema_migrations (version) values ('20240103100000')",
    )
    m = Migrator(settings=settings(backend, migrations, "dbmate"))
    report = m.adopt("dbmate")
    assert [p.label for p in report.out_of_order] == ["20240102100000_add_posts"]
    with pytest.raises(InvalidMigrations, match="older than 20240103100000"):
        m.up()
    assert [s.migration.label for s in m.up(allow_out_of_order=True).steps] == [
        "20240102100000_add_posts"
    ]


def test_table_in_a_named_schema(backend, migrations):
    schema = {"postgresql": "public", "mariadb": backend.url.database, "sqlite": "main"}
    write(migrations, {"1_create_users.up.sql": USERS})
    backend.execute(
        USERS, GOLANG_DDL[backend.name], "INSERT INTO schema_migrations VALUES (1, FALSE)"
    )
    m = Migrator(settings=settings(backend, migrations, "golang-migrate"))
    with pytest.raises(RequestRefused, match="nowhere.*nothing was written"):
        m.adopt("golang-migrate", table="nowhere.schema_migrations")
    report = m.adopt("golang-migrate", table=f"{schema[backend.name]}.schema_migrations")
    assert report.table == f"{schema[backend.name]}.schema_migrations"
    assert states(m) == {"1_create_users": APPLIED}


def test_the_command_offers_every_tool_there_is_a_reader_for(tmp_path):
    from rung.adopt import TOOLS
    from rung.cli.adopt import TOOLS as OFFERED

    assert list(OFFERED) == sorted(TOOLS)
    result = run_rung(tmp_path, "adopt", "--from", "liquid")
    assert result.code == 2 and "'liquid' is not one of" in result.err


# -- Alembic, Flask-Migrate -------------------------------------------------------------------
def alembic_table(backend: Backend, *revisions: str) -> None:
    backend.execute(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
        " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        *(f"INSERT INTO alembic_version (version_num) VALUES ('{r}')" for r in revisions),
    )


def test_alembic_position_is_noted_and_rung_migrations_continue(backend, tmp_path):
    (tmp_path / "migrations").mkdir()
    backend.execute(USERS, POSTS)
    alembic_table(backend, "ae1027a6acf")
    config(tmp_path, backend, "migrations")
    result = run_rung(tmp_path, "adopt", "--from", "alembic")
    assert result.code == 0, result.text
    assert "alembic at revision ae1027a6acf" in result.out
    history = run_rung(tmp_path, "history", "--json").json()["events"]
    assert [(e["event"], e["outcome"], e["name"]) for e in history] == [
        ("adopt", "noted", "alembic_version (alembic) at revision ae1027a6acf")
    ]
    assert run_rung(tmp_path, "status", "--exit-code").code == 0
    write(tmp_path / "migrations", {"001_add_tags.sql": TAGS})
    up = run_rung(tmp_path, "up")
    assert up.code == 0 and "applied 001_add_tags" in up.out
    assert backend.query("SELECT version_num FROM alembic_version") == [("ae1027a6acf",)]


def test_alembic_with_version_counts_rung_migrations_up_to_it_as_applied(backend, migrations):
    write(migrations, {"001_schema.sql": USERS + POSTS, "002_add_tags.sql": TAGS})
    backend.execute(USERS, POSTS)
    alembic_table(backend, "ae1027a6acf")
    m = Migrator(backend.url.text, migrations)
    report = m.adopt("flask-migrate", version=(1,))
    assert report.baseline is not None and report.baseline.version_text == "001"
    assert states(m) == {"001_schema": BASELINE, "002_add_tags": PENDING}
    assert [s.migration.label for s in m.up().steps] == ["002_add_tags"]
    assert [row[:3] for row in backend.history_rows() if row[2] != "running"] == [
        ("001", "adopt", "baseline"),
        ("0", "adopt", "noted"),
        ("002", "apply", "success"),
    ]


def test_alembic_version_must_name_a_rung_migration(backend, migrations):
    write(migrations, {"001_schema.sql": USERS})
    alembic_table(backend, "ae1027a6acf")
    with pytest.raises(RequestRefused, match="--version 7: there is no migration with that"):
        Migrator(backend.url.text, migrations).adopt("alembic", version=(7,))
    assert "rung_history" not in backend.tables()


def test_alembic_several_heads_need_a_revision(backend, migrations):
    alembic_table(backend, "3f2a1b9c0d4e", "9b8c7d6e5f40")
    m = Migrator(backend.url.text, migrations)
    with pytest.raises(RequestRefused, match="holds 2 heads") as refused:
        m.adopt("alembic")
    assert refused.value.details == ("3f2a1b9c0d4e", "9b8c7d6e5f40")
    assert "alembic merge heads" in refused.value.hint
    with pytest.raises(RequestRefused, match="--revision 0000: alembic_version holds 3f2a"):
        m.adopt("alembic", revision="0000")
    assert "rung_history" not in backend.tables()
    report = m.adopt("alembic", revision="9b8c7d6e5f40")
    assert report.position == "revision 9b8c7d6e5f40 (heads 3f2a1b9c0d4e, 9b8c7d6e5f40)"


# -- Sequelize --------------------------------------------------------------------------------
SEQUELIZE_DDL = {
    "postgresql": 'CREATE TABLE IF NOT EXISTS "SequelizeMeta" ("name" VARCHAR(255) NOT NULL'
    ' UNIQUE , PRIMARY KEY ("name"))',
    "mariadb": "CREATE TABLE IF NOT EXISTS `SequelizeMeta` (`name` VARCHAR(255) NOT NULL UNIQUE"
    " , PRIMARY KEY (`name`)) ENGINE=InnoDB",
    "sqlite": "CREATE TABLE IF NOT EXISTS `SequelizeMeta` (`name` VARCHAR(255) NOT NULL UNIQUE"
    " PRIMARY KEY)",
}


def test_sequelize_last_migration_is_noted(backend, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    write(folder, {"001_schema.sql": USERS + POSTS})
    backend.execute(USERS, POSTS, SEQUELIZE_DDL[backend.name])
    for name in ("20240102-add-posts.js", "20240101-create-users.js"):
        backend.execute(f"INSERT INTO {q(backend, 'SequelizeMeta')} (name) VALUES ('{name}')")
    config(tmp_path, backend, "migrations")
    result = run_rung(tmp_path, "adopt", "--from", "sequelize", "--version", "001")
    assert result.code == 0, result.text
    assert "sequelize at 20240102-add-posts.js (2 migration(s) applied)" in result.out
    assert run_rung(tmp_path, "status", "--exit-code").code == 0
    write(folder, {"002_add_tags.sql": TAGS})
    assert "applied 002_add_tags" in run_rung(tmp_path, "up").out
    assert len(backend.query(f"SELECT name FROM {q(backend, 'SequelizeMeta')}")) == 2


# -- reading the history back: pure -----------------------------------------------------------
def event(id: int, version: str, event: str, outcome: str, name: str = "x") -> HistoryEvent:
    return HistoryEvent(
        id,
        tuple(int(p) for p in version.split(".")),
        version,
        name,
        event,
        outcome,
        "c",
        1,
        None,
        None,
        (),
        None,
        datetime(2024, 1, id, tzinfo=UTC),
        None,
        None,
        None,
        None,
        None,
    )


def test_adopt_events_count_as_applied_and_the_note_changes_nothing():
    state = derive(
        [
            event(1, "1", "adopt", "baseline"),
            event(2, "2", "adopt", "applied"),
            event(3, "0", "adopt", "noted"),
        ]
    )
    assert state.baseline == (1,)
    assert set(state.states) == {(2,)}
    assert state.states[(2,)].applied and state.states[(2,)].applied_at.day == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 1, 2, 3, 4, 5), datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02 03:04:05.123", datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)),
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (1704164645000, datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),  # milliseconds
        ("1704164645", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),  # seconds, as text
        (None, None),
        ("yesterday", None),
    ],
)
def test_times_are_read_as_the_tools_store_them(value, expected):
    assert moment(value) == expected


# -- Prisma -----------------------------------------------------------------------------------
PRISMA_DDL = {
    "postgresql": 'CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) NOT NULL,'
    ' "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,'
    ' "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,'
    ' "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),'
    ' "applied_steps_count" INTEGER NOT NULL DEFAULT 0,'
    ' CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id"))',
    "mariadb": "CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL,"
    " checksum VARCHAR(64) NOT NULL, finished_at DATETIME(3),"
    " migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at DATETIME(3),"
    " started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),"
    " applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0) DEFAULT CHARACTER SET utf8mb4",
    "sqlite": 'CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL,'
    ' "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL,'
    ' "logs" TEXT, "rolled_back_at" DATETIME,'
    ' "started_at" DATETIME NOT NULL DEFAULT current_timestamp,'
    ' "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)',
}


def prisma_time(backend: Backend, day: int, second: int = 0) -> str:
    """2024-01-DAY 10:00:SECOND UTC as Prisma stores it: milliseconds on SQLite."""
    if backend.name == "sqlite":
        moment = datetime(2024, 1, day, 10, 0, second, tzinfo=UTC)
        return str(int(moment.timestamp() * 1000))
    return f"'2024-01-0{day} 10:00:0{second}'"


def prisma_row(
    backend: Backend,
    id: int,
    name: str,
    text: str,
    started: int,
    finished: bool = True,
    rolled_back: bool = False,
) -> str:
    import hashlib

    checksum = hashlib.sha256(text.encode()).hexdigest()
    return (
        f"INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs,"
        f" rolled_back_at, started_at, applied_steps_count) VALUES ('{id:036d}', '{checksum}',"
        f" {prisma_time(backend, started, 2) if finished else 'NULL'}, '{name}', NULL,"
        f" {prisma_time(backend, started, 5) if rolled_back else 'NULL'},"
        f" {prisma_time(backend, started)}, {1 if finished else 0})"
    )


def prisma_project(backend: Backend, folder: Path) -> None:
    """Two migrations; the second failed once, was marked rolled back, then applied."""
    for name, text in (("20240101120000_init", USERS), ("20240102093000_add_posts", POSTS)):
        (folder / name).mkdir(parents=True)
        (folder / name / "migration.sql").write_text(text)
    (folder / "migration_lock.toml").write_text('provider = "postgresql"\n')
    backend.execute(
        USERS,
        POSTS,
        PRISMA_DDL[backend.name],
        prisma_row(backend, 1, "20240101120000_init", USERS, 1),
        prisma_row(backend, 2, "20240102093000_add_posts", POSTS, 2, False, rolled_back=True),
        prisma_row(backend, 3, "20240102093000_add_posts", POSTS, 3),
    )


def test_prisma_migrations_are_adopted_by_folder_name(backend, tmp_path):
    folder = tmp_path / "prisma" / "migrations"
    prisma_project(backend, folder)
    before = rows(backend, "_prisma_migrations", "id")
    config(tmp_path, backend, "prisma/migrations")
    result = run_rung(tmp_path, "adopt", "--from", "prisma", "--json")
    assert result.code == 0, result.text
    document = result.json()
    assert [
        (i["version"], i["applied_at"][:19], i["duration_ms"]) for i in document["adopted"]
    ] == [
        ("20240101120000", "2024-01-01T10:00:00", 2000),
        ("20240102093000", "2024-01-03T10:00:00", 2000),  # the run that finished counts
    ]
    assert document["hint"].startswith('add format = "prisma" to rung.toml')
    assert rows(backend, "_prisma_migrations", "id") == before

    config(tmp_path, backend, "prisma/migrations", "prisma")
    assert run_rung(tmp_path, "status", "--exit-code").code == 0
    assert run_rung(tmp_path, "up").out.startswith("Nothing to apply")
    (folder / "20240301120000_add_tags").mkdir()
    (folder / "20240301120000_add_tags" / "migration.sql").write_text(TAGS)
    up = run_rung(tmp_path, "up")
    assert "applied 20240301120000_add_tags" in up.out, up.text


def test_prisma_failed_or_rolled_back_migration_is_refused(backend, migrations):
    prisma_project(backend, migrations)
    backend.execute(prisma_row(backend, 4, "20240101120000_init", USERS, 4, finished=False))
    m = Migrator(settings=settings(backend, migrations))
    with pytest.raises(RequestRefused, match="1 Prisma migration") as refused:
        m.adopt("prisma")
    assert refused.value.details[0].startswith("20240101120000_init: started 2024-01-04")
    assert "prisma migrate resolve" in refused.value.hint
    backend.execute(
        "DELETE FROM _prisma_migrations WHERE id <> '000000000000000000000000000000000002'"
    )
    with pytest.raises(RequestRefused, match="did not complete") as refused:
        m.adopt("prisma")
    assert refused.value.details == (
        "20240102093000_add_posts: rolled back, and not applied again since",
    )
    assert "rung_history" not in backend.tables()


def test_prisma_checksum_tells_an_edited_migration(backend, migrations):
    prisma_project(backend, migrations)
    (migrations / "20240101120000_init" / "migration.sql").write_text(USERS + "-- later\n")
    m = Migrator(settings=settings(backend, migrations, "prisma"))
    report = m.adopt("prisma")
    assert [item.migration.label for item in report.changed] == ["20240101120000_init"]
    assert states(m) == {"20240101120000_init": MODIFIED, "20240102093000_add_posts": APPLIED}


# -- diesel -----------------------------------------------------------------------------------
def diesel_folder(folder: Path, name: str, up: str, down: str) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "up.sql").write_text(up)
    (folder / name / "down.sql").write_text(down)


def test_diesel_versions_without_dashes_are_adopted(backend, tmp_path):
    folder = tmp_path / "migrations"
    diesel_folder(folder, "00000000000000_diesel_initial_setup", "SELECT 1;\n", "SELECT 1;\n")
    diesel_folder(folder, "2017-12-13-123456_create_users", USERS, "DROP TABLE users;\n")
    diesel_folder(folder, "2017-12-14-090000_create_posts", POSTS, "DROP TABLE posts;\n")
    backend.execute(
        USERS,
        "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY"
        " NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        "INSERT INTO __diesel_schema_migrations (version, run_on)"
        " VALUES ('00000000000000', '2024-01-01 09:00:00')",
        "INSERT INTO __diesel_schema_migrations (version, run_on)"
        " VALUES ('20171213123456', '2024-01-01 10:00:00')",
    )
    config(tmp_path, backend, "migrations", "diesel")
    result = run_rung(tmp_path, "adopt", "--from", "diesel")
    assert result.code == 0, result.text
    assert "diesel at version 20171213123456" in result.out
    assert "- 2017-12-14-090000_create_posts: pending" in result.out
    status = run_rung(tmp_path, "status", "--json").json()["migrations"]
    assert [(m["version"], m["state"]) for m in status] == [
        ("00000000000000", APPLIED),
        ("2017-12-13-123456", APPLIED),
        ("2017-12-14-090000", PENDING),
    ]
    assert status[1]["applied_at"].startswith("2024-01-01T10:00:00")
    up = run_rung(tmp_path, "up")
    assert "applied 2017-12-14-090000_create_posts" in up.out, up.text
    assert run_rung(tmp_path, "down").code == 0  # the adopted ones roll back like any other
    assert "posts" not in backend.tables()


# -- Liquibase --------------------------------------------------------------------------------
LIQUIBASE_COLUMNS = (
    "ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL,"
    " DATEEXECUTED {time} NOT NULL, ORDEREXECUTED INT NOT NULL, EXECTYPE VARCHAR(10) NOT NULL,"
    " MD5SUM VARCHAR(35), DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG VARCHAR(255),"
    " LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255),"
    " DEPLOYMENT_ID VARCHAR(10)"
)
LIQUIBASE_TIME = {
    "postgresql": "TIMESTAMP WITHOUT TIME ZONE",
    "mariadb": "datetime",
    "sqlite": "TEXT",
}
USERS_CHANGELOG = (
    "--liquibase formatted sql\n\n--changeset alice:create-users\n"
    + USERS
    + "--rollback DROP TABLE users;\n\n--changeset alice:index-email\n"
    "CREATE INDEX ix_users_email ON users (email);\n--rollback DROP INDEX ix_users_email;\n"
)
POSTS_CHANGELOG = (
    "--liquibase formatted sql\n\n--changeset bob:create-posts\n"
    + POSTS
    + "--rollback DROP TABLE posts;\n"
)


def liquibase_project(backend: Backend, folder: Path, ran: list[tuple[str, str, str, str]]) -> None:
    """Changelogs 001 and 002 in the folder; DATABASECHANGELOG holds `ran`: (id, author,
    file, exectype) in the order Liquibase ran them."""
    write(
        folder, {"001-create-users.sql": USERS_CHANGELOG, "002-create-posts.sql": POSTS_CHANGELOG}
    )
    (folder / "db.changelog-master.xml").write_text("<databaseChangeLog/>\n")
    time = LIQUIBASE_TIME[backend.name]
    backend.execute(
        USERS,
        "CREATE INDEX ix_users_email ON users (email)",
        POSTS,
        f"CREATE TABLE DATABASECHANGELOG ({LIQUIBASE_COLUMNS.format(time=time)})",
        "CREATE TABLE DATABASECHANGELOGLOCK (ID INT NOT NULL PRIMARY KEY, LOCKED BOOLEAN NOT NULL,"
        " LOCKGRANTED TIMESTAMP NULL, LOCKEDBY VARCHAR(255))",
    )
    for order, (changeset_id, author, filename, kind) in enumerate(ran, 1):
        backend.execute(
            "INSERT INTO DATABASECHANGELOG (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED,"
            f" EXECTYPE, MD5SUM, LIQUIBASE, DEPLOYMENT_ID) VALUES ('{changeset_id}', '{author}',"
            f" '{filename}', '2024-01-0{order} 10:00:00', {order}, '{kind}',"
            " '9:0123456789abcdef0123456789abcdef', '4.25.1', '4123456789')"
        )


LIQUIBASE_RAN = [
    ("legacy-1", "ops", "db/changelog/000-legacy.xml", "EXECUTED"),
    ("create-users", "alice", "db/changelog/001-create-users.sql", "EXECUTED"),
    ("index-email", "alice", "db/changelog/001-create-users.sql", "MARK_RAN"),
    ("create-posts", "bob", "classpath:/db/changelog/002-create-posts.sql", "EXECUTED"),
]


def test_liquibase_changelogs_whose_changesets_all_ran_are_adopted(backend, tmp_path):
    folder = tmp_path / "changelog"
    folder.mkdir()
    liquibase_project(backend, folder, LIQUIBASE_RAN)
    config(tmp_path, backend, "changelog", "liquibase")
    result = run_rung(tmp_path, "adopt", "--from", "liquibase")
    assert result.code == 0, result.text
    assert "✓ 001-create-users (applied " in result.out
    assert (
        "db/changelog/000-legacy.xml: 1 changeset(s) Liquibase ran, from no changelog in the "
        "folder; not recorded" in result.out
    )
    status = run_rung(tmp_path, "status", "--json").json()["migrations"]
    assert [(m["version"], m["state"]) for m in status] == [("001", APPLIED), ("002", APPLIED)]
    assert status[0]["applied_at"].startswith("2024-01-03T10:00:00")  # its last changeset
    assert run_rung(tmp_path, "up").out.startswith("Nothing to apply")
    write(
        folder,
        {"003-add-tags.sql": "--liquibase formatted sql\n\n--changeset carol:tags\n" + TAGS},
    )
    assert "applied 003-add-tags" in run_rung(tmp_path, "up").out
    assert len(backend.query("SELECT ID FROM DATABASECHANGELOG")) == 4


def test_liquibase_changelog_run_in_part_or_failed_is_refused(backend, migrations):
    liquibase_project(backend, migrations, LIQUIBASE_RAN[:2])
    m = Migrator(settings=settings(backend, migrations, "liquibase"))
    with pytest.raises(RequestRefused, match="ran only in part") as refused:
        m.adopt("liquibase")
    assert refused.value.details == (
        f"{migrations / '001-create-users.sql'}: Liquibase has not run alice:index-email",
    )
    backend.execute(
        "INSERT INTO DATABASECHANGELOG (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED,"
        " EXECTYPE) VALUES ('index-email', 'alice', 'db/changelog/001-create-users.sql',"
        " '2024-02-01 10:00:00', 9, 'FAILED')"
    )
    with pytest.raises(RequestRefused, match="1 failed Liquibase changeset"):
        m.adopt("liquibase")
    assert "rung_history" not in backend.tables()
