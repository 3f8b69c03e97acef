"""Machine output: one JSON document for status/history/validate, JSON lines for up/down."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from rung.api import RunResult, StatusReport, ValidationReport
from rung.config import redact
from rung.errors import RungError
from rung.model import HistoryEvent, Migration, RunEvent
from rung.plan import MigrationStatus, RepeatableStatus


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _migration(migration: Migration | None) -> dict[str, Any]:
    if migration is None:
        return {}
    return {
        "version": migration.version_text,
        "name": migration.name,
        "path": str(migration.path),
        "repeatable": migration.repeatable,
    }


class JsonReporter:
    def _write(self, document: dict[str, Any]) -> None:
        sys.stdout.write(redact(json.dumps(document, default=str)) + "\n")
        sys.stdout.flush()

    def event(self, event: RunEvent) -> None:
        if event.kind == "plan":
            return
        document: dict[str, Any] = {"event": event.kind, "direction": event.direction}
        document.update(_migration(event.migration))
        if event.duration_ms is not None:
            document["duration_ms"] = event.duration_ms
        if event.detail:
            document["detail"] = event.detail
        if event.changes:
            document["changes"] = list(event.changes)
        self._write(document)

    def run_result(self, result: RunResult) -> None:
        steps = [
            {
                **_migration(step.migration),
                "direction": step.direction,
                "resume_from": step.resume_from,
                **({"statements": [s.text for s in step.statements]} if result.dry_run else {}),
            }
            for step in result.steps
        ]
        self._write(
            {
                "event": "summary",
                "direction": result.direction,
                "dry_run": result.dry_run,
                "count": len(steps),
                "steps": steps,
            }
        )

    def status(self, report: StatusReport) -> None:
        self._write(
            {
                "database": report.database,
                "up_to_date": report.up_to_date,
                "migrations": [_status(item) for item in report.migrations],
                "repeatables": [_repeatable(item) for item in report.repeatables],
            }
        )

    def history(self, events: list[HistoryEvent]) -> None:
        self._write(
            {
                "events": [
                    {
                        "id": e.id,
                        "version": e.version_text,
                        "name": e.name,
                        "event": e.event,
                        "outcome": e.outcome,
                        "started_at": _time(e.started_at),
                        "duration_ms": e.duration_ms,
                        "checksum": e.checksum,
                        "statements_done": e.statements_done,
                        "error": e.error,
                        "db_user": e.db_user,
                        "os_user": e.os_user,
                        "host": e.host,
                        "rung_version": e.rung_version,
                    }
                    for e in events
                ]
            }
        )

    def validation(self, report: ValidationReport) -> None:
        self._write(
            {
                "ok": report.ok,
                "problems": report.problems,
                "migrations": report.migrations,
                "repeatables": report.repeatables,
                "checked_database": report.checked_database,
            }
        )

    def message(self, text: str, **data: object) -> None:
        self._write({"message": text, **data})

    def error(self, error: RungError) -> None:
        self._write(
            {
                "error": error.code,
                "exit_code": error.exit_code,
                "message": error.message,
                "details": list(error.details),
                "hint": error.hint,
            }
        )


def _status(item: MigrationStatus) -> dict[str, Any]:
    applied = item.applied
    failure = applied.failure if applied else None
    return {
        "version": item.version_text,
        "name": item.name,
        "state": item.state,
        "path": str(item.migration.path) if item.migration else None,
        "applied_at": _time(applied.applied_at) if applied and applied.applied else None,
        "duration_ms": applied.duration_ms if applied and applied.applied else None,
        "change": item.change,
        "failure": None
        if failure is None
        else {
            "direction": failure.direction,
            "error": failure.error,
            "statements_done": failure.statements_done,
            "at": _time(failure.at),
        },
    }


def _repeatable(item: RepeatableStatus) -> dict[str, Any]:
    state = item.applied
    ran = state is not None and state.checksum is not None
    failure = state.failure if state else None
    return {
        "name": item.name,
        "label": item.label,
        "state": item.state,
        "change": item.change,
        "path": str(item.repeatable.path) if item.repeatable else None,
        "checksum": item.repeatable.checksum if item.repeatable else None,
        "applied_checksum": state.checksum if state else None,
        "applied_at": _time(state.applied_at) if ran else None,
        "duration_ms": state.duration_ms if ran else None,
        "failure": None
        if failure is None
        else {
            "error": failure.error,
            "statements_done": failure.statements_done,
            "at": _time(failure.at),
        },
    }
