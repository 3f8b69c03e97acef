"""Per-database introspection quirks, chosen by the dialect's `flavour` attribute.

Each module here subclasses `Flavour` and overrides only what its catalogs do better
than SQLAlchemy's inspector.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from rung.schema.model import CheckConstraint, Column, Enum, Index, Sequence, normalise_expression


class Flavour:
    # Auto-generated constraint names, as regular expressions over {table} and {columns}.
    auto_names: dict[str, tuple[str, ...]] = {}

    def is_auto_name(self, kind: str, table: str, columns: tuple[str, ...], name: str) -> bool:
        values = {"table": re.escape(table), "columns": re.escape("_".join(columns))}
        values["first"] = re.escape(columns[0]) if columns else ""
        return any(
            re.fullmatch(pattern.format(**values), name)
            for pattern in self.auto_names.get(kind, ())
        )

    def column(self, table: str, raw: dict[str, Any], column: Column) -> Column:
        return column

    def indexes(self, conn: Any, table: str, reflected: list[dict[str, Any]]) -> list[Index]:
        return [reflected_index(item) for item in reflected if not _duplicates(item)]

    def uniques(
        self, conn: Any, table: str, reflected: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Unique constraints as the inspector gives them (name, column_names)."""
        return reflected

    def foreign_keys(
        self, conn: Any, table: str, reflected: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Foreign keys as the inspector gives them (options holds ondelete/onupdate)."""
        return reflected

    def checks(self, conn: Any, tables: list[str]) -> dict[str, list[CheckConstraint]] | None:
        """Check constraints per table from the catalogs, or None to use the inspector's."""
        return None

    def sequences(self, conn: Any) -> list[Sequence]:
        return []

    def enums(self, inspector: Any) -> list[Enum]:
        return []

    def view_definition(self, text: str) -> str:
        return normalise_expression(text).rstrip(";").strip()


def _duplicates(item: dict[str, Any]) -> bool:
    return bool(item.get("duplicates_constraint"))


def reflected_index(item: dict[str, Any]) -> Index:
    expressions = item.get("expressions") or []
    names = item.get("column_names") or []
    columns = [
        name if name is not None else normalise_expression(expressions[i])
        for i, name in enumerate(names)
    ]
    options = item.get("dialect_options") or {}
    where = next((v for k, v in options.items() if k.endswith("_where")), None)
    using = next((v for k, v in options.items() if k.endswith("_using")), None)
    return Index(
        name=item["name"],
        columns=tuple(columns),
        unique=bool(item.get("unique")),
        predicate=normalise_expression(str(where)) if where else None,
        method=None if using in (None, "btree") else str(using),
    )


def flavour_for(name: str) -> Flavour:
    try:
        module = importlib.import_module(f"rung.schema.flavours.{name}")
    except ModuleNotFoundError:
        return Flavour()
    return module.FLAVOUR


def split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses and quotes."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def until_unbalanced(text: str) -> str:
    """The text up to the first `)` that closes a parenthesis opened before it."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return text[:i]
    return text
