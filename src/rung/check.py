"""`rung check`: everything that should block a merge, evaluated on the tree as it is now.

Validation problems (names, duplicate versions, markers), lint findings, a stale rung.sum,
and, when a database is configured, applied migrations that no longer match their files
and pending migrations older than the newest applied one (out of order).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rung import plan as planning
from rung.errors import InvalidMigrations
from rung.model import Migration, format_version
from rung.source import integrity

if TYPE_CHECKING:
    from rung.api import Migrator

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class CheckProblem:
    severity: str  # "error" blocks a merge; "warning" does not
    kind: str  # invalid, integrity, lint, modified, out-of-order
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
    problems += [
        CheckProblem(ERROR, "integrity", line) for line in integrity.verify(directory).problems()
    ]
    if migrations is None:
        return CheckReport(problems)
    linted, findings = _lint(migrator, migrations, dialect)
    problems += findings
    database = None
    if migrator.settings.database:
        database, found = _against_database(migrator, migrations, allow_out_of_order)
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


def _lint(
    migrator: Migrator, migrations: list[Migration], requested: str | None
) -> tuple[str | None, list[CheckProblem]]:
    from rung.lint import dialect_name, lint

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
    findings = lint(
        [m for m in migrations if m.kind == "sql"], dialect=name, settings=settings.lint
    )
    return name, [
        CheckProblem(
            f.severity, "lint", f"{f.path}:{f.line}:{f.column}: {f.rule}: {f.message} ({f.hint})"
        )
        for f in findings
    ]


def _against_database(
    migrator: Migrator, migrations: list[Migration], allow_out_of_order: bool
) -> tuple[str, list[CheckProblem]]:
    report = migrator.status(migrations)
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
