"""Split a SQL migration script into the statements to send one by one, with their lines.

One scanner serves every flavour: it jumps from one interesting token to the next with a
compiled regex (delimiter, quote, comment, dollar tag, block keyword) and skips each quoted
or commented stretch whole, so `;` only ends a statement at the top level. Flavours differ
only in the data of `_Flavour`.

Compound bodies that hold `;` without a client-side delimiter (a SQLite trigger, a MySQL
procedure, a PostgreSQL `BEGIN ATOMIC` body) are kept whole by counting BEGIN/CASE against
END, but only inside a statement whose head says it is a routine or trigger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rung.errors import ScriptError
from rung.model import Statement

FLAVOURS = ("sqlite", "postgresql", "mysql", "generic")

# Whitespace and comments that may sit between the words of a routine's head.
_GAP = r"(?:\s|/\*.*?\*/|--[^\n]*\n)+"
_MYSQL_USER_PART = r"(?:`[^`]*`|'[^']*'|\"[^\"]*\"|[\w.$%-]+)"
_MYSQL_DEFINER = rf"DEFINER\s*=\s*{_MYSQL_USER_PART}(?:\s*@\s*{_MYSQL_USER_PART})?(?:\s*\(\s*\))?"


@dataclass(frozen=True, slots=True)
class _Flavour:
    quotes: str  # characters that open a string or quoted identifier
    backslash_quotes: str  # of those, the ones whose contents take backslash escapes
    compound_head: str  # regex for the start of a statement whose body may hold `;`
    block_open: str = "BEGIN"  # regex for the keyword that opens such a body
    hash_comments: bool = False
    dash_needs_space: bool = False  # MySQL: `--` is a comment only before whitespace
    nested_comments: bool = False
    dollar_quotes: bool = False
    escape_strings: bool = False  # PostgreSQL E'...'
    executable_comments: bool = False  # MySQL /*! ... */ and /*+ ... */ are SQL
    delimiter_command: bool = False  # mysql client `DELIMITER //` lines


_FLAVOURS = {
    "sqlite": _Flavour(
        quotes="'\"`[",
        backslash_quotes="",
        compound_head=r"CREATE (?:TEMP |TEMPORARY )?TRIGGER(?![\w$])",
    ),
    "postgresql": _Flavour(
        quotes="'\"",
        backslash_quotes="",
        compound_head=r"CREATE (?:OR REPLACE )?(?:FUNCTION|PROCEDURE)(?![\w$])",
        block_open=rf"BEGIN{_GAP}ATOMIC",  # BEGIN alone is a column name or a transaction
        nested_comments=True,
        dollar_quotes=True,
        escape_strings=True,
    ),
    "mysql": _Flavour(
        quotes="'\"`",
        backslash_quotes="'\"",
        compound_head=(
            rf"CREATE (?:OR REPLACE )?(?:{_MYSQL_DEFINER} )?(?:AGGREGATE )?"
            r"(?:PROCEDURE|FUNCTION|TRIGGER|EVENT)(?![\w$])|BEGIN NOT ATOMIC(?![\w$])"
        ),
        hash_comments=True,
        dash_needs_space=True,
        executable_comments=True,
        delimiter_command=True,
    ),
    "generic": _Flavour(
        quotes="'\"",
        backslash_quotes="",
        compound_head=(
            r"CREATE (?:OR REPLACE )?(?:TEMP |TEMPORARY )?(?:TRIGGER|FUNCTION|PROCEDURE)(?![\w$])"
        ),
    ),
}

_QUOTE_NAMES = {"'": "string literal", '"': "quoted identifier", "`": "quoted identifier"}
_CLOSERS = {"[": "]"}
_NON_SPACE = re.compile(r"\S")
_SPACES = re.compile(r"\s+")
_LINE_ENDINGS = re.compile(r"\r\n?")
_COMMENT_EDGES = re.compile(r"/\*|\*/")
# END IF/LOOP/... closes a construct that was never counted as opened; END CASE closes a CASE.
_END_OF = re.compile(r"\s+(IF|LOOP|WHILE|REPEAT|FOR|CASE)(?![\w$])", re.I)
_TRANSACTION_CONTROL = re.compile(
    r"""(?:
        BEGIN (?:\s+(?:DEFERRED|IMMEDIATE|EXCLUSIVE))? (?:\s+(?:TRANSACTION|WORK))?
            (?:\s+(?:ISOLATION|READ|NOT\s+DEFERRABLE|DEFERRABLE)\b.*)?
      | START \s+ TRANSACTION\b.*
      | (?:COMMIT|END|ROLLBACK|ABORT) (?:\s+(?:WORK|TRANSACTION))?
            (?:\s+AND\b.*|\s+(?:NO\s+)?RELEASE\b.*)?
    ) (?:\s|;|--[^\n]*|\#[^\n]*|/\*.*?\*/)* \Z""",
    re.I | re.X | re.S,
)


def _quoted(quote: str, backslash: bool) -> str:
    """Regex for a whole string or quoted identifier that opens with `quote`."""
    # Possessive, so that an unterminated token fails here and is reported where it opens.
    if quote == "[":
        return r"\[[^\]]*+\]"
    q = re.escape(quote)
    if backslash:
        return rf"{q}[^{q}\\]*+(?:(?:{q}{q}|\\.)[^{q}\\]*+)*+{q}"
    return rf"{q}[^{q}]*+(?:{q}{q}[^{q}]*+)*+{q}"


@cache
def _head(pattern: str) -> re.Pattern[str]:
    """A flavour's compound_head, where each space stands for whitespace or comments."""
    return re.compile(pattern.replace(" ", _GAP), re.I | re.S)


@cache
def _tokens(flavour: _Flavour, delimiter: str, compound: bool) -> re.Pattern[str]:
    """One match skips plain SQL and takes the next token whole. An unterminated token matches
    only its opening (`open`, `eopen`, `opentag`); `other` is a stop character that opens
    nothing, such as a minus sign."""
    stops = set(flavour.quotes + "-/" + delimiter[0])
    stops |= {"#"} if flavour.hash_comments else set()
    stops |= {"$"} if flavour.dollar_quotes else set()
    stops |= {"\n"} if flavour.delimiter_command else set()  # lines are skipped one by one
    runs = ["[^" + re.escape("".join(sorted(stops))) + (r"\w" if compound else "") + "]+"]
    keyword = rf"(?:{flavour.block_open}|CASE|END)(?![\w$])"
    if compound:  # words are skipped whole, unless they are block keywords
        runs.append(rf"(?!(?<!\.){keyword})\w[\w$]*")
    guard = ""
    if flavour.delimiter_command:
        runs.append(r"\n")
        guard = r"(?!^[ \t]*DELIMITER[ \t])"
    escape_string = r"(?<=[eE])(?<![\w$][eE])"  # a ' right after a standalone E
    dash = r"--(?![^\s\x00-\x1f])" if flavour.dash_needs_space else "--"
    hash_comment = r"|\#[^\n]*" if flavour.hash_comments else ""
    quotes = "|".join(_quoted(q, q in flavour.backslash_quotes) for q in flavour.quotes)
    escaped = _quoted("'", backslash=True)
    tag = r"\$(?P<tag>(?:[^\W\d]\w*)?)\$"
    tokens = [
        (True, f"(?P<end>(?-i:{re.escape(delimiter)}))"),
        (flavour.escape_strings, f"{escape_string}(?P<estring>{escaped})"),
        (flavour.escape_strings, f"{escape_string}(?P<eopen>')"),
        (True, f"(?P<quote>{quotes})"),
        (True, f"(?P<open>[{re.escape(flavour.quotes)}])"),
        (True, rf"(?P<line>{dash}[^\n]*{hash_comment})"),
        (flavour.executable_comments, r"(?P<exec>/\*(?=[!+]|M!))"),
        (True, r"(?P<block>/\*)"),
        (flavour.dollar_quotes, rf"(?<![\w$])(?P<dollar>{tag}.*?(?-i:\$(?P=tag)\$))"),
        (flavour.dollar_quotes, r"(?<![\w$])(?P<opentag>\$(?:[^\W\d]\w*)?\$)"),
        (flavour.delimiter_command, r"^[ \t]*(?P<command>DELIMITER)[ \t]"),
        (compound, rf"(?<![\w$.])(?P<keyword>{keyword})"),
        (True, "(?P<other>.)"),
    ]
    skip = f"(?:{guard}(?:{'|'.join(runs)}))*+"
    alternatives = "|".join(token for wanted, token in tokens if wanted)
    return re.compile(f"{skip}(?:{alternatives})", re.I | re.M | re.S)


def _flavour(flavour: str) -> _Flavour:
    try:
        return _FLAVOURS[flavour]
    except KeyError:
        raise ValueError(f"unknown SQL flavour {flavour!r}; expected one of {FLAVOURS}") from None


class _Scanner:
    """Finds the statements of one prepared script; `marks` collects (start, end, verbatim) of
    each quoted token (verbatim) and comment (not) when `normalize` needs them."""

    def __init__(self, text: str, flavour: _Flavour, first_line: int, path: str | None) -> None:
        self.text, self.flavour, self.first_line, self.path = text, flavour, first_line, path
        self.marks: list[tuple[int, int, bool]] | None = None
        self.compound_head = _head(flavour.compound_head)

    def error(self, at: int, message: str, hint: str) -> ScriptError:
        line = self.first_line + self.text.count("\n", 0, at)
        where = f"{self.path}:{line}" if self.path else f"line {line}"
        return ScriptError(f"{where}: {message}", hint=hint)

    def mark(self, start: int, end: int, verbatim: bool) -> None:
        if self.marks is not None:
            self.marks.append((start, end, verbatim))

    def spans(self) -> list[tuple[int, int]]:
        """(start, end) of each statement's text, leading comments and delimiter excluded."""
        text, flavour = self.text, self.flavour
        spans: list[tuple[int, int]] = []
        delimiter = ";"
        plain = tokens = _tokens(flavour, delimiter, False)
        start: int | None = None  # first character of the current statement, once seen
        depth = 0  # open BEGIN/CASE blocks of a compound statement
        pos = 0
        while match := tokens.match(text, pos):
            kind = match.lastgroup
            at = match.start(kind)
            if start is None:
                seen = _NON_SPACE.search(text, pos, at)
                if seen:
                    start = seen.start()
                elif kind not in ("end", "line", "block", "command"):
                    start = at
                if start is not None and delimiter == ";" and self.compound_head.match(text, start):
                    # Rescan from the start with block keywords on: some may lie behind us.
                    tokens, pos = _tokens(flavour, delimiter, True), start
                    continue
            pos = match.end()
            if kind == "end":
                if depth == 0:
                    if start is not None:
                        spans.append((start, at))
                    start, tokens = None, plain
            elif kind in ("quote", "estring", "dollar", "line"):
                self.mark(at, pos, kind != "line")
            elif kind in ("block", "exec"):
                pos = self.comment(at, nested=flavour.nested_comments and kind == "block")
                self.mark(at, pos, kind == "exec")
            elif kind == "keyword":
                if match.group(kind).upper() != "END":
                    depth += 1
                elif closed := _END_OF.match(text, pos):
                    pos = closed.end()
                    if closed.group(1).upper() == "CASE":
                        depth = max(depth - 1, 0)
                else:
                    depth = max(depth - 1, 0)
            elif kind in ("open", "eopen"):
                raise self.unterminated_quote(at, escape_string=kind == "eopen")
            elif kind == "opentag":
                tag = match.group(kind)
                hint = f"check that the body ends with the same tag {tag} (tags are case-sensitive)"
                raise self.error(at, f"unterminated dollar-quoted string {tag} starting here", hint)
            elif kind == "command":  # a mysql client DELIMITER line ends any pending statement
                if start is not None:
                    spans.append((start, at))
                start, depth = None, 0
                newline = text.find("\n", pos)
                newline = len(text) if newline < 0 else newline
                words = text[pos:newline].split()
                if not words:
                    hint = "write e.g. `DELIMITER //`, and `DELIMITER ;` to switch back"
                    raise self.error(at, "DELIMITER needs a delimiter", hint)
                delimiter, pos = words[0], newline
                plain = tokens = _tokens(flavour, delimiter, False)
        if start is None and (seen := _NON_SPACE.search(text, pos)):
            start = seen.start()
        if start is not None:
            spans.append((start, len(text)))
        return spans

    def unterminated_quote(self, at: int, escape_string: bool) -> ScriptError:
        quote = self.text[at]
        close = _CLOSERS.get(quote, quote)
        hint = f"check that every {quote} has its closing {close}"
        if escape_string or quote in self.flavour.backslash_quotes:
            hint += f", and that no backslash escapes the closing {close}"
        what = _QUOTE_NAMES.get(quote, "bracketed identifier")
        return self.error(at, f"unterminated {what} starting here", hint)

    def comment(self, at: int, nested: bool) -> int:
        """Index just after the block comment that opens at `at`."""
        if not nested:
            close = self.text.find("*/", at + 2)
            if close >= 0:
                return close + 2
        else:
            depth, pos = 1, at + 2
            while edge := _COMMENT_EDGES.search(self.text, pos):
                pos = edge.end()
                depth += 1 if edge.group() == "/*" else -1
                if depth == 0:
                    return pos
        hint = "check that every /* has its closing */"
        if nested:
            hint += " (block comments nest here: an inner /* needs its own */)"
        raise self.error(at, "unterminated block comment starting here", hint)


def _prepare(script: str) -> str:
    # Line endings become \n so that lines count alike and checksums match across checkouts.
    return _LINE_ENDINGS.sub("\n", script.removeprefix("\ufeff"))


def split(
    script: str, flavour: str, *, first_line: int = 1, path: str | None = None
) -> list[Statement]:
    """Statements of `script` in order. Statement.text is the statement without its terminating
    delimiter, stripped of surrounding whitespace and of leading ordinary comments; comments inside
    a statement stay. Statement.line is the line (counting the script's first line as `first_line`)
    of the statement's first character. Statements that hold only whitespace/comments are dropped
    (so a file of only comments gives []). Line endings in the text are converted to \\n."""
    text = _prepare(script)
    statements = []
    line, counted = first_line, 0
    for start, end in _Scanner(text, _flavour(flavour), first_line, path).spans():
        line += text.count("\n", counted, start)
        counted = start
        statements.append(Statement(text[start:end].rstrip(), line))
    return statements


def normalize(script: str, flavour: str) -> str:
    """The script's statements with every ordinary comment removed and whitespace outside string
    literals/quoted identifiers collapsed to one space, joined by ';\\n'. Two scripts that differ
    only in comments, whitespace or line endings normalize to the same string; any change to SQL
    text (including inside string literals) gives a different string."""
    text = _prepare(script)
    scanner = _Scanner(text, _flavour(flavour), 1, None)
    scanner.marks = marks = []
    spans = scanner.spans()
    statements = []
    index = 0
    for start, end in spans:
        while index < len(marks) and marks[index][0] < start:
            index += 1
        parts, code, pos = [], [], start
        while index < len(marks) and marks[index][1] <= end:
            mark_start, mark_end, verbatim = marks[index]
            code.append(text[pos:mark_start])
            if verbatim:
                parts += [_SPACES.sub(" ", "".join(code)), text[mark_start:mark_end]]
                code = []
            else:
                code.append(" ")  # a removed comment still separates its neighbours
            pos = mark_end
            index += 1
        code.append(text[pos:end])
        parts.append(_SPACES.sub(" ", "".join(code)))
        statements.append("".join(parts).strip())
    return ";\n".join(statements)


def is_transaction_control(statement_text: str) -> bool:
    """True for BEGIN / BEGIN TRANSACTION / BEGIN WORK / BEGIN DEFERRED|IMMEDIATE|EXCLUSIVE
    [TRANSACTION] / START TRANSACTION [...] / COMMIT [WORK|TRANSACTION] / END [TRANSACTION]
    (postgres/sqlite) / ROLLBACK (without TO SAVEPOINT) / ABORT, case-insensitive. Used to detect
    scripts that manage their own transaction."""
    return _TRANSACTION_CONTROL.match(statement_text.strip()) is not None


def regions(
    script: str, flavour: str, *, first_line: int = 1, path: str | None = None
) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each quoted token and comment of `script` (after line endings
    become \\n), in order; kind is "string", "identifier", "dollar" (a `$tag$` body),
    "comment", or "executable" (MySQL `/*! … */`, which is SQL)."""
    text = _prepare(script)
    scanner = _Scanner(text, _flavour(flavour), first_line, path)
    scanner.marks = []
    scanner.spans()
    found = []
    for start, end, verbatim in sorted(set(scanner.marks)):
        first = text[start]
        if first == "'":
            kind = "string"
        elif first == "$":
            kind = "dollar"
        elif first in "-#" or (first == "/" and not verbatim):
            kind = "comment"
        elif first == "/":
            kind = "executable"
        else:
            kind = "identifier"
        found.append((start, end, kind))
    return found
