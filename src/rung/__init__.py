"""rung: plain, reviewable SQL and Python migrations, applied exactly once."""

__version__ = "0.1.0"

from rung.api import Migrator, RunResult, StatusReport, ValidationReport  # noqa: E402
from rung.errors import RungError  # noqa: E402

__all__ = [
    "Migrator",
    "RunResult",
    "RungError",
    "StatusReport",
    "ValidationReport",
    "__version__",
]
