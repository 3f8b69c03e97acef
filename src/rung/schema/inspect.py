"""Read a live database into a `Schema`: SQLAlchemy's inspector on rung's own DB-API
connection, with catalog queries (see flavours/) where the inspector falls short."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from rung.dialects import Dialect
from rung.schema.flavours import Flavour, flavour_for
from rung.schema.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
    View,
    by_key,
    normalise_default,
    normalise_expression,
    normalise_type,
)

__all__ = ["inspect_schema"]


def inspect_schema(
    dialect: Dialect, conn: Any, *, exclude: Iterable[str] = ("rung_history",)
) -> Schema:
    """The schema of the connection's current database (default schema only)."""
    from sqlalchemy import inspect

    flavour = flavour_for(dialect.flavour)
    skip = {name.lower() for name in exclude}
    with dialect.sqlalchemy_connection(conn) as sa, warnings.catch_warnings():
        # SQLite expression indexes are read from their SQL instead (flavours/sqlite.py).
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        inspector = inspect(sa)
        names = sorted(n for n in inspector.get_table_names() if n.lower() not in skip)
        tables = _tables(inspector, flavour, conn, names) if names else []
        views = [
            View(name, flavour.view_definition(inspector.get_view_definition(name) or ""))
            for name in sorted(inspector.get_view_names())
            if name.lower() not in skip
        ]
        enums = flavour.enums(inspector)
    triggers = [t for t in flavour.triggers(conn) if t.table.lower() not in skip]
    return Schema(
        dialect=dialect.name,
        tables=by_key(tables),
        views=by_key(views),
        sequences=by_key(s for s in flavour.sequences(conn) if s.name.lower() not in skip),
        enums=by_key(enums),
        triggers=by_key(triggers),
        routines=tuple(sorted(flavour.routines(conn), key=lambda r: (r.kind, r.key))),
    )


def _tables(inspector: Any, flavour: Flavour, conn: Any, names: list[str]) -> list[Table]:
    # get_multi_* reads every table in one catalog query where the dialect can (PostgreSQL).
    def multi(kind: str) -> dict[str, Any]:
        found = getattr(inspector, f"get_multi_{kind}")(filter_names=names)
        return {table: value for (_, table), value in found.items()}

    columns, pks, fks = multi("columns"), multi("pk_constraint"), multi("foreign_keys")
    uniques, indexes = multi("unique_constraints"), multi("indexes")
    checks = flavour.checks(conn, names)
    if checks is None:
        checks = {
            table: [CheckConstraint(normalise_expression(c["sqltext"]), c.get("name")) for c in cs]
            for table, cs in multi("check_constraints").items()
        }
    tables = []
    for name in names:
        table_columns = tuple(
            flavour.column(name, raw, _column(raw)) for raw in columns.get(name, [])
        )
        pk = pks.get(name) or {}
        pk_columns = tuple(pk.get("constrained_columns") or ())

        def named(kind: str, cols: tuple[str, ...], value: str | None, table: str = name) -> Any:
            auto = value is None or flavour.is_auto_name(kind, table, cols, value)
            return None if auto else value

        raw_uniques = flavour.uniques(conn, name, uniques.get(name, []))
        table_uniques = [
            UniqueConstraint(
                tuple(u["column_names"]), named("unique", tuple(u["column_names"]), u["name"])
            )
            for u in raw_uniques
        ]
        unique_names = {u["name"] for u in raw_uniques}
        raw_fks = flavour.foreign_keys(conn, name, fks.get(name, []))
        table_fks = [_foreign_key(fk, named) for fk in raw_fks]
        fk_names = {fk["name"] for fk in raw_fks if fk.get("name")}
        table_indexes = [
            index
            for index in flavour.indexes(conn, name, indexes.get(name, []))
            # MySQL lists unique constraints and the index InnoDB adds for a foreign key.
            if index.name not in unique_names and index.name not in fk_names
        ]
        table_checks = [
            CheckConstraint(c.expression, named("check", _check_columns(c, table_columns), c.name))
            for c in checks.get(name, [])
        ]
        tables.append(
            Table(
                name=name,
                columns=table_columns,
                primary_key=(
                    PrimaryKey(pk_columns, named("primary", pk_columns, pk.get("name")))
                    if pk_columns
                    else None
                ),
                uniques=by_key(table_uniques),
                foreign_keys=by_key(table_fks),
                checks=by_key(table_checks),
                indexes=by_key(table_indexes),
            )
        )
    return tables


def _column(raw: dict[str, Any]) -> Column:
    type_name = _type_name(raw["type"])
    default = normalise_default(raw.get("default"))
    if type_name == "boolean" and default in ("0", "1", "'0'", "'1'"):
        default = "true" if default.strip("'") == "1" else "false"
    return Column(
        name=raw["name"],
        type=type_name,
        nullable=bool(raw.get("nullable", True)),
        default=default,
        identity=raw.get("identity") is not None or raw.get("autoincrement") is True,
        generated=(
            normalise_expression(str(raw["computed"]["sqltext"])) if raw.get("computed") else None
        ),
        collation=getattr(raw["type"], "collation", None),
    )


def _type_name(sa_type: Any) -> str:
    enum_name = getattr(sa_type, "enums", None) and getattr(sa_type, "name", None)
    if enum_name:
        return str(enum_name)
    if type(sa_type).__name__ == "TINYINT" and getattr(sa_type, "display_width", None) == 1:
        return "boolean"
    try:
        text = str(sa_type)
    except Exception:  # a type SQLAlchemy cannot render generically
        text = type(sa_type).__name__
    return normalise_type(text)


def _foreign_key(raw: dict[str, Any], named: Any) -> ForeignKey:
    columns = tuple(raw["constrained_columns"])
    options = raw.get("options") or {}

    def action(key: str) -> str | None:
        value = options.get(key)
        return (
            None if value is None or value.upper() in ("NO ACTION", "RESTRICT") else value.upper()
        )

    return ForeignKey(
        columns=columns,
        ref_table=raw["referred_table"],
        ref_columns=tuple(raw["referred_columns"]),
        name=named("foreign", columns, raw.get("name")),
        on_delete=action("ondelete"),
        on_update=action("onupdate"),
    )


def _check_columns(check: CheckConstraint, columns: tuple[Column, ...]) -> tuple[str, ...]:
    """The first column the expression mentions (MariaDB names column checks after it)."""
    words = set(check.expression.replace("(", " ").replace(")", " ").split())
    return tuple(c.name for c in columns if c.name in words)[:1] or ("",)
