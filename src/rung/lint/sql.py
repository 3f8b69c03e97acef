"""Questions rules ask of parsed statements: which table, which columns, created here or not.

Names are compared lower-cased and without their schema: good enough to tell a table made
earlier in the same migration from one that already holds data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from sqlglot import exp

from rung.lint.model import Context, Parsed
from rung.lint.parse import SQLGLOT_DIALECTS

_CREATE_TABLE = re.compile(r"^CREATE (?:TEMP |TEMPORARY )?TABLE (?:IF NOT EXISTS )?([^\s(]+)")
_LOCK_TIMEOUT = re.compile(
    r"^SET (?:LOCAL |SESSION )?LOCK_TIMEOUT\b|SET_CONFIG ?\( ?'LOCK_TIMEOUT'"
)
# Commands sqlglot keeps opaque that lock a table, and where they name it.
_LOCKING_COMMAND = re.compile(
    r"^(?:ALTER TABLE (?:IF EXISTS )?(?:ONLY )?|CLUSTER (?:VERBOSE )?|REINDEX (?:TABLE|INDEX) "
    r"|LOCK (?:TABLE )?(?:ONLY )?|VACUUM (?:FULL |\([^)]*\bFULL\b[^)]*\) )(?:VERBOSE )?)"
    r"([^\s(;]+)"
)


def name(node: exp.Expression | None) -> str:
    """The bare name of a table, column or index node, lower-cased ('' when absent)."""
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Expression):  # absent, or a flag sqlglot put in its place
        return ""
    return node.name.strip('"`').lower()


def sql(node: exp.Expression, ctx: Context) -> str:
    return node.sql(dialect=SQLGLOT_DIALECTS[ctx.dialect])


def unquote(word: str) -> str:
    """A table name as written in a statement's text: `s`.`t` or "t" -> t."""
    return word.replace("`", "").replace('"', "").rsplit(".", 1)[-1].lower()


def alter_actions(expression: exp.Expression | None) -> list[exp.Expression]:
    """The actions of an ALTER TABLE (not ALTER INDEX, VIEW, ...)."""
    if (
        isinstance(expression, exp.Alter)
        and str(expression.args.get("kind", "")).upper() == "TABLE"
    ):
        return list(expression.args.get("actions") or [])
    return []


def altered_table(expression: exp.Expression | None) -> str:
    return name(expression.this) if alter_actions(expression) and expression else ""


def is_create(expression: exp.Expression | None, kind: str) -> bool:
    return isinstance(expression, exp.Create) and str(expression.args.get("kind")).upper() == kind


def is_drop(expression: exp.Expression | None, kind: str) -> bool:
    return isinstance(expression, exp.Drop) and str(expression.args.get("kind")).upper() == kind


def dropped(expression: exp.Expression) -> list[exp.Expression]:
    """What a DROP (or an ALTER TABLE's DROP action) names."""
    named = expression.args.get("tables") or [expression.args.get("this")]
    return [node for node in named if isinstance(node, exp.Expression)]


def index_table(expression: exp.Expression) -> str:
    """The table of a CREATE INDEX."""
    return name(expression.this.args.get("table")) if expression.this else ""


def column_defs(expression: exp.Expression | None) -> Iterator[tuple[str, exp.ColumnDef]]:
    """(table, column definition) of a CREATE TABLE's columns and an ALTER TABLE's ADD COLUMNs."""
    if is_create(expression, "TABLE") and isinstance(expression.this, exp.Schema):
        table = name(expression.this)
        for item in expression.this.expressions:
            if isinstance(item, exp.ColumnDef):
                yield table, item
    for action in alter_actions(expression):
        if isinstance(action, exp.ColumnDef):
            yield name(expression.this), action


def constraints(column: exp.ColumnDef) -> list[exp.Expression]:
    """The kinds of a column's constraints (NotNullColumnConstraint, DefaultColumnConstraint...)."""
    return [c.args.get("kind") for c in column.args.get("constraints") or [] if c.args.get("kind")]


def created_tables(statements: Iterable[Parsed]) -> set[str]:
    """Tables that these statements create."""
    created = set()
    for parsed in statements:
        expression = parsed.expression
        if is_create(expression, "TABLE"):
            created.add(name(expression.this))
        elif isinstance(expression, exp.Command) and (match := _CREATE_TABLE.match(parsed.words)):
            created.add(unquote(match.group(1)))
    return created


def added_columns(statements: Iterable[Parsed]) -> set[tuple[str, str]]:
    """(table, column) pairs that these statements add with ALTER TABLE ... ADD COLUMN."""
    return {
        (table, name(column.this))
        for parsed in statements
        if isinstance(parsed.expression, exp.Alter)
        for table, column in column_defs(parsed.expression)
    }


def new_table(ctx: Context, table: str) -> bool:
    """True when `table` was created earlier in this migration, so it holds no old data."""
    return table in created_tables(ctx.before)


def target(expression: exp.Expression | None) -> str:
    """The table an INSERT, UPDATE, DELETE or CREATE TABLE writes to."""
    if isinstance(expression, exp.Insert | exp.Update | exp.Delete | exp.Create):
        return name(expression.this)
    return ""


def reads(expression: exp.Expression) -> set[str]:
    """Tables an INSERT ... SELECT, CREATE TABLE ... AS SELECT or UPDATE ... FROM reads."""
    source = expression.args.get("expression") if not isinstance(expression, exp.Update) else None
    parts = [source] if source is not None else []
    if isinstance(expression, exp.Update):
        parts += [expression.args.get("from_"), *expression.expressions]
    return {name(t) for part in parts if part is not None for t in part.find_all(exp.Table)}


def sets_lock_timeout(parsed: Parsed) -> bool:
    return bool(_LOCK_TIMEOUT.search(parsed.words))


def locks_existing_table(parsed: Parsed, created: set[str]) -> str | None:
    """For a statement that takes a strong lock on a table that already exists: that table
    (or the index, view... it names), else None."""
    expression = parsed.expression
    if alter_actions(expression):
        table = name(expression.this)
        return None if table in created else table
    if is_create(expression, "INDEX") and not expression.args.get("concurrently"):
        table = index_table(expression)
        return None if table in created else table
    if isinstance(expression, exp.Drop) and not expression.args.get("concurrently"):
        dropped_names = [name(t) for t in dropped(expression)]
        kind = str(expression.args.get("kind")).upper()
        if kind in ("TABLE", "INDEX", "VIEW") and set(dropped_names) - created:
            return ", ".join(dropped_names)
    if isinstance(expression, exp.TruncateTable):
        tables = [name(t) for t in expression.expressions]
        return ", ".join(tables) if set(tables) - created else None
    match = _LOCKING_COMMAND.match(parsed.words)
    if isinstance(expression, exp.Command) and match:
        table = unquote(match[1])
        return None if table in created else table
    return None


def data_change(parsed: Parsed, created: set[str]) -> str | None:
    """For an UPDATE, DELETE or INSERT ... SELECT into a table that already exists: that table."""
    expression = parsed.expression
    if isinstance(expression, exp.Update | exp.Delete) or (
        isinstance(expression, exp.Insert) and isinstance(expression.expression, exp.Query)
    ):
        table = target(expression)
        return None if table in created else table
    return None
