"""Data changes in schema migrations: unbounded UPDATE/DELETE, backfills under DDL locks."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from rung.lint.model import ERROR, WARNING, Context, Hit, MigrationContext, Parsed
from rung.lint.registry import rule
from rung.lint.sql import created_tables, data_change, locks_existing_table, target

_VERBS = {
    "UPDATE": "UPDATE",
    "DELETE": "DELETE FROM",
    "INSERT": "INSERT INTO",
    "WITH": "a query on",
}


def _unbounded(ctx: Context, kind: type[exp.Expression]) -> str | None:
    """The table of an UPDATE or DELETE without WHERE (or LIMIT) on an existing table."""
    e = ctx.expression
    if isinstance(e, kind) and not e.args.get("where") and not e.args.get("limit"):
        table = target(e)
        return None if table in ctx.created else table
    return None


@rule(
    "update-without-where",
    title="UPDATE without WHERE",
    severity=WARNING,
    hint="add a WHERE clause; to backfill a big table, update it in batches (by key range) "
    "from a Python migration or a job, not in one statement",
)
def update_without_where(ctx: Context) -> Iterator[Hit]:
    table = _unbounded(ctx, exp.Update)
    if table:
        yield Hit(
            f"UPDATE {table} without WHERE rewrites every row of {table} in one statement, "
            "holding a lock on each until the migration commits"
        )


@rule(
    "delete-without-where",
    title="DELETE without WHERE",
    severity=ERROR,
    hint="add a WHERE clause; if emptying the table is intended, keep a copy the down can "
    "restore and say so with `-- rung:allow delete-without-where <reason>`",
)
def delete_without_where(ctx: Context) -> Iterator[Hit]:
    table = _unbounded(ctx, exp.Delete)
    if table:
        yield Hit(f"DELETE FROM {table} without WHERE deletes every row of {table}")


@rule(
    "backfill-with-schema-change",
    title="Schema change and backfill in one transaction",
    severity=WARNING,
    dialects=("postgresql",),
    scope="migration",
    hint="move the backfill to a migration of its own after the schema change (a Python "
    "migration can commit in batches), so the schema change's lock is released at once",
)
def backfill_with_schema_change(ctx: MigrationContext) -> Iterator[Hit]:
    changes: dict[int, list[tuple[Parsed, str]]] = {}  # transaction -> its schema changes
    for parsed in ctx.statements:
        if parsed.transaction is None:
            continue
        created = created_tables(ctx.statements[: parsed.index])
        written = data_change(parsed, created)
        earlier = changes.get(parsed.transaction)
        if written and earlier:
            # name the schema change of the same table if there is one
            change, table = next((c for c in earlier if c[1] == written), earlier[0])
            yield Hit(
                f"{_VERBS[parsed.words.split()[0]]} {written} changes rows in the same "
                f"transaction as the schema change of {table} (line {change.statement.line}), "
                "whose lock is held until the data change commits",
                parsed=parsed,
            )
            return
        table = locks_existing_table(parsed, created)
        if table:
            changes.setdefault(parsed.transaction, []).append((parsed, table))
