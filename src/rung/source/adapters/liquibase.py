"""Liquibase formatted SQL: one changelog file per migration, made of changesets.

    --liquibase formatted sql
    --changeset alice:1
    CREATE TABLE users (id INT PRIMARY KEY);
    --rollback DROP TABLE users;

A file named `<number>-<name>.sql` or `<number>_<name>.sql` (`001-init.sql`) is one rung
migration, versioned by its number. Its up is its changesets in order, each split into
statements on its own (so a changeset's last statement needs no `;`); its down is their
rollbacks in reverse order, and it has none unless every changeset has a rollback
(`--rollback empty` or `--rollback not required` say none is needed).

Read as Liquibase reads them: `--rollback` lines and `/* liquibase rollback ... */`
blocks, `--rollback changesetId:x changesetAuthor:y` (that earlier changeset's SQL again),
`--comment`, `--validCheckSum`, `--ignoreLines`, and the attributes `runInTransaction`,
`splitStatements`, `endDelimiter`, `rollbackSplitStatements`, `rollbackEndDelimiter`,
`ignore`, `stripComments` and `logicalFilePath`. What would make rung run other SQL than
Liquibase would (preconditions, contexts, labels, `dbms`, `runOnChange`, `runAlways`,
properties) is reported with its line rather than ignored.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rung.errors import InvalidMigrations, ScriptError
from rung.model import Content, Migration
from rung.source.adapters.base import Layout, NewMigration
from rung.source.adapters.changelog import Part, assemble
from rung.sqlsplit import split as split_sql

NAME = re.compile(r"^(?P<version>\d+)[-_](?P<name>.+)\.sql$")
HINT = (
    "name Liquibase formatted SQL changelogs <number>-<name>.sql or <number>_<name>.sql, "
    "e.g. 001-create-users.sql; rung applies them in the order of their numbers"
)
DOCS = "https://docs.liquibase.com/concepts/changelogs/sql-format.html"

_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_HEADER = re.compile(r"^\s*--\s*liquibase\s*formatted\b(?P<rest>.*)$", re.I)
_CHANGESET = re.compile(r"^\s*--\s*changeset(?P<rest>.*)$", re.I)
_AUTHOR_ID = re.compile(
    r'^\s+(?P<author>"[^"]+"|[^\s:"][^:"]*?)\s*:\s*(?P<id>"[^"]+"|\S+)(?P<attributes>.*)$'
)
_ATTRIBUTE = re.compile(r'(?P<key>\w+):(?P<value>"[^"]*"|\S*)|(?P<other>\S+)')
_ROLLBACK = re.compile(r"^\s*--\s*rollback(?:\s(?P<sql>.*))?$", re.I)
_ROLLBACK_BLOCK = re.compile(r"^\s*/\*\s*liquibase\s*rollback\s*$", re.I)
_BLOCK_END = re.compile(r"^(?P<sql>.*?)\*/\s*$")
_PRECONDITION = re.compile(r"^\s*--\s*precondition(?:s\b|-)", re.I)
_IGNORE_LINES = re.compile(r"^\s*--\s*ignoreLines:(?P<what>\S*)", re.I)
_PROPERTY = re.compile(r"^\s*--\s*property\b", re.I)
_INCLUDE = re.compile(r"^\s*--\s*include(?:all)?\b", re.I)
# `--comment:`, `--validCheckSum` and the like are Liquibase's, not SQL (MySQL needs `-- `).
_TOOL_COMMENT = re.compile(r"^\s*--(?=\S)")
_REFERENCE = re.compile(r"changeset(?P<key>id|author|path):(?P<value>\S+)", re.I)

_BOOLEANS = {
    "runintransaction": True,
    "splitstatements": True,
    "rollbacksplitstatements": True,
    "stripcomments": True,
    "ignore": False,
    # Only their defaults can be honoured: rung runs each changeset once and stops on errors.
    "runonchange": False,
    "runalways": False,
    "failonerror": True,
}
_TEXTS = {"enddelimiter", "rollbackenddelimiter", "logicalfilepath"}
_REFUSED = {
    "context": "rung runs every changeset, whatever the context",
    "contextfilter": "rung runs every changeset, whatever the context",
    "labels": "rung runs every changeset, whatever its labels",
    "dbms": "keep per-database SQL in variant files (001-init.postgresql.sql) instead",
    "runwith": "rung runs SQL through its own connection",
    "runwithspoolfile": "rung runs SQL through its own connection",
}
_AT_DEFAULT_ONLY = {
    "runonchange": "rung runs a changeset once; keep SQL to re-run in a repeatable migration",
    "runalways": "rung runs a changeset once; keep SQL to re-run in a repeatable migration",
    "failonerror": "a failing statement always stops rung",
}


@dataclass(frozen=True, slots=True)
class Changeset:
    """A changeset as Liquibase identifies it in DATABASECHANGELOG: id, author and file."""

    id: str
    author: str
    path: Path  # the changelog file
    line: int  # of its `--changeset` line
    logical_file_path: str | None = None  # logicalFilePath, when the changeset or file sets one

    @property
    def file_name(self) -> str:
        """What Liquibase records as FILENAME when no include path prefixes it."""
        return self.logical_file_path or self.path.name


@dataclass
class _Draft:
    """A changeset while its lines are read."""

    changeset: Changeset
    sql: dict[int, str] = field(default_factory=dict)
    rollback: dict[int, str] = field(default_factory=dict)
    options: dict[str, bool | str] = field(default_factory=dict)
    broken: bool = False  # its header was reported; it is read on but not kept
    down: tuple[Part, ...] | None = None  # its rollback once read; None: it has none

    def option(self, key: str) -> bool | str | None:
        return self.options.get(key, _BOOLEANS.get(key))

    @property
    def label(self) -> str:
        return f"{self.changeset.author}:{self.changeset.id}"

    def up(self) -> Part:
        return _part(self.sql, self.option("splitstatements"), self.option("enddelimiter"))


class _Reader:
    """Reads a changelog line by line, collecting changesets and every problem."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self.drafts: list[_Draft] = []
        self.current: _Draft | None = None
        self.header: int | None = None
        self.stopped = False
        self.logical_file_path: str | None = None
        self.outside: dict[int, str] = {}  # lines before the first changeset
        self.block: int | None = None  # line of an open `/* liquibase rollback`
        self.ignoring: int | None = None  # line of an open `--ignoreLines:start`
        self.skip = 0  # lines still to skip after `--ignoreLines:N`

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(
            f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}"
        )

    def read(self, text: str) -> None:
        for number, line in enumerate(_LINES.findall(text), 1):
            if not self.stopped:
                self.feed(number, line.rstrip("\r\n"))
        self.close()

    def feed(self, number: int, line: str) -> None:
        if self.skip:
            self.skip -= 1
        elif self.block is not None:
            self.rollback_block_line(number, line)
        elif self.ignoring is not None:
            found = _IGNORE_LINES.match(line)
            if found and found["what"].lower() == "end":
                self.ignoring = None
        elif self.header is None:
            self.first_line(number, line)
        elif (found := _IGNORE_LINES.match(line)) is not None:
            self.ignore_lines(number, found["what"])
        elif _PROPERTY.match(line):
            self.problem(
                number,
                "`--property` (changelog parameters) is not supported; "
                "write the value into the SQL",
            )
        elif _INCLUDE.match(line):
            self.problem(
                number,
                "`--include` is not supported; each changelog file is a migration of its own",
            )
        elif (found := _CHANGESET.match(line)) is not None:
            self.start(number, found["rest"])
        elif self.current is None:
            self.before_changesets(number, line)
        else:
            self.changeset_line(self.current, number, line)

    def first_line(self, number: int, line: str) -> None:
        if not line.strip():
            return
        header = _HEADER.match(line)
        if header is None:
            self.problem(
                number,
                "not Liquibase formatted SQL: the file must start with `--liquibase formatted sql`",
            )
            self.stopped = True
            return
        self.header = number
        options = dict(_attributes(header["rest"])[0])
        self.logical_file_path = _unquote(options.get("logicalfilepath") or "") or None

    def ignore_lines(self, number: int, what: str) -> None:
        if what.lower() == "start":
            self.ignoring = number
        elif what.isdigit():
            self.skip = int(what)
        else:
            self.problem(
                number,
                f"`--ignoreLines:{what}`: write `--ignoreLines:start` ... "
                "`--ignoreLines:end`, or a number of lines",
            )

    def before_changesets(self, number: int, line: str) -> None:
        if _ROLLBACK.match(line) or _ROLLBACK_BLOCK.match(line) or _PRECONDITION.match(line):
            self.problem(number, "a rollback or precondition before the first `--changeset`")
        elif not _TOOL_COMMENT.match(line):
            self.outside[number] = line

    def changeset_line(self, draft: _Draft, number: int, line: str) -> None:
        if _ROLLBACK_BLOCK.match(line):
            self.block = number
        elif (rollback := _ROLLBACK.match(line)) is not None:
            if not (rollback["sql"] or "").strip():
                self.problem(
                    number,
                    "`--rollback` without SQL "
                    "(write `--rollback empty` when the changeset needs none)",
                )
            else:
                draft.rollback[number] = rollback["sql"]
        elif _PRECONDITION.match(line):
            self.problem(
                number,
                "Liquibase preconditions are not supported: rung runs every changeset; "
                "check the condition in SQL, or remove it",
            )
        elif not _TOOL_COMMENT.match(line):
            draft.sql[number] = line

    def rollback_block_line(self, number: int, line: str) -> None:
        end = _BLOCK_END.match(line)
        text = end["sql"] if end else line
        if self.current is not None and text.strip():
            self.current.rollback[number] = text
        if end:
            self.block = None

    def start(self, number: int, rest: str) -> None:
        self.finish()
        found = _AUTHOR_ID.match(rest)
        author = _unquote(found["author"].strip()) if found else ""
        changeset_id = _unquote(found["id"]) if found else ""
        last_word = author.rsplit(None, 1)[-1].lower() if author else ""
        draft = _Draft(Changeset(changeset_id, author, self.path, number))
        self.current = draft
        if found is None or (
            " " in author
            and not found["author"].startswith('"')
            and last_word in _BOOLEANS.keys() | _TEXTS | _REFUSED.keys()
        ):
            self.problem(
                number,
                "`--changeset` needs author:id, e.g. `--changeset alice:1` "
                "(quote an author with spaces)",
            )
            draft.broken = True
            return
        if not changeset_id.replace(":", "").strip():
            self.problem(number, "the changeset id is empty")
            draft.broken = True
        options, problems = _attributes(found["attributes"])
        for problem in problems:
            self.problem(number, problem)
        draft.options = options
        path = options.get("logicalfilepath") or self.logical_file_path
        draft.changeset = Changeset(
            changeset_id, author, self.path, number, _unquote(str(path)) if path else None
        )
        first = next((d for d in self.drafts if d.label == draft.label and not d.broken), None)
        if first is not None:
            self.problem(
                number,
                f"changeset {draft.label} is defined twice in this file "
                f"(first at line {first.changeset.line})",
            )
            draft.broken = True

    def finish(self) -> None:
        draft, self.current = self.current, None
        if draft is None:
            return
        self.drafts.append(draft)
        if draft.broken or draft.option("ignore"):
            return
        if not _has_sql(draft.sql.values()):
            self.problem(draft.changeset.line, f"changeset {draft.label} has no SQL")
        draft.down = self.rollback_of(draft)

    def rollback_of(self, draft: _Draft) -> tuple[Part, ...] | None:
        """What rolls the changeset back: () for `empty`, None when it has none."""
        text = " ".join(draft.rollback.values()).strip()
        if not text:
            return None
        if text.lower().startswith(("empty", "not required")):
            return ()
        if "changesetid" not in text.lower():
            return (
                _part(
                    draft.rollback,
                    draft.option("rollbacksplitstatements"),
                    draft.option("rollbackenddelimiter"),
                ),
            )
        line = min(draft.rollback)
        keys = {m["key"].lower(): m["value"] for m in _REFERENCE.finditer(text)}
        if "path" in keys and keys["path"] not in (self.path.name, self.logical_file_path):
            self.problem(line, "a rollback by a changeset of another file is not supported")
            return None
        label = f"{keys.get('author', '')}:{keys.get('id', '')}"
        earlier = next((d for d in self.drafts[:-1] if d.label == label and not d.broken), None)
        if earlier is None or "author" not in keys:
            self.problem(
                line,
                f"rolls back with changeset {label}, which is not earlier in this file "
                "(changesetId:<id> changesetAuthor:<author>)",
            )
            return None
        return (earlier.up(),)

    def close(self) -> None:
        if self.block is not None:
            self.problem(self.block, "`/* liquibase rollback` is not closed by `*/`")
        if self.ignoring is not None:
            self.problem(self.ignoring, "`--ignoreLines:start` without `--ignoreLines:end`")
        self.finish()
        if self.stopped:
            return
        if self.header is None:
            self.problem(
                None, "empty file: a Liquibase changelog starts with `--liquibase formatted sql`"
            )
        elif not self.drafts:
            self.problem(None, "no `--changeset` in the file")
        if self.outside:
            self.before_first_changeset()

    def before_first_changeset(self) -> None:
        """Comments may come before the first changeset; SQL there would never run."""
        try:
            outside = split_sql(
                _block(self.outside), "generic", first_line=min(self.outside), path=str(self.path)
            )
        except ScriptError as exc:
            self.problems.append(exc.message)
            return
        if outside:
            self.problem(
                outside[0].line,
                "SQL before the first `--changeset`, which Liquibase does not run; "
                "move it into a changeset",
            )

    def changesets(self) -> list[_Draft]:
        """The changesets Liquibase runs (not `ignore:true`), once every problem is known."""
        if self.problems:
            raise InvalidMigrations(
                f"{self.path}: cannot be read as a migration",
                details=self.problems,
                hint=f"fix the file (Liquibase formatted SQL: {DOCS}), then run the command again",
            )
        return [d for d in self.drafts if not d.option("ignore")]


def _attributes(text: str) -> tuple[dict[str, bool | str], list[str]]:
    """A changeset's `key:value` attributes, and what is wrong with them."""
    options: dict[str, bool | str] = {}
    problems = []
    for found in _ATTRIBUTE.finditer(text):
        if found["other"]:
            problems.append(f"cannot read `{found['other']}`: changeset attributes are key:value")
            continue
        key, value = found["key"].lower(), _unquote(found["value"])
        if key in _REFUSED:
            problems.append(f"`{found['key']}:` is not supported: {_REFUSED[key]}")
        elif key in _BOOLEANS:
            if value.lower() not in ("true", "false"):
                problems.append(f"`{found['key']}:{value}`: write true or false")
                continue
            options[key] = value.lower() == "true"
            if key in _AT_DEFAULT_ONLY and options[key] != _BOOLEANS[key]:
                problems.append(
                    f"`{found['key']}:{value}` is not supported: {_AT_DEFAULT_ONLY[key]}"
                )
        elif key in _TEXTS:
            if not value:
                problems.append(f"`{found['key']}:` needs a value")
            options[key] = value
        else:
            problems.append(f"unknown changeset attribute `{found['key']}:`")
    return options, problems


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == '"' else text


def _has_sql(lines: Iterable[str]) -> bool:
    return any(line.strip() and not line.lstrip().startswith("--") for line in lines)


def _block(lines: dict[int, str]) -> str:
    """The lines from the first to the last, those between that are not given left blank."""
    first, last = min(lines), max(lines)
    return "\n".join(lines.get(n, "") for n in range(first, last + 1)) + "\n"


def _part(lines: dict[int, str], split: object, delimiter: object) -> Part:
    return Part(dict(lines), split is not False, str(delimiter) if delimiter else None)


def _read(migration: Migration) -> list[_Draft]:
    reader = _Reader(migration.path)
    reader.read(migration.text)
    return reader.changesets()


def changesets(migration: Migration) -> tuple[Changeset, ...]:
    """The changesets of a changelog that Liquibase runs, in order, as DATABASECHANGELOG
    identifies them; InvalidMigrations names every problem in the file."""
    return tuple(draft.changeset for draft in _read(migration))


def split(migration: Migration) -> Content:
    """The changesets in order as the up; their rollbacks in reverse order as the down."""
    drafts = _read(migration)
    transactional = all(d.option("runintransaction") for d in drafts)
    up = assemble(migration.path, [d.up() for d in drafts], transactional)
    if any(d.down is None for d in drafts):
        return Content(up, None, False)
    down = [part for d in reversed(drafts) for part in d.down or ()]
    return Content(up, assemble(migration.path, down, transactional), True)


@dataclass(frozen=True)
class LiquibaseLayout(Layout):
    def new_files(self, new: NewMigration) -> dict[str, str]:
        """A changelog with one changeset by the current user, to fill in; the separator
        after the number follows the folder's files (`001-x.sql` or `001_x.sql`)."""
        numbered = [example for example in new.examples if NAME.match(example)]
        newest = numbered[-1] if numbered else ""
        separator = "_" if newest.lstrip("0123456789").startswith("_") else "-"
        comment = f"--comment: {new.description}\n" if new.description else ""
        text = f"--liquibase formatted sql\n\n--changeset {_author()}:1\n{comment}\n"
        return {f"{new.version}{separator}{new.name.replace('_', separator)}.sql": text}


def _author() -> str:
    try:
        author = getpass.getuser()
    except (OSError, KeyError):  # no user name in this environment
        author = ""
    return re.sub(r"[\s:\"]+", "_", author) or "rung"


LAYOUT = LiquibaseLayout(
    "liquibase", NAME, HINT, splitter=split, numbering="sequential", first_version="001"
)
