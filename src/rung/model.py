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

# The history's `version` for a repeatable migration's runs: never a number, so no
# versioned migration can be mistaken for one (the row's `name` says which repeatable).
REPEATABLE = "repeatable"


def format_version(version: Version) -> str:
    return ".".join(str(part) for part in version)


def parse_version(text: str) -> Version:
    """'20261127103000' -> (20261127103000,), '1.2.0' or '1_2_0' -> (1, 2, 0);
    diesel's '2017-12-13-123456' is one number written with dashes -> (20171213123456,)."""
    if text.isdigit():  # most are: read thousands of times by `status` and `up`
        return (int(text),)
    dashed = text.strip().split("-")
    if len(dashed) > 1 and all(part.isdigit() for part in dashed):
        return (int("".join(dashed)),)
    parts = text.strip().replace("_", ".").split(".")
    if not parts or not all(part.isdigit() for part in parts):
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(part) for part in parts)


def history_version(text: str) -> Version:
    """A history row's version: () for a repeatable's run, else the version it names."""
    return () if text == REPEATABLE else parse_version(text)


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

    def statements(self, flavour: str) -> list[Statement]:
        """The statements to run, in order, split for the database's SQL flavour. A format
        that says itself where statements end (Liquibase's changesets) overrides this."""
        from rung.sqlsplit import split

        return split(self.text, flavour, first_line=self.first_line, path=str(self.path))


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

    @property
    def repeatable(self) -> bool:
        """True for a Repeatable: run again whenever its file changes, never rolled back."""
        return False

    @property
    def baseline(self) -> bool:
        """True for a Flyway baseline (B1__x.sql): run only on a database with no applied
        migration, in place of the migrations at or below its version."""
        return False


@dataclass(frozen=True)
class Repeatable(Migration):
    """A repeatable migration (views, functions, procedures, triggers): no version, no down;
    `rung up` runs it again, after the versioned migrations, whenever its file changes.

    Its history rows carry REPEATABLE as their version and its `name` to say which it is.
    """

    written_label: str = ""  # its file as the user knows it: repeatable/views, R__views

    @cached_property
    def _content(self) -> Content:
        from rung.source.repeatable import parse

        return parse(self)

    @property
    def label(self) -> str:
        return self.written_label or f"{REPEATABLE}/{self.name}"

    @property
    def repeatable(self) -> bool:
        return True

    @property
    def version_text(self) -> str:
        return REPEATABLE


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One row of the history table. Rows are only ever appended."""

    id: int
    version: Version
    version_text: str  # as the file name wrote it: "001"; REPEATABLE for a repeatable's run
    name: str
    event: str  # apply | rollback | baseline | repair | adopt
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

    @property
    def label(self) -> str:
        """What the row is about: 001_add_users, or repeatable/views."""
        if self.version_text == REPEATABLE:
            return f"{REPEATABLE}/{self.name}"
        if (self.event, self.outcome) == ("adopt", "noted"):  # names the other tool, no migration
            return self.name
        return f"{self.version_text}_{self.name}"


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
    """Something that happened during a run, for the reporter: start, done, skipped, lock-wait,
    warning."""

    kind: str
    direction: str | None = None
    migration: Migration | None = None
    duration_ms: int | None = None
    detail: str | None = None
    changes: tuple[str, ...] = ()  # a warning's objects: "+ index users.ix_users_email"
