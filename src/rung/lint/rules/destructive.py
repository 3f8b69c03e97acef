"""Statements that delete data: dropped tables, columns and schemas, truncated tables.

Deleting is fine when the data survives somewhere: the table was made in this very
migration, an earlier statement copied the data away, or the down puts it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp

from rung.lint.model import ERROR, WARNING, Context, Hit, MigrationContext, Parsed
from rung.lint.registry import rule
from rung.lint.sql import (
    added_columns,
    alter_actions,
    created_tables,
    dropped,
    is_create,
    is_drop,
    name,
    reads,
    target,
)


@dataclass(frozen=True)
class _Loss:
    kind: str  # table | column | schema | truncate
    what: str  # how the message names it: "DROP TABLE users"
    table: str
    column: str | None
    node: exp.Expression


def _losses(parsed: Parsed, before: tuple[Parsed, ...]) -> Iterator[_Loss]:
    """What `parsed` deletes among the things that existed before this migration."""
    expression = parsed.expression
    created = created_tables(before)
    if is_drop(expression, "TABLE") and expression is not None:
        for table in dropped(expression):
            if name(table) not in created:
                yield _Loss("table", f"DROP TABLE {name(table)}", name(table), None, table)
    for kind in ("SCHEMA", "DATABASE"):
        if is_drop(expression, kind) and expression is not None:
            schemas = {
                _schema_of(p.expression.this) for p in before if is_create(p.expression, kind)
            }
            for node in dropped(expression):
                schema = _schema_of(node)
                if schema not in schemas:
                    yield _Loss("schema", f"DROP {kind} {schema}", schema, None, node)
    if isinstance(expression, exp.TruncateTable):
        for table in expression.expressions:
            if name(table) not in created:
                yield _Loss("truncate", f"TRUNCATE {name(table)}", name(table), None, table)
    actions = alter_actions(expression)
    if actions and expression is not None:
        table = name(expression.this)
        added = added_columns(before)
        for action in actions:
            if not is_drop(action, "COLUMN") or table in created:
                continue
            for column in dropped(action):
                if (table, name(column)) not in added:
                    what = f"DROP COLUMN {table}.{name(column)}"
                    yield _Loss("column", what, table, name(column), column)


def _schema_of(node: exp.Expression) -> str:
    """DROP SCHEMA s parses as a table whose schema (db) is s."""
    db = node.args.get("db")
    return name(db) if db is not None else name(node)


def _copied(before: tuple[Parsed, ...], loss: _Loss) -> bool:
    """True when an earlier statement copied the table's (or the column's) data elsewhere."""
    for parsed in before:
        expression = parsed.expression
        if not isinstance(expression, exp.Insert | exp.Create | exp.Update):
            continue
        if loss.table not in reads(expression) and not (
            isinstance(expression, exp.Update) and target(expression) == loss.table
        ):
            continue
        if loss.column is None:
            if target(expression) != loss.table:
                return True
        elif _reads_column(expression, loss.column):
            return True
    return False


def _reads_column(expression: exp.Expression, column: str) -> bool:
    """True when `column` (or *) feeds a value that is written somewhere other than itself."""
    if isinstance(expression, exp.Update):
        return any(
            name(eq.this) != column
            and any(name(c) == column for c in eq.expression.find_all(exp.Column))
            for eq in expression.expressions
            if isinstance(eq, exp.EQ)
        )
    source = expression.args.get("expression")
    if source is None:
        return False
    return any(name(c) == column for c in source.find_all(exp.Column)) or any(
        True for _ in source.find_all(exp.Star)
    )


def _restored(down: tuple[Parsed, ...] | None, loss: _Loss) -> bool:
    """True when the down writes the lost data back (not only re-creates the empty shape)."""
    for parsed in down or ():
        e = parsed.expression
        if loss.column is not None:
            sets = e.expressions if isinstance(e, exp.Update) and target(e) == loss.table else []
            if any(name(eq.this) == loss.column for eq in sets):
                return True
            continue
        copies_back = target(e) == loss.table and (
            (isinstance(e, exp.Insert) and isinstance(e.expression, exp.Query))
            or (is_create(e, "TABLE") and e is not None and e.args.get("expression") is not None)
        )
        renames_back = any(
            isinstance(action, exp.AlterRename) and name(action.this) == loss.table
            for action in alter_actions(e)
        )
        if copies_back or renames_back:
            return True
    return False


def _unrecoverable(ctx: Context, kind: str) -> Iterator[Hit]:
    for loss in _losses(ctx.parsed, ctx.before):
        if loss.kind != kind or _copied(ctx.before, loss) or _restored(ctx.down, loss):
            continue
        if kind == "schema":
            gone = f"{loss.what} deletes everything in it"
        else:
            gone = f"{loss.what} deletes " + (
                f"the values of {loss.column}" if loss.column else f"every row of {loss.table}"
            )
        if ctx.migration.repeatable:  # no down by design, and it runs again on every edit
            afterwards = "a repeatable migration has no down and runs again when its file changes"
        elif ctx.down is not None:
            afterwards = "the down does not restore the data"
        else:
            afterwards = "it has no down"
        yield Hit(f"{gone}; nothing in this migration keeps a copy, and {afterwards}", loss.node)


_KEEP = (
    "copy the data first (CREATE TABLE x_archive AS SELECT ...) and restore it in the down, "
    "or drop it in a later release once nothing needs it; "
)


@rule(
    "drop-table",
    title="DROP TABLE whose data cannot be restored",
    severity=ERROR,
    hint=_KEEP + "if the loss is intended, say so with `-- rung:allow drop-table <reason>`",
)
def drop_table(ctx: Context) -> Iterator[Hit]:
    yield from _unrecoverable(ctx, "table")


@rule(
    "drop-column",
    title="DROP COLUMN whose data cannot be restored",
    severity=ERROR,
    hint="copy the values first (UPDATE t SET new_col = old_col, or an archive table) and "
    "restore them in the down; stop reading the column in one release, drop it in the next",
)
def drop_column(ctx: Context) -> Iterator[Hit]:
    yield from _unrecoverable(ctx, "column")


@rule(
    "drop-schema",
    title="DROP SCHEMA or DROP DATABASE",
    severity=ERROR,
    hint="drop the objects one by one in reviewed migrations after archiving their data; "
    "if the loss is intended, say so with `-- rung:allow drop-schema <reason>`",
)
def drop_schema(ctx: Context) -> Iterator[Hit]:
    yield from _unrecoverable(ctx, "schema")


@rule(
    "truncate-table",
    title="TRUNCATE whose data cannot be restored",
    severity=ERROR,
    hint="delete only the rows that must go (DELETE ... WHERE), or copy them first and "
    "restore them in the down",
)
def truncate_table(ctx: Context) -> Iterator[Hit]:
    yield from _unrecoverable(ctx, "truncate")


@rule(
    "destructive-without-down",
    title="Destructive migration without a down",
    severity=WARNING,
    scope="migration",
    hint="write a down section (`-- rung:down`) that recreates what the up removes, and "
    "restores its data where the up kept a copy",
)
def destructive_without_down(ctx: MigrationContext) -> Iterator[Hit]:
    # A repeatable has no down by design; drop-table and the others still report the loss.
    if ctx.down is not None or ctx.migration.has_down or ctx.migration.repeatable:
        return
    for parsed in ctx.statements:
        for loss in _losses(parsed, ctx.statements[: parsed.index]):
            message = f"{loss.what} removes data, and this migration has no down to roll it back"
            yield Hit(message, loss.node, parsed)
            return
