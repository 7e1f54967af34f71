"""PostGIS in and out beside their peers, on a private server (tests/postgis_server.py).

Usage::

    python benchmarks/postgis.py                 # 10,000 and 100,000 parcels
    python benchmarks/postgis.py --sizes 20000

Reading N parcels (polygons, 3 attributes) with ``landplan.read_layer`` from a GeoPackage and from
a PostGIS table, beside ``geopandas.read_postgis``; writing them with landplan's writer (CREATE +
COPY in text format + primary key + GiST index, one transaction) beside ``GeoDataFrame.to_postgis``
(GeoAlchemy2, CSV COPY; no key, its own index). Best of 3 runs, wall seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy

import geopandas as gpd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from landplan.io import read_layer
from landplan.io.postgis import connect
from landplan.outputs.postgis import _write_table
from postgis_server import PostgisServer, ensure_installed


def parcels(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(1)
    x, y = 560_000 + rng.uniform(0, 50_000, n), 2_300_000 + rng.uniform(0, 50_000, n)
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i:07d}" for i in range(n)],
            "landuse": rng.choice(["vacant", "rice", "residential", ""], n),
            "price": rng.uniform(5, 60, n),
        },
        geometry=shapely.box(x, y, x + 80, y + 60),
        crs="EPSG:32648",
    )


def best(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    if reason := ensure_installed():
        sys.exit(f"cannot run: {reason}")
    rows = []
    with PostgisServer() as pg, tempfile.TemporaryDirectory() as tmp:
        engine = sqlalchemy.create_engine(pg.sqlalchemy_url)
        os.environ["PGPASSWORD"] = pg.password  # read_layer takes it from the environment, as a user would
        for n in args.sizes:
            gdf = parcels(n)
            gpkg = Path(tmp) / f"p{n}.gpkg"
            gdf.to_file(gpkg, engine="pyogrio")
            gdf.to_postgis(f"p{n}", engine, index=False)

            def landplan_write(n: int = n, gdf: gpd.GeoDataFrame = gdf) -> None:
                with connect(pg.url_with_password, what="bench", read_only=False) as conn:
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS w{n}")
                    _write_table(conn, "public", f"w{n}", (gdf, ["parcel_id"], {}), srid=32648)

            def geopandas_write(n: int = n, gdf: gpd.GeoDataFrame = gdf) -> None:
                gdf.to_postgis(f"g{n}", engine, index=False, if_exists="replace")

            query = f"SELECT * FROM p{n}"
            rows += [
                ("read", "landplan.read_layer, GeoPackage", n, best(lambda g=gpkg: read_layer(g))),
                ("read", "landplan.read_layer, PostGIS", n, best(lambda n=n: read_layer(pg.url, table=f"p{n}"))),
                ("read", "geopandas.read_postgis", n, best(lambda q=query: gpd.read_postgis(q, engine, "geometry"))),
                ("write", "landplan (COPY text, PK, GiST)", n, best(landplan_write)),
                ("write", "GeoDataFrame.to_postgis", n, best(geopandas_write)),
            ]
        engine.dispose()
    table = pd.DataFrame(rows, columns=["op", "how", "parcels", "seconds"])
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
