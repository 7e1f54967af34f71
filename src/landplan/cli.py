"""The ``landplan`` command line: thin commands over the library.

Data goes to files or stdout, logs and progress to stderr. Exit codes: 0 success,
2 bad input or usage (one ``error: ...`` line, no traceback), 1 anything else.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args

import typer
from typer.core import TyperCommand, TyperGroup

from landplan import __version__
from landplan.config import AllocationSpec, OutputSpec

try:  # recent typer vendors its own copy of click
    from typer import _click as click
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer runs on click itself
    import click  # type: ignore[no-redef]
    from click import get_current_context  # type: ignore[no-redef]

logger = logging.getLogger("landplan")
F = TypeVar("F", bound=Callable[..., Any])

#: Choices of the options, from the scenario model's ``Literal`` types.
SOLVERS: tuple[str, ...] = get_args(AllocationSpec.model_fields["solver"].annotation)
CLASSIFICATIONS: tuple[str, ...] = get_args(OutputSpec.model_fields["classification"].annotation)
FORMATS: tuple[str, ...] = get_args(get_args(OutputSpec.model_fields["formats"].annotation)[0])

_VERBOSITY_KEYS = ("verbose", "quiet")


def one_line(text: object) -> str:
    """``text`` on one line: later lines joined with ``; ``, other control characters escaped.

    A message listing several problems stays one ``error:`` line, and no byte from a file
    name or a layer can move the cursor or start a new line on the user's terminal.
    """
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if not lines:
        return ""
    head, rest = lines[0], "; ".join(lines[1:])
    return printable(f"{head}{' ' if head.endswith(':') else '; '}{rest}" if rest else head)


def printable(text: object) -> str:
    """``text`` with every control character (newline, escape...) shown as a Python escape."""
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in str(text))


def _err(message: object) -> None:
    typer.echo(f"error: {one_line(message)}", err=True)


# --------------------------------------------------------------------------- usage errors
def _param_name(param: Any) -> str:
    """How the user typed (or should type) ``param``: ``--top``, ``SCENARIO``."""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")] or list(getattr(param, "opts", []))
    if getattr(param, "param_type_name", "") == "option" and opts:
        return opts[0]
    return str(getattr(param, "metavar", None) or getattr(param, "name", "") or "").upper()


def usage_error_line(exc: Exception, ctx: Any = None) -> str:
    """One line for a usage error: what is wrong, then where to read the usage.

    Parameters
    ----------
    exc
        A click/typer usage error (missing or bad parameter, unknown option or command).
    ctx
        The command context, when ``exc`` does not carry one.

    Returns
    -------
    str
        ``<what is wrong>; see '<command> --help'`` without the ``error:`` prefix.
    """
    ctx = getattr(exc, "ctx", None) or ctx
    param = getattr(exc, "param", None)
    message = str(getattr(exc, "message", "") or exc).strip().rstrip(".")
    extra = re.search(r"unexpected extra argument(?:s|\(s\))? \((.*)\)", message, flags=re.DOTALL)
    if extra:
        message = f"too many arguments: {printable(extra.group(1))} is not expected"
    if isinstance(exc, click.exceptions.MissingParameter) and param is not None:
        kind = "option" if param.param_type_name == "option" else "argument"
        message = f"missing {kind} {_param_name(param)}"
    elif isinstance(exc, click.exceptions.NoSuchOption):
        message = f"no such option {exc.option_name}"
        if exc.possibilities:
            message += f" (did you mean {' or '.join(sorted(exc.possibilities))}?)"
    elif isinstance(exc, click.exceptions.BadParameter):
        hint = exc.param_hint if isinstance(exc.param_hint, str) else None
        name = hint or (_param_name(param) if param is not None else "")
        if name and not message.startswith(name):
            message = f"{name}: {message}"
    elif message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    command = getattr(ctx, "command_path", None) or "landplan"
    return f"{message}; see '{command} --help'"


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
                sections["Arguments"].append((_param_name(param), record[1]))
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
            _err(usage_error_line(exc))
            sys.exit(2)
        except click.exceptions.ClickException as exc:
            _err(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            _err("aborted")
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
command = functools.partial(app.command, cls=LandplanCommand)


# --------------------------------------------------------------------------- option checks
def _at_least(low: float) -> Callable[[Any, Any, Any], Any]:
    def check(_ctx: Any, param: Any, value: Any) -> Any:
        if value is not None and not value >= low:
            raise typer.BadParameter(f"{_param_name(param)} must be >= {low:g} (got {value:g})")
        return value

    return check


def _between(low: float, high: float) -> Callable[[Any, Any, Any], Any]:
    def check(_ctx: Any, param: Any, value: Any) -> Any:
        if value is not None and not low <= value <= high:
            raise typer.BadParameter(f"{_param_name(param)} must be between {low:g} and {high:g} (got {value:g})")
        return value

    return check


def _one_of(choices: Sequence[str]) -> Callable[[Any, Any, Any], Any]:
    def check(_ctx: Any, param: Any, value: Any) -> Any:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{_param_name(param)} must be one of {', '.join(choices)} (got {value!r})")
        return value

    return check


def _existing_file(_ctx: Any, param: Any, value: Path | None) -> Path | None:
    if value is None:
        return value
    name, shown = _param_name(param), printable(value)
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


ScenarioArg = Annotated[
    Path,
    typer.Argument(help="Scenario TOML file.", metavar="SCENARIO", callback=_existing_file, show_default=False),
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")]


def handle_errors(func: F) -> F:
    """Turn library errors into ``error: ...`` on stderr and the right exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from landplan.errors import InputError, LandplanError

        try:
            return func(*args, **kwargs)
        except click.exceptions.UsageError as exc:
            _err(usage_error_line(exc, get_current_context(silent=True)))
            raise typer.Exit(code=2) from None
        except (typer.Exit, typer.Abort, SystemExit, typer.TyperException):
            raise
        except InputError as exc:
            _err(str(exc))
            raise typer.Exit(code=2) from None
        except LandplanError as exc:
            _err(str(exc))
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(code=130) from None
        except BrokenPipeError:
            _silence_stdout()  # the reader went away (``| head``): stop quietly, like other Unix tools
            raise typer.Exit(code=1) from None
        except Exception as exc:
            detail = one_line(exc)
            if logger.isEnabledFor(logging.INFO):
                logger.info("traceback of the unexpected error", exc_info=True)
                _err(f"unexpected {type(exc).__name__}: {detail} (traceback above)")
            else:
                _err(f"unexpected {type(exc).__name__}: {detail} (run with -v for the traceback)")
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


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
    return value


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
def _progress(enabled: bool) -> Iterator[Callable[[float, str], None]]:
    """A rich progress bar on stderr (only on a terminal and unless quiet)."""
    if not enabled or not sys.stderr.isatty():
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


def _show_progress() -> bool:
    return logging.getLogger().level <= logging.WARNING


def _print_top(ranked: Any, n: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    top = ranked[ranked["rank"].notna()].head(n)
    table = Table(title=f"Top {len(top)} parcels", show_lines=False)
    for col in ("rank", "parcel", "score", "area (ha)", "top drivers"):
        table.add_column(col, justify="right" if col in {"rank", "score", "area (ha)"} else "left")
    for pid, row in top.iterrows():
        table.add_row(
            str(row["rank"]),
            escape(str(pid)),  # data text is never rich markup
            f"{row['score']:.3f}",
            f"{row['area_m2'] / 10_000:.2f}",
            escape(str(row["top_drivers"])),
        )
    Console().print(table)


@command()
@handle_errors
def rank(
    scenario: ScenarioArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Output file (CSV to stdout if omitted).")
    ] = None,
    top: Annotated[
        int | None, typer.Option("--top", metavar="N", callback=_at_least(1), help="Only the N best eligible parcels.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            callback=_one_of(FORMATS),
            help=f"{', '.join(FORMATS)} (default: from the suffix of --output).",
        ),
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Score SCENARIO and write the ranked parcel list."""
    from landplan.config import load_scenario
    from landplan.io import check_output_path, scenario_inputs, table_for_csv, write_csv, write_table
    from landplan.pipeline import load_layers, score

    if output is None and fmt not in (None, "csv"):
        raise typer.BadParameter("only CSV can go to stdout; give --output for other formats", param_hint="--format")
    s = load_scenario(scenario)
    if output is not None:
        check_output_path(output, inputs=scenario_inputs(s), overwrite=overwrite)
    with _progress(_show_progress()) as progress:
        layers = load_layers(s, progress=lambda f, m: progress(0.5 * f, m))
        ranked = score(layers, progress=lambda f, m: progress(0.5 + 0.5 * f, m))
    selection = ranked[ranked["rank"].notna() & (ranked["rank"] <= top)] if top else ranked
    if output is not None:
        path = write_table(selection, output, format=fmt, overwrite=overwrite, inputs=scenario_inputs(s))
        typer.echo(f"wrote {len(selection)} parcels to {path}", err=True)
    elif top is not None and sys.stdout.isatty():
        _print_top(ranked, top)
    else:
        write_csv(table_for_csv(selection.reset_index()), sys.stdout, index=False)


@command(name="map")
@handle_errors
def map_(  # noqa: PLR0917 - typer maps options to parameters
    scenario: ScenarioArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="HTML file (or PNG with --png) to write.")
    ],
    top: Annotated[
        int, typer.Option("--top", metavar="N", callback=_at_least(1), help="Label the N best parcels.")
    ] = 20,
    offline: Annotated[
        bool, typer.Option("--offline", help="One self-contained HTML file, no network request.")
    ] = False,
    png: Annotated[bool, typer.Option("--png", help="A static PNG map for reports (matplotlib).")] = False,
    classification: Annotated[
        str | None,
        typer.Option(
            "--classification",
            metavar="SCHEME",
            callback=_one_of(CLASSIFICATIONS),
            help=f"{', '.join(CLASSIFICATIONS)} (default: the scenario's [output] classification).",
        ),
    ] = None,
    no_allocation: Annotated[bool, typer.Option("--no-allocation", help="Do not draw the allocation.")] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Score SCENARIO and write an interactive HTML map (or a static PNG)."""
    from landplan.config import load_scenario
    from landplan.io import check_output_path, scenario_inputs
    from landplan.pipeline import load_layers, score

    s = load_scenario(scenario)
    scheme = classification or s.output.classification
    check_output_path(output, inputs=scenario_inputs(s), overwrite=overwrite)
    with _progress(_show_progress()) as progress:
        layers = load_layers(s, progress=lambda f, m: progress(0.4 * f, m))
        ranked = score(layers, progress=lambda f, m: progress(0.4 + 0.3 * f, m))
        alloc = None
        if s.allocation is not None and not no_allocation:
            from landplan.allocation import allocate as run_allocation

            progress(0.75, "allocating")
            alloc = run_allocation(layers, ranked)
        progress(0.9, "drawing map")
        if png:
            from landplan.static_map import save_static_map

            save_static_map(ranked, layers, output, classification=scheme, top=top, allocation=alloc)
        else:
            from landplan.mapping import save_map, scenario_map

            m = scenario_map(
                ranked, layers, top=top, allocation=alloc, offline=offline or s.output.offline, classification=scheme
            )
            size = save_map(m, output, offline=offline or s.output.offline)
            logger.info("map size: %.1f MB", size / 1e6)
    typer.echo(f"wrote map to {output}", err=True)


@command()
@handle_errors
def report(
    scenario: ScenarioArg,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="HTML report to write.")],
    top: Annotated[
        int, typer.Option("--top", metavar="N", callback=_at_least(1), help="Parcels with score cards.")
    ] = 10,
    sensitivity_runs: Annotated[
        int,
        typer.Option(
            "--sensitivity-runs",
            metavar="N",
            callback=_at_least(0),
            help="Monte-Carlo runs for the sensitivity chart (0: none).",
        ),
    ] = 500,
    overwrite: OverwriteOpt = False,
) -> None:
    """Write one self-contained HTML report: inputs, validation, weights, top parcels, allocation, map."""
    from landplan.config import load_scenario
    from landplan.io import check_output_path, scenario_inputs
    from landplan.pipeline import load_layers, score
    from landplan.report import write_report

    s = load_scenario(scenario)
    check_output_path(output, inputs=scenario_inputs(s), overwrite=overwrite)
    with _progress(_show_progress()) as progress:
        layers = load_layers(s, progress=lambda f, m: progress(0.3 * f, m))
        ranked = score(layers, progress=lambda f, m: progress(0.3 + 0.2 * f, m))
        alloc = None
        if s.allocation is not None:
            from landplan.allocation import allocate as run_allocation

            progress(0.55, "allocating")
            alloc = run_allocation(layers, ranked)
        sens = None
        if sensitivity_runs:
            from landplan.scoring.sensitivity import monte_carlo

            progress(0.65, "sensitivity")
            values = ranked[[f"{c.name}_value" for c in s.criteria]].set_axis([c.name for c in s.criteria], axis=1)
            sens = monte_carlo(
                values, ranked.attrs["weights"], eligible=ranked["eligible"], runs=sensitivity_runs, top_k=top
            )
        progress(0.8, "writing report")
        write_report(output, layers, ranked, allocation=alloc, sensitivity=sens, top=top)
    typer.echo(f"wrote report to {output}", err=True)


@command()
@handle_errors
def validate(scenario: ScenarioArg) -> None:
    """Check SCENARIO's layers and print every problem, without scoring."""
    from landplan.pipeline import validate as run_validation

    report = run_validation(scenario)
    typer.echo(report.to_text())
    if not report.ok:
        first = report.errors[0]
        _err(f"{scenario}: {len(report.errors)} error(s) in the input layers (listed above), first: {first}")
        raise typer.Exit(code=2)


def _run_and_report(scenario: Path, out_dir: Path, overwrite: bool) -> None:
    from landplan.pipeline import run as run_pipeline

    with _progress(_show_progress()) as progress:
        result = run_pipeline(scenario, out_dir=out_dir, overwrite=overwrite, progress=progress)
    r = result.ranked
    typer.echo(
        f"scored {len(r)} parcels, {int(r['eligible'].sum())} eligible; working CRS {result.manifest['working_crs']}"
    )
    if result.allocation is not None:
        typer.echo(f"allocation: {result.allocation.summary()}")
    for key, path in result.outputs.items():
        typer.echo(f"  {key:<20} {path}")


@command()
@handle_errors
def run(
    scenario: ScenarioArg,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="DIR", help="Output folder.")],
    overwrite: OverwriteOpt = False,
) -> None:
    """Run the whole pipeline for SCENARIO: validate, score, write ranked lists, map and manifest."""
    _run_and_report(scenario, output, overwrite)


@command()
@handle_errors
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", metavar="DIR", help="Output folder.")] = Path(
        "landplan-demo"
    ),
    overwrite: OverwriteOpt = False,
) -> None:
    """Score the bundled Hanoi demo and write the ranked list and map into a folder."""
    from landplan import datasets

    scenario = datasets.demo_scenario()
    typer.echo(f"scenario: {scenario}")
    _run_and_report(scenario, output, overwrite)
    typer.echo(f"open {output / 'map.html'} in a browser to explore the result")


@command()
@handle_errors
def allocate(
    scenario: ScenarioArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="DIR", help="Folder for the allocation tables.")
    ] = None,
    solver: Annotated[
        str | None,
        typer.Option(
            "--solver",
            metavar="SOLVER",
            callback=_one_of(SOLVERS),
            help=f"{', '.join(SOLVERS)} (default: the scenario's [allocation] solver).",
        ),
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Allocate each zone's worker-housing demand to the best parcels (needs an [allocation] table)."""
    from landplan.allocation import allocate as run_allocation
    from landplan.config import AllocationSpec, load_scenario
    from landplan.errors import ConfigError
    from landplan.io import check_output_path, scenario_inputs
    from landplan.pipeline import ALLOCATION_FILES, load_layers, score, write_allocation_file

    s = load_scenario(scenario)
    spec = s.allocation or AllocationSpec()
    if solver is not None:
        spec = spec.model_copy(update={"solver": solver})
    if s.layers.zones is None:
        msg = f"{scenario}: allocation needs a [layers.zones] table"
        raise ConfigError(msg)
    names = ALLOCATION_FILES
    if output is not None:
        for name in names.values():
            check_output_path(output / name, inputs=scenario_inputs(s), overwrite=overwrite)
    with _progress(_show_progress()) as progress:
        layers = load_layers(s, progress=lambda f, m: progress(0.3 * f, m))
        ranked = score(layers, progress=lambda f, m: progress(0.3 + 0.3 * f, m))
        progress(0.6, "allocating")
        result = run_allocation(layers, ranked, spec=spec)
    typer.echo(result.summary())
    cols = ["demand_units", "allocated_units", "unmet_units", "unmet_share", "mean_commute_m", "land_ha", "sites"]
    table = result.zones[[c for c in ["name", *cols] if c in result.zones]]
    typer.echo(table.to_string(float_format=lambda v: f"{v:,.1f}"))
    if output is not None:
        for key, name in names.items():
            write_allocation_file(result, layers, key, output / name, overwrite=overwrite, inputs=scenario_inputs(s))
        typer.echo(f"wrote {', '.join(names.values())} to {output}", err=True)


@command()
@handle_errors
def weights(
    source: Annotated[
        Path,
        typer.Argument(
            help="Scenario TOML, or a TOML with `criteria` and `matrix` (AHP).",
            metavar="FILE",
            callback=_existing_file,
            show_default=False,
        ),
    ],
) -> None:
    """Print the weights and, for AHP, lambda_max, CI, RI and the consistency ratio."""
    import pydantic

    from landplan.config import WeightingSpec, _format_errors, load_scenario, read_toml
    from landplan.errors import ConfigError, InputError
    from landplan.scoring.weights import ahp, scenario_weights

    data = read_toml(source)
    if "scenario" in data:
        s = load_scenario(source)
        if s.weighting.method != "ahp":
            typer.echo(scenario_weights(s).to_text())
            return
        spec = s.weighting
    else:
        table = data.get("weighting", data)
        try:
            spec = WeightingSpec.model_validate({"method": "ahp", **{k: v for k, v in table.items() if k != "method"}})
        except (AttributeError, pydantic.ValidationError) as exc:
            detail = _format_errors(exc) if isinstance(exc, pydantic.ValidationError) else "not a table"
            msg = f"{source}: expected `criteria` and `matrix` (AHP), or a [weighting] table with them ({detail})"
            raise ConfigError(msg) from None
    assert spec.criteria is not None and spec.matrix is not None
    try:
        result = ahp(spec.matrix, spec.criteria, max_cr=spec.max_cr)
    except InputError as exc:
        msg = f"{source}: {exc}"
        raise ConfigError(msg) from None
    typer.echo("method: ahp")
    typer.echo(result.to_text())
    if not result.consistent:
        _err(f"{source}: CR = {result.cr:.3f} >= {result.max_cr:.2f}; {result.describe_worst()}")
        raise typer.Exit(code=2)


@command()
@handle_errors
def explain(
    scenario: ScenarioArg,
    parcel_id: Annotated[str, typer.Argument(help="Parcel id.", metavar="PARCEL_ID", show_default=False)],
) -> None:
    """Print the score card of one parcel: criteria, weights, contributions and constraints."""
    from landplan.explain import explain as make_card
    from landplan.pipeline import load_layers, score

    layers = load_layers(scenario)
    ranked = score(layers)
    typer.echo(make_card(layers, ranked, parcel_id).to_text())


@command()
@handle_errors
def sensitivity(  # noqa: PLR0917 - typer maps options to parameters
    scenario: ScenarioArg,
    runs: Annotated[
        int, typer.Option("--runs", metavar="N", callback=_at_least(1), help="Monte-Carlo weight draws.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Random seed.")] = 0,
    top: Annotated[
        int, typer.Option("--top", metavar="N", callback=_at_least(1), help="Size of the top list to test.")
    ] = 20,
    concentration: Annotated[
        float, typer.Option("--concentration", metavar="X", callback=_at_least(0.01), help="Dirichlet concentration.")
    ] = 50.0,
    delta: Annotated[
        float,
        typer.Option("--delta", metavar="X", callback=_between(0.01, 0.99), help="One-at-a-time change (0.2 = 20 %)."),
    ] = 0.2,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="DIR", help="Folder for CSV tables and the chart.")
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """How stable is the ranking when the weights move? One-at-a-time and Monte-Carlo analysis."""
    from landplan.config import load_scenario
    from landplan.errors import InputError
    from landplan.io import atomic_path, check_output_path, scenario_inputs, write_csv
    from landplan.pipeline import load_layers, score
    from landplan.scoring.sensitivity import monte_carlo, one_at_a_time, plot_rank_intervals

    s = load_scenario(scenario)
    targets = {}
    if output is not None:
        targets = {n: output / n for n in ("sensitivity_parcels.csv", "sensitivity_oat.csv", "sensitivity.png")}
        for path in targets.values():
            check_output_path(path, inputs=scenario_inputs(s), overwrite=overwrite)
    layers = load_layers(s)
    ranked = score(layers)
    if not ranked["eligible"].any():
        msg = (
            f"{scenario}: no eligible parcel, so no ranking to test; "
            "relax the constraints ([[constraints]] in the scenario; see landplan explain)"
        )
        raise InputError(msg)
    values = ranked[[f"{c.name}_value" for c in layers.scenario.criteria]]
    values.columns = [c.name for c in layers.scenario.criteria]
    w = ranked.attrs["weights"]
    oat = one_at_a_time(values, w, eligible=ranked["eligible"], delta=delta, top_k=top)
    mc = monte_carlo(
        values, w, eligible=ranked["eligible"], runs=runs, seed=seed, top_k=top, concentration=concentration
    )
    typer.echo("One at a time:")
    typer.echo(oat.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    typer.echo("\nMonte Carlo:")
    typer.echo(mc.to_text(n=top))
    if targets:
        with atomic_path(targets["sensitivity_parcels.csv"]) as tmp:
            write_csv(mc.parcels, tmp)
        with atomic_path(targets["sensitivity_oat.csv"]) as tmp:
            write_csv(oat, tmp, index=False)
        fig = plot_rank_intervals(mc)
        with atomic_path(targets["sensitivity.png"]) as tmp:
            fig.savefig(tmp, format="png")
        typer.echo(f"wrote {', '.join(str(p) for p in targets.values())}", err=True)


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


if __name__ == "__main__":  # pragma: no cover
    main()
