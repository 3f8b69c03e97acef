"""PostgreSQL: owned sequences belong to their columns, enums, auto-named constraints."""

from __future__ import annotations

from typing import Any

from rung.schema.flavours import Flavour
from rung.schema.model import Column, Enum, Sequence

# Sequences not owned by a column (serial and identity sequences are part of the column).
_SEQUENCES = """
SELECT c.relname, s.seqstart, s.seqincrement
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
  )
"""


class PostgreSQLFlavour(Flavour):
    # PostgreSQL names truncate at 63 bytes and take a digit suffix on collision.
    auto_names = {
        "primary": (r"{table}_pkey",),
        "unique": (r"{table}_{columns}_key\d*",),
        "foreign": (r"{table}_{columns}_fkey\d*",),
        "check": (r"{table}_\w*check\d*",),
    }

    def is_auto_name(self, kind: str, table: str, columns: tuple[str, ...], name: str) -> bool:
        if len(name) >= 63 and name.startswith(table[:20]):
            return True
        return super().is_auto_name(kind, table, columns, name)

    def column(self, table: str, raw: dict[str, Any], column: Column) -> Column:
        default = column.default or ""
        if default.startswith("nextval("):
            from dataclasses import replace

            return replace(column, default=None, identity=True)
        return column

    def sequences(self, conn: Any) -> list[Sequence]:
        cur = conn.cursor()
        cur.execute(_SEQUENCES)
        return [Sequence(name, int(start), int(step)) for name, start, step in cur.fetchall()]

    def enums(self, inspector: Any) -> list[Enum]:
        return [
            Enum(item["name"], tuple(item["labels"]))
            for item in inspector.get_enums()
            if item.get("visible", True)
        ]


FLAVOUR = PostgreSQLFlavour()
