"""Settings: flags > environment > rung.toml > [tool.rung] in pyproject.toml.

Also the one place that understands database URLs and keeps passwords out of output.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from rung.errors import ConfigError

if TYPE_CHECKING:
    from rung.source.adapters import FlywayNaming

DEFAULT_DIRECTORY = "migrations"
DEFAULT_HISTORY_TABLE = "rung_history"
DEFAULT_LOCK_TIMEOUT = 60.0
CONFIG_FILE = "rung.toml"
URL_VARIABLES = ("RUNG_DATABASE_URL", "DATABASE_URL")

# Every password seen in a URL, so that output can be scrubbed of it at the last moment.
_SECRETS: set[str] = set()

_SCHEMES = {
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "postgresql+psycopg": "postgresql",
    "postgresql+psycopg2": "postgresql",
    "postgresql+psycopg3": "postgresql",
    "mysql": "mysql",
    "mysql+pymysql": "mysql",
    "mariadb": "mysql",
    "mariadb+pymysql": "mysql",
}
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed database URL. `family` picks the dialect: sqlite, postgresql, mysql or generic."""

    family: str
    text: str  # the URL as given, password included: never print it, print `redacted`
    parts: SplitResult | None = None
    path: str | None = None  # SQLite file, or ":memory:"

    @property
    def redacted(self) -> str:
        return redact(self.text)

    @property
    def username(self) -> str | None:
        return unquote(self.parts.username) if self.parts and self.parts.username else None

    @property
    def password(self) -> str | None:
        """From the URL's user info, or its `?password=` parameter."""
        if self.parts and self.parts.password:
            return unquote(self.parts.password)
        return self.query.get("password")

    @property
    def host(self) -> str | None:
        return self.parts.hostname if self.parts else None

    @property
    def port(self) -> int | None:
        return self.parts.port if self.parts else None

    @property
    def database(self) -> str | None:
        if not self.parts:
            return None
        return unquote(self.parts.path.lstrip("/")) or None

    @property
    def query(self) -> dict[str, str]:
        if not self.parts or not self.parts.query:
            return {}
        pairs = (item.split("=", 1) for item in self.parts.query.split("&") if item)
        return {unquote(key): unquote(value) for key, value in pairs}

    def with_database(self, name: str) -> DatabaseURL:
        """The same server and credentials, another database (tests and scratch databases)."""
        assert self.parts is not None, "a file database has no neighbours"
        return parse_url(urlunsplit(self.parts._replace(path="/" + name)))


def parse_url(text: str) -> DatabaseURL:
    text = text.strip()
    if not text:
        raise ConfigError("the database URL is empty", hint=_URL_HINT)
    if "://" not in text:
        if text.endswith(_SQLITE_SUFFIXES) or text == ":memory:":
            return DatabaseURL("sqlite", text, path=text)
        raise ConfigError(f"not a database URL: {redact(text)!r}", hint=_URL_HINT)
    scheme = text.split("://", 1)[0].lower()
    family = _SCHEMES.get(scheme)
    if family == "sqlite":
        rest = text.split("://", 1)[1]
        path = rest[1:] if rest.startswith("/") else rest
        path = path.split("?", 1)[0]
        return DatabaseURL("sqlite", text, path=path or ":memory:")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigError(
            f"malformed database URL {redact(text)!r}: {exc}", hint=_URL_HINT
        ) from None
    url = DatabaseURL(family or "generic", text, parts)
    for secret in (parts.password, url.password):
        if secret:
            _SECRETS.add(secret)
    return url


_URL_HINT = (
    "use a URL such as sqlite:///app.db, postgresql://user@host/db or mysql://user@host/db "
    "(any SQLAlchemy URL works when its driver is installed)"
)

_PASSWORD_IN_QUERY = re.compile(r"(?P<head>[?&]password=)(?P<pw>[^&\s#]*)", re.IGNORECASE)
# The password runs to the last "@" before the host, so it may itself contain "@".
_PASSWORD_IN_URL = re.compile(
    r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<pw>[^/\s]*)(?=@[^@/\s]*)"
)


def redact(text: str) -> str:
    """`text` with the password of every URL in it, and every password seen, replaced."""
    text = _PASSWORD_IN_URL.sub(lambda m: m.group("head") + "***", text)
    text = _PASSWORD_IN_QUERY.sub(lambda m: m.group("head") + "***", text)
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class LintSettings:
    """The [lint] table: rules to disable, severities to change, the server version targeted.

    Rule ids are checked by `rung lint`, which knows the rules; the shape is checked here.
    """

    disable: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()  # (rule id, "error" | "warning")
    target_version: str | None = None  # "15", "8.0.28", "10.6"
    source: str | None = None  # where the table came from, for error messages


@dataclass(frozen=True)
class Settings:
    database: str | None = None
    directory: Path = Path(DEFAULT_DIRECTORY)
    history_table: str = DEFAULT_HISTORY_TABLE
    history_schema: str | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    on_connect: str | None = None  # "package.module:function", called with each new connection
    fingerprint: bool = True  # record the schema's fingerprint after runs; warn when it changed
    lint: LintSettings = LintSettings()
    format: str | None = None  # migration file layout: rung (default), flyway, dbmate, ...
    pattern: str | None = None  # file-name regex with named groups; implies format "pattern"
    flyway: FlywayNaming | None = None  # the [flyway] table: Flyway's prefixes, separator, ...
    placeholders: dict[str, str] = field(default_factory=dict)  # name -> value, env over config
    placeholder_replacement: bool | None = None  # None: as the layout's own tool does
    env: str | None = None
    config_file: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)  # setting -> where it came from

    def url(self) -> DatabaseURL:
        if not self.database:
            raise ConfigError(
                "no database given",
                hint="pass --database URL, set RUNG_DATABASE_URL or DATABASE_URL, "
                "or set `database` in rung.toml (`rung init` writes one)",
            )
        return parse_url(self.database)


_KEYS = {
    "database",
    "directory",
    "history_table",
    "history_schema",
    "lock_timeout",
    "on_connect",
    "fingerprint",
    "lint",
    "format",
    "pattern",
    "flyway",
    "placeholders",
    "placeholder_replacement",
}
_LINT_KEYS = {"disable", "severity", "target_version"}
_VARIABLE = re.compile(r"\$\{(\w+)\}")
_SERVER_VERSION = re.compile(r"^\d+(?:\.\d+)*$")


def load_settings(
    *,
    database: str | None = None,
    directory: str | Path | None = None,
    env: str | None = None,
    lock_timeout: float | None = None,
    config_file: str | Path | None = None,
    cwd: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Merge every source of settings; the first that sets a value wins."""
    cwd = cwd or Path.cwd()
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    sources: dict[str, str] = {}

    def offer(key: str, value: object, source: str) -> None:
        if value is not None and key not in values:
            values[key] = value
            sources[key] = source

    offer("database", database, "--database")
    offer("directory", directory, "--dir")
    offer("lock_timeout", lock_timeout, "--lock-timeout")

    found = _find_config(cwd, config_file)
    env_table, base_table = _read_config(found, env) if found else (None, None)
    if env and env_table is None:
        raise ConfigError(
            f"no environment named {env!r}",
            hint=f"add an [env.{env}] table to rung.toml (or [tool.rung.env.{env}] in "
            "pyproject.toml)",
        )
    # An environment chosen with --env is as explicit as a flag: its URL beats the variables.
    if env_table is not None:
        offer("database", env_table[0].get("database"), env_table[1])
    for name in URL_VARIABLES:
        offer("database", environ.get(name) or None, f"${name}")
    for table, source in filter(None, (env_table, base_table)):
        for key, value in table.items():
            if key == "directory" and found:
                value = str(found.parent / str(value))
            offer(key, value, source)
    try:
        timeout = float(values.get("lock_timeout", DEFAULT_LOCK_TIMEOUT))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(
            f"lock_timeout must be a number of seconds ({sources['lock_timeout']})"
        ) from None
    database_url = str(values["database"]) if "database" in values else None
    if database_url and sources["database"].startswith(str(found)):
        database_url = _expand(database_url, sources["database"], environ)
    return Settings(
        database=database_url,
        directory=Path(str(values.get("directory", cwd / DEFAULT_DIRECTORY))),
        history_table=str(values.get("history_table", DEFAULT_HISTORY_TABLE)),
        history_schema=str(values["history_schema"]) if "history_schema" in values else None,
        lock_timeout=timeout,
        on_connect=str(values["on_connect"]) if "on_connect" in values else None,
        fingerprint=_fingerprint_setting(values, sources),
        lint=_lint_settings(values.get("lint"), sources.get("lint")),
        format=_layout_setting(values, sources, "format"),
        pattern=_layout_setting(values, sources, "pattern"),
        flyway=_flyway_setting(values, sources),
        placeholders=_placeholders(base_table, env_table, environ),
        placeholder_replacement=_placeholder_replacement(values, sources),
        env=env,
        config_file=found,
        sources=sources,
    )


def _find_config(cwd: Path, explicit: str | Path | None) -> Path | None:
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path
    for name in (CONFIG_FILE, "pyproject.toml"):
        path = cwd / name
        if path.is_file():
            if name == "pyproject.toml" and b"[tool.rung" not in path.read_bytes():
                continue
            return path
    return None


_Table = tuple[dict[str, object], str]  # settings, and where they come from


def _read_config(path: Path, env: str | None) -> tuple[_Table | None, _Table]:
    """The [env.NAME] table chosen (if any) and the file's top-level settings."""
    import tomllib  # only where a project has a configuration file (start-up time)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", hint="fix the TOML syntax") from None
    prefix = ""
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("rung", {})
        prefix = "tool.rung."
    environments = data.pop("env", {})
    base_source = f"{path} [{prefix.rstrip('.')}]" if prefix else str(path)
    base = (_check_table(data, base_source), base_source)
    if not env or env not in environments:
        return None, base
    env_source = f"{path} [{prefix}env.{env}]"
    return (_check_table(environments[env], env_source), env_source), base


def _check_table(table: dict[str, object], source: str) -> dict[str, object]:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting {', '.join(map(repr, unknown))}",
            hint=f"known settings: {', '.join(sorted(_KEYS))}",
        )
    return dict(table)


def _layout_setting(values: dict[str, object], sources: dict[str, str], key: str) -> str | None:
    """`format` or `pattern`, checked together: a known format, a regex with a version group."""
    from rung.source.adapters import layout_for

    for name in ("format", "pattern"):
        if name in values and not isinstance(values[name], str):
            raise ConfigError(f"{sources[name]}: `{name}` must be a string")
    try:
        layout_for(values.get("format"), values.get("pattern"))  # type: ignore[arg-type]
    except ConfigError as exc:
        where = sources.get("pattern") or sources.get("format")
        raise ConfigError(f"{where}: {exc.message}", hint=exc.hint) from None
    value = values.get(key)
    return str(value) if value is not None else None


def _flyway_setting(values: dict[str, object], sources: dict[str, str]) -> FlywayNaming | None:
    """The [flyway] table, checked, and read with format = "flyway" only."""
    if "flyway" not in values:
        return None
    from rung.source.adapters import FlywayNaming, layout_for

    where = f"{sources['flyway']} [flyway]"
    naming = FlywayNaming.from_table(values["flyway"], where)
    try:
        layout_for(values.get("format"), values.get("pattern"), flyway=naming)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}", hint=exc.hint) from None
    return naming


def _placeholders(
    base: _Table | None, env: _Table | None, environ: dict[str, str]
) -> dict[str, str]:
    """[placeholders], then [env.NAME.placeholders] over it, then RUNG_PLACEHOLDER_<NAME>."""
    tables = [table for table in (base, env) if table is not None and "placeholders" in table[0]]
    if not tables and not any(name.startswith("RUNG_PLACEHOLDER_") for name in environ):
        return {}  # most projects have none: no need to load the module at start-up
    from rung.placeholders import read_settings

    return read_settings((base, env), environ)


def _placeholder_replacement(values: dict[str, object], sources: dict[str, str]) -> bool | None:
    value = values.get("placeholder_replacement")
    if value is not None and not isinstance(value, bool):
        raise ConfigError(
            f"{sources['placeholder_replacement']}: `placeholder_replacement` must be true or false"
        )
    return value


def _lint_settings(table: object, source: str | None) -> LintSettings:
    if table is None:
        return LintSettings()
    where = f"{source} [lint]"
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: `lint` must be a table", hint="write it as [lint]")
    unknown = sorted(set(table) - _LINT_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {', '.join(map(repr, unknown))}",
            hint=f"known lint settings: {', '.join(sorted(_LINT_KEYS))}",
        )
    disable = table.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(item, str) for item in disable):
        raise ConfigError(
            f"{where}: disable must be a list of rule ids", hint='e.g. disable = ["serial-column"]'
        )
    severity = table.get("severity", {})
    if not isinstance(severity, dict) or not all(
        value in ("error", "warning") for value in severity.values()
    ):
        raise ConfigError(
            f'{where}: severity must map rule ids to "error" or "warning"',
            hint='e.g. severity = { "drop-table" = "warning" }',
        )
    version = table.get("target_version")
    if version is not None and not _SERVER_VERSION.match(str(version)):
        raise ConfigError(
            f"{where}: target_version {version!r} is not a server version",
            hint='e.g. target_version = "15" (PostgreSQL) or "8.0.28" (MySQL)',
        )
    return LintSettings(
        tuple(disable),
        tuple(sorted(severity.items())),
        str(version) if version is not None else None,
        source,
    )


def _expand(value: str, source: str, environ: dict[str, str]) -> str:
    """Replace ${NAME} with the environment variable, so config files need hold no password."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise ConfigError(f"{source}: environment variable {name} is not set")
        return environ[name]

    return _VARIABLE.sub(lookup, value)


def _fingerprint_setting(values: dict[str, object], sources: dict[str, str]) -> bool:
    value = values.get("fingerprint", True)
    if not isinstance(value, bool):
        raise ConfigError(
            f"{sources['fingerprint']}: `fingerprint` must be true or false, not {value!r}"
        )
    return value


def connection_hook(settings: Settings) -> Callable[[Any, str], None] | None:
    """The `on_connect` function, imported from the config file's folder or the current one."""
    if not settings.on_connect:
        return None
    module_name, _, function_name = settings.on_connect.partition(":")
    if not module_name or not function_name:
        raise ConfigError(
            f"on_connect = {settings.on_connect!r} is not of the form 'package.module:function'"
        )
    folder = str(settings.config_file.parent if settings.config_file else Path.cwd())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"on_connect = {settings.on_connect!r} cannot be loaded: {exc}",
            hint="the module must be importable from the config file's folder or installed",
        ) from None
    return function
