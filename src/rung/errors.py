"""Every error rung reports on purpose.

    RungError                      exit 1
    ├── UsageError                 exit 2   wrong command-line usage
    ├── ConfigError                exit 3   bad URL, unreadable config, missing folder
    ├── ConnectError               exit 4   server unreachable, login refused
    ├── InvalidMigrations          exit 5   names, duplicates, edited or missing files
    │   └── ScriptError            exit 5   a file that cannot be read or split
    ├── MigrationFailed            exit 6   a statement or a Python migration failed
    ├── LockTimeout                exit 7   another runner held the lock too long
    ├── NotUpToDate                exit 8   `status --exit-code` found work or trouble
    ├── RequestRefused             exit 9   the request cannot be carried out as asked
    ├── IncompatibleHistory        exit 10  the history table was written by a newer rung
    ├── LintFailed                 exit 11  `rung lint` found error-severity findings
    ├── CheckFailed                exit 12  `rung check` found something that blocks a merge
    ├── DriftFound                 exit 13  `rung drift`: the schema differs from the migrations'
    ├── VerifyFailed               exit 14  `rung verify`: a down or a second up changed the schema
    ├── SchemaDiffers              exit 15  `rung diff --exit-code`: the two schemas differ
    └── Interrupted                exit 130 Ctrl-C; the history says what was done

Each error carries a stable `code` (shown as ``error[code]``), a message, optional
context lines (the statement that failed, the state the database is left in) and a
hint that says what to do next.
"""

from __future__ import annotations

from collections.abc import Sequence


class RungError(Exception):
    code = "error"
    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = tuple(details)


class UsageError(RungError):
    code = "usage"
    exit_code = 2


class ConfigError(RungError):
    code = "config"
    exit_code = 3


class ConnectError(RungError):
    code = "connect"
    exit_code = 4


class InvalidMigrations(RungError):
    code = "invalid-migrations"
    exit_code = 5


class ScriptError(InvalidMigrations):
    code = "script"


class MigrationFailed(RungError):
    code = "migration-failed"
    exit_code = 6


class LockTimeout(RungError):
    code = "lock-timeout"
    exit_code = 7


class NotUpToDate(RungError):
    code = "not-up-to-date"
    exit_code = 8


class RequestRefused(RungError):
    code = "refused"
    exit_code = 9


class IncompatibleHistory(RungError):
    code = "incompatible-history"
    exit_code = 10


class LintFailed(RungError):
    code = "lint-failed"
    exit_code = 11


class CheckFailed(RungError):
    code = "check-failed"
    exit_code = 12


class DriftFound(RungError):
    code = "drift"
    exit_code = 13


class VerifyFailed(RungError):
    code = "verify-failed"
    exit_code = 14


class SchemaDiffers(RungError):
    code = "schema-differs"
    exit_code = 15


class Interrupted(RungError):
    code = "interrupted"
    exit_code = 130


EXIT_CODES: dict[int, str] = {
    0: "success (for `status --exit-code`: everything applied, nothing wrong)",
    1: "unexpected internal error",
    UsageError.exit_code: "wrong command-line usage",
    ConfigError.exit_code: "configuration error: bad URL, config file or migrations folder",
    ConnectError.exit_code: "cannot connect to the database",
    InvalidMigrations.exit_code: "invalid migrations: bad names, duplicates, edited or missing",
    MigrationFailed.exit_code: "a migration failed; the history records what happened",
    LockTimeout.exit_code: "another rung held the migration lock past --lock-timeout",
    NotUpToDate.exit_code: "`status --exit-code`: something pending, modified, missing or failed",
    RequestRefused.exit_code: "the request cannot be carried out (e.g. nothing to roll back)",
    IncompatibleHistory.exit_code: "the history table was written by a newer rung",
    LintFailed.exit_code: "`rung lint` found error-severity findings",
    CheckFailed.exit_code: "`rung check` found something that should block a merge",
    DriftFound.exit_code: "`rung drift`: the database's schema differs from its migrations'",
    VerifyFailed.exit_code: "`rung verify`: a migration's down or second up changed the schema",
    SchemaDiffers.exit_code: "`rung diff --exit-code`: the two schemas differ",
    Interrupted.exit_code: "interrupted (Ctrl-C)",
}
