"""``landplan allocate``: one :func:`landplan.pipeline.produce` call with the allocation tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from landplan.cli.app import handle_errors, progress_bar
from landplan.cli.options import OverwriteOpt, ScenarioArg, SolverOpt, output_option

__all__ = ["allocate"]

#: Columns of the per-zone table printed on stdout.
ZONE_COLUMNS = [
    "phase",
    "demand_units",
    "allocated_units",
    "unmet_units",
    "unmet_share",
    "mean_commute_m",
    "mean_commute_min",
    "land_ha",
    "land_ha",
    "over_reservation",
    "sites",
]


@handle_errors
def allocate(
    scenario: ScenarioArg,
    output: Annotated[Path | None, output_option("DIR", "Folder for the allocation tables.")] = None,
    solver: SolverOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Allocate each zone's worker-housing demand to the best parcels (needs an [allocation] table)."""
    from landplan.config import AllocationSpec, load_scenario
    from landplan.errors import ConfigError
    from landplan.outputs.tables import ALLOCATION_FILES
    from landplan.pipeline import produce

    s = load_scenario(scenario)
    spec = s.allocation or AllocationSpec()
    if solver is not None:
        spec = spec.model_copy(update={"solver": solver})
    if s.layers.zones is None:
        msg = f"{scenario}: allocation needs a [layers.zones] table"
        raise ConfigError(msg)
    names = ALLOCATION_FILES
    targets = {key: output / name for key, name in names.items()} if output is not None else {}
    with progress_bar() as progress:
        done = produce(s, targets, overwrite=overwrite, allocate=True, allocation=spec, progress=progress)
    result = done.allocation
    if result is None:  # pragma: no cover - allocate=True always allocates
        msg = f"{scenario}: no allocation was made"
        raise ConfigError(msg)
    typer.echo(result.summary())
    table = result.zones[[c for c in ["name", *ZONE_COLUMNS] if c in result.zones]]
    typer.echo(table.to_string(float_format=lambda v: f"{v:,.2f}"))
    if result.phases is not None:
        typer.echo("by phase:")
        typer.echo(result.phases.to_string(float_format=lambda v: f"{v:,.1f}"))
    if output is not None:
        typer.echo(f"wrote {', '.join(names.values())} to {output}", err=True)
