"""The dask engine against the in-memory engine: seconds per million parcels, CPU, peak memory.

Usage::

    python benchmarks/dask_engine.py                          # in-memory 1M, dask 1M and 5M (heavy: once)
    python benchmarks/dask_engine.py --runs memory:100000 dask:100000

Each run is a fresh subprocess: it writes a synthetic city (parcels as a folder of GeoParquet parts,
10 zones, facilities, bus stops, water), loads the study and scores it with the engine
(``landplan.engine.score_study``), and reports wall and CPU seconds per stage. For dask, a
``distributed.LocalCluster`` on 127.0.0.1 with 2 single-threaded workers is started for the run;
CPU seconds include the workers' (``time.process_time`` of each worker process); the cluster's start
is timed apart (``cluster_start_s``), the Hilbert sort and the gathering in ``score_s``. Peak RSS is
given for the client and for the largest worker. Scenario: distance to 10 zones, job access
(gravity), 2 coverage criteria (300 m, 500 m), a count (500 m), price, isolation by hazard class,
water excluded (30 m), minimum area (2,500 m2), weighted sum, ranks, drivers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

X0, Y0, CRS = 350_000.0, 2_300_000.0, "EPSG:32648"  # 5M parcels: 224 km x 224 km, inside UTM 48N
PART_ROWS = 500_000

SCENARIO = """
[scenario]
name = "dask benchmark"
crs = "EPSG:32648"
misplaced_features = "warning"

[layers.parcels]
path = "parcels"
id_field = "parcel_id"

[layers.zones]
path = "zones.parquet"
id_field = "zone_id"
hazard_field = "hazard"
workers_field = "workers"

[layers.facilities]
path = "facilities.parquet"
id_field = "fac_id"

[layers.stops]
path = "stops.parquet"

[layers.water]
path = "water.parquet"

[[criteria]]
name = "zone_distance"
kind = "distance"
layer = "zones"
weight = 3
value = {{ function = "linear", lower = 500, upper = 8000, increasing = false }}

[[criteria]]
name = "jobs"
kind = "access"
scale_m = 3000
weight = 2
value = {{ function = "linear", lower = 0, upper = 100000 }}

[[criteria]]
name = "kindergarten"
kind = "coverage"
layer = "facilities"
select = {{ kind = "kindergarten" }}
radius_m = 300
weight = 2
value = {{ function = "identity" }}

[[criteria]]
name = "school"
kind = "coverage"
layer = "facilities"
select = {{ kind = "school" }}
radius_m = 500
weight = 1.5
value = {{ function = "identity" }}

[[criteria]]
name = "bus"
kind = "count"
layer = "stops"
radius_m = 500
weight = 2
value = {{ function = "step", mode = "at_least", thresholds = [3, 1], values = [1.0, 0.5] }}

[[criteria]]
name = "price"
kind = "attribute"
field = "price"
weight = 1
value = {{ function = "linear", lower = 5, upper = 60, increasing = false }}

[[constraints]]
kind = "isolation"

[[constraints]]
kind = "exclusion_layer"
layer = "water"
buffer_m = 30

[[constraints]]
kind = "min_area"
min_area_m2 = 2500

[compute]
engine = "{engine}"
workers = 2
threads_per_worker = 1
memory_limit_gb = {memory_gb}
partition_parcels = {partition}
"""


def write_city(folder: Path, n: int, *, seed: int = 42) -> None:
    """``n`` jittered parcels (0.16-0.9 ha) on a 100 m grid, written in parts of 500,000, and their features."""
    rng = np.random.default_rng(seed)
    cell, side = 100.0, int(np.ceil(np.sqrt(n)))
    (folder / "parcels").mkdir(parents=True)
    for k, start in enumerate(range(0, n, PART_ROWS)):  # loop over parts, not parcels
        ids = np.arange(start, min(start + PART_ROWS, n))
        m = len(ids)
        ij = np.column_stack(np.unravel_index(ids, (side, side))).astype(float) * cell
        w, h = rng.uniform(40, 95, m), rng.uniform(40, 95, m)
        x = X0 + ij[:, 0] + rng.uniform(0, 1, m) * (cell - w)
        y = Y0 + ij[:, 1] + rng.uniform(0, 1, m) * (cell - h)
        gpd.GeoDataFrame(
            {"parcel_id": np.char.add("P", np.char.zfill(ids.astype(str), 8)), "price": rng.uniform(5, 60, m)},
            geometry=shapely.box(x, y, x + w, y + h),
            crs=CRS,
        ).to_parquet(folder / "parcels" / f"part-{k:04d}.parquet", index=False)
    extent = side * cell

    def points(k: int) -> np.ndarray:
        return shapely.points(rng.uniform(0, extent, (k, 2)) + np.array([X0, Y0]))

    gpd.GeoDataFrame(
        {
            "zone_id": [f"Z{i}" for i in range(10)],
            "hazard": rng.choice(np.array(["III", "IV", "V"]), 10),
            "workers": rng.integers(2_000, 60_000, 10),
        },
        geometry=shapely.buffer(points(10), rng.uniform(300, 900, 10)),
        crs=CRS,
    ).to_parquet(folder / "zones.parquet", index=False)
    nf = n // 40
    gpd.GeoDataFrame(
        {"fac_id": [f"F{i}" for i in range(nf)], "kind": rng.choice(np.array(["kindergarten", "school"]), nf)},
        geometry=points(nf),
        crs=CRS,
    ).to_parquet(folder / "facilities.parquet", index=False)
    gpd.GeoDataFrame(geometry=points(n // 30), crs=CRS).to_parquet(folder / "stops.parquet", index=False)
    nw = max(n // 500, 1)
    water = shapely.buffer(points(nw), rng.uniform(30, 150, nw))
    gpd.GeoDataFrame(geometry=water, crs=CRS).to_parquet(folder / "water.parquet", index=False)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(engine: str, n: int, partition: int, memory_gb: float) -> dict[str, Any]:
    """Write, load and score one city with one engine (call in a fresh process)."""
    from landplan.engine import score_study
    from landplan.engine.partitioned import cluster_client, score_partitioned
    from landplan.load import load_study

    row: dict[str, Any] = {"engine": engine, "parcels": n}
    with tempfile.TemporaryDirectory(prefix="landplan-dask-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        write_city(folder, n)
        row["generate_s"] = time.perf_counter() - t
        text = SCENARIO.format(
            engine="dask" if engine == "dask" else "in-memory", partition=partition, memory_gb=memory_gb
        )
        (folder / "s.toml").write_text(textwrap.dedent(text), encoding="utf-8")
        cpu0, t = time.process_time(), time.perf_counter()
        study = load_study(folder / "s.toml")
        row["load_s"], row["load_cpu_s"] = time.perf_counter() - t, time.process_time() - cpu0
        cpu0, t = time.process_time(), time.perf_counter()
        if engine == "dask":
            with cluster_client(study.scenario.compute) as client:
                row["cluster_start_s"] = time.perf_counter() - t
                cpu0, t = time.process_time(), time.perf_counter()
                workers_cpu0 = client.run(time.process_time)
                scores = score_partitioned(study, client=client)
                row["score_s"] = time.perf_counter() - t
                workers_cpu = client.run(time.process_time)
                workers_rss = client.run(_rss_mb)
            row["score_cpu_s"] = time.process_time() - cpu0 + sum(workers_cpu.values()) - sum(workers_cpu0.values())
            row["worker_peak_mb"] = max(workers_rss.values())
        else:
            scores = score_study(study)
            row["score_s"], row["score_cpu_s"] = time.perf_counter() - t, time.process_time() - cpu0
            row["worker_peak_mb"] = row["cluster_start_s"] = float("nan")
        row["eligible"] = int(scores.eligible.sum())
        row["client_peak_mb"] = _rss_mb()
    row["score_s_per_million"] = row["score_s"] / (n / 1e6)
    row["score_cpu_s_per_million"] = row["score_cpu_s"] / (n / 1e6)
    return row


def main() -> None:
    """Run each engine and size in a subprocess and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", nargs="+", default=["memory:1000000", "dask:1000000", "dask:5000000"])
    ap.add_argument("--partition", type=int, default=100_000, help="parcels per dask partition")
    ap.add_argument("--memory-gb", type=float, default=6.0, help="memory limit of each dask worker")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        engine, n = args.child.split(":")
        print(json.dumps(run_one(engine, int(n), args.partition, args.memory_gb)))
        return
    load_before = os.getloadavg()
    rows = []
    for spec in args.runs:
        cmd = [sys.executable, __file__, "--child", spec, "--partition", str(args.partition)]
        cmd += ["--memory-gb", str(args.memory_gb)]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)  # stderr: shown
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"done {spec}: {json.dumps(rows[-1])}", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    print(f"\nload average before / after: {load_before[0]:.2f} / {os.getloadavg()[0]:.2f} (2 cores, shared)")


if __name__ == "__main__":
    main()
