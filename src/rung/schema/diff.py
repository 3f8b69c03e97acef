"""The differences between two schemas, as typed changes with a one-line form each:
`+ table x`, `- column users.age`, `~ column users.email: varchar(100) -> varchar(255)`,
`~ function f(integer): body changed` (with the changed lines, when they are few)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

from rung.schema.model import Column, Routine, Schema, Table, Trigger

ADDED, REMOVED, CHANGED = "+", "-", "~"
# A body diff longer than this is summed up by its size instead of shown.
MAX_BODY_LINES = 12


@dataclass(frozen=True)
class Change:
    change: str  # "+", "-" or "~"
    kind: str  # table, column, index, ..., view, trigger, function, procedure
    name: str  # qualified for what lives in a table: users.email; f(integer) for a routine
    detail: str = ""  # what the object is (+/-), or what changed (~)
    lines: tuple[str, ...] = ()  # a changed body's lines, diff style: "-old", "+new", " same"

    @property
    def text(self) -> str:
        separator = ": " if self.change == CHANGED else " "
        return f"{self.change} {self.kind} {self.name}" + (
            separator + self.detail if self.detail else ""
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "change": self.change,
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "text": self.text,
            "lines": list(self.lines),
        }


def diff(old: Schema, new: Schema) -> list[Change]:
    """What turns `old` into `new`, tables first, in a stable order."""
    changes: list[Change] = []
    changes += _compare("enum", old.enums, new.enums, _summary, _fields)
    changes += _compare("sequence", old.sequences, new.sequences, _summary, _fields)
    for kind in ("function", "procedure"):
        changes += _compare(
            kind, old.routines_of(kind), new.routines_of(kind), _summary, _routine, lines=_body
        )
    changes += _compare("table", old.tables, new.tables, lambda t: "", lambda a, b: "")
    new_tables = {t.name: t for t in new.tables}
    for table in old.tables:
        if table.name in new_tables:
            changes += _table(table, new_tables[table.name])
    changes += _compare("view", old.views, new.views, lambda v: "", _fields)
    changes += _compare("trigger", old.triggers, new.triggers, _summary, _trigger, lines=_action)
    return changes


def _table(old: Table, new: Table) -> list[Change]:
    prefix = old.name + "."
    changes = _compare("column", old.columns, new.columns, _summary, _column, prefix)
    old_pk = old.primary_key.summary if old.primary_key else "none"
    new_pk = new.primary_key.summary if new.primary_key else "none"
    if old_pk != new_pk:
        changes.append(Change(CHANGED, "primary key", old.name, f"{old_pk} -> {new_pk}"))
    changes += _compare("unique", old.uniques, new.uniques, _summary, None, prefix)
    changes += _compare("foreign key", old.foreign_keys, new.foreign_keys, _summary, None, prefix)
    changes += _compare("check", old.checks, new.checks, _summary, None, prefix)
    changes += _compare("index", old.indexes, new.indexes, _summary, _fields, prefix, table=False)
    return changes


def _compare(
    kind: str,
    old: Iterable[Any],
    new: Iterable[Any],
    describe: Callable[[Any], str],
    changed: Callable[[Any, Any], str] | None,
    prefix: str = "",
    *,
    table: bool = True,
    lines: Callable[[Any, Any], tuple[str, ...]] | None = None,
) -> list[Change]:
    """Added, removed and changed objects matched by key. Objects without a name of
    their own (unnamed constraints) match by content, so a change is a - and a +.
    `lines` gives the changed lines of a body, shown under a change."""
    before = {item.key: item for item in old}
    after = {item.key: item for item in new}
    label = (lambda key: prefix + key) if table else (lambda key: key)
    result = []
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        if a is None:
            result.append(Change(ADDED, kind, label(key), describe(b)))
        elif b is None:
            result.append(Change(REMOVED, kind, label(key), describe(a)))
        elif a != b:
            detail = changed(a, b) if changed else f"{describe(a)} -> {describe(b)}"
            if detail:  # a table's own changes are listed as its parts' changes
                shown = lines(a, b) if lines else ()
                result.append(Change(CHANGED, kind, label(key), detail, shown))
    return result


def _summary(item: Any) -> str:
    return item.summary


def _fields(old: Any, new: Any) -> str:
    parts = []
    for f in fields(old):
        a, b = getattr(old, f.name), getattr(new, f.name)
        if a != b:
            parts.append(f"{f.name} {_show(a)} -> {_show(b)}")
    return "; ".join(parts)


def _column(old: Column, new: Column) -> str:
    parts = []
    if old.type != new.type:
        parts.append(f"{old.type} -> {new.type}")
    if old.nullable != new.nullable:
        parts.append(f"{_null(old)} -> {_null(new)}")
    for name in ("default", "identity", "generated", "collation"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            parts.append(f"{name} {_show(a)} -> {_show(b)}")
    return "; ".join(parts)


def _routine(old: Routine, new: Routine) -> str:
    parts = [
        f"{name} {_show(getattr(old, name))} -> {_show(getattr(new, name))}"
        for name in ("parameters", "returns", "language", "volatility", "options")
        if getattr(old, name) != getattr(new, name)
    ]
    if old.body != new.body:
        parts.append(_changed_text("body", old.body, new.body))
    return "; ".join(parts)


def _trigger(old: Trigger, new: Trigger) -> str:
    parts = [
        f"{f.name} {_show(getattr(old, f.name))} -> {_show(getattr(new, f.name))}"
        for f in fields(old)
        if f.name != "action" and getattr(old, f.name) != getattr(new, f.name)
    ]
    if old.action != new.action:
        if "\n" in old.action + new.action:
            parts.append(_changed_text("body", old.action, new.action))
        else:
            parts.append(f"action {old.action} -> {new.action}")
    return "; ".join(parts)


def _body(old: Routine, new: Routine) -> tuple[str, ...]:
    return _changed_lines(old.body, new.body)


def _action(old: Trigger, new: Trigger) -> tuple[str, ...]:
    if "\n" not in old.action + new.action:
        return ()  # a one-line action is shown in the detail
    return _changed_lines(old.action, new.action)


def _changed_text(label: str, old: str, new: str) -> str:
    found = _diff_lines(old, new)
    if len(found) <= MAX_BODY_LINES:
        return f"{label} changed"
    changed = sum(1 for line in found if line[:1] in "+-")
    return f"{label} changed ({changed} lines differ)"


def _changed_lines(old: str, new: str) -> tuple[str, ...]:
    found = _diff_lines(old, new)
    return tuple(found) if len(found) <= MAX_BODY_LINES else ()


def _diff_lines(old: str, new: str) -> list[str]:
    """The changed lines with one line of context, `@@` hunk headers left out."""
    found = difflib.unified_diff(old.split("\n"), new.split("\n"), lineterm="", n=1)
    return [line for line in list(found)[2:] if not line.startswith("@@")]


def _null(column: Column) -> str:
    return "NULL" if column.nullable else "NOT NULL"


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    if value is None:
        return "none"
    return str(value)
