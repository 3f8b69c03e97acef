"""Versions for new and renumbered migrations: `rung new` and `rung rebase`.

`rung rebase` gives a not-yet-applied migration a new version after the newest one. It
works on file names, not on `discover`, because the folder it repairs may hold what a merge
left behind (two files with one version, a rung.sum with conflict markers). It renames files
in the folder's own layout: Flyway's V and its U, golang-migrate's .up and .down, and every
per-dialect variant, together; in a folder-per-migration layout (Prisma, diesel), the
migration's folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rung.errors import RequestRefused
from rung.model import Version, format_version
from rung.source.adapters import FileName, Layout
from rung.source.adapters.base import BASELINE_ROLE
from rung.source.adapters.rung import LAYOUT as NATIVE
from rung.source.integrity import migration_files
from rung.source.variants import split_tag

_STAMP = "%Y%m%d%H%M%S"
# A version written with dashes, as diesel writes it: 2017-12-13-123456.
_DASHED = re.compile(r"\d+(?:-\d+)+")
# Timestamp versions by their number of digits, and the step that keeps each one valid.
_STAMPS = {
    14: ("%Y%m%d%H%M%S", timedelta(seconds=1)),
    12: ("%Y%m%d%H%M", timedelta(minutes=1)),
    10: ("%Y%m%d%H", timedelta(hours=1)),
    8: ("%Y%m%d", timedelta(days=1)),
}


@dataclass(frozen=True)
class Renumbered:
    """One migration's files (its folder, in a folder-per-migration layout), found by version
    or by file name, before renaming."""

    version: Version
    version_text: str
    name: str
    files: tuple[Path, ...]


def next_version(
    existing: Iterable[tuple[Version, str]],
    *,
    numbering: str = "timestamp",
    now: datetime,
    sequential: bool = False,
    first: str = "001",
) -> str:
    """The version text for a migration after every (version, text) in `existing`.

    Sequential: the highest major number plus one, as wide as it was written (`first` in an
    empty folder). Else a UTC timestamp as long as the folder's own, bumped past the highest
    version when the clock is behind it. A "sequential" layout uses timestamps when the
    folder does; `sequential` forces numbers.
    """
    highest = max(existing, default=None)
    major = re.split(r"[._]", highest[1])[0] if highest else ""
    stamp = _stamp_format(major)
    if sequential or (numbering == "sequential" and stamp is None):
        if highest is None:
            return first
        return f"{highest[0][0] + 1:0{len(major)}d}"
    form, step = stamp or _STAMPS[14]
    moment = (now.astimezone(UTC) if now.tzinfo else now).replace(tzinfo=None)
    if highest is not None and (int(moment.strftime(form)),) <= highest[0]:
        if stamp is None:  # a version that is not a timestamp: count on from it
            return str(highest[0][0] + 1)
        moment = datetime.strptime(major, form) + step
    return moment.strftime(form)


def _stamp_format(major: str) -> tuple[str, timedelta] | None:
    """The timestamp format a version's major number is written in, if it is one."""
    stamp = _STAMPS.get(len(major))
    if stamp is None:
        return None
    try:
        parsed = datetime.strptime(major, stamp[0])
    except ValueError:
        return None
    return stamp if parsed.year >= 1970 else None


def find(directory: Path, target: Version | Path, layout: Layout = NATIVE) -> Renumbered:
    """The files of the migration at a version, or of the one a file (name or path) belongs
    to; RequestRefused when there is none, or the version is ambiguous.

    In a folder-per-migration layout the target may also be the migration's folder, a file
    in it, or its version with dashes as diesel writes it (2017-12-13-123456).
    """
    entries = _entries(directory, layout)
    if isinstance(target, Path) and target.parent == Path() and _DASHED.fullmatch(target.name):
        target = (int(target.name.replace("-", "")),)  # diesel's version drops its dashes
    if isinstance(target, Path):
        chosen = _by_file(directory, target, layout, entries)
    else:
        chosen = _by_version(directory, target, entries, layout)
    files = [
        (path, found)
        for path, found in entries
        if _identity(found) == _identity(chosen) and found.role != BASELINE_ROLE
    ]
    text = next(found.version_text for _, found in files)
    return Renumbered(chosen.version, text, chosen.name, tuple(path for path, _ in files))


def _identity(found: FileName) -> tuple[Version, str]:
    """What makes files one migration: its version and name, or its folder's name."""
    return found.version, found.label or found.name


def _entries(directory: Path, layout: Layout) -> list[tuple[Path, FileName]]:
    """The folder's versioned migration files, as the layout reads their names; in a
    folder-per-migration layout, the migration folders."""
    if layout.folder_files:
        return _folders(directory, layout)
    entries = []
    for path in migration_files(directory, layout):
        found = _read_name(path.name, layout)
        # repeatable/ files, and a layout's own repeatables, have no version
        if path.parent == directory and isinstance(found, FileName) and found.version:
            entries.append((path, found))
    return entries


def _folders(directory: Path, layout: Layout) -> list[tuple[Path, FileName]]:
    """The folders a Prisma or diesel layout reads as migrations (repeatable/ is not one)."""
    entries = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        found = layout.match(entry.name) if entry.is_dir() else None
        if isinstance(found, FileName) and not entry.name.startswith((".", "__")):
            entries.append((Path(entry.path), found))
    return entries


def _read_name(file_name: str, layout: Layout) -> FileName | str:
    base, tag = split_tag(file_name)
    found = layout.match(base) if tag else None
    return found if isinstance(found, FileName) else layout.match(file_name)


def _by_version(
    directory: Path, version: Version, entries: list[tuple[Path, FileName]], layout: Layout
) -> FileName:
    key = layout.version_key(version)  # Flyway: V1 and V1.0 are one version
    files = [
        (p, f)
        for p, f in entries
        if layout.version_key(f.version) == key and f.role != BASELINE_ROLE
    ]
    if not files:
        raise RequestRefused(
            f"no migration file has version {format_version(version)} in {directory}",
            hint="`rung status` lists the versions",
        )
    if len({_identity(found) for _, found in files}) > 1:
        raise RequestRefused(
            f"several migrations have version {format_version(version)}: "
            + ", ".join(path.name for path, _ in files),
            hint="say which one to renumber by its file: `rung rebase "
            f"{directory / files[-1][0].name}`",
        )
    return files[0][1]


def _by_file(
    directory: Path, target: Path, layout: Layout, entries: list[tuple[Path, FileName]]
) -> FileName:
    if layout.folder_files:
        return _by_folder(directory, target, layout, entries)
    if target.parent != Path() and target.parent.resolve() != directory.resolve():
        raise RequestRefused(
            f"{target} is not in the migrations folder {directory}",
            hint="name a file of the migrations folder, or point --dir at its folder",
        )
    path = directory / target.name
    if not path.is_file():
        raise RequestRefused(
            f"no file named {target.name} in {directory}", hint="`rung status` lists the files"
        )
    found = _read_name(target.name, layout)
    if isinstance(found, str):
        raise RequestRefused(f"{path}: {found}", hint=layout.hint)
    if found.role == BASELINE_ROLE:
        raise RequestRefused(
            f"{path} is a baseline: it keeps its version, which the databases that ran it "
            "recorded; nothing was renamed",
            hint="to move a baseline on, add a new baseline file with a higher version",
        )
    if not any(p == path for p, _ in entries):
        raise RequestRefused(f"{path} is not a versioned migration file", hint=layout.hint)
    return found


def _by_folder(
    directory: Path, target: Path, layout: Layout, entries: list[tuple[Path, FileName]]
) -> FileName:
    """A Prisma or diesel migration named by its folder (a path or the bare name), or by a
    file inside it (`migrations/2017-12-13-123456_x/up.sql`)."""
    folder = directory / target.name
    if target.parent != Path() and target.parent.resolve() != directory.resolve():
        inside = target.parent.parent.resolve() == directory.resolve()
        if not inside:
            raise RequestRefused(
                f"{target} is not in the migrations folder {directory}",
                hint="name a migration folder of the migrations folder, or point --dir at it",
            )
        folder = directory / target.parent.name
    for path, found in entries:
        if path == folder:
            return found
    if not folder.is_dir():
        raise RequestRefused(
            f"no migration folder named {folder.name} in {directory}",
            hint="`rung status` lists the migrations",
        )
    found = layout.match(folder.name)
    problem = found if isinstance(found, str) else f"{folder} is not a migration folder"
    raise RequestRefused(f"{folder}: {problem}", hint=layout.hint)


def renumber(
    directory: Path, found: Renumbered, now: datetime, layout: Layout = NATIVE
) -> tuple[str, list[tuple[Path, Path]]]:
    """Rename the migration's files to a version after the newest, keeping the rest of each
    name; returns the new version text and the renames. Nothing is renamed on a refusal.

    The version follows the folder: a timestamp where its versions are timestamps, else the
    next number, whatever the layout's default for new migrations.
    """
    existing = [
        (f.version, f.version_text.replace("-", "")) for _, f in _entries(directory, layout)
    ]
    new = next_version(existing, numbering="sequential", now=now, first=layout.first_version)
    renamed = []
    for path in found.files:
        span = layout.version_span(path.name) or layout.version_span(split_tag(path.name)[0])
        if span is None:
            raise RequestRefused(f"cannot tell where the version is in {path.name}")
        written = _written_like(new, path.name[span[0] : span[1]])
        target = path.with_name(path.name[: span[0]] + written + path.name[span[1] :])
        if target.exists():
            raise RequestRefused(f"cannot rename {path.name}: {target.name} exists already")
        renamed.append((path, target))
    for path, target in renamed:
        path.rename(target)
    return _written_like(new, found.version_text), renamed


def _written_like(new: str, old: str) -> str:
    """The new version with the old one's dashes (diesel's 2017-12-13-123456), when both
    have as many digits; else as it is."""
    if "-" not in old or len(old.replace("-", "")) != len(new):
        return new
    digits = iter(new)
    return "".join(char if char == "-" else next(digits) for char in old)
