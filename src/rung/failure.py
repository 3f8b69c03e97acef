"""Turning a failed statement into an error that says where, why, and what state remains."""

from __future__ import annotations

from collections.abc import Sequence

from rung.dialects import Dialect
from rung.errors import Interrupted, MigrationFailed, RungError
from rung.model import PlanStep, Statement


def explain_failure(
    dialect: Dialect,
    step: PlanStep,
    statements: Sequence[Statement],
    transactional: bool,
    exc: BaseException,
    *,
    committed: int,
    batch: bool,
    reason: str,
) -> RungError:
    migration = step.migration
    statement: Statement | None = getattr(exc, "rung_statement", None)
    path = (
        migration.path
        if step.direction == "up" or migration.down_path is None
        else migration.down_path
    )
    details: list[str] = []
    line = None
    if statement is not None:
        offset = (
            dialect.error_line(exc, statement.text)
            if not isinstance(exc, KeyboardInterrupt)
            else None
        )
        lines = statement.text.splitlines() or [""]
        offset = offset if offset is not None and offset < len(lines) else 0
        line = statement.line + offset
        details.append(f"{line:>4} | {lines[offset].rstrip()}")
    elif migration.kind == "python":
        from rung.source.python import line_in

        line = line_in(migration.path, exc)
    where = f"{path}:{line}" if line else str(path)
    verb = "rung up" if step.direction == "up" else "rung down"
    details.append(_state(dialect, step, statements, transactional, committed, batch, statement))
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted(
            f"{where}: interrupted while running {migration.label}",
            details=details,
            hint=f"run `{verb}` again to continue",
        )
    if transactional or committed == 0:
        hint = f"fix the file, then run `{verb}`"
    elif migration.repeatable:  # never resumed: it is written to run again from the top
        hint = (
            "fix the file, then run `rung up`: it runs the whole repeatable migration again, "
            "so keep every statement safe to repeat (CREATE OR REPLACE, DROP … IF EXISTS)"
        )
    else:
        number = statements.index(statement) + 1 if statement in statements else committed + 1
        hint = (
            f"fix statement {number} in the file and run `{verb}`: it resumes at that statement; "
            "or finish the migration by hand and run `rung repair`"
        )
    # A server setting, not the migration, may be what needs changing.
    hint = dialect.explain_failure(exc) or hint
    return MigrationFailed(f"{where}: {reason}", details=details, hint=hint)


def _state(
    dialect: Dialect,
    step: PlanStep,
    statements: Sequence[Statement],
    transactional: bool,
    committed: int,
    batch: bool,
    statement: Statement | None,
) -> str:
    db = dialect.display_name
    if batch:
        return (
            f"{db} rolled back the whole batch (--single-transaction): none of its migrations "
            "is applied; only a failed event was recorded."
        )
    if transactional:
        return (
            dialect.rollback_note
            or f"{db} rolled the migration back; only a failed event was recorded."
        )
    total = len(statements)
    if step.migration.kind == "python":
        return (
            f"{db} rolled back the migration's data changes; schema changes it made before "
            "failing (if any) were committed, as DDL is not transactional here."
        )
    failed = statements.index(statement) + 1 if statement in statements else committed + 1
    if committed == 0:
        return f"Statement {failed} of {total} failed; nothing of this migration was committed."
    rest = ""
    if failed + 1 == total:
        rest = f"; statement {total} did not run"
    elif failed < total:
        rest = f"; statements {failed + 1}-{total} did not run"
    return (
        f"{db} committed statements 1-{committed} of {total} (DDL is not transactional here); "
        f"statement {failed} failed{rest}. The history records this progress."
    )
