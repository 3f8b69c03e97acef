"""A schema as deterministic SQL: a header without timestamps, then one object per block.
The same schema always gives the same bytes, and the dump re-executes on an empty database
of its own kind (psql, the mysql client, sqlite3, or `rung diff`, which loads it).

Order: enum types, sequences, functions and procedures (kind, then signature), tables,
functions whose creation reads the tables (PostgreSQL's BEGIN ATOMIC and RETURN bodies),
views, triggers. Tables come after those their foreign keys reference, views after the
views they read, otherwise by name; a foreign key in a cycle is added by ALTER TABLE once
every table exists (SQLite needs no such care: it resolves references when it uses them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from rung.schema.flavours import Flavour, flavour_for
from rung.schema.model import ForeignKey, Keyed, Schema, Table

K = TypeVar("K", bound=Keyed)

HEADER = "-- Schema dumped by `rung dump`: generated, do not edit."
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def quote(name: str) -> str:
    return Flavour().quote(name)


def render(schema: Schema) -> str:
    flavour = flavour_for(schema.dialect)
    blocks = [f"{HEADER}\n-- database: {schema.dialect}; {_counts(schema)}"]
    blocks += flavour.preamble(schema.routines)
    blocks += [
        f"CREATE TYPE {flavour.quote(e.name)} AS ENUM ("
        + ", ".join("'" + label.replace("'", "''") + "'" for label in e.labels)
        + ");"
        for e in schema.enums
    ]
    blocks += [
        f"CREATE SEQUENCE {flavour.quote(s.name)} START {s.start} INCREMENT {s.increment};"
        for s in schema.sequences
    ]
    late = [r for r in schema.routines if flavour.needs_tables(r)]
    blocks += [flavour.render_routine(r) for r in schema.routines if r not in late]
    blocks += _tables(schema.tables, flavour)
    blocks += [flavour.render_routine(r) for r in late]
    views = {v.name for v in schema.views}
    blocks += [
        f"CREATE VIEW {flavour.quote(v.name)} AS {v.definition};"
        for v in dependency_order(schema.views, lambda v: set(_WORD.findall(v.definition)) & views)
    ]
    blocks += [flavour.render_trigger(trigger) for trigger in schema.triggers]
    return "\n\n".join(blocks) + "\n"


def _counts(schema: Schema) -> str:
    text = (
        f"{len(schema.tables)} tables, {len(schema.views)} views, "
        f"{len(schema.sequences)} sequences, {len(schema.enums)} enums"
    )
    # Only when present, so that dumps without them read as they always have.
    for label, count in (
        ("triggers", len(schema.triggers)),
        ("functions", len(schema.routines_of("function"))),
        ("procedures", len(schema.routines_of("procedure"))),
    ):
        text += f", {count} {label}" if count else ""
    return text


def dependency_order(items: Iterable[K], depends_on: Callable[[K], set[str]]) -> list[K]:
    """`items` by key, each moved after the items it depends on (by key). In a cycle, the
    first remaining item by key goes first."""
    remaining = sorted(items, key=lambda item: item.key)
    known = {item.key for item in remaining}
    done: set[str] = set()
    ordered: list[K] = []
    while remaining:
        ready = next(
            (item for item in remaining if (depends_on(item) & known) - {item.key} <= done),
            remaining[0],
        )
        remaining.remove(ready)
        ordered.append(ready)
        done.add(ready.key)
    return ordered


def _tables(tables: Iterable[Table], flavour: Flavour) -> list[str]:
    ordered = dependency_order(tables, lambda t: {fk.ref_table for fk in t.foreign_keys})
    blocks, created, later = [], set(), []
    for table in ordered:
        created.add(table.name)
        forward = [
            fk
            for fk in table.foreign_keys
            if fk.ref_table not in created and not flavour.forward_references
        ]
        blocks.append(render_table(table, flavour, skip=forward))
        later += [(table, fk) for fk in forward]
    blocks += [
        f"ALTER TABLE {flavour.quote(table.name)} ADD {_foreign_key(fk, flavour)};"
        for table, fk in later
    ]
    return blocks


def render_table(
    table: Table, flavour: Flavour | None = None, *, skip: Iterable[ForeignKey] = ()
) -> str:
    """`CREATE TABLE` with its constraints (but those in `skip`), then its indexes."""
    flavour = flavour or Flavour()
    q = flavour.quote
    lines = []
    for column in table.columns:
        line = f"    {q(column.name)} {column.type}"
        if column.collation:
            line += f" COLLATE {q(column.collation)}"
        if column.generated is not None:
            line += f" GENERATED ALWAYS AS ({column.generated})"
        if column.identity:
            line += flavour.identity_clause
        if column.default is not None:
            line += f" DEFAULT {column.default}"
        if not column.nullable:
            line += " NOT NULL"
        lines.append(line)

    def constraint(name: str | None, body: str) -> str:
        return f"    {'CONSTRAINT ' + q(name) + ' ' if name else ''}{body}"

    if table.primary_key:
        lines.append(
            constraint(table.primary_key.name, "PRIMARY KEY " + _cols(table.primary_key.columns, q))
        )
    for unique in table.uniques:
        lines.append(constraint(unique.name, "UNIQUE " + _cols(unique.columns, q)))
    skipped = list(skip)
    lines += [f"    {_foreign_key(fk, flavour)}" for fk in table.foreign_keys if fk not in skipped]
    for check in table.checks:
        lines.append(constraint(check.name, f"CHECK ({check.expression})"))
    text = f"CREATE TABLE {q(table.name)} (\n" + ",\n".join(lines) + "\n);"
    for index in table.indexes:
        text += (
            f"\nCREATE {'UNIQUE ' if index.unique else ''}INDEX {q(index.name)}"
            f" ON {q(table.name)}"
            + (f" USING {index.method}" if index.method else "")
            + f" {_cols(index.columns, q)}"
            + (f" WHERE {index.predicate}" if index.predicate else "")
            + ";"
        )
    return text


def _foreign_key(fk: ForeignKey, flavour: Flavour) -> str:
    q = flavour.quote
    body = f"FOREIGN KEY {_cols(fk.columns, q)} REFERENCES {q(fk.ref_table)} "
    body += _cols(fk.ref_columns, q)
    body += f" ON DELETE {fk.on_delete}" if fk.on_delete else ""
    body += f" ON UPDATE {fk.on_update}" if fk.on_update else ""
    return (f"CONSTRAINT {q(fk.name)} " if fk.name else "") + body


def _cols(columns: tuple[str, ...], q: Callable[[str], str]) -> str:
    return "(" + ", ".join(c if "(" in c or " " in c else q(c) for c in columns) + ")"
