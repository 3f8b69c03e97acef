"""Flyway: `V1_2_0__name.sql` (versioned), `U1_2_0__name.sql` (its undo, rung's down),
`B1_2_0__name.sql` (a baseline) and `R__name.sql` (repeatable).

Versions may be dotted or underscored (`V1.2.0__x`, `V1_2_0__x`); both are (1, 2, 0), so
V1_2_0 sorts before V1_10_0. As in Flyway, trailing zeros do not make another version:
`V1__a.sql` beside `V1.0__b.sql` is two migrations with one version, a problem. Repeatable
files (`R__views.sql`) are rung's repeatable migrations, known by their description. A
baseline is the whole schema at its version: rung runs the newest one on a database with no
applied migration, instead of the migrations up to it, and ignores baselines everywhere
else (see `rung.plan`); once run, its file is checked like an applied migration's.

The prefixes, the separator and the suffixes are configurable, as Flyway's own
sqlMigrationPrefix, undoSqlMigrationPrefix, repeatableSqlMigrationPrefix,
baselineMigrationPrefix, sqlMigrationSeparator and sqlMigrationSuffixes are: a `[flyway]`
table in rung.toml (`FlywayNaming.from_table`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from rung.errors import ConfigError
from rung.model import REPEATABLE, Version
from rung.source.adapters.base import BASELINE_ROLE, FileName, Layout, NewMigration

# The [flyway] keys that are prefixes, and the kind of file each one starts.
_PREFIXES = {
    "prefix": "versioned",
    "undo_prefix": "undo",
    "repeatable_prefix": "repeatable",
    "baseline_prefix": "baseline",
}
_ROLES = {"versioned": "up", "undo": "down", "baseline": BASELINE_ROLE}  # V and its U pair
_SETTINGS_HINT = (
    '[flyway] takes prefix = "V", undo_prefix = "U", repeatable_prefix = "R", '
    'baseline_prefix = "B", separator = "__" and suffixes = [".sql"] (the defaults shown)'
)


@dataclass(frozen=True)
class FlywayNaming:
    """How a Flyway project names its files; the defaults are Flyway's."""

    prefix: str = "V"
    undo_prefix: str = "U"
    repeatable_prefix: str = "R"
    baseline_prefix: str = "B"
    separator: str = "__"
    suffixes: tuple[str, ...] = (".sql",)

    @classmethod
    def from_table(cls, table: object, where: str) -> FlywayNaming:
        """The [flyway] table of a config file, checked; ConfigError names the bad key."""
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: `flyway` must be a table", hint=_SETTINGS_HINT)
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise ConfigError(
                f"{where}: unknown setting {', '.join(map(repr, unknown))}",
                hint=f"known [flyway] settings: {', '.join(known)}",
            )
        values = {key: _text(table[key], key, where) for key in table if key != "suffixes"}
        if "suffixes" in table:
            values["suffixes"] = _suffixes(table["suffixes"], where)
        naming = cls(**values)
        naming._check(where)
        return naming

    def _check(self, where: str) -> None:
        seen: dict[str, str] = {}
        for key in _PREFIXES:
            value = getattr(self, key)
            if value[-1].isdigit():
                raise ConfigError(
                    f"{where}: `{key}` {value!r} ends with a digit, so the version after it "
                    "could not be told apart",
                    hint="end the prefix with a letter",
                )
            if value in seen:
                raise ConfigError(
                    f"{where}: `{key}` {value!r} is also `{seen[value]}`; each kind of file "
                    "needs its own prefix",
                    hint=_SETTINGS_HINT,
                )
            seen[value] = key
        if self.separator[0].isdigit() or self.separator[0] == ".":
            raise ConfigError(
                f"{where}: `separator` {self.separator!r} starts with a digit or a dot, so "
                "it could not be told apart from the version before it",
                hint='Flyway\'s separator is "__"',
            )

    @property
    def hint(self) -> str:
        example = f"{self.prefix}1_2_0{self.separator}add_users{self.suffixes[0]}"
        return (
            f"Flyway names migrations {self.prefix}<version>{self.separator}<name>"
            f"{self.suffixes[0]}, e.g. {example} (its undo: {self.undo_prefix}…)"
        )

    def rule(self) -> re.Pattern[str]:
        """The file-name rule; every part is escaped, so any character may appear in one."""
        prefixes = sorted((getattr(self, key) for key in _PREFIXES), key=len, reverse=True)
        suffixes = sorted(self.suffixes, key=len, reverse=True)
        return re.compile(
            f"^(?P<prefix>{'|'.join(map(re.escape, prefixes))})"
            r"(?P<version>\d+(?:[._]\d+)*)?"
            f"{re.escape(self.separator)}(?P<name>.+?)"
            f"(?P<suffix>{'|'.join(map(re.escape, suffixes))})$"
        )

    def kind(self, prefix: str) -> str:
        return next(kind for key, kind in _PREFIXES.items() if getattr(self, key) == prefix)


def _text(value: object, key: str, where: str) -> str:
    if not isinstance(value, str) or not value or value != value.strip() or "/" in value:
        raise ConfigError(
            f"{where}: `{key}` must be a non-empty string without spaces around it or `/`, "
            f"not {value!r}",
            hint=_SETTINGS_HINT,
        )
    return value


def _suffixes(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(
            f"{where}: `suffixes` must be a non-empty list of file-name endings, not {value!r}",
            hint='e.g. suffixes = [".sql"]',
        )
    return tuple(_text(item, "suffixes", where) for item in value)


@dataclass(frozen=True)
class FlywayLayout(Layout):
    naming: FlywayNaming = field(default_factory=FlywayNaming)

    def match(self, file_name: str) -> FileName | str:
        found = self.name_rule.fullmatch(file_name)
        if found is None:
            return super().match(file_name)
        naming, prefix = self.naming, found["prefix"]
        kind = naming.kind(prefix)
        example = f"{naming.separator}x{found['suffix']}"
        if kind == "repeatable":
            if found["version"] is not None:
                return (
                    f"a Flyway repeatable migration has no version: name it "
                    f"{prefix}{naming.separator}<name>{found['suffix']}"
                )
            return FileName((), found["name"], REPEATABLE, "")
        if found["version"] is None:
            return f"a Flyway {prefix} migration needs a version, e.g. {prefix}1{example}"
        result = super().match(file_name)
        if isinstance(result, str):
            return result
        return FileName(result.version, result.name, _ROLES[kind], result.version_text)

    def version_key(self, version: Version) -> Version:
        """Flyway reads 1, 1.0 and 1.0.0 as one version: trailing zeros do not count."""
        while len(version) > 1 and version[-1] == 0:
            version = version[:-1]
        return version

    def new_files(self, new: NewMigration) -> dict[str, str]:
        """`V<version>__<name>.sql` alone: an undo file is the author's choice, as in Flyway
        (an empty one would let `rung down` report success without undoing anything)."""
        naming = self.naming
        rest = f"{new.version}{naming.separator}{new.name}{naming.suffixes[0]}"
        undo = f"{naming.undo_prefix}{rest}"
        return {f"{naming.prefix}{rest}": f"-- Its undo, run by `rung down`, goes in {undo}\n"}


def layout(naming: FlywayNaming | None = None) -> FlywayLayout:
    """The Flyway layout for a project's naming (Flyway's defaults without one)."""
    naming = naming or FlywayNaming()
    return FlywayLayout(
        "flyway",
        naming.rule(),
        naming.hint,
        extensions=naming.suffixes,
        numbering="sequential",
        first_version="1",
        naming=naming,
    )


LAYOUT = layout()
