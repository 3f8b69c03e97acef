"""Changes that break the code already running against the database during a deploy.

While a migration runs, and until every instance is replaced, the previous release still
reads and writes the old names, types and nullability. Tables created earlier in the same
migration are new to everyone, so changing them breaks nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from rung.lint.model import ERROR, WARNING, Context, Hit
from rung.lint.registry import rule
from rung.lint.sql import (
    alter_actions,
    column_defs,
    constraints,
    created_tables,
    name,
    sql,
    unquote,
)

_RENAME_TABLE = re.compile(r"^RENAME TABLES? (.+)$")
_VALIDATE = re.compile(r"^ALTER TABLE (?:ONLY )?(\S+) VALIDATE CONSTRAINT\b")
_SERIALS = ("SERIAL", "BIGSERIAL", "SMALLSERIAL")
# Column constraints that give every existing row a value without a DEFAULT.
_FILLED = (
    exp.DefaultColumnConstraint,
    exp.GeneratedAsIdentityColumnConstraint,
    exp.AutoIncrementColumnConstraint,
    exp.ComputedColumnConstraint,
)


def _altered(ctx: Context) -> tuple[str, list[exp.Expression]]:
    """The table an ALTER TABLE changes and its actions; none for a table made here."""
    actions = alter_actions(ctx.expression)
    if not actions or ctx.expression is None:
        return "", []
    table = name(ctx.expression.this)
    return (table, []) if table in ctx.created else (table, actions)


@rule(
    "rename-column",
    title="Renaming a column",
    severity=WARNING,
    hint="expand and contract: add the new column, write both, backfill, move reads over, "
    "and drop the old column in a later release",
)
def rename_column(ctx: Context) -> Iterator[Hit]:
    table, actions = _altered(ctx)
    options = ctx.expression.args.get("options") or [] if ctx.expression else []
    for action in actions:
        old = new = ""
        if isinstance(action, exp.RenameColumn):
            old, new = name(action.this), name(action.args.get("to"))
        elif isinstance(action, exp.AlterRename):  # PostgreSQL: RENAME [COLUMN] a TO b
            to = [o for o in options if isinstance(o, exp.ToTableProperty)]
            if to:
                old, new = name(action.this), name(to[0].this)
        elif isinstance(action, exp.ModifyColumn) and action.args.get("rename_from"):
            old, new = name(action.args["rename_from"]), name(action.this.this)
        if old and old != new:
            message = (
                f"renaming {table}.{old} to {new} breaks the running code, which still uses {old}"
            )
            yield Hit(message, action)


@rule(
    "rename-table",
    title="Renaming a table",
    severity=WARNING,
    hint="create the new table (or keep a view under the old name), move the code over, "
    "and drop the old name in a later release",
)
def rename_table(ctx: Context) -> Iterator[Hit]:
    table, actions = _altered(ctx)
    options = ctx.expression.args.get("options") or [] if ctx.expression else []
    renames = [] if any(isinstance(o, exp.ToTableProperty) for o in options) else actions
    pairs = [(table, name(a.this), a) for a in renames if isinstance(a, exp.AlterRename)]
    if isinstance(ctx.expression, exp.Command) and (match := _RENAME_TABLE.match(ctx.parsed.words)):
        for pair in match.group(1).split(","):  # MySQL: RENAME TABLE a TO b, c TO d
            old, _, new = pair.strip().partition(" TO ")
            if unquote(old) not in ctx.created:
                pairs.append((unquote(old), unquote(new), None))
    recreated = created_tables(ctx.after) if ctx.in_transaction else set()
    for old, new, node in pairs:
        if old in recreated:  # moved aside and rebuilt in one transaction: no one sees a gap
            continue
        yield Hit(
            f"renaming table {old} to {new} breaks the running code, which still queries {old}",
            node,
        )


@rule(
    "change-column-type",
    title="Changing a column's type",
    severity=WARNING,
    hint="add a column of the new type, backfill it in batches, move the code over, then drop "
    "the old one; widening varchar(n) or varchar to text is safe (allow it with a reason)",
)
def change_column_type(ctx: Context) -> Iterator[Hit]:
    table, actions = _altered(ctx)
    for action in actions:
        if isinstance(action, exp.AlterColumn) and action.args.get("dtype"):
            change = f"changing {table}.{name(action.this)} to {sql(action.args['dtype'], ctx)}"
        elif isinstance(action, exp.ModifyColumn) and action.this.args.get("kind"):
            # MySQL's MODIFY / CHANGE restate the whole column, so the type may or may not change
            rename_from = action.args.get("rename_from")
            if rename_from is not None and name(rename_from) != name(action.this.this):
                continue  # a rename: rename-column says so
            kind = sql(action.this.args["kind"], ctx)
            change = f"redefining {table}.{name(action.this.this)} as {kind}, if its type changes,"
        else:
            continue
        yield Hit(
            f"{change} can break code that reads or writes the old type, and most type changes "
            "rewrite the whole table under a lock",
            action,
        )


@rule(
    "set-not-null",
    title="Adding NOT NULL to an existing column",
    severity=WARNING,
    dialects=("postgresql",),
    hint="ship code that always writes the column and backfill the NULLs first; then add "
    "CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, and SET NOT NULL (no scan on 12+)",
)
def set_not_null(ctx: Context) -> Iterator[Hit]:
    table, actions = _altered(ctx)
    # After a validated CHECK (col IS NOT NULL), PostgreSQL 12+ sets NOT NULL without a scan.
    validated = {unquote(m[1]) for p in ctx.before if (m := _VALIDATE.match(p.words))}
    if table in validated and not ctx.below(12):
        return
    for action in actions:
        if isinstance(action, exp.AlterColumn) and action.args.get("allow_null") is False:
            column = name(action.this)
            yield Hit(
                f"SET NOT NULL on {table}.{column} fails if a row holds NULL, breaks code that "
                "still writes NULL, and scans the whole table under an ACCESS EXCLUSIVE lock",
                action,
            )


@rule(
    "add-required-column",
    title="Adding a NOT NULL column without a default",
    severity=ERROR,
    hint="give it a DEFAULT (cheap on PostgreSQL 11+ and MySQL 8), or add it nullable, "
    "backfill it, and add NOT NULL in a later migration",
)
def add_required_column(ctx: Context) -> Iterator[Hit]:
    table, actions = _altered(ctx)
    if not actions:
        return
    for _, column in column_defs(ctx.expression):
        kinds = constraints(column)
        required = any(
            (isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null"))
            or isinstance(k, exp.PrimaryKeyColumnConstraint)
            for k in kinds
        )
        kind = column.args.get("kind")
        serial = kind is not None and kind.this.name in _SERIALS
        if required and not serial and not any(isinstance(k, _FILLED) for k in kinds):
            yield Hit(
                f"{table}.{name(column.this)} is added NOT NULL without a DEFAULT: the rows "
                "already there have no value for it, and inserts by the running code, which "
                "does not know it, fail",
                column,
            )
