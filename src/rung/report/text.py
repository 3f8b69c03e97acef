"""Human output: a line per migration, aligned tables for status and history.

Colours come from click and show only on a terminal. rich draws the progress bar of
long runs; tables are aligned here because rich's Table takes seconds for the thousands
of rows a long-lived project's status has, and `rung status` runs in every CI job.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from rung.api import RunResult, StatusReport, ValidationReport
from rung.config import redact
from rung.errors import RungError
from rung.model import REPEATABLE, HistoryEvent, RunEvent
from rung.plan import (
    AFTER_ROLLBACK,
    APPLIED,
    BASELINE,
    BELOW_BASELINE,
    CHANGED,
    FAILED,
    MISSING,
    MODIFIED,
    PENDING,
    MigrationStatus,
    RepeatableStatus,
)

_STATE_COLOUR = {
    APPLIED: "green",
    BASELINE: "green",
    BELOW_BASELINE: "cyan",
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


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], colours: Sequence[str | None]
) -> str:
    """Left-aligned columns; `colours[i]` colours row i's third column (its state)."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str], colour: str | None = None, bold: bool = False) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        if colour:
            cells[2] = click.style(cells[2], fg=colour)
        text = "  ".join(cells).rstrip()
        return click.style(text, bold=True) if bold else text

    lines = [line(header, bold=True)]
    lines += [line(row, colour) for row, colour in zip(rows, colours, strict=True)]
    return "\n".join(lines)


class TextReporter:
    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self._progress: Any = None
        self._task: Any = None

    def _out(self, text: str) -> None:
        click.echo(redact(text))

    def _err(self, text: str) -> None:
        click.echo(redact(text), err=True)

    # -- up / down --------------------------------------------------------------------------
    def event(self, event: RunEvent) -> None:
        if event.kind == "lock-wait":
            holder = f" held by {event.detail}" if event.detail else ""
            self._err(click.style(f"waiting for the migration lock{holder}…", fg="yellow"))
            return
        if event.kind == "plan":
            self._start_progress(int(event.detail or 0))
            return
        if event.kind == "warning":  # on standard error, so shown under --quiet too
            self._warning(event)
            return
        if self.quiet or event.migration is None or event.kind == "start":
            return
        label = event.migration.label
        if event.kind == "skipped":
            line = click.style(f"- skipped {label}: {event.detail or ''}", dim=True)
        else:
            word = _DONE_WORD.get(event.direction or "up", "done")
            note = f", {event.detail}" if event.detail else ""
            took = click.style(f"({_ms(event.duration_ms)}{note})", dim=True)
            line = f"{click.style('✓', fg='green')} {word} {label} {took}"
        if self._progress is not None:
            self._progress.advance(self._task)
            self._progress.console.print(redact(line), markup=False, highlight=False)
        else:
            self._out(line)

    def _warning(self, event: RunEvent) -> None:
        from rung.fingerprint import summarise

        self._stop_progress()
        lines = [click.style(f"warning: {event.detail or ''}", fg="yellow")]
        lines += [f"  {change}" for change in summarise(event.changes)]
        self._err("\n".join(lines))

    def _start_progress(self, total: int) -> None:
        import shutil

        screenful = shutil.get_terminal_size().lines
        if self.quiet or not sys.stdout.isatty() or total <= screenful:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
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
        elif self.quiet:
            return
        elif not result.steps:
            self._out(
                "Nothing to apply: the database is up to date."
                if result.direction == "up"
                else "Nothing to roll back."
            )
        else:
            word = _DONE_WORD[result.direction]
            self._out(f"{word.capitalize()} {_steps(result)}.")

    def _dry_run(self, result: RunResult) -> None:
        if not result.steps:
            self._out("-- dry run: nothing to do")
            return
        verb = "apply" if result.direction == "up" else "roll back"
        self._out(f"-- dry run: would {verb} {_steps(result)}; nothing was executed")
        for step in result.steps:
            note = f", resuming at statement {step.resume_from + 1}" if step.resume_from else ""
            kind = REPEATABLE if step.migration.repeatable else step.direction
            self._out(f"\n-- {step.migration.label} ({kind}{note})")
            if step.migration.kind == "python":
                self._out(
                    f"-- Python migration: runs {step.direction}(conn) in {step.migration.path}"
                )
            for statement in step.statements[step.resume_from :]:
                self._out(statement.text + ";")

    # -- status / history / validate ---------------------------------------------------------
    def status(self, report: StatusReport) -> None:
        rows, colours = [], []
        for item in report.migrations:
            applied = item.applied if item.applied and item.applied.applied else None
            rows.append(
                (
                    item.version_text,
                    item.name,
                    item.state,
                    _when(applied.applied_at) if applied else "",
                    _ms(applied.duration_ms) if applied else "",
                )
            )
            colours.append(_STATE_COLOUR.get(item.state))
        for repeatable in report.repeatables:
            ran = repeatable.applied if repeatable.applied and repeatable.applied.checksum else None
            rows.append(
                (
                    REPEATABLE,
                    repeatable.name,
                    repeatable.state,
                    _when(ran.applied_at) if ran else "",
                    _ms(ran.duration_ms) if ran else "",
                )
            )
            colours.append(_STATE_COLOUR.get(repeatable.state))
        lines = [click.style(report.database, bold=True)]
        if rows:
            lines.append(_table(("version", "name", "state", "applied at", "took"), rows, colours))
        lines += [note for note in map(_note, report.migrations) if note]
        lines += [note for note in map(_repeatable_note, report.repeatables) if note]
        counts = ", ".join(
            f"{report.count(state)} {state}"
            for state in (APPLIED, BASELINE, BELOW_BASELINE, PENDING, MODIFIED, MISSING, FAILED)
            if report.count(state)
        )
        lines.append(counts or "no migrations")
        if report.repeatables:
            lines[-1] += "; repeatable: " + ", ".join(
                f"{number} {state}"
                for state in (APPLIED, PENDING, FAILED, MISSING)
                if (number := sum(item.state == state for item in report.repeatables))
            )
        self._out("\n".join(lines))

    def history(self, events: list[HistoryEvent]) -> None:
        if not events:
            self._out("The history is empty.")
            return
        rows, colours = [], []
        for e in events:
            rows.append(
                (
                    str(e.id),
                    _when(e.started_at),
                    e.outcome,
                    e.event,
                    e.label,
                    _ms(e.duration_ms),
                    e.db_user or "",
                    f"{e.os_user or '?'}@{e.host or '?'}",
                    e.rung_version or "",
                )
            )
            colours.append({"success": "green", "applied": "green", "failed": "red"}.get(e.outcome))
        header = ("#", "when", "outcome", "event", "migration", "took", "db user", "by", "rung")
        lines = [_table(header, rows, colours)]
        lines += [click.style(f"#{e.id} ", fg="red") + e.error for e in events if e.error]
        self._out("\n".join(lines))

    def validation(self, report: ValidationReport) -> None:
        if report.ok and self.quiet:
            return
        if report.ok:
            against = " and match the database's history" if report.checked_database else ""
            mark = click.style("✓", fg="green")
            also = (
                f" and {report.repeatables} repeatable migration(s)" if report.repeatables else ""
            )
            self._out(f"{mark} {report.migrations} migration(s){also} are valid{against}.")
            return
        for problem in report.problems:
            self._out(f"{click.style('✗', fg='red')} {problem}")

    def message(self, text: str, **data: object) -> None:
        if not self.quiet:
            self._out(text)

    def error(self, error: RungError) -> None:
        self._stop_progress()
        lines = [f"{click.style(f'error[{error.code}]', fg='red', bold=True)}: {error.message}"]
        lines += [f"  {detail}" for detail in error.details]
        if error.hint:
            lines.append(f"  {click.style('hint', fg='cyan')}: {error.hint}")
        self._err("\n".join(lines))


def _steps(result: RunResult) -> str:
    """`3 migration(s)`, and the repeatable ones apart: `2 migration(s) and 1 repeatable`."""
    repeatables = sum(step.migration.repeatable for step in result.steps)
    versioned = len(result.steps) - repeatables
    parts = [f"{versioned} migration(s)"] if versioned or not repeatables else []
    if repeatables:
        parts.append(f"{repeatables} repeatable migration(s)")
    return " and ".join(parts)


def _repeatable_note(item: RepeatableStatus) -> str | None:
    """A sentence for repeatables that `up` will run again, failed, or lost their file."""
    label = item.label
    if item.state == PENDING and item.change == CHANGED:
        return f"~ {label}: changed since it last ran; `rung up` runs it again"
    if item.state == PENDING and item.change == AFTER_ROLLBACK:
        return f"~ {label}: a migration was rolled back after it last ran; `rung up` runs it again"
    mark = click.style("!", fg="red")
    if item.state == MISSING:
        return (
            f"{mark} {label}: it ran, but its file is gone; what it created is still in the "
            "database (rung drops nothing): drop it in a versioned migration if it should go, "
            "and `rung repair` stops listing it"
        )
    if item.state != FAILED or item.applied is None or item.applied.failure is None:
        return None
    failure = item.applied.failure
    done = failure.statements_done
    kept = f" (statements 1-{done} were committed)" if done else ""
    if done is None:
        kept = " (interrupted; how much was committed is unknown)"
    return (
        f"{mark} {label}: its last run failed{kept}: {failure.error or ''}. Fix the file and "
        "run `rung up`: it runs the whole file again."
    )


def _note(item: MigrationStatus) -> str | None:
    """A sentence for migrations that need attention."""
    if item.state not in (MODIFIED, MISSING, FAILED):
        return None  # most of them, in a long status
    mark = click.style("!", fg="red")
    label = item.label
    if item.state == MODIFIED:
        return f"{mark} {label}: edited after it was applied: {item.change or ''}"
    if item.state == MISSING:
        return f"{mark} {label}: applied, but its file is gone"
    if item.state != FAILED or item.applied is None or item.applied.failure is None:
        return None
    failure = item.applied.failure
    verb = "applying" if failure.direction == "up" else "rolling back"
    error = failure.error or ""
    if failure.statements_done is None:
        return (
            f"{mark} {label}: {verb} it was interrupted and how much was committed is "
            "unknown; check the database, then run `rung repair --as applied|pending`"
        )
    if failure.statements_done == 0:
        return f"{mark} {label}: {verb} it failed and nothing was committed: {error}"
    done = failure.statements_done
    return (
        f"{mark} {label}: {verb} it failed: statements 1-{done} are committed, "
        f"statement {done + 1} failed: {error}. Fix the file and run "
        f"`rung {failure.direction}` to resume at statement {done + 1}, or `rung repair`."
    )
