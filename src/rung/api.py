"""Migrator: rung's verbs as a Python API. The CLI and the pytest plugin call only this."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung import plan as planning
from rung import session
from rung.config import Settings, load_settings
from rung.dialects import Dialect, dialect_for
from rung.errors import InvalidMigrations, RequestRefused
from rung.history import History
from rung.model import (
    REPEATABLE,
    HistoryEvent,
    Migration,
    Plan,
    PlanStep,
    Repeatable,
    RunEvent,
    Version,
    format_version,
    parse_version,
)
from rung.plan import MigrationStatus, RepeatableStatus
from rung.session import open_session
from rung.source import check, discover, integrity
from rung.source.adapters import Layout, layout_for
from rung.source.native import require_folder
from rung.steps import (
    PlannedStep,
    check_transaction_fit,
    classifier,
    prepare_step,
    scripts,
)

if TYPE_CHECKING:
    from datetime import datetime

    from rung.adopt import AdoptReport
    from rung.check import CheckReport
    from rung.drift import DriftReport
    from rung.fingerprint import ObjectChange
    from rung.placeholders import Placeholders
    from rung.verify import VerifyReport

__all__ = ["Migrator", "RebaseResult", "RunResult", "StatusReport", "ValidationReport"]


@dataclass(frozen=True)
class StatusReport:
    database: str
    migrations: list[MigrationStatus]
    repeatables: list[RepeatableStatus] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for item in self.migrations if item.state == state)

    @property
    def up_to_date(self) -> bool:
        """Nothing for `up` to do and nothing wrong (a repeatable whose file is gone aside)."""
        return all(
            item.state in (planning.APPLIED, planning.BASELINE, planning.BELOW_BASELINE)
            for item in self.migrations
        ) and not any(item.due for item in self.repeatables)


@dataclass(frozen=True)
class RunResult:
    direction: str
    steps: list[PlannedStep]
    dry_run: bool = False


@dataclass(frozen=True)
class ValidationReport:
    problems: list[str] = field(default_factory=list)
    checked_database: bool = False
    migrations: int = 0
    repeatables: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RebaseResult:
    """A migration renumbered by `rebase`: its files, before and after, and rung.sum."""

    old_version: str
    new_version: str
    renamed: list[tuple[Path, Path]]
    sum_file: Path


class Migrator:
    """Apply, roll back and inspect the migrations in `directory` on the database at `url`.

    Settings not given here come from the environment and config files, as for the CLI.
    `on_event` receives a RunEvent for each migration started, finished or skipped, and
    when the migration lock is busy. `placeholders` gives `${name}` values over those of
    the config and the environment.
    """

    def __init__(
        self,
        url: str | None = None,
        directory: str | Path | None = None,
        *,
        settings: Settings | None = None,
        on_event: Callable[[RunEvent], None] | None = None,
        placeholders: Mapping[str, object] | None = None,
    ) -> None:
        self.settings = settings or load_settings(database=url, directory=directory)
        if placeholders:  # as explicit as a flag: over the config and the environment
            from rung.placeholders import merged

            values = merged(self.settings.placeholders, placeholders, "Migrator(placeholders=)")
            self.settings = replace(self.settings, placeholders=values)
        self.on_event = on_event or (lambda event: None)

    @property
    def directory(self) -> Path:
        return self.settings.directory

    # -- reading --------------------------------------------------------------------------
    @property
    def layout(self) -> Layout:
        """How the folder's files are named: rung's own rules, or `format` / `pattern`."""
        return layout_for(self.settings.format, self.settings.pattern, flyway=self.settings.flyway)

    @property
    def dialect_name(self) -> str | None:
        """The configured database's dialect, to pick per-dialect variants; None without one."""
        if not self.settings.database:
            return None
        return dialect_for(self.settings.url()).name

    def migrations(self, *, parse: bool = False) -> list[Migration]:
        """The folder's migrations; with `parse`, every file's problems are reported at once."""
        return discover(self.directory, parse=parse, layout=self.layout, dialect=self.dialect_name)

    def repeatables(self, *, parse: bool = False) -> list[Repeatable]:
        """The folder's repeatable migrations (repeatable/, and the layout's own), by name."""
        from rung.source.repeatable import discover_repeatables

        return discover_repeatables(
            self.directory, parse=parse, layout=self.layout, dialect=self.dialect_name
        )

    def status(
        self,
        migrations: list[Migration] | None = None,
        repeatables: list[Repeatable] | None = None,
    ) -> StatusReport:
        """Each migration's standing; `migrations` and `repeatables` save re-reading a folder
        just read."""
        migrations = self.migrations() if migrations is None else migrations
        repeatables = self.repeatables() if repeatables is None else repeatables
        with self._session() as (dialect, history):
            state = session.state(history)
            items = self._statuses(dialect, state, migrations)
        return StatusReport(
            dialect.server_label, items, planning.repeatable_statuses(repeatables, state)
        )

    def history(self) -> list[HistoryEvent]:
        with self._session() as (_, history):
            return session.events(history)

    def schema(self) -> Any:
        """The configured database's schema as a `rung.schema.Schema` (history table left out)."""
        from rung.schema.inspect import inspect_schema

        with self._session() as (dialect, history):
            return inspect_schema(dialect, history.conn, exclude=(self.settings.history_table,))

    def validate(self) -> ValidationReport:
        """Check the files, and, when a database is configured, the files against its history."""
        problems: list[str] = []
        try:
            migrations = self.migrations(parse=True)
        except InvalidMigrations as exc:
            problems += list(exc.details) or [exc.message]
        try:
            repeatables = len(self.repeatables(parse=True))
        except InvalidMigrations as exc:
            problems += list(exc.details) or [exc.message]
        if problems:
            return ValidationReport(problems)
        if not self.settings.database:
            return ValidationReport([], False, len(migrations), repeatables)
        with self._session() as (dialect, history):
            items = self._statuses(dialect, session.state(history), migrations)
        try:
            planning.check_consistent(items)
        except InvalidMigrations as exc:
            return ValidationReport(list(exc.details), True, len(migrations), repeatables)
        return ValidationReport([], True, len(migrations), repeatables)

    def check(
        self,
        *,
        allow_out_of_order: bool = False,
        dialect: str | None = None,
        dump: Path | None = None,
    ) -> CheckReport:
        """What should block a merge: invalid files, lint errors, a stale rung.sum, and, when
        a database is configured, edited or missing applied files and out-of-order ones; with
        `dump`, a committed schema dump that the migrations no longer produce."""
        from rung.check import run_check

        return run_check(self, allow_out_of_order=allow_out_of_order, dialect=dialect, dump=dump)

    # -- changing -------------------------------------------------------------------------------
    def up(
        self,
        *,
        target: Version | None = None,
        dry_run: bool = False,
        single_transaction: bool = False,
        allow_out_of_order: bool = False,
    ) -> RunResult:
        migrations = self.migrations()
        # Repeatables are written for the newest schema: --to leaves them for a full `up`.
        repeatables = self.repeatables() if target is None else None
        integrity.require_fresh(self.directory, layout=self.layout)

        def make_plan(items: list[MigrationStatus]) -> Plan:
            return planning.plan_up(items, target=target, allow_out_of_order=allow_out_of_order)

        return self._run(
            "up",
            migrations,
            make_plan,
            dry_run,
            single_transaction,
            repeatables=repeatables,
            baseline_target=target,
        )

    def down(
        self,
        *,
        steps: int | None = None,
        target: Version | None = None,
        everything: bool = False,
        dry_run: bool = False,
    ) -> RunResult:
        migrations = self.migrations()

        def make_plan(items: list[MigrationStatus]) -> Plan:
            return planning.plan_down(items, steps=steps, target=target, everything=everything)

        return self._run("down", migrations, make_plan, dry_run, False)

    def replay(
        self, migrations: Sequence[Migration], repeatables: Sequence[Repeatable] = ()
    ) -> RunResult:
        """Apply exactly these migrations that are not yet applied, in version order, then
        these repeatables that have not run as they are, and nothing else (scratch
        databases: drift, verify)."""

        def make_plan(items: list[MigrationStatus]) -> Plan:
            return planning.plan_up(items, allow_out_of_order=True)

        return self._run("up", list(migrations), make_plan, False, False, list(repeatables))

    def drift(self, *, shadow_url: str | None = None, fingerprint: bool = False) -> DriftReport:
        """Compare the database's schema with the one its applied migrations build on a
        scratch database (`shadow_url`, else one created and dropped beside the database);
        with `fingerprint`, with the fingerprint rung recorded after its last run instead."""
        from rung.drift import drift

        if fingerprint:
            from rung.fingerprint import fingerprint_drift

            with self._session() as (dialect, history):
                return fingerprint_drift(self.settings, dialect, history)
        return drift(self, shadow_url=shadow_url)

    def accept_schema(self) -> list[ObjectChange]:
        """Record the schema as it is now as its fingerprint, so that the changes made outside
        migrations since the last one (returned) are no longer reported."""
        from rung.fingerprint import accept

        with self._session(write=True) as (dialect, history):
            return accept(self.settings, dialect, history)

    def verify(self, *, last: int | None = None, shadow_url: str | None = None) -> VerifyReport:
        """The stairway test on a scratch database: each migration (or the newest `last`)
        goes up, down (the schema must be as before) and up again (as after the first up)."""
        from rung.verify import verify

        return verify(self, last=last, shadow_url=shadow_url)

    def rerun(self, migration: Migration, *, rollback: bool = True) -> str | None:
        """Run `migration`'s up once more, recording nothing (`rung verify`'s idempotency
        check): in a transaction rolled back afterwards, or, with `rollback=False`, as it
        runs (on a copy of a database). Why it failed, or None; refused where it cannot be
        rolled back (no transactional DDL, `-- rung:no-transaction`)."""
        from rung.runner import Runner

        with self._session() as (dialect, history):
            placeholders = self._placeholders(dialect, history.conn)
            step = PlanStep(migration, "up")
            statements = prepare_step(dialect, step, placeholders).statements
            python = placeholders.mapping() if migration.kind == "python" else None
            runner = Runner(dialect, history.conn, history, self.on_event, placeholders=python)
            item = runner.prepare(step, statements)
            if rollback and not item.transactional:
                raise RequestRefused(f"{migration.label} cannot run in a rolled-back transaction")
            return runner.run_unrecorded(item, rollback=rollback)

    def hash(self, *, only_if_present: bool = False) -> Path | None:
        """Write rung.sum for the folder as it is now (with `only_if_present`, only refresh
        an existing one, and refuse one a merge left broken)."""
        require_folder(self.directory)
        if only_if_present:
            if not integrity.exists(self.directory):
                return None
            found = integrity.verify(self.directory, self.layout)
            if found.tampered:
                raise InvalidMigrations(
                    f"{found.path} is broken (a merge conflict, or edited by hand); "
                    "nothing was written",
                    details=found.problems(),
                    hint=integrity.STALE_HINT,
                )
        return integrity.write(self.directory, self.layout)

    def rebase(self, migration: Version | str | Path, *, now: datetime) -> RebaseResult:
        """Renumber a migration no database has applied to a version after the newest one.

        `migration` is a version, or a file of the migration (a name or a path), which tells
        apart two migrations that a merge left with one version.
        """
        from rung.source.renumber import find, renumber

        require_folder(self.directory)
        if isinstance(migration, str):
            try:
                migration = parse_version(migration)
            except ValueError:
                migration = Path(migration)
        found = find(self.directory, migration, self.layout)  # refuses before connecting
        if self.settings.database:
            with self._session() as (_, history):
                state = session.state(history)
            applied = state.states.get(found.version)
            baselined = state.baseline is not None and found.version <= state.baseline
            # A migration of another name that ran at this version is not this one.
            ran = applied and (applied.applied or applied.failure) and applied.name == found.name
            if baselined or ran:
                raise RequestRefused(
                    f"{found.version_text} is applied in {self.settings.url().redacted}; "
                    "renumbering it would make it pending there again; nothing was renamed",
                    hint="only renumber a migration no database has run; to change an "
                    "applied one, add a new migration",
                )
        new_version, renamed = renumber(self.directory, found, now, self.layout)
        return RebaseResult(
            found.version_text, new_version, renamed, integrity.write(self.directory, self.layout)
        )

    def baseline(self, version: Version) -> MigrationStatus | None:
        """Record that the database already is at `version`, without running anything."""
        migrations = self.migrations()
        with self._session(write=True) as (dialect, history):
            if session.events(history):
                raise RequestRefused(
                    "this database already has a rung history; a baseline is for a database "
                    "rung has not migrated yet",
                    hint="use `rung status` to see where it stands",
                )
            known = {m.version: m for m in migrations if not m.baseline}
            text, name = (
                (known[version].version_text, known[version].name)
                if version in known
                else (format_version(version), "baseline")
            )
            history.record(text, name, "baseline", "success")
            from rung.fingerprint import SchemaWatch

            SchemaWatch.record_schema(self.settings, dialect, history, self.on_event)
            items = self._statuses(dialect, session.state(history), migrations)
        return next((item for item in items if item.version == version), None)

    def adopt(
        self,
        tool: str,
        *,
        table: str | None = None,
        version: Version | None = None,
        revision: str | None = None,
        dry_run: bool = False,
    ) -> AdoptReport:
        """Take over from another migration tool: read its history table (never changing
        it) and record what it applied as `adopt` events; see docs/adopting.md."""
        from rung.adopt import adopt

        return adopt(self, tool, table=table, version=version, revision=revision, dry_run=dry_run)

    def repair(self, *, mark: str | None = None) -> list[MigrationStatus | RepeatableStatus]:
        """Accept edited files' checksums and clear failures; forget repeatables whose file
        was deleted.

        `mark` ("applied" or "pending") says where a migration that stopped half-way stands.
        """
        if mark not in (None, "applied", "pending"):
            raise RequestRefused(f"--as must be 'applied' or 'pending', not {mark!r}")
        migrations = self.migrations()
        repeatables = self.repeatables()
        with self._session(write=True) as (dialect, history):
            state = session.state(history)
            items = self._statuses(dialect, state, migrations)
            partial = [i for i in items if i.state == planning.FAILED and i.applied.failure.partial]
            if partial and mark is None:
                raise RequestRefused(
                    "these migrations stopped half-way: "
                    + ", ".join(i.label for i in partial)
                    + "; rung cannot tell whether you finished or undid them by hand",
                    hint="run `rung repair --as applied` if the database now holds their whole "
                    "work, or `rung repair --as pending` if it holds none of it",
                )
            repaired = []
            for item in items:
                outcome = self._repair_outcome(item, mark)
                if outcome is None:
                    continue
                m = item.migration
                from rung.runner import sql_checksum

                checksum = m.checksum if m else None
                sql = sql_checksum(m.up.text, dialect.flavour) if m and m.up else None
                history.record(
                    item.version_text,
                    item.name,
                    "repair",
                    outcome,
                    checksum=checksum,
                    sql_checksum=sql,
                )
                repaired.append(item)
            gone = [
                item
                for item in planning.repeatable_statuses(repeatables, state)
                if item.state == planning.MISSING
            ]
            for item in gone:  # what it created stays; only the history stops listing it
                history.record(REPEATABLE, item.name, "repair", "pending")
        return [*repaired, *gone]

    @staticmethod
    def _repair_outcome(item: MigrationStatus, mark: str | None) -> str | None:
        if item.state == planning.MODIFIED:
            return "applied"
        if item.state != planning.FAILED:
            return None
        failure = item.applied.failure
        if failure.partial:
            return mark
        return "applied" if item.applied.applied else "pending"

    # -- internals ------------------------------------------------------------------------------
    def _run(
        self,
        direction: str,
        migrations: list[Migration],
        make_plan: Callable[[list[MigrationStatus]], Plan],
        dry_run: bool,
        single_transaction: bool,
        repeatables: list[Repeatable] | None = None,
        baseline_target: Version | None = None,  # the newest baseline file `up` may run
    ) -> RunResult:
        with self._session(write=not dry_run) as (dialect, history):
            if single_transaction and not dialect.transactional_ddl:
                raise RequestRefused(
                    f"--single-transaction needs transactional DDL, which {dialect.display_name} "
                    "does not have (it commits each DDL statement); nothing was run",
                    hint="run without --single-transaction: rung records progress per statement",
                )
            state = session.state(history)
            from rung.fingerprint import SchemaWatch

            watch = SchemaWatch.for_run(self.settings, dialect, history, self.on_event, dry_run)
            if watch is not None:
                watch.start(direction, state.last_id)
            plan = make_plan(self._statuses(dialect, state, migrations, baseline_target))
            if repeatables:  # after the versioned steps, those that changed or never ran
                due = planning.plan_repeatables(planning.repeatable_statuses(repeatables, state))
                plan = Plan(plan.steps + due)
            if not plan.steps:  # nothing to prepare: no placeholders, no splitting
                if watch is not None:
                    watch.idle()
                return RunResult(direction, [], dry_run)
            check(step.migration for step in plan.steps)
            placeholders = self._placeholders(dialect, history.conn)
            placeholders.prepare(scripts(plan.steps))  # every unset value named at once
            planned = [prepare_step(dialect, step, placeholders) for step in plan.steps]
            if dry_run:
                return RunResult(direction, planned, dry_run)
            from rung.runner import Runner

            runner = Runner(
                dialect,
                history.conn,
                history,
                self.on_event,
                seen_id=state.last_id,
                placeholders=placeholders.mapping()
                if any(step.migration.kind == "python" for step in plan.steps)
                else None,
            )
            prepared = [
                runner.prepare(step, p.statements)
                for step, p in zip(plan.steps, planned, strict=False)
            ]
            if single_transaction:
                blocking = [p.step.migration.label for p in prepared if not p.transactional]
                if blocking:
                    raise RequestRefused(
                        "--single-transaction cannot include migrations that must run outside a "
                        f"transaction: {', '.join(blocking)}; nothing was run",
                        hint="apply without --single-transaction",
                    )
            check_transaction_fit(dialect, [p for p in prepared if p.transactional])
            self.on_event(RunEvent("plan", direction, detail=str(len(prepared))))
            try:
                runner.run(prepared, single_transaction=single_transaction)
            except BaseException:
                if watch is not None:  # what the migrations before it (or MySQL) committed
                    watch.finish(direction, quietly=True)
                raise
            if watch is not None:
                watch.finish(direction)
        return RunResult(direction, planned, False)

    def _placeholders(self, dialect: Dialect, conn: Any) -> Placeholders:
        from rung.placeholders import for_database

        return for_database(self.settings, self.layout.format, dialect, conn)

    def _statuses(
        self,
        dialect: Dialect,
        state: planning.HistoryState,
        migrations: list[Migration],
        target: Version | None = None,
    ) -> list[MigrationStatus]:
        return planning.statuses(migrations, state, classifier(dialect), target=target)

    def _session(self, *, write: bool = False) -> AbstractContextManager[tuple[Dialect, History]]:
        return open_session(self.settings, self.on_event, write=write)
