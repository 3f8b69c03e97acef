"""Human output with rich: a line per migration, tables for status and history."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape

from rung.api import RunResult, StatusReport, ValidationReport
from rung.config import redact
from rung.errors import RungError
from rung.model import HistoryEvent
from rung.plan import APPLIED, BASELINE, FAILED, MISSING, MODIFIED, PENDING, MigrationStatus
from rung.runner import RunEvent

_STATE_STYLE = {
    APPLIED: "green",
    BASELINE: "green",
    PENDING: "yellow",
    MODIFIED: "red",
    MISSING: "red",
    FAILED: "red",
}
_DONE_WORD = {"up": "applied", "down": "rolled back"}


def _ms(duration: int | None) -> str:
    if duration is None:
        return ""
    return f"{duration} ms" if duration < 10_000 else f"{duration / 1000:.1f} s"


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else ""


class TextReporter:
    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        # Piped output is for files and grep: no wrapping to an imaginary 80 columns.
        self.out = Console(highlight=False, width=None if sys.stdout.isatty() else 250)
        self.err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 250)
        self._progress: Any = None
        self._task: Any = None

    def _print(self, text: str, *, console: Console | None = None) -> None:
        (console or self.out).print(redact(text))

    # -- up / down --------------------------------------------------------------------------
    def event(self, event: RunEvent) -> None:
        if event.kind == "lock-wait":
            holder = f" held by {event.detail}" if event.detail else ""
            self._print(
                f"[yellow]waiting for the migration lock{escape(holder)}…[/]", console=self.err
            )
            return
        if event.kind == "plan":
            self._start_progress(int(event.detail or 0))
            return
        if self.quiet or event.migration is None or event.kind == "start":
            return
        label = escape(event.migration.label)
        if event.kind == "skipped":
            line = f"[dim]- skipped {label}: {escape(event.detail or '')}[/]"
        else:
            word = _DONE_WORD.get(event.direction or "up", "done")
            line = f"[green]✓[/] {word} {label} [dim]({_ms(event.duration_ms)})[/]"
        if self._progress is not None:
            self._progress.advance(self._task)
            self._progress.console.print(redact(line))
        else:
            self._print(line)

    def _start_progress(self, total: int) -> None:
        if self.quiet or not self.out.is_terminal or total <= self.out.size.height:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self.out,
            transient=True,
        )
        self._task = self._progress.add_task("migrating", total=total)
        self._progress.start()

    def _stop_progress(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def run_result(self, result: RunResult) -> None:
        self._stop_progress()
        if result.dry_run:
            self._dry_run(result)
            return
        if not result.steps:
            if not self.quiet:
                what = "apply" if result.direction == "up" else "roll back"
                self._print(
                    f"Nothing to {what}: the database is up to date."
                    if result.direction == "up"
                    else f"Nothing to {what}."
                )
            return
        if not self.quiet:
            word = _DONE_WORD[result.direction]
            self._print(f"{word.capitalize()} {len(result.steps)} migration(s).")

    def _dry_run(self, result: RunResult) -> None:
        if not result.steps:
            self._print("-- dry run: nothing to do")
            return
        verb = "apply" if result.direction == "up" else "roll back"
        self._print(
            f"-- dry run: would {verb} {len(result.steps)} migration(s); nothing was executed"
        )
        for step in result.steps:
            self.out.print()
            note = f", resuming at statement {step.resume_from + 1}" if step.resume_from else ""
            self._print(f"-- {escape(step.migration.label)} ({step.direction}{note})")
            if step.migration.kind == "python":
                self._print(
                    f"-- Python migration: runs {step.direction}(conn) in {step.migration.path}"
                )
            for statement in step.statements[step.resume_from :]:
                self.out.print(redact(statement.text) + ";", markup=False)

    # -- status / history / validate ---------------------------------------------------------
    def status(self, report: StatusReport) -> None:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for column in ("version", "name", "state", "applied at", "took"):
            table.add_column(column, no_wrap=True)
        for item in report.migrations:
            applied = item.applied if item.applied and item.applied.applied else None
            style = _STATE_STYLE.get(item.state, "")
            table.add_row(
                item.version_text,
                escape(item.name),
                f"[{style}]{item.state}[/]",
                _when(applied.applied_at) if applied else "",
                _ms(applied.duration_ms) if applied else "",
            )
        self._print(f"[bold]{escape(report.database)}[/]")
        if report.migrations:
            self.out.print(table)
        notes = [_note(item) for item in report.migrations]
        for note in filter(None, notes):
            self._print(note)
        counts = ", ".join(
            f"{report.count(state)} {state}"
            for state in (APPLIED, BASELINE, PENDING, MODIFIED, MISSING, FAILED)
            if report.count(state)
        )
        self._print(counts or "no migrations")

    def history(self, events: list[HistoryEvent]) -> None:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for column in (
            "#",
            "when",
            "event",
            "migration",
            "outcome",
            "took",
            "db user",
            "by",
            "rung",
        ):
            table.add_column(column, no_wrap=True)
        for e in events:
            outcome = {"success": "[green]success[/]", "failed": "[red]failed[/]"}.get(
                e.outcome, e.outcome
            )
            table.add_row(
                str(e.id),
                _when(e.started_at),
                e.event,
                escape(f"{e.version_text}_{e.name}"),
                outcome,
                _ms(e.duration_ms),
                escape(e.db_user or ""),
                escape(f"{e.os_user or '?'}@{e.host or '?'}"),
                e.rung_version or "",
            )
        if not events:
            self._print("The history is empty.")
            return
        self.out.print(table)
        for e in events:
            if e.error:
                self._print(f"[red]#{e.id}[/] {escape(e.error)}")

    def validation(self, report: ValidationReport) -> None:
        if report.ok:
            against = " and match the database's history" if report.checked_database else ""
            self._print(f"[green]✓[/] {report.migrations} migration(s) are valid{against}.")
            return
        for problem in report.problems:
            self._print(f"[red]✗[/] {escape(problem)}")

    def message(self, text: str, **data: object) -> None:
        if not self.quiet:
            self._print(escape(text))

    def error(self, error: RungError) -> None:
        self._stop_progress()
        lines = [f"[bold red]error[{error.code}][/]: {escape(error.message)}"]
        lines += [f"  {escape(detail)}" for detail in error.details]
        if error.hint:
            lines.append(f"  [cyan]hint[/]: {escape(error.hint)}")
        for line in lines:
            self._print(line, console=self.err)
        sys.stderr.flush()


def _note(item: MigrationStatus) -> str | None:
    """A sentence for migrations that need attention."""
    label = escape(item.label)
    if item.state == MODIFIED:
        return f"[red]![/] {label}: edited after it was applied: {escape(item.change or '')}"
    if item.state == MISSING:
        return f"[red]![/] {label}: applied, but its file is gone"
    if item.state != FAILED or item.applied is None or item.applied.failure is None:
        return None
    failure = item.applied.failure
    verb = "applying" if failure.direction == "up" else "rolling back"
    error = escape(failure.error or "")
    if failure.statements_done is None:
        return (
            f"[red]![/] {label}: {verb} it was interrupted and how much was committed is "
            f"unknown; check the database, then run `rung repair --as applied|pending`"
        )
    if failure.statements_done == 0:
        return f"[red]![/] {label}: {verb} it failed and nothing was committed: {error}"
    done = failure.statements_done
    return (
        f"[red]![/] {label}: {verb} it failed: statements 1-{done} are committed, "
        f"statement {done + 1} failed: {error}. Fix the file and run "
        f"`rung {failure.direction}` to resume at statement {done + 1}, or `rung repair`."
    )
