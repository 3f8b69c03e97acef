"""golang-migrate: `<version>_<name>.up.sql` and `<version>_<name>.down.sql`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rung.source.adapters.base import Layout, NewMigration

NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+?)\.(?P<direction>up|down)\.sql$")
HINT = "golang-migrate names migrations <version>_<name>.up.sql and .down.sql"


@dataclass(frozen=True)
class GolangMigrateLayout(Layout):
    def new_files(self, new: NewMigration) -> dict[str, str]:
        """Both files, empty, as `migrate create` makes them."""
        return {f"{new.version}_{new.name}.up.sql": "", f"{new.version}_{new.name}.down.sql": ""}


# `migrate create -seq` numbers with six digits.
LAYOUT = GolangMigrateLayout("golang-migrate", NAME, HINT, first_version="000001")
