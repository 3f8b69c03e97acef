"""Other tools' layouts, chosen by `format` (and `pattern`) in the config.

Each adapter is a Layout: which files it reads, what their names say, and how a single-file
migration splits into sections. `layout_for` turns the config's words into one.
"""

from __future__ import annotations

import importlib
import re

from rung.errors import ConfigError
from rung.source.adapters import flyway as flyway_names
from rung.source.adapters.base import AdaptedMigration, FileName, Layout
from rung.source.adapters.flyway import FlywayNaming

__all__ = [
    "FORMATS",
    "AdaptedMigration",
    "FileName",
    "FlywayNaming",
    "Layout",
    "compile_pattern",
    "layout_for",
]

# format -> module holding its LAYOUT, imported when a project uses it (start-up time).
_MODULES = {
    "rung": "rung",
    "flyway": "flyway",
    "golang-migrate": "golang_migrate",
    "dbmate": "dbmate",
    "prisma": "prisma",
    "diesel": "diesel",
    "liquibase": "liquibase",
}
FORMATS = (*_MODULES, "pattern")
_GROUPS = {"version", "name", "direction", "prefix"}
PATTERN_HINT = (
    "write a regular expression with named groups, e.g. "
    r"pattern = '^V(?P<version>\d+)\.(?P<name>\w+)\.(?P<direction>up|down)\.sql$'"
)


def compile_pattern(pattern: str, where: str = "pattern") -> re.Pattern[str]:
    """The pattern, compiled; ConfigError unless it compiles and has a `version` group."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"{where}: {pattern!r} is not a regular expression: {exc}", hint=PATTERN_HINT
        ) from None
    if "version" not in compiled.groupindex:
        raise ConfigError(f"{where}: {pattern!r} has no `version` group", hint=PATTERN_HINT)
    unknown = sorted(set(compiled.groupindex) - _GROUPS)
    if unknown:
        raise ConfigError(
            f"{where}: {pattern!r} has unknown group(s) {', '.join(unknown)}"
            " (known: version, name, direction)",
            hint=PATTERN_HINT,
        )
    return compiled


def layout_for(
    format: str | None = None,
    pattern: str | None = None,
    *,
    flyway: FlywayNaming | None = None,
) -> Layout:
    """The layout for a config's `format` and `pattern` (a pattern alone means "pattern");
    `flyway` is the [flyway] table's naming, read with format = "flyway" only."""
    format = format or ("pattern" if pattern else "rung")
    if flyway is not None and format != "flyway":
        raise ConfigError(
            f'[flyway] is only read with format = "flyway", not {format!r}',
            hint='set format = "flyway", or remove the [flyway] table',
        )
    if format == "pattern":
        if not pattern:
            raise ConfigError('format = "pattern" needs a `pattern`', hint=PATTERN_HINT)
        from rung.source.adapters.pattern import PatternLayout

        compiled = compile_pattern(pattern)
        return PatternLayout(
            "pattern",
            compiled,
            f"migration files must match the pattern {pattern!r}",
            extensions=(".sql",),
            numbering="sequential",
        )
    if format not in _MODULES:
        raise ConfigError(
            f"unknown migration format {format!r}",
            hint=f"known formats: {', '.join(FORMATS)}",
        )
    if pattern:
        raise ConfigError(
            f'`pattern` is only read with format = "pattern", not {format!r}',
            hint='remove `format`, or set format = "pattern"',
        )
    if format == "flyway" and flyway is not None:
        return flyway_names.layout(flyway)
    return importlib.import_module(f"rung.source.adapters.{_MODULES[format]}").LAYOUT
