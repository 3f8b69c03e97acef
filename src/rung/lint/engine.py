"""Runs the rules over migrations: parse each once, check, drop what allows silence, locate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rung.config import LintSettings, parse_url
from rung.errors import ConfigError
from rung.lint import allow, rules  # noqa: F401 - importing them registers the rules
from rung.lint.model import DIALECTS, Context, Finding, Hit, MigrationContext, Parsed, Rule
from rung.lint.parse import node_position, parse_script, quiet_sqlglot
from rung.lint.registry import RULES
from rung.lint.sql import created_tables
from rung.model import Migration, Script


@dataclass(frozen=True)
class _Options:
    disabled: frozenset[str] = frozenset()
    severity: tuple[tuple[str, str], ...] = ()
    version: tuple[int, ...] | None = None


def lint(
    migrations: Iterable[Migration], *, dialect: str, settings: LintSettings | None = None
) -> list[Finding]:
    """Findings for the up scripts of `migrations` (Python migrations are skipped), in
    migration order, then by position. Nothing connects to a database."""
    if dialect not in DIALECTS:
        raise ConfigError(
            f"rung lint does not know the dialect {dialect!r}",
            hint=f"use one of {', '.join(DIALECTS)}",
        )
    options = _options(settings)
    # The dialect's capabilities, without connecting: its statement splitter, and whether
    # the runner wraps migrations in a transaction there.
    from rung.dialects import dialect_for

    capabilities = dialect_for(parse_url(f"{dialect}://"))
    enabled = [r for r in RULES.values() if dialect in r.dialects and r.id not in options.disabled]
    findings: list[Finding] = []
    with quiet_sqlglot():
        for migration in migrations:
            if migration.up is None:
                continue
            scope = _scope(
                migration, dialect, options, capabilities.flavour, capabilities.transactional_ddl
            )
            findings += _check(scope, enabled, dict(options.severity))
    return findings


def _scope(
    migration: Migration, dialect: str, options: _Options, flavour: str, transactional_ddl: bool
) -> MigrationContext:
    def parse(script: Script) -> tuple[Parsed, ...]:
        return parse_script(
            script, dialect=dialect, flavour=flavour, transactional_ddl=transactional_ddl
        )

    assert migration.up is not None
    down = parse(migration.down) if migration.down is not None else None
    return MigrationContext(migration, dialect, options.version, parse(migration.up), down)


def _contexts(scope: MigrationContext) -> list[Context]:
    contexts = []
    for parsed in scope.statements:
        before = scope.statements[: parsed.index]
        contexts.append(
            Context(
                expression=parsed.expression,
                statement=parsed.statement,
                migration=scope.migration,
                in_transaction=parsed.in_transaction,
                dialect=scope.dialect,
                version=scope.version,
                down=scope.down,
                parsed=parsed,
                before=before,
                after=scope.statements[parsed.index + 1 :],
                created=frozenset(created_tables(before)),
            )
        )
    return contexts


def _check(scope: MigrationContext, enabled: list[Rule], severity: dict[str, str]) -> list[Finding]:
    up = scope.migration.up
    assert up is not None
    contexts = _contexts(scope)
    found = allow.allows(up, scope.statements)
    findings = []
    for rule in enabled:
        hits: list[tuple[Hit, Parsed | None]] = []
        if rule.scope == "migration":
            hits += [(hit, hit.parsed) for hit in _run(rule, scope, None)]
        else:
            for ctx in contexts:
                hits += [(hit, hit.parsed or ctx.parsed) for hit in _run(rule, ctx, ctx.parsed)]
        for hit, parsed in hits:
            if parsed is not None and allow.silenced(found, parsed, rule.id):
                continue
            line, column = _position(hit, parsed)
            level = severity.get(rule.id, rule.severity)
            findings.append(
                Finding(str(up.path), line, column, rule.id, level, hit.message, rule.hint)
            )
    findings.sort(key=lambda f: (f.line, f.column, f.rule))
    return findings


def _run(rule: Rule, ctx: Context | MigrationContext, parsed: Parsed | None) -> list[Hit]:
    """The rule's hits; a rule that fails on odd SQL says so instead of stopping the lint."""
    try:
        return list(rule.check(ctx))
    except Exception as exc:  # a bug in the rule: report it where it happened, keep going
        message = (
            f"could not check this statement for {rule.id} ({type(exc).__name__}: {exc}); "
            "this is a bug in rung, please report it"
        )
        return [Hit(message, parsed=parsed)]


def _position(hit: Hit, parsed: Parsed | None) -> tuple[int, int]:
    if hit.at is not None:
        return hit.at
    if parsed is None:
        return 1, 1
    if hit.node is not None:
        return node_position(parsed, hit.node)
    return parsed.statement.line, parsed.column


def _options(settings: LintSettings | None) -> _Options:
    """Check the [lint] settings against the registered rules."""
    if settings is None:
        return _Options()
    where = f"{settings.source} [lint]" if settings.source else "[lint]"
    for rule_id in (*settings.disable, *dict(settings.severity)):
        if rule_id not in RULES:
            raise ConfigError(
                f"{where}: unknown rule {rule_id!r}",
                hint="rule ids are listed in docs/lint.md and by `rung lint --format sarif`",
            )
    version = None
    if settings.target_version:
        version = tuple(int(part) for part in settings.target_version.split("."))
    return _Options(frozenset(settings.disable), tuple(dict(settings.severity).items()), version)
