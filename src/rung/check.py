"""`rung check`: everything that should block a merge, evaluated on the tree as it is now.

Validation problems (names, duplicate versions, markers), lint findings, a stale rung.sum,
versioned migrations that use what only a repeatable migration creates (a warning), and,
when a database is configured, applied migrations that no longer match their files and
pending migrations older than the newest applied one (out of order).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rung import plan as planning
from rung.errors import InvalidMigrations
from rung.model import Migration, Repeatable, format_version
from rung.source import integrity

if TYPE_CHECKING:
    from rung.api import Migrator
    from rung.source.repeatable import Location

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class CheckProblem:
    severity: str  # "error" blocks a merge; "warning" does not
    kind: str  # invalid, integrity, lint, repeatable, modified, out-of-order, dump
    message: str


@dataclass(frozen=True)
class CheckReport:
    problems: list[CheckProblem] = field(default_factory=list)
    migrations: int = 0
    dialect: str | None = None  # the dialect linted as; None when lint was skipped
    database: str | None = None  # the database checked against, if any

    @property
    def errors(self) -> int:
        return sum(p.severity == ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == WARNING for p in self.problems)

    @property
    def ok(self) -> bool:
        return not self.errors


def run_check(
    migrator: Migrator,
    *,
    allow_out_of_order: bool = False,
    dialect: str | None = None,
    dump: Path | None = None,
) -> CheckReport:
    directory = migrator.directory
    problems: list[CheckProblem] = []
    migrations: list[Migration] | None
    try:
        migrations = migrator.migrations(parse=True)
    except InvalidMigrations as exc:
        migrations = None
        problems += [CheckProblem(ERROR, "invalid", line) for line in exc.details or [exc.message]]
    try:
        repeatables = migrator.repeatables(parse=True)
    except InvalidMigrations as exc:
        repeatables = None
        problems += [CheckProblem(ERROR, "invalid", line) for line in exc.details or [exc.message]]
    problems += [
        CheckProblem(ERROR, "integrity", line)
        for line in integrity.verify(directory, migrator.layout).problems()
    ]
    if migrations is None:
        return CheckReport(problems)
    linted, findings = _lint(migrator, [*migrations, *(repeatables or [])], dialect)
    problems += findings
    if repeatables:
        problems += _uses_of_repeatables(migrations, repeatables)
    database = None
    if migrator.settings.database:
        database, found = _against_database(migrator, migrations, repeatables, allow_out_of_order)
        problems += found
    if dump is not None:
        problems += _check_dump(migrator, dump)
    return CheckReport(problems, len(migrations), linted, database)


def _check_dump(migrator: Migrator, path: Path) -> list[CheckProblem]:
    """The committed dump must be what the migrations build, on a scratch database."""
    if not migrator.settings.database:
        return [
            CheckProblem(
                ERROR,
                "dump",
                f"--dump needs a database URL: {path} is compared "
                "with the schema the migrations build on a scratch database "
                "beside it",
            )
        ]
    if not path.is_file():
        return [
            CheckProblem(
                ERROR,
                "dump",
                f"{path} does not exist; write it with `rung up --dump` or `rung dump`",
            )
        ]
    from rung.api import Migrator
    from rung.schema.render import render
    from rung.scratch import scratch_database

    with scratch_database(migrator.settings) as settings:
        scratch = Migrator(settings=settings)
        scratch.up(allow_out_of_order=True)
        expected = render(scratch.schema())
    committed = path.read_text(encoding="utf-8")
    if committed == expected:
        return []
    lines = difflib.unified_diff(committed.splitlines(), expected.splitlines(), lineterm="", n=0)
    changed = [line for line in list(lines)[2:] if not line.startswith("@@")]
    shown = "; ".join(changed[:12]) + ("; …" if len(changed) > 12 else "")
    return [
        CheckProblem(
            ERROR,
            "dump",
            f"{path} is not the schema the migrations build "
            f"(refresh it with `rung up --dump`): {shown}",
        )
    ]


def _uses_of_repeatables(
    migrations: list[Migration], repeatables: list[Repeatable]
) -> list[CheckProblem]:
    """Versioned migrations that use an object only a repeatable creates: repeatables run
    after the versioned migrations of each `up`, so what such a use finds depends on when
    the database was deployed."""
    from rung.source.repeatable import created_by, uses

    defined: dict[str, tuple[Repeatable, Location]] = {}
    for repeatable in repeatables:
        for name, where in created_by(repeatable).items():
            defined.setdefault(name, (repeatable, where))
    for migration in migrations:  # created by a versioned migration too: not timing-bound
        for name in created_by(migration, any_kind=True):
            defined.pop(name, None)
    problems = []
    for migration in migrations:
        for name, where in uses(migration, defined).items():
            repeatable, created = defined[name]
            problems.append(
                CheckProblem(
                    WARNING,
                    "repeatable",
                    f"{where.path}:{where.line}: uses {name}, which only the repeatable "
                    f"migration {repeatable.label} creates ({created.path}:{created.line}); "
                    "repeatables run after the versioned migrations of each `rung up`, so on "
                    f"a new database {name} does not exist yet when this runs, and if this "
                    f"drops it, it stays dropped until {repeatable.label} changes. Create "
                    "what this migration needs in it, or move the use into a repeatable",
                )
            )
    return problems


def _lint(
    migrator: Migrator, migrations: list[Migration], requested: str | None
) -> tuple[str | None, list[CheckProblem]]:
    from rung.lint import dialect_name, lint, with_placeholders

    settings = migrator.settings
    if not requested and not settings.database:
        return None, [
            CheckProblem(
                WARNING,
                "lint",
                "lint skipped: the SQL dialect is unknown (pass --dialect, or configure the "
                "database URL)",
            )
        ]
    name = dialect_name(requested, settings)
    sql = [m for m in migrations if m.kind == "sql"]
    misplaced: list[str] = []  # placeholders `rung up` would refuse whatever their values
    sql = with_placeholders(sql, dialect=name, settings=settings, problems=misplaced)
    findings = lint(sql, dialect=name, settings=settings.lint)
    return name, [CheckProblem(ERROR, "invalid", line) for line in misplaced] + [
        CheckProblem(
            f.severity, "lint", f"{f.path}:{f.line}:{f.column}: {f.rule}: {f.message} ({f.hint})"
        )
        for f in findings
    ]


def _against_database(
    migrator: Migrator,
    migrations: list[Migration],
    repeatables: list[Repeatable] | None,
    allow_out_of_order: bool,
) -> tuple[str, list[CheckProblem]]:
    report = migrator.status(migrations, repeatables or [])
    items = report.migrations
    problems: list[CheckProblem] = []
    try:
        planning.check_consistent(items)
    except InvalidMigrations as exc:
        problems += [CheckProblem(ERROR, "modified", line) for line in exc.details]
    newest = max((s.version for s in items if s.is_applied), default=None)
    severity = WARNING if allow_out_of_order else ERROR
    for s in items:
        if s.state == planning.PENDING and newest is not None and s.version < newest:
            assert s.migration is not None
            problems.append(
                CheckProblem(
                    severity,
                    "out-of-order",
                    f"{s.migration.path}: pending, but older than {format_version(newest)}, "
                    "which is applied already"
                    + (
                        "; `rung up --allow-out-of-order` applies it"
                        if allow_out_of_order
                        else "; renumber it with `rung rebase VERSION`"
                    ),
                )
            )
    return report.database, problems
