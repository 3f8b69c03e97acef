"""Suppressions: `-- rung:allow RULE-ID reason` on the line(s) directly above a statement.

An allow silences the rules it names (comma-separated) for the statement right below it,
and must say why. One that names no or an unknown rule, gives no reason, or is not directly
above a statement silences nothing and is reported itself, as `invalid-allow`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rung.lint.model import ERROR, Hit, MigrationContext, Parsed
from rung.lint.registry import RULES, rule
from rung.model import Script

_ALLOW = re.compile(r"^(?P<indent>[ \t]*)--[ \t]*rung:[ \t]*allow(?![\w-])(?P<rest>.*)$", re.I)
_COMMENT = re.compile(r"^[ \t]*--")


@dataclass(frozen=True, slots=True)
class Allow:
    line: int
    column: int
    rules: tuple[str, ...]
    reason: str
    above: int | None  # file line of the statement(s) it sits directly above

    @property
    def problem(self) -> str | None:
        if not self.rules:
            return "names no rule"
        unknown = [r for r in self.rules if r not in RULES]
        if unknown:
            return f"names an unknown rule {unknown[0]!r}"
        if not self.reason:
            return "gives no reason"
        if self.above is None:
            return "is not directly above a statement"
        return None


def allows(script: Script, statements: Sequence[Parsed]) -> list[Allow]:
    """Every allow line of `script`, with the statement it sits above."""
    text = script.text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    starts = {p.statement.line for p in statements}
    found = []
    for offset, line in enumerate(lines):
        match = _ALLOW.match(line)
        if match is None:
            continue
        below = offset + 1
        while below < len(lines) and _COMMENT.match(lines[below]):
            below += 1
        names, _, reason = re.sub(r"\s", " ", match["rest"].strip()).partition(" ")
        found.append(
            Allow(
                line=script.first_line + offset,
                column=len(match["indent"]) + 1,
                rules=tuple(n.strip().lower() for n in names.split(",") if n.strip()),
                reason=reason.strip(),
                above=script.first_line + below if script.first_line + below in starts else None,
            )
        )
    return found


def silenced(found: Sequence[Allow], parsed: Parsed, rule_id: str) -> bool:
    """True when a valid allow directly above `parsed` names `rule_id`."""
    return any(
        a.problem is None and a.above == parsed.statement.line and rule_id in a.rules for a in found
    )


@rule(
    "invalid-allow",
    title="Suppression that silences nothing",
    severity=ERROR,
    scope="migration",
    hint="write `-- rung:allow RULE-ID why it is safe here` on the line directly above the "
    "statement; rule ids are listed in docs/lint.md",
)
def invalid_allow(ctx: MigrationContext) -> Iterator[Hit]:
    up = ctx.migration.up
    if up is None:
        return
    for allow in allows(up, ctx.statements):
        if allow.problem:
            yield Hit(
                f"this `-- rung:allow` {allow.problem}, so it silences nothing",
                at=(allow.line, allow.column),
            )
