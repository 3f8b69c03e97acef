"""A script's statements parsed by sqlglot, with their file positions and their transaction.

A statement sqlglot cannot parse is kept with the parser's message (rules see
`expression is None`); nothing here raises for bad SQL, so one odd statement never stops
the linting of the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from rung.errors import ScriptError
from rung.lint.model import Parsed
from rung.model import Script, Statement
from rung.sqlsplit import is_transaction_control, normalize

# sqlglot's names for the dialects rung lints.
SQLGLOT_DIALECTS = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_OPENS = ("BEGIN", "START")
# Utility commands sqlglot may not parse, but rules recognise by their words.
_COMMANDS = re.compile(r"^(?:CLUSTER|VACUUM|REINDEX|ANALYZE|LOCK|CHECKPOINT|DISCARD)\b")


@contextmanager
def quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for each statement it keeps as an opaque command; rung does not."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def parse_script(
    script: Script, *, dialect: str, flavour: str, transactional_ddl: bool
) -> tuple[Parsed, ...]:
    """Every statement of `script`, in order. The runner wraps a script in one transaction
    when the database has transactional DDL and the script neither says `-- rung:no-transaction`
    nor opens its own transactions; in a script that does, statements between BEGIN and
    COMMIT run in a transaction and the others do not."""
    statements = script.statements(flavour)  # as the runner will send them
    lines = script.text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    own = any(is_transaction_control(s.text) for s in statements)
    wrapped = 0 if transactional_ddl and script.transactional and not own else None
    current, opened = wrapped, 0
    parsed = []
    for index, statement in enumerate(statements):
        if own and is_transaction_control(statement.text):
            starts = statement.text.split()[0].upper() in _OPENS
            opened += starts
            current = opened if starts and transactional_ddl else None
            transaction = current if starts else None
        else:
            transaction = current
        line_text = lines[statement.line - script.first_line]
        column = max(line_text.find(statement.text.split("\n", 1)[0]), 0) + 1
        parsed.append(_parse(index, statement, column, transaction, dialect, flavour))
    return tuple(parsed)


def _parse(
    index: int,
    statement: Statement,
    column: int,
    transaction: int | None,
    dialect: str,
    flavour: str,
) -> Parsed:
    text = statement.text
    try:
        words = normalize(text, flavour).upper()
    except ScriptError:  # cannot happen for a statement split with the same flavour
        words = " ".join(text.split()).upper()
    try:
        expressions = [e for e in sqlglot.parse(text, read=SQLGLOT_DIALECTS[dialect]) if e]
    except ParseError as exc:
        if _COMMANDS.match(words):
            command = exp.Command(this=words.split()[0])
            return Parsed(index, statement, column, command, words, transaction)
        error = exc.errors[0] if exc.errors else {}
        message = _ANSI.sub("", str(error.get("description") or exc)).strip()
        highlight = str(error.get("highlight") or "")
        if highlight:
            message += f" near `{highlight}`"
        at = None
        if error.get("line") and error.get("col"):
            line, end = int(error["line"]), int(error["col"])
            at = _file_position(statement, column, line, max(end - len(highlight) + 1, 1))
        return Parsed(index, statement, column, None, words, transaction, message, at)
    except Exception as exc:  # sqlglot has many ways to fail; none may stop the linting
        message = _ANSI.sub("", str(exc)).strip().splitlines()
        detail = message[0] if message else type(exc).__name__
        return Parsed(index, statement, column, None, words, transaction, detail, None)
    if len(expressions) == 1:
        expression = expressions[0]
    else:  # a body sqlglot split in several (a trigger): keep it whole, unchecked
        expression = exp.Command(this=text.split(None, 1)[0].upper())
    return Parsed(index, statement, column, expression, words, transaction)


def _file_position(statement: Statement, column: int, line: int, col: int) -> tuple[int, int]:
    """File line and column of 1-based (line, col) within the statement's text."""
    return statement.line + line - 1, (column + col - 1 if line == 1 else col)


def node_position(parsed: Parsed, node: exp.Expression) -> tuple[int, int]:
    """File line and column of the first identifier in `node`, else of the statement."""
    starts = [
        ident.meta["start"]
        for ident in node.find_all(exp.Identifier)
        if isinstance(ident.meta.get("start"), int)
    ]
    if not starts:
        return parsed.statement.line, parsed.column
    offset = min(starts)
    before = parsed.statement.text[:offset]
    breaks = before.count("\n")
    if breaks == 0:
        return parsed.statement.line, parsed.column + offset
    return parsed.statement.line + breaks, offset - before.rfind("\n")
