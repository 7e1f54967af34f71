"""Benchmark landplan's stages on synthetic parcels; prints a table of time and peak memory.

Usage::

    python benchmarks/run.py                    # 10,000 and 100,000 parcels
    python benchmarks/run.py --sizes 1000 50000 --sensitivity-runs 1000

Each size runs in its own subprocess so that peak RSS (which includes GEOS and numpy
memory, unlike tracemalloc) belongs to that size alone. The scenario mirrors the issue's
target: nearest distance to zones, three coverage criteria (300/500/1,000 m), a count,
job access, constraints (isolation by hazard class, minimum area), value functions,
weighted sum, ranks and top-driver texts; then Monte-Carlo sensitivity.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

X0, Y0, CRS = 560_000.0, 2_300_000.0, "EPSG:32648"


def make_data(n: int, seed: int = 42) -> dict[str, gpd.GeoDataFrame]:
    """N jittered rectangular parcels (0.4-2 ha) on a grid, 10 zones, facilities, bus stops."""
    rng = np.random.default_rng(seed)
    cell = 160.0
    side = int(np.ceil(np.sqrt(n)))
    ij = np.column_stack(np.unravel_index(np.arange(n), (side, side))).astype(float) * cell
    w, h = rng.uniform(60, 150, n), rng.uniform(60, 150, n)
    x = X0 + ij[:, 0] + rng.uniform(0, 1, n) * (cell - w)
    y = Y0 + ij[:, 1] + rng.uniform(0, 1, n) * (cell - h)
    parcels = gpd.GeoDataFrame(
        {"price": rng.uniform(5, 60, n)},
        geometry=shapely.box(x, y, x + w, y + h),
        crs=CRS,
        index=pd.Index([f"P{i:07d}" for i in range(n)], name="parcel_id"),
    )
    extent = side * cell

    def points(k: int) -> np.ndarray:
        return shapely.points(rng.uniform(0, extent, (k, 2)) + np.array([X0, Y0]))

    zones = gpd.GeoDataFrame(
        {"workers": rng.integers(2_000, 60_000, 10), "isolation_m": rng.choice([100.0, 300.0, 500.0], 10)},
        geometry=shapely.buffer(points(10), rng.uniform(300, 900, 10)),
        crs=CRS,
    )
    return {
        "parcels": parcels,
        "zones": zones,
        "kindergartens": gpd.GeoDataFrame(geometry=points(max(n // 40, 1)), crs=CRS),
        "schools": gpd.GeoDataFrame(geometry=points(max(n // 60, 1)), crs=CRS),
        "clinics": gpd.GeoDataFrame(geometry=points(max(n // 80, 1)), crs=CRS),
        "bus_stops": gpd.GeoDataFrame(geometry=points(max(n // 30, 1)), crs=CRS),
    }


def run_size(n: int, sensitivity_runs: int) -> list[dict[str, Any]]:
    """Time every stage for one size (call in a fresh process)."""
    from landplan import constraints as cons
    from landplan.criteria import count_within, coverage_share, gravity_access, nearest_distance
    from landplan.scoring import explain_drivers, linear, rank_eligible, step, weighted_sum
    from landplan.scoring.sensitivity import monte_carlo

    rows: list[dict[str, Any]] = []

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        out = fn()
        rows.append(
            {
                "stage": name,
                "parcels": n,
                "seconds": time.perf_counter() - t,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
        return out

    d = stage("generate data", lambda: make_data(n))
    p = d["parcels"]
    raw = {}
    raw["zone_distance"] = stage("nearest distance (zones)", lambda: nearest_distance(p, d["zones"]))
    raw["kindergarten"] = stage("coverage 300 m", lambda: coverage_share(p, d["kindergartens"], radius_m=300))
    raw["school"] = stage("coverage 500 m", lambda: coverage_share(p, d["schools"], radius_m=500))
    raw["clinic"] = stage("coverage 1000 m", lambda: coverage_share(p, d["clinics"], radius_m=1000))
    raw["bus"] = stage("count within 500 m", lambda: count_within(p, d["bus_stops"], radius_m=500).astype(float))
    raw["jobs"] = stage(
        "job access (gravity)", lambda: gravity_access(p, d["zones"], workers=d["zones"]["workers"], scale_m=3000)
    )
    from landplan.constraints.subtract import cut_by, isolation_covers, net_geometry

    pg, zg = np.asarray(p.geometry.array), np.asarray(d["zones"].geometry.array)
    iso = d["zones"]["isolation_m"].to_numpy()
    stage("isolation, exclude mode", lambda: cons.isolation(p, d["zones"], distance_m=d["zones"]["isolation_m"]))
    stage(
        "isolation, subtract mode (net)",
        lambda: net_geometry(pg, [cut_by(pg, isolation_covers(zg, iso), what=np.array(["z"] * len(zg), dtype=object))]),
    )
    status = stage(
        "constraints",
        lambda: cons.combine(
            [cons.isolation(p, d["zones"], distance_m=d["zones"]["isolation_m"]), cons.min_area(p, min_area_m2=5000)],
            p.index,
        ),
    )

    def score() -> tuple[pd.Series, pd.DataFrame]:
        values = pd.DataFrame(
            {
                "zone_distance": linear(500, 8000, increasing=False)(raw["zone_distance"]),
                "kindergarten": raw["kindergarten"],
                "school": raw["school"],
                "clinic": raw["clinic"],
                "bus": step([3, 1], [1.0, 0.5], mode="at_least")(raw["bus"]),
                "jobs": linear(0, float(raw["jobs"].max()))(raw["jobs"]),
            }
        )
        total, contrib = weighted_sum(
            values, {"zone_distance": 3, "kindergarten": 2, "school": 1.5, "clinic": 1, "bus": 2, "jobs": 2}
        )
        rank_eligible(total, status["eligible"])
        explain_drivers(contrib, {}, top=2)
        return values, contrib

    values, _ = stage("values + weighted sum + rank", score)
    if sensitivity_runs:
        stage(
            f"monte carlo ({sensitivity_runs} runs)",
            lambda: monte_carlo(
                values, dict.fromkeys(values.columns, 1.0), eligible=status["eligible"], runs=sensitivity_runs, top_k=20
            ),
        )
    return rows


def run_allocation(n: int = 5000, zones: int = 10, seed: int = 7) -> list[dict[str, Any]]:
    """Medium allocation instance: n parcels x zones, MILP (1 % gap) against greedy."""
    from landplan.allocation import AllocationProblem

    rng = np.random.default_rng(seed)
    extent = 30_000.0
    parcels_xy = rng.uniform(0, extent, (n, 2))
    zones_xy = rng.uniform(0, extent, (zones, 2))
    dist = np.hypot(*(parcels_xy[:, None, :] - zones_xy[None, :, :]).transpose(2, 0, 1))
    area = rng.uniform(5_000, 30_000, n)
    units_per_m2 = 0.4 * 2.0 / 50
    demand = rng.integers(3_000, 15_000, zones).astype(float)
    problem = AllocationProblem.from_arrays(
        capacity=np.floor(area * units_per_m2),
        area_m2=area,
        score=rng.uniform(0, 1, n),
        demand=demand,
        dist=dist,
        max_commute_m=10_000,
        land_budget_m2=0.7 * demand.sum() / units_per_m2,  # binding: about 30 % of demand stays unmet
        max_unmet_share=0.5,
    )
    rows = []
    for method in ("milp", "greedy"):
        r = problem.solve(method=method, time_limit_s=300, mip_gap=0.01)
        rows.append(
            {
                "method": method,
                "parcels": n,
                "zones": zones,
                "pairs": r.pairs,
                "seconds": r.seconds,
                "status": r.status,
                "gap": r.gap,
                "objective": r.objective,
                "unmet_units": float(r.zones["unmet_units"].sum()),
            }
        )
    return rows


def main() -> None:
    """Run each size in a subprocess and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--sensitivity-runs", type=int, default=1000)
    ap.add_argument("--allocation", type=int, default=5000, help="parcels of the allocation benchmark (0: skip)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_size(args.child, args.sensitivity_runs)))
        return
    rows = []
    for n in args.sizes:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(n),
                "--sensitivity-runs",
                str(args.sensitivity_runs if n <= 10_000 else 0),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        rows += json.loads(out.stdout.strip().splitlines()[-1])
    table = pd.DataFrame(rows)
    scoring = table[~table["stage"].isin(["generate data"]) & ~table["stage"].str.startswith("monte carlo")]
    totals = scoring.groupby("parcels").agg(seconds=("seconds", "sum"), peak_rss_mb=("peak_rss_mb", "max"))
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print("\nScoring total (criteria + constraints + weighted sum), per size:")
    print(totals.to_string(float_format=lambda v: f"{v:,.2f}"))
    if args.allocation:
        alloc = pd.DataFrame(run_allocation(args.allocation))
        print(f"\nAllocation, {args.allocation} parcels x 10 zones (MILP to a 1 % gap vs greedy):")
        print(alloc.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))


if __name__ == "__main__":
    main()
