"""golang-migrate: `<version>_<name>.up.sql` and `<version>_<name>.down.sql`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rung.source.adapters.base import Layout

NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+?)\.(?P<direction>up|down)\.sql$")
HINT = "golang-migrate names migrations <version>_<name>.up.sql and .down.sql"


@dataclass(frozen=True)
class GolangMigrateLayout(Layout):
    def new_files(
        self,
        version: str,
        name: str,
        *,
        python: bool = False,
        description: str = "",
        examples: Sequence[str] = (),
    ) -> dict[str, str]:
        """Both files, empty, as `migrate create` makes them."""
        self.refuse_python(python)
        return {f"{version}_{name}.up.sql": "", f"{version}_{name}.down.sql": ""}


# `migrate create -seq` numbers with six digits.
LAYOUT = GolangMigrateLayout("golang-migrate", NAME, HINT, first_version="000001")
