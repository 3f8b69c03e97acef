"""Portability and hygiene: keys, column types that age badly, statements rung cannot read."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from rung.lint.model import WARNING, Context, Hit
from rung.lint.registry import rule
from rung.lint.sql import alter_actions, column_defs, is_create, name

_SERIALS = ("SERIAL", "BIGSERIAL", "SMALLSERIAL")


def _typed_columns(ctx: Context) -> Iterator[tuple[str, str, exp.DataType, exp.Expression]]:
    """(table, column, type, node) of every column a statement defines or retypes."""
    for table, column in column_defs(ctx.expression):
        kind = column.args.get("kind")
        if isinstance(kind, exp.DataType):
            yield table, name(column.this), kind, column
    for action in alter_actions(ctx.expression):
        dtype = action.args.get("dtype") if isinstance(action, exp.AlterColumn) else None
        if isinstance(dtype, exp.DataType) and ctx.expression is not None:
            yield name(ctx.expression.this), name(action.this), dtype, action


def _spelled(dtype: exp.DataType) -> str:
    """A type as written, char(2), whatever the dialect's own name for it is."""
    params = ", ".join(p.sql() for p in dtype.expressions)
    return dtype.this.name.lower() + (f"({params})" if params else "")


@rule(
    "table-without-primary-key",
    title="CREATE TABLE without a primary key",
    severity=WARNING,
    hint="give it a primary key: an identity/auto-increment id, or the columns that identify a row",
)
def table_without_primary_key(ctx: Context) -> Iterator[Hit]:
    e = ctx.expression
    if not is_create(e, "TABLE") or e is None or not isinstance(e.this, exp.Schema):
        return
    properties = e.args.get("properties")
    if properties is not None and properties.find(exp.TemporaryProperty):
        return
    schema = e.this
    if schema.find(exp.PrimaryKey, exp.PrimaryKeyColumnConstraint, exp.LikeProperty):
        return
    yield Hit(
        f"table {name(schema)} has no primary key: rows cannot be told apart reliably, "
        "and replication and most tools need one",
        schema.this,
    )


@rule(
    "serial-column",
    title="SERIAL column where identity columns exist",
    severity=WARNING,
    dialects=("postgresql",),
    hint="use `bigint GENERATED ALWAYS AS IDENTITY` (or BY DEFAULT), standard SQL since "
    "PostgreSQL 10",
)
def serial_column(ctx: Context) -> Iterator[Hit]:
    if ctx.below(10):
        return
    for table, column, dtype, node in _typed_columns(ctx):
        if dtype.this.name in _SERIALS:
            yield Hit(
                f"{table}.{column} is {dtype.this.name.lower()}: its sequence is a separate "
                "object whose ownership and permissions drift from the table's",
                node,
            )


@rule(
    "timestamp-without-time-zone",
    title="timestamp without time zone",
    severity=WARNING,
    dialects=("postgresql",),
    hint="use timestamptz (timestamp with time zone): it stores an instant",
)
def timestamp_without_time_zone(ctx: Context) -> Iterator[Hit]:
    for table, column, dtype, node in _typed_columns(ctx):
        if dtype.is_type(exp.DataType.Type.TIMESTAMP):
            yield Hit(
                f"{table}.{column} is timestamp without time zone: it stores a wall-clock "
                "time with no offset, so the instant depends on the session's time zone",
                node,
            )


@rule(
    "char-column",
    title="char(n) column",
    severity=WARNING,
    dialects=("postgresql", "sqlite"),
    hint="use varchar(n) or text (with a CHECK on the length if it matters)",
)
def char_column(ctx: Context) -> Iterator[Hit]:
    for table, column, dtype, node in _typed_columns(ctx):
        if dtype.is_type(exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR):
            yield Hit(
                f"{table}.{column} is {_spelled(dtype)}: values are blank-padded "
                "on PostgreSQL and neither padded nor limited on SQLite, so comparisons "
                "and lengths differ between databases",
                node,
            )


@rule(
    "unparseable-statement",
    title="Statement rung cannot parse",
    severity=WARNING,
    hint="check the statement's syntax for this dialect; if it is valid, no rule checked it, "
    "so review it by hand (and report the parser gap)",
)
def unparseable_statement(ctx: Context) -> Iterator[Hit]:
    if ctx.expression is None:
        yield Hit(
            f"rung cannot parse this statement, so no rule checked it: {ctx.parsed.error}",
            at=ctx.parsed.error_at,
        )
