"""The ``landplan`` typer app: its group and command classes, error handling, -v/-q and progress.

Data goes to files or stdout, logs and progress to stderr. Exit codes: 0 success,
2 bad input or usage (one ``error: ...`` line, no traceback), 1 anything else.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from landplan import __version__
from landplan.cli._click import click, get_current_context
from landplan.cli.text import err, one_line, param_name, usage_error_line
from landplan.errors import InputError, LandplanError

__all__ = ["LandplanCommand", "LandplanGroup", "app", "command", "handle_errors", "progress_bar"]

logger = logging.getLogger("landplan")
F = TypeVar("F", bound=Callable[..., Any])

_VERBOSITY_KEYS = ("verbose", "quiet")


class LandplanCommand(TyperCommand):
    """A subcommand that also accepts the global ``-v``/``-q`` after its name."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The command's own parameters, then ``-v``/``-q`` of the group, then ``--help``."""
        params: list[Any] = super().get_params(ctx)
        root = ctx.find_root().command if ctx.parent is not None else None
        shared = [p for p in getattr(root, "params", []) if p.name in _VERBOSITY_KEYS]
        return [*params[:-1], *shared, *params[-1:]] if params and shared else params

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse ``args``; usage errors of the parser carry this command's context (for the hint)."""
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.UsageError as exc:
            if exc.ctx is None:
                exc.ctx = ctx
            raise

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """``landplan rank [OPTIONS] SCENARIO`` (click's convention, not ``{SCENARIO}``)."""
        return [piece.removeprefix("{").removesuffix("}") for piece in super().collect_usage_pieces(ctx)]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """Arguments by their metavar alone (no ``<path>`` type), then the options."""
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                sections["Arguments"].append((param_name(param), record[1]))
            else:
                sections["Options"].append(record)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class LandplanGroup(TyperGroup):
    """The ``landplan`` group: usage errors become one ``error:`` line and exit 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the CLI; in standalone mode, print usage errors on one line and exit 2."""
        prog_name = prog_name or "landplan"
        extra["windows_expand_args"] = windows_expand_args
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            typer.echo(exc.format_message(), err=True)
            sys.exit(2)
        except click.exceptions.UsageError as exc:
            err(usage_error_line(exc))
            sys.exit(2)
        except click.exceptions.ClickException as exc:
            err(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            err("aborted")
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    name="landplan",
    cls=LandplanGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=(
        "Score, rank and map candidate land for workers' social housing near industrial zones.\n\n"
        "-v/-q work before or after the command name; 'landplan COMMAND --help' lists its options."
    ),
)
#: ``@command()`` registers a function as a ``landplan`` subcommand (accepting -v/-q too).
command = functools.partial(app.command, cls=LandplanCommand)


def handle_errors(func: F) -> F:
    """Turn library errors into ``error: ...`` on stderr and the right exit code.

    Bad input (:class:`~landplan.errors.InputError`, usage errors) exits 2, other library
    errors 1, Ctrl-C 130; an unexpected error prints its traceback only with ``-v``.

    Parameters
    ----------
    func : callable
        A command function.

    Returns
    -------
    callable
        ``func`` wrapped.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.exceptions.UsageError as exc:
            err(usage_error_line(exc, get_current_context(silent=True)))
            raise typer.Exit(code=2) from None
        except (typer.Exit, typer.Abort, SystemExit, typer.TyperException):
            raise
        except InputError as exc:
            err(str(exc))
            raise typer.Exit(code=2) from None
        except LandplanError as exc:
            err(str(exc))
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            err("interrupted")
            raise typer.Exit(code=130) from None
        except BrokenPipeError:
            _silence_stdout()  # the reader went away (``| head``): stop quietly, like other Unix tools
            raise typer.Exit(code=1) from None
        except Exception as exc:
            _unexpected(exc)
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def _unexpected(exc: Exception) -> None:
    """Report a bug: one ``error:`` line, after the traceback with ``-v``."""
    detail = one_line(exc)
    if logger.isEnabledFor(logging.INFO):
        logger.info("traceback of the unexpected error", exc_info=True)
        err(f"unexpected {type(exc).__name__}: {detail} (traceback above)")
    else:
        err(f"unexpected {type(exc).__name__}: {detail} (run with -v for the traceback)")


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (tests capture stdout)
        pass


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"landplan {__version__}")
        raise typer.Exit


def _set_verbosity(ctx: Any, param: Any, value: int) -> int:
    """Add ``-v``/``-q`` counts (before or after the subcommand) and set the log level."""
    meta = ctx.find_root().meta
    meta[f"landplan.{param.name}"] = meta.get(f"landplan.{param.name}", 0) + (value or 0)
    steps = meta.get("landplan.verbose", 0) - meta.get("landplan.quiet", 0)
    level = max(logging.DEBUG, min(logging.CRITICAL, logging.WARNING - 10 * steps))
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    logging.captureWarnings(True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(FINDINGS_LANGUAGE)
    return value


class _FindingsLanguage(logging.Filter):
    """Writes the validation findings that ``load`` logs in the run's language (``set_language``)."""

    lang = "en"

    def filter(self, record: logging.LogRecord) -> bool:
        from landplan.validation import Finding

        args = record.args
        if self.lang != "en" and isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], Finding):
            from landplan.outputs.i18n import finding_text, translator

            tr = translator(self.lang)
            record.args = (finding_text(args[0], tr, level=False),)
            record.levelname = {"WARNING": tr("warning"), "INFO": tr("info"), "ERROR": tr("error")}.get(
                record.levelname, record.levelname
            ).upper()
        return True


FINDINGS_LANGUAGE = _FindingsLanguage()


def set_language(lang: str) -> None:
    """Log this run's validation findings in ``lang`` (the scenario's ``[output] language`` or ``--lang``).

    Parameters
    ----------
    lang : {"en", "vi"}
        Language code.
    """
    FINDINGS_LANGUAGE.lang = lang


@app.callback()
def main_callback(
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            expose_value=False,
            show_default=False,
            callback=_set_verbosity,
            help="More log output: -v info and tracebacks of unexpected errors, -vv debug (repeatable).",
        ),
    ] = 0,
    quiet: Annotated[
        int,
        typer.Option(
            "--quiet",
            "-q",
            count=True,
            expose_value=False,
            show_default=False,
            callback=_set_verbosity,
            help="Less log output: -q errors only, no progress bar (repeatable).",
        ),
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Score, rank and map candidate land for workers' social housing.

    -v/-q work before or after the command name.
    """


@contextmanager
def progress_bar() -> Iterator[Callable[[float, str], None]]:
    """A rich progress bar on stderr, only on a terminal and unless quiet (``-q``).

    Yields
    ------
    callable
        ``update(fraction, message)``, for the library's ``progress`` parameter.
    """
    if logging.getLogger().level > logging.WARNING or not sys.stderr.isatty():
        yield lambda _f, _m: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=1.0)

        def update(frac: float, message: str) -> None:
            bar.update(task, completed=frac, description=message)

        yield update
