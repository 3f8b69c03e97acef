"""Output of `rung dump` and `rung diff`: the dump's bytes, and changes as text or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rung.schema.diff import Change

if TYPE_CHECKING:
    from rung.fingerprint import ObjectChange


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
        sys.stdout.write("".join(f"{line}\n" for line in change_lines(change)))
    sys.stdout.write("no differences\n" if not changes else f"{len(changes)} difference(s)\n")


def change_lines(change: Change | ObjectChange, indent: str = "") -> list[str]:
    """A change as `rung diff`, `rung drift` and `rung verify` print it: its line, then a
    changed body's lines under it (`-old`, `+new`, ` same`), indented four more spaces."""
    # A fingerprint's change names the object only: it has no lines to show.
    body = getattr(change, "lines", ())
    return [f"{indent}{change.text}", *(f"{indent}    {line}" for line in body)]
