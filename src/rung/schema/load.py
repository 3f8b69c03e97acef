"""A schema from a database URL or from a dump file written by `rung dump`.

A dump is read the way its own database reads it: its header names the dialect, and it is
loaded into a scratch database of that kind (in memory for SQLite; for a server, a
temporary database created and dropped beside a URL of that kind, or an empty shadow
database), then introspected like any database. So a dump and the database it was taken
from compare equal, and a dump that no longer loads is reported at its line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rung.config import DatabaseURL, Settings, parse_url, redact
from rung.dialects import Dialect, connect, dialect_for
from rung.errors import ConfigError, RequestRefused, ScriptError, UsageError
from rung.schema.flavours import Flavour, flavour_for
from rung.schema.model import Schema
from rung.schema.render import HEADER

__all__ = ["Dump", "Side", "read_dump", "read_sides", "schemas"]

_DIALECT_LINE = re.compile(r"-- database: ([a-z][a-z0-9_]*);")
_NOT_A_DUMP_HINT = "give a database URL, or a file written by `rung dump`"


@dataclass(frozen=True)
class Dump:
    path: str
    dialect: str  # as the header says: sqlite, postgresql, mysql, mariadb, ...
    text: str

    @property
    def flavour(self) -> Flavour:
        return flavour_for(self.dialect)


@dataclass(frozen=True)
class Side:
    """FROM or TO of `rung diff`: a database URL, or a dump file."""

    label: str  # FROM or TO
    url: str | None = None
    dump: Dump | None = None

    @property
    def sql_flavour(self) -> str:
        if self.dump is not None:
            return self.dump.flavour.sql_flavour
        return dialect_for(parse_url(self.url or "")).flavour

    @property
    def described(self) -> str:
        if self.dump is not None:
            return f"{self.dump.path} (a {self.dump.dialect} dump)"
        url = parse_url(self.url or "")
        return f"{url.redacted} (a {dialect_for(url).display_name} database)"


def is_url(text: str) -> bool:
    """URLs have a scheme; SQLite files may be given as paths (app.db, :memory:)."""
    if "://" in text:
        return True
    try:
        parse_url(text)
    except ConfigError:
        return False
    return True


def read_sides(source: str, target: str) -> list[Side]:
    """FROM and TO of `rung diff`, each a URL or a dump file ("-": standard input)."""
    if source == target == "-":
        raise UsageError("FROM and TO cannot both be - (standard input)", hint=_NOT_A_DUMP_HINT)
    return [_side("FROM", source), _side("TO", target)]


def _side(label: str, text: str) -> Side:
    return Side(label, url=text) if is_url(text) else Side(label, dump=read_dump(label, text))


def read_dump(label: str, path: str) -> Dump:
    """The dump file at `path` ("-": standard input); a usage error naming it when it is
    missing or not a dump."""
    if path == "-":
        path, text = "<stdin>", sys.stdin.read()
    else:
        text = _read(label, path)
    lines = text.split("\n", 2)
    match = _DIALECT_LINE.match(lines[1]) if len(lines) > 1 else None
    if lines[0].rstrip("\r") != HEADER or match is None:
        raise UsageError(
            f"{path}:1: not a schema dump written by `rung dump` (its first two lines "
            "are not rung's dump header)",
            hint=_NOT_A_DUMP_HINT,
        )
    return Dump(path, match.group(1), text)


def _read(label: str, path: str) -> str:
    file = Path(path)
    if not file.exists() or file.is_dir():  # pipes such as <(git show ...) are welcome
        raise UsageError(
            f"{label} {path}: no such file, and not a database URL",
            hint=_NOT_A_DUMP_HINT + " (database URLs look like postgresql://user@host/db)",
        )
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it: {exc}", hint=_NOT_A_DUMP_HINT) from None


def schemas(
    settings: Settings, sides: Sequence[Side], *, shadow_url: str | None = None
) -> list[Schema]:
    """The schema of each side, in order: introspected, or loaded from a dump and then
    introspected. Nothing is written but the scratch databases, which are dropped."""
    from rung.api import Migrator

    _check_kinds(sides)
    on_server = [s for s in sides if s.dump is not None and not s.dump.flavour.serverless_url]
    if shadow_url and len(on_server) > 1:
        raise UsageError(
            "--shadow-url holds one dump, and FROM and TO are both dumps to load on a server",
            hint="leave --shadow-url out and pass --database URL of a server where rung may "
            "create temporary databases",
        )
    found = []
    for side in sides:
        if side.url is not None:
            found.append(Migrator(settings=replace(settings, database=side.url)).schema())
        else:
            assert side.dump is not None
            found.append(_load(settings, side, sides, shadow_url))
    return found


def _check_kinds(sides: Sequence[Side]) -> None:
    """With a dump, both sides must be of one kind of database: a dump loads only on its
    own kind, and a dump of another kind would differ in every type. (Two databases of
    different kinds may still be compared.)"""
    first, second = sides
    dumps = first.dump is not None or second.dump is not None
    if dumps and first.sql_flavour != second.sql_flavour:
        raise RequestRefused(
            f"cannot compare {first.described} with {second.described}",
            hint="compare a dump with a database of its own kind (or with another dump of it); "
            "write the dump with `rung dump` from such a database",
        )


def _load(settings: Settings, side: Side, sides: Sequence[Side], shadow_url: str | None) -> Schema:
    dump = side.dump
    assert dump is not None
    serverless = dump.flavour.serverless_url
    if serverless:
        with _connection(parse_url(serverless), settings) as (dialect, conn):
            return _load_into(dialect, conn, dump, settings)
    from rung.scratch import scratch_database

    server = _server(settings, side, sides, shadow_url)
    with (
        scratch_database(replace(settings, database=server), shadow_url) as scratch,
        _connection(scratch.url(), settings) as (dialect, conn),
    ):
        return _load_into(dialect, conn, dump, settings)


@contextmanager
def _connection(url: DatabaseURL, settings: Settings) -> Iterator[tuple[Dialect, Any]]:
    dialect, conn = connect(url, lock_timeout=settings.lock_timeout)
    try:
        yield dialect, conn
    finally:
        with suppress(Exception):
            conn.close()


def _server(settings: Settings, side: Side, sides: Sequence[Side], shadow_url: str | None) -> str:
    """Where a temporary database for the dump may be created: beside the shadow URL, the
    other side's URL, or the configured database, whichever comes first."""
    assert side.dump is not None
    other = sides[1] if sides[0] is side else sides[0]
    candidates = [
        ("--shadow-url", shadow_url),
        (other.label, other.url),
        ("the configured database (--database)", settings.database),
    ]
    for source, url in candidates:
        if not url:
            continue
        if dialect_for(parse_url(url)).flavour != side.sql_flavour:
            raise RequestRefused(
                f"{side.dump.path} is a {side.dump.dialect} dump, and {source} "
                f"({parse_url(url).redacted}) is not a database of that kind",
                hint=f"pass --shadow-url or --database URL of a {side.dump.dialect} server",
            )
        return url
    raise RequestRefused(
        f"{side.dump.path} is a {side.dump.dialect} dump: rung loads it into a temporary "
        "database, and needs a server for that",
        hint=f"pass --database URL of a {side.dump.dialect} server where rung may create "
        "databases, or --shadow-url URL of an empty database",
    )


def _load_into(dialect: Dialect, conn: Any, dump: Dump, settings: Settings) -> Schema:
    from rung import sqlsplit
    from rung.schema.inspect import inspect_schema

    try:
        statements = sqlsplit.split(dump.text, dialect.flavour, path=dump.path)
    except ScriptError as exc:
        raise RequestRefused(exc.message, details=exc.details, hint=_reload_hint(dump)) from None
    for statement in statements:
        try:
            conn.cursor().execute(statement.text)
        except Exception as exc:
            if not dialect.is_statement_error(exc):
                raise
            first = statement.text.split("\n", 1)[0]
            raise RequestRefused(
                f"{dump.path}:{statement.line}: the dump does not load on "
                f"{dialect.display_name}: {redact(dialect.error_message(exc))}",
                details=[f"{statement.line:>5} | {first}"],
                hint=_reload_hint(dump),
            ) from None
    return inspect_schema(dialect, conn, exclude=(settings.history_table,))


def _reload_hint(dump: Dump) -> str:
    return (
        f"write {dump.path} again with `rung dump` from the database it describes "
        "(a dump edited by hand, or taken from a newer server, may not load)"
    )
