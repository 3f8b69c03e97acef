"""`rung check` results for people (a line per problem, then a summary) and machines (one
JSON document)."""

from __future__ import annotations

import json
from typing import Any

import click

from rung.check import CheckReport
from rung.config import redact
from rung.report.lint import count

_COLOURS = {"error": "red", "warning": "yellow"}


def show(report: CheckReport, *, as_json: bool, quiet: bool = False) -> None:
    if as_json:
        click.echo(redact(json.dumps(document(report))))
        return
    out = text(report, color=True, quiet=quiet)
    if out:
        click.echo(redact(out))


def text(report: CheckReport, *, color: bool = False, quiet: bool = False) -> str:
    """`severity[kind] message` per problem, and a summary line saying whether it passed."""
    lines = []
    for p in report.problems:
        if quiet and p.severity != "error":
            continue
        severity = click.style(p.severity, fg=_COLOURS[p.severity]) if color else p.severity
        lines.append(f"{severity}[{p.kind}] {p.message}")
    checked = [count(report.migrations, "migration")]
    if report.dialect:
        checked.append(f"linted as {report.dialect}")
    if report.database:
        checked.append(f"against {report.database}")
    summary = ", ".join(checked)
    if report.problems:
        counts = " and ".join(
            count(n, w) for n, w in ((report.errors, "error"), (report.warnings, "warning")) if n
        )
        verdict = "check failed" if report.errors else "check passed"
        lines.append(f"{verdict}: {counts} ({summary}).")
    elif not quiet:
        lines.append(f"check passed: no problems ({summary}).")
    return "\n".join(lines)


def document(report: CheckReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "errors": report.errors,
        "warnings": report.warnings,
        "migrations": report.migrations,
        "dialect": report.dialect,
        "database": report.database,
        "problems": [
            {"severity": p.severity, "kind": p.kind, "message": p.message} for p in report.problems
        ],
    }
