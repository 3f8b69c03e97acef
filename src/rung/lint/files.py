"""What `rung lint` reads: SQL files named on the command line, and which dialect to use.

Any .sql file can be linted, whatever its name: `x.up.sql` is paired with `x.down.sql`
beside it (so the down can be judged), and a `.down.sql` stands for its migration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from rung.config import Settings
from rung.errors import ConfigError, InvalidMigrations, UsageError
from rung.lint.model import DIALECTS
from rung.model import Migration, Script, parse_version


def load_files(paths: Iterable[Path]) -> list[Migration]:
    """One migration per up file among `paths`, in the order given, each once."""
    migrations: dict[Path, Migration] = {}
    problems: list[str] = []
    for path in paths:
        if not path.name.endswith(".sql"):
            raise UsageError(f"{path}: only .sql files can be linted")
        up, down = _pair(path)
        if up in migrations:
            continue
        try:
            migration = _migration(up, down)
            migration.has_down  # noqa: B018 - parses the file: markers and directives
        except InvalidMigrations as exc:
            problems += exc.details or [exc.message]
            continue
        migrations[up] = migration
    if problems:
        raise InvalidMigrations(
            f"{len(problems)} problem(s) in the files to lint",
            details=problems,
            hint="fix the files listed, then run `rung lint` again",
        )
    return list(migrations.values())


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
