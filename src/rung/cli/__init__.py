"""The `rung` command: arguments -> Settings -> Migrator -> reporter -> exit code. Nothing else.

core.py holds the group, the options every command takes and the error handling; the
commands live in migrate.py (the migration verbs), team.py (lint, hash, rebase, check),
schema.py (dump, diff, drift, verify) and adopt.py (adopt).
"""

from rung.cli import adopt, migrate, schema, team  # noqa: F401 - importing them registers commands
from rung.cli.core import main

__all__ = ["main"]
