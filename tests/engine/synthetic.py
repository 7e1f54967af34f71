"""A synthetic city for the engine tests: parcels as a folder of GeoParquet parts, and its scenario."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

X0, Y0, CRS = 560_000.0, 2_300_000.0, "EPSG:32648"

SCENARIO = """
[scenario]
name = "synthetic city"
crs = "EPSG:32648"

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

[layers.water]
path = "water.parquet"

[[criteria]]
name = "zone_distance"
kind = "distance"
layer = "zones"
weight = 3
value = {{ function = "linear", lower = 300, upper = 6000, increasing = false }}

[[criteria]]
name = "jobs"
kind = "access"
scale_m = 3000
weight = 2
value = {{ function = "linear", lower = 0, upper = 20000 }}

[[criteria]]
name = "schools"
kind = "coverage"
layer = "facilities"
select = {{ kind = "school" }}
radius_m = 500
outside = "neutral"
weight = 2
value = {{ function = "identity" }}

[[criteria]]
name = "clinics"
kind = "count"
layer = "facilities"
select = {{ kind = "clinic" }}
radius_m = 800
weight = 1
value = {{ function = "step", mode = "at_least", thresholds = [2, 1], values = [1.0, 0.5] }}

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
buffer_m = 20
mode = "subtract"

[[constraints]]
kind = "min_area"
min_area_m2 = 4000

[[constraints]]
kind = "attribute"
field = "landuse"
not_in = ["public"]

[compute]
engine = "{engine}"
partition_parcels = {partition}
{extra}
"""


def write_city(folder: Path, n: int, *, parts: int = 3, seed: int = 7) -> None:
    """Write ``n`` jittered parcels (as ``parts`` GeoParquet parts), zones, facilities and water."""
    rng = np.random.default_rng(seed)
    cell, side = 160.0, int(np.ceil(np.sqrt(n)))
    ij = np.column_stack(np.unravel_index(np.arange(n), (side, side))).astype(float) * cell
    w, h = rng.uniform(50, 150, n), rng.uniform(50, 150, n)
    x = X0 + ij[:, 0] + rng.uniform(0, 1, n) * (cell - w)
    y = Y0 + ij[:, 1] + rng.uniform(0, 1, n) * (cell - h)
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i:07d}" for i in range(n)],
            "price": np.round(rng.uniform(5, 60, n), 2),
            "landuse": rng.choice(np.array(["residential", "public", "mixed"]), n, p=[0.6, 0.1, 0.3]),
        },
        geometry=shapely.box(x, y, x + w, y + h),
        crs=CRS,
    )
    (folder / "parcels").mkdir(parents=True)
    for k, rows in enumerate(np.array_split(np.arange(n), parts)):
        parcels.iloc[rows].to_parquet(folder / "parcels" / f"part-{k:03d}.parquet", index=False)
    extent = side * cell

    def points(k: int) -> np.ndarray:
        return shapely.points(rng.uniform(0, extent, (k, 2)) + np.array([X0, Y0]))

    nz = 6
    gpd.GeoDataFrame(
        {
            "zone_id": [f"Z{i}" for i in range(nz)],
            "hazard": rng.choice(np.array(["III", "IV", "V"]), nz),
            "workers": rng.integers(2_000, 40_000, nz),
        },
        geometry=shapely.buffer(points(nz), rng.uniform(200, 500, nz)),
        crs=CRS,
    ).to_parquet(folder / "zones.parquet", index=False)
    nf = max(n // 40, 4)
    gpd.GeoDataFrame(
        {"fac_id": [f"F{i}" for i in range(nf)], "kind": rng.choice(np.array(["school", "clinic"]), nf)},
        geometry=points(nf),
        crs=CRS,
    ).to_parquet(folder / "facilities.parquet", index=False)
    nw = max(n // 200, 2)
    gpd.GeoDataFrame(geometry=shapely.buffer(points(nw), rng.uniform(30, 120, nw)), crs=CRS).to_parquet(
        folder / "water.parquet", index=False
    )


def write_scenario(folder: Path, *, engine: str, partition: int, extra: str = "", name: str = "s.toml") -> Path:
    """Write the synthetic city's scenario with a ``[compute]`` table; returns its path."""
    path = folder / name
    text = SCENARIO.format(engine=engine, partition=partition, extra=extra)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def frame_of(path: Path) -> pd.DataFrame:
    """A written ranked GeoParquet (file or folder of parts) as one frame."""
    if path.is_dir():
        return pd.concat([gpd.read_parquet(p) for p in sorted(path.glob("*.parquet"))], ignore_index=True)
    return gpd.read_parquet(path)
