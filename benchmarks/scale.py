"""Province-scale benchmark: 1,000,000 parcels through every criterion family; prints one table.

Usage::

    python benchmarks/scale.py                      # 100,000 and 1,000,000 parcels
    python benchmarks/scale.py --sizes 20000 200000

Each size runs in a fresh subprocess (peak RSS belongs to that size alone). Stages: nearest
distance to 10 zones (the direct ``query_nearest`` on the polygons beside landplan's frontier
runs by grid cell, asserted bit-identical), five coverage criteria, a count, job access (gravity), one raster
(exactextract on a synthetic 30 m GeoTIFF), constraints, values + weighted sum + rank. Every row
has wall seconds and CPU seconds (``time.process_time``): on a shared machine the wall time is
inflated by other jobs, the CPU time much less; the load average is printed with the table.
Then landplan's vector criteria run beside PostGIS on a 200,000-parcel city (``--postgis-parcels``;
``benchmarks/scale_postgis.py``) on a private server started as the tests start one; when none can
be installed or started the output says "PostGIS not available: <reason>".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import shapely

sys.path.insert(0, str(Path(__file__).parent))
from run import CRS, X0, Y0, make_data

RADII_M = {"kindergarten": 300, "primary": 500, "secondary": 1000, "clinic": 1000, "market": 800}
TARGET_S, TARGET_MB = 60.0, 3 * 1024


def write_raster(path: Path, extent_m: float, *, cell_m: float = 10.0, seed: int = 1) -> None:
    """A smooth synthetic flood-depth-like GeoTIFF covering the parcels (float32, deflate; 30 m cells like SRTM)."""
    import rasterio
    from rasterio.transform import from_origin

    n = int(np.ceil(extent_m / cell_m))
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 2, (n // 100 + 2, n // 100 + 2))
    values = np.kron(coarse, np.ones((100, 100)))[:n, :n].astype("float32")
    profile = {
        "driver": "GTiff", "width": n, "height": n, "count": 1, "dtype": "float32", "crs": CRS,
        "transform": from_origin(X0, Y0 + n * cell_m, cell_m, cell_m), "compress": "deflate", "tiled": True,
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)


def city(n: int) -> dict[str, Any]:
    """The benchmark city: ``make_data(n)`` plus one point layer per coverage kind (seeded)."""
    d: dict[str, Any] = make_data(n)
    p = d["parcels"]
    rng = np.random.default_rng(5)
    b = p.total_bounds
    d["facilities"] = {
        k: p.iloc[:0].set_geometry(shapely.points(rng.uniform(b[:2], b[2:], (max(n // (30 + 10 * i), 1), 2))))[
            ["geometry"]
        ]
        for i, k in enumerate(RADII_M)
    }
    return d


def run_size(n: int) -> list[dict[str, Any]]:
    """Time every stage for one size (call in a fresh process)."""
    from landplan import constraints as cons
    from landplan.criteria import count_within, coverage_share, gravity_access, nearest_distance
    from landplan.criteria.raster import raster_stat, read_raster
    from landplan.scoring import linear, rank_eligible, weighted_sum

    rows: list[dict[str, Any]] = []

    def stage(name: str, fn: Callable[[], Any], *, scoring: bool = True) -> Any:
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        rows.append(
            {
                "stage": name,
                "parcels": n,
                "wall_s": time.perf_counter() - t,
                "cpu_s": time.process_time() - c,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "scoring": scoring,
            }
        )
        return out

    d = stage("generate data", lambda: city(n), scoring=False)
    from landplan.criteria._kernels import warm_up

    stage("numba: compile or load gravity's loop (once a machine)", warm_up, scoring=False)
    p, zones, facilities = d["parcels"], d["zones"], d["facilities"]
    b = p.total_bounds

    def direct() -> np.ndarray:
        tree = shapely.STRtree(np.asarray(zones.geometry.array))
        return tree.query_nearest(np.asarray(p.geometry.array), return_distance=True, all_matches=False)[1]

    old = stage("zone distance, direct query_nearest (old)", direct, scoring=False)
    raw = {"zone": stage("zone distance, frontier runs by cell", lambda: nearest_distance(p, zones))}
    assert np.array_equal(raw["zone"].to_numpy(), old), "frontier distance differs from the direct query"
    for k, r in RADII_M.items():
        raw[k] = stage(f"coverage {k} {r} m", lambda k=k, r=r: coverage_share(p, facilities[k], radius_m=r))
    raw["bus"] = stage("count bus stops within 500 m", lambda: count_within(p, d["bus_stops"], radius_m=500))
    raw["jobs"] = stage(
        "job access (gravity, 10 zones)", lambda: gravity_access(p, zones, workers=zones["workers"], scale_m=3000)
    )
    with tempfile.TemporaryDirectory() as tmp:
        tif = Path(tmp) / "flood.tif"
        extent = float(max(b[2] - X0, b[3] - Y0)) + 200
        stage("write synthetic GeoTIFF", lambda: write_raster(tif, extent, cell_m=30.0), scoring=False)
        raw["flood"] = stage("raster mean (exactextract)", lambda: raster_stat(p, read_raster(tif), stat="mean"))
    status = stage(
        "constraints (isolation + min area)",
        lambda: cons.combine(
            [cons.isolation(p, zones, distance_m=zones["isolation_m"]), cons.min_area(p, min_area_m2=5000)], p.index
        ),
    )

    def score() -> pd.Series:
        values = pd.DataFrame({k: v for k, v in raw.items() if k in RADII_M})
        values["zone"] = linear(500, 8000, increasing=False)(raw["zone"])
        values["bus"] = linear(0, 5)(raw["bus"].astype(float))
        values["jobs"] = linear(0, float(raw["jobs"].max()))(raw["jobs"])
        values["flood"] = linear(0, 2, increasing=False)(raw["flood"].fillna(2.0))
        total, _ = weighted_sum(values, dict.fromkeys(values.columns, 1.0))
        return rank_eligible(total, status["eligible"])

    stage("values + weighted sum + rank", score)
    return rows


def main() -> None:
    """Run each size in a subprocess and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--postgis-parcels", type=int, default=200_000, help="side-by-side city size (0: skip)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_size(args.child)))
        return
    load_before = os.getloadavg()
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(n)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        rows += json.loads(out.stdout.strip().splitlines()[-1])
    table = pd.DataFrame(rows)
    show = table.drop(columns="scoring")
    print(show.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    scoring = table[table["scoring"]]
    totals = scoring.groupby("parcels").agg(
        wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum"), peak_rss_mb=("peak_rss_mb", "max")
    )
    print("\nScoring total (every criterion + constraints + weighted sum), per size:")
    print(totals.to_string(float_format=lambda v: f"{v:,.2f}"))
    zone = table[table["stage"].str.startswith("zone distance")].pivot(index="parcels", columns="stage", values="cpu_s")
    print("\nZone distance, CPU s (old direct query / frontier runs by cell):")
    print(zone.assign(speedup=zone.iloc[:, 0] / zone.iloc[:, 1]).to_string(float_format=lambda v: f"{v:,.2f}"))
    sizes = sorted(totals.index)
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        print(
            f"\nt({hi:,})/t({lo:,}): wall {totals.loc[hi, 'wall_s'] / totals.loc[lo, 'wall_s']:.2f}, "
            f"CPU {totals.loc[hi, 'cpu_s'] / totals.loc[lo, 'cpu_s']:.2f} (size ratio {hi / lo:.0f})"
        )
    big = totals.loc[max(sizes)]
    print(
        f"targets at {max(sizes):,} parcels: <= {TARGET_S:.0f} s -> wall {big['wall_s']:.1f} s,"
        f" CPU {big['cpu_s']:.1f} s; <= {TARGET_MB:,} MB -> peak {big['peak_rss_mb']:,.0f} MB"
    )
    print(f"load average before / after: {load_before[0]:.2f} / {os.getloadavg()[0]:.2f} (2 cores)")
    if args.postgis_parcels:
        from scale_postgis import side_by_side

        side, note = side_by_side(args.postgis_parcels, city, RADII_M)
        if not side.empty:
            print(f"\nlandplan beside PostGIS, {args.postgis_parcels:,} parcels (wall s; sums check both agree):")
            print(side.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
        print(note)
    else:
        print("PostGIS side by side skipped (--postgis-parcels 0)")


if __name__ == "__main__":
    main()
