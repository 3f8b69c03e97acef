"""Scratch databases for drift detection and migration tests: empty at the start, and,
when rung created them, always dropped at the end."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import PurePath

from rung.config import Settings, parse_url, redact
from rung.dialects import Dialect, connect, dialect_for
from rung.errors import RequestRefused, RungError

__all__ = ["SCRATCH_PREFIX", "scratch_database", "scratch_name"]

SCRATCH_PREFIX = "rung_scratch_"

_HINT = "pass --shadow-url URL of an empty database rung may use"


def scratch_name(database: str | None) -> str:
    """A new scratch database's name: rung's prefix, the name of the database it serves (so
    that one left behind says whose it was; a copy of a scratch database names the
    original) and a random part."""
    base = PurePath(database or "").name  # SQLite: the file, without its folder
    if base.startswith(SCRATCH_PREFIX):
        base = base[len(SCRATCH_PREFIX) :].rpartition("_")[0]
    label = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")[:24].rstrip("_")
    parts = (SCRATCH_PREFIX.rstrip("_"), label, uuid.uuid4().hex[:12])
    return "_".join(part for part in parts if part)


@contextmanager
def scratch_database(settings: Settings, shadow_url: str | None = None) -> Iterator[Settings]:
    """`settings` pointed at an empty database: `shadow_url` (checked to be empty, and left
    as the caller leaves it), or a new database beside the configured one, dropped afterwards
    even when the caller fails. SQLite's is a file next to the database file."""
    if shadow_url:
        scratch = replace(settings, database=shadow_url)
        _check_empty(scratch)
        yield scratch
        return
    served = settings.url()
    admin = dialect_for(served, lock_timeout=settings.lock_timeout)
    name = scratch_name(served.database or served.path)
    try:
        url = admin.create_database(name)
    except NotImplementedError:
        raise RequestRefused(
            f"rung cannot create a scratch database on {admin.display_name}", hint=_HINT
        ) from None
    except RungError:
        raise
    except Exception as exc:  # no CREATE DATABASE privilege, disk full, ...
        raise RequestRefused(
            f"could not create the scratch database {name}: {redact(str(exc))}", hint=_HINT
        ) from exc
    failed = True
    try:
        yield replace(settings, database=url.text)
        failed = False
    finally:
        _drop(admin, name, quietly=failed)


def _drop(admin: Dialect, name: str, *, quietly: bool) -> None:
    """Drop the scratch database; a failure to drop never hides the error that came first."""
    if quietly:
        with suppress(Exception):
            admin.drop_database(name)
        return
    try:
        admin.drop_database(name)
    except Exception as exc:
        raise RequestRefused(
            f"could not drop the scratch database {name}: {redact(str(exc))}",
            hint=f"drop the database {name} by hand",
        ) from exc


def _check_empty(settings: Settings) -> None:
    """A shadow database must hold nothing, so that what rung builds there is all there is."""
    from rung.schema.inspect import inspect_schema

    url = parse_url(settings.database or "")
    dialect, conn = connect(url, lock_timeout=settings.lock_timeout)
    try:
        schema = inspect_schema(dialect, conn, exclude=())
    finally:
        with suppress(Exception):
            conn.close()
    found = [t.name for t in schema.tables] + [v.name for v in schema.views]
    found += [s.name for s in schema.sequences] + [e.name for e in schema.enums]
    found += [f"{r.kind} {r.key}" for r in schema.routines]
    if found:
        raise RequestRefused(
            f"the shadow database {url.redacted} is not empty: "
            + ", ".join(sorted(found)[:10])
            + (" …" if len(found) > 10 else ""),
            hint="give --shadow-url an empty database (rung leaves it holding the migrated "
            "schema, so recreate it between runs), or leave --shadow-url out",
        )
