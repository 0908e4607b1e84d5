"""What every command shares: one-line errors and warnings, progress, the archive in the context, options."""

from __future__ import annotations

import importlib
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from observer.core.errors import ObserverError
from observer.core.text import terminal_safe
from observer.storage import Archive, system
from observer.storage.paths import DataPaths

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    click.echo(f"observer: error: {terminal_safe(message)}", err=True)
    raise SystemExit(code)


def warn(message: str) -> None:
    """One warning line on stderr; what it quotes (a folder's name, a title) cannot drive the terminal."""
    click.echo(f"observer: warning: {terminal_safe(message)}", err=True)


class Progress:
    """A bar on stderr for long work over sessions: only on a terminal, and only once it has taken a second
    (a quick export prints nothing but its result)."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label = total, label
        self.done = 0
        self.began = time.monotonic()
        self.shown = sys.stderr.isatty()
        self.bar: Any = None

    def step(self) -> None:
        self.done += 1
        if not self.shown:
            return
        if self.bar is None:
            if time.monotonic() - self.began < 1.0:
                return
            self.bar = click.progressbar(length=self.total, label=self.label, file=sys.stderr).__enter__()
            self.bar.update(self.done)
        else:
            self.bar.update(1)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc_info)


class Context:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.archive = Archive(data_dir)
        self.paths = DataPaths(data_dir)


pass_context = click.make_pass_decorator(Context)

# A file named on the command line (a roster, a map, an output): never a folder.
A_FILE = click.Path(dir_okay=False, path_type=Path)


class Seconds(click.ParamType):
    """A number of seconds every command reads the same way: finite and within a range, else one line naming
    the option ("nan", "inf", "1e309" and a slice of a microsecond are not durations anyone means)."""

    name = "seconds"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "SECONDS"

    @property
    def range_words(self) -> str:
        return f"{self.low:g} to {self.high:g} seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float) and math.isfinite(value) and self.low <= value <= self.high:
            return value + 0.0  # -0.0 is 0 seconds, and printed so
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"'{value}' is not a number of seconds ({self.range_words})", param, ctx)
        if not math.isfinite(number):
            self.fail(f"'{value}' is not a finite number of seconds ({self.range_words})", param, ctx)
        if not self.low <= number <= self.high:
            self.fail(f"{number:g} is outside {self.range_words}", param, ctx)
        return number + 0.0  # "-0" is 0 seconds: never "-0.0" in what is printed or recorded


def seconds_option(*names: str, low: float, high: float, help: str, **options: Any) -> Callable[[F], F]:
    """An option of seconds; its help says the range taken."""
    kind = Seconds(low, high)
    return click.option(*names, type=kind, help=f"{help} ({kind.range_words})", **options)


def output_option(help: str, required: bool = False) -> Callable[[F], F]:
    """``-o FILE``: the file a command writes."""
    return click.option("-o", "--output", type=A_FILE, default=None, required=required, help=help)


def json_option(help: str = "Machine-readable output.") -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help)


class ObserverGroup(click.Group):
    """The command line's group: every failure of every command, a mistyped option or value as much as a
    damaged file, is one line on stderr and a non-zero exit; OBSERVER_DEBUG=1 shows the traceback.

    ``elsewhere`` names commands by ``"module:attribute"``: a module is imported only when one of its commands
    runs (or ``--help`` lists them), as Click's documentation suggests for command lines that load slowly."""

    def __init__(self, *args: Any, elsewhere: dict[str, str] | None = None, **options: Any) -> None:
        super().__init__(*args, **options)
        self.elsewhere = dict(elsewhere or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.elsewhere})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.elsewhere and cmd_name not in self.commands:
            module_name, _, attribute = self.elsewhere[cmd_name].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            # Not standalone: Click would print a usage block of three lines; the exceptions are handled here.
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            fail("interrupted")
        except click.ClickException as error:
            where = (
                f" (see: {error.ctx.command_path} --help)" if isinstance(error, click.UsageError) and error.ctx else ""
            )
            click.echo(f"observer: error: {terminal_safe(error.format_message())}{where}", err=True)
            raise SystemExit(error.exit_code) from None
        except (click.exceptions.Exit, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # The reader went away (``| head``): not an error worth a message.
            os.dup2(os.open(os.devnull, os.O_WRONLY | system.BINARY), sys.stdout.fileno())
            raise SystemExit(0) from None
        except ObserverError as error:
            fail(str(error))
        except OSError as error:
            fail(f"{error.filename or ''}: {error.strerror or error}".lstrip(": "))
        except Exception as error:  # the promise is: never a traceback
            if os.environ.get("OBSERVER_DEBUG"):
                raise
            fail(f"unexpected {type(error).__name__}: {error} (run with OBSERVER_DEBUG=1 for details)")


def load_sessions(context: Context, session_refs: tuple[str, ...]) -> list[Any]:
    sessions = []
    for reference in session_refs:
        session_id = context.archive.resolve(reference)
        data, warnings = context.archive.load_with_warnings(session_id)
        for warning in warnings:
            warn(warning)
        sessions.append(data)
    return sessions


def key_option(
    help: str = "Programme key: pseudonyms made from names under it (P-7F3A9C2B), the same in every "
    "archive; implies pseudonymising.",
) -> Callable[[F], F]:
    """``--key FILE``: the programme key (``observer key new``)."""
    return click.option("--key", "key_file", type=A_FILE, default=None, help=help)


def load_key(key_file: Path | None) -> Any:
    """The programme key of ``--key``, or None; a warning when others can read it."""
    if key_file is None:
        return None
    from observer.privacy.programme_key import loosely_kept, read_key_file

    key = read_key_file(key_file)
    if loosely_kept(key_file):
        warn(f"{key_file}: others can read this key (chmod 600 it): whoever holds it can re-identify everyone")
    return key
