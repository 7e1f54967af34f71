"""Benchmark site assembly on synthetic cadastral parcels; prints a table of time, memory and site shape.

Prints wall and CPU seconds per stage (CPU time tells the cost when other work shares the cores).

Usage::

    python benchmarks/sites.py                       # 1,000,000 parcels (the issue's target)
    python benchmarks/sites.py --sizes 10000 100000  # other sizes

Parcels are rectangles of 100-1,000 m2 (column widths and row heights 10-31.6 m) in blocks of
8 x 8 separated by 6 m lanes, with a 20 m road every 40 parcels; 15 % of the parcels are left
out (not eligible) at random, and communes of 200 x 200 parcels are the ``group_field``. Sites
of 1-5 ha are assembled with ``gap_m = 8`` (lanes join, roads do not). Each size runs in its own
subprocess, so peak RSS (GEOS and numpy included) belongs to that size alone. Target (issue 12):
1,000,000 parcels in <= 60 s on 2 cores, peak memory < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

X0, Y0, CRS = 560_000.0, 2_300_000.0, "EPSG:32648"
MIN_HA, MAX_HA, GAP_M = 1.0, 5.0, 8.0


def make_parcels(n: int, seed: int = 12, *, staggered: bool = False) -> gpd.GeoDataFrame:
    """About ``n`` eligible parcels of 100-1,000 m2 in blocks with lanes and roads (see module doc).

    ``staggered``: every row of parcels is shifted by a random part of a parcel width, so
    corners meet the neighbouring row mid-edge (T-junctions, as in real cadastres).
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n / 0.85)))

    def offsets(size: np.ndarray) -> np.ndarray:
        i = np.arange(len(size))
        gap = np.where(i % 40 == 39, 20.0, np.where(i % 8 == 7, 6.0, 0.0))
        return np.r_[0.0, np.cumsum(size + gap)[:-1]]

    w, h = rng.uniform(10, 31.6, side), rng.uniform(10, 31.6, side)
    xs, ys = offsets(w), offsets(h)
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    col, row = col.ravel(), row.ravel()
    keep = np.flatnonzero(rng.uniform(size=side * side) >= 0.15)[:n]
    col, row = col[keep], row[keep]
    x0, y0 = X0 + xs[col], Y0 + ys[row]
    x1 = x0 + w[col]
    if staggered:  # move the shared vertical edges of each row (not across lanes: blocks keep their outline)
        shift = rng.uniform(-4, 4, side)[row]
        inner = col % 8
        x0 = np.where(inner > 0, x0 + shift, x0)
        x1 = np.where(inner < 7, x1 + shift, x1)
    geoms = shapely.box(x0, y0, x1, y0 + h[row])
    commune = (row // 200) * 1000 + col // 200
    frame = gpd.GeoDataFrame(
        {"commune": commune, "price": rng.uniform(5, 60, len(keep))},
        geometry=geoms,
        crs=CRS,
        index=pd.Index([f"P{i:07d}" for i in keep], name="parcel_id"),
    )
    return frame.iloc[rng.permutation(len(frame))]  # rows in no particular order


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(n: int, *, staggered: bool = False) -> dict[str, Any]:
    """Time each stage of site assembly on ``n`` parcels (in this process)."""
    from landplan.sites import adjacency, assemble_sites, partition, site_frame
    from landplan.sites.build import _group_codes

    rows: list[dict[str, Any]] = []

    cpu = [time.process_time()]

    def stage(name: str, t0: float) -> None:
        wall, used = time.perf_counter() - t0, time.process_time() - cpu[0]
        cpu[0] = time.process_time()
        rows.append({"stage": name, "parcels": n, "seconds": wall, "cpu_seconds": used, "peak_rss_mb": _rss_mb()})

    t = time.perf_counter()
    parcels = make_parcels(n, staggered=staggered)
    stage("generate parcels" + (" (staggered rows)" if staggered else ""), t)
    # the stages of assemble_sites, one by one
    t = time.perf_counter()
    ordered = parcels.iloc[parcels.index.argsort()]
    geoms = ordered.geometry.to_numpy()
    area = shapely.area(geoms)
    bounds = shapely.bounds(geoms)
    xy = (bounds[:, :2] + bounds[:, 2:]) / 2
    stage("sort by id, areas, bounds", t)
    t = time.perf_counter()
    left, right = adjacency(geoms, gap_m=GAP_M, group=_group_codes(ordered["commune"]), bounds=bounds)
    stage(f"adjacency (STRtree dwithin {GAP_M:g} m)", t)
    t = time.perf_counter()
    part = partition(xy, area, left, right, min_m2=MIN_HA * 1e4, max_m2=MAX_HA * 1e4)
    stage("partition (components, bisection, repair)", t)
    t = time.perf_counter()
    sites = site_frame(ordered, part.label)
    stage("site frame (union by bucket, attributes)", t)
    t = time.perf_counter()
    sites2, _, summary = assemble_sites(
        parcels, min_site_ha=MIN_HA, max_site_ha=MAX_HA, gap_m=GAP_M, group_field="commune"
    )
    stage("assemble_sites (all of the above)", t)
    same = bool(sites.drop(columns="commune").index.equals(sites2.index))
    a = sites2.geometry.area.to_numpy()
    hull = shapely.area(shapely.convex_hull(sites2.geometry.to_numpy()))
    shape = {
        "parcels": n,
        "layout": "staggered" if staggered else "aligned",
        "sites": len(sites2),
        "site_ha_min": round(a.min() / 1e4, 2),
        "site_ha_median": round(float(np.median(a)) / 1e4, 2),
        "site_ha_max": round(a.max() / 1e4, 2),
        "mean_hull_fill": round(float(np.mean(a / hull)), 3),
        "share_in_sites": round(float(a.sum() / shapely.area(parcels.geometry.to_numpy()).sum()), 3),
        "groups_split": summary["groups_split"],
        "dropped": summary["dropped"],
        "same_as_stages": same,
    }
    return {"rows": rows, "shape": shape}


def main() -> None:
    """Run each size in a subprocess and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--staggered", action="store_true", help="rows shifted: T-junctions (full-union fallback)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, staggered=args.staggered)))
        return
    rows, shapes = [], []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n), *(["--staggered"] if args.staggered else [])]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
        rows += res["rows"]
        shapes.append(res["shape"])
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).round(2).to_string(index=False))
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").is_file() else "n/a"
    print(
        f"(load average at the end: {load}; cpu_seconds: this process's CPU time; wall time is more on a busy machine)"
    )
    print(f"\nSites of {MIN_HA:g}-{MAX_HA:g} ha, gap {GAP_M:g} m, within communes:")
    print(pd.DataFrame(shapes).to_string(index=False))


if __name__ == "__main__":
    main()
