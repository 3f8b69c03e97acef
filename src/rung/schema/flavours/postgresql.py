"""PostgreSQL: owned sequences belong to their columns, enums, auto-named constraints,
triggers (pg_trigger) and functions and procedures (pg_proc) of the current schema."""

from __future__ import annotations

import re
from typing import Any

from rung.schema.flavours import Flavour, update_of
from rung.schema.model import (
    Column,
    Enum,
    Routine,
    Sequence,
    Trigger,
    normalise_body,
    normalise_expression,
)

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


# Triggers written by users; internal ones implement foreign keys, and the copies a
# partitioned table's trigger makes on its partitions (13+) come with it.
_TRIGGERS = """
SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid, true)
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname = current_schema(){clones}
"""

# Functions and procedures of the current schema, without those an extension owns.
# Aggregates ('a') are left out. The body of a SQL-standard function (BEGIN ATOMIC,
# RETURN) is not in prosrc; it is deparsed by pg_get_function_sqlbody.
_ROUTINES = """
SELECT p.proname, p.prokind, oidvectortypes(p.proargtypes), pg_get_function_arguments(p.oid),
       pg_get_function_result(p.oid), l.lanname, p.provolatile, {body},
       pg_get_functiondef(p.oid)
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p', 'w')
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  )
"""
_SQL_BODY = "CASE WHEN p.prosqlbody IS NULL THEN p.prosrc ELSE pg_get_function_sqlbody(p.oid) END"

_NAME = r'(?:"(?:[^"]|"")*"|\S+)'
_TRIGGER = re.compile(
    rf"^CREATE (?P<constraint>CONSTRAINT )?TRIGGER {_NAME} (?P<timing>BEFORE|AFTER|INSTEAD OF) "
    rf"(?P<events>.+?) ON {_NAME} (?P<clauses>.*?)FOR EACH (?P<level>ROW|STATEMENT) "
    r"(?:WHEN \((?P<condition>.*)\) )?(?P<action>EXECUTE (?:FUNCTION|PROCEDURE) .*)$",
    re.S,
)
_VOLATILITY = {"i": "IMMUTABLE", "s": "STABLE", "v": "VOLATILE"}
_KINDS = {"f": "function", "w": "function", "p": "procedure"}


class PostgreSQLFlavour(Flavour):
    sql_flavour = "postgresql"

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

    def triggers(self, conn: Any) -> list[Trigger]:
        cur = conn.cursor()
        clones = " AND t.tgparentid = 0" if _version(cur) >= 130000 else ""
        cur.execute(_TRIGGERS.format(clones=clones))
        found = []
        for name, table, definition in cur.fetchall():
            match = _TRIGGER.match(definition)
            if match is None:  # a form this reader does not know: compare its text whole
                found.append(Trigger(name, table, "", (), normalise_expression(definition)))
                continue
            condition = match.group("condition")
            found.append(
                Trigger(
                    name=name,
                    table=table,
                    timing=match.group("timing"),
                    events=tuple(_event(e) for e in match.group("events").split(" OR ")),
                    action=match.group("action").replace("EXECUTE PROCEDURE", "EXECUTE FUNCTION"),
                    level=match.group("level"),
                    condition=normalise_expression(condition) if condition else None,
                    clauses=match.group("clauses").strip() or None,
                    constraint=bool(match.group("constraint")),
                )
            )
        return found

    def routines(self, conn: Any) -> list[Routine]:
        cur = conn.cursor()
        standard_bodies = _version(cur) >= 140000  # BEGIN ATOMIC came with 14
        cur.execute(_ROUTINES.format(body=_SQL_BODY if standard_bodies else "p.prosrc"))
        found = []
        for row in cur.fetchall():
            name, kind, types, params, result, language, volatile, body, definition = row
            procedure = _KINDS[kind] == "procedure"
            found.append(
                Routine(
                    kind=_KINDS[kind],
                    name=name,
                    arguments=types,
                    parameters=params,
                    returns=None if procedure else result,
                    language=language,
                    body=normalise_body(body or ""),
                    volatility=None if procedure else _VOLATILITY[volatile],
                    options=_options(definition),
                )
            )
        return found

    def preamble(self, routines: tuple[Routine, ...]) -> list[str]:
        # Function bodies may name tables the dump creates after them (as pg_dump does).
        return ["SET check_function_bodies = false;"] if routines else []

    def needs_tables(self, routine: Routine) -> bool:
        # check_function_bodies covers bodies in strings, not SQL-standard ones.
        return _standard_body(routine)

    def render_routine(self, routine: Routine) -> str:
        lines = [f"CREATE {routine.kind.upper()} {self.quote(routine.name)}({routine.parameters})"]
        if routine.returns is not None:
            lines[0] += f" RETURNS {routine.returns}"
        head = f"LANGUAGE {routine.language}"
        head += f" {routine.volatility}" if routine.volatility else ""
        lines += ["    " + text for text in (head, *routine.options)]
        if _standard_body(routine):
            return "\n".join(lines) + "\n" + routine.body + ";"
        tag = _dollar_tag(routine.body)
        return "\n".join(lines) + f"\nAS {tag}\n{routine.body}\n{tag};"


def _version(cur: Any) -> int:
    cur.execute("SELECT current_setting('server_version_num')::int")
    return int(cur.fetchone()[0])


def _event(text: str) -> str:
    return update_of(text[len("UPDATE OF ") :]) if text.startswith("UPDATE OF ") else text


def _options(definition: str) -> tuple[str, ...]:
    """Characteristics from pg_get_functiondef beyond those read on their own (RETURNS,
    LANGUAGE, the volatility): STRICT, SECURITY DEFINER, PARALLEL, COST, SET, WINDOW, ..."""
    options = []
    for line in definition.split("\n")[1:]:
        if not line.startswith(" ") or line.startswith(" AS "):
            break  # the body starts
        words = line.strip()
        if words.startswith(("RETURNS ", "LANGUAGE ")):
            continue
        if not words.startswith("SET "):  # a SET value may hold any word
            words = " ".join(re.sub(r"\b(IMMUTABLE|STABLE|VOLATILE)\b", "", words).split())
        if words:
            options.append(words)
    return tuple(options)


def _standard_body(routine: Routine) -> bool:
    """A SQL-standard body (RETURN ..., BEGIN ATOMIC ... END), written without AS '...'."""
    return routine.language == "sql" and routine.body.startswith(("RETURN ", "BEGIN ATOMIC"))


def _dollar_tag(body: str) -> str:
    tag, n = "$rung$", 0
    while tag in body:
        n += 1
        tag = f"$rung{n}$"
    return tag


FLAVOUR = PostgreSQLFlavour()
