"""The group, the options every command takes, and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from rung import __version__
from rung.config import CONFIG_FILE, load_settings, redact
from rung.errors import (
    EXIT_CODES,
    Interrupted,
    RungError,
    UsageError,
)
from rung.model import Version, parse_version

_EXIT_CODE_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code:>3}  {meaning}" for code, meaning in sorted(EXIT_CODES.items())
)

_COMMON = ("database", "directory", "env", "config", "lock_timeout", "json_output", "quiet")


def _common_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command takes, before or after the command name."""
    options = [
        click.option(
            "-d",
            "--database",
            metavar="URL",
            help="Database URL (sqlite:///app.db, "
            "postgresql://user@host/db, mysql://user@host/db, any SQLAlchemy URL). "
            "Default: $RUNG_DATABASE_URL, $DATABASE_URL, then the config file.",
        ),
        click.option(
            "--dir",
            "directory",
            metavar="PATH",
            type=click.Path(file_okay=False),
            help="Migrations folder (default: ./migrations, or `directory` in the config).",
        ),
        click.option(
            "--env", metavar="NAME", help="Use the [env.NAME] settings of the config file."
        ),
        click.option(
            "--config",
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help=f"Config file (default: ./{CONFIG_FILE}, else [tool.rung] in ./pyproject.toml).",
        ),
        click.option(
            "--lock-timeout",
            type=float,
            metavar="SECONDS",
            help="How long to wait for another rung holding the migration lock (default 60).",
        ),
        click.option(
            "--json",
            "json_output",
            is_flag=True,
            default=None,
            help="Machine-readable output: a JSON document, or JSON lines for up/down.",
        ),
        click.option("-q", "--quiet", is_flag=True, default=None, help="Print only errors."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _command(function: Callable[..., Any]) -> Callable[..., Any]:
    """Merge common options given after the command with those given before it."""

    @_common_options
    @click.pass_context
    @wraps(function)
    def wrapper(ctx: click.Context, **kwargs: Any) -> Any:
        common = dict(ctx.obj or {})
        for key in _COMMON:
            value = kwargs.pop(key)
            if value is not None:
                common[key] = value
        ctx.obj = common
        return function(**kwargs)

    return wrapper


class _Context:
    """What a command needs: the settings, a reporter, and a Migrator wired to the reporter."""

    def __init__(self) -> None:
        from rung.report import reporter

        options = click.get_current_context().obj
        self.options = options
        self.json = bool(options.get("json_output"))
        self.reporter = reporter(json=self.json, quiet=bool(options.get("quiet")))

    def settings(self) -> Any:
        o = self.options
        return load_settings(
            database=o.get("database"),
            directory=o.get("directory"),
            env=o.get("env"),
            lock_timeout=o.get("lock_timeout"),
            config_file=o.get("config"),
        )

    def migrator(self) -> Any:
        from rung.api import Migrator

        return Migrator(settings=self.settings(), on_event=self._event)

    def _event(self, event: Any) -> None:
        # A reader that went away (`rung up | head`) must not stop a migration half-way.
        try:
            self.reporter.event(event)
        except BrokenPipeError:
            _silence_stdout()


def _silence_stdout() -> None:
    """Send the rest of standard output nowhere: its reader has closed the pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _run(body: Callable[[_Context], int | None]) -> None:
    """Run a command body; turn every failure into its message and documented exit code."""
    try:
        context = _Context()
    except RungError as error:
        _fallback_error(error)
        sys.exit(error.exit_code)
    try:
        code = body(context) or 0
    except RungError as error:
        context.reporter.error(error)
        code = error.exit_code
    except KeyboardInterrupt:
        context.reporter.error(Interrupted("interrupted; nothing more was run"))
        code = Interrupted.exit_code
    except BrokenPipeError:  # the reader of our output stopped reading: not an error here
        _silence_stdout()
        code = 0
    except Exception as exc:  # a bug in rung: show it, without secrets
        text = redact("".join(traceback.format_exception(exc)))
        context.reporter.error(
            RungError(
                f"unexpected {type(exc).__name__}: {redact(str(exc))}",
                details=text.rstrip().splitlines()[-12:],
                hint="this is a bug in rung; please report it with the details above",
            )
        )
        code = 1
    sys.exit(code)


def _fallback_error(error: RungError) -> None:
    click.echo(redact(f"error[{error.code}]: {error.message}"), err=True)
    if error.hint:
        click.echo(redact(f"  hint: {error.hint}"), err=True)


def _version(value: str | None) -> Version | None:
    if value is None:
        return None
    try:
        return parse_version(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a version (digits, e.g. 003 or 20261127103000)"
        ) from None


class _Rung(click.Group):
    """With --json, usage errors too come out as a JSON document."""

    def main(self, args: Any = None, **kwargs: Any) -> Any:
        argv = sys.argv[1:] if args is None else list(args)
        if "--json" not in argv:
            return super().main(args, **kwargs)
        try:
            return super().main(args, standalone_mode=False, **kwargs)
        except click.ClickException as error:
            from rung.report.json import JsonReporter

            JsonReporter().error(UsageError(error.format_message(), hint="see `rung --help`"))
            sys.exit(UsageError.exit_code)


@click.group(
    cls=_Rung, epilog=_EXIT_CODE_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@_common_options
@click.version_option(__version__, prog_name="rung")
@click.pass_context
def main(ctx: click.Context, **options: Any) -> None:
    """rung: plain, reviewable SQL and Python schema migrations, applied exactly once.

    \b
    Quick start:
      rung init                 create migrations/ and rung.toml
      rung new "add users"      create a migration file
      rung up                   apply what is pending
      rung status               see where the database stands
      rung down                 roll back the last migration
    """
    ctx.obj = {key: value for key, value in options.items() if value is not None}
