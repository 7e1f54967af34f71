"""Options shared by the commands, their choices (from the scenario model) and their checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, get_args

import typer

from landplan.cli.text import param_name, printable
from landplan.config import AllocationSpec, ComputeSpec, OutputSpec

__all__ = [
    "CLASSIFICATIONS",
    "ENGINES",
    "FORMATS",
    "SOLVERS",
    "ClassificationOpt",
    "EngineOpt",
    "FormatOpt",
    "OverwriteOpt",
    "ScenarioArg",
    "SchedulerOpt",
    "SolverOpt",
    "at_least",
    "between",
    "existing_file",
    "one_of",
    "output_option",
    "top_option",
]

#: Choices of the options, from the scenario model's ``Literal`` types.
SOLVERS: tuple[str, ...] = get_args(AllocationSpec.model_fields["solver"].annotation)
CLASSIFICATIONS: tuple[str, ...] = get_args(OutputSpec.model_fields["classification"].annotation)
ENGINES: tuple[str, ...] = get_args(ComputeSpec.model_fields["engine"].annotation)
FORMATS: tuple[str, ...] = get_args(get_args(OutputSpec.model_fields["formats"].annotation)[0])

Check = Callable[[Any, Any, Any], Any]


def at_least(low: float) -> Check:
    """A typer callback refusing values below ``low``.

    Parameters
    ----------
    low : float
        The smallest value allowed.

    Returns
    -------
    callable
        ``check(ctx, param, value)`` returning ``value`` or raising ``typer.BadParameter``.
    """

    def check(_ctx: Any, param: Any, value: Any) -> Any:
        if value is not None and not value >= low:
            raise typer.BadParameter(f"{param_name(param)} must be >= {low:g} (got {value:g})")
        return value

    return check


def between(low: float, high: float) -> Check:
    """A typer callback refusing values outside ``low..high``.

    Parameters
    ----------
    low, high : float
        The range allowed, both ends included.

    Returns
    -------
    callable
        ``check(ctx, param, value)`` returning ``value`` or raising ``typer.BadParameter``.
    """

    def check(_ctx: Any, param: Any, value: Any) -> Any:
        if value is not None and not low <= value <= high:
            raise typer.BadParameter(f"{param_name(param)} must be between {low:g} and {high:g} (got {value:g})")
        return value

    return check


def one_of(choices: Sequence[str]) -> Check:
    """A typer callback refusing values not in ``choices``.

    Parameters
    ----------
    choices : Sequence[str]
        The values allowed.

    Returns
    -------
    callable
        ``check(ctx, param, value)`` returning ``value`` or raising ``typer.BadParameter``.
    """

    def check(_ctx: Any, param: Any, value: Any) -> Any:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{param_name(param)} must be one of {', '.join(choices)} (got {value!r})")
        return value

    return check


def existing_file(_ctx: Any, param: Any, value: Path | None) -> Path | None:
    """A typer callback refusing a path that is not a readable regular file.

    Parameters
    ----------
    _ctx : click.Context
        Unused.
    param : click.Parameter
        The argument or option, for the message.
    value : pathlib.Path or None
        The path given.

    Returns
    -------
    pathlib.Path or None
        ``value``.
    """
    if value is None:
        return value
    name, shown = param_name(param), printable(value)
    if not value.exists():
        raise typer.BadParameter(f"{name}: {shown}: no such file")
    if not value.is_file():
        raise typer.BadParameter(f"{name}: {shown} is not a regular file")
    try:
        with value.open("rb"):
            pass
    except OSError as exc:
        raise typer.BadParameter(f"{name}: {shown}: cannot be read ({exc.strerror})") from None
    return value


def _choice_help(choices: Sequence[str], default: str) -> str:
    return f"{', '.join(choices)} (default: {default})."


ScenarioArg = Annotated[
    Path,
    typer.Argument(help="Scenario TOML file.", metavar="SCENARIO", callback=existing_file, show_default=False),
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        metavar="vi|en",
        callback=one_of(["vi", "en"]),
        help="Language of the map, report and table headers (default: the scenario's [output] language).",
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        callback=one_of(FORMATS),
        help=_choice_help(FORMATS, "from the suffix of --output"),
    ),
]
ClassificationOpt = Annotated[
    str | None,
    typer.Option(
        "--classification",
        metavar="SCHEME",
        callback=one_of(CLASSIFICATIONS),
        help=_choice_help(CLASSIFICATIONS, "the scenario's [output] classification"),
    ),
]
SolverOpt = Annotated[
    str | None,
    typer.Option(
        "--solver",
        metavar="SOLVER",
        callback=one_of(SOLVERS),
        help=_choice_help(SOLVERS, "the scenario's [allocation] solver"),
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        metavar="ENGINE",
        callback=one_of(ENGINES),
        help=_choice_help(ENGINES, "the scenario's [compute] engine"),
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Score on an existing dask cluster, e.g. tcp://host:8786 (implies --engine dask; "
        "default: a local cluster started and closed by landplan).",
    ),
]


def top_option(help_text: str) -> Any:
    """A ``--top N`` option (N >= 1) with its own help text.

    Parameters
    ----------
    help_text : str
        What N counts, for ``--help``.

    Returns
    -------
    typer.models.OptionInfo
        For ``Annotated[int, top_option(...)]``.
    """
    return typer.Option("--top", metavar="N", callback=at_least(1), help=help_text)


def output_option(metavar: str, help_text: str) -> Any:
    """An ``--output``/``-o`` option.

    Parameters
    ----------
    metavar : str
        ``FILE`` or ``DIR``.
    help_text : str
        What is written there, for ``--help``.

    Returns
    -------
    typer.models.OptionInfo
        For ``Annotated[Path, output_option(...)]``.
    """
    return typer.Option("--output", "-o", metavar=metavar, help=help_text)
