"""What the linter works with: rules, the context a rule sees, and the findings it reports.

All are frozen. The engine parses a migration once into `Parsed` statements, hands each
rule a `Context` (one statement) or a `MigrationContext` (the whole migration), and turns
the `Hit`s the rule yields into `Finding`s with a file position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung.model import Migration, Statement

if TYPE_CHECKING:
    from sqlglot import exp

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)
DIALECTS = ("postgresql", "mysql", "mariadb", "sqlite")

Version = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place: `path:line:column  rule  severity  message`, and what to do."""

    path: str
    line: int
    column: int
    rule: str
    severity: str
    message: str
    hint: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """One statement of a script, parsed by sqlglot (or not), with where and how it runs."""

    index: int  # position in its script
    statement: Statement
    column: int  # 1-based column of the statement's first character
    expression: exp.Expression | None  # None when sqlglot cannot parse it
    words: str  # the statement upper-cased, comments removed, whitespace collapsed
    transaction: int | None  # which transaction it runs in; None: none (autocommit)
    error: str | None = None  # the parser's message when expression is None
    error_at: tuple[int, int] | None = None  # file line and column the parser points at

    @property
    def in_transaction(self) -> bool:
        return self.transaction is not None


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule reports: the hazard, and where (a node, a statement, or a line)."""

    message: str
    node: exp.Expression | None = None  # narrows the position within the statement
    parsed: Parsed | None = None  # the statement, for migration-wide rules
    at: tuple[int, int] | None = None  # an explicit file line and column


@dataclass(frozen=True)
class MigrationContext:
    """Everything a migration-wide rule may know: nothing here needs a database."""

    migration: Migration
    dialect: str  # postgresql | mysql | mariadb | sqlite
    version: Version | None  # target server version; None: a current one
    statements: tuple[Parsed, ...]  # the up script
    down: tuple[Parsed, ...] | None  # the down script; None when there is no down

    def below(self, *version: int) -> bool:
        """True when the target server version is known and older than `version`."""
        return self.version is not None and self.version < version


@dataclass(frozen=True)
class Context:
    """What a statement rule sees: one statement, and what came before it in the migration."""

    expression: exp.Expression | None
    statement: Statement
    migration: Migration
    in_transaction: bool
    dialect: str
    version: Version | None
    down: tuple[Parsed, ...] | None
    parsed: Parsed
    before: tuple[Parsed, ...]  # earlier statements of the same up script
    after: tuple[Parsed, ...]  # later statements of the same up script
    created: frozenset[str]  # tables the earlier statements create: they hold no old data

    def below(self, *version: int) -> bool:
        return self.version is not None and self.version < version


Check = Callable[[Any], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str  # stable kebab-case id, used in output, allows and config
    title: str
    severity: str  # default severity: error | warning
    dialects: tuple[str, ...]
    hint: str  # what to do, shown under every finding
    check: Check
    scope: str  # "statement": check(Context); "migration": check(MigrationContext)
    family: str  # the module that defines it
