"""MySQL and MariaDB: checks from the catalog (the inspector misses column-level ones),
auto-named constraints and the index InnoDB adds for a foreign key."""

from __future__ import annotations

import re
from typing import Any

from rung.schema.flavours import Flavour
from rung.schema.model import CheckConstraint, normalise_expression

_VIEW_PREFIX = re.compile(r"^CREATE\b.*?\bVIEW\s+\S+\s+AS\s+", re.I | re.S)


class MySQLFlavour(Flavour):
    auto_names = {
        "primary": (r"PRIMARY",),
        "unique": (r"{first}(_\d+)?",),
        "foreign": (r"{table}_ibfk_\d+",),
        # MariaDB names a column check after its column, a table check CONSTRAINT_n;
        # MySQL 8 names them {table}_chk_n.
        "check": (r"CONSTRAINT_\d+", r"{table}_chk_\d+", r"{first}"),
    }

    def checks(self, conn: Any, tables: list[str]) -> dict[str, list[CheckConstraint]]:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT * FROM information_schema.CHECK_CONSTRAINTS"
                " WHERE CONSTRAINT_SCHEMA = DATABASE()"
            )
            names = [d[0].lower() for d in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            if rows and "table_name" not in names:  # MySQL 8: the table is in TABLE_CONSTRAINTS
                cur.execute(
                    "SELECT CONSTRAINT_NAME, TABLE_NAME FROM information_schema.TABLE_CONSTRAINTS"
                    " WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'CHECK'"
                )
                owner = dict(cur.fetchall())
                for row in rows:
                    row["table_name"] = owner.get(row["constraint_name"])
        found: dict[str, list[CheckConstraint]] = {}
        for row in rows:
            expression = normalise_expression(str(row["check_clause"]))
            found.setdefault(row["table_name"], []).append(
                CheckConstraint(expression, row["constraint_name"])
            )
        return found

    def view_definition(self, text: str) -> str:
        return super().view_definition(_VIEW_PREFIX.sub("", text))


FLAVOUR = MySQLFlavour()
