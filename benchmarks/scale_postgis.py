"""landplan's vector criteria beside PostGIS on the same city (used by ``benchmarks/scale.py``).

A private PostGIS server is started the way the tests start one (``tests/postgis_server.py``, what
``scripts/postgis.sh`` wraps), the city of ``scale.city(n)`` is loaded with COPY and GiST indexes
(``ANALYZE``d), and every criterion runs once in each: the nearest zone (PostGIS: KNN ``<->`` in a
``LATERAL`` join), five coverage shares (PostGIS: ``ST_DWithin`` join, ``ST_Union`` of the
facilities' buffers per parcel, ``ST_Intersection`` area; buffers with PostGIS's default 8
segments a quarter, coarser and so cheaper than landplan's exact discs), a count within 500 m
(``ST_DWithin``, ``LEFT JOIN ... GROUP BY``) and gravity job access (``sum(workers *
exp(-ST_Distance / 3000))`` over the zones). Each PostGIS query returns one row (``count``,
``sum``) so that no transfer is timed, and the sums are printed beside landplan's as a check that
both computed the same thing. PostGIS time is the query's wall time (a server process; the
client waits) and its CPU time (user + system of the query's backend, plus the parallel workers
the postmaster reaped, read from ``/proc``); landplan's is wall and CPU seconds in this process. On
a shared machine the CPU ratio is the fair one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd

ROOT = Path(__file__).resolve().parents[1]
SCALE_M = 3000.0
BUS_M = 500.0


def _landplan(d: dict[str, Any], radii: dict[str, int]) -> dict[str, tuple[float, float, float]]:
    """(wall s, CPU s, sum of values) per criterion, landplan."""
    from landplan.criteria import count_within, coverage_share, gravity_access, nearest_distance
    from landplan.criteria._kernels import warm_up

    warm_up()  # gravity's compiled loop: compiled once a machine, then loaded (scale.py prints its time)

    p, zones = d["parcels"], d["zones"]
    jobs: dict[str, Callable[[], pd.Series]] = {"nearest zone": lambda: nearest_distance(p, zones)}
    for k, r in radii.items():
        jobs[f"coverage {k} {r} m"] = lambda k=k, r=r: coverage_share(p, d["facilities"][k], radius_m=r)
    jobs["count bus stops 500 m"] = lambda: count_within(p, d["bus_stops"], radius_m=BUS_M)
    jobs["job access (gravity)"] = lambda: gravity_access(p, zones, workers=zones["workers"], scale_m=SCALE_M)
    out = {}
    for name, fn in jobs.items():
        t, c = time.perf_counter(), time.process_time()
        values = fn()
        out[name] = (time.perf_counter() - t, time.process_time() - c, float(values.astype(float).sum()))
    return out


def _load(conn: Any, d: dict[str, Any], radii: dict[str, int]) -> None:
    """The city's layers as tables with primary keys and GiST indexes, analysed."""
    from landplan.outputs.postgis import _write_table

    def frame(gdf: gpd.GeoDataFrame, extra: list[str] | None = None) -> gpd.GeoDataFrame:
        cols = extra or []
        out = gpd.GeoDataFrame(
            {"id": np.arange(len(gdf)), **{c: gdf[c].to_numpy() for c in cols}},
            geometry=np.asarray(gdf.geometry.array),
            crs=gdf.crs,
        )
        return out.rename_geometry("geom")

    tables = {"parcels": frame(d["parcels"]), "zones": frame(d["zones"], ["workers"])}
    tables["bus"] = frame(d["bus_stops"])
    for k in radii:
        tables[f"fac_{k}"] = frame(d["facilities"][k])
    for name, gdf in tables.items():
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        _write_table(conn, "public", name, (gdf, ["id"], {}), srid=32648)
        conn.exec_driver_sql(f"ANALYZE {name}")


def _cpu_s(pid: int, *, children: bool = False) -> float:
    """CPU seconds of a process (user + system; with ``children``, of its reaped children instead)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in (fields[13:15] if children else fields[11:13]))
    return ticks / os.sysconf("SC_CLK_TCK")


def _server_cpu(backend: int, postmaster: int) -> float:
    """CPU seconds spent by the query's backend and by the parallel workers the postmaster reaped."""
    return _cpu_s(backend) + _cpu_s(postmaster, children=True)


def _queries(radii: dict[str, int]) -> dict[str, str]:
    """One SQL statement per criterion, each returning (rows, sum of values)."""
    q = {
        "nearest zone": """SELECT count(*), sum(n.d) FROM parcels p CROSS JOIN LATERAL
            (SELECT ST_Distance(p.geom, z.geom) AS d FROM zones z ORDER BY p.geom <-> z.geom LIMIT 1) n"""
    }
    for k, r in radii.items():
        q[f"coverage {k} {r} m"] = f"""SELECT count(*), sum(s) FROM (
            SELECT ST_Area(ST_Intersection(p.geom, ST_Union(ST_Buffer(f.geom, {r})))) / ST_Area(p.geom) AS s
            FROM parcels p JOIN fac_{k} f ON ST_DWithin(p.geom, f.geom, {r}) GROUP BY p.id, p.geom) c"""
    q["count bus stops 500 m"] = f"""SELECT count(*), sum(c) FROM (SELECT count(b.id) AS c FROM parcels p
        LEFT JOIN bus b ON ST_DWithin(p.geom, b.geom, {BUS_M}) GROUP BY p.id) c"""
    q["job access (gravity)"] = f"""SELECT count(*), sum(a) FROM (
        SELECT sum(z.workers * exp(-ST_Distance(p.geom, z.geom) / {SCALE_M})) AS a
        FROM parcels p CROSS JOIN zones z GROUP BY p.id) g"""
    return q


def side_by_side(n: int, city: Callable[[int], dict[str, Any]], radii: dict[str, int]) -> tuple[pd.DataFrame, str]:
    """Time both on the same ``n``-parcel city; the table, or an empty one and why not."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from postgis_server import PostgisServer, ensure_installed
    except ImportError as exc:  # pragma: no cover - a checkout without the tests
        return pd.DataFrame(), f"PostGIS not available: {exc}"
    if reason := ensure_installed():
        return pd.DataFrame(), f"PostGIS not available: {reason}"
    from landplan.io.postgis import connect

    d = city(n)
    ours = _landplan(d, radii)
    rows = []
    try:
        with PostgisServer() as pg:
            os.environ["PGPASSWORD"] = pg.password
            with connect(pg.url, what="bench", read_only=False) as conn:
                _load(conn, d, radii)
            version = ""
            assert pg.folder is not None
            postmaster = int((pg.folder / "data" / "postmaster.pid").read_text().split()[0])
            with connect(pg.url, what="bench") as conn:
                version = str(conn.exec_driver_sql("SELECT postgis_lib_version()").scalar())
                backend = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar())
                for name, sql in _queries(radii).items():
                    t, c = time.perf_counter(), _server_cpu(backend, postmaster)
                    count, total = conn.exec_driver_sql(sql).one()
                    wall, cpu = time.perf_counter() - t, _server_cpu(backend, postmaster) - c
                    lw, lc, lsum = ours[name]
                    rows.append(
                        {
                            "criterion": name,
                            "landplan_wall_s": lw,
                            "landplan_cpu_s": lc,
                            "postgis_wall_s": wall,
                            "postgis_cpu_s": cpu,
                            "ratio_wall": wall / lw,
                            "ratio_cpu": cpu / lc,
                            "landplan_sum": lsum,
                            "postgis_sum": float(total),
                            "postgis_rows": int(count),
                        }
                    )
    except RuntimeError as exc:
        return pd.DataFrame(), f"PostGIS not available: {exc}"
    table = pd.DataFrame(rows)
    total = table[["landplan_wall_s", "landplan_cpu_s", "postgis_wall_s", "postgis_cpu_s"]].sum()
    note = (
        f"PostGIS {version} on {n:,} parcels (same city, same machine): vector criteria together "
        f"landplan {total['landplan_wall_s']:.1f} s wall / {total['landplan_cpu_s']:.1f} s CPU against PostGIS "
        f"{total['postgis_wall_s']:.1f} s wall / {total['postgis_cpu_s']:.1f} s CPU = "
        f"{total['postgis_wall_s'] / total['landplan_wall_s']:.1f}x wall, "
        f"{total['postgis_cpu_s'] / total['landplan_cpu_s']:.1f}x CPU; nearest zone "
        f"{table.loc[0, 'ratio_wall']:.1f}x wall, {table.loc[0, 'ratio_cpu']:.1f}x CPU "
        "(targets: >= 20x together, >= 2x nearest zone)"
    )
    return table, note
