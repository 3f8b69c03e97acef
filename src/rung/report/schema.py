"""Output of `rung dump` and `rung diff`: the dump's bytes, and changes as text or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rung.schema.diff import Change


def write_dump(text: str, output: str) -> str | None:
    """Write the dump to `output` (a path, or "-" for stdout); the path written, if any."""
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return str(path)


def show_diff(changes: list[Change], *, as_json: bool, quiet: bool = False) -> None:
    if as_json:
        document = {"equal": not changes, "changes": [c.as_dict() for c in changes]}
        sys.stdout.write(json.dumps(document) + "\n")
        return
    if quiet:
        return
    for change in changes:
        sys.stdout.write(change.text + "\n")
        for line in change.lines:
            sys.stdout.write(f"    {line}\n")
    sys.stdout.write("no differences\n" if not changes else f"{len(changes)} difference(s)\n")
