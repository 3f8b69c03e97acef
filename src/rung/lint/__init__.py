"""`rung lint`: rules over parsed migration statements, without connecting to a database.

    lint(migrations, dialect="postgresql") -> [Finding, ...]

Rules live in `rules/<family>.py`, registered by `@rule` (registry.py); `-- rung:allow
RULE-ID reason` above a statement silences a rule there (allow.py). sqlglot is imported
only here, so commands that do not lint never load it.
"""

from rung.lint.engine import lint
from rung.lint.files import dialect_name, load_files, with_placeholders
from rung.lint.model import Finding, Rule
from rung.lint.registry import RULES

__all__ = ["RULES", "Finding", "Rule", "dialect_name", "lint", "load_files", "with_placeholders"]
