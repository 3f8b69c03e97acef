"""`rung.sum`: one hash per migration file and a hash over them all, so branches collide.

    rung-sum 1
    <sha256>  001_add_users.sql
    <sha256>  002_add_posts.down.sql
    <sha256>  002_add_posts.up.sql
    <sha256>  repeatable/views.sql
    total <sha256 of the lines above>

Two branches that each add a migration both change the `total` line, so git cannot merge
them without a conflict: the second author has to look, and renumber (`rung rebase`).
File hashes are the migration checksum (line endings normalised), so a checkout with
CRLF endings matches. A folder without rung.sum has not adopted it and is never stale.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from rung.errors import InvalidMigrations
from rung.model import Version
from rung.source.adapters import FileName, Layout
from rung.source.native import NATIVE, checksum
from rung.source.repeatable import folder_files

SUM_FILE = "rung.sum"
FORMAT_LINE = "rung-sum 1"
_VERSION = re.compile(r"^(\d+(?:\.\d+)*)_")
_ENTRY = re.compile(r"^(?P<digest>[0-9a-f]{64})  (?P<name>\S.*)$")
_TOTAL = re.compile(r"^total (?P<digest>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Verification:
    """How rung.sum compares with the folder; `ok` when absent or matching."""

    path: Path
    present: bool
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unreadable: str | None = None  # why the file cannot be read (e.g. merge-conflict markers)
    total_mismatch: bool = False  # the total does not match the lines: edited or merged by hand

    @property
    def ok(self) -> bool:
        return not self.present or not (
            self.added or self.removed or self.changed or self.unreadable or self.total_mismatch
        )

    @property
    def tampered(self) -> bool:
        """The file itself is broken, as a hand-resolved merge leaves it."""
        return bool(self.unreadable or self.total_mismatch)

    def problems(self) -> list[str]:
        """One line per difference, naming the file."""
        folder = self.path.parent
        lines = [f"{folder / name}: added since {SUM_FILE} was written" for name in self.added]
        lines += [f"{folder / name}: listed in {SUM_FILE} but gone" for name in self.removed]
        lines += [f"{folder / name}: changed since {SUM_FILE} was written" for name in self.changed]
        if self.unreadable:
            lines.append(f"{self.path}: {self.unreadable}")
        if self.total_mismatch:
            lines.append(f"{self.path}: its total does not match its lines (edited or merged)")
        return lines


def migration_files(directory: Path, layout: Layout = NATIVE) -> list[Path]:
    """The files discovery reads (by default .sql and .py, not hidden, not dunder), in
    version order, then those of repeatable/ by name; `layout` is the one discovery uses,
    so both see the same files."""
    if layout.folder_files:  # Prisma, diesel: the files of each migration folder
        return _in_migration_folders(directory, layout) + folder_files(directory)
    names = [
        entry.name
        for entry in os.scandir(directory)
        if entry.is_file() and layout.candidate(entry.name)
    ]
    if layout is NATIVE:
        files = [directory / name for name in sorted(names, key=_order)]
    else:
        files = [
            directory / name for name in sorted(names, key=lambda name: _layout_order(name, layout))
        ]
    return files + folder_files(directory)


def _in_migration_folders(directory: Path, layout: Layout) -> list[Path]:
    """The files a folder layout reads (up, down, metadata), by version, then file name."""
    found = []
    for entry in os.scandir(directory):
        match = layout.match(entry.name) if entry.is_dir() else None
        if isinstance(match, FileName):
            files = (Path(entry.path) / name for name in sorted(layout.folder_files.values()))
            found += [(match.version, path) for path in files if path.is_file()]
    return [path for _, path in sorted(found)]


def _entry(directory: Path, path: Path) -> str:
    """A file's name in rung.sum: relative to the migrations folder, with `/`."""
    return path.relative_to(directory).as_posix()


def _layout_order(name: str, layout: Layout) -> tuple[Version, str]:
    found = layout.match(name)
    return (found.version if isinstance(found, FileName) else ()), name


def version_of(name: str) -> Version | None:
    """The version a file name starts with (`001_x.sql` -> (1,)), or None."""
    match = _VERSION.match(name)
    return tuple(int(part) for part in match[1].split(".")) if match else None


def _order(name: str) -> tuple[bool, Version, str]:
    return "/" in name, version_of(name) or (), name  # repeatable/ files last


def render(directory: Path, layout: Layout = NATIVE) -> str:
    """The rung.sum text for the folder as it is now: deterministic, LF line endings."""
    lines = [FORMAT_LINE]
    lines += [
        f"{checksum(path.read_bytes())}  {_entry(directory, path)}"
        for path in migration_files(directory, layout)
    ]
    return _with_total(lines)


def _with_total(lines: list[str]) -> str:
    body = "".join(line + "\n" for line in lines)
    return body + f"total {_digest(body)}\n"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write(directory: Path, layout: Layout = NATIVE) -> Path:
    """Write (or refresh) rung.sum; returns its path."""
    path = directory / SUM_FILE
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.write(render(directory, layout))
    return path


def exists(directory: Path) -> bool:
    return (directory / SUM_FILE).is_file()


def verify(directory: Path, layout: Layout = NATIVE) -> Verification:
    """Compare rung.sum with the folder: files added, removed or changed, and its own total."""
    path = directory / SUM_FILE
    if not path.is_file():
        return Verification(path, present=False)
    text = path.read_bytes().decode("utf-8", errors="replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != FORMAT_LINE:
        return Verification(path, True, unreadable=f"does not start with `{FORMAT_LINE}`")
    recorded: dict[str, str] = {}
    for number, line in enumerate(lines[1:-1], 2):
        match = _ENTRY.match(line)
        if match is None:
            reason = "merge-conflict markers" if line.startswith(("<<<<<<<", "=======")) else line
            return Verification(
                path, True, unreadable=f"line {number} is not `<sha256>  <file>` ({reason[:60]})"
            )
        recorded[match["name"]] = match["digest"]
    total = _TOTAL.match(lines[-1]) if len(lines) > 1 else None
    if total is None:
        return Verification(path, True, unreadable="its last line is not `total <sha256>`")
    current = {
        _entry(directory, p): checksum(p.read_bytes()) for p in migration_files(directory, layout)
    }
    return Verification(
        path,
        True,
        added=tuple(sorted(current.keys() - recorded.keys(), key=_order)),
        removed=tuple(sorted(recorded.keys() - current.keys(), key=_order)),
        changed=tuple(
            sorted(
                (n for n in current.keys() & recorded.keys() if current[n] != recorded[n]),
                key=_order,
            )
        ),
        total_mismatch=_with_total(lines[:-1]) != "\n".join(lines) + "\n",
    )


STALE_HINT = (
    f"if the changes are yours (an edited, not yet applied migration), run `rung hash` to "
    f"refresh {SUM_FILE}; after a merge that added migrations on two branches, renumber yours "
    "with `rung rebase VERSION` (see docs/collaboration.md)"
)


def require_fresh(directory: Path, doing: str = "nothing was run", layout: Layout = NATIVE) -> None:
    """Raise InvalidMigrations, naming the files, when a present rung.sum does not match."""
    result = verify(directory, layout)
    if result.ok:
        return
    raise InvalidMigrations(
        f"{result.path} does not match the migrations folder; {doing}",
        details=result.problems(),
        hint=STALE_HINT,
    )
