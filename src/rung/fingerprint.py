"""Schema fingerprints: cheap drift detection, with no scratch database.

A fingerprint maps each schema object, as `(kind, name)` (`("column", "users.email")`), to a
short hash of its definition as the database's own catalog describes it. The dialect
provides the catalog query (`Dialect.fingerprint_sql`, one round trip); nothing here
imports SQLAlchemy or sqlglot, so `rung up` can afford it.

After each run that ran migrations, rung records a fingerprint in the history table as a
`fingerprint` event: the overall hash in `checksum`, the per-object hashes compressed in
`statement_hashes` (split over several rows when long: MySQL's TEXT holds 64 KiB; a single
`=` row when nothing changed), with the dialect's catalog key in `sql_checksum`. A later
`rung up`, or `rung drift --fingerprint`, compares the live schema with it and names what
changed since; where the catalog key is unchanged, the schema is, and the full catalog
query is not run at all.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from rung.errors import RequestRefused
from rung.model import RunEvent

if TYPE_CHECKING:
    from rung.config import Settings
    from rung.dialects import Dialect
    from rung.drift import DriftReport
    from rung.history import History

__all__ = [
    "EVENT",
    "Fingerprint",
    "ObjectChange",
    "Recorded",
    "SchemaWatch",
    "accept",
    "carry",
    "compare",
    "decode",
    "encode",
    "fingerprint_drift",
    "last_recorded",
    "last_run_id",
    "require_support",
    "take",
    "take_key",
    "write",
]

EVENT = "fingerprint"  # the history's `event` for a recorded fingerprint
_PART = "part"  # outcome of the rows that continue a long one
_VERSION, _NAME = "0", "schema"  # a fingerprint is about no migration
_FORMAT = "z1:"  # zlib-compressed, base64-encoded lines of "kind<TAB>name<TAB>hash"
_SAME = "="  # the payload of a record whose objects are the previous record's
_CHUNK = 60_000  # characters per history row, under MySQL's 65,535-byte TEXT
_DIGEST_CHARS = 12  # 48 bits per object: enough to tell one definition from the next
WARNING_LIMIT = 20  # objects named in `rung up`'s warning; the rest are counted

Key = tuple[str, str]  # (kind, name)


@dataclass(frozen=True)
class Fingerprint:
    """Each schema object's hash, by (kind, name)."""

    objects: Mapping[Key, str] = field(default_factory=dict)

    @cached_property
    def text(self) -> str:
        return "\n".join(
            f"{_escape(kind)}\t{_escape(name)}\t{digest}"
            for (kind, name), digest in sorted(self.objects.items())
        )

    @cached_property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class ObjectChange:
    """One object that differs: `+` added since the fingerprint, `-` removed, `~` changed."""

    change: str
    kind: str
    name: str

    @property
    def text(self) -> str:
        return f"{self.change} {self.kind} {self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "kind": self.kind,
            "name": self.name,
            "detail": None,
            "text": self.text,
        }


@dataclass(frozen=True)
class Recorded:
    """The fingerprint recorded last, and when. Its objects are decoded only when a
    comparison needs them: an unchanged schema is told by the checksum alone."""

    payload: str
    checksum: str
    at: datetime
    id: int = 0  # its history row: runs recorded after it make it stale
    key: str | None = None  # the catalog key when it was taken (`take_key`)

    @cached_property
    def fingerprint(self) -> Fingerprint:
        return decode(self.payload)


# -- taking and comparing --------------------------------------------------------------------
def require_support(settings: Settings, dialect: Dialect) -> None:
    """Refuse, with the reason, where fingerprints cannot be used."""
    if not settings.fingerprint:
        raise RequestRefused(
            "schema fingerprints are turned off (`fingerprint = false` in the configuration)",
            hint="remove `fingerprint = false`, or use `rung drift` without --fingerprint",
        )
    if dialect.fingerprint_sql is None:
        raise RequestRefused(
            f"rung cannot fingerprint the schema of this {dialect.display_name}",
            hint="use `rung drift` without --fingerprint (it compares on a scratch database)",
        )


def excluded_names(history: History) -> frozenset[str]:
    """rung's own history table, as the catalog query names it."""
    names = {history.table}
    if history.schema:
        names.add(f"{history.schema}.{history.table}")
    return frozenset(names)


def take(dialect: Dialect, conn: Any, exclude: Collection[str] = ()) -> Fingerprint:
    """The live schema's fingerprint, in one query; objects of tables in `exclude` left out."""
    assert dialect.fingerprint_sql is not None
    rows = _rows(conn, dialect.fingerprint_sql)
    owned = tuple(table + "." for table in exclude)
    parts: dict[Key, list[str]] = {}
    for kind, name, definition in rows:
        name = _text(name)
        if name in exclude or name.startswith(owned):
            continue  # the table itself, or its columns, indexes, ...
        parts.setdefault((_text(kind), name), []).append(_text(definition))
    return Fingerprint({key: _digest(values) for key, values in parts.items()})


def take_key(dialect: Dialect, conn: Any) -> str | None:
    """The catalog key (`Dialect.fingerprint_key_sql`), hashed to fit the history, or None
    where the dialect has none or cannot vouch for the schema right now. Take it before the
    fingerprint it goes with: a change in between then makes the key stale, never wrong."""
    if dialect.fingerprint_key_sql is None:
        return None
    rows = _rows(conn, dialect.fingerprint_key_sql)
    if not rows or rows[0][0] is None:
        return None
    return hashlib.sha256(_text(rows[0][0]).encode()).hexdigest()


def unchanged_since(recorded: Recorded, key: str | None) -> bool:
    """True when the catalog key says the schema is still the one recorded."""
    return key is not None and key == recorded.key


def _text(value: Any) -> str:
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


def _digest(parts: list[str]) -> str:
    # One object may come as several rows (a MySQL index, one per column): order-free, as
    # each row carries its own position.
    joined = parts[0] if len(parts) == 1 else "\x1f".join(sorted(parts))
    return hashlib.sha256(joined.encode()).hexdigest()[:_DIGEST_CHARS]


def compare(old: Fingerprint, new: Fingerprint) -> list[ObjectChange]:
    """What turns `old` into `new`, sorted by kind and name."""
    changes = [
        ObjectChange("-" if key not in new.objects else "~", *key)
        for key, digest in old.objects.items()
        if new.objects.get(key) != digest
    ]
    changes += [ObjectChange("+", *key) for key in new.objects if key not in old.objects]
    return sorted(changes, key=lambda c: (c.kind, c.name, c.change))


def carry(recorded: Fingerprint, before: Fingerprint, after: Fingerprint) -> Fingerprint:
    """`recorded`, updated with what a run changed (`before` -> `after`) and nothing else:
    an object changed by hand before the run stays different from the record."""
    objects = dict(recorded.objects)
    for key in before.objects.keys() | after.objects.keys():
        if before.objects.get(key) == after.objects.get(key):
            continue
        if key in after.objects:
            objects[key] = after.objects[key]
        else:
            objects.pop(key, None)
    return Fingerprint(objects)


# -- in the history ----------------------------------------------------------------------------
def encode(fingerprint: Fingerprint) -> str:
    packed = zlib.compress(fingerprint.text.encode(), 9)
    return _FORMAT + base64.b64encode(packed).decode("ascii")


def decode(payload: str) -> Fingerprint:
    if not payload.startswith(_FORMAT):
        raise ValueError("not a fingerprint this rung can read")
    text = zlib.decompress(base64.b64decode(payload[len(_FORMAT) :])).decode()
    objects: dict[Key, str] = {}
    for line in filter(None, text.split("\n")):
        kind, name, digest = line.split("\t")
        objects[(_unescape(kind), _unescape(name))] = digest
    return Fingerprint(objects)


_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n"}


def _escape(text: str) -> str:
    # A quoted identifier may hold a tab or a line break: the separators of the record.
    if "\\" not in text and "\t" not in text and "\n" not in text:
        return text
    return "".join(_ESCAPES.get(char, char) for char in text)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n"}.get(m.group(1), m.group(1)), text)


def write(
    history: History,
    fingerprint: Fingerprint,
    *,
    key: str | None = None,
    duration_ms: int | None = None,
    unchanged: bool = False,
) -> None:
    """Append the fingerprint as one event (a head row, then the rest of a long one); one
    `unchanged` from the last is a single row that says so, not another copy."""
    payload = _SAME if unchanged else encode(fingerprint)
    chunks = [payload[at : at + _CHUNK] for at in range(0, len(payload), _CHUNK)]
    rows = [
        history.row(
            _VERSION,
            _NAME,
            EVENT,
            "success" if number == 1 else _PART,
            checksum=fingerprint.checksum if number == 1 else None,
            sql_checksum=key if number == 1 else None,
            statements_done=len(chunks) if number == 1 else number,
            statement_hashes=(chunk,),
            duration_ms=duration_ms,
        )
        for number, chunk in enumerate(chunks, 1)
    ]
    history.append(*rows)


def last_recorded(history: History) -> Recorded | None:
    """The newest fingerprint in the history, or None (none recorded, or unreadable); one
    query, from the newest full record to the `unchanged` rows after it."""
    table = history.name
    rows = _rows(
        history.conn,
        f"SELECT id, outcome, statements_done, checksum, statement_hashes, started_at,"
        " sql_checksum"
        f" FROM {table} WHERE event = '{EVENT}' AND id >= (SELECT MAX(id) FROM {table}"
        f" WHERE event = '{EVENT}' AND outcome = 'success' AND statement_hashes <> '{_SAME}')"
        " ORDER BY id",
    )
    if not rows:
        return None
    _, _, count, _, first, _, _ = rows[0]
    parts = {int(row[2]): row[4] or "" for row in rows[1:] if row[1] == _PART}
    chunks = [first or ""] + [parts.get(number) for number in range(2, int(count or 1) + 1)]
    payload = "".join(chunk for chunk in chunks if chunk is not None)
    newest = [row for row in rows if row[1] == "success"][-1]
    if None in chunks or not newest[3] or not payload.startswith(_FORMAT):
        return None  # a row is missing, or a later rung's format: no comparison is better
    at = history.dialect.from_db_time(newest[5])
    return Recorded(payload, newest[3], at, int(newest[0]), newest[6] or None)


def last_run_id(history: History) -> int:
    """The newest event about migrations (not the table's layout, not a fingerprint)."""
    rows = _rows(
        history.conn,
        f"SELECT MAX(id) FROM {history.name} WHERE event NOT IN ('layout', '{EVENT}')",
    )
    return int(rows[0][0] or 0) if rows else 0


def _rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    cur = conn.cursor()
    try:
        cur.execute(sql)
        return cur.fetchall()
    finally:
        cur.close()


# -- during a run --------------------------------------------------------------------------------
class SchemaWatch:
    """What one run does with fingerprints: at its start, warn about objects changed since
    the last record; at its end, record the schema as the run left it."""

    def __init__(
        self,
        dialect: Dialect,
        history: History,
        emit: Callable[[RunEvent], None],
        *,
        writable: bool = True,
    ) -> None:
        self.dialect = dialect
        self.history = history
        self.emit = emit
        self.writable = writable
        self.exclude = excluded_names(history)
        self.recorded: Recorded | None = None
        self.before: Fingerprint | None = None
        self.new_key: str | None = None  # a key that changed while the schema did not

    @classmethod
    def for_run(
        cls,
        settings: Settings,
        dialect: Dialect,
        history: History,
        emit: Callable[[RunEvent], None],
        dry_run: bool = False,
    ) -> SchemaWatch | None:
        """None where fingerprints are off, the database has none to offer, or (a dry run,
        which creates nothing) there is no history table yet."""
        if not settings.fingerprint or dialect.fingerprint_sql is None:
            return None
        if dry_run and not history.exists():
            return None
        return cls(dialect, history, emit, writable=not dry_run)

    @classmethod
    def record_schema(
        cls,
        settings: Settings,
        dialect: Dialect,
        history: History,
        emit: Callable[[RunEvent], None],
    ) -> None:
        """Record the schema as it is now (after `rung baseline`), where fingerprints are on."""
        watch = cls.for_run(settings, dialect, history, emit)
        if watch is not None:
            watch.finish(None)

    def start(self, direction: str, newest_event_id: int) -> None:
        """Compare the live schema with the last record, if there is one (else cost nothing
        but one small query), and warn about what differs; the run goes on either way.

        `newest_event_id` is the newest history event about migrations: a record older than it
        missed runs of a rung that records no fingerprints (an older one, `fingerprint =
        false`, a killed run), whose changes are not hand-made. The schema is then recorded
        anew, without a warning."""
        try:
            self.recorded = last_recorded(self.history)
            if self.recorded is None:
                return
            stale = self.recorded.id < newest_event_id
            key = take_key(self.dialect, self.history.conn)
            if not stale and unchanged_since(self.recorded, key):
                return  # `finish` then records what the run leaves, as `before` is unknown
            self.before = take(self.dialect, self.history.conn, self.exclude)
            if stale:
                self.recorded = None
                if self.writable:
                    write(self.history, self.before, key=key)
                return
        except Exception as exc:  # a fingerprint must never stop a deploy
            self.recorded = self.before = None
            self._warn(direction, f"could not compare the schema with its fingerprint: {exc}")
            return
        if self.before.checksum == self.recorded.checksum:
            if key is not None:
                self.new_key = key  # for `idle` to keep: the next run's check is cheap again
            return
        changes = compare(self.recorded.fingerprint, self.before)
        self.emit(
            RunEvent(
                "warning",
                direction,
                detail=changed_since(self.recorded, len(changes)),
                changes=tuple(change.text for change in changes),
            )
        )

    def idle(self) -> None:
        """The run had nothing to do: keep a catalog key that changed with no change of the
        schema (MariaDB gives none within two seconds of a change, so the run that made the
        change records none; TRUNCATE changes PostgreSQL's), in a row that says so."""
        if self.new_key is None or self.before is None or not self.writable:
            return
        with contextlib.suppress(Exception):  # a cache: the next run compares in full again
            write(self.history, self.before, key=self.new_key, unchanged=True)

    def finish(self, direction: str | None, *, quietly: bool = False) -> None:
        """Record the schema as the run left it, newer than the run's own events; a failure
        is a warning, as the migrations are done and their record is what matters."""
        try:
            self.record()
        except Exception as exc:
            if not quietly:
                self._warn(direction, f"could not record the schema's fingerprint: {exc}")

    def record(self) -> Fingerprint:
        """Record the schema as it is now, and return it. Only the changes made since
        `start` update the record, so an object changed by hand before is still reported."""
        started = time.monotonic()
        conn = self.history.conn
        key, after = take_key(self.dialect, conn), take(self.dialect, conn, self.exclude)
        if self.recorded is None or self.before is None:
            new = after
        elif self.before.checksum == self.recorded.checksum:
            new = after  # nothing was changed by hand before it
        else:
            new = carry(self.recorded.fingerprint, self.before, after)
        unchanged = self.recorded is not None and self.recorded.checksum == new.checksum
        duration = int((time.monotonic() - started) * 1000)
        # The key describes the live schema: it goes with a record that does.
        key = key if new.checksum == after.checksum else None
        write(self.history, new, key=key, duration_ms=duration, unchanged=unchanged)
        return after

    def _warn(self, direction: str | None, message: str) -> None:
        from rung.config import redact

        self.emit(RunEvent("warning", direction, detail=redact(message)))


def fingerprint_drift(settings: Settings, dialect: Dialect, history: History) -> DriftReport:
    """`rung drift --fingerprint`: the live schema against the fingerprint recorded last."""
    from rung.drift import DriftReport

    require_support(settings, dialect)
    recorded = last_recorded(history) if history.exists() else None
    if recorded is None:
        return DriftReport(dialect.server_label, (), (), (NOT_RECORDED,), EVENT, compared=False)
    if unchanged_since(recorded, take_key(dialect, history.conn)):
        changes = []
    else:
        changes = compare(
            recorded.fingerprint, take(dialect, history.conn, excluded_names(history))
        )
    notes = [f"the fingerprint was recorded at {_when(recorded.at)}"]
    if recorded.id < last_run_id(history):
        notes.append(STALE)
    return DriftReport(
        dialect.server_label, tuple(changes), (), tuple(notes), EVENT, recorded_at=recorded.at
    )


def accept(settings: Settings, dialect: Dialect, history: History) -> list[ObjectChange]:
    """Record the live schema as it is (`rung drift --fingerprint --accept`); returns what
    changed since the fingerprint it replaces (nothing when there was none)."""
    require_support(settings, dialect)
    watch = SchemaWatch(dialect, history, lambda event: None)  # `start` not run: no warning
    previous = watch.recorded = last_recorded(history)
    current = watch.record()
    if previous is None or previous.checksum == current.checksum:
        return []
    return compare(previous.fingerprint, current)


NOT_RECORDED = (
    "no schema fingerprint is recorded yet: rung records one after each `rung up` or "
    "`rung down` that runs a migration, or now with `rung drift --fingerprint --accept`"
)
STALE = (
    "migrations ran after it, by a rung that records no fingerprints (an older rung, "
    "`fingerprint = false`, or a run that was killed): their changes are listed too; the "
    "next `rung up` or `rung down` records the schema anew, as does `--accept`"
)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def changed_since(recorded: Recorded, count: int) -> str:
    return (
        f"the schema was changed outside rung's migrations: {count} object(s) differ from the "
        f"fingerprint rung recorded at {_when(recorded.at)}; write a migration for the change, "
        "undo it, or accept it with `rung drift --fingerprint --accept`"
    )


def summarise(changes: Iterable[str], limit: int = WARNING_LIMIT) -> list[str]:
    """The first `limit` changes, and how many more there are."""
    items = list(changes)
    shown = items[:limit]
    if len(items) > limit:
        shown.append(f"… and {len(items) - limit} more (`rung drift --fingerprint` lists all)")
    return shown
