"""rung's own names: `<version>_<name>.sql` or `.py`, and paired `.up.sql` / `.down.sql`."""

from __future__ import annotations

import re

from rung.source.adapters.base import FileName, Layout, NewMigration

NAME = re.compile(
    r"^(?P<version>\d+(?:\.\d+)*)_(?P<name>[^/\\]+?)(?:\.(?P<direction>up|down))?\.(?P<ext>sql|py)$"
)
HINT = (
    "name migrations <version>_<name>.sql or .py, e.g. 001_add_users.sql or "
    "20261127103000_add_users.sql (paired files: 001_add_users.up.sql and .down.sql)"
)


class RungLayout(Layout):
    """rung's rules exactly as before adapters existed (the native format)."""

    def candidate(self, file_name: str) -> bool:
        return file_name.endswith(self.extensions) and not file_name.startswith((".", "__"))

    def match(self, file_name: str) -> FileName | str:
        match = NAME.match(file_name)
        if match is None or (match["ext"] == "py" and match["direction"]):
            return "not a valid migration file name"
        version = tuple(int(part) for part in match["version"].split("."))
        role = match["direction"] or match["ext"]
        return FileName(version, match["name"], role, match["version"])

    def new_files(self, new: NewMigration) -> dict[str, str]:
        if new.python:
            docstring = new.description.replace('"', "'").replace("\\", "/")
            return {f"{new.version}_{new.name}.py": PYTHON_TEMPLATE.format(description=docstring)}
        return {f"{new.version}_{new.name}.sql": SQL_TEMPLATE}


SQL_TEMPLATE = """\
-- rung:up


-- rung:down

"""

PYTHON_TEMPLATE = '''\
"""{description}"""

from sqlalchemy import text


def up(conn):
    """Runs inside the migration's transaction; conn is a SQLAlchemy Connection."""
    conn.execute(text("SELECT 1"))


def down(conn):
    conn.execute(text("SELECT 1"))
'''


LAYOUT = RungLayout("rung", NAME, HINT, extensions=(".sql", ".py"))
