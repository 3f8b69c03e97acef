"""SQLite: index expressions and partial predicates from the index SQL, rowid aliases,
generated expressions (the inspector cuts them wrongly), views and triggers from their
SQL. SQLite has no stored functions."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from rung.schema.flavours import Flavour, split_top_level, until_unbalanced, update_of
from rung.schema.model import Column, Index, Trigger, normalise_body, normalise_expression

_INDEX = re.compile(r"^CREATE\s+(UNIQUE\s+)?INDEX\s+.*?\bON\s+\S+\s*\((.*)$", re.I | re.S)
_VIEW_PREFIX = re.compile(r"^CREATE\s+(TEMP\w*\s+)?VIEW\s+.*?\s+AS\s+", re.I | re.S)
_NAME = r"(?:\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|'[^']*'|\S+)"
_TRIGGER = re.compile(
    rf"^CREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}\s+"
    r"(?:(?P<timing>BEFORE|AFTER|INSTEAD\s+OF)\s+)?"
    r"(?P<event>DELETE|INSERT|UPDATE(?:\s+OF\s+(?P<columns>.+?))?)\s+"
    rf"ON\s+{_NAME}\s+(?:FOR\s+EACH\s+ROW\s+)?(?:WHEN\s+(?P<condition>.+?)\s+)?"
    r"(?P<body>BEGIN\b.*)$",
    re.I | re.S,
)


class SQLiteFlavour(Flavour):
    sql_flavour = "sqlite"
    serverless_url = "sqlite:///:memory:"
    identity_clause = ""  # INTEGER PRIMARY KEY is the rowid, numbered by SQLite
    forward_references = True

    def column(self, table: str, raw: dict[str, Any], column: Column) -> Column:
        computed = raw.get("computed")
        if computed:
            column = replace(
                column, generated=normalise_expression(until_unbalanced(computed["sqltext"]))
            )
        if raw.get("primary_key"):
            column = replace(column, nullable=False)
        return column

    def uniques(
        self, conn: Any, table: str, reflected: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        # The inspector misses column-level UNIQUE; SQLite backs each with an index.
        names = {tuple(u["column_names"]): u["name"] for u in reflected}
        cur = conn.cursor()
        cur.execute("SELECT name FROM pragma_index_list(?) WHERE origin = 'u'", (table,))
        found = []
        for (index,) in cur.fetchall():
            cur.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,))
            columns = tuple(row[0] for row in cur.fetchall())
            found.append({"name": names.get(columns), "column_names": list(columns)})
        return found

    def foreign_keys(
        self, conn: Any, table: str, reflected: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        # The inspector misses ON DELETE/ON UPDATE of inline REFERENCES; the pragma has them.
        cur = conn.cursor()
        cur.execute(
            'SELECT id, "from", on_update, on_delete FROM pragma_foreign_key_list(?)'
            " ORDER BY id, seq",
            (table,),
        )
        actions: dict[tuple[str, ...], dict[str, str]] = {}
        columns: dict[int, list[str]] = {}
        for fk_id, column, on_update, on_delete in cur.fetchall():
            columns.setdefault(fk_id, []).append(column)
            actions[fk_id] = {"onupdate": on_update, "ondelete": on_delete}
        by_columns = {tuple(cols): actions[fk_id] for fk_id, cols in columns.items()}
        return [
            {**fk, "options": by_columns.get(tuple(fk["constrained_columns"]), fk.get("options"))}
            for fk in reflected
        ]

    def indexes(self, conn: Any, table: str, reflected: list[dict[str, Any]]) -> list[Index]:
        cur = conn.cursor()
        cur.execute(
            'SELECT i.name, i."unique", m.sql FROM pragma_index_list(?) i'
            " JOIN sqlite_master m ON m.type = 'index' AND m.name = i.name"
            " WHERE i.origin = 'c'",
            (table,),
        )
        found = []
        for name, unique, sql in cur.fetchall():
            match = _INDEX.match(sql or "")
            if not match:
                continue
            body = match.group(2)
            columns = until_unbalanced(body)
            rest = body[len(columns) + 1 :]
            where = re.search(r"\bWHERE\b(.*)$", rest, re.I | re.S)
            found.append(
                Index(
                    name=name,
                    columns=tuple(normalise_expression(c) for c in split_top_level(columns)),
                    unique=bool(unique),
                    predicate=normalise_expression(where.group(1)) if where else None,
                )
            )
        return found

    def view_definition(self, text: str) -> str:
        return super().view_definition(_VIEW_PREFIX.sub("", text))

    def triggers(self, conn: Any) -> list[Trigger]:
        cur = conn.cursor()
        cur.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        found = []
        for name, table, sql in cur.fetchall():
            match = _TRIGGER.match((sql or "").strip())
            if match is None:  # a form this reader does not know: compare its text whole
                found.append(Trigger(name, table, "", (), normalise_body(sql or "")))
                continue
            columns, condition = match.group("columns"), match.group("condition")
            event = update_of(columns) if columns else match.group("event").upper()
            found.append(
                Trigger(
                    name=name,
                    table=table,
                    timing=" ".join((match.group("timing") or "BEFORE").upper().split()),
                    events=(event,),
                    action=normalise_body(match.group("body")),
                    condition=normalise_expression(condition) if condition else None,
                )
            )
        return found


FLAVOUR = SQLiteFlavour()
