"""dbmate: `<version>_<name>.sql` holding `-- migrate:up` and `-- migrate:down` sections.

`-- migrate:up transaction:false` (or on the down marker) runs that section outside a
transaction, as rung's `-- rung:no-transaction` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rung.errors import InvalidMigrations
from rung.model import Content, Migration
from rung.source.adapters.base import Layout, NewMigration

NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+?)\.sql$")
HINT = "dbmate names migrations <version>_<name>.sql, with `-- migrate:up` / `-- migrate:down`"
_MARKER = re.compile(r"^[ \t]*--[ \t]*migrate:(?P<section>up|down)\b(?P<options>[^\r\n]*)")
_OPTION = re.compile(r"(?P<key>\w+):(?P<value>\S+)")


def split(migration: Migration) -> Content:
    """The up and down sections of a dbmate file; InvalidMigrations names every problem."""
    from rung.source.native import _LINES, _check_header, _Problems, section_script

    path, problems = migration.path, _Problems()
    lines = _LINES.findall(migration.text)
    starts: dict[str, int] = {}
    transactional: dict[str, bool] = {}
    for index, line in enumerate(lines):
        marker = _MARKER.match(line)
        if marker is None:
            continue
        section = marker["section"]
        if section in starts:
            problems.add(path, f"second `-- migrate:{section}` marker", index + 1)
            continue
        starts[section] = index
        options = dict(_OPTION.findall(marker["options"]))
        unknown = sorted(set(options) - {"transaction"})
        if unknown or options.get("transaction", "true") not in ("true", "false"):
            problems.add(
                path,
                f"unknown marker option {marker['options'].strip()!r} (known: transaction:false)",
                index + 1,
            )
        transactional[section] = options.get("transaction") != "false"
    if "up" not in starts:
        problems.add(path, "no `-- migrate:up` marker (dbmate files need one)")
    elif "down" in starts and starts["down"] < starts["up"]:
        problems.add(path, "the `-- migrate:down` section comes before `-- migrate:up`")
    if starts:
        _check_header(path, "".join(lines[: min(starts.values())]), problems)
    if problems.lines:
        raise InvalidMigrations(
            f"{path}: cannot be read as a migration",
            details=problems.lines,
            hint="fix the file, then run the command again",
        )

    up, down = (
        section_script(path, lines, starts, name, transactional.get(name, True))
        for name in ("up", "down")
    )
    assert up is not None
    return Content(up, down, down is not None)


@dataclass(frozen=True)
class DbmateLayout(Layout):
    def new_files(self, new: NewMigration) -> dict[str, str]:
        """One file with both sections, as `dbmate new` writes it."""
        return {f"{new.version}_{new.name}.sql": "-- migrate:up\n\n\n-- migrate:down\n\n"}


LAYOUT = DbmateLayout("dbmate", NAME, HINT, splitter=split)
