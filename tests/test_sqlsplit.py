"""rung.sqlsplit: statements and their lines per flavour, errors, normalize, transactions.

The fixture files under fixtures/sql/ and the expected statement counts of the Authelia corpus
were checked against real servers (PostgreSQL 15, MariaDB 10.11, SQLite 3.40) when written;
these tests need no server.
"""

from __future__ import annotations

import re
import sqlite3
import time
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import corpus
from rung.errors import ScriptError
from rung.model import Statement
from rung.sqlsplit import FLAVOURS, is_transaction_control, normalize, split

FIXTURES = Path(__file__).parent / "fixtures" / "sql"


def texts(script: str, flavour: str) -> list[str]:
    return [statement.text for statement in split(script, flavour)]


def lines(script: str, flavour: str) -> list[int]:
    return [statement.line for statement in split(script, flavour)]


# --- every flavour ---------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
        ("SELECT 1;\nSELECT 2", ["SELECT 1", "SELECT 2"]),  # last one needs no ;
        ("  SELECT 1  ;  ", ["SELECT 1"]),
        (";;SELECT 1;;;", ["SELECT 1"]),
        ("", []),
        ("   \n\t\n", []),
        ("-- only a comment; really\n", []),
        ("/* a; */ -- b;\n/* c */;", []),
        ("SELECT 'a;b', 'it''s; ok';", ["SELECT 'a;b', 'it''s; ok'"]),
        ("SELECT '';SELECT '''';", ["SELECT ''", "SELECT ''''"]),
        ('SELECT "a;b", "say ""hi;""" FROM t;', ['SELECT "a;b", "say ""hi;""" FROM t']),
        ("SELECT 1 -- not; the end\n, 2;", ["SELECT 1 -- not; the end\n, 2"]),
        ("SELECT 1 /* not; the end */ , 2;", ["SELECT 1 /* not; the end */ , 2"]),
        ("SELECT 'multi\nline;\nstring';", ["SELECT 'multi\nline;\nstring'"]),
        ("-- lead\n/* lead */ SELECT 1 /* in */;", ["SELECT 1 /* in */"]),
        ("SELECT 1 -- trailing\n;", ["SELECT 1 -- trailing"]),
        ("SELECT 1; -- after\n", ["SELECT 1"]),
        ("SELECT begin_at, end_date, weekend FROM t; SELECT 'BEGIN';", None),
        ("SELECT a-b, a/b, a*b FROM t;", ["SELECT a-b, a/b, a*b FROM t"]),
        ("SELECT 1 --\n;", ["SELECT 1 --"]),
    ],
)
def test_common_constructs(flavour: str, script: str, expected: list[str] | None) -> None:
    if expected is None:
        expected = [part.strip() for part in script.split(";") if part.strip()]
    assert texts(script, flavour) == expected


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_lines_count_from_the_statement_start(flavour: str) -> None:
    script = "-- header\n\nSELECT 1;\n\n  SELECT\n  2; SELECT 3;\n/* x\n */ SELECT 4"
    assert split(script, flavour) == [
        Statement("SELECT 1", 3),
        Statement("SELECT\n  2", 5),
        Statement("SELECT 3", 6),
        Statement("SELECT 4", 8),
    ]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_endings(flavour: str, newline: str) -> None:
    script = newline.join(["-- c", "SELECT 1;", "", "SELECT 'a", "b';", "SELECT 3"])
    assert split(script, flavour) == [
        Statement("SELECT 1", 2),
        Statement("SELECT 'a\nb'", 4),
        Statement("SELECT 3", 6),
    ]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_byte_order_mark_and_first_line(flavour: str) -> None:
    script = "\ufeffSELECT 1;\nSELECT 2;"
    assert split(script, flavour, first_line=10) == [
        Statement("SELECT 1", 10),
        Statement("SELECT 2", 11),
    ]


def test_unknown_flavour() -> None:
    with pytest.raises(ValueError, match="oracle"):
        split("SELECT 1", "oracle")
    with pytest.raises(ValueError):
        normalize("SELECT 1", "oracle")


# --- postgresql --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (r"SELECT E'it\'s; fine'; SELECT 2;", [r"SELECT E'it\'s; fine'", "SELECT 2"]),
        (r"SELECT e'a\\'; SELECT 2;", [r"SELECT e'a\\'", "SELECT 2"]),
        (r"SELECT E'x''y;'", [r"SELECT E'x''y;'"]),
        (r"SELECT 'C:\'; SELECT 2;", [r"SELECT 'C:\'", "SELECT 2"]),  # standard strings
        (r"SELECT name'x\'; SELECT 2", [r"SELECT name'x\'", "SELECT 2"]),  # not an E-string
        ("SELECT U&'d\\0061t;a';", ["SELECT U&'d\\0061t;a'"]),
        ("SELECT $$a;b$$; SELECT 2;", ["SELECT $$a;b$$", "SELECT 2"]),
        ("SELECT $x$ $$; $x$;", ["SELECT $x$ $$; $x$"]),
        ("SELECT $a$ ; $A$ ; $a$;", ["SELECT $a$ ; $A$ ; $a$"]),  # tags are case-sensitive
        ("SELECT $_1$;$_1$;", ["SELECT $_1$;$_1$"]),
        ("SELECT $1; SELECT $2;", ["SELECT $1", "SELECT $2"]),  # parameters
        ("SELECT $1::int, $22;", ["SELECT $1::int, $22"]),
        ("SELECT foo$$bar; SELECT 2;", ["SELECT foo$$bar", "SELECT 2"]),  # identifier
        ("SELECT 1 /* a /* b; */ c; */; SELECT 2;", ["SELECT 1 /* a /* b; */ c; */", "SELECT 2"]),
        ("SELECT '--'; SELECT '/*';", ["SELECT '--'", "SELECT '/*'"]),
        ("SELECT 1 --x; SELECT 2", ["SELECT 1 --x; SELECT 2"]),
        ("SELECT a #- b;", ["SELECT a #- b"]),  # an operator, not a comment
    ],
)
def test_postgresql_quoting(script: str, expected: list[str]) -> None:
    assert texts(script, "postgresql") == expected


PG_FUNCTION = """\
CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF NEW.x IS NULL THEN NEW.x := 'a;b'; END IF;
    RETURN NEW;
END;
$body$;
SELECT 2"""

PG_ATOMIC = """\
CREATE PROCEDURE p(x int)
LANGUAGE SQL
begin atomic
    INSERT INTO t VALUES (CASE WHEN x > 0 THEN 1 ELSE 2 END);
    INSERT INTO t VALUES (x);
end;
SELECT 2"""


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (PG_FUNCTION, [PG_FUNCTION.removesuffix(";\nSELECT 2"), "SELECT 2"]),
        (PG_ATOMIC, [PG_ATOMIC.removesuffix(";\nSELECT 2"), "SELECT 2"]),
        ("DO $$ BEGIN PERFORM 1; END $$; SELECT 2", ["DO $$ BEGIN PERFORM 1; END $$", "SELECT 2"]),
        (
            "CREATE FUNCTION f() RETURNS int RETURN CASE WHEN true THEN 1 END; SELECT 2",
            ["CREATE FUNCTION f() RETURNS int RETURN CASE WHEN true THEN 1 END", "SELECT 2"],
        ),
        (  # BEGIN alone opens nothing in PostgreSQL
            "CREATE FUNCTION f() RETURNS TABLE (begin int) AS $$ SELECT 1 $$; BEGIN;",
            ["CREATE FUNCTION f() RETURNS TABLE (begin int) AS $$ SELECT 1 $$", "BEGIN"],
        ),
        (
            "CREATE FUNCTION f(int) RETURNS int AS 'SELECT $1; ' LANGUAGE sql; SELECT 2",
            ["CREATE FUNCTION f(int) RETURNS int AS 'SELECT $1; ' LANGUAGE sql", "SELECT 2"],
        ),
        ("BEGIN; CREATE TABLE t (x int); COMMIT;", ["BEGIN", "CREATE TABLE t (x int)", "COMMIT"]),
        ("BEGIN ISOLATION LEVEL SERIALIZABLE; END;", ["BEGIN ISOLATION LEVEL SERIALIZABLE", "END"]),
        ("SELECT CASE WHEN a THEN 1 END; SELECT 2", ["SELECT CASE WHEN a THEN 1 END", "SELECT 2"]),
    ],
)
def test_postgresql_bodies(script: str, expected: list[str]) -> None:
    assert texts(script, "postgresql") == expected


# --- mysql -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (r"SELECT 'it\'s; ok'; SELECT 2;", [r"SELECT 'it\'s; ok'", "SELECT 2"]),
        (r"SELECT 'C:\\'; SELECT 2;", [r"SELECT 'C:\\'", "SELECT 2"]),
        (r'SELECT "a\"; b"; SELECT 2;', [r'SELECT "a\"; b"', "SELECT 2"]),
        ("SELECT 'x''y;'; SELECT 2;", ["SELECT 'x''y;'", "SELECT 2"]),
        ("SELECT `a;b`, `x``y;` FROM t; SELECT 2", ["SELECT `a;b`, `x``y;` FROM t", "SELECT 2"]),
        ("SELECT 1 # c; c\n; SELECT 2", ["SELECT 1 # c; c", "SELECT 2"]),
        ("# c;\nSELECT 1", ["SELECT 1"]),
        ("SELECT 1--1; SELECT 2", ["SELECT 1--1", "SELECT 2"]),  # no space: not a comment
        ("SELECT 1 --x; SELECT 2", ["SELECT 1 --x", "SELECT 2"]),
        ("SELECT 1 -- x;\n; SELECT 2", ["SELECT 1 -- x;", "SELECT 2"]),
        ("SELECT 1 --\t x;\n; SELECT 2", ["SELECT 1 --\t x;", "SELECT 2"]),
        ("SELECT 1 ----2; SELECT 2", ["SELECT 1 ----2", "SELECT 2"]),
        ("SELECT 1 ---- 2; SELECT 2", ["SELECT 1 ---- 2; SELECT 2"]),  # as the server reads it
        ("SELECT 1 --- x;\n; SELECT 2", ["SELECT 1 --- x;", "SELECT 2"]),
        ("/*!40101 SET NAMES utf8 */;", ["/*!40101 SET NAMES utf8 */"]),
        ("/*!50003 CREATE*/ /*!50003 TRIGGER t BEGIN x; END */;", None),
        ("SELECT /*+ NO_ICP(t) */ a FROM t;", ["SELECT /*+ NO_ICP(t) */ a FROM t"]),
        ("/*M!100100 SET x=1 */; /* plain */;", ["/*M!100100 SET x=1 */"]),
        ("SELECT $$a; SELECT 2", ["SELECT $$a", "SELECT 2"]),  # no dollar quotes
    ],
)
def test_mysql_quoting(script: str, expected: list[str] | None) -> None:
    expected = expected or [script.removesuffix(";")]
    assert texts(script, "mysql") == expected


MYSQL_PROCEDURE = """\
CREATE DEFINER=`root`@`localhost` PROCEDURE p(IN n INT)
BEGIN
    DECLARE i INT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; END;
    outer_loop: LOOP
        SET i = i + 1;
        IF i > n THEN LEAVE outer_loop; END IF;
    END LOOP outer_loop;
    WHILE i > 0 DO SET i = i - 1; END WHILE;
    REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;
    CASE n WHEN 1 THEN SELECT 'one;'; ELSE BEGIN SELECT 'other'; END; END CASE;
    lbl: BEGIN
        SELECT CASE WHEN n > 1 THEN 'big' ELSE 'small' END INTO @size;
        UPDATE t SET t.end = NOW(), begin_at = NOW() WHERE t.id = n;
    END lbl;
END"""


@pytest.mark.parametrize(
    "routine",
    [
        MYSQL_PROCEDURE,
        "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END",
        "create procedure p() begin select 1; end",
        "CREATE OR REPLACE PROCEDURE p() BEGIN SELECT 1; END",
        "CREATE DEFINER = 'root'@'%' FUNCTION f() RETURNS INT BEGIN RETURN 1; END",
        "CREATE DEFINER=CURRENT_USER() TRIGGER t BEFORE INSERT ON x FOR EACH ROW"
        " BEGIN SET @a=1; END",
        "CREATE DEFINER=root@localhost TRIGGER t AFTER INSERT ON x FOR EACH ROW BEGIN DO 1; END",
        "CREATE AGGREGATE FUNCTION f(x INT) RETURNS INT BEGIN DECLARE s INT DEFAULT 0;"
        " DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN s;"
        " LOOP FETCH GROUP NEXT ROW; SET s = s + x; END LOOP; END",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END",
        "CREATE FUNCTION f(x INT) RETURNS INT RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END",
        "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1",
        "BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; IF x THEN SET x = 2; END IF; END",
        "CREATE /* why */ PROCEDURE p() BEGIN SELECT 1; END",
    ],
)
def test_mysql_compound_statements_without_delimiter(routine: str) -> None:
    script = f"SELECT 0;\n{routine};\nSELECT 9;"
    assert texts(script, "mysql") == ["SELECT 0", routine, "SELECT 9"]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("BEGIN; SELECT 1; COMMIT;", ["BEGIN", "SELECT 1", "COMMIT"]),
        ("BEGIN WORK; ROLLBACK;", ["BEGIN WORK", "ROLLBACK"]),
        (
            "CREATE TABLE event (begin INT, end INT); SELECT 2",
            ["CREATE TABLE event (begin INT, end INT)", "SELECT 2"],
        ),
        ("SELECT CASE WHEN a THEN 1 END; SELECT 2", ["SELECT CASE WHEN a THEN 1 END", "SELECT 2"]),
    ],
)
def test_mysql_begin_outside_routines(script: str, expected: list[str]) -> None:
    assert texts(script, "mysql") == expected


@pytest.mark.parametrize("delimiter", ["$$", "//", ";;", "|", "GO"])
def test_mysql_delimiter_lines(delimiter: str) -> None:
    script = (
        "SELECT 0;\n"
        f"DELIMITER {delimiter}\n"
        "CREATE PROCEDURE p()\nBEGIN\n  SELECT 'a;b'; SELECT 1;\n"
        f"END {delimiter}\n"
        f"SELECT 2{delimiter}\n"
        "delimiter ;\n"
        "SELECT 3;\n"
    )
    assert split(script, "mysql") == [
        Statement("SELECT 0", 1),
        Statement("CREATE PROCEDURE p()\nBEGIN\n  SELECT 'a;b'; SELECT 1;\nEND", 3),
        Statement("SELECT 2", 7),
        Statement("SELECT 3", 9),
    ]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # The first line of a script can be a DELIMITER line.
        ("DELIMITER //\nSELECT 1; SELECT 2//", [("SELECT 1; SELECT 2", 2)]),
        # A delimiter inside a string or a comment does not count.
        ("DELIMITER //\nSELECT '//' /* // */ //", [("SELECT '//' /* // */", 2)]),
        # A DELIMITER line ends a statement that forgot its delimiter.
        ("DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END\nDELIMITER ;\nSELECT 2",
         [("CREATE PROCEDURE p() BEGIN SELECT 1; END", 2), ("SELECT 2", 4)]),
        # Inside a string, or not at the start of a line, it is just a word.
        ("SELECT 'x\nDELIMITER //'; SELECT 2", [("SELECT 'x\nDELIMITER //'", 1), ("SELECT 2", 2)]),
        ("SELECT 1 DELIMITER; SELECT 2", [("SELECT 1 DELIMITER", 1), ("SELECT 2", 1)]),
        ("  DeLiMiTeR $$\nSELECT 1$$", [("SELECT 1", 2)]),
    ],
)  # fmt: skip
def test_mysql_delimiter_edges(script: str, expected: list[tuple[str, int]]) -> None:
    assert [(s.text, s.line) for s in split(script, "mysql")] == expected


def test_mysql_delimiter_needs_an_argument() -> None:
    with pytest.raises(ScriptError, match=r"^x\.sql:2: DELIMITER needs a delimiter") as error:
        split("SELECT 1;\nDELIMITER \nSELECT 2;", "mysql", path="x.sql")
    assert error.value.hint


@pytest.mark.parametrize("flavour", ["postgresql", "sqlite", "generic"])
def test_delimiter_lines_are_mysql_only(flavour: str) -> None:
    assert texts("DELIMITER //\nSELECT 1;", flavour) == ["DELIMITER //\nSELECT 1"]


# --- sqlite ------------------------------------------------------------------------------------

SQLITE_TRIGGER = """\
CREATE TRIGGER audit_update AFTER UPDATE ON t
WHEN CASE WHEN NEW.a > 0 THEN 1 ELSE 0 END
BEGIN
    INSERT INTO log VALUES (CASE WHEN NEW.a > 9 THEN 'big; really' ELSE 'small' END);
    UPDATE t SET end_date = CASE WHEN old.weekend THEN 1 END WHERE id = NEW.id;
    SELECT RAISE(ABORT, 'no; way') WHERE NEW.a < 0;
END"""


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (f"{SQLITE_TRIGGER};\nSELECT 2;", [SQLITE_TRIGGER, "SELECT 2"]),
        (
            "CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE 1 WHEN 1 THEN 2 END; END",
            None,
        ),
        (
            "create temporary trigger if not exists t before delete on x begin delete from y; end",
            None,
        ),
        ("BEGIN; SELECT 1; COMMIT;", ["BEGIN", "SELECT 1", "COMMIT"]),
        ("BEGIN TRANSACTION; SELECT 1; END;", ["BEGIN TRANSACTION", "SELECT 1", "END"]),
        ("BEGIN IMMEDIATE; END TRANSACTION;", ["BEGIN IMMEDIATE", "END TRANSACTION"]),
        ("SELECT [a;b], `c;d` FROM [t;]; SELECT 2", ["SELECT [a;b], `c;d` FROM [t;]", "SELECT 2"]),
        (r"SELECT 'a\'; SELECT 2", [r"SELECT 'a\'", "SELECT 2"]),
        ("SELECT $a; SELECT :b", ["SELECT $a", "SELECT :b"]),
    ],
)
def test_sqlite(script: str, expected: list[str] | None) -> None:
    if expected is None:
        expected, script = [script, "SELECT 2"], f"{script}; SELECT 2"
    assert texts(script, "sqlite") == expected
    assert all(sqlite3.complete_statement(text + "\n;") for text in expected)


# --- generic -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (r"SELECT 'a\'; SELECT 2", [r"SELECT 'a\'", "SELECT 2"]),  # no backslash escapes
        ("SELECT $$a; b$$", ["SELECT $$a", "b$$"]),  # no dollar quotes
        ("SELECT E'a\\'; SELECT 2", ["SELECT E'a\\'", "SELECT 2"]),  # no E-strings
        ("CREATE TRIGGER t AFTER INSERT ON x BEGIN DELETE FROM y; END; SELECT 2", None),
    ],
)
def test_generic(script: str, expected: list[str] | None) -> None:
    expected = expected or [script.removesuffix("; SELECT 2"), "SELECT 2"]
    assert texts(script, "generic") == expected


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavour", "script", "line", "what"),
    [
        ("postgresql", "SELECT 1;\n\nSELECT $fn$ body;\n", 3, "dollar-quoted string $fn$"),
        ("postgresql", "SELECT $$ x $ $", 1, "dollar-quoted string $$"),
        ("postgresql", "SELECT $a$ x $A$", 1, "dollar-quoted string $a$"),
        ("postgresql", "SELECT 1;\nSELECT E'it\\'s", 2, "string literal"),
        ("postgresql", "SELECT 1 /* a /* b */ c;\nSELECT 2", 1, "block comment"),
        ("mysql", "SELECT 1;\nSELECT 'it\\'s;\n", 2, "string literal"),
        ("mysql", 'SELECT "a\\"', 1, "quoted identifier"),
        ("mysql", "SELECT 1;\n\n\nSELECT `x", 4, "quoted identifier"),
        ("mysql", "/*!40101 SET NAMES utf8 ;", 1, "block comment"),
        ("sqlite", "SELECT [a;\nSELECT 2", 1, "bracketed identifier"),
        ("sqlite", "SELECT 'a''b", 1, "string literal"),
        ("generic", 'SELECT 1;\nSELECT "x;', 2, "quoted identifier"),
        ("generic", "SELECT 1; /* x", 1, "block comment"),
    ],
)
def test_unterminated(flavour: str, script: str, line: int, what: str) -> None:
    with pytest.raises(ScriptError) as error:
        split(script, flavour, path="migrations/003_x.sql")
    assert error.value.message == f"migrations/003_x.sql:{line}: unterminated {what} starting here"
    assert error.value.hint and error.value.hint.startswith("check")
    with pytest.raises(ScriptError, match=rf"^line {line + 9}: unterminated"):
        split(script, flavour, first_line=10)


# --- fixtures checked against the servers ------------------------------------------------------

FIXTURE_STATEMENTS = {
    ("postgresql_routines.sql", "postgresql"): [
        (8, "CREATE TABLE accounts (", ")"),
        (16, "INSERT INTO accounts", "U&'d\\0061t\\+000061;')"),
        (19, "CREATE FUNCTION touch_updated_at()", "$$"),
        (27, "CREATE OR REPLACE FUNCTION add_one", "'SELECT $1 + 1;'"),
        (30, "CREATE FUNCTION describe", "$fn$"),
        (43, "CREATE TRIGGER accounts_touch", "EXECUTE FUNCTION touch_updated_at()"),
        (46, "DO $$", "$$"),
        (54, "DO LANGUAGE plpgsql $body$", "END $body$"),
        (56, "CREATE FUNCTION sign_word", "END;\nEND"),
        (62, "CREATE PROCEDURE insert_account", "'.copy');\nEND"),
        (69, "CREATE FUNCTION spans", "$$"),
        (72, "BEGIN", "BEGIN"),
        (73, "CALL insert_account", ")"),
        (74, "SELECT add_one(41)", "FROM spans(3)"),
        (75, "COMMIT", "COMMIT"),
    ],
    ("mysql_routines.sql", "mysql"): [
        (2, "/*!40101 SET @OLD_CHARACTER_SET_CLIENT", "*/"),
        (3, "/*!40101 SET NAMES", "*/"),
        (4, "/*!40014 SET @OLD_UNIQUE_CHECKS", "*/"),
        (7, "CREATE TABLE `orders`", "CHARSET=utf8mb4"),
        (19, "CREATE TABLE order_log", ")"),
        (21, "INSERT INTO `orders`", "1--1)"),
        (22, "/*!40000 ALTER TABLE", "*/"),
        (24, "CREATE PROCEDURE add_order", "amount);\nEND"),
        (52, "CREATE DEFINER = CURRENT_USER FUNCTION", "ELSE 'small' END"),
        (55, "CREATE DEFINER=`root`@`localhost` TRIGGER", "END IF;\nEND"),
        (63, "CREATE EVENT IF NOT EXISTS", "'%;%';\nEND"),
        (68, "BEGIN NOT ATOMIC", "END IF;\nEND"),
        (74, "/*!50003 CREATE*/ /*!50017", "END */"),
        (80, "CREATE FUNCTION double_it", "-- ends with ; inside\nEND"),
        (85, "CREATE PROCEDURE noop()", "END"),
        (88, "CALL add_order", ")"),
        (89, "SELECT double_it(21)", "@kind"),
        (90, "/*!40000 ALTER TABLE", "*/"),
        (91, "/*!40101 SET CHARACTER_SET_CLIENT", "*/"),
    ],
    ("sqlite_triggers.sql", "sqlite"): [
        (2, "CREATE TABLE [order items]", ")"),
        (10, "CREATE TABLE audit", ")"),
        (12, "CREATE TRIGGER item_status", "WHERE id = NEW.id;\nEND"),
        (25, "CREATE TEMP TRIGGER IF NOT EXISTS item_guard", "END;\nEND"),
        (31, "BEGIN TRANSACTION", "BEGIN TRANSACTION"),
        (32, "INSERT INTO [order items]", ")"),
        (33, "UPDATE [order items]", "WHERE id = 1"),
        (34, "END", "END"),
        (35, "SELECT count(*) FROM audit", "-- no semicolon at the end"),
    ],
}


@pytest.mark.parametrize(("name", "flavour"), list(FIXTURE_STATEMENTS))
def test_fixture_scripts(name: str, flavour: str) -> None:
    path = FIXTURES / name
    statements = split(path.read_text(), flavour, path=str(path))
    expected = FIXTURE_STATEMENTS[name, flavour]
    assert [s.line for s in statements] == [line for line, _, _ in expected]
    for statement, (_, head, tail) in zip(statements, expected, strict=True):
        assert statement.text.startswith(head), statement
        assert statement.text.endswith(tail), statement


def test_sqlite_fixture_runs() -> None:
    database = sqlite3.connect(":memory:", isolation_level=None)
    for statement in split((FIXTURES / "sqlite_triggers.sql").read_text(), "sqlite"):
        result = database.execute(statement.text).fetchall()
    assert result == [(1,)]
    assert database.execute("SELECT what FROM audit").fetchall() == [("emptied; cancelled?",)]
    assert database.execute("SELECT status FROM [order items]").fetchall() == [("cancelled",)]


# --- normalize ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavour", "first", "second"),
    [
        ("generic", "SELECT 1;SELECT 2", "-- hi\nSELECT   1 ;\r\n\r\n  SELECT\t2 ; -- bye"),
        ("generic", "SELECT a, b FROM t", "SELECT a, /* c; */ b\nFROM t -- end\n;"),
        ("generic", "SELECT a b", "SELECT a/* c */b"),
        ("postgresql", "SELECT $$ x  y $$", "SELECT  $$ x  y $$  ; /* a /* b */ */"),
        ("mysql", "SELECT 1 FROM t", "SELECT 1 # c\nFROM t; -- c\n"),
        ("mysql", "/*!40101 SET  NAMES utf8 */", "/*!40101 SET  NAMES utf8 */;\n"),
        ("mysql", "SELECT 1", "DELIMITER //\nSELECT 1//\nDELIMITER ;\n"),
    ],
)
def test_normalize_ignores_comments_and_whitespace(flavour: str, first: str, second: str) -> None:
    assert normalize(first, flavour) == normalize(second, flavour)


@pytest.mark.parametrize(
    ("flavour", "first", "second"),
    [
        ("generic", "SELECT 'a  b'", "SELECT 'a b'"),
        ("generic", "SELECT 'a\nb'", "SELECT 'a b'"),
        ("generic", 'SELECT "a  b"', 'SELECT "a b"'),
        ("generic", "SELECT 'x'", "SELECT 'y'"),
        ("generic", "SELECT a b", "SELECT ab"),
        ("generic", "SELECT 1; SELECT 2", "SELECT 1, SELECT 2"),
        ("postgresql", "SELECT $$a  b$$", "SELECT $$a b$$"),
        ("mysql", "/*!40101 SET  NAMES utf8 */", "/*!40101 SET NAMES utf8 */"),
        ("mysql", "SELECT `a  b`", "SELECT `a b`"),
    ],
)
def test_normalize_sees_every_sql_change(flavour: str, first: str, second: str) -> None:
    assert normalize(first, flavour) != normalize(second, flavour)


def test_normalize_output() -> None:
    script = "-- header\nCREATE TABLE t (\n  a INT, -- the a\n  b TEXT DEFAULT 'x  y'\n);\r\n"
    script += "INSERT INTO t VALUES (1, /* two */ 'z');"
    expected = "CREATE TABLE t ( a INT, b TEXT DEFAULT 'x  y' );\nINSERT INTO t VALUES (1, 'z')"
    assert normalize(script, "sqlite") == expected
    assert normalize("-- nothing\n", "sqlite") == ""


# --- transaction control -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "BEGIN",
        "begin",
        "BEGIN TRANSACTION",
        "BEGIN WORK",
        "BEGIN DEFERRED",
        "BEGIN IMMEDIATE TRANSACTION",
        "begin exclusive",
        "BEGIN ISOLATION LEVEL SERIALIZABLE",
        "START TRANSACTION",
        "START TRANSACTION READ ONLY",
        "start transaction with consistent snapshot",
        "COMMIT",
        "COMMIT WORK",
        "commit transaction",
        "COMMIT AND NO CHAIN",
        "END",
        "END TRANSACTION",
        "ROLLBACK",
        "ROLLBACK WORK",
        "ROLLBACK TRANSACTION",
        "ABORT",
        "  COMMIT;  ",
        "COMMIT -- done",
    ],
)
def test_transaction_control(text: str) -> None:
    assert is_transaction_control(text)


@pytest.mark.parametrize(
    "text",
    [
        "ROLLBACK TO SAVEPOINT a",
        "ROLLBACK TO a",
        "ROLLBACK WORK TO SAVEPOINT a",
        "SAVEPOINT a",
        "RELEASE SAVEPOINT a",
        "BEGIN ATOMIC SELECT 1; END",
        "BEGIN NOT ATOMIC SELECT 1; END",
        "BEGIN\n  SELECT 1;\nEND",
        "END IF",
        "COMMIT PREPARED 'x'",
        "SELECT 1",
        "begin_at",
        "COMMITTED",
        "DO $$ BEGIN COMMIT; END $$",
        "",
    ],
)
def test_not_transaction_control(text: str) -> None:
    assert not is_transaction_control(text)


# --- properties --------------------------------------------------------------------------------

WORDS = ["SELECT", "a", "b1", "x_y", "FROM", "t", "WHERE", "1", "42", "(", ")", ",", "=", "+", "*"]
TEXT = st.text(alphabet='ab ;-*/\n\t$#`"[]', max_size=12)


@cache
def string_literal(flavour: str) -> st.SearchStrategy[str]:
    """String literals (and other quoted tokens) that hold `;`, comment starts and quotes."""
    body = st.lists(st.one_of(TEXT, st.just("''")), max_size=4).map("".join)
    literals = [body.map(lambda s: f"'{s}'")]
    identifier = st.text(alphabet="ab ;-*/\n'$", max_size=8)
    literals.append(identifier.map(lambda s: '"' + s + '""' + s + '"'))
    if flavour == "mysql":
        escaped = st.lists(st.sampled_from(["\\'", "\\\\", '\\"', "a;", "''"]), max_size=4)
        literals += [escaped.map(lambda p: "'" + "".join(p) + "'")]
        literals += [identifier.map(lambda s: "`" + s.replace("`", "``") + "`")]
    if flavour == "postgresql":
        literals += [TEXT.map(lambda s: f"$q${s}$q$")]
        literals += [TEXT.map(lambda s: "$$" + s.replace("$", "") + "$$")]
        literals += [st.just("E'it\\'s; \\\\'")]
    if flavour == "sqlite":
        literals += [identifier.map(lambda s: f"[{s.replace(']', '')}]")]
    return st.one_of(literals)


@cache
def separator(flavour: str) -> st.SearchStrategy[str]:
    """Whitespace and comments, possibly holding `;`, that may sit between two tokens."""
    comment_text = st.text(alphabet="ab ;'\"`-$", max_size=10)
    parts = [
        st.sampled_from([" ", "\n", "\t", "\r\n", "  \n  "]),
        comment_text.map(lambda s: f" -- {s}\n"),
        comment_text.map(lambda s: f" /* {s} */ "),
    ]
    if flavour == "mysql":
        parts.append(comment_text.map(lambda s: f" # {s}\n"))
    if flavour == "postgresql":
        parts.append(comment_text.map(lambda s: f" /* a /* {s} */ b */ "))
    return st.lists(st.one_of(parts), min_size=1, max_size=3).map("".join)


@st.composite
def scripts(draw: st.DrawFn, flavour: str) -> tuple[str, list[tuple[str, int]]]:
    """A script and the (text, line) of each statement in it."""
    statements = draw(
        st.lists(
            st.lists(st.one_of(st.sampled_from(WORDS), string_literal(flavour)), max_size=6),
            min_size=1,
            max_size=5,
        )
    )
    script, expected = draw(st.sampled_from(["", "\n", "-- head; er\n"])), []
    for tokens in statements:
        text = "SELECT"
        for token in tokens:
            text += draw(separator(flavour)) + token
        expected.append((text.replace("\r\n", "\n"), script.count("\n") + 1))
        script += text + draw(st.sampled_from([";", ";\n", " ;", ";\r\n", ";;", "; -- x;\n"]))
    if draw(st.booleans()):
        script = script.rstrip().removesuffix(";")
    return script, expected


@pytest.mark.parametrize("flavour", FLAVOURS)
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_split_returns_the_statements_it_was_given(flavour: str, data: st.DataObject) -> None:
    script, expected = data.draw(scripts(flavour))
    assert [(s.text, s.line) for s in split(script, flavour)] == expected


@cache
def compound_statement(flavour: str) -> st.SearchStrategy[str]:
    """A routine or trigger whose body holds statements, CASE ... END and nested blocks."""
    value = st.one_of(st.sampled_from(["a", "1"]), string_literal(flavour))
    case = value.map(lambda v: f"CASE WHEN a THEN {v} ELSE 'x;' END")
    simple = st.one_of(value, case).map(lambda v: f"SELECT {v};")
    if flavour != "mysql":
        body = st.lists(simple, min_size=1, max_size=4).map(" ".join)
        head = {
            "postgresql": "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC",
            "sqlite": "CREATE TRIGGER tr AFTER INSERT ON t BEGIN",
            "generic": "CREATE TRIGGER tr AFTER INSERT ON t BEGIN",
        }[flavour]
        return body.map(lambda b: f"{head} {b} END")

    def blocks(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        items = st.lists(inner, min_size=1, max_size=3).map(" ".join)
        return st.one_of(
            items.map(lambda b: f"IF a THEN {b} ELSE {b} END IF;"),
            items.map(lambda b: f"BEGIN {b} END;"),
            items.map(lambda b: f"lbl: BEGIN {b} END lbl;"),
            items.map(lambda b: f"lbl: LOOP {b} END LOOP lbl;"),
            items.map(lambda b: f"WHILE a DO {b} END WHILE;"),
            items.map(lambda b: f"REPEAT {b} UNTIL a END REPEAT;"),
            items.map(lambda b: f"CASE WHEN a THEN {b} ELSE {b} END CASE;"),
        )

    body = st.lists(st.recursive(simple, blocks, max_leaves=8), min_size=1, max_size=3)
    return body.map(lambda b: f"CREATE PROCEDURE p(a INT) BEGIN {' '.join(b)} END")


@pytest.mark.parametrize("flavour", FLAVOURS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_compound_statements_stay_whole(flavour: str, data: st.DataObject) -> None:
    compound = data.draw(compound_statement(flavour))
    script = f"SELECT 1;\n{compound};\nSELECT 2"
    assert texts(script, flavour) == ["SELECT 1", compound, "SELECT 2"]


@pytest.mark.parametrize("flavour", FLAVOURS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_normalize_ignores_comments_between_tokens(flavour: str, data: st.DataObject) -> None:
    tokens = data.draw(
        st.lists(st.one_of(st.sampled_from(WORDS), string_literal(flavour)), max_size=8)
    )
    first = "SELECT " + " ".join(tokens)
    second = "SELECT" + "".join(data.draw(separator(flavour)) + token for token in tokens)
    assert normalize(first, flavour) == normalize(second + ";", flavour)


@pytest.mark.parametrize("flavour", FLAVOURS)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_normalize_sees_changes_inside_strings(flavour: str, data: st.DataObject) -> None:
    body = data.draw(st.text(alphabet="ab ;-\n", max_size=10))
    other = data.draw(st.text(alphabet="ab ;-\n", max_size=10).filter(lambda s: s != body))
    assert normalize(f"SELECT '{body}'", flavour) != normalize(f"SELECT '{other}'", flavour)


NOISE = st.text(alphabet="'\";`[]$-/*#\\\n\r EeabBeginEndCasecreatetriggerDELIMITER", max_size=80)


@pytest.mark.parametrize("flavour", FLAVOURS)
@settings(max_examples=300, deadline=None)
@given(script=st.one_of(NOISE, st.text(max_size=60)))
def test_split_never_crashes(flavour: str, script: str) -> None:
    try:
        statements = split(script, flavour)
    except ScriptError as error:
        assert re.match(r"line \d+: ", error.message)
        return
    source = re.sub(r"\r\n?", "\n", script.removeprefix("\ufeff")).split("\n")
    for statement in statements:
        assert statement.text and statement.text == statement.text.strip()
        assert statement.text.split("\n")[0] in source[statement.line - 1]


# --- the Authelia corpus -----------------------------------------------------------------------


# Counted by the servers themselves (a whole file sent as one multi-statement query to
# PostgreSQL 15 and MariaDB 10.11, one result per statement) when this test was written.
CORPUS_TOTALS = {
    "postgres": ("postgresql", 332),
    "mysql": ("mysql", 349),
    "sqlite": ("sqlite", 764),
}


def sqlite_count(script: str) -> int:
    """Statements in `script` as SQLite's own tokenizer completes them."""
    count, pending = 0, ""
    for piece in re.split(r"(?<=;)", script):
        pending += piece
        if sqlite3.complete_statement(pending):
            count += bool(re.sub(r"--[^\n]*|/\*.*?\*/|[\s;]", "", pending, flags=re.S))
            pending = ""
    return count + bool(re.sub(r"--[^\n]*|/\*.*?\*/|\s", "", pending, flags=re.S))


def corpus_files(folder: str) -> list[Path]:
    files = sorted(corpus("authelia", folder).glob("*.sql"))
    assert len(files) == 52
    return files


@pytest.mark.parametrize("folder", list(CORPUS_TOTALS))
def test_authelia_corpus(folder: str) -> None:
    flavour, total = CORPUS_TOTALS[folder]
    count = 0
    for path in corpus_files(folder):
        script = path.read_text()
        statements = split(script, flavour, path=str(path))
        source = script.splitlines()
        for statement in statements:
            assert statement.text, path
            assert source[statement.line - 1].lstrip().startswith(statement.text.split("\n")[0])
        if flavour == "sqlite":
            assert len(statements) == sqlite_count(script), path
        count += len(statements)
    assert count == total


@pytest.mark.parametrize("folder", list(CORPUS_TOTALS))
def test_authelia_corpus_agrees_with_sqlparse(folder: str) -> None:
    sqlparse = pytest.importorskip("sqlparse", reason="sqlparse is the independent splitter")
    flavour, _ = CORPUS_TOTALS[folder]
    for path in corpus_files(folder):
        script = path.read_text()
        others = [s for s in sqlparse.split(script) if s.strip().strip(";")]
        others = [s for s in others if sqlparse.format(s, strip_comments=True).strip(" \n;")]
        assert len(split(script, flavour)) == len(others), path


def test_authelia_sqlite_statements_run() -> None:
    files = corpus_files("sqlite")
    database = sqlite3.connect(":memory:", isolation_level=None)
    for name in ("BIN2B64", "B642BIN"):  # Authelia's own functions; any body will do
        database.create_function(name, 1, lambda value: value)
    ups = [path for path in files if path.name.endswith(".up.sql")]
    downs = [path for path in reversed(files) if path.name.endswith(".down.sql")]
    for path in ups + downs:
        for statement in split(path.read_text(), "sqlite", path=str(path)):
            database.execute(statement.text)
    left = "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite%'"
    assert database.execute(left).fetchall() == []  # every down file undid its up file


# --- speed -------------------------------------------------------------------------------------


def test_split_is_fast() -> None:
    statement = "-- row {i}; keep\nINSERT INTO t (a, b) VALUES ({i}, 'it''s; {i}') /* c; */;\n"
    script = "".join(statement.format(i=i) for i in range(10_000))
    started = time.perf_counter()
    statements = split(script, "postgresql")
    assert len(statements) == 10_000
    assert time.perf_counter() - started < 1.0  # about 0.05 s on a laptop
