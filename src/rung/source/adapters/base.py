"""What a layout is: which files it reads, how their names give a version, a name and a
direction, and (for single-file formats) how a file splits into its up and down sections.

Knows files, nothing of databases. A layout is chosen by `format` / `pattern` in the config.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from rung.errors import ConfigError
from rung.model import Content, Migration, Version, parse_version

# Splits a single-file migration; raises InvalidMigrations naming every problem in it.
Splitter = Callable[[Migration], Content]
BASELINE_ROLE = "baseline"  # a FileName's role for a baseline file (Flyway's B1__x.sql)


@dataclass(frozen=True, slots=True)
class FileName:
    """What a file name says: version, name, and role ("up", "down", "sql" or "py"; or
    "repeatable", with no version, for a layout's own repeatable files; or BASELINE_ROLE)."""

    version: Version
    name: str
    role: str
    version_text: str  # the version as the file name writes it: "0001", "1_2_0"
    label: str = ""  # a folder layout's folder name: "20260101120000_init"


@dataclass(frozen=True, slots=True)
class NewMigration:
    """What `rung new` asks a layout for. `version` is written as the file name will hold
    it, `name` is a slug of `description`; `examples` are the folder's file names, oldest
    first, for layouts that copy the shape of the existing files."""

    version: str
    name: str
    python: bool = False
    description: str = ""
    examples: Sequence[str] = ()


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
    # A migration per folder (Prisma, diesel): role -> the file it is in each folder, e.g.
    # {"up": "up.sql", "down": "down.sql"}; `match` then reads folder names. Empty: files.
    folder_files: dict[str, str] = field(default_factory=dict)
    # How `rung new` numbers a migration: "timestamp" (UTC time), or "sequential" (the next
    # number after the highest version, unless the folder's versions are timestamps).
    numbering: str = "timestamp"
    first_version: str = "001"  # a sequential folder's first version, which sets the width

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

    def version_key(self, version: Version) -> Version:
        """What two files share when they hold one version: the version itself here (1 and
        1.0 differ, as in rung's own layout); a tool that reads them as one overrides this."""
        return version

    def version_span(self, file_name: str) -> tuple[int, int] | None:
        """Where the version is in a file name this layout reads (`rung rebase` rewrites it)."""
        found = self.name_rule.fullmatch(file_name)
        if found is None or "version" not in found.re.groupindex or found["version"] is None:
            return None
        return found.span("version")

    def new_files(self, new: NewMigration) -> dict[str, str]:
        """The files of a new migration (`rung new`): path relative to the folder -> text."""
        raise ConfigError(
            f"`rung new` cannot name a migration in the {self.format} layout",
            hint="create the migration's files by hand, as the layout names them",
        )

    def refuse_python(self, python: bool) -> None:
        """A layout that reads SQL files only would never see a Python migration."""
        if python and ".py" not in self.extensions:
            raise ConfigError(
                f"--python: the {self.format} layout reads only SQL files "
                f"({', '.join(self.extensions)}), so rung would never see a Python migration",
                hint="write the migration in SQL, or use rung's own layout "
                '(format = "rung") for Python migrations',
            )


@dataclass(frozen=True)
class AdaptedMigration(Migration):
    """A migration read through another tool's layout: its version as that tool wrote it,
    and that tool's section markers when it keeps up and down in one file."""

    written_version: str = ""
    splitter: Splitter | None = field(default=None, repr=False, compare=False)
    written_label: str = ""  # a folder layout's folder name, which that tool records

    @cached_property
    def _content(self) -> Content:
        if self.splitter is None or self.kind != "sql":
            from rung.source.native import parse

            return parse(self)
        return self.splitter(self)

    @property
    def version_text(self) -> str:
        return self.written_version

    @property
    def label(self) -> str:
        return self.written_label or super().label


@dataclass(frozen=True)
class Baseline(AdaptedMigration):
    """A Flyway baseline migration (`B1_20_0__x.sql`): the whole schema at its version, run
    only on a database with no applied migration, instead of the migrations up to it."""

    @property
    def baseline(self) -> bool:
        return True
