"""Schema introspection: a neutral model (model), a live database read into it (inspect),
deterministic SQL (render) and the differences between two models (diff)."""

from __future__ import annotations

from rung.schema.diff import Change, diff
from rung.schema.model import Schema
from rung.schema.render import render

__all__ = ["Change", "Schema", "diff", "render"]
