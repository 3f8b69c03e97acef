"""MySQL and MariaDB: checks from the catalog (the inspector misses column-level ones),
auto-named constraints and the index InnoDB adds for a foreign key; triggers, functions
and procedures from information_schema, without their DEFINER; a dump that the mysql
client and rung both load (backquoted names, AUTO_INCREMENT, DELIMITER around bodies)."""

from __future__ import annotations

import re
from typing import Any

from rung.schema.flavours import Flavour, trigger_head
from rung.schema.model import (
    CheckConstraint,
    Routine,
    Trigger,
    normalise_body,
    normalise_expression,
    normalise_type,
)

_VIEW_PREFIX = re.compile(r"^CREATE\b.*?\bVIEW\s+\S+\s+AS\s+", re.I | re.S)

_TRIGGERS = (
    "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION,"
    " ACTION_ORIENTATION, ACTION_STATEMENT"
    " FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
)
_ROUTINES = (
    "SELECT ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_DEFINITION, IS_DETERMINISTIC,"
    " SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_COMMENT"
    " FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()"
)
_PARAMETERS = (
    "SELECT SPECIFIC_NAME, ROUTINE_TYPE, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER"
    " FROM information_schema.PARAMETERS"
    " WHERE SPECIFIC_SCHEMA = DATABASE() AND ORDINAL_POSITION > 0"
    " ORDER BY SPECIFIC_NAME, ROUTINE_TYPE, ORDINAL_POSITION"
)
# A client-side delimiter that a body's own `;` cannot end (mysqldump's choice).
_DELIMITER = ";;"


class MySQLFlavour(Flavour):
    sql_flavour = "mysql"
    identity_clause = " AUTO_INCREMENT"
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

    def triggers(self, conn: Any) -> list[Trigger]:
        with conn.cursor() as cur:
            cur.execute(_TRIGGERS)
            rows = cur.fetchall()
        return [
            Trigger(
                name=name,
                table=table,
                timing=timing.upper(),
                events=(event.upper(),),
                action=normalise_body(statement or ""),
                level=level.upper(),
            )
            for name, table, timing, event, level, statement in rows
        ]

    def routines(self, conn: Any) -> list[Routine]:
        with conn.cursor() as cur:
            cur.execute(_PARAMETERS)
            parameters: dict[tuple[str, str], list[tuple[str | None, str, str]]] = {}
            for routine, kind, mode, name, dtd in cur.fetchall():
                parameters.setdefault((routine, kind), []).append((mode, name, normalise_type(dtd)))
            cur.execute(_ROUTINES)
            rows = cur.fetchall()
        found = []
        for name, kind, returns, body, deterministic, access, security, comment in rows:
            params = parameters.get((name, kind), [])
            procedure = kind.upper() == "PROCEDURE"
            options = [] if access.upper() == "CONTAINS SQL" else [access.upper()]
            if security.upper() == "INVOKER":
                options.append("SQL SECURITY INVOKER")
            if comment:
                options.append("COMMENT " + _literal(comment))
            found.append(
                Routine(
                    kind=kind.lower(),
                    name=name,
                    arguments=", ".join(t for _, _, t in params),
                    # Function parameters are all IN, and may not say so.
                    parameters=", ".join(
                        (f"{mode} " if procedure and mode else "") + f"{self.quote(p)} {t}"
                        for mode, p, t in params
                    ),
                    returns=None if procedure else normalise_type(returns or ""),
                    language="SQL",
                    body=normalise_body(body or ""),
                    volatility="DETERMINISTIC" if deterministic == "YES" else "NOT DETERMINISTIC",
                    options=tuple(options),
                )
            )
        return found

    def quote(self, name: str) -> str:
        plain = super().quote(name)
        return plain if plain == name else "`" + name.replace("`", "``") + "`"

    def render_routine(self, routine: Routine) -> str:
        head = f"CREATE {routine.kind.upper()} {self.quote(routine.name)}({routine.parameters})"
        if routine.returns is not None:
            head += f" RETURNS {routine.returns}"
        characteristics = [f"LANGUAGE {routine.language}"]
        characteristics += [routine.volatility] if routine.volatility else []
        characteristics += list(routine.options)
        lines = [head, *("    " + c for c in characteristics), routine.body]
        return _delimited("\n".join(lines))

    def render_trigger(self, trigger: Trigger) -> str:
        return _delimited(trigger_head(trigger, self.quote) + "\n" + trigger.action)


def _delimited(statement: str) -> str:
    """One statement whose body holds `;`, as the mysql client (and rung) read it."""
    return f"DELIMITER {_DELIMITER}\n{statement}{_DELIMITER}\nDELIMITER ;"


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


FLAVOUR = MySQLFlavour()
