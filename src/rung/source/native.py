"""rung's own file format: `<version>_<name>.sql` (sections), paired `.up.sql`/`.down.sql`, `.py`.

Knows files, nothing of databases. Every problem in the folder is collected and reported
at once, each with its file and line, so one run shows everything to fix.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rung.errors import ConfigError, InvalidMigrations, ScriptError
from rung.model import REPEATABLE, Content, Migration, Script, format_version
from rung.source import variants
from rung.source.adapters import AdaptedMigration, FileName, Layout
from rung.source.adapters.base import BASELINE_ROLE, Baseline, NewMigration
from rung.source.adapters.rung import LAYOUT as NATIVE

CHECKSUM_VERSION = 1

_DIRECTIVE = re.compile(r"^[ \t]*--[ \t]*rung:[ \t]*(?P<word>[\w-]*)(?P<rest>.*)$", re.IGNORECASE)
# Lines end at \r\n, \r or \n only, as in the statement splitter (not at form feeds).
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")
_KNOWN_DIRECTIVES = {"up", "down", "no-transaction", "allow"}
NAME_HINT = NATIVE.hint


def checksum(data: bytes) -> str:
    """SHA-256 of a file's content with line endings normalised (algorithm version 1)."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hexdigest()


@dataclass
class _Problems:
    lines: list[str] = field(default_factory=list)

    def add(self, path: Path, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line else str(path)
        self.lines.append(f"{where}: {message}")


def require_folder(directory: Path) -> None:
    if not directory.is_dir():
        raise ConfigError(
            f"migrations folder not found: {directory}",
            hint="run `rung init` to create it, or point --dir at your migrations folder",
        )


def discover(
    directory: Path, *, parse: bool = False, layout: Layout = NATIVE, dialect: str | None = None
) -> list[Migration]:
    """All migrations in `directory`, sorted by version; InvalidMigrations lists every problem.

    Files are read and checksummed; with `parse`, their scripts are parsed too, so that
    problems inside files are reported with those of the folder. `layout` says how files
    are named (rung's own rules unless the config chose another tool's format); `dialect`
    names the database, to pick per-dialect variants (`005_x.postgresql.sql`).
    """
    require_folder(directory)
    problems = _Problems()
    groups: dict[tuple[int, ...], dict[str, Path]] = {}
    names: dict[tuple[int, ...], FileName] = {}
    files: list[tuple[Path, FileName, str | None]] = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if layout.folder_files:
            _add_folder(entry, layout, problems, groups, names)
            continue
        if not entry.is_file() or not layout.candidate(entry.name):
            continue
        path = directory / entry.name
        base, tag = variants.split_tag(entry.name)
        found = layout.match(base) if tag else None
        if not isinstance(found, FileName):
            found, tag = layout.match(entry.name), None
        if isinstance(found, str):
            problems.add(path, found)
            continue
        if found.role == REPEATABLE:  # read by source.repeatable, with repeatable/
            continue
        files.append((path, found, tag))
    problems.lines += [f"{path}: {message}" for path, message in variants.name_problems(files)]
    chosen = variants.choose(files, dialect)
    baselines = _baselines([(p, f) for p, f in chosen if f.role == BASELINE_ROLE], layout, problems)
    for path, found in chosen:
        if found.role == BASELINE_ROLE:  # read apart: a baseline may share a version
            continue
        key, role = layout.version_key(found.version), found.role
        group = groups.setdefault(key, {})
        # Only an .up.sql and a .down.sql of the same name share a version.
        pairs = role in ("up", "down") and set(group) <= {"up", "down"} - {role}
        if group and not (pairs and names[key].name == found.name):
            others = ", ".join(str(p.name) for p in group.values())
            message = f"version {format_version(found.version)} is also used by {others}"
            problems.add(path, message + _same_version(layout, found, names[key]))
            continue
        group[role] = path
        if role != "down" or key not in names:
            names[key] = found
    migrations: list[Migration] = [*baselines]
    for key, group in groups.items():
        found = names[key]
        migration = _load(found.version, found.name, group, problems)
        if migration is not None and layout is not NATIVE:
            migration = _adapted(migration, found, layout)
        if migration is not None:
            migrations.append(migration)
    if parse:
        problems.lines += _problems_inside(migrations)
    if problems.lines:
        raise InvalidMigrations(
            f"{len(problems.lines)} problem(s) in {directory}",
            details=problems.lines,
            hint=layout.hint
            if any("name" in line for line in problems.lines)
            else "fix the files listed, then run the command again",
        )
    migrations.sort(key=lambda m: (m.version, m.baseline))
    return migrations


def _baselines(
    files: list[tuple[Path, FileName]], layout: Layout, problems: _Problems
) -> list[Migration]:
    """The layout's baseline files (Flyway's B1__x.sql), one per version."""
    seen: dict[tuple[int, ...], tuple[Path, FileName]] = {}
    baselines: list[Migration] = []
    for path, found in files:
        key = layout.version_key(found.version)
        if key in seen:
            other, first = seen[key]
            message = f"baseline version {format_version(found.version)} is also used by"
            problems.add(path, f"{message} {other.name}{_same_version(layout, found, first)}")
            continue
        seen[key] = path, found
        migration = _load(found.version, found.name, {"sql": path}, problems)
        if migration is not None:
            baselines.append(_adapted(migration, found, layout, Baseline))
    return baselines


def _same_version(layout: Layout, first: FileName, second: FileName) -> str:
    """Why two different version numbers clash: the layout's tool reads them as one."""
    if first.version == second.version:
        return ""
    versions = f"{format_version(first.version)} and {format_version(second.version)}"
    where = f"in the {layout.format} layout {versions} are one version"
    return f" ({where}: trailing zeros do not count)"


def _adapted(
    migration: Migration,
    found: FileName,
    layout: Layout,
    kind: type[AdaptedMigration] = AdaptedMigration,
) -> AdaptedMigration:
    """The migration as another tool's layout reads it: its version text and sections."""
    fields = {name: getattr(migration, name) for name in Migration.__dataclass_fields__}
    return kind(
        **fields,
        written_version=found.version_text,
        splitter=layout.splitter,
        written_label=found.label,
    )


def _add_folder(
    entry: os.DirEntry[str],
    layout: Layout,
    problems: _Problems,
    groups: dict[tuple[int, ...], dict[str, Path]],
    names: dict[tuple[int, ...], FileName],
) -> None:
    """One entry of a folder layout's directory: a migration folder, or nothing to read."""
    from rung.source.repeatable import FOLDER as REPEATABLES

    if entry.name.startswith((".", "__")) or entry.name == REPEATABLES:
        return
    if not entry.is_dir():  # Prisma's migration_lock.toml, rung.sum: not migrations
        if entry.name.endswith(".sql"):  # but SQL here would silently never run
            up = layout.folder_files["up"]
            problems.add(
                Path(entry.path),
                f"not read: a {layout.format} migration is a folder <version>_<name> holding {up}",
            )
        return
    folder = Path(entry.path)
    found = layout.match(entry.name)
    if isinstance(found, str):
        problems.add(folder, found)
        return
    files = {role: folder / name for role, name in layout.folder_files.items()}
    if not files["up"].is_file():
        problems.add(folder, f"no {files['up'].name} in this migration folder")
        return
    if found.version in groups:
        other = names[found.version].label
        problems.add(folder, f"version {format_version(found.version)} is also used by {other}")
        return
    groups[found.version] = {role: path for role, path in files.items() if path.is_file()}
    names[found.version] = found


def _load(
    version: tuple[int, ...], name: str, group: dict[str, Path], problems: _Problems
) -> Migration | None:
    """Read a migration's files and checksum them; parsing waits until a script is needed."""
    if "down" in group and "up" not in group:
        problems.add(group["down"], "down file without its .up.sql file")
        return None
    kind = "python" if "py" in group else "sql"
    path = group.get("py") or group.get("up") or group["sql"]
    read = _read(path, problems)
    down_path = group.get("down")
    down_read = _read(down_path, problems) if down_path else (b"", None)
    if read is None or down_read is None:
        return None
    return Migration(
        version,
        name,
        path,
        kind,
        checksum(read[0]),
        text=read[1],
        down_path=down_path,
        down_text=down_read[1],
    )


def parse(migration: Migration) -> Content:
    """A migration's up and down scripts; InvalidMigrations names every problem in its files."""
    problems = _Problems()
    content = _parse(migration, problems)
    if problems.lines:
        raise InvalidMigrations(
            f"{migration.path}: cannot be read as a migration",
            details=problems.lines,
            hint="fix the file, then run the command again",
        )
    return content


def check(migrations: Iterable[Migration]) -> None:
    """Parse every migration, reporting the problems of all files at once."""
    details = _problems_inside(migrations)
    if details:
        raise InvalidMigrations(
            f"{len(details)} problem(s) in migration files",
            details=details,
            hint="fix the files listed, then run the command again",
        )


def _problems_inside(migrations: Iterable[Migration]) -> list[str]:
    details: list[str] = []
    for migration in migrations:
        try:
            migration.has_down  # noqa: B018 - parses the files, once
        except InvalidMigrations as exc:
            details += exc.details
    return details


def _parse(migration: Migration, problems: _Problems) -> Content:
    path = migration.path
    if migration.kind == "python":
        has_down = _python_has_down(path, migration.text, problems)
        return Content(None, None, bool(has_down))
    if migration.down_path is not None:
        up = _script(path, migration.text, problems)
        down = _script(migration.down_path, migration.down_text or "", problems)
        return Content(up, down, True)
    up, down = _sections(path, migration.text, problems)
    return Content(up, down, down is not None)


def _python_has_down(path: Path, data: str, problems: _Problems) -> bool | None:
    """Whether the module defines `down` at top level (a def, an assignment or an import)."""
    try:
        tree = ast.parse(data, filename=str(path))
    except SyntaxError as exc:
        problems.add(path, f"Python syntax error: {exc.msg}", exc.lineno)
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "down":
            return True
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "down" for t in targets):
                return True
        if isinstance(node, ast.Import | ast.ImportFrom) and any(
            (alias.asname or alias.name) == "down" for alias in node.names
        ):
            return True
    return False


def _read(path: Path, problems: _Problems) -> tuple[bytes, str] | None:
    """The file's bytes (for the checksum) and its text; None, with a problem, if not UTF-8."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = len(_LINE_BREAK_BYTES.findall(data, 0, exc.start)) + 1
        problems.add(
            path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        )
        return None
    return data, text.removeprefix("\ufeff")


def _script(
    path: Path, text: str, problems: _Problems, where: str = "a paired .up/.down file"
) -> Script:
    """A file that is all one direction: `-- rung:no-transaction` is read, markers refused."""
    transactional = True
    for number, line in enumerate(_LINES.findall(text), 1):
        directive = _directive(path, line, number, problems)
        if directive in ("up", "down"):
            problems.add(path, f"`-- rung:{directive}` marker in {where}", number)
        elif directive == "no-transaction":
            transactional = False
    return Script(path, text, 1, transactional)


def _directive(path: Path, line: str, number: int, problems: _Problems) -> str | None:
    match = _DIRECTIVE.match(line)
    if match is None:
        return None
    word = match["word"].lower()
    if word not in _KNOWN_DIRECTIVES:
        problems.add(
            path,
            f"unknown directive `-- rung:{match['word']}`"
            f" (known: {', '.join(sorted(_KNOWN_DIRECTIVES))})",
            number,
        )
        return None
    return word


def _sections(path: Path, text: str, problems: _Problems) -> tuple[Script, Script | None]:
    """Split a single-file migration at its `-- rung:up` / `-- rung:down` markers."""
    lines = _LINES.findall(text)
    starts: dict[str, int] = {}  # section -> index of its marker line
    header_no_tx = False
    no_tx: set[str] = set()
    current = None
    for index, line in enumerate(lines):
        directive = _directive(path, line, index + 1, problems)
        if directive in ("up", "down"):
            if directive in starts:
                problems.add(path, f"second `-- rung:{directive}` marker", index + 1)
                continue
            starts[directive] = index
            current = directive
        elif directive == "no-transaction":
            if current is None:
                header_no_tx = True
            else:
                no_tx.add(current)
    if not starts:
        return Script(path, "".join(lines), 1, not header_no_tx), None
    if "up" not in starts:
        problems.add(path, "has a `-- rung:down` marker but no `-- rung:up` marker")
        starts["up"] = len(lines)
    elif "down" in starts and starts["down"] < starts["up"]:
        problems.add(
            path, "the `-- rung:down` section comes before `-- rung:up`", starts["down"] + 1
        )
    first = min(starts.values())
    _check_header(path, "".join(lines[:first]), problems)

    def section(name: str) -> Script | None:
        transactional = not (header_no_tx or name in no_tx)
        return section_script(path, lines, starts, name, transactional)

    up = section("up")
    assert up is not None
    return up, section("down")


def section_script(
    path: Path, lines: list[str], starts: dict[str, int], name: str, transactional: bool
) -> Script | None:
    """Section `name` of a file split into `lines`: from the line after its marker (index in
    `starts`) to the next marker or the end; None when the file has no such marker."""
    if name not in starts:
        return None
    begin = starts[name] + 1
    ends = [i for i in starts.values() if i > starts[name]]
    end = min(ends) if ends else len(lines)
    return Script(path, "".join(lines[begin:end]), begin + 1, transactional)


def _check_header(path: Path, header: str, problems: _Problems) -> None:
    """The text before the first marker may hold comments and directives, not SQL."""
    from rung.sqlsplit import split

    try:
        statements = split(header, "generic", path=str(path))
    except ScriptError as exc:
        problems.lines.append(exc.message)
        return
    if statements:
        problems.add(
            path,
            "SQL before the first `-- rung:up` marker; move it into a section",
            statements[0].line,
        )


def new_migration_files(
    directory: Path,
    description: str,
    *,
    now: datetime,
    layout: Layout = NATIVE,
    python: bool = False,
    sequential: bool = False,
) -> dict[Path, str]:
    """What `rung new` writes, path -> text, named as the folder's layout names migrations:
    a version (a UTC timestamp, or the next number) and a slug of `description`."""
    from rung.source.renumber import next_version

    slug = re.sub(r"[\W_]+", "_", description.lower()).strip("_")
    if not slug:
        raise ConfigError(
            f"cannot name a migration after {description!r}",
            hint='describe it with letters or digits, e.g. "add users"',
        )
    existing = discover(directory, layout=layout)
    version = next_version(
        ((m.version, m.version_text) for m in existing),
        numbering=layout.numbering,
        now=now,
        sequential=sequential,
        first=layout.first_version,
    )
    # Paths in the folder: a folder layout's examples keep their folder (20171213123456_x/up.sql).
    examples = [
        p.relative_to(directory).as_posix()
        for m in existing
        for p in (m.path, m.down_path)
        if p is not None
    ]
    layout.refuse_python(python)
    files = layout.new_files(NewMigration(version, slug, python, description, examples))
    paths = {directory / name: text for name, text in files.items()}
    for path in paths:
        if path.exists():  # a layout's names could collide with a file discovery skips
            raise ConfigError(f"cannot create {path}: the file exists already")
    return paths


def new_migration_path(
    directory: Path,
    description: str,
    *,
    python: bool,
    sequential: bool,
    now: datetime,
    layout: Layout = NATIVE,
) -> Path:
    """Where `rung new` puts a migration (its first file, for layouts that write two)."""
    files = new_migration_files(
        directory, description, now=now, layout=layout, python=python, sequential=sequential
    )
    return next(iter(files))
