"""What `rung lint` reads: SQL files named on the command line, and which dialect to use.

A file of the configured migrations folder is read as `rung up` reads it, through the
folder's layout (Flyway's V and U, dbmate's sections, a Liquibase changelog, a Prisma or
diesel folder), and a repeatable migration (`repeatable/views.sql`, Flyway's `R__x.sql`) as
a repeatable. Any other .sql file can be linted, whatever its name: `x.up.sql` is paired
with `x.down.sql` beside it (so the down can be judged), and a `.down.sql` stands for its
migration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from rung.config import Settings
from rung.errors import ConfigError, InvalidMigrations, UsageError
from rung.lint.model import DIALECTS
from rung.model import REPEATABLE, Migration, Repeatable, Script, parse_version
from rung.source.adapters import AdaptedMigration, FileName, Layout, layout_for
from rung.source.adapters.base import BASELINE_ROLE, Baseline
from rung.source.native import NATIVE, _adapted, _load, _Problems, checksum
from rung.source.native import _read as _read_source
from rung.source.repeatable import FOLDER as REPEATABLES
from rung.source.repeatable import _folder_name
from rung.source.variants import split_tag

_PARTNER = {"up": "down", "down": "up"}  # the other file of a paired migration


def load_files(paths: Iterable[Path], settings: Settings | None = None) -> list[Migration]:
    """One migration per up file among `paths`, in the order given, each once.

    With `settings`, a file of its migrations folder is read through the configured
    layout, and a repeatable one as a Repeatable; files elsewhere in rung's own format.
    """
    migrations: dict[Path, Migration] = {}
    problems: list[str] = []
    for path in paths:
        try:
            migration = _from_folder(path, settings) if settings else None
            if migration is None:
                if not path.name.endswith(".sql"):
                    raise UsageError(f"{path}: only .sql files can be linted")
                up, down = _pair(path)
                if up in migrations:
                    continue
                migration = _migration(up, down)
            if migration.path in migrations:
                continue
            migration.has_down  # noqa: B018 - parses the file: markers and directives
        except InvalidMigrations as exc:
            problems += exc.details or [exc.message]
            continue
        migrations[migration.path] = migration
    if problems:
        problems = list(dict.fromkeys(problems))  # an up and its down named together
        raise InvalidMigrations(
            f"{len(problems)} problem(s) in the files to lint",
            details=problems,
            hint="fix the files listed, then run `rung lint` again",
        )
    return list(migrations.values())


def _from_folder(path: Path, settings: Settings) -> Migration | None:
    """`path` as `rung up` reads it when it is a file of the migrations folder; None for a
    file elsewhere, or one that discovery passes over (hidden, or not a migration's file)."""
    directory, where = settings.directory.resolve(), path.resolve()
    if path.name.endswith(".py"):  # Python migrations are not linted
        return None
    if where.parent == directory / REPEATABLES:
        return _repeatable_file(path)
    layout = layout_for(settings.format, settings.pattern, flyway=settings.flyway)
    if layout.folder_files:
        if where.parent.parent == directory and path.name in layout.folder_files.values():
            return _folder_migration(path.parent, layout)
        if where.parent == directory and path.name.endswith(".sql"):  # discovery refuses it
            up = layout.folder_files["up"]
            _refuse(
                path,
                f"not read: a {layout.format} migration is a folder <version>_<name> holding {up}",
                layout.hint,
            )
        return None
    if where.parent == directory and layout.candidate(path.name):
        return _layout_file(path, layout)
    return None


def _layout_file(path: Path, layout: Layout) -> Migration:
    """A file of a file-per-migration layout, with its up or down partner beside it."""
    found, tag = _file_name(path.name, layout)
    if isinstance(found, str):
        _refuse(path, found, layout.hint)
    if found.role == REPEATABLE:  # Flyway's R__views.sql
        return _repeatable(path, found.name, path.name.removesuffix(".sql"))
    group = {"sql" if found.role == BASELINE_ROLE else found.role: path}
    named = found
    partner = _partner(path, found, tag, layout)
    if partner is not None:
        group[partner[1].role] = partner[0]
        named = partner[1] if partner[1].role == "up" else found  # the up names the migration
    migration = _loaded(found, group)
    if layout is NATIVE:
        return migration
    kind = Baseline if found.role == BASELINE_ROLE else AdaptedMigration
    return _adapted(migration, named, layout, kind)


def _partner(
    path: Path, found: FileName, tag: str | None, layout: Layout
) -> tuple[Path, FileName] | None:
    """The other file of a paired migration (`.up`/`.down`, Flyway's V and U): same
    version, name and per-dialect tag, beside it; None for a single-file migration."""
    wanted = _PARTNER.get(found.role)
    for sibling in sorted(path.parent.iterdir()) if wanted else ():
        if not sibling.is_file() or not layout.candidate(sibling.name):
            continue
        other, other_tag = _file_name(sibling.name, layout)
        if not isinstance(other, FileName) or (other.role, other_tag) != (wanted, tag):
            continue
        key = layout.version_key
        if (key(other.version), other.name) == (key(found.version), found.name):
            return path.with_name(sibling.name), other  # as the user wrote the path
    return None


def _folder_migration(folder: Path, layout: Layout) -> Migration:
    """A Prisma or diesel migration folder, as discovery reads it, from any file in it."""
    found = layout.match(folder.name)
    if isinstance(found, str):
        _refuse(folder, found, layout.hint)
    files = {role: folder / name for role, name in layout.folder_files.items()}
    if not files["up"].is_file():
        _refuse(folder, f"no {files['up'].name} in this migration folder", layout.hint)
    group = {role: path for role, path in files.items() if path.is_file()}
    return _adapted(_loaded(found, group), found, layout)


def _repeatable_file(path: Path) -> Repeatable:
    """A file of repeatable/: a repeatable migration named by its file."""
    found = _folder_name(path.name)
    if isinstance(found, str):
        _refuse(path, found, f"repeatable migrations are .sql files in {REPEATABLES}/")
    name = found[0]
    return _repeatable(path, name, f"{REPEATABLES}/{path.name.removesuffix('.sql')}")


def _repeatable(path: Path, name: str, label: str) -> Repeatable:
    problems = _Problems()
    read = _read_source(path, problems)
    if read is None:
        raise InvalidMigrations(f"{path}: cannot be read", details=problems.lines)
    return Repeatable((), name, path, "sql", checksum(read[0]), text=read[1], written_label=label)


def _loaded(found: FileName, group: dict[str, Path]) -> Migration:
    problems = _Problems()
    migration = _load(found.version, found.name, group, problems)
    if migration is None:
        raise InvalidMigrations(f"{found.name}: cannot be read", details=problems.lines)
    return migration


def _file_name(file_name: str, layout: Layout) -> tuple[FileName | str, str | None]:
    """What the layout reads in a file name, and its per-dialect tag, as discovery reads it."""
    base, tag = split_tag(file_name)
    found = layout.match(base) if tag else None
    if isinstance(found, FileName):
        return found, tag
    return layout.match(file_name), None


def _refuse(path: Path, problem: str, hint: str) -> NoReturn:
    raise InvalidMigrations(f"{path}: {problem}", details=[f"{path}: {problem}"], hint=hint)


def with_placeholders(
    migrations: Iterable[Migration],
    *,
    dialect: str,
    settings: Settings,
    problems: list[str] | None = None,
) -> list[Migration]:
    """The migrations as `rung up` would run them: `${...}` replaced by the values known here
    (config, environment), quoted as `dialect` quotes; a value not known becomes a neutral
    token that parses where the value would. Lines stay where they are. Placeholders that
    `rung up` would refuse whatever their values (misplaced, malformed) stay as written and
    are added to `problems`, as `file:line: message`."""
    from rung.placeholders import for_lint, layout_format

    placeholders = for_lint(settings, layout_format(settings), dialect)
    if not placeholders.enabled:
        return list(migrations)

    def text(path: Path | None, written: str | None) -> str | None:
        if path is None or written is None or "${" not in written:
            return written
        return placeholders.text(Script(path, written, 1))

    replaced = [
        replace(m, text=text(m.path, m.text), down_text=text(m.down_path, m.down_text))
        if m.kind == "sql"
        else m
        for m in migrations
    ]
    if problems is not None:
        problems += placeholders.problems
    return replaced


def _pair(path: Path) -> tuple[Path, Path | None]:
    """(up file, down file or None) for a file named on the command line."""
    if path.name.endswith(".down.sql"):
        up = path.with_name(path.name.removesuffix(".down.sql") + ".up.sql")
        return (up, path) if up.is_file() else (path, None)
    if path.name.endswith(".up.sql"):
        down = path.with_name(path.name.removesuffix(".up.sql") + ".down.sql")
        return path, down if down.is_file() else None
    return path, None


def _migration(up: Path, down: Path | None) -> Migration:
    stem = up.name.removesuffix(".sql").removesuffix(".up")
    try:
        version = parse_version(stem.split("_", 1)[0])
    except ValueError:
        version = (0,)
    return Migration(
        version,
        stem,
        up,
        "sql",
        "",
        text=_read(up),
        down_path=down,
        down_text=_read(down) if down else None,
    )


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidMigrations(
            f"{path}: not UTF-8 text", details=[f"{path}: not UTF-8 text ({exc.reason})"]
        ) from None


def dialect_name(requested: str | None, settings: Settings) -> str:
    """`--dialect`, else the dialect of the configured database URL; never connects."""
    if requested:
        return requested
    if not settings.database:
        raise ConfigError(
            "rung lint needs to know the SQL dialect",
            hint=f"pass --dialect ({'|'.join(DIALECTS)}) or configure the database URL "
            "(--database, RUNG_DATABASE_URL or `database` in rung.toml)",
        )
    from rung.dialects import dialect_for

    name = dialect_for(settings.url()).name
    if name not in DIALECTS:
        raise ConfigError(
            f"rung lint has no rules for the database at {settings.url().redacted}",
            hint=f"pass --dialect ({'|'.join(DIALECTS)}) to lint as one of those",
        )
    return name
