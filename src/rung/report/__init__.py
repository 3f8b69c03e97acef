"""Output: the only code that prints. `text` for people (rich), `json` for machines.

Both redact passwords at the last moment, whatever the text came from.
"""

from __future__ import annotations

from typing import Protocol

from rung.api import RunResult, StatusReport, ValidationReport
from rung.errors import RungError
from rung.model import HistoryEvent, RunEvent


class Reporter(Protocol):
    def event(self, event: RunEvent) -> None: ...
    def run_result(self, result: RunResult) -> None: ...
    def status(self, report: StatusReport) -> None: ...
    def history(self, events: list[HistoryEvent]) -> None: ...
    def validation(self, report: ValidationReport) -> None: ...
    def message(self, text: str, **data: object) -> None: ...
    def error(self, error: RungError) -> None: ...


def reporter(*, json: bool, quiet: bool = False) -> Reporter:
    if json:
        from rung.report.json import JsonReporter

        return JsonReporter()
    from rung.report.text import TextReporter

    return TextReporter(quiet=quiet)
