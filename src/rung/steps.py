"""From a plan to the statements that run: placeholders put in, scripts split, resumed runs
checked against what already ran, and edited files told apart. No connection needed
beyond the dialect; nothing here changes a database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung import plan as planning
from rung.dialects import Dialect
from rung.errors import InvalidMigrations, ScriptError
from rung.model import AppliedState, Migration, PlanStep, Script, Statement

if TYPE_CHECKING:
    from rung.placeholders import Placeholders


@dataclass(frozen=True)
class PlannedStep:
    """A step as run (or, with dry_run, as it would run), with its statements."""

    migration: Migration
    direction: str
    statements: tuple[Statement, ...]
    resume_from: int = 0


def prepare_step(
    dialect: Dialect, step: PlanStep, placeholders: Placeholders | None = None
) -> PlannedStep:
    """Substitute placeholders, split the step's script and check a resumed run against
    what already ran."""
    migration = step.migration
    script = migration.up if step.direction == "up" else migration.down
    statements: tuple[Statement, ...] = ()
    if script is not None:
        if placeholders is not None:
            script = placeholders.substituted(script)
        statements = tuple(script.statements(dialect.flavour))
    if step.resume_from:
        _check_resume(dialect, step, statements)
    return PlannedStep(migration, step.direction, statements, step.resume_from)


def scripts(steps: Sequence[PlanStep]) -> Iterator[Script]:
    """The script each step runs, for checks that must see all of them before anything runs."""
    for step in steps:
        script = step.migration.up if step.direction == "up" else step.migration.down
        if script is not None:
            yield script


def check_transaction_fit(dialect: Dialect, prepared: Sequence[Any]) -> None:
    """Refuse, before anything runs, statements the database cannot run in a transaction."""
    problems = [
        f"{item.step.migration.path}:{statement.line}: {reason}"
        for item in prepared
        for statement in item.statements
        if (reason := dialect.cannot_run_in_transaction(statement.text))
    ]
    if problems:
        raise InvalidMigrations(
            f"{len(problems)} statement(s) cannot run inside the migration's transaction; "
            "nothing was run",
            details=problems,
            hint="put `-- rung:no-transaction` on a line of its own in the migration (above "
            "`-- rung:up` for the whole file, or inside the section it concerns)",
        )


def classifier(dialect: Dialect) -> planning.Classifier:
    """Says how an applied migration's file changed: only comments, or the SQL that ran."""

    def classify(migration: Migration, state: AppliedState) -> str:
        from rung.runner import sql_checksum

        if migration.kind == "python":
            return "the Python code changed"
        if state.sql_checksum is None or migration.up is None:
            return "the file changed"
        try:
            same = sql_checksum(migration.up.text, dialect.flavour) == state.sql_checksum
        except ScriptError:
            same = False
        if same:
            return (
                "only comments, whitespace or the down section changed; "
                "the SQL that ran is the same"
            )
        return "the SQL of the up section changed"

    return classify


def _check_resume(dialect: Dialect, step: PlanStep, statements: Sequence[Statement]) -> None:
    """Resuming is only safe if the statements committed before the failure are unchanged."""
    from rung.runner import statement_hash

    changed = [
        f"statement {index + 1} (line {statements[index].line}) differs from the one that ran"
        if index < len(statements)
        else f"statement {index + 1} is gone from the file"
        for index, expected in enumerate(step.committed_hashes)
        if index >= len(statements)
        or statement_hash(statements[index].text, dialect.flavour) != expected
    ]
    if changed:
        raise InvalidMigrations(
            f"{step.migration.path}: cannot resume {step.migration.label} at statement "
            f"{step.resume_from + 1}: statements committed by the failed run were edited; "
            "nothing was run",
            details=changed,
            hint="restore those statements as they ran (fix only the failed one and those "
            "after it), or fix the database by hand and run `rung repair`",
        )
