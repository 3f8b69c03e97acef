"""What each dialect knows that the rest of rung must not: drivers, errors, server settings."""

from __future__ import annotations

import psycopg
import pymysql
import pytest

from rung.config import parse_url
from rung.dialects import connect, dialect_for


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("sqlite:///a.db", "sqlite"),
        ("app.sqlite", "sqlite"),
        ("postgres://u@h/db", "postgresql"),
        ("postgresql+psycopg://u@h/db", "postgresql"),
        ("mysql://u@h/db", "mysql"),
        ("mariadb+pymysql://u@h/db", "mysql"),
        ("oracle+oracledb://u@h/db", "generic"),
    ],
)
def test_each_url_gets_its_dialect(url, dialect):
    assert dialect_for(parse_url(url)).name == dialect


def test_mariadb_is_recognised_when_connecting(backend):
    dialect, conn = connect(backend.url)
    conn.close()
    expected = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mariadb": "MariaDB"}
    assert dialect.display_name == expected[backend.name]


def test_postgresql_lock_exhaustion_names_the_setting_to_raise():
    dialect = dialect_for(parse_url("postgresql://u@h/db"))
    advice = dialect.explain_failure(psycopg.errors.OutOfMemory("out of shared memory"))
    assert "max_locks_per_transaction" in advice and "--single-transaction" in advice
    assert dialect.explain_failure(psycopg.errors.UndefinedTable("nope")) is None


def test_mysql_error_line_comes_from_the_server_message():
    dialect = dialect_for(parse_url("mysql://u@h/db"))
    error = pymysql.err.ProgrammingError(1064, "You have an error ... near 'x' at line 3")
    assert dialect.error_line(error, "a\nb\nc x") == 2
    assert dialect.error_message(error) == "(1064) You have an error ... near 'x' at line 3"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_error_line_comes_from_the_position(backend):
    dialect, conn = connect(backend.url)
    statement = "SELECT 1\nFROM nowhere_at_all"
    try:
        with pytest.raises(psycopg.Error) as failure:
            conn.execute(statement)
    finally:
        conn.close()
    assert dialect.error_line(failure.value, statement) == 1
    assert 'relation "nowhere_at_all" does not exist' in dialect.error_message(failure.value)


def test_unknown_url_scheme_is_a_config_error():
    from rung.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown database URL scheme 'nosuchdb'"):
        dialect_for(parse_url("nosuchdb://u:pw@h/db")).connect()


@pytest.mark.parametrize(
    ("url", "statement", "refused"),
    [
        ("postgresql://u@h/db", "CREATE INDEX CONCURRENTLY ix ON t (a)", True),
        ("postgresql://u@h/db", "create unique index\n  concurrently ix ON t (a)", True),
        ("postgresql://u@h/db", "DROP INDEX CONCURRENTLY ix", True),
        ("postgresql://u@h/db", "REINDEX (VERBOSE) TABLE CONCURRENTLY t", True),
        ("postgresql://u@h/db", "VACUUM FULL t", True),
        ("postgresql://u@h/db", "ALTER TABLE p DETACH PARTITION c CONCURRENTLY", True),
        ("postgresql://u@h/db", "CREATE INDEX ix ON t (a)", False),
        ("postgresql://u@h/db", "SELECT 'VACUUM'", False),
        ("postgresql://u@h/db", "CREATE TABLE vacuum_log (id int)", False),
        ("sqlite:///a.db", "VACUUM", True),
        ("sqlite:///a.db", "CREATE INDEX CONCURRENTLY_named ON t (a)", False),
        ("mysql://u@h/db", "CREATE INDEX ix ON t (a)", False),
    ],
)
def test_statements_that_cannot_run_in_a_transaction(url, statement, refused):
    reason = dialect_for(parse_url(url)).cannot_run_in_transaction(statement)
    assert (reason is not None) == refused
    if refused:
        assert reason.endswith("cannot run inside a transaction")
