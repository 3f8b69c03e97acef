"""MySQL and MariaDB locks: ALTER TABLEs that copy or rebuild a table, indexes built offline.

InnoDB changes many things INSTANT or INPLACE (concurrent writes allowed), but falls back
silently to a table copy that blocks writes when it cannot. Stating ALGORITHM and LOCK
makes the server refuse instead of falling back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from rung.lint.model import WARNING, Context, Hit
from rung.lint.registry import rule
from rung.lint.sql import alter_actions, index_table, is_create, name, unquote

MYSQL = ("mysql", "mariadb")
_ONLINE_ALGORITHM = re.compile(r"\bALGORITHM ?=? ?(INPLACE|INSTANT)\b")
_INSTANT = re.compile(r"\bALGORITHM ?=? ?INSTANT\b")
_NO_LOCK = re.compile(r"\bLOCK ?=? ?NONE\b")
_CONVERT = re.compile(r"^ALTER TABLE (\S+) .*\bCONVERT TO (?:CHARACTER SET|CHARSET)\b")
# (server, the first version that adds a column anywhere instantly, the first at the end)
_INSTANT_ADD = {
    "mysql": ("MySQL", (8, 0, 29), (8, 0, 12)),
    "mariadb": ("MariaDB", (10, 4), (10, 3, 2)),
}
_CREATE_INDEX = re.compile(r"^CREATE (?:UNIQUE |FULLTEXT |SPATIAL )?INDEX (\S+) ON ([^\s(]+)")


def _existing_alter(ctx: Context) -> tuple[str, list[exp.Expression]]:
    actions = alter_actions(ctx.expression)
    table = name(ctx.expression.this) if actions and ctx.expression else ""
    return (table, actions) if actions and table not in ctx.created else (table, [])


@rule(
    "alter-column-copies-table",
    title="Changing a column definition that makes MySQL copy the table",
    severity=WARNING,
    dialects=MYSQL,
    hint="state ALGORITHM=INPLACE, LOCK=NONE so the server refuses rather than copies; for a "
    "real type change on a big table use gh-ost or pt-online-schema-change",
)
def alter_column_copies_table(ctx: Context) -> Iterator[Hit]:
    if _ONLINE_ALGORITHM.search(ctx.parsed.words):
        return
    table, actions = _existing_alter(ctx)
    for action in actions:
        if isinstance(action, exp.ModifyColumn):
            column = name(action.this.this)
            yield Hit(
                f"redefining {table}.{column}: if its type changes, the server copies the whole "
                "table (ALGORITHM=COPY) and blocks writes until the copy is done",
                action,
            )
    match = _CONVERT.match(ctx.parsed.words)
    if isinstance(ctx.expression, exp.Command) and match and unquote(match[1]) not in ctx.created:
        yield Hit(
            f"converting {unquote(match[1])} to another character set copies the whole table "
            "and blocks writes until the copy is done"
        )


@rule(
    "add-column-rebuilds-table",
    title="Adding a column that old MySQL/MariaDB versions cannot add instantly",
    severity=WARNING,
    dialects=MYSQL,
    hint="add the column at the end (no FIRST/AFTER), or state ALGORITHM=INSTANT so the server "
    "refuses instead of rebuilding; set target_version to the server you run",
)
def add_column_rebuilds_table(ctx: Context) -> Iterator[Hit]:
    if _INSTANT.search(ctx.parsed.words):
        return
    server, anywhere, at_end = _INSTANT_ADD[ctx.dialect]
    table, actions = _existing_alter(ctx)
    for action in actions:
        if not isinstance(action, exp.ColumnDef):
            continue
        position = action.args.get("position")
        if ctx.below(*at_end):
            since = ".".join(map(str, at_end))
        elif position is not None and ctx.below(*anywhere):
            since = ".".join(map(str, anywhere))
        else:
            continue
        where = f" {position.sql(dialect='mysql')}" if position is not None else ""
        yield Hit(
            f"adding {table}.{name(action.this)}{where} rebuilds the whole table on {server} "
            f"before {since}",
            action,
        )


@rule(
    "add-index-without-online-ddl",
    title="Adding an index without ALGORITHM=INPLACE, LOCK=NONE",
    severity=WARNING,
    dialects=MYSQL,
    hint="append ALGORITHM=INPLACE, LOCK=NONE (`, ALGORITHM=INPLACE, LOCK=NONE` in ALTER TABLE) "
    "so the server refuses instead of blocking writes",
)
def add_index_without_online_ddl(ctx: Context) -> Iterator[Hit]:
    words = ctx.parsed.words
    if _ONLINE_ALGORITHM.search(words) and _NO_LOCK.search(words):
        return
    indexes: list[tuple[str, str]] = []
    e = ctx.expression
    table, actions = _existing_alter(ctx)
    for action in actions:
        if isinstance(action, exp.AddConstraint):
            for kind in action.expressions:
                if isinstance(kind, exp.IndexColumnConstraint | exp.UniqueColumnConstraint):
                    indexes.append((table, name(kind.this) or "(unnamed)"))
    if is_create(e, "INDEX") and e is not None and index_table(e) not in ctx.created:
        indexes.append((index_table(e), name(e.this.this) or "(unnamed)"))
    match = _CREATE_INDEX.match(words)
    if isinstance(e, exp.Command) and match and unquote(match[2]) not in ctx.created:
        indexes.append((unquote(match[2]), unquote(match[1])))
    for on, index in indexes:
        yield Hit(
            f"index {index} on {on} is added without ALGORITHM=INPLACE, LOCK=NONE: where it "
            "cannot be built online, the server silently blocks writes until it is built"
        )
