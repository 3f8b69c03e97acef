"""diesel: `migrations/<version>_<name>/up.sql` and `down.sql`, `metadata.toml` optional.

The version is what comes before the first `_`: diesel's default `2017-12-13-123456`, or
plain digits (`00000000000000_diesel_initial_setup`, `20171213123456_x`). diesel drops the
dashes (its `__diesel_schema_migrations.version` holds `20171213123456`), so versions
compare as the numbers their digits make. A folder without `down.sql` has no down.
`metadata.toml` with `run_in_transaction = false` runs the migration outside a transaction,
as rung's `-- rung:no-transaction` does; its other keys are diesel's business.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rung.errors import InvalidMigrations
from rung.model import Content, Migration
from rung.source.adapters.base import FileName, Layout, NewMigration

if TYPE_CHECKING:
    from rung.source.native import _Problems

NAME = re.compile(r"^(?P<version>\d+(?:-\d+)*)_(?P<name>.+)$")
HINT = (
    "diesel keeps each migration in a folder <version>_<name> holding up.sql (and down.sql), "
    "e.g. migrations/2017-12-13-123456_create_users/up.sql"
)
METADATA = "metadata.toml"
_STAMP = re.compile(r"\d{14}")
_PLAIN = re.compile(r"^[1-9]\d{13}_")  # 20171213123456_x (not diesel's 00000000000000 setup)


@dataclass(frozen=True)
class DieselLayout(Layout):
    def match(self, file_name: str) -> FileName | str:
        found = NAME.fullmatch(file_name)
        if found is None:
            return "not a diesel migration folder name (<version>_<name>)"
        version = (int(found["version"].replace("-", "")),)
        return FileName(version, found["name"], "up", found["version"], file_name)

    def new_files(self, new: NewMigration) -> dict[str, str]:
        """up.sql and down.sql, as `diesel migration generate` writes them; a timestamp is
        written 2026-01-01-120000 as diesel does, unless the folder's versions are plain."""
        plain = any(_PLAIN.match(example) for example in new.examples)
        version = new.version
        if _STAMP.fullmatch(version) and not plain:
            version = f"{version[:4]}-{version[4:6]}-{version[6:8]}-{version[8:]}"
        return {
            f"{version}_{new.name}/up.sql": "-- Your SQL goes here\n",
            f"{version}_{new.name}/down.sql": "-- This file should undo anything in `up.sql`\n",
        }


def split(migration: Migration) -> Content:
    """up.sql and down.sql, outside a transaction when metadata.toml says so."""
    from rung.source.native import _Problems, _script

    problems = _Problems()
    transactional = _run_in_transaction(migration.path.parent / METADATA, problems)
    up = _script(migration.path, migration.text, problems, "a diesel up.sql")
    down = None
    if migration.down_path is not None:
        down = _script(
            migration.down_path, migration.down_text or "", problems, "a diesel down.sql"
        )
    if problems.lines:
        raise InvalidMigrations(
            f"{migration.path.parent}: cannot be read as a migration",
            details=problems.lines,
            hint="fix the files listed, then run the command again",
        )
    if not transactional:
        up = replace(up, transactional=False)
        if down is not None:
            down = replace(down, transactional=False)
    return Content(up, down, down is not None)


def _run_in_transaction(path: Path, problems: _Problems) -> bool:
    """metadata.toml's `run_in_transaction` (true when the file or the key is absent)."""
    if not path.is_file():
        return True
    try:
        with open(path, "rb") as file:
            metadata = tomllib.load(file)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.add(path, f"not valid TOML: {exc}")
        return True
    value = metadata.get("run_in_transaction", True)
    if not isinstance(value, bool):
        problems.add(path, f"run_in_transaction must be true or false, not {value!r}")
        return True
    return value


def recorded_version(migration: Migration) -> str:
    """The version diesel records in `__diesel_schema_migrations`: the digits, no dashes."""
    return migration.version_text.replace("-", "")


LAYOUT = DieselLayout(
    "diesel",
    NAME,
    HINT,
    splitter=split,
    folder_files={"up": "up.sql", "down": "down.sql", "metadata": METADATA},
)
