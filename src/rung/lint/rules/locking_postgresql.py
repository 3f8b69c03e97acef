"""PostgreSQL locks: statements that block reads or writes on a live table while they run.

Most DDL takes an ACCESS EXCLUSIVE lock; while it waits for that lock, every later query
on the table queues behind it. The cures are the concurrent and NOT VALID forms, and a
lock_timeout so that a migration gives up instead of stalling the application.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from rung.lint.model import ERROR, WARNING, Context, Hit, MigrationContext
from rung.lint.registry import rule
from rung.lint.sql import (
    alter_actions,
    column_defs,
    constraints,
    created_tables,
    dropped,
    index_table,
    is_create,
    is_drop,
    locks_existing_table,
    name,
    sets_lock_timeout,
    sql,
    unquote,
)

PG = ("postgresql",)
# Statements PostgreSQL refuses inside a transaction block, and how messages name them.
_NO_TRANSACTION = [
    (re.compile(p), label)
    for p, label in (
        (r"^REINDEX\b.*\bCONCURRENTLY\b", "REINDEX CONCURRENTLY"),
        (
            r"^ALTER TABLE\b.*\bDETACH PARTITION\b.*\bCONCURRENTLY\b",
            "DETACH PARTITION CONCURRENTLY",
        ),
        (r"^VACUUM\b", "VACUUM"),
        (r"^(?:CREATE|DROP) DATABASE\b", "CREATE/DROP DATABASE"),
        (r"^(?:CREATE|DROP) TABLESPACE\b", "CREATE/DROP TABLESPACE"),
        (r"^ALTER SYSTEM\b", "ALTER SYSTEM"),
    )
]
_ADD_ENUM_VALUE = re.compile(r"^ALTER TYPE \S+ ADD VALUE\b")
_REWRITE = re.compile(r"^(VACUUM (?:\([^)]*\bFULL\b[^)]*\)|FULL\b)|CLUSTER\b)(.*)$")
_VOLATILE = re.compile(
    r"\b(?:random|gen_random_uuid|uuid_generate_v[14]\w*|clock_timestamp|timeofday|nextval"
    r"|txid_current|gen_random_bytes|uuid)\s*\(",
    re.I,
)
_SERIALS = ("SERIAL", "BIGSERIAL", "SMALLSERIAL")
_SEPARATE = "in a migration of its own marked `-- rung:no-transaction`"


def _existing_alter(ctx: Context) -> tuple[str, list[exp.Expression]]:
    actions = alter_actions(ctx.expression)
    table = name(ctx.expression.this) if actions and ctx.expression else ""
    return (table, actions) if actions and table not in ctx.created else (table, [])


@rule(
    "create-index-without-concurrently",
    title="CREATE INDEX without CONCURRENTLY on an existing table",
    severity=WARNING,
    dialects=PG,
    hint=f"use CREATE INDEX CONCURRENTLY {_SEPARATE}",
)
def create_index_without_concurrently(ctx: Context) -> Iterator[Hit]:
    e = ctx.expression
    if is_create(e, "INDEX") and e is not None and not e.args.get("concurrently"):
        table = index_table(e)
        if table not in ctx.created:
            index = name(e.this.this) if e.this.this is not None else "(unnamed)"
            yield Hit(
                f"CREATE INDEX {index} blocks writes to {table} until the whole index is built"
            )


@rule(
    "drop-index-without-concurrently",
    title="DROP INDEX without CONCURRENTLY",
    severity=WARNING,
    dialects=PG,
    hint=f"use DROP INDEX CONCURRENTLY {_SEPARATE}",
)
def drop_index_without_concurrently(ctx: Context) -> Iterator[Hit]:
    e = ctx.expression
    if is_drop(e, "INDEX") and e is not None and not e.args.get("concurrently"):
        made_here = {
            name(p.expression.this.this)
            for p in ctx.before
            if is_create(p.expression, "INDEX") and p.expression.this.this is not None
        }
        indexes = [name(t) for t in dropped(e) if name(t) not in made_here]
        if indexes:
            yield Hit(
                f"DROP INDEX {', '.join(indexes)} takes an ACCESS EXCLUSIVE lock on its "
                "table: reads and writes wait while it waits and runs"
            )


@rule(
    "cannot-run-in-transaction",
    title="Statement that cannot run inside a transaction (CONCURRENTLY, VACUUM, ...)",
    severity=ERROR,
    dialects=PG,
    hint=f"put it {_SEPARATE} (one statement each, so a failure leaves nothing half-done)",
)
def cannot_run_in_transaction(ctx: Context) -> Iterator[Hit]:
    if not ctx.in_transaction:
        return
    e, words = ctx.expression, ctx.parsed.words
    labels = [label for pattern, label in _NO_TRANSACTION if pattern.match(words)]
    if isinstance(e, exp.Create | exp.Drop) and e.args.get("concurrently"):
        labels.append(f"{words.split()[0]} {e.args.get('kind')} CONCURRENTLY")
    if ctx.below(12) and _ADD_ENUM_VALUE.match(words):
        labels.append("ALTER TYPE ... ADD VALUE (before PostgreSQL 12)")
    for label in labels:
        yield Hit(
            f"{label} cannot run inside a transaction block, and here it would run in one: "
            "PostgreSQL rejects it"
        )


@rule(
    "add-constraint-without-not-valid",
    title="Adding a FOREIGN KEY or CHECK constraint without NOT VALID",
    severity=WARNING,
    dialects=PG,
    hint="add it with NOT VALID (instant), then ALTER TABLE ... VALIDATE CONSTRAINT in a later "
    "migration, which checks the rows without blocking writes",
)
def add_constraint_without_not_valid(ctx: Context) -> Iterator[Hit]:
    table, actions = _existing_alter(ctx)
    if not actions or ctx.expression is None or ctx.expression.args.get("not_valid"):
        return
    for action in actions:
        if not isinstance(action, exp.AddConstraint):
            continue
        for fk in action.find_all(exp.ForeignKey):
            parent = name(fk.args["reference"].this) if fk.args.get("reference") else "?"
            yield Hit(
                f"adding a FOREIGN KEY to {table} checks every row while blocking writes "
                f"to {table} and {parent}",
                action,
            )
        for _ in action.find_all(exp.CheckColumnConstraint):
            yield Hit(
                f"adding a CHECK constraint to {table} checks every row under an ACCESS "
                "EXCLUSIVE lock",
                action,
            )


@rule(
    "add-unique-constraint-without-index",
    title="Adding a UNIQUE or PRIMARY KEY constraint without a concurrently built index",
    severity=WARNING,
    dialects=PG,
    hint="CREATE UNIQUE INDEX CONCURRENTLY first (in a `-- rung:no-transaction` migration), "
    "then ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX (or PRIMARY KEY USING INDEX)",
)
def add_unique_constraint_without_index(ctx: Context) -> Iterator[Hit]:
    table, actions = _existing_alter(ctx)
    for action in actions:
        kinds = [action] if isinstance(action, exp.AddConstraint) else []
        kinds += constraints(action) if isinstance(action, exp.ColumnDef) else []
        for kind in kinds:
            unique = kind.find(
                exp.UniqueColumnConstraint, exp.PrimaryKey, exp.PrimaryKeyColumnConstraint
            )
            if unique is not None:
                what = "PRIMARY KEY" if "Primary" in type(unique).__name__ else "UNIQUE"
                yield Hit(
                    f"adding {what} to {table} builds its index under an ACCESS EXCLUSIVE "
                    "lock: reads and writes wait until it is built",
                    action,
                )


@rule(
    "add-column-volatile-default",
    title="Adding a column with a volatile default (or an identity or generated value)",
    severity=WARNING,
    dialects=PG,
    hint="add the column without a default (or with a constant one), then set the default, "
    "and backfill existing rows in batches",
)
def add_column_volatile_default(ctx: Context) -> Iterator[Hit]:
    table, actions = _existing_alter(ctx)
    if not actions:
        return
    for _, column in column_defs(ctx.expression):
        why = _computed_per_row(column, ctx)
        if why:
            yield Hit(
                f"{table}.{name(column.this)} is added with {why}: filling it in rewrites the "
                "whole table under an ACCESS EXCLUSIVE lock",
                column,
            )


def _computed_per_row(column: exp.ColumnDef, ctx: Context) -> str | None:
    """Why each existing row needs its own value (so the table is rewritten), if it does."""
    kind = column.args.get("kind")
    if kind is not None and kind.this.name in _SERIALS:
        return f"a {kind.this.name.lower()} type"
    for constraint in constraints(column):
        if isinstance(constraint, exp.GeneratedAsIdentityColumnConstraint):
            return "identity values"
        if isinstance(constraint, exp.ComputedColumnConstraint):
            return "stored generated values"
        if isinstance(constraint, exp.DefaultColumnConstraint):
            text = sql(constraint.this, ctx)
            if _VOLATILE.search(text):
                return f"the volatile DEFAULT {text}"
            if ctx.below(11) and text.upper() != "NULL":
                return f"DEFAULT {text} (before PostgreSQL 11, any default)"
    return None


@rule(
    "vacuum-full-or-cluster",
    title="VACUUM FULL or CLUSTER",
    severity=WARNING,
    dialects=PG,
    hint="run it by hand in a maintenance window, or use pg_repack or pg_squeeze, which "
    "rewrite a table without blocking it",
)
def vacuum_full_or_cluster(ctx: Context) -> Iterator[Hit]:
    match = _REWRITE.match(ctx.parsed.words)
    if match:
        command = match.group(1).split("(")[0].strip()
        rest = [w for w in match.group(2).split() if w not in ("VERBOSE", "USING")]
        table = unquote(rest[0]) if rest else "every table"
        yield Hit(
            f"{command} rewrites {table} under an ACCESS EXCLUSIVE lock: reads and writes "
            "wait until it finishes"
        )


def _head(words: list[str]) -> str:
    """How a message names a statement: CREATE INDEX, ALTER TABLE, VACUUM FULL, CLUSTER."""
    if "INDEX" in words[1:3]:
        return f"{words[0]} INDEX"
    kinds = ("TABLE", "VIEW", "FULL", "MATERIALIZED", "TYPE")
    return " ".join(words[:2]) if words[1:2] and words[1] in kinds else words[0]


@rule(
    "missing-lock-timeout",
    title="DDL on an existing table without a lock_timeout",
    severity=WARNING,
    dialects=PG,
    scope="migration",
    hint="start the migration with SET LOCAL lock_timeout = '5s' (SET lock_timeout under "
    "`-- rung:no-transaction`), and retry the deploy when it times out",
)
def missing_lock_timeout(ctx: MigrationContext) -> Iterator[Hit]:
    for parsed in ctx.statements:
        if sets_lock_timeout(parsed):
            return
        before = ctx.statements[: parsed.index]
        table = locks_existing_table(parsed, created_tables(before))
        if table:
            head = _head(parsed.words.split())
            yield Hit(
                f"{head} waits for a lock on {table} with no lock_timeout set: while it "
                f"waits, every query on {table} queues behind it",
                parsed=parsed,
            )
            return
