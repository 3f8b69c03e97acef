"""Lint findings for people (text), for machines (one JSON document) and for code review
tools (SARIF 2.1.0, which CI systems turn into annotations on the pull request)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from rung import __version__
from rung.config import redact
from rung.lint import Finding, Rule

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def show(
    findings: Sequence[Finding],
    *,
    output_format: str,
    rules: Sequence[Rule],
    migrations: int,
    dialect: str,
    quiet: bool = False,
) -> None:
    """Print the findings in `output_format` on standard output."""
    if output_format == "json":
        out = json.dumps(document(findings, migrations=migrations, dialect=dialect), indent=2)
    elif output_format == "sarif":
        out = json.dumps(sarif(findings, rules), indent=2)
    else:
        out = text(findings, migrations=migrations, dialect=dialect, color=True, quiet=quiet)
    if out:
        click.echo(redact(out))


def _path(path: str) -> str:
    """A path as short as it can be: relative to the current folder when it lies inside it."""
    relative = os.path.relpath(path) if os.path.isabs(path) else path
    return path if relative.startswith("..") else Path(relative).as_posix()


def count(number: int, word: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{number} {word}{'' if number == 1 else 's'}"


def text(
    findings: Sequence[Finding],
    *,
    migrations: int,
    dialect: str,
    color: bool = False,
    quiet: bool = False,
) -> str:
    """`path:line:col  RULE-ID  severity  message`, an indented hint, and a summary line."""
    colours = {"error": "red", "warning": "yellow"}
    lines = []
    for f in findings:
        severity = click.style(f.severity, fg=colours[f.severity]) if color else f.severity
        lines.append(f"{_path(f.path)}:{f.line}:{f.column}  {f.rule}  {severity}  {f.message}")
        lines.append(f"    hint: {f.hint}")
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    where = f"in {count(migrations, 'migration')} ({dialect})"
    if findings:
        counts = " and ".join(
            count(n, w) for n, w in ((errors, "error"), (warnings, "warning")) if n
        )
        lines.append(f"Found {counts} {where}.")
    elif not quiet:
        lines.append(f"No problems found {where}.")
    return "\n".join(lines)


def document(findings: Sequence[Finding], *, migrations: int, dialect: str) -> dict[str, Any]:
    errors = sum(f.severity == "error" for f in findings)
    return {
        "dialect": dialect,
        "migrations": migrations,
        "errors": errors,
        "warnings": len(findings) - errors,
        "findings": [
            {
                "path": _path(f.path),
                "line": f.line,
                "column": f.column,
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "hint": f.hint,
            }
            for f in findings
        ],
    }


def _uri(path: str) -> str:
    shown = _path(path)
    return Path(shown).as_uri() if os.path.isabs(shown) else shown


def sarif(findings: Sequence[Finding], rules: Sequence[Rule]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: every rule that applied, and a result per finding."""
    described = sorted({r.id: r for r in rules}.values(), key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(described)}
    driver = {
        "name": "rung",
        "version": __version__,
        "rules": [
            {
                "id": r.id,
                "name": "".join(part.capitalize() for part in r.id.split("-")),
                "shortDescription": {"text": r.title},
                "help": {"text": r.hint},
                "defaultConfiguration": {"level": r.severity},
                "properties": {"family": r.family, "dialects": list(r.dialects)},
            }
            for r in described
        ],
    }
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": f.severity,
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}
        ],
    }
