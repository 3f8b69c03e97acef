"""The values rung passes around: migrations, statements, history events, plans.

All are frozen: the source builds migrations, the history reads events, the planner
turns both into a plan, and nothing changes them afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

Version = tuple[int, ...]


def format_version(version: Version) -> str:
    return ".".join(str(part) for part in version)


def parse_version(text: str) -> Version:
    """'20261127103000' -> (20261127103000,), '1.2.0' or '1_2_0' -> (1, 2, 0)."""
    parts = text.strip().replace("_", ".").split(".")
    if not parts or not all(part.isdigit() for part in parts):
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(part) for part in parts)


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement and the 1-based line of the file it starts on."""

    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Script:
    """One direction (up or down) of a SQL migration, as written in its file."""

    path: Path
    text: str
    first_line: int  # line of `path` that the script's first line is
    transactional: bool = True  # False under `-- rung:no-transaction`


@dataclass(frozen=True, slots=True)
class Content:
    """A migration's scripts, parsed from its text."""

    up: Script | None  # None for Python migrations
    down: Script | None
    has_down: bool


@dataclass(frozen=True)
class Migration:
    """A migration file, read and checksummed. Its scripts are parsed on first use, so that
    `status` and a no-op `up` over thousands of files only read and hash them."""

    version: Version
    name: str
    path: Path
    kind: str  # "sql" or "python"
    checksum: str
    text: str = field(default="", repr=False)
    down_path: Path | None = None  # the separate .down.sql file, if paired
    down_text: str | None = field(default=None, repr=False)

    @cached_property
    def _content(self) -> Content:
        from rung.source.native import parse

        return parse(self)

    @property
    def up(self) -> Script | None:
        return self._content.up

    @property
    def down(self) -> Script | None:
        return self._content.down

    @property
    def has_down(self) -> bool:
        return self._content.has_down

    @property
    def label(self) -> str:
        """The file name without extensions, as the user wrote it: 001_add_users."""
        name = self.path.name
        for suffix in (".up.sql", ".sql", ".py"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name

    @property
    def version_text(self) -> str:
        return self.label.split("_", 1)[0]

    @property
    def transactional(self) -> bool:
        return self.up is None or self.up.transactional


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One row of the history table. Rows are only ever appended."""

    id: int
    version: Version
    version_text: str  # as the file name wrote it: "001"
    name: str
    event: str  # apply | rollback | baseline | repair | start
    outcome: str  # success | failed | running
    checksum: str | None
    checksum_version: int
    sql_checksum: str | None
    statements_done: int | None
    statement_hashes: tuple[str, ...]
    error: str | None
    started_at: datetime
    duration_ms: int | None
    db_user: str | None
    os_user: str | None
    host: str | None
    rung_version: str | None


@dataclass(frozen=True, slots=True)
class Failure:
    """What the last failed or interrupted run of a migration left behind."""

    direction: str  # "up" or "down"
    error: str | None
    statements_done: int | None  # committed statements; None when unknown (killed)
    statement_hashes: tuple[str, ...] = ()
    at: datetime | None = None

    @property
    def partial(self) -> bool:
        """True when the database holds part of the migration's work."""
        return self.statements_done is None or self.statements_done > 0


@dataclass(frozen=True, slots=True)
class AppliedState:
    """A migration's standing in the database, derived from its history events."""

    version: Version
    name: str
    applied: bool
    checksum: str | None = None
    sql_checksum: str | None = None
    applied_at: datetime | None = None
    duration_ms: int | None = None
    baseline: bool = False
    failure: Failure | None = None
    order: int = 0  # id of the event that applied it; rollbacks go by this
    version_text: str = ""  # the version as the file name wrote it


@dataclass(frozen=True, slots=True)
class PlanStep:
    migration: Migration
    direction: str  # "up" or "down"
    resume_from: int = 0  # statements already committed by an earlier, failed run
    committed_hashes: tuple[str, ...] = ()  # their hashes, to check they are unchanged


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[PlanStep, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.steps)


@dataclass(frozen=True)
class RunEvent:
    """Something that happened during a run, for the reporter: start, done, skipped, lock-wait."""

    kind: str
    direction: str | None = None
    migration: Migration | None = None
    duration_ms: int | None = None
    detail: str | None = None
