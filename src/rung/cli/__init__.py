"""The `rung` command: arguments -> Settings -> Migrator -> reporter -> exit code. Nothing else.

core.py holds the group, the options every command takes and the error handling; the
commands live in migrate.py (the migration verbs), team.py (lint, hash, rebase, check)
and schema.py (dump, diff, drift, verify).
"""

from rung.cli import migrate, schema, team  # noqa: F401 - importing them registers the commands
from rung.cli.core import main

__all__ = ["main"]
