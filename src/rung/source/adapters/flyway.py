"""Flyway: `V1_2_0__name.sql` (versioned), `U1_2_0__name.sql` (its undo, rung's down).

Versions may be dotted or underscored (`V1.2.0__x`, `V1_2_0__x`); both are (1, 2, 0), so
V1_2_0 sorts before V1_10_0. Repeatable (`R__x.sql`) and baseline (`B1__x.sql`) files are
recognised and reported as not supported yet, rather than silently skipped.
"""

from __future__ import annotations

import re

from rung.source.adapters.base import FileName, Layout

NAME = re.compile(r"^(?P<prefix>[VUBR])(?P<version>\d+(?:[._]\d+)*)?__(?P<name>.+)\.sql$")
HINT = "Flyway names migrations V<version>__<name>.sql, e.g. V1_2_0__add_users.sql"


class FlywayLayout(Layout):
    def match(self, file_name: str) -> FileName | str:
        found = NAME.fullmatch(file_name)
        if found and found["prefix"] in "VU" and found["version"] is None:
            return f"a Flyway {found['prefix']} migration needs a version, e.g. V1__x.sql"
        result = super().match(file_name)
        if isinstance(result, FileName) and found:
            role = "down" if found["prefix"] == "U" else "up"  # V and its U pair as up/down
            return FileName(result.version, result.name, role, result.version_text)
        return result


LAYOUT = FlywayLayout(
    "flyway",
    NAME,
    HINT,
    unsupported={
        "R": "Flyway repeatable migrations (R__) are not supported yet",
        "B": "Flyway baseline migrations (B<version>__) are not supported yet",
    },
)
