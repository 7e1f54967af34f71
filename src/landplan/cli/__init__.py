"""The ``landplan`` command line: thin commands over the library.

Data goes to files or stdout, logs and progress to stderr. Exit codes: 0 success,
2 bad input or usage (one ``error: ...`` line, no traceback), 1 anything else.

- :mod:`~landplan.cli.app`: the typer app, its group and command classes, error handling,
  ``-v``/``-q`` and the progress bar;
- :mod:`~landplan.cli.options`: options shared by the commands and their checks;
- :mod:`~landplan.cli.text`: one-line messages and usage errors;
- the commands: :mod:`~landplan.cli.score` (rank, map, report, explain, run, demo),
  :mod:`~landplan.cli.allocate`, :mod:`~landplan.cli.analysis` (validate, weights,
  sensitivity). A new command is a function in one of them, registered below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from landplan.cli import allocate, analysis, score
from landplan.cli.app import app, command, handle_errors
from landplan.cli.options import CLASSIFICATIONS, FORMATS, SOLVERS
from landplan.cli.score import print_top
from landplan.cli.text import one_line, printable, usage_error_line

__all__ = [
    "CLASSIFICATIONS",
    "FORMATS",
    "SOLVERS",
    "app",
    "command",
    "handle_errors",
    "main",
    "one_line",
    "printable",
    "usage_error_line",
]

_print_top = print_top  # the name tests and earlier versions used

#: The commands, in the order of ``landplan --help``, with their name when not the function's.
COMMANDS: list[tuple[Callable[..., Any], str | None]] = [
    (score.rank, None),
    (score.map_, "map"),
    (score.report, None),
    (analysis.validate, None),
    (score.run, None),
    (score.demo, None),
    (allocate.allocate, None),
    (analysis.weights, None),
    (score.explain, None),
    (analysis.sensitivity, None),
    (analysis.compare, None),
]
for _func, _name in COMMANDS:
    command(name=_name)(_func)


def main() -> None:
    """Console-script entry point.

    SIGTERM is handled like Ctrl-C (SIGINT): the command stops, writers remove their
    temporary files, ``error: interrupted`` is printed and the exit code is 143
    (128 + SIGTERM; 130 for Ctrl-C).
    """
    import signal

    received: list[int] = []

    def _on_term(signum: int, _frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_term)
    try:
        app()
    except SystemExit as exc:
        if received and exc.code == 130:
            raise SystemExit(128 + signal.SIGTERM) from None
        raise
