"""What a layout is: which files it reads, how their names give a version, a name and a
direction, and (for single-file formats) how a file splits into its up and down sections.

Knows files, nothing of databases. A layout is chosen by `format` / `pattern` in the config.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from rung.model import Content, Migration, Version, parse_version

# Splits a single-file migration; raises InvalidMigrations naming every problem in it.
Splitter = Callable[[Migration], Content]


@dataclass(frozen=True, slots=True)
class FileName:
    """What a file name says: version, name, and role ("up", "down", "sql" or "py")."""

    version: Version
    name: str
    role: str
    version_text: str  # the version as the file name writes it: "0001", "1_2_0"


@dataclass(frozen=True)
class Layout:
    """One tool's naming rules; `match` returns a FileName, or a problem with the name."""

    format: str
    name_rule: re.Pattern[str]
    hint: str
    extensions: tuple[str, ...] = (".sql",)
    splitter: Splitter | None = None  # None: rung's `-- rung:up` / `-- rung:down` sections
    # prefix letter -> problem, for file kinds a layout recognises but rung cannot run yet
    unsupported: dict[str, str] = field(default_factory=dict)

    def candidate(self, file_name: str) -> bool:
        """Whether the file is meant as a migration (a name it rejects is then a problem)."""
        if file_name.startswith((".", "__")):
            return False
        return file_name.endswith(self.extensions) or bool(self.name_rule.fullmatch(file_name))

    def match(self, file_name: str) -> FileName | str:
        found = self.name_rule.fullmatch(file_name)
        if found is None:
            if self.format == "pattern":
                return f"file name does not match the pattern {self.name_rule.pattern!r}"
            return f"not a valid {self.format} migration file name"
        groups = found.groupdict()
        problem = self.unsupported.get(groups.get("prefix") or "")
        if problem:
            return problem
        text = groups.get("version") or ""
        try:
            version = parse_version(text)
        except ValueError:
            return f"version {text!r} is not a number (digits, optionally dotted)"
        direction = (groups.get("direction") or "").lower() or None
        if direction not in (None, "up", "down"):
            return f"direction {direction!r} is neither up nor down"
        python = file_name.endswith(".py")
        if python and direction:
            return "a Python migration holds its own up and down; it has no direction"
        role = direction or ("py" if python else "sql")
        return FileName(version, groups.get("name") or "", role, text)


@dataclass(frozen=True)
class AdaptedMigration(Migration):
    """A migration read through another tool's layout: its version as that tool wrote it,
    and that tool's section markers when it keeps up and down in one file."""

    written_version: str = ""
    splitter: Splitter | None = field(default=None, repr=False, compare=False)

    @cached_property
    def _content(self) -> Content:
        if self.splitter is None or self.kind != "sql" or self.down_path is not None:
            from rung.source.native import parse

            return parse(self)
        return self.splitter(self)

    @property
    def version_text(self) -> str:
        return self.written_version
