"""Placeholders in migrations: `${name}`, `${ident:name}`, `${literal:name}`, `$${name}`,
their values from the config and the environment, and which layouts replace them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from conftest import Backend, clean_env, run_rung, write
from rung import Migrator
from rung.config import Settings, load_settings
from rung.dialects import connect
from rung.errors import ConfigError, InvalidMigrations, MigrationFailed
from rung.plan import APPLIED

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
# Values that would end a string literal or an identifier quoted naively.
HOSTILE = [
    "'; DROP TABLE users; --",
    "\\'; DROP TABLE users; --",
    "\\",
    "it's \\n not a newline \\\\ '' \" `",
    'x"; DROP TABLE users; --',
    "x`; DROP TABLE users; --",
]


def migrator(backend: Backend, folder: Path, **values: Any) -> Migrator:
    settings = Settings(database=backend.url.text, directory=folder, **values)
    return Migrator(settings=settings)


def columns(backend: Backend, table_sql: str) -> list[str]:
    """The column names of a query's result, as the database reports them."""
    _, conn = connect(backend.url)
    try:
        cur = conn.cursor()
        cur.execute(table_sql)
        return [column[0] for column in cur.description]
    finally:
        conn.close()


def history_events(backend: Backend) -> list[tuple[Any, ...]]:
    return backend.history_rows() if "rung_history" in backend.tables() else []


# -- each kind, on every database ----------------------------------------------------------
def test_each_kind_is_replaced_and_runs(backend, migrations):
    write(
        migrations,
        {
            "001_items.sql": """-- rung:up
-- items for ${team}
CREATE TABLE ${prefix}items (id INTEGER PRIMARY KEY, note VARCHAR(100), tag VARCHAR(100));
CREATE TABLE ${ident:odd} (id INTEGER PRIMARY KEY);
INSERT INTO ${prefix}items (id, note, tag) VALUES (1, ${literal:team}, 'v${version}');
INSERT INTO ${prefix}items (id, note, tag) VALUES (2, '$${prefix} as written', '$${ident:odd}');
-- rung:down
DROP TABLE ${ident:odd};
DROP TABLE ${prefix}items;
""",
        },
    )
    values = {"prefix": "app_", "odd": "Order Lines", "team": "O'Brien's", "version": 3}
    m = migrator(backend, migrations, placeholders=values)
    m.up()
    assert {"app_items", "Order Lines"} <= backend.tables()
    assert backend.query("SELECT id, note, tag FROM app_items ORDER BY id") == [
        (1, "O'Brien's", "v3"),
        (2, "${prefix} as written", "${ident:odd}"),
    ]
    m.down()
    assert backend.tables() == {"rung_history"}


def test_hostile_values_are_data_and_names_never_sql(backend, migrations):
    """Each value goes in as a literal and as a column name; none may end its quotes."""
    literals = ", ".join(f"({i}, ${{literal:v{i}}})" for i in range(len(HOSTILE)))
    idents = ", ".join(f"${{ident:v{i}}} INTEGER" for i in range(len(HOSTILE)))
    write(
        migrations,
        {
            "001_users.sql": USERS,
            "002_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));\n"
            f"INSERT INTO notes (id, body) VALUES {literals};\n"
            f"CREATE TABLE odd (id INTEGER PRIMARY KEY, {idents});\n",
        },
    )
    values = {f"v{i}": value for i, value in enumerate(HOSTILE)}
    migrator(backend, migrations, placeholders=values).up()
    assert "users" in backend.tables()
    assert backend.query("SELECT body FROM notes ORDER BY id") == [(v,) for v in HOSTILE]
    assert columns(backend, "SELECT * FROM odd") == ["id", *HOSTILE]


def session_hook(tmp_path: Path, sql: str) -> dict[str, Any]:
    """Settings whose on_connect hook runs `sql` on rung's session, as a project may."""
    module = f"hooks_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(
        f"def on_connect(conn, dialect):\n    conn.cursor().execute({sql!r})\n"
    )
    return {"on_connect": f"{module}:on_connect", "config_file": tmp_path / "rung.toml"}


def no_backslash_escapes(tmp_path: Path) -> dict[str, Any]:
    return session_hook(
        tmp_path, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"
    )


NOTES = {
    "001_users.sql": USERS,
    "002_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));\n"
    "INSERT INTO notes VALUES (1, ${literal:a}), (2, ${literal:b});\n",
}


@pytest.mark.parametrize("backend", ["mariadb"], indirect=True)
def test_backslashes_follow_the_sessions_sql_mode_on_mysql(backend, migrations, tmp_path):
    """Under NO_BACKSLASH_ESCAPES a backslash is a plain character, and is not doubled."""
    write(migrations, NOTES)
    values = {"a": "C:\\temp\\dir", "b": "\\\\'x"}
    m = migrator(backend, migrations, placeholders=values, **no_backslash_escapes(tmp_path))
    dry = m.up(dry_run=True).steps[1].statements[1].text
    assert dry == "INSERT INTO notes VALUES (1, 'C:\\temp\\dir'), (2, '\\\\''x')"
    m.up()
    assert backend.query("SELECT body FROM notes ORDER BY id") == [(v,) for v in values.values()]


@pytest.mark.parametrize("backend", ["mariadb"], indirect=True)
def test_a_value_no_backslash_escapes_cannot_hold_safely_is_refused(backend, migrations, tmp_path):
    """rung splits MySQL scripts reading backslash escapes; `\\'` would end the literal
    in one place for the splitter and in another for the server."""
    write(migrations, NOTES)
    values = {"a": "\\'; DROP TABLE users; --", "b": "ends with \\"}
    m = migrator(backend, migrations, placeholders=values, **no_backslash_escapes(tmp_path))
    with pytest.raises(InvalidMigrations) as error:
        m.up()
    assert [line.split(": ", 1)[1][:40] for line in error.value.details] == [
        "the value of ${literal:a} cannot be quot",
        "the value of ${literal:b} cannot be quot",
    ]
    assert "NO_BACKSLASH_ESCAPES" in error.value.details[0]
    assert backend.tables() <= {"rung_history"} and history_events(backend) == []


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_backslashes_are_safe_without_standard_conforming_strings(backend, migrations, tmp_path):
    """With standard_conforming_strings off, '\\' escapes in every string: E'' always does."""
    write(migrations, NOTES)
    values = {"a": "\\'; DROP TABLE users; --", "b": "ends with \\"}
    hook = session_hook(tmp_path, "SET standard_conforming_strings = off")
    migrator(backend, migrations, placeholders=values, **hook).up()
    assert "users" in backend.tables()
    assert backend.query("SELECT body FROM notes ORDER BY id") == [(v,) for v in values.values()]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_quoted_values_inside_a_function_body_cannot_end_it(backend, migrations):
    write(
        migrations,
        {
            "001_f.sql": "CREATE FUNCTION greeting() RETURNS text AS $$\n"
            "  SELECT ${literal:greeting}::text\n"
            "$$ LANGUAGE sql;\n",
        },
    )
    m = migrator(backend, migrations, placeholders={"greeting": "it's $1 \\ ok"})
    m.up()
    assert backend.query("SELECT greeting()") == [("it's $1 \\ ok",)]

    write(migrations, {"002_g.sql": "DO $$ BEGIN PERFORM ${literal:g}; END $$;\n"})
    m = migrator(backend, migrations, placeholders={"greeting": "x", "g": "$$; DROP TABLE t; --"})
    with pytest.raises(InvalidMigrations) as error:
        m.up()
    assert list(error.value.details) == [
        f"{migrations / '002_g.sql'}:1: the value of ${{literal:g}} holds `$$`, which would end "
        "the dollar-quoted body it stands in"
    ]


# -- what the file must get right ----------------------------------------------------------
def test_unset_placeholders_are_all_named_before_anything_runs(backend, migrations):
    write(
        migrations,
        {
            "001_users.sql": USERS,
            "002_posts.sql": "CREATE TABLE posts (id INTEGER);\n\n"
            "INSERT INTO posts VALUES (${literal:first_id});\n",
            "003_tags.sql": "-- rung:up\nCREATE TABLE ${schema}.tags (id INTEGER);\n"
            "-- rung:down\nDROP TABLE ${schema}.tags;\n",
        },
    )
    with pytest.raises(InvalidMigrations) as error:
        migrator(backend, migrations).up()
    assert error.value.exit_code == 5
    assert list(error.value.details) == [
        f"{migrations / '002_posts.sql'}:3: placeholder ${{literal:first_id}} has no value",
        f"{migrations / '003_tags.sql'}:2: placeholder ${{schema}} has no value",
    ]
    assert "RUNG_PLACEHOLDER_FIRST_ID" in error.value.hint
    assert "RUNG_PLACEHOLDER_SCHEMA" in error.value.hint
    assert backend.tables() <= {"rung_history"}  # not even 001 ran
    assert history_events(backend) == []


def test_unset_placeholder_exits_5_from_the_command_line(tmp_path, migrations):
    write(migrations, {"001_users.sql": "CREATE TABLE ${ident:table} (id INTEGER);\n"})
    outcome = run_rung(tmp_path, "-d", "sqlite:///app.db", "up")
    assert outcome.code == 5
    assert "001_users.sql:1: placeholder ${ident:table} has no value" in outcome.err
    assert "RUNG_PLACEHOLDER_TABLE" in outcome.err


@pytest.mark.parametrize(
    "sql, problem",
    [
        (
            "SELECT 'a ${literal:v}';",
            "${literal:v} stands inside a string literal, where its quoting would protect "
            "nothing; put it in place of the whole literal, or write ${v} for a trusted value "
            "inserted as written",
        ),
        ('SELECT 1 AS "${ident:v}";', "${ident:v} stands inside a quoted identifier"),
        ("SELECT ${any:v};", "${any:v}: unknown placeholder kind 'any'"),
        ("SELECT ${rung:nothing};", "${rung:nothing}: unknown built-in placeholder"),
        (
            "/* by ${literal:v} */ SELECT 1;",
            "the value of ${literal:v} holds `*/`, which would end the comment it stands in",
        ),
        ("SELECT ${ident:empty};", "${ident:empty} is empty; an identifier cannot be"),
    ],
)
def test_misplaced_or_malformed_placeholders_are_refused(tmp_path, migrations, sql, problem):
    write(migrations, {"001_x.sql": f"-- rung:up\n{sql}\n"})
    m = Migrator(
        settings=Settings(
            database=f"sqlite:///{tmp_path / 'app.db'}",
            directory=migrations,
            placeholders={"v": "*/ DROP TABLE users; /*", "empty": ""},
        )
    )
    with pytest.raises(InvalidMigrations) as error:
        m.up()
    assert len(error.value.details) == 1
    assert error.value.details[0].startswith(f"{migrations / '001_x.sql'}:2: {problem}")


def test_placeholders_in_comments_are_replaced_and_harmless(backend, migrations):
    write(
        migrations,
        {
            "001_users.sql": "-- owner: ${literal:owner}, ${owner}\n"
            "CREATE TABLE users (id INTEGER PRIMARY KEY); -- ${ident:owner}\n"
            "CREATE TABLE posts /* ${literal:owner} */ (id INTEGER PRIMARY KEY);\n",
        },
    )
    m = migrator(backend, migrations, placeholders={"owner": "ops'; DROP TABLE users; --"})
    statements = m.up(dry_run=True).steps[0].statements
    assert "/* 'ops''; DROP TABLE users; --' */" in statements[1].text
    m.up()
    assert {"users", "posts"} <= backend.tables()


def test_line_numbers_stay_those_of_the_file(backend, migrations):
    write(
        migrations,
        {
            "001_x.sql": "-- rung:up\nCREATE TABLE ${prefix}a (id INTEGER);\n"
            "SELECT '$${escaped}';\n\nSELECT * FROM ${prefix}missing;\n",
        },
    )
    with pytest.raises(MigrationFailed) as error:
        migrator(backend, migrations, placeholders={"prefix": "app_"}).up()
    assert f"{migrations / '001_x.sql'}:5:" in error.value.message


# -- values: config, environments, environment variables -----------------------------------
def config(tmp_path: Path, text: str, environ: dict[str, str] | None = None, **kw: Any) -> Settings:
    (tmp_path / "rung.toml").write_text(text, encoding="utf-8")
    return load_settings(cwd=tmp_path, environ=environ or {}, **kw)


TOML = """
[placeholders]
schema = "app"
Owner = "ops"
retention_days = 30
"audit.table" = "audit_log"

[env.staging.placeholders]
schema = "app_staging"
"""


def test_values_come_from_the_config_and_environment_variables_win(tmp_path):
    assert config(tmp_path, TOML).placeholders == {
        "schema": "app",
        "owner": "ops",
        "retention_days": "30",
        "audit_table": "audit_log",
    }
    assert config(tmp_path, TOML, env="staging").placeholders["schema"] == "app_staging"
    environ = {"RUNG_PLACEHOLDER_SCHEMA": "from_env", "RUNG_PLACEHOLDER_extra": ""}
    loaded = config(tmp_path, TOML, environ=environ, env="staging")
    assert loaded.placeholders["schema"] == "from_env" and loaded.placeholders["extra"] == ""


def test_pyproject_holds_placeholders_too(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.rung]\nplaceholder_replacement = false\n[tool.rung.placeholders]\nschema = "s"\n'
    )
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.placeholders == {"schema": "s"}
    assert settings.placeholder_replacement is False


def test_the_environment_overrides_the_config_in_a_real_run(tmp_path, migrations):
    (tmp_path / "rung.toml").write_text(
        'database = "sqlite:///app.db"\n[placeholders]\nTable = "from_config"\n'
    )
    write(migrations, {"001_t.sql": "CREATE TABLE ${ident:table} (id INTEGER);\n"})
    env = clean_env(RUNG_PLACEHOLDER_TABLE="from_env")
    dry = run_rung(tmp_path, "up", "--dry-run", env=env)
    assert 'CREATE TABLE "from_env" (id INTEGER);' in dry.out, dry.err
    assert run_rung(tmp_path, "up").code == 0
    assert run_rung(tmp_path, "up", env=env).out.count("applied") == 0  # nothing pending


@pytest.mark.parametrize(
    "text, environ, message",
    [
        ('[placeholders]\nx = "a\\nb"\n', {}, "[placeholders] x: a placeholder value must be one"),
        ("[placeholders]\nx = true\n", {}, "x must be a string or a number, not bool"),
        ("[placeholders]\nx = [1]\n", {}, "x must be a string or a number, not list"),
        ('[placeholders]\n"my-x" = "a"\n', {}, "'my-x' is not a placeholder name"),
        ('[placeholders]\nx = "a"\nX = "b"\n', {}, "'x' and 'X' are the same placeholder"),
        ("placeholders = 3\n", {}, "[placeholders]: must be a table"),
        ('placeholder_replacement = "yes"\n', {}, "must be true or false"),
        ("", {"RUNG_PLACEHOLDER_X": "a\rb"}, "environment variable RUNG_PLACEHOLDER_X: a "),
        ("", {"RUNG_PLACEHOLDER_A-B": "a"}, "RUNG_PLACEHOLDER_A-B: 'A-B' is not a placeholder"),
    ],
)
def test_bad_values_are_configuration_errors(tmp_path, text, environ, message):
    with pytest.raises(ConfigError) as error:
        config(tmp_path, text, environ=environ)
    assert message in error.value.message
    if not environ:
        assert str(tmp_path / "rung.toml") in error.value.message


def test_names_ignore_case_and_dots_match_underscores(tmp_path, migrations):
    write(migrations, {"001_t.sql": "SELECT ${literal:Audit.Table}, ${SCHEMA};\n"})
    settings = Settings(
        database=f"sqlite:///{tmp_path / 'a.db'}",
        directory=migrations,
        placeholders={"audit_table": "log", "schema": "s"},
    )
    step = Migrator(settings=settings).up(dry_run=True).steps[0]
    assert step.statements[0].text == "SELECT 'log', s"


def test_migrator_placeholders_win_over_the_environment(tmp_path, migrations, monkeypatch):
    monkeypatch.setenv("RUNG_PLACEHOLDER_NAME", "from_env")
    write(migrations, {"001_t.sql": "SELECT ${literal:name};\n"})
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert Migrator(url, migrations).up(dry_run=True).steps[0].statements[0].text == (
        "SELECT 'from_env'"
    )
    m = Migrator(url, migrations, placeholders={"name": "from_code"})
    assert m.up(dry_run=True).steps[0].statements[0].text == "SELECT 'from_code'"


# -- checksums: of the file as written -----------------------------------------------------
def test_changing_a_value_does_not_make_an_applied_migration_modified(backend, migrations):
    write(migrations, {"001_t.sql": "CREATE TABLE ${prefix}t (id INTEGER);\n"})
    first = migrator(backend, migrations, placeholders={"prefix": "a_"})
    first.up()
    again = migrator(backend, migrations, placeholders={"prefix": "b_"})
    assert [item.state for item in again.status().migrations] == [APPLIED]
    assert again.up().steps == []
    stored = backend.query(
        "SELECT checksum FROM rung_history WHERE event = 'apply' AND outcome = 'success'"
    )
    assert stored == [(first.migrations()[0].checksum,)]
    assert "b_t" not in backend.tables()


# -- built-ins and Python migrations -------------------------------------------------------
def test_built_in_placeholders(backend, migrations):
    write(
        migrations,
        {
            "001_t.sql": "CREATE TABLE facts (k VARCHAR(20), v VARCHAR(200));\n"
            "INSERT INTO facts VALUES ('database', ${literal:rung:database}),"
            " ('table', ${literal:rung:table}), ('file', ${literal:rung:filename});\n"
            "INSERT INTO facts SELECT 'applied', version FROM ${ident:rung:table};\n",
        },
    )
    migrator(backend, migrations).up()
    database = "main" if backend.name == "sqlite" else backend.url.database
    assert backend.query("SELECT v FROM facts WHERE k = 'applied'")  # read from rung_history
    assert dict(backend.query("SELECT k, v FROM facts WHERE k <> 'applied'")) == {
        "database": database,
        "table": "rung_history",
        "file": "001_t.sql",
    }


def test_rung_user_is_the_database_user(backend, migrations):
    write(migrations, {"001_t.sql": "SELECT ${literal:rung:user};\n"})
    m = migrator(backend, migrations)
    if backend.url.username is None and backend.dialect.current_user_sql is None:
        with pytest.raises(InvalidMigrations) as error:
            m.up(dry_run=True)
        assert error.value.details[0].endswith("${literal:rung:user} has no value on this database")
        return
    text = m.up(dry_run=True).steps[0].statements[0].text
    assert text == f"SELECT '{backend.url.username}'"


def test_python_migrations_read_the_values_from_conn_info(backend, migrations):
    write(
        migrations,
        {
            "001_t.sql": "CREATE TABLE settings (k VARCHAR(50), v VARCHAR(50));\n",
            "002_fill.py": "from sqlalchemy import text\n\n\n"
            "def up(conn):\n"
            "    values = conn.info['placeholders']\n"
            "    conn.execute(text('INSERT INTO settings VALUES (:k, :v)'),"
            " [{'k': 'owner', 'v': values['owner']}, {'k': 'table', 'v': values['rung:table']}])\n",
        },
    )
    migrator(backend, migrations, placeholders={"Owner": "ops'team"}).up()
    assert sorted(backend.query("SELECT k, v FROM settings")) == [
        ("owner", "ops'team"),
        ("table", "rung_history"),
    ]


# -- which layouts replace placeholders ----------------------------------------------------
DATA_WITH_DOLLARS = "INSERT INTO t VALUES ('${user.name}', '$${kept}');\n"


@pytest.mark.parametrize(
    "format, files",
    [
        (
            "dbmate",
            {
                "20260101000000_t.sql": "-- migrate:up\n"
                "CREATE TABLE t (a VARCHAR(50), b VARCHAR(50));\n"
                + DATA_WITH_DOLLARS
                + "-- migrate:down\nDROP TABLE t;\n"
            },
        ),
        (
            "golang-migrate",
            {
                "1_t.up.sql": "CREATE TABLE t (a VARCHAR(50), b VARCHAR(50));\n"
                + DATA_WITH_DOLLARS,
                "1_t.down.sql": "DROP TABLE t;\n",
            },
        ),
    ],
)
def test_layouts_whose_tools_never_replace_run_their_files_as_written(
    backend, migrations, format, files
):
    write(migrations, files)
    migrator(backend, migrations, format=format).up()
    assert backend.query("SELECT a, b FROM t") == [("${user.name}", "$${kept}")]


def test_placeholder_replacement_turns_it_on_for_such_a_layout(backend, migrations):
    write(
        migrations,
        {
            "20260101000000_t.sql": "-- migrate:up\nCREATE TABLE ${table} (a VARCHAR(50));\n"
            "INSERT INTO ${table} VALUES ('$${kept}');\n"
        },
    )
    m = migrator(
        backend,
        migrations,
        format="dbmate",
        placeholder_replacement=True,
        placeholders={"table": "things"},
    )
    m.up()
    assert backend.query("SELECT a FROM things") == [("${kept}",)]


def test_placeholder_replacement_false_turns_it_off(tmp_path, migrations):
    write(migrations, {"001_t.sql": "SELECT '${anything}', '$${kept}';\n"})
    settings = Settings(
        database=f"sqlite:///{tmp_path / 'a.db'}",
        directory=migrations,
        placeholder_replacement=False,
    )
    step = Migrator(settings=settings).up(dry_run=True).steps[0]
    assert step.statements[0].text == "SELECT '${anything}', '$${kept}'"


def test_flyway_files_are_replaced_as_flyway_does(backend, migrations):
    write(migrations, {"V1__t.sql": "CREATE TABLE ${prefix}t (id INTEGER);\n"})
    migrator(backend, migrations, format="flyway", placeholders={"prefix": "fw_"}).up()
    assert "fw_t" in backend.tables()


def test_liquibase_changelog_parameters_are_replaced(backend, migrations):
    write(
        migrations,
        {
            "001-init.sql": "--liquibase formatted sql\n\n"
            "--changeset alice:1\n"
            "CREATE TABLE ${prefix}users (id INTEGER PRIMARY KEY, note VARCHAR(50));\n"
            "--rollback DROP TABLE ${prefix}users;\n\n"
            "--changeset alice:2 splitStatements:false\n"
            "INSERT INTO ${prefix}users VALUES (1, ${literal:note});\n"
            "--rollback DELETE FROM ${prefix}users WHERE id = 1;\n",
        },
    )
    values = {"prefix": "lb_", "note": "it's"}
    m = migrator(backend, migrations, format="liquibase", placeholders=values)
    m.up()
    assert backend.query("SELECT id, note FROM lb_users") == [(1, "it's")]
    m.down()
    assert "lb_users" not in backend.tables()


# -- dry run and lint ----------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_dry_run_prints_the_replaced_sql_and_never_the_password(backend, migrations, tmp_path):
    write(migrations, {"001_t.sql": "CREATE TABLE ${ident:table} (id INTEGER);\n"})
    url = backend.url.text.replace("postgres@", "postgres:s3cret-pw@")  # trust auth ignores it
    env = clean_env(RUNG_PLACEHOLDER_TABLE="Accounts")
    outcome = run_rung(tmp_path, "-d", url, "up", "--dry-run", env=env)
    assert outcome.code == 0, outcome.err
    assert 'CREATE TABLE "Accounts" (id INTEGER);' in outcome.out
    assert "s3cret-pw" not in outcome.text


def test_lint_sees_known_values_and_neutral_tokens_for_the_rest(tmp_path, migrations):
    (tmp_path / "rung.toml").write_text('[placeholders]\ntable = "accounts"\n')
    write(
        migrations,
        {
            "001_t.sql": "ALTER TABLE ${ident:table} ADD COLUMN plan VARCHAR(10) NOT NULL;\n"
            "ALTER TABLE ${unknown}.users ADD COLUMN note VARCHAR(10) DEFAULT ${literal:n};\n"
            "CREATE TABLE ${ident:other} (id INTEGER PRIMARY KEY);\n",
        },
    )
    outcome = run_rung(tmp_path, "lint", "--dialect", "postgresql", "--format", "json")
    assert outcome.code == 11, outcome.text
    findings = json.loads(outcome.out)["findings"]  # every statement parsed: no parse errors
    assert [(f["rule"], f["line"]) for f in findings] == [
        ("missing-lock-timeout", 1),
        ("add-required-column", 1),
    ]
    assert findings[1]["message"].startswith("accounts.plan is added NOT NULL")


def test_check_reports_misplaced_placeholders_but_not_unset_ones(tmp_path, migrations):
    write(
        migrations,
        {
            "001_t.sql": "CREATE TABLE ${ident:unset} (id INTEGER PRIMARY KEY);\n",
            "002_u.sql": "-- rung:up\nSELECT 'hello ${literal:name}', ${kind:x};\n",
        },
    )
    outcome = run_rung(tmp_path, "check", "--dialect", "sqlite")
    assert outcome.code == 12, outcome.text
    assert "002_u.sql:2: ${literal:name} stands inside a string literal" in outcome.text
    assert "002_u.sql:2: ${kind:x}: unknown placeholder kind 'kind'" in outcome.text
    assert "001_t.sql" not in outcome.text  # a value may come at deploy time
