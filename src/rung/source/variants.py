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

from rung.model import Version, format_version
from rung.source.adapters.base import BASELINE_ROLE, FileName

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
    if all(tag is None for _, _, tag in files):  # no variants (most folders): every file
        return [(path, found) for path, found, _ in files]
    tags: dict[tuple[Version, bool], set[str | None]] = {}
    for _, found, tag in files:
        tags.setdefault(_key(found), set()).add(tag)
    wanted = {key: pick(present, dialect) for key, present in tags.items()}
    return [(path, found) for path, found, tag in files if wanted[_key(found)] == tag]


def _key(found: FileName) -> tuple[Version, bool]:
    """One migration's files: a version, and whether they are its baseline (Flyway's B)."""
    return found.version, found.role == BASELINE_ROLE


def name_problems(files: Iterable[tuple[Path, FileName, str | None]]) -> list[tuple[Path, str]]:
    """Variants named unlike the migration they are a variant of (`005_add_x.postgres.sql`
    beside `005_add_y.sql`): each such file, with what is wrong.

    Untagged files of one version that disagree are duplicates, which discovery reports.
    """
    files = list(files)
    if all(tag is None for _, _, tag in files):
        return []
    groups: dict[tuple[Version, bool], list[tuple[Path, FileName, str | None]]] = {}
    for file in files:
        groups.setdefault(_key(file[1]), []).append(file)
    problems = []
    for group in groups.values():
        if all(tag is None for _, _, tag in group):
            continue
        # The generic file names the migration; without one, the first variant by name does.
        first_path, first, _ = min(group, key=lambda file: (file[2] is not None, file[0].name))
        for path, found, tag in group:
            if tag is not None and found.name != first.name:
                problems.append(
                    (
                        path,
                        f"a {tag} variant of version {format_version(found.version)} is named "
                        f"{found.name!r}, but {first_path.name} names it {first.name!r}: "
                        "variants of one migration share its name; rename one of them",
                    )
                )
    return problems


def pick(present: set[str | None], dialect: str | None) -> str | None:
    """Of the tags one migration's files have (None: the generic file), the one to read."""
    if present == {None}:
        return None
    spellings = SPELLINGS.get(dialect or "", ())
    preferred = [tag for tag in spellings if tag in present]
    if preferred:
        return preferred[0]
    if None in present or dialect is not None:
        return None
    return min(tag for tag in present if tag is not None)
