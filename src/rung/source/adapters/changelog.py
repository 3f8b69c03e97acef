"""A script assembled from parts of one file, each turned into statements in its own way.

Formats that say themselves where statements end (Liquibase's changesets) keep a
migration's up or down as parts: lines of the file, in the order they run, each split by
rung's splitter, sent whole, or cut at a delimiter of their own. The script's text holds
every part's lines at their own line numbers (other lines blank), so errors, lint and
placeholder substitution see the file's lines; statements are cut from that text, so a
substituted text is what runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rung.model import Script, Statement
from rung.sqlsplit import split as split_sql


@dataclass(frozen=True)
class Part:
    """Lines of a file (number -> text), and how they become statements."""

    lines: dict[int, str]
    split: bool = True  # False: the part is one statement (Liquibase's splitStatements:false)
    delimiter: str | None = None  # a statement ends at a line ending with it (endDelimiter)


@dataclass(frozen=True, slots=True)
class Piece:
    """Where a part is in its script's text: lines first_line..last_line."""

    first_line: int
    last_line: int
    split: bool = True
    delimiter: str | None = None

    def statements(self, lines: list[str], path: Path, flavour: str) -> list[Statement]:
        numbered = list(enumerate(lines[self.first_line - 1 : self.last_line], self.first_line))
        if self.delimiter:
            return _at_delimiter(numbered, self.delimiter)
        if not self.split:
            whole = _statement(numbered, whole=True)
            return [whole] if whole else []
        text = "\n".join(line for _, line in numbered) + "\n"
        return split_sql(text, flavour, first_line=self.first_line, path=str(path))


@dataclass(frozen=True, slots=True)
class PiecedScript(Script):
    """A script whose statements come piece by piece, in the order of `pieces`."""

    pieces: tuple[Piece, ...] = ()

    def statements(self, flavour: str) -> list[Statement]:
        text = self.text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        return [s for piece in self.pieces for s in piece.statements(lines, self.path, flavour)]


def assemble(path: Path, parts: list[Part], transactional: bool = True) -> PiecedScript:
    """The parts as one script whose line N is the file's line N."""
    lines: dict[int, str] = {}
    pieces = []
    for part in parts:
        if not part.lines:
            continue
        lines.update(part.lines)
        pieces.append(Piece(min(part.lines), max(part.lines), part.split, part.delimiter))
    text = "".join(lines.get(n, "") + "\n" for n in range(1, max(lines, default=0) + 1))
    return PiecedScript(path, text, 1, transactional, tuple(pieces))


def _statement(lines: list[tuple[int, str]], *, whole: bool = False) -> Statement | None:
    """Lines as one statement, without leading comments or, when `whole`, a final `;`."""
    while lines and (not lines[0][1].strip() or lines[0][1].lstrip().startswith("--")):
        lines = lines[1:]
    if not lines:
        return None
    text = "\n".join(line for _, line in lines).strip()
    if whole:
        text = text.removesuffix(";").rstrip()
    return Statement(text, lines[0][0]) if text else None


def _at_delimiter(lines: list[tuple[int, str]], delimiter: str) -> list[Statement]:
    """Statements that end at a line ending with `delimiter`; with `\\n` first
    (`\\nGO`, as Liquibase writes it), at a line that is only the delimiter."""
    own_line = delimiter.startswith("\\n")
    mark = delimiter.removeprefix("\\n").lower()
    statements, current = [], []
    for number, line in lines:
        end = line.rstrip()
        before = end[: len(end) - len(mark)]
        if own_line:
            ends = end.strip().lower() == mark
        else:  # a word such as GO must stand apart: ALGO does not end a statement
            glued = mark.isalnum() and bool(before) and not before[-1].isspace()
            ends = end.lower().endswith(mark) and not glued
        current.append((number, before if ends else line))
        if ends:
            statements.append(_statement(current))
            current = []
    statements.append(_statement(current))
    return [s for s in statements if s is not None]
