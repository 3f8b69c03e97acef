"""Loading Python migrations: a module with `up(conn)` and, optionally, `down(conn)`."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from rung.errors import ScriptError
from rung.model import Migration


def migration_function(migration: Migration, direction: str) -> Callable[[Any], Any]:
    """The `up` or `down` function of a Python migration, imported from its file."""
    module = _import(migration.path)
    function = getattr(module, direction, None)
    if not callable(function):
        raise ScriptError(
            f"{migration.path}: defines no {direction}(conn) function",
            hint=f"add `def {direction}(conn):` to the file; conn is a SQLAlchemy Connection",
        )
    return function


def _import(path: Path) -> ModuleType:
    name = "rung_migration_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ScriptError(
            f"{path}:{exc.lineno}: syntax error: {exc.msg}", hint="fix the Python file"
        ) from None
    except Exception as exc:
        line = line_in(path, exc)
        raise ScriptError(
            f"{path}{f':{line}' if line else ''}: importing the migration raised "
            f"{type(exc).__name__}: {exc}",
            hint="fix the module-level code of the migration",
        ) from None
    sys.modules.pop(name, None)
    return module


def line_in(path: Path, exc: BaseException) -> int | None:
    """The deepest line of `path` in the exception's traceback."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno
    return line
