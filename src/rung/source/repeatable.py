"""Repeatable migrations: views, functions, procedures and triggers kept as their current
definition, and run again by `rung up` whenever their file changes.

They live in `repeatable/` inside the migrations folder (any name, `.sql` or `.py`) and, in
layouts that have their own (Flyway's `R__name.sql`), beside the versioned files. A
repeatable is known by its name: the file name without `.sql`/`.py` and without a
per-dialect tag (`functions.postgresql.sql` is `functions` on PostgreSQL), or Flyway's
description. Knows files, nothing of databases.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rung.errors import InvalidMigrations
from rung.model import REPEATABLE, Content, Migration, Repeatable
from rung.source import variants
from rung.source.adapters import FileName, Layout
from rung.source.native import (
    NATIVE,
    _Problems,
    _problems_inside,
    _read,
    _sections,
    checksum,
    require_folder,
)

FOLDER = "repeatable"
MAX_NAME = 255  # the history table's name column
EXTENSIONS = (".sql", ".py")
HINT = (
    f"repeatable migrations are .sql or .py files in the {FOLDER}/ folder of the migrations "
    "folder, one file per name (per-dialect variants aside); fix the files listed, then run "
    "the command again"
)
_NO_DOWN = "rung down never runs a repeatable migration"


@dataclass(frozen=True)
class _File:
    name: str
    path: Path
    kind: str  # "sql" or "python"
    label: str  # repeatable/views, R__views
    tag: str | None  # the per-dialect variant's tag, None for the generic file


def discover_repeatables(
    directory: Path, *, parse: bool = False, layout: Layout = NATIVE, dialect: str | None = None
) -> list[Repeatable]:
    """The repeatable migrations of `directory`, sorted by name; InvalidMigrations names every
    problem (bad names, duplicate names, unreadable files; with `parse`, their contents too).

    `dialect` picks per-dialect variants, as for versioned migrations.
    """
    require_folder(directory)
    problems = _Problems()
    files = _folder_files(directory / FOLDER, problems) + _layout_files(directory, layout)
    chosen = _choose(files, dialect)
    repeatables = []
    for group in _by_name(chosen).values():
        first, *others = group
        shown = first.path.relative_to(directory).as_posix()
        for other in others:
            problems.add(other.path, f"repeatable {first.name!r} is also defined by {shown}")
        loaded = _load(first, problems)
        if loaded is not None:
            repeatables.append(loaded)
    if parse:
        problems.lines += _problems_inside(repeatables)
    if problems.lines:
        raise InvalidMigrations(
            f"{len(problems.lines)} problem(s) in the repeatable migrations of {directory}",
            details=problems.lines,
            hint=HINT,
        )
    return sorted(repeatables, key=lambda r: r.name)


def folder_files(directory: Path) -> list[Path]:
    """The .sql and .py files of `directory`'s repeatable/ folder that discovery reads, by name."""
    folder = directory / FOLDER
    if not folder.is_dir():
        return []
    return sorted(
        Path(entry.path)
        for entry in os.scandir(folder)
        if entry.is_file() and _readable_name(entry.name) and entry.name.endswith(EXTENSIONS)
    )


def _readable_name(file_name: str) -> bool:
    return not file_name.startswith((".", "__"))


def _folder_files(folder: Path, problems: _Problems) -> list[_File]:
    if not folder.is_dir():
        return []
    files = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not _readable_name(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_dir():
            problems.add(path, f"folders inside {FOLDER}/ are not read; move its files up")
            continue
        found = _folder_name(entry.name)
        if isinstance(found, str):
            problems.add(path, found)
            continue
        name, kind, tag = found
        stem = entry.name.rsplit(".", 1)[0]
        files.append(_File(name, path, kind, f"{FOLDER}/{stem}", tag))
    return files


def _folder_name(file_name: str) -> tuple[str, str, str | None] | str:
    """(name, kind, variant tag) of a file in repeatable/, or what is wrong with its name."""
    if file_name.endswith((".up.sql", ".down.sql")):
        return (
            f"a repeatable migration is one file, without .up/.down parts ({_NO_DOWN}); "
            "name it <name>.sql"
        )
    if file_name.endswith(".py"):
        name, kind, tag = file_name.removesuffix(".py"), "python", None
    elif file_name.endswith(".sql"):
        base, tag = variants.split_tag(file_name)
        name, kind = base.removesuffix(".sql"), "sql"
    else:
        return f"not a repeatable migration: only .sql and .py files belong in {FOLDER}/"
    if len(name) > MAX_NAME:
        return f"the name is longer than {MAX_NAME} characters"
    return name, kind, tag


def _layout_files(directory: Path, layout: Layout) -> list[_File]:
    """Files the layout itself names as repeatable, such as Flyway's R__views.sql."""
    if layout is NATIVE:  # rung's own names are all versioned
        return []
    files = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if not entry.is_file() or not layout.candidate(entry.name):
            continue
        base, tag = variants.split_tag(entry.name)
        found = layout.match(base) if tag else None
        if not is_repeatable(found):
            found, tag = layout.match(entry.name), None
        if isinstance(found, FileName) and is_repeatable(found):
            kind = "python" if entry.name.endswith(".py") else "sql"
            label = entry.name.removesuffix(".sql").removesuffix(".py")
            files.append(_File(found.name, Path(entry.path), kind, label, tag))
    return files


def is_repeatable(found: FileName | str | None) -> bool:
    """Whether a layout's reading of a file name says it is a repeatable migration."""
    return isinstance(found, FileName) and found.role == REPEATABLE


def _choose(files: list[_File], dialect: str | None) -> list[_File]:
    """Each name's variant for `dialect`, else its generic file (as for versioned files)."""
    tags: dict[str, set[str | None]] = {}
    for file in files:
        tags.setdefault(file.name, set()).add(file.tag)
    wanted = {name: variants.pick(present, dialect) for name, present in tags.items()}
    return [file for file in files if wanted[file.name] == file.tag]


def _by_name(files: list[_File]) -> dict[str, list[_File]]:
    groups: dict[str, list[_File]] = {}
    for file in files:
        groups.setdefault(file.name, []).append(file)
    return groups


def _load(file: _File, problems: _Problems) -> Repeatable | None:
    try:
        read = _read(file.path, problems)
    except OSError as exc:
        problems.add(file.path, f"cannot be read: {exc.strerror or exc}")
        return None
    if read is None:
        return None
    data, text = read
    return Repeatable(
        (), file.name, file.path, file.kind, checksum(data), text=text, written_label=file.label
    )


def parse(repeatable: Repeatable) -> Content:
    """A repeatable's script (none for Python); InvalidMigrations names every problem."""
    problems = _Problems()
    path = repeatable.path
    if repeatable.kind == "python":
        _check_python(path, repeatable.text, problems)
        content = Content(None, None, False)
    else:
        up, down = _sections(path, repeatable.text, problems)
        if down is not None:
            problems.add(
                path,
                f"a `-- rung:down` section in a repeatable migration ({_NO_DOWN}); remove it, "
                "and drop objects that should go in a versioned migration",
                down.first_line - 1,
            )
        content = Content(up, None, False)
    if problems.lines:
        raise InvalidMigrations(
            f"{path}: cannot be read as a repeatable migration",
            details=problems.lines,
            hint="fix the file, then run the command again",
        )
    return content


def _check_python(path: Path, text: str, problems: _Problems) -> None:
    """A Python repeatable defines up(conn) at top level, and no down."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        problems.add(path, f"Python syntax error: {exc.msg}", exc.lineno)
        return
    defined = _top_level_names(tree)
    if "up" not in defined:
        problems.add(path, "defines no up(conn) function; add `def up(conn):`")
    if "down" in defined:
        problems.add(path, f"defines down, but {_NO_DOWN}; remove it", defined["down"])


def _top_level_names(tree: ast.Module) -> dict[str, int]:
    """Names a module binds at top level (defs, assignments, imports), with their lines."""
    names: dict[str, int] = {}
    for node in tree.body:
        bound: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            bound = [node.name]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = [t.id for t in targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound = [alias.asname or alias.name for alias in node.names]
        for name in bound:
            names.setdefault(name, node.lineno)
    return names


# -- what repeatables create, and where versioned migrations use it ---------------------------
_NAME_PART = r'(?:[\w$]+|"[^"]+"|`[^`]+`|\[[^\]]+\])'
# String literals and comments, where a name is not a use of the object.
_NOT_CODE = re.compile(r"'(?:[^'\\]|\\.|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)


@dataclass(frozen=True)
class Location:
    path: Path
    line: int


def _creates(kinds: str) -> re.Pattern[str]:
    """CREATE [OR REPLACE] [options] <kind> [IF NOT EXISTS] <name>, for one of `kinds`."""
    return re.compile(
        r"\bCREATE\s+(?:OR\s+REPLACE\s+)?"
        r"(?:(?:ALGORITHM\s*=\s*\w+|DEFINER\s*=\s*\S+|SQL\s+SECURITY\s+\w+"
        r"|TEMP|TEMPORARY|MATERIALIZED|RECURSIVE|CONSTRAINT|UNIQUE)\s+)*"
        rf"(?:{kinds})\s+(?:IF\s+NOT\s+EXISTS\s+)?"
        rf"(?P<name>{_NAME_PART}(?:\s*\.\s*{_NAME_PART})*)",
        re.IGNORECASE,
    )


_CREATES_REPEATABLE = _creates("VIEW|FUNCTION|PROCEDURE|TRIGGER")
_CREATES_ANY = _creates("TABLE|VIEW|FUNCTION|PROCEDURE|TRIGGER|INDEX|SEQUENCE|TYPE")


def _code(text: str) -> str:
    """The text with string literals and comments blanked, keeping every offset and line."""
    return _NOT_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text.replace("\r\n", "\n"))


def _bare(name: str) -> str:
    """`app."Active_Users"` -> `active_users`: the object's own name, as compared here."""
    last = re.split(r"\s*\.\s*(?=[\w$\"`\[])", name)[-1]
    return last.strip('"`[]').lower()


def _sources(migration: Migration) -> list[tuple[Path, str, int]]:
    """(path, text, first line) of what a migration's up runs: its SQL, or its Python file.

    Down scripts are left out: a rollback runs on a database whose repeatables ran, and
    the next `rung up` runs them again after it."""
    if migration.kind == "python":
        return [(migration.path, migration.text, 1)]
    script = migration.up
    return [] if script is None else [(script.path, _code(script.text), script.first_line)]


def created_by(migration: Migration, *, any_kind: bool = False) -> dict[str, Location]:
    """Names of the views, functions, procedures and triggers (with `any_kind`, also tables,
    indexes, sequences and types) the migration creates, each with where it does first."""
    pattern = _CREATES_ANY if any_kind else _CREATES_REPEATABLE
    found: dict[str, Location] = {}
    for path, text, first_line in _sources(migration):
        for match in pattern.finditer(text):
            line = first_line + text.count("\n", 0, match.start("name"))
            found.setdefault(_bare(match["name"]), Location(path, line))
    return found


def uses(migration: Migration, names: Iterable[str]) -> dict[str, Location]:
    """Of `names`, those the migration's scripts mention (outside strings and comments; in a
    Python migration, anywhere), each with its first mention."""
    words = sorted(set(names), key=len, reverse=True)
    if not words:
        return {}
    pattern = re.compile(
        rf"(?<![\w$])(?:{'|'.join(map(re.escape, words))})(?![\w$])", re.IGNORECASE
    )
    found: dict[str, Location] = {}
    for path, text, first_line in _sources(migration):
        for match in pattern.finditer(text):
            line = first_line + text.count("\n", 0, match.start())
            found.setdefault(match.group().lower(), Location(path, line))
    return found
