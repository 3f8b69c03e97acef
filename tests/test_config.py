"""Settings precedence, config files and database URLs, without a server.

Every test passes `cwd` and `environ` to load_settings, so the real environment and the
folder pytest runs in never leak in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rung.config import load_settings, parse_url, redact
from rung.errors import ConfigError


def toml(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- precedence of the database URL -------------------------------------------------------------

SOURCES = ("flag", "RUNG_DATABASE_URL", "DATABASE_URL", "rung.toml", "pyproject.toml")


@pytest.mark.parametrize("first", range(len(SOURCES)), ids=SOURCES)
def test_database_url_comes_from_the_first_source_that_sets_it(tmp_path, first):
    """flags > RUNG_DATABASE_URL > DATABASE_URL > rung.toml > [tool.rung] in pyproject.toml."""
    present = SOURCES[first:]
    environ = {name: f"sqlite:///{name}.db" for name in SOURCES[1:3] if name in present}
    if "rung.toml" in present:
        toml(tmp_path / "rung.toml", 'database = "sqlite:///rung.toml.db"\n')
    if "pyproject.toml" in present:
        toml(
            tmp_path / "pyproject.toml",
            '[project]\nname = "app"\n\n[tool.rung]\ndatabase = "sqlite:///pyproject.toml.db"\n',
        )
    flag = "sqlite:///flag.db" if "flag" in present else None
    settings = load_settings(database=flag, cwd=tmp_path, environ=environ)
    assert settings.database == f"sqlite:///{SOURCES[first]}.db"


def test_empty_environment_variable_counts_as_unset(tmp_path):
    environ = {"RUNG_DATABASE_URL": "", "DATABASE_URL": "sqlite:///fallback.db"}
    assert load_settings(cwd=tmp_path, environ=environ).database == "sqlite:///fallback.db"


def test_no_database_anywhere_is_a_config_error_with_a_hint(tmp_path):
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.database is None
    with pytest.raises(ConfigError, match="no database given") as error:
        settings.url()
    assert "RUNG_DATABASE_URL" in error.value.hint
    assert error.value.exit_code == 3


def test_pyproject_without_a_rung_table_is_ignored(tmp_path):
    toml(tmp_path / "pyproject.toml", '[project]\nname = "app"\n')
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.config_file is None and settings.database is None


def test_rung_toml_is_preferred_to_pyproject(tmp_path):
    toml(tmp_path / "rung.toml", 'database = "sqlite:///from_rung_toml.db"\n')
    toml(tmp_path / "pyproject.toml", '[tool.rung]\ndatabase = "sqlite:///from_pyproject.db"\n')
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.config_file == tmp_path / "rung.toml"
    assert settings.database == "sqlite:///from_rung_toml.db"


def test_explicit_config_file_is_used_instead_of_the_default(tmp_path):
    toml(tmp_path / "rung.toml", 'database = "sqlite:///default.db"\n')
    other = toml(tmp_path / "deploy" / "other.toml", 'database = "sqlite:///other.db"\n')
    settings = load_settings(config_file=other, cwd=tmp_path, environ={})
    assert settings.database == "sqlite:///other.db"


def test_explicit_config_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found: .*nope.toml"):
        load_settings(config_file=tmp_path / "nope.toml", cwd=tmp_path, environ={})


# -- other settings -----------------------------------------------------------------------------


def test_directory_defaults_to_migrations_in_the_current_folder(tmp_path):
    assert load_settings(cwd=tmp_path, environ={}).directory == tmp_path / "migrations"


def test_directory_in_a_config_file_is_relative_to_that_file(tmp_path):
    config = toml(tmp_path / "deploy" / "rung.toml", 'directory = "db/migrations"\n')
    settings = load_settings(config_file=config, cwd=tmp_path, environ={})
    assert settings.directory.resolve() == (tmp_path / "deploy" / "db" / "migrations").resolve()


def test_directory_in_pyproject_is_relative_to_pyproject(tmp_path):
    toml(tmp_path / "pyproject.toml", '[tool.rung]\ndirectory = "sql"\n')
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.directory.resolve() == (tmp_path / "sql").resolve()


def test_dir_flag_beats_the_config_file(tmp_path):
    toml(tmp_path / "rung.toml", 'directory = "from_file"\n')
    settings = load_settings(directory=tmp_path / "from_flag", cwd=tmp_path, environ={})
    assert settings.directory == tmp_path / "from_flag"


def test_history_table_schema_and_lock_timeout_come_from_the_file(tmp_path):
    toml(
        tmp_path / "rung.toml",
        'history_table = "schema_log"\nhistory_schema = "ops"\nlock_timeout = 5\n',
    )
    settings = load_settings(cwd=tmp_path, environ={})
    assert (settings.history_table, settings.history_schema, settings.lock_timeout) == (
        "schema_log",
        "ops",
        5.0,
    )
    assert load_settings(lock_timeout=0.5, cwd=tmp_path, environ={}).lock_timeout == 0.5


def test_defaults_without_any_config(tmp_path):
    settings = load_settings(cwd=tmp_path, environ={})
    assert (settings.history_table, settings.history_schema, settings.lock_timeout) == (
        "rung_history",
        None,
        60.0,
    )


def test_lock_timeout_that_is_not_a_number_is_an_error_naming_the_file(tmp_path):
    toml(tmp_path / "rung.toml", 'lock_timeout = "soon"\n')
    with pytest.raises(ConfigError, match=r"lock_timeout must be a number.*rung\.toml"):
        load_settings(cwd=tmp_path, environ={})


# -- environments -------------------------------------------------------------------------------

ENVIRONMENTS = """\
database = "sqlite:///base.db"
history_table = "schema_log"
lock_timeout = 60

[env.staging]
database = "postgresql://deploy@staging.internal/app"
lock_timeout = 5
"""


def test_env_selects_its_table_and_inherits_the_rest(tmp_path):
    toml(tmp_path / "rung.toml", ENVIRONMENTS)
    settings = load_settings(env="staging", cwd=tmp_path, environ={})
    assert settings.database == "postgresql://deploy@staging.internal/app"
    assert settings.lock_timeout == 5.0  # the env table wins
    assert settings.history_table == "schema_log"  # the base table fills in the rest


def test_env_database_beats_the_environment_variables(tmp_path):
    toml(tmp_path / "rung.toml", ENVIRONMENTS)
    environ = {"RUNG_DATABASE_URL": "sqlite:///rung_var.db", "DATABASE_URL": "sqlite:///var.db"}
    settings = load_settings(env="staging", cwd=tmp_path, environ=environ)
    assert settings.database == "postgresql://deploy@staging.internal/app"


def test_database_flag_beats_the_env_table(tmp_path):
    toml(tmp_path / "rung.toml", ENVIRONMENTS)
    settings = load_settings(database="sqlite:///flag.db", env="staging", cwd=tmp_path, environ={})
    assert settings.database == "sqlite:///flag.db"


def test_without_env_the_variables_beat_the_base_table(tmp_path):
    toml(tmp_path / "rung.toml", ENVIRONMENTS)
    settings = load_settings(cwd=tmp_path, environ={"DATABASE_URL": "sqlite:///var.db"})
    assert settings.database == "sqlite:///var.db"


def test_env_without_database_falls_back_to_variables_then_base(tmp_path):
    toml(tmp_path / "rung.toml", 'database = "sqlite:///base.db"\n[env.ci]\nlock_timeout = 1\n')
    assert load_settings(env="ci", cwd=tmp_path, environ={}).database == "sqlite:///base.db"
    environ = {"DATABASE_URL": "sqlite:///var.db"}
    assert load_settings(env="ci", cwd=tmp_path, environ=environ).database == "sqlite:///var.db"


def test_unknown_env_is_an_error_naming_it(tmp_path):
    toml(tmp_path / "rung.toml", ENVIRONMENTS)
    with pytest.raises(ConfigError, match="no environment named 'prodution'") as error:
        load_settings(env="prodution", cwd=tmp_path, environ={})
    assert "[env.prodution]" in error.value.hint


def test_env_without_any_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no environment named 'staging'"):
        load_settings(env="staging", cwd=tmp_path, environ={})


def test_env_in_pyproject_is_found(tmp_path):
    """The error hint itself suggests [tool.rung.env.NAME]; such a table must then work."""
    toml(
        tmp_path / "pyproject.toml",
        '[tool.rung]\ndatabase = "sqlite:///base.db"\n\n'
        '[tool.rung.env.staging]\ndatabase = "sqlite:///staging.db"\n',
    )
    settings = load_settings(
        env="staging", cwd=tmp_path, environ={"DATABASE_URL": "sqlite:///v.db"}
    )
    assert settings.database == "sqlite:///staging.db"


def test_directory_of_an_env_table_is_relative_to_the_config_file(tmp_path):
    config = toml(tmp_path / "conf" / "rung.toml", '[env.ci]\ndirectory = "ci_migrations"\n')
    settings = load_settings(env="ci", config_file=config, cwd=tmp_path, environ={})
    assert settings.directory.resolve() == (tmp_path / "conf" / "ci_migrations").resolve()


# -- errors in config files ---------------------------------------------------------------------


def test_unknown_setting_is_an_error_naming_the_key_and_the_file(tmp_path):
    config = toml(tmp_path / "rung.toml", 'databse = "sqlite:///typo.db"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(cwd=tmp_path, environ={})
    assert "'databse'" in error.value.message and str(config) in error.value.message
    assert "database" in error.value.hint  # the known settings are listed


def test_unknown_setting_in_an_env_table_names_the_table(tmp_path):
    toml(tmp_path / "rung.toml", '[env.prod]\ndatabase = "sqlite:///p.db"\nlock_timout = 3\n')
    with pytest.raises(
        ConfigError, match=r"rung\.toml \[env\.prod\]: unknown setting 'lock_timout'"
    ):
        load_settings(env="prod", cwd=tmp_path, environ={})


def test_unknown_setting_in_pyproject_names_tool_rung(tmp_path):
    toml(tmp_path / "pyproject.toml", '[tool.rung]\ndirectry = "m"\n')
    with pytest.raises(
        ConfigError, match=r"pyproject\.toml \[tool\.rung\]: unknown setting 'directry'"
    ):
        load_settings(cwd=tmp_path, environ={})


def test_toml_syntax_error_names_the_file(tmp_path):
    config = toml(tmp_path / "rung.toml", 'database = "sqlite:///app.db\n')
    with pytest.raises(ConfigError) as error:
        load_settings(cwd=tmp_path, environ={})
    assert str(config) in error.value.message
    assert "TOML" in error.value.hint


def test_config_file_that_is_not_utf8_names_the_file(tmp_path):
    config = tmp_path / "rung.toml"
    config.write_bytes(b'database = "sqlite:///caf\xe9.db"\n')
    with pytest.raises(ConfigError, match=str(config)):
        load_settings(cwd=tmp_path, environ={})


# -- ${VAR} expansion ---------------------------------------------------------------------------


def test_variables_in_the_database_url_are_expanded(tmp_path):
    toml(tmp_path / "rung.toml", 'database = "postgresql://app:${DB_PASSWORD}@${DB_HOST}/app"\n')
    environ = {"DB_PASSWORD": "hunter22", "DB_HOST": "db.internal"}
    settings = load_settings(cwd=tmp_path, environ=environ)
    assert settings.database == "postgresql://app:hunter22@db.internal/app"


def test_variables_in_an_env_table_are_expanded(tmp_path):
    toml(
        tmp_path / "rung.toml",
        '[env.production]\ndatabase = "postgresql://deploy@db/app?password=${DB_PASSWORD}"\n',
    )
    settings = load_settings(env="production", cwd=tmp_path, environ={"DB_PASSWORD": "pw-prod"})
    assert settings.database == "postgresql://deploy@db/app?password=pw-prod"


def test_missing_variable_is_an_error_naming_it_and_the_file(tmp_path):
    config = toml(tmp_path / "rung.toml", 'database = "postgresql://app:${DB_PASSWORD}@db/app"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(cwd=tmp_path, environ={})
    assert "DB_PASSWORD" in error.value.message and str(config) in error.value.message


def test_missing_variable_of_an_unused_env_is_not_an_error(tmp_path):
    toml(
        tmp_path / "rung.toml",
        'database = "sqlite:///dev.db"\n[env.production]\ndatabase = "postgresql://d:${PW}@db/app"\n',
    )
    assert load_settings(cwd=tmp_path, environ={}).database == "sqlite:///dev.db"


@pytest.mark.parametrize(
    "override",
    [
        {"database": "sqlite:///flag.db"},
        {"environ": {"DATABASE_URL": "sqlite:///var.db"}},
    ],
    ids=["flag", "DATABASE_URL"],
)
def test_missing_variable_of_an_overridden_database_is_not_an_error(tmp_path, override):
    """The file's URL is not used, so the variable it needs is not needed either."""
    toml(tmp_path / "rung.toml", 'database = "postgresql://app:${DB_PASSWORD}@db/app"\n')
    environ = override.get("environ", {})
    settings = load_settings(database=override.get("database"), cwd=tmp_path, environ=environ)
    assert settings.database in ("sqlite:///flag.db", "sqlite:///var.db")


# -- URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("postgres://app@db.internal/app", "postgresql"),
        ("postgresql://app@db.internal/app", "postgresql"),
        ("postgresql+psycopg://app@db.internal/app", "postgresql"),
        ("mysql://app@db.internal/app", "mysql"),
        ("mariadb://app@db.internal/app", "mysql"),
        ("mysql+pymysql://app@db.internal/app", "mysql"),
        ("mssql+pyodbc://app@db.internal/app", "generic"),
    ],
)
def test_server_url_schemes_pick_the_dialect_family(text, family):
    url = parse_url(text)
    assert url.family == family
    assert (url.username, url.host, url.database) == ("app", "db.internal", "app")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("sqlite:///relative.db", "relative.db"),
        ("sqlite:///sub/relative.db", "sub/relative.db"),
        ("sqlite:////absolute/app.db", "/absolute/app.db"),
        ("app.db", "app.db"),
        ("x.sqlite", "x.sqlite"),
        ("data/x.sqlite3", "data/x.sqlite3"),
        ("sqlite://", ":memory:"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls_and_bare_paths(text, path):
    url = parse_url(text)
    assert (url.family, url.path) == ("sqlite", path)


def test_host_port_user_database_and_query_are_parsed():
    url = parse_url("postgresql://deploy@db.internal:6543/app?sslmode=require&connect_timeout=3")
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "deploy",
        None,
        "db.internal",
        6543,
        "app",
    )
    assert url.query == {"sslmode": "require", "connect_timeout": "3"}


def test_percent_encoded_password_is_decoded():
    url = parse_url("postgresql://app:p%40ss%3Aw%2Frd1@db.internal:5432/app")
    assert url.password == "p@ss:w/rd1"
    assert (url.username, url.host, url.port, url.database) == ("app", "db.internal", 5432, "app")
    assert "p%40ss" not in url.redacted and url.redacted.startswith("postgresql://app:***@")


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://app@db.internal:notaport/app",
        "postgresql://app@db.internal:99999/app",
        "mysql://app@[::1/app",
        "",
        "   ",
        "just-some-words",
        "notes.txt",
    ],
)
def test_malformed_urls_are_config_errors_with_a_hint(text):
    with pytest.raises(ConfigError) as error:
        parse_url(text)
    assert error.value.exit_code == 3
    assert "sqlite:///" in error.value.hint


def test_malformed_url_error_does_not_show_its_password():
    with pytest.raises(ConfigError) as error:
        parse_url("postgresql://app:Zq8malformedpw@db.internal:notaport/app")
    assert "Zq8malformedpw" not in error.value.message
    assert "app:***@db.internal" in error.value.message


# -- redaction ----------------------------------------------------------------------------------
# Passwords are remembered process-wide once parsed: each test uses a password of its own.


def test_redact_hides_the_password_of_any_url_in_text():
    text = "could not reach postgresql://app:Never7Seen@db.internal/app (timeout)"
    assert redact(text) == "could not reach postgresql://app:***@db.internal/app (timeout)"


def test_redact_leaves_urls_without_password_alone():
    text = "postgresql://app@db.internal/app and sqlite:////var/app.db"
    assert redact(text) == text


def test_redact_hides_a_parsed_password_anywhere_in_text():
    parse_url("mysql://app:Xk9-seen-pw@db.internal/app")
    assert redact("driver said: Access denied (Xk9-seen-pw)") == "driver said: Access denied (***)"


def test_redact_hides_both_forms_of_a_percent_encoded_password():
    parse_url("postgresql://app:Qq%2Fenc%40pw@db.internal/app")
    assert redact("raw Qq/enc@pw, encoded Qq%2Fenc%40pw") == "raw ***, encoded ***"


def test_redacted_property_hides_the_password():
    url = parse_url("mariadb://root:Rr5redacted@127.0.0.1:3306/app")
    assert url.redacted == "mariadb://root:***@127.0.0.1:3306/app"
    assert "Rr5redacted" not in url.redacted


def test_redacted_url_hides_every_part_of_a_password_containing_at():
    """Passwords pasted unencoded (`p@ss`) are common; no part of them may show."""
    url = parse_url("postgresql://app:Ab3@Cd4@db.internal/app")
    assert url.redacted == "postgresql://app:***@db.internal/app"
