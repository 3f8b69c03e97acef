"""A neutral, comparable picture of a database schema: frozen values, sorted by name.

Two databases built from the same migrations give equal `Schema` values: names the
server made up (unnamed constraints) are stored as None, types, defaults and bodies are
normalised (see `normalise_type`, `normalise_default`, `normalise_body`), who created an
object (MySQL's DEFINER) is left out, and every collection is a tuple sorted by its
objects' keys.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=Keyed)


def by_key(items: Iterable[K]) -> tuple[K, ...]:
    return tuple(sorted(items, key=lambda item: item.key))


def _cols(columns: Iterable[str]) -> str:
    return "(" + ", ".join(columns) + ")"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    identity: bool = False  # identity, serial, AUTO_INCREMENT or SQLite's rowid alias
    generated: str | None = None  # expression of a generated (computed) column
    collation: str | None = None

    @property
    def key(self) -> str:
        return self.name

    @property
    def summary(self) -> str:
        parts = [self.type, "NULL" if self.nullable else "NOT NULL"]
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.identity:
            parts.append("IDENTITY")
        if self.generated is not None:
            parts.append(f"GENERATED ({self.generated})")
        if self.collation:
            parts.append(f"COLLATE {self.collation}")
        return " ".join(parts)


@dataclass(frozen=True)
class PrimaryKey:
    columns: tuple[str, ...]
    name: str | None = None

    @property
    def key(self) -> str:
        return "primary key"

    @property
    def summary(self) -> str:
        return _cols(self.columns)


@dataclass(frozen=True)
class UniqueConstraint:
    columns: tuple[str, ...]
    name: str | None = None

    @property
    def key(self) -> str:
        return self.name or f"unique {_cols(self.columns)}"

    @property
    def summary(self) -> str:
        return f"UNIQUE {_cols(self.columns)}"


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    name: str | None = None
    on_delete: str | None = None
    on_update: str | None = None

    @property
    def key(self) -> str:
        return self.name or f"fk {_cols(self.columns)} -> {self.ref_table}{_cols(self.ref_columns)}"

    @property
    def summary(self) -> str:
        text = f"{_cols(self.columns)} REFERENCES {self.ref_table} {_cols(self.ref_columns)}"
        if self.on_delete:
            text += f" ON DELETE {self.on_delete}"
        if self.on_update:
            text += f" ON UPDATE {self.on_update}"
        return text


@dataclass(frozen=True)
class CheckConstraint:
    expression: str
    name: str | None = None

    @property
    def key(self) -> str:
        return self.name or f"check ({self.expression})"

    @property
    def summary(self) -> str:
        return f"CHECK ({self.expression})"


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]  # column names, or expressions
    unique: bool = False
    predicate: str | None = None  # partial index WHERE
    method: str | None = None  # btree is the default and is stored as None

    @property
    def key(self) -> str:
        return self.name

    @property
    def summary(self) -> str:
        text = ("UNIQUE " if self.unique else "") + _cols(self.columns)
        if self.method:
            text += f" USING {self.method}"
        if self.predicate:
            text += f" WHERE {self.predicate}"
        return text


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]  # in table order
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()

    @property
    def key(self) -> str:
        return self.name

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class View:
    name: str
    definition: str

    @property
    def key(self) -> str:
        return self.name


@dataclass(frozen=True)
class Sequence:
    name: str
    start: int | None = None
    increment: int | None = None

    @property
    def key(self) -> str:
        return self.name

    @property
    def summary(self) -> str:
        return f"START {self.start} INCREMENT {self.increment}"


@dataclass(frozen=True)
class Enum:
    name: str
    labels: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.name

    @property
    def summary(self) -> str:
        return "(" + ", ".join(self.labels) + ")"


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str  # or view (INSTEAD OF)
    timing: str  # BEFORE, AFTER or INSTEAD OF
    events: tuple[str, ...]  # INSERT, DELETE, TRUNCATE, UPDATE or UPDATE OF a, b
    action: str  # EXECUTE FUNCTION f() on PostgreSQL; the body elsewhere
    level: str = "ROW"  # or STATEMENT
    condition: str | None = None  # WHEN
    clauses: str | None = None  # PostgreSQL: REFERENCING ..., FROM ..., DEFERRABLE ...
    constraint: bool = False  # PostgreSQL CREATE CONSTRAINT TRIGGER

    @property
    def key(self) -> str:
        # PostgreSQL trigger names are unique per table only.
        return f"{self.table}.{self.name}"

    @property
    def summary(self) -> str:
        text = f"{self.timing} {' OR '.join(self.events)} FOR EACH {self.level}"
        return text + (f" WHEN ({self.condition})" if self.condition else "")


@dataclass(frozen=True)
class Routine:
    """A function or a stored procedure. `arguments` (the argument types) tells overloads
    apart; `parameters` is the list as declared, with names, modes and defaults."""

    kind: str  # function or procedure
    name: str
    arguments: str
    parameters: str
    returns: str | None  # None for a procedure
    language: str
    body: str
    volatility: str | None = None  # IMMUTABLE / STABLE / VOLATILE, [NOT] DETERMINISTIC
    options: tuple[str, ...] = ()  # further characteristics, each as SQL: STRICT, SET ...

    @property
    def key(self) -> str:
        return f"{self.name}({self.arguments})"

    @property
    def summary(self) -> str:
        text = f"({self.parameters})"
        if self.returns is not None:
            text += f" RETURNS {self.returns}"
        return text + f" LANGUAGE {self.language}"


@dataclass(frozen=True)
class Schema:
    dialect: str
    tables: tuple[Table, ...] = ()
    views: tuple[View, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    enums: tuple[Enum, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    routines: tuple[Routine, ...] = ()  # sorted by kind, then key

    def routines_of(self, kind: str) -> tuple[Routine, ...]:
        return tuple(r for r in self.routines if r.kind == kind)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


# -- normalisation ---------------------------------------------------------------------------
_ALIASES = {
    "int": "integer",
    "int4": "integer",
    "mediumint": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "bool": "boolean",
    "tinyint(1)": "boolean",
    "character varying": "varchar",
    "character": "char",
    "decimal": "numeric",
    "float8": "double precision",
    "double": "double precision",
    "float4": "real",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
}
_INTEGERS = ("tinyint", "smallint", "mediumint", "int", "integer", "bigint")


def normalise_type(text: str) -> str:
    """One spelling per type: `INT(11)`, `int4` and `INTEGER` are all `integer`."""
    value = " ".join(text.lower().split())
    value = re.sub(r"\s*\(\s*", "(", value)
    value = re.sub(r"\s*,\s*", ",", value)
    value = re.sub(r"\s*\)", ")", value)
    if value in _ALIASES:
        return _ALIASES[value]
    match = re.fullmatch(r"(\w+)\(\d+\)( unsigned)?( zerofill)?", value)
    if match and match.group(1) in _INTEGERS:  # MySQL display widths mean nothing
        value = match.group(1) + (match.group(2) or "")
    base, paren, rest = value.partition("(")
    base = _ALIASES.get(base, base)
    return base + paren + rest


def normalise_default(text: str | None) -> str | None:
    """Server spellings of one default made equal: casts, outer parentheses, NULL."""
    if text is None:
        return None
    value = text.strip()
    while value.startswith("(") and value.endswith(")") and _balanced(value[1:-1]):
        value = value[1:-1].strip()
    value = re.sub(r"::[a-z_ ]+(\[\])?(\(\d+\))?$", "", value, flags=re.I)
    if value.upper() in ("NULL", ""):
        return None
    if value.lower() in ("current_timestamp()", "now()", "current_timestamp"):
        return "CURRENT_TIMESTAMP"
    if value.lower() in ("true", "false"):
        return value.lower()
    return value


def normalise_expression(text: str) -> str:
    """Whitespace collapsed, redundant outer parentheses and identifier quotes removed."""
    value = " ".join(text.replace("`", "").split())
    while value.startswith("(") and value.endswith(")") and _balanced(value[1:-1]):
        value = value[1:-1].strip()
    return value


def normalise_body(text: str) -> str:
    """A routine's or trigger's body as the server keeps it, made comparable: line endings,
    trailing spaces, the indentation all lines share, and blank lines around it dropped.
    Everything else, including whitespace inside a line, is kept: any real edit shows."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return textwrap.dedent("\n".join(lines)).strip("\n")


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0
