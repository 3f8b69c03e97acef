"""Output of `rung drift` and `rung verify`: one line per difference or per migration as
text (a changed body's lines under its difference, as `rung diff` shows them), or one JSON
document. The error line and hint come from the reporter."""

from __future__ import annotations

import json
import sys
from typing import Any

from rung.config import redact
from rung.drift import DriftReport
from rung.report.schema import change_lines
from rung.verify import VerifyReport


def _write(text: str) -> None:
    sys.stdout.write(redact(text) + "\n")
    sys.stdout.flush()


def show_drift(report: DriftReport, *, as_json: bool, quiet: bool = False) -> None:
    if as_json:
        _write(
            json.dumps(
                {
                    "database": report.database,
                    "method": report.method,
                    "drift": report.drifted if report.compared else None,
                    "recorded_at": report.recorded_at.isoformat() if report.recorded_at else None,
                    "migrations": list(report.migrations),
                    "notes": list(report.notes),
                    "changes": [change.as_dict() for change in report.changes],
                }
            )
        )
        return
    if quiet:
        return
    for note in report.notes:
        _write(f"note: {note}")
    for change in report.changes:
        _write("\n".join(change_lines(change)))
    if not report.compared:
        return  # the note said why
    if not report.drifted:
        source = (
            "the fingerprint rung recorded after its last run"
            if report.method == "fingerprint"
            else f"what its {len(report.migrations)} applied migration(s) build"
        )
        _write(f"no drift: the database's schema is {source}")


def show_verify(report: VerifyReport, *, as_json: bool, quiet: bool = False) -> None:
    if as_json:
        failure = report.failure
        document: dict[str, Any] = {
            "ok": report.ok,
            "failure": failure.label if failure else None,
            "prepared": list(report.prepared),
            "migrations": [
                {
                    "migration": check.label,
                    "version": check.version,
                    "outcome": check.outcome,
                    "error": check.error,
                    "changes": [change.as_dict() for change in check.changes],
                    "idempotent": check.idempotent,
                    "second_up_error": check.second_up_error,
                }
                for check in report.checks
            ],
        }
        _write(json.dumps(document))
        return
    if quiet:
        return
    if report.prepared:
        _write(f"applied first, not tested: {len(report.prepared)} older migration(s)")
    width = max((len(check.label) for check in report.checks), default=0)
    for check in report.checks:
        _write(f"{check.label:<{width}}  {check.summary}")
        for change in check.changes:
            _write("\n".join(change_lines(change, "    ")))
        if check.idempotency_note:
            _write(f"    info: {check.idempotency_note}")
    if report.ok:
        again = sum(1 for check in report.checks if check.idempotent is False)
        note = f"; {again} not idempotent (information, not a failure)" if again else ""
        _write(f"verified {len(report.checks)} migration(s){note}")
