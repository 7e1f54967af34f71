"""The ``landplan`` command line: thin commands over the library.

Data goes to files or stdout, logs and progress to stderr. Exit codes: 0 success,
2 bad input or usage (one ``error: ...`` line, no traceback), 1 anything else.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer

from landplan import __version__

app = typer.Typer(
    name="landplan",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Score, rank and map candidate land for workers' social housing near industrial zones.",
)

logger = logging.getLogger("landplan")
F = TypeVar("F", bound=Callable[..., Any])

ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario TOML file.", exists=True, dir_okay=False, readable=True, show_default=False)
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")]


def _err(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


def handle_errors(func: F) -> F:
    """Turn library errors into ``error: ...`` on stderr and the right exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from landplan.errors import InputError, LandplanError

        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit, typer.TyperException, click.exceptions.ClickException):
            raise  # click prints usage errors itself (exit code 2)
        except InputError as exc:
            _err(str(exc))
            raise typer.Exit(code=2) from None
        except LandplanError as exc:
            _err(str(exc))
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(code=130) from None
        except Exception as exc:
            logger.debug("unexpected error", exc_info=True)
            _err(f"unexpected {type(exc).__name__}: {exc} (run with -v for the traceback)")
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"landplan {__version__}")
        raise typer.Exit


@app.callback()
def main_callback(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (repeatable).")] = 0,
    quiet: Annotated[int, typer.Option("--quiet", "-q", count=True, help="Less log output (repeatable).")] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Score, rank and map candidate land for workers' social housing."""
    level = max(logging.DEBUG, min(logging.CRITICAL, logging.WARNING - 10 * (verbose - quiet)))
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    logging.captureWarnings(True)


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
    from rich.table import Table

    top = ranked[ranked["rank"].notna()].head(n)
    table = Table(title=f"Top {len(top)} parcels", show_lines=False)
    for col in ("rank", "parcel", "score", "area (ha)", "top drivers"):
        table.add_column(col, justify="right" if col in {"rank", "score", "area (ha)"} else "left")
    for pid, row in top.iterrows():
        table.add_row(
            str(row["rank"]), str(pid), f"{row['score']:.3f}", f"{row['area_m2'] / 10_000:.2f}", str(row["top_drivers"])
        )
    Console().print(table)


@app.command()
@handle_errors
def rank(
    scenario: ScenarioArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output file (CSV to stdout if omitted).")
    ] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Only the N best eligible parcels.")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="csv, gpkg, geojson or parquet (default: from the suffix).")
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Score SCENARIO and write the ranked parcel list."""
    from landplan.config import load_scenario
    from landplan.io import FORMATS, check_output_path, table_for_csv, write_csv, write_table
    from landplan.pipeline import load_layers, score

    if fmt is not None and fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
    s = load_scenario(scenario)
    if output is not None:
        check_output_path(output, inputs=s.input_paths(), overwrite=overwrite)
    with _progress(_show_progress()) as progress:
        layers = load_layers(s, progress=lambda f, m: progress(0.5 * f, m))
        ranked = score(layers, progress=lambda f, m: progress(0.5 + 0.5 * f, m))
    selection = ranked[ranked["rank"].notna() & (ranked["rank"] <= top)] if top else ranked
    if output is not None:
        path = write_table(selection, output, format=fmt, overwrite=overwrite, inputs=s.input_paths())
        typer.echo(f"wrote {len(selection)} parcels to {path}", err=True)
    elif top is not None and sys.stdout.isatty():
        _print_top(ranked, top)
    else:
        if fmt not in (None, "csv"):
            raise typer.BadParameter(
                "only CSV can go to stdout; give --output for other formats", param_hint="--format"
            )
        write_csv(table_for_csv(selection.reset_index()), sys.stdout, index=False)


@app.command(name="map")
@handle_errors
def map_(  # noqa: PLR0917 - typer maps options to parameters
    scenario: ScenarioArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file (or PNG with --png) to write.")],
    top: Annotated[int, typer.Option("--top", min=1, help="Label the N best parcels.")] = 20,
    offline: Annotated[
        bool, typer.Option("--offline", help="One self-contained HTML file, no network request.")
    ] = False,
    png: Annotated[bool, typer.Option("--png", help="A static PNG map for reports (matplotlib).")] = False,
    classification: Annotated[
        str | None, typer.Option("--classification", help="quantiles, natural_breaks or equal_interval.")
    ] = None,
    no_allocation: Annotated[bool, typer.Option("--no-allocation", help="Do not draw the allocation.")] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Score SCENARIO and write an interactive HTML map (or a static PNG)."""
    from landplan.config import load_scenario
    from landplan.io import check_output_path
    from landplan.pipeline import load_layers, score

    s = load_scenario(scenario)
    scheme = classification or s.output.classification
    if scheme not in {"quantiles", "natural_breaks", "equal_interval"}:
        raise typer.BadParameter(
            f"{scheme!r} is not quantiles, natural_breaks or equal_interval", param_hint="--classification"
        )
    check_output_path(output, inputs=s.input_paths(), overwrite=overwrite)
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


@app.command()
@handle_errors
def report(
    scenario: ScenarioArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML report to write.")],
    top: Annotated[int, typer.Option("--top", min=1, help="Parcels with score cards.")] = 10,
    sensitivity_runs: Annotated[
        int, typer.Option("--sensitivity-runs", min=0, help="Monte-Carlo runs for the sensitivity chart (0: none).")
    ] = 500,
    overwrite: OverwriteOpt = False,
) -> None:
    """Write one self-contained HTML report: inputs, validation, weights, top parcels, allocation, map."""
    from landplan.config import load_scenario
    from landplan.io import check_output_path
    from landplan.pipeline import load_layers, score
    from landplan.report import write_report

    s = load_scenario(scenario)
    check_output_path(output, inputs=s.input_paths(), overwrite=overwrite)
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


@app.command()
@handle_errors
def validate(scenario: ScenarioArg) -> None:
    """Check SCENARIO's layers and print every problem, without scoring."""
    from landplan.pipeline import validate as run_validation

    report = run_validation(scenario)
    typer.echo(report.to_text())
    if not report.ok:
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


@app.command()
@handle_errors
def run(
    scenario: ScenarioArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder.")],
    overwrite: OverwriteOpt = False,
) -> None:
    """Run the whole pipeline for SCENARIO: validate, score, write ranked lists, map and manifest."""
    _run_and_report(scenario, output, overwrite)


@app.command()
@handle_errors
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder.")] = Path("landplan-demo"),
    overwrite: OverwriteOpt = False,
) -> None:
    """Score the bundled Hanoi demo and write the ranked list and map into a folder."""
    from landplan import datasets

    scenario = datasets.demo_scenario()
    typer.echo(f"scenario: {scenario}")
    _run_and_report(scenario, output, overwrite)
    typer.echo(f"open {output / 'map.html'} in a browser to explore the result")


@app.command()
@handle_errors
def allocate(
    scenario: ScenarioArg,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the allocation tables.")] = None,
    solver: Annotated[str | None, typer.Option("--solver", help="milp, greedy or auto (default: scenario).")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Allocate each zone's worker-housing demand to the best parcels (needs an [allocation] table)."""
    from landplan.allocation import allocate as run_allocation
    from landplan.config import AllocationSpec, load_scenario
    from landplan.errors import ConfigError
    from landplan.io import check_output_path
    from landplan.pipeline import ALLOCATION_FILES, load_layers, score, write_allocation_file

    s = load_scenario(scenario)
    spec = s.allocation or AllocationSpec()
    if solver is not None:
        if solver not in {"milp", "greedy", "auto"}:
            raise typer.BadParameter(f"{solver!r} is not milp, greedy or auto", param_hint="--solver")
        spec = spec.model_copy(update={"solver": solver})
    if s.layers.zones is None:
        msg = f"{scenario}: allocation needs a [layers.zones] table"
        raise ConfigError(msg)
    names = ALLOCATION_FILES
    if output is not None:
        for name in names.values():
            check_output_path(output / name, inputs=s.input_paths(), overwrite=overwrite)
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
            write_allocation_file(result, layers, key, output / name, overwrite=overwrite, inputs=s.input_paths())
        typer.echo(f"wrote {', '.join(names.values())} to {output}", err=True)


@app.command()
@handle_errors
def weights(
    source: Annotated[
        Path,
        typer.Argument(
            help="Scenario TOML, or a TOML with `criteria` and `matrix` (AHP).", exists=True, dir_okay=False
        ),
    ],
) -> None:
    """Print the weights and, for AHP, lambda_max, CI, RI and the consistency ratio."""
    import tomllib

    from landplan.config import WeightingSpec, load_scenario
    from landplan.errors import ConfigError
    from landplan.scoring.weights import ahp, scenario_weights

    data = tomllib.loads(source.read_text(encoding="utf-8"))
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
        except Exception as exc:
            msg = f"{source}: expected `criteria` and `matrix` (AHP) ({exc})"
            raise ConfigError(msg) from None
    assert spec.criteria is not None and spec.matrix is not None
    result = ahp(spec.matrix, spec.criteria, max_cr=spec.max_cr)
    typer.echo("method: ahp")
    typer.echo(result.to_text())
    if not result.consistent:
        _err(f"{source}: CR = {result.cr:.3f} >= {result.max_cr:.2f}; {result.describe_worst()}")
        raise typer.Exit(code=2)


@app.command()
@handle_errors
def explain(
    scenario: ScenarioArg,
    parcel_id: Annotated[str, typer.Argument(help="Parcel id.")],
) -> None:
    """Print the score card of one parcel: criteria, weights, contributions and constraints."""
    from landplan.explain import explain as make_card
    from landplan.pipeline import load_layers, score

    layers = load_layers(scenario)
    ranked = score(layers)
    typer.echo(make_card(layers, ranked, parcel_id).to_text())


@app.command()
@handle_errors
def sensitivity(  # noqa: PLR0917 - typer maps options to parameters
    scenario: ScenarioArg,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Monte-Carlo weight draws.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    top: Annotated[int, typer.Option("--top", min=1, help="Size of the top list to test.")] = 20,
    concentration: Annotated[float, typer.Option("--concentration", min=0.01, help="Dirichlet concentration.")] = 50.0,
    delta: Annotated[
        float, typer.Option("--delta", min=0.01, max=0.99, help="One-at-a-time change (0.2 = 20 %).")
    ] = 0.2,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for CSV tables and the chart.")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """How stable is the ranking when the weights move? One-at-a-time and Monte-Carlo analysis."""
    from landplan.io import atomic_path, check_output_path, write_csv
    from landplan.pipeline import load_layers, score
    from landplan.scoring.sensitivity import monte_carlo, one_at_a_time, plot_rank_intervals

    layers = load_layers(scenario)
    targets = {}
    if output is not None:
        targets = {n: output / n for n in ("sensitivity_parcels.csv", "sensitivity_oat.csv", "sensitivity.png")}
        for path in targets.values():
            check_output_path(path, inputs=layers.scenario.input_paths(), overwrite=overwrite)
    ranked = score(layers)
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
