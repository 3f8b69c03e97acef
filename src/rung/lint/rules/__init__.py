"""The rule families, one module each; importing this package registers every rule."""

from rung.lint.rules import (  # noqa: F401
    breaking,
    data,
    destructive,
    hygiene,
    locking_mysql,
    locking_postgresql,
)
