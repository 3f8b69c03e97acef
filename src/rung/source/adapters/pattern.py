"""A home-grown layout, given as a regular expression with named groups (`pattern`).

`rung new` cannot invent a file name from a regular expression, but it can copy one: it
takes the newest file the pattern matches, puts the new version and name where that file
has its own, and keeps the new name only if the pattern reads it back exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rung.errors import ConfigError
from rung.source.adapters.base import FileName, Layout, NewMigration
from rung.source.adapters.rung import SQL_TEMPLATE

_DIRECTIONS = ("up", "down")


@dataclass(frozen=True)
class PatternLayout(Layout):
    def new_files(self, new: NewMigration) -> dict[str, str]:
        """Files shaped like the newest one the pattern matches: its up and down files when
        the pattern has a `direction` group, else one file with rung's sections."""
        example = next((e for e in reversed(new.examples) if self.name_rule.fullmatch(e)), None)
        if example is None:
            raise ConfigError(
                "`rung new` names a migration after the newest file the pattern matches, "
                "and the folder has none",
                hint=f"create the first migration by hand, named to match "
                f"{self.name_rule.pattern!r}; `rung new` then copies its shape",
            )
        found = self.name_rule.fullmatch(example)
        assert found is not None
        if found.groupdict().get("direction") is None:
            return {
                self._checked(
                    _replace(found, new.version, new.name), new.version, new.name
                ): SQL_TEMPLATE
            }
        return {
            self._checked(
                _replace(found, new.version, new.name, direction), new.version, new.name
            ): ""
            for direction in _DIRECTIONS
        }

    def _checked(self, file_name: str, version: str, name: str) -> str:
        """The new name, if the pattern reads back the version and name put into it."""
        found = self.match(file_name)
        if not (
            isinstance(found, FileName)
            and found.version_text == version
            and found.name in (name, "")
            and "/" not in file_name
        ):
            raise ConfigError(
                f"`rung new` would name the migration {file_name!r}, which the pattern "
                f"{self.name_rule.pattern!r} does not read back as version {version} "
                f"named {name!r}",
                hint="describe the migration in words the pattern's `name` group accepts, "
                "or create the file by hand",
            )
        return file_name


def _replace(found: re.Match[str], version: str, name: str, direction: str = "") -> str:
    """The example's name with its groups' text replaced, right to left so spans hold."""
    text = found.string
    spans = []
    for group, value in (("version", version), ("name", name), ("direction", direction)):
        if found.re.groupindex.get(group) and found[group] is not None:
            if group == "direction":
                value = _same_case(value, found[group])
            spans.append((found.span(group), value))
    for (start, end), value in sorted(spans, reverse=True):
        text = text[:start] + value + text[end:]
    return text


def _same_case(value: str, like: str) -> str:
    """`up` written as the example writes its direction: up, UP or Up."""
    if like.isupper():
        return value.upper()
    return value.capitalize() if like[:1].isupper() else value
