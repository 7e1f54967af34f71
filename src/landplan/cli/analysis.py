"""Commands about the inputs and the weights: validate, weights, sensitivity."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from landplan.cli.app import handle_errors
from landplan.cli.options import (
    LangOpt,
    OverwriteOpt,
    ScenarioArg,
    at_least,
    between,
    existing_file,
    output_option,
    top_option,
)
from landplan.cli.text import err

if TYPE_CHECKING:
    from landplan.config import WeightingSpec
    from landplan.scoring.sensitivity import WeightSensitivity

__all__ = ["sensitivity", "validate", "weights"]

#: Files ``landplan sensitivity -o DIR`` writes.
SENSITIVITY_FILES = ("sensitivity_parcels.csv", "sensitivity_oat.csv", "sensitivity.png")


@handle_errors
def validate(scenario: ScenarioArg) -> None:
    """Check SCENARIO's layers and print every problem, without scoring."""
    from landplan.load import validate as run_validation

    report = run_validation(scenario)
    typer.echo(report.to_text())
    if not report.ok:
        first = report.errors[0]
        err(f"{scenario}: {len(report.errors)} error(s) in the input layers (listed above), first: {first}")
        raise typer.Exit(code=2)


@handle_errors
def weights(
    source: Annotated[
        Path,
        typer.Argument(
            help="Scenario TOML, or a TOML with `criteria` and `matrix` (AHP).",
            metavar="FILE",
            callback=existing_file,
            show_default=False,
        ),
    ],
) -> None:
    """Print the weights and, for AHP, lambda_max, CI, RI and the consistency ratio."""
    from landplan.config import load_scenario, read_toml
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
        spec = _ahp_table(source, data)
    assert spec.criteria is not None and spec.matrix is not None
    try:
        result = ahp(spec.matrix, spec.criteria, max_cr=spec.max_cr)
    except InputError as exc:
        msg = f"{source}: {exc}"
        raise ConfigError(msg) from None
    typer.echo("method: ahp")
    typer.echo(result.to_text())
    if not result.consistent:
        err(f"{source}: CR = {result.cr:.3f} >= {result.max_cr:.2f}; {result.describe_worst()}")
        raise typer.Exit(code=2)


def _ahp_table(source: Path, data: dict[str, object]) -> WeightingSpec:
    """The AHP weighting of a TOML holding ``criteria`` and ``matrix`` (or a ``[weighting]`` table)."""
    import pydantic

    from landplan.config import WeightingSpec, _format_errors
    from landplan.errors import ConfigError

    table = data.get("weighting", data)
    try:
        items = {k: v for k, v in table.items() if k != "method"}  # type: ignore[attr-defined]
        return WeightingSpec.model_validate({"method": "ahp", **items})
    except (AttributeError, pydantic.ValidationError) as exc:
        detail = _format_errors(exc) if isinstance(exc, pydantic.ValidationError) else "not a table"
        msg = f"{source}: expected `criteria` and `matrix` (AHP), or a [weighting] table with them ({detail})"
        raise ConfigError(msg) from None


@handle_errors
def sensitivity(  # noqa: PLR0917 - typer maps options to parameters
    scenario: ScenarioArg,
    runs: Annotated[
        int, typer.Option("--runs", metavar="N", callback=at_least(1), help="Monte-Carlo weight draws.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Random seed.")] = 0,
    top: Annotated[int, top_option("Size of the top list to test.")] = 20,
    concentration: Annotated[
        float, typer.Option("--concentration", metavar="X", callback=at_least(0.01), help="Dirichlet concentration.")
    ] = 50.0,
    delta: Annotated[
        float,
        typer.Option("--delta", metavar="X", callback=between(0.01, 0.99), help="One-at-a-time change (0.2 = 20 %)."),
    ] = 0.2,
    output: Annotated[Path | None, output_option("DIR", "Folder for CSV tables and the chart.")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """How stable is the ranking when the weights move? One-at-a-time and Monte-Carlo analysis."""
    from landplan.config import load_scenario
    from landplan.io import check_output_path, scenario_inputs
    from landplan.pipeline import compute
    from landplan.scoring.sensitivity import weight_sensitivity

    s = load_scenario(scenario)
    targets = {name: output / name for name in SENSITIVITY_FILES} if output is not None else {}
    for path in targets.values():
        check_output_path(path, inputs=scenario_inputs(s), overwrite=overwrite)
    scores = compute(s, allocate=False).scores
    result = weight_sensitivity(
        scores, source=str(scenario), runs=runs, seed=seed, top_k=top, concentration=concentration, delta=delta
    )
    typer.echo("One at a time:")
    typer.echo(result.one_at_a_time.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    typer.echo("\nMonte Carlo:")
    typer.echo(result.monte_carlo.to_text(n=top))
    if targets:
        _write_sensitivity(result, targets)
        typer.echo(f"wrote {', '.join(str(p) for p in targets.values())}", err=True)


def _write_sensitivity(result: WeightSensitivity, targets: dict[str, Path]) -> None:
    """Write the Monte-Carlo and one-at-a-time tables and the rank-interval chart, each atomically."""
    from landplan.io import atomic_path, write_csv
    from landplan.outputs.charts import plot_rank_intervals

    with atomic_path(targets["sensitivity_parcels.csv"]) as tmp:
        write_csv(result.monte_carlo.parcels, tmp)
    with atomic_path(targets["sensitivity_oat.csv"]) as tmp:
        write_csv(result.one_at_a_time, tmp, index=False)
    fig = plot_rank_intervals(result.monte_carlo)
    with atomic_path(targets["sensitivity.png"]) as tmp:
        fig.savefig(tmp, format="png")


@handle_errors
def compare(  # noqa: PLR0917 - typer maps options to parameters
    scenario_a: Annotated[
        Path, typer.Argument(help="First scenario (A).", metavar="A", callback=existing_file, show_default=False)
    ],
    scenario_b: Annotated[
        Path, typer.Argument(help="Second scenario (B).", metavar="B", callback=existing_file, show_default=False)
    ],
    output: Annotated[Path, output_option("DIR", "Folder for the comparison (tables, map, page).")],
    top: Annotated[int, top_option("Size of the top list whose overlap is measured.")] = 20,
    lang: LangOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    r"""Compare two scenarios over the same parcels: rank shifts, top-N overlap, Kendall's tau, allocation.

    \f

    Parameters
    ----------
    scenario_a, scenario_b : pathlib.Path
        The two scenario files (the same candidate parcels, matched by id).
    output : pathlib.Path
        Folder for ``compare_parcels.csv``, ``compare_zones.csv``, ``compare_map.png``, ``compare.html``.
    top : int
        Size of the top list whose overlap is measured.
    lang : str or None
        Language of the page and map (default: scenario A's).
    overwrite : bool
        Replace existing files.
    """
    from landplan.config import load_scenario
    from landplan.outputs.compare import write_comparison
    from landplan.pipeline import compute

    runs = []
    for path in (scenario_a, scenario_b):
        s = load_scenario(path)
        if lang is not None:
            s = s.model_copy(update={"output": s.output.model_copy(update={"language": lang})})
        runs.append(compute(s))
    written = write_comparison(runs[0], runs[1], output, top_n=top, overwrite=overwrite)
    for key, path in written.items():
        typer.echo(f"  {key:<10} {path}")
