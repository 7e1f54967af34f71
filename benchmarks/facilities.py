"""Benchmark facility land (issue 16): second stage vs joint MILP, 10,000 candidate sites x 20 zones.

Usage::

    python benchmarks/facilities.py                  # 10,000 parcels, 20 zones
    python benchmarks/facilities.py --parcels 2000 --zones 5

Synthetic parcels (0.4-2 ha) on a grid, 20 zones, 1 existing facility of each kind per ~60
parcels with random capacities and loads. Prints one table: loading and scoring, then the
same allocation twice (HiGHS, ``mip_rel_gap`` 1 %, 45 s limit: the whole joint run within
60 s): ``method = "second_stage"`` (housing MILP, then the greedy facility stage) and
``method = "joint"`` (one MILP with the facility variables), with wall and CPU seconds, the gap
reached, units housed (net of units displaced by facilities), housing and facility land and the
rows left unplaced.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

X0, Y0, CRS = 560_000.0, 2_300_000.0, "EPSG:32648"
KINDS = ["kindergarten", "primary_school", "secondary_school", "health_station", "market", "cultural_house"]

SCENARIO = """
[scenario]
name = "facility benchmark"
crs = "EPSG:32648"
rule_pack = "vn"

[layers.parcels]
path = "parcels.gpkg"
id_field = "parcel_id"

[layers.zones]
path = "zones.gpkg"
id_field = "zone_id"
workers_field = "workers"

[layers.facilities]
path = "facilities.gpkg"
id_field = "fac_id"

[[criteria]]
name = "zone_distance"
kind = "distance"
layer = "zones"
weight = 1
value = {{ function = "linear", lower = 0, upper = 5000, increasing = false }}

[allocation]
max_commute_m = 4000
land_budget_ha = {budget}
solver = "milp"
time_limit_s = {limit}
mip_gap = 0.01

[allocation.facilities]
layer = "facilities"
capacity_field = "places"
load_field = "taken"
"""


def write_data(folder: Path, n: int, zones: int, seed: int = 16) -> float:
    """Parcels, zones and facilities as GeoPackages; returns a binding land budget in ha."""
    rng = np.random.default_rng(seed)
    cell, side = 160.0, int(np.ceil(np.sqrt(n)))
    ij = np.column_stack(np.unravel_index(np.arange(n), (side, side))).astype(float) * cell
    w, h = rng.uniform(60, 150, n), rng.uniform(60, 150, n)
    x, y = X0 + ij[:, 0] + rng.uniform(0, 1, n) * (cell - w), Y0 + ij[:, 1] + rng.uniform(0, 1, n) * (cell - h)
    ids = pd.Index([f"P{i:06d}" for i in range(n)], name="parcel_id")
    parcels = gpd.GeoDataFrame(geometry=shapely.box(x, y, x + w, y + h), crs=CRS, index=ids)
    parcels.reset_index().to_file(folder / "parcels.gpkg", engine="pyogrio")
    extent = side * cell

    def points(k: int) -> np.ndarray:
        return shapely.points(rng.uniform(0, extent, (k, 2)) + np.array([X0, Y0]))

    z = gpd.GeoDataFrame(
        {"zone_id": [f"Z{i:02d}" for i in range(zones)], "workers": rng.integers(2_000, 30_000, zones)},
        geometry=shapely.buffer(points(zones), 200.0),
        crs=CRS,
    )
    z.to_file(folder / "zones.gpkg", engine="pyogrio")
    k = max(n // 60, 1)
    places = rng.integers(100, 800, k * len(KINDS))
    fac = gpd.GeoDataFrame(
        {
            "fac_id": [f"F{i:06d}" for i in range(k * len(KINDS))],
            "kind": np.repeat(KINDS, k),
            "places": places,
            "taken": np.floor(places * rng.uniform(0.6, 1.0, len(places))),
        },
        geometry=points(k * len(KINDS)),
        crs=CRS,
    )
    fac.to_file(folder / "facilities.gpkg", engine="pyogrio")
    return float(parcels.area.sum() / 1e4 * 0.3)


def _summary(method: str, alloc: Any, wall: float, cpu: float) -> dict[str, Any]:
    """One row of the comparison: time, gap, housing placed and facility land."""
    plan = alloc.facilities
    placed = plan["placement"].isin(["in site", "nearby parcel", "in site, displacing housing"])
    return {
        "method": method,
        "wall_s": wall,
        "cpu_s": cpu,
        "milp_s": alloc.seconds,
        "mip_rel_gap": alloc.gap,
        "status": alloc.status,
        "units": float(alloc.parcels["units"].sum()) - float(plan["units_displaced"].sum()),
        "displaced": float(plan["units_displaced"].sum()),
        "housing_ha": float(alloc.zones["land_ha"].sum()),
        "facility_ha": float(plan.loc[placed, "land_m2"].sum()) / 1e4,
        "unplaced_rows": int((plan["placement"] == "unplaced").sum()),
        "rows": len(plan),
    }


def run(n: int, zones: int, *, limit: float = 60.0) -> list[dict[str, Any]]:
    """Load and score once, then allocate with the second stage and with the joint MILP."""
    import landplan
    from landplan.allocation import allocate

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        budget = write_data(folder, n, zones)
        (folder / "scenario.toml").write_text(SCENARIO.format(budget=f"{budget:.1f}", limit=limit), encoding="utf-8")
        t, c = time.perf_counter(), time.process_time()
        study = landplan.load_study(folder / "scenario.toml")
        scores = landplan.score(study)
        rows.append({"method": "load + score", "wall_s": time.perf_counter() - t, "cpu_s": time.process_time() - c})
        spec = study.scenario.allocation
        assert spec is not None and spec.facilities is not None
        for method in ("second_stage", "joint"):
            fspec = spec.facilities.model_copy(update={"method": method})
            t, c = time.perf_counter(), time.process_time()
            alloc = allocate(study, scores, spec=spec.model_copy(update={"facilities": fspec}))
            rows.append(_summary(method, alloc, time.perf_counter() - t, time.process_time() - c))
            rows[-1]["pairs"] = alloc.pairs
    return rows


def main() -> None:
    """Parse arguments, run, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=10_000)
    ap.add_argument("--zones", type=int, default=20)
    ap.add_argument("--time-limit-s", type=float, default=45.0, help="HiGHS time limit of each method")
    args = ap.parse_args()
    table = pd.DataFrame(run(args.parcels, args.zones, limit=args.time_limit_s))
    load = os.getloadavg()[0]
    print(f"Facility land, second stage vs joint: {args.parcels:,} parcels x {args.zones} zones (load {load:.1f}):")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))


if __name__ == "__main__":
    main()
