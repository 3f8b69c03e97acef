"""Placeholders: `${name}` in a migration replaced by a value from the config or environment.

    ${name}           the value as written (trusted text: a schema prefix, a tablespace)
    ${ident:name}     the value quoted as an identifier, as the database quotes them
    ${literal:name}   the value quoted as a string literal, as the database reads them
    ${rung:table}     a built-in (rung:database, rung:user, rung:table, rung:filename,
                      rung:environment); ${ident:rung:table} quotes one
    $${name}          the text `${name}`, as written

Values come from `[placeholders]` in the config, `[env.NAME.placeholders]` over it, and
the environment variable `RUNG_PLACEHOLDER_<NAME>` over both. Names are compared ignoring
case, with `.` and `_` alike (`${Schema.Name}` is `RUNG_PLACEHOLDER_SCHEMA_NAME`). Values
are one line: a line break would shift the lines errors report (and could end a comment).

Substitution happens on a script's text before it is split into statements, so the
splitter and the server see the same SQL; the checksum stays that of the file as written.
Quoted kinds must stand where SQL expects an identifier or a literal: inside a string
literal or a quoted identifier their quoting would protect nothing, so they are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from rung.errors import ConfigError, InvalidMigrations, ScriptError
from rung.model import Script

if TYPE_CHECKING:
    from rung.config import Settings
    from rung.dialects import Dialect

__all__ = [
    "ENV_PREFIX",
    "SUBSTITUTING_FORMATS",
    "Placeholders",
    "env_variable",
    "for_database",
    "for_lint",
    "layout_format",
    "merged",
    "read_settings",
]

ENV_PREFIX = "RUNG_PLACEHOLDER_"
# Layouts whose own tool replaces ${...}; the others run their files as written.
SUBSTITUTING_FORMATS = frozenset({"rung", "pattern", "flyway", "liquibase"})
KINDS = ("ident", "literal")
BUILT_INS = ("database", "environment", "filename", "table", "user")

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_NAME_ONLY = re.compile(_NAME + r"\Z")
_TOKEN = re.compile(rf"(?P<escape>\$)?\$\{{(?P<body>{_NAME}(?::{_NAME}){{0,2}})\}}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LINE_BREAK = re.compile(r"[\r\n\x00]")
_QUOTED_CONTEXT = {"string": "a string literal", "identifier": "a quoted identifier"}
_HINT = (
    "set each in [placeholders] in rung.toml (or [tool.rung.placeholders]) or as the "
    "environment variable named; write $${name} to keep `${name}` as written"
)


def key(name: str) -> str:
    """The name placeholders are matched by: case and `.` versus `_` do not matter."""
    return name.lower().replace(".", "_")


def env_variable(name: str) -> str:
    """The environment variable that sets placeholder `name`."""
    return ENV_PREFIX + key(name).upper()


# -- reading values: the config's tables and the environment --------------------------------
def read_settings(
    tables: Iterable[tuple[Mapping[str, object], str] | None], environ: Mapping[str, str]
) -> dict[str, str]:
    """Values from each table's `placeholders` (later tables win), then the environment."""
    values: dict[str, str] = {}
    for table in tables:
        if table is not None and "placeholders" in table[0]:
            values.update(_config_table(table[0]["placeholders"], f"{table[1]} [placeholders]"))
    values.update(_from_environment(environ))
    return values


def merged(base: Mapping[str, str], extra: Mapping[str, object], where: str) -> dict[str, str]:
    """`base` with `extra` (names as a user writes them) checked and laid over it."""
    return {**base, **_config_table(dict(extra), where)}


def _config_table(table: object, where: str) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table of names and values", hint=_TABLE_HINT)
    values: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, value in _flatten(table):
        if not _NAME_ONLY.match(name):
            raise ConfigError(
                f"{where}: {name!r} is not a placeholder name",
                hint="names are letters, digits, `_` and `.`, and start with a letter or `_`",
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ConfigError(
                f"{where}: {name} must be a string or a number, not {type(value).__name__}",
                hint=f'quote it: {name} = "..."',
            )
        canonical = key(name)
        if canonical in seen:
            raise ConfigError(
                f"{where}: {seen[canonical]!r} and {name!r} are the same placeholder",
                hint="placeholder names ignore case, and `.` counts as `_`; keep one of them",
            )
        seen[canonical] = name
        values[canonical] = _checked(str(value), f"{where} {name}")
    return values


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """TOML reads `schema.name = "x"` as a nested table; it names placeholder `schema.name`."""
    for name, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def _from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    values = {}
    for variable, value in environ.items():
        if not variable.startswith(ENV_PREFIX):
            continue
        name = variable[len(ENV_PREFIX) :]
        if not _ENV_NAME.match(name):
            raise ConfigError(
                f"environment variable {variable}: {name!r} is not a placeholder name",
                hint=f"name it {ENV_PREFIX}<NAME>, with letters, digits and `_`",
            )
        values[key(name)] = _checked(value, f"environment variable {variable}")
    return values


def _checked(value: str, where: str) -> str:
    if _LINE_BREAK.search(value):
        raise ConfigError(
            f"{where}: a placeholder value must be one line, without NUL characters",
            hint="line breaks in a value would shift the lines rung reports; put multi-line "
            "SQL in the migration itself",
        )
    return value


_TABLE_HINT = 'e.g. [placeholders] then schema = "app" on the next line'


# -- substitution ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Found:
    """One `${...}` in a script."""

    start: int
    end: int
    written: str  # as the file writes it, without the escaping `$`: "${ident:schema}"
    escape: bool
    kind: str  # "", "ident" or "literal"
    name: str  # as written: "schema", "rung:table"
    problem: str | None = None  # a malformed kind or built-in


@dataclass
class Placeholders:
    """How one run (or one lint) replaces placeholders: the values, and the database's quoting.

    `lenient` (lint, check) puts a neutral token where a value is missing, and collects
    the other problems in `problems` instead of raising: lint never connects, and unset
    values are for `rung up` to refuse.
    """

    values: Mapping[str, str]
    flavour: str
    quote_ident: Callable[[str], str]
    quote_literal: Callable[[str], str]
    built_ins: Mapping[str, Callable[[], str | None]] = field(default_factory=dict)
    enabled: bool = True
    lenient: bool = False
    problems: list[str] = field(default_factory=list, init=False)  # when lenient
    _done: dict[int, tuple[Script, str]] = field(default_factory=dict, init=False, repr=False)

    def prepare(self, scripts: Iterable[Script]) -> None:
        """Substitute every script now, so that every problem of every file is reported at
        once, before anything runs."""
        problems: list[str] = []
        unset: dict[str, str] = {}  # name -> its environment variable, for the hint
        for script in scripts:
            if id(script) in self._done:
                continue
            text, found = self._substitute(script)
            problems += [problem for problem, _ in found]
            unset.update(name for _, name in found if name[0])
            if not found or self.lenient:
                self._done[id(script)] = (script, text)
        if self.lenient:
            self.problems += problems
        elif problems:
            names = ", ".join(f"{name} ({variable})" for name, variable in unset.items())
            hint = f"{names}: {_HINT}" if names else "fix the placeholders listed"
            raise InvalidMigrations(
                f"{len(problems)} placeholder problem(s); nothing was run",
                details=problems,
                hint=hint,
            )

    def text(self, script: Script) -> str:
        """The script's text with its placeholders replaced."""
        if id(script) not in self._done:
            self.prepare([script])
        return self._done[id(script)][1]

    def substituted(self, script: Script) -> Script:
        """The script with its placeholders replaced (itself when there are none)."""
        text = self.text(script)
        return script if text is script.text else replace(script, text=text)

    def mapping(self) -> Mapping[str, str]:
        """Every value by name, built-ins included, for Python migrations."""
        values = dict(self.values)
        for name, compute in self.built_ins.items():
            if (value := compute()) is not None:
                values[name] = value
        return MappingProxyType(values)

    # -- one script -----------------------------------------------------------------------
    def _substitute(self, script: Script) -> tuple[str, list[tuple[str, tuple[str, str]]]]:
        """The new text, and each problem with the (name, variable) it leaves unset."""
        if not self.enabled or "${" not in script.text:
            return script.text, []
        text = script.text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        found = [_parse(match) for match in _TOKEN.finditer(text)]
        contexts = self._contexts(text, script, found)
        parts, problems, pos = [], [], 0
        for item, context in zip(found, contexts, strict=True):
            where = f"{script.path}:{script.first_line + text.count(chr(10), 0, item.start)}"
            value, problem, unset = self._render(item, context, script.path)
            if problem:
                problems.append((f"{where}: {problem}", unset))
            parts += [text[pos : item.start], value]
            pos = item.end
        parts.append(text[pos:])
        return "".join(parts), problems

    def _render(
        self, item: _Found, context: _Context, path: Path
    ) -> tuple[str, str | None, tuple[str, str]]:
        """(replacement, problem, (unset name, its variable) or ("", ""))."""
        none = ("", "")
        if item.escape:
            return item.written, None, none
        if item.problem:
            return item.written, item.problem, none
        if item.kind and context.quoted:
            where = _QUOTED_CONTEXT[context.quoted]
            return item.written, _inside_quotes(item, where), none
        value = self._value(item.name, path)
        if value is None:
            if self.lenient:
                return self._neutral(item), None, none
            return item.written, _unset(item), _unset_name(item)
        if item.kind == "ident":
            if not value:
                return item.written, f"{item.written} is empty; an identifier cannot be", none
            value = self.quote_ident(value)
        elif item.kind == "literal":
            try:
                value = self.quote_literal(value)
            except ValueError as exc:  # the database cannot read this value back safely
                return item.written, f"the value of {item.written} cannot be quoted: {exc}", none
        problem = context.breaks(value) if item.kind else None
        return value, problem and f"the value of {item.written} {problem}", none

    def _value(self, name: str, path: Path) -> str | None:
        if name.lower() == "rung:filename":
            return path.name
        if name.lower().startswith("rung:"):
            compute = self.built_ins.get(name.lower())
            return compute() if compute else None
        return self.values.get(key(name))

    def _neutral(self, item: _Found) -> str:
        """A stand-in that parses where the value would: lint knows no value for it."""
        word = re.sub(r"\W", "_", item.name.lower())
        if item.kind == "ident":
            return self.quote_ident(word)
        if item.kind == "literal":
            return self.quote_literal(word)
        return "_" + word

    def _contexts(self, text: str, script: Script, found: list[_Found]) -> list[_Context]:
        """Where each placeholder stands: code, a quoted token, a comment, a dollar body.
        Only quoted kinds need to know, so a script without them is not scanned."""
        if not any(item.kind and not item.escape for item in found):
            return [_CODE] * len(found)
        masked = list(text)
        for item in found:  # the scanner sees a word where each placeholder stands
            masked[item.start : item.end] = "_" * (item.end - item.start)
        try:
            regions = _regions("".join(masked), self.flavour, script)
        except ScriptError:
            if not self.lenient:
                raise
            return [_CODE] * len(found)  # lint reports the unsplittable script itself
        return [_context_at(regions, item.start) for item in found]


@dataclass(frozen=True, slots=True)
class _Context:
    quoted: str | None = None  # "string" or "identifier" when inside one
    # What a value must not hold here: the `*/` of a block comment, the tag of a body.
    enders: tuple[tuple[str, str], ...] = ()  # (text, what it would end)

    def within(self, text: str, what: str) -> _Context:
        return _Context(self.quoted, (*self.enders, (text, what)))

    def breaks(self, value: str) -> str | None:
        """Why `value` would end the comment or body it stands in, if it would."""
        for text, what in self.enders:
            if text in value:
                return f"holds `{text}`, which would end the {what} it stands in"
        return None


_CODE = _Context()
_Region = tuple[int, int, str, tuple[Any, ...]]  # start, end, kind, regions inside (bodies)


def _regions(text: str, flavour: str, script: Script, offset: int = 0) -> list[_Region]:
    from rung.sqlsplit import regions

    found: list[_Region] = []
    for start, end, kind in regions(
        text, flavour, first_line=script.first_line, path=str(script.path)
    ):
        inner: tuple[Any, ...] = ()
        if kind == "comment" and text.startswith("/*", start):
            kind = "block"
        if kind == "dollar":
            tag = text[start : text.index("$", start + 1) + 1]
            body = text[start + len(tag) : end - len(tag)]
            inner = (tag, _body_regions(body, flavour, script, offset + start + len(tag)))
        found.append((offset + start, offset + end, kind, inner))
    return found


def _body_regions(body: str, flavour: str, script: Script, offset: int) -> tuple[_Region, ...]:
    """A function body is SQL too, scanned the same way; one that is not (PL/Python, or a
    plain dollar-quoted string) counts as code."""
    try:
        return tuple(_regions(body, flavour, script, offset))
    except ScriptError:
        return ()


def _context_at(regions: Iterable[_Region], at: int, outer: _Context = _CODE) -> _Context:
    for start, end, kind, inner in regions:
        if not start <= at < end:
            continue
        if kind == "dollar":
            tag, body = inner
            return _context_at(body, at, outer.within(tag, "dollar-quoted body"))
        if kind in _QUOTED_CONTEXT:
            return _Context(kind, outer.enders)
        if kind in ("block", "executable"):  # an executable comment is SQL, up to its */
            return outer.within("*/", "comment").within("/*", "comment")
        break  # a line comment: values hold no line break
    return outer


def _parse(match: re.Match[str]) -> _Found:
    """A `${...}` token: its kind and name, or what is wrong with it."""
    parts = match["body"].split(":")
    escape = bool(match["escape"])
    start, end = match.span()
    kind, rest = ("", parts)
    if len(parts) > 1 and parts[0].lower() in KINDS:
        kind, rest = parts[0].lower(), parts[1:]
    name = ":".join(rest)
    problem = None
    if len(rest) == 2 and rest[0].lower() == "rung":
        if rest[1].lower() not in BUILT_INS:
            known = ", ".join(f"rung:{b}" for b in BUILT_INS)
            problem = f"${{{match['body']}}}: unknown built-in placeholder (known: {known})"
    elif len(rest) > 1:
        problem = (
            f"${{{match['body']}}}: unknown placeholder kind {rest[0]!r} "
            "(known: ${name}, ${ident:name}, ${literal:name}, ${rung:…} built-ins)"
        )
    return _Found(
        start, end, match[0].removeprefix("$" if escape else ""), escape, kind, name, problem
    )


def _inside_quotes(item: _Found, where: str) -> str:
    return (
        f"{item.written} stands inside {where}, where its quoting would protect nothing; "
        f"put it in place of the whole {'literal' if item.kind == 'literal' else 'name'}, "
        f"or write ${{{item.name}}} for a trusted value inserted as written"
    )


def _unset(item: _Found) -> str:
    if item.name.lower().startswith("rung:"):
        return f"{item.written} has no value on this database"
    return f"placeholder {item.written} has no value"


def _unset_name(item: _Found) -> tuple[str, str]:
    if item.name.lower().startswith("rung:"):
        return ("", "")
    return key(item.name), env_variable(item.name)


# -- building one for a run or a lint ----------------------------------------------------------
def layout_format(settings: Settings) -> str:
    """The configured layout's name, as `layout_for` reads `format` and `pattern`."""
    return settings.format or ("pattern" if settings.pattern else "rung")


def enabled(settings: Settings, layout_format: str) -> bool:
    """`placeholder_replacement` if set, else whether the layout's own tool replaces them."""
    if settings.placeholder_replacement is not None:
        return settings.placeholder_replacement
    return layout_format in SUBSTITUTING_FORMATS


def for_database(
    settings: Settings, layout_format: str, dialect: Dialect, conn: Any
) -> Placeholders:
    """Placeholders for a run on `conn`, quoted as that session reads SQL."""

    def user() -> str | None:
        return dialect.url.username or dialect.current_user(conn)

    built_ins = {
        "rung:database": lambda: dialect.database_name,
        "rung:environment": lambda: settings.env,
        "rung:table": lambda: settings.history_table,
        "rung:user": user,
    }
    return Placeholders(
        _values(settings),
        dialect.flavour,
        dialect.quote,
        lambda value: dialect.quote_literal(value, conn),
        built_ins,
        enabled(settings, layout_format),
    )


def for_lint(settings: Settings, layout_format: str, dialect: str) -> Placeholders:
    """Placeholders for `rung lint`: known values, neutral tokens for the rest; quoted as the
    dialect linted as quotes, without connecting."""
    from rung.config import parse_url
    from rung.dialects import dialect_for

    quoting = dialect_for(parse_url(f"{dialect}://"))
    built_ins = {
        "rung:environment": lambda: settings.env,
        "rung:table": lambda: settings.history_table,
    }
    return Placeholders(
        _values(settings),
        quoting.flavour,
        quoting.quote,
        quoting.quote_literal,
        built_ins,
        enabled(settings, layout_format),
        lenient=True,
    )


def _values(settings: Settings) -> dict[str, str]:
    """The settings' values, checked again: Settings built in code skip the config's checks."""
    return _config_table(dict(settings.placeholders), "Settings.placeholders")
