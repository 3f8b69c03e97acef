"""The values `rung adopt` passes around: a tool, what its history table says, and the report.

A Tool reads its own table into a Reading (which migrations it applied, when, with what
checksum); the core matches that against the folder and reports what it recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from rung.errors import RequestRefused
from rung.model import Migration, Version

if TYPE_CHECKING:
    from rung.adopt.table import OtherTable


@dataclass(frozen=True)
class Request:
    """What the user asked for beyond the tool: `--table`, `--version`, `--revision`."""

    table: str | None = None
    version: Version | None = None
    revision: str | None = None


@dataclass(frozen=True)
class Entry:
    """One migration the other tool records as applied, in its own words."""

    label: str  # how the other tool names it: "1.2.0 (add users)", "20240101_init"
    version: Version
    applied_at: datetime | None = None
    duration_ms: int | None = None
    checksum: str | None = None  # the other tool's checksum of the file, as it stored it


@dataclass(frozen=True)
class Reading:
    """What another tool's history table says, ready to match against the folder."""

    entries: tuple[Entry, ...] = ()  # applied, in the order the tool applied them
    up_to: Entry | None = None  # golang-migrate: every migration up to this one is applied
    baseline: Entry | None = None  # the tool's own baseline: versions up to it never ran here
    ignored: tuple[str, ...] = ()  # rows rung does not record, each saying why
    position: str = ""  # where the tool stands, in its terms, for the history
    repeatables: tuple[Entry, ...] = ()  # Flyway: each repeatable's last run, by file name


# Reads the tool's table; the folder's migrations are there for tools that record a file by
# something other than its version (a folder name, changesets), so entries carry versions.
Reader = Callable[["OtherTable", Request, Sequence[Migration]], Reading]
# Whether the checksum the tool recorded is that of the file as it is now.
SameFile = Callable[[Migration, str], bool]


@dataclass(frozen=True)
class Tool:
    name: str  # as `--from` names it
    title: str  # as people write it: "Flyway"
    table: str  # its history table's default name
    read: Reader
    format: str | None = None  # the rung layout of its folder; None: its migrations cannot run
    table_setting: str = ""  # where the tool sets another table name, for hints
    same_file: SameFile | None = None
    options: tuple[str, ...] = ()  # request fields it accepts beyond `table`

    @property
    def file_based(self) -> bool:
        return self.format is not None

    def check(self, request: Request) -> None:
        """Refuse options this tool has no use for, before connecting."""
        for option, value in (("version", request.version), ("revision", request.revision)):
            if value is not None and option not in self.options:
                takes = ", ".join(f"--{name}" for name in ("table", *self.options))
                raise RequestRefused(
                    f"--{option} does not apply to --from {self.name}; nothing was written",
                    hint=f"--from {self.name} takes {takes}"
                    + (
                        "; its history table says which migrations it applied"
                        if self.format
                        else ""
                    ),
                )


@dataclass(frozen=True)
class Adopted:
    """A migration file recorded as applied because the other tool applied it."""

    migration: Migration
    applied_at: datetime | None
    duration_ms: int | None
    changed: str | None = None  # how the file differs from what the tool ran, if it does
    recorded_checksum: str | None = None  # what goes into rung's history for it


@dataclass(frozen=True)
class Baseline:
    """The version up to which migrations count as applied without having run here."""

    version: Version
    version_text: str
    name: str
    applied_at: datetime | None = None


@dataclass(frozen=True)
class AdoptReport:
    tool: str
    table: str  # the other tool's table, as found
    database: str
    history_table: str
    adopted: list[Adopted] = field(default_factory=list)
    repeatables: list[Adopted] = field(default_factory=list)  # as they are, when they last ran
    baseline: Baseline | None = None
    position: str = ""
    not_adopted: list[str] = field(default_factory=list)  # the tool's rows rung did not record
    pending: list[Migration] = field(default_factory=list)  # files the tool did not apply
    format_hint: str | None = None  # set when the folder was read with the tool's layout
    dry_run: bool = False

    @property
    def changed(self) -> list[Adopted]:
        return [item for item in self.adopted if item.changed]

    @property
    def out_of_order(self) -> list[Migration]:
        """Pending files older than the newest adopted one: `rung up` refuses them."""
        newest = max((item.migration.version for item in self.adopted), default=None)
        return [m for m in self.pending if newest is not None and m.version < newest]
