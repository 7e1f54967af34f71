"""`landplan run` on a province-sized synthetic scenario: wall time, CPU and peak memory of the real CLI.

Usage::

    python benchmarks/run_scale.py                       # 1,000,000 parcels
    python benchmarks/run_scale.py --parcels 200000 --keep /tmp/run200k
    python benchmarks/run_scale.py --parcels 200000 --trace   # in-process, a peak-RSS table per stage
    python benchmarks/run_scale.py --parcels 200000 --map --allocation

Writes a scenario in a temporary folder -- parcels, zones, facilities and bus stops as GeoParquet
(``scale.city``), a 30 m flood GeoTIFF, a TOML with zone distance, job access, four coverage
criteria, a count, land price, site size, a raster criterion and three constraints -- then runs
``python -m landplan.cli run`` in a subprocess and reports its wall time, CPU seconds (user + system
of the CLI and everything it started) and peak RSS (the largest resident set of the CLI or any
process it waited for, ``RUSAGE_CHILDREN``), with the size of every output. By default the
interactive map is off (``map = false``; ``--map`` draws it: the tiled map above 50,000 parcels), no
``[allocation]`` table is given (``--allocation`` adds one: 8 km commute, the solver's "auto"
choice) and the report's sensitivity has the setting's default 500 runs (``--sensitivity-runs``).

``--trace`` runs the pipeline in this process instead and prints the resident memory of every stage
(start, sampled peak, end; ``benchmarks/memtrace.py``): which stage holds what.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import geopandas as gpd

sys.path.insert(0, str(Path(__file__).parent))
from run import X0, Y0
from scale import city, write_raster

ROOT = Path(__file__).resolve().parents[1]
RADII = {"kindergarten": 300, "primary": 500, "secondary": 1000, "market": 800}

SCENARIO = """
[scenario]
name = "Synthetic province, {n:,} parcels"
crs = "EPSG:32648"
rule_pack = "vn"

[layers.parcels]
path = "parcels.parquet"
id_field = "parcel_id"

[layers.zones]
path = "zones.parquet"
id_field = "zone_id"
name_field = "name"
hazard_field = "hazard"
workers_field = "workers"

[layers.facilities]
path = "facilities.parquet"
id_field = "fac_id"
geometry = "point"

[layers.bus_stops]
path = "bus_stops.parquet"
id_field = "stop_id"
geometry = "point"

[rasters.flood_depth]
path = "flood.tif"
unit = "m"

[[criteria]]
name = "zone_distance"
kind = "distance"
layer = "zones"
weight = 2
value = {{ function = "linear", lower = 1000, upper = 8000, increasing = false }}

[[criteria]]
name = "job_access"
kind = "access"
layer = "zones"
decay = "exponential"
scale_m = 3000
weight = 2
value = {{ function = "fuzzy_large", midpoint = 20000, spread = 1.5 }}
{coverage}
[[criteria]]
name = "bus_stops"
kind = "count"
layer = "bus_stops"
radius_m = 500
weight = 1
value = {{ function = "linear", lower = 0, upper = 5 }}

[[criteria]]
name = "land_price"
kind = "attribute"
field = "price_mvnd"
weight = 1
value = {{ function = "linear", lower = 5, upper = 60, increasing = false }}

[[criteria]]
name = "site_size"
kind = "area"
weight = 0.5
value = {{ function = "band", lower = 5000, ideal_low = 8000, ideal_high = 15000, upper = 25000 }}

[[criteria]]
name = "flood"
kind = "raster"
raster = "flood_depth"
stat = "mean"
weight = 1
value = {{ function = "linear", lower = 0, upper = 2, increasing = false }}

[[constraints]]
kind = "isolation"
layer = "zones"

[[constraints]]
kind = "min_area"
min_area_m2 = 5000

[[constraints]]
kind = "raster"
raster = "flood_depth"
stat = "share_above"
threshold = 1.5
max = 0.5

[output]
formats = ["csv", "parquet"]
map = {map}
report = true
pdf = false
sensitivity_runs = {runs}
{allocation}"""

ALLOCATION = """
[allocation]
max_commute_m = 8000
commute_weight = 0.5
suitability_weight = 0.5
"""

COVERAGE = """
[[criteria]]
name = "{k}"
kind = "coverage"
layer = "facilities"
select = {{ kind = "{k}" }}
radius_m = {r}
weight = 1
value = {{ function = "identity" }}
"""


def write_scenario(
    folder: Path, n: int, *, sensitivity_runs: int = 500, draw_map: bool = False, allocation: bool = False
) -> Path:
    """The scenario's layers, raster and TOML in ``folder``; returns the TOML."""
    d = city(n)
    p = d["parcels"].reset_index()
    p = p.rename(columns={"price": "price_mvnd"})
    p.to_parquet(folder / "parcels.parquet")
    z = d["zones"].assign(zone_id=[f"Z{i:02d}" for i in range(len(d["zones"]))], hazard="III")
    z["name"] = z["zone_id"]
    z.to_parquet(folder / "zones.parquet")
    kinds = list(RADII)
    facilities = pd.concat([d["facilities"][k].assign(kind=k) for k in kinds], ignore_index=True)
    facilities["fac_id"] = [f"F{i:07d}" for i in range(len(facilities))]
    gpd.GeoDataFrame(facilities, crs=p.crs).to_parquet(folder / "facilities.parquet")
    stops = d["bus_stops"].assign(stop_id=[f"B{i:07d}" for i in range(len(d["bus_stops"]))])
    stops.to_parquet(folder / "bus_stops.parquet")
    b = p.total_bounds
    write_raster(folder / "flood.tif", float(max(b[2] - X0, b[3] - Y0)) + 200, cell_m=30.0)
    coverage = "".join(COVERAGE.format(k=k, r=RADII[k]) for k in kinds)
    toml = folder / "scenario.toml"
    toml.write_text(
        SCENARIO.format(
            n=n,
            coverage=coverage,
            runs=sensitivity_runs,
            map=str(draw_map).lower(),
            allocation=ALLOCATION if allocation else "",
        ),
        encoding="utf-8",
    )
    return toml


def trace(toml: Path, out: Path) -> None:
    """Run the pipeline in this process with a per-stage RSS trace and print the table."""
    from memtrace import Tracer

    from landplan.pipeline import run

    t, c = time.perf_counter(), time.process_time()
    with Tracer() as tracer:
        tracer.wrap()
        run(toml, out_dir=out, overwrite=True, progress=tracer.progress)
    print(tracer.table())
    print(f"in-process run: wall {time.perf_counter() - t:.1f} s, CPU {time.process_time() - c:.1f} s")


def main() -> None:
    """Write the scenario, run the CLI, print the measurements."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="write the scenario and outputs here (kept) instead of a temp folder")
    ap.add_argument("--sensitivity-runs", type=int, default=500, help="[output] sensitivity_runs (default 500)")
    ap.add_argument("--map", action="store_true", help="draw the interactive map (tiled above 50,000 parcels)")
    ap.add_argument("--allocation", action="store_true", help="add an [allocation] table (8 km commute)")
    ap.add_argument("--trace", action="store_true", help="run in this process and print a per-stage RSS table")
    ap.add_argument("--trace-scenario", type=Path, help=argparse.SUPPRESS)  # --trace's own process
    args = ap.parse_args()
    if args.trace_scenario:
        trace(args.trace_scenario, args.keep)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="landplan-run-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        toml = write_scenario(
            folder, args.parcels, sensitivity_runs=args.sensitivity_runs, draw_map=args.map, allocation=args.allocation
        )
        print(f"scenario written in {time.perf_counter() - t:.1f} s: {folder}")
        out = folder / "out"
        load = os.getloadavg()[0]
        if args.trace:  # in a fresh process: its memory is the run's alone, not the scenario generator's
            cmd = [sys.executable, __file__, "--trace-scenario", str(toml), "--keep", str(out)]
            subprocess.run(cmd, env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=True)
            print(f"load average before / after: {load:.2f} / {os.getloadavg()[0]:.2f} (2 cores)")
            return
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        cmd = [sys.executable, "-m", "landplan.cli", "run", str(toml), "-o", str(out), "--overwrite"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            sys.exit(f"landplan run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        print(f"landplan run, {args.parcels:,} parcels: wall {wall:.1f} s, CPU {cpu:.1f} s (user + system)")
        extras = f"map {'on' if args.map else 'off'}, {'an' if args.allocation else 'no'} allocation"
        print(f"peak RSS {after.ru_maxrss / 1024:,.0f} MB (target <= 4,096 MB); {extras}, {args.sensitivity_runs} runs")
        print(f"load average before / after: {load:.2f} / {os.getloadavg()[0]:.2f} (2 cores)")
        sizes = sorted((f.stat().st_size, f.name) for f in out.iterdir() if f.is_file())
        print("outputs: " + ", ".join(f"{name} {size / 1e6:,.1f} MB" for size, name in reversed(sizes)))
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
