"""`rung adopt` results for people (what was recorded, what was not and why, what is left)
and machines (one JSON document)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from rung.adopt import Adopted, AdoptReport
from rung.config import redact
from rung.model import Migration


def show(report: AdoptReport, *, as_json: bool, quiet: bool = False) -> None:
    if as_json:
        click.echo(redact(json.dumps(document(report))))
        return
    out = text(report, color=True, quiet=quiet)
    if out:
        click.echo(redact(out))


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def text(report: AdoptReport, *, color: bool = False, quiet: bool = False) -> str:
    """A line per recorded migration, then what needs a look, then one summary line."""

    def mark(symbol: str, colour: str) -> str:
        return click.style(symbol, fg=colour) if color else symbol

    lines = []
    if not quiet:
        if report.baseline is not None:
            b = report.baseline
            lines.append(
                f"{mark('=', 'green')} baseline {b.version_text} {b.name}: migrations up to "
                "it count as applied"
            )
        for item in [*report.adopted, *report.repeatables]:
            when = f" (applied {_when(item.applied_at)})" if item.applied_at else ""
            if not item.changed:
                lines.append(f"{mark('✓', 'green')} {item.migration.label}{when}")
    for item in report.changed:
        lines.append(
            f"{mark('!', 'red')} {item.migration.label}: {item.changed}; recorded as applied, "
            "and `rung status` shows it as modified until the file is restored, or accepted "
            "with `rung repair`"
        )
    lines += [f"{mark('!', 'yellow')} {line}" for line in report.not_adopted]
    late = {m.version for m in report.out_of_order}
    if not quiet:
        for m in report.pending:
            why = (
                " (older than the newest adopted: `rung up` refuses it)"
                if m.version in late
                else ""
            )
            lines.append(f"{mark('-', 'yellow')} {m.label}: pending{why}")
    verb = "would record" if report.dry_run else "recorded"
    parts = [f"{len(report.adopted)} migration(s) as applied"] if report.adopted else []
    if report.repeatables:
        parts.append(f"{len(report.repeatables)} repeatable(s) as run")
    if report.baseline is not None:
        parts.append(f"a baseline at {report.baseline.version_text}")
    count = ", ".join(parts) or "no migration as applied"
    summary = (
        f"{verb} {count} from {report.table} ({report.tool} at {report.position or 'no version'})"
        f" in {report.history_table} on {report.database}; {len(report.pending)} pending"
    )
    if report.dry_run:
        summary = f"dry run: {summary}; nothing was written"
    if not quiet or report.dry_run:
        lines.append(summary + ".")
    if report.format_hint and not quiet:
        lines.append(f"{mark('hint', 'cyan')}: {report.format_hint}")
    return "\n".join(lines)


def _file(migration: Migration) -> dict[str, Any]:
    return {
        "version": migration.version_text,
        "name": migration.name,
        "path": str(migration.path),
    }


def _adopted(item: Adopted) -> dict[str, Any]:
    return {
        **_file(item.migration),
        "applied_at": item.applied_at.isoformat() if item.applied_at else None,
        "duration_ms": item.duration_ms,
        "changed": item.changed,
    }


def document(report: AdoptReport) -> dict[str, Any]:
    baseline = report.baseline
    return {
        "tool": report.tool,
        "table": report.table,
        "position": report.position,
        "database": report.database,
        "history_table": report.history_table,
        "dry_run": report.dry_run,
        "baseline": None
        if baseline is None
        else {"version": baseline.version_text, "name": baseline.name},
        "adopted": [_adopted(item) for item in report.adopted],
        "repeatables": [_adopted(item) for item in report.repeatables],
        "not_adopted": report.not_adopted,
        "pending": [{**_file(m), "out_of_order": m in report.out_of_order} for m in report.pending],
        "hint": report.format_hint,
    }
