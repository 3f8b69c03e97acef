"""The rules, registered by a decorator where they are defined: no list to keep by hand."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rung.lint.model import DIALECTS, SEVERITIES, Check, Rule

RULES: dict[str, Rule] = {}
_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")


def rule(
    id: str,
    *,
    title: str,
    severity: str,
    hint: str,
    dialects: Sequence[str] = DIALECTS,
    scope: str = "statement",
) -> Callable[[Check], Check]:
    """Register the decorated check under `id`; the module it lives in is its family."""

    def register(check: Check) -> Check:
        if not _ID.match(id):
            raise ValueError(f"rule id {id!r} is not kebab-case")
        if id in RULES:
            raise ValueError(f"rule id {id!r} is registered twice")
        if severity not in SEVERITIES or scope not in ("statement", "migration"):
            raise ValueError(f"rule {id!r}: bad severity {severity!r} or scope {scope!r}")
        unknown = set(dialects) - set(DIALECTS)
        if unknown:
            raise ValueError(f"rule {id!r}: unknown dialects {sorted(unknown)}")
        family = check.__module__.rsplit(".", 1)[-1]
        RULES[id] = Rule(id, title, severity, tuple(dialects), hint, check, scope, family)
        return check

    return register
