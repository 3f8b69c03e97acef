"""golang-migrate: `<version>_<name>.up.sql` and `<version>_<name>.down.sql`."""

from __future__ import annotations

import re

from rung.source.adapters.base import Layout

NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+?)\.(?P<direction>up|down)\.sql$")
HINT = "golang-migrate names migrations <version>_<name>.up.sql and .down.sql"

LAYOUT = Layout("golang-migrate", NAME, HINT)
