"""Per-dialect variants of one migration: `005_x.postgresql.sql` beside `005_x.sqlite.sql`
and a generic `005_x.sql`, as projects that support several databases keep them.

The database is named by a plain string (`postgresql`, `sqlite`, `mysql`, `mariadb`); this
module knows only how file names spell those names. rung picks the variant for the database
it talks to, else the generic file; with no database named it takes the generic file, else
the first variant by name, so that files can still be checked offline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from rung.source.adapters.base import FileName

# How file names spell each database, the preferred spelling first.
SPELLINGS = {
    "postgresql": ("postgresql", "postgres"),
    "sqlite": ("sqlite", "sqlite3"),
    "mysql": ("mysql", "mariadb"),
    "mariadb": ("mariadb", "mysql"),
}
_TAGS = sorted({tag for tags in SPELLINGS.values() for tag in tags}, key=len, reverse=True)
_TAGGED = re.compile(
    rf"^(?P<stem>.+)\.(?P<tag>{'|'.join(_TAGS)})(?P<rest>(?:\.(?:up|down))?\.sql)$",
    re.IGNORECASE,
)


def split_tag(file_name: str) -> tuple[str, str | None]:
    """`005_x.postgres.up.sql` -> (`005_x.up.sql`, "postgres"); an untagged name is as is."""
    match = _TAGGED.match(file_name)
    if match is None:
        return file_name, None
    return match["stem"] + match["rest"], match["tag"].lower()


def choose(
    files: Iterable[tuple[Path, FileName, str | None]], dialect: str | None
) -> list[tuple[Path, FileName]]:
    """The files of each version for `dialect`: its variant, else the generic file.

    A version that has only other databases' variants is not a migration for this one.
    """
    files = list(files)
    tags: dict[tuple[int, ...], set[str | None]] = {}
    for _, found, tag in files:
        tags.setdefault(found.version, set()).add(tag)
    wanted: dict[tuple[int, ...], str | None] = {}
    for version, present in tags.items():
        if present == {None}:
            wanted[version] = None
            continue
        spellings = SPELLINGS.get(dialect or "", ())
        preferred = [tag for tag in spellings if tag in present]
        if preferred:
            wanted[version] = preferred[0]
        elif None in present or dialect is not None:
            wanted[version] = None
        else:
            wanted[version] = min(tag for tag in present if tag is not None)
    return [(path, found) for path, found, tag in files if wanted[found.version] == tag]
