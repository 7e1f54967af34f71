"""Results into a PostGIS database: the ranking, the allocation and the manifest as tables.

``landplan run scenario.toml -o "postgresql://user@host:port/db?schema=landplan"`` writes

==================== ============================================ ========================
table                content                                      primary key
==================== ============================================ ========================
``ranked``           the wide ranking (every parcel, rank order)  the parcel id column
``allocation_parcels`` allocated parcels (with an allocation)     the parcel id column
``allocation_zones`` zones with demand, allocated and unmet units the zone id column
``allocation_links`` zone-to-parcel lines                         ``parcel``, ``zone``
``manifest``         the run manifest, one row per item (jsonb)   ``item``
==================== ============================================ ========================

into the URL's ``schema`` (default ``public``, created when missing), each geometry column in
the working CRS's SRID with a GiST index. Everything is written in one transaction, under an
advisory lock on the schema: a failed run leaves the database as it was, and a concurrent run
waits. Existing tables are replaced only with ``overwrite`` (dropped and created in the same
transaction); views that depend on them make the run fail rather than drop them.
:func:`check_database_target` runs before any work (server reachable, PostGIS installed,
tables free, working CRS with an EPSG code).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

import geopandas as gpd
import pyproj

from landplan.config import Scenario
from landplan.errors import InputError, OutputExistsError, redact
from landplan.io.postgis import connect, database_error, execute, split_table, split_url
from landplan.model import Result
from landplan.outputs.tables import allocation_layers

__all__ = ["check_database_target", "database_tables", "write_database"]

#: PostgreSQL truncates longer identifiers (NAMEDATALEN - 1)
_MAX_NAME = 63
_ALLOCATION_TABLES = ("allocation_parcels", "allocation_zones", "allocation_links")


def _schema(url: str) -> str:
    return split_url(url)[1].get("schema") or "public"


def database_tables(s: Scenario) -> list[str]:
    """The tables a run of ``s`` writes, in order.

    Parameters
    ----------
    s : Scenario
        The scenario (an ``[allocation]`` table adds the allocation tables).

    Returns
    -------
    list of str
        Table names (without the schema).
    """
    return ["ranked", *(_ALLOCATION_TABLES if s.allocation is not None else ()), "manifest"]


def check_database_target(s: Scenario, url: str, *, overwrite: bool) -> None:
    """Check, before any work, that a run of ``s`` can write its tables to ``url``.

    Parameters
    ----------
    s : Scenario
        The scenario.
    url : str
        ``postgresql://user@host:port/db?schema=name``.
    overwrite : bool
        Whether existing tables may be replaced.

    Raises
    ------
    InputError
        Unreachable server, PostGIS missing, a working CRS without an EPSG code.
    OutputExistsError
        A table exists (without ``overwrite``) or is one of the scenario's inputs.
    """
    schema = _schema(url)
    what = f"output {redact(url)}"
    if s.scenario.crs:
        _srid(pyproj.CRS.from_user_input(s.scenario.crs), what)
    names = database_tables(s)
    if too_long := [n for n in names if len(n.encode()) > _MAX_NAME]:  # pragma: no cover - fixed names today
        msg = f"{what}: table names longer than {_MAX_NAME} bytes: {too_long}"
        raise InputError(msg)
    inputs = _input_tables(s, url)
    for name in names:
        if (schema, name) in inputs:
            msg = f"{what}: table {schema}.{name} is an input of this scenario; write into another schema (?schema=...)"
            raise OutputExistsError(msg)
    with connect(url, what=what) as conn:
        row = execute(conn, "SELECT to_regtype('geometry')").fetchone()
        if row is None or row[0] is None:
            msg = f"{what}: the PostGIS extension is not installed in this database; run CREATE EXTENSION postgis"
            raise InputError(msg)
        if (existing := _existing(conn, schema, names)) and not overwrite:
            msg = f"{what}: table {schema}.{existing[0]} exists; pass --overwrite to replace the run's tables"
            raise OutputExistsError(msg)


def write_database(result: Result, url: str, *, overwrite: bool) -> dict[str, str]:
    """Write a run's tables to PostGIS in one transaction.

    Parameters
    ----------
    result : Result
        The computed run; its manifest goes into the ``manifest`` table.
    url : str
        ``postgresql://user@host:port/db?schema=name`` (schema default ``public``).
    overwrite : bool
        Replace existing tables (else an existing one is an error and nothing is written).

    Returns
    -------
    dict of str to str
        Table name -> ``schema.table`` written.

    Raises
    ------
    OutputExistsError
        A table exists and ``overwrite`` is false.
    InputError
        The database refused the write (rolled back; the message says why).
    """
    import psycopg

    schema = _schema(url)
    what = f"output {redact(url)}"
    srid = _srid(result.study.crs, what)
    frames = _frames(result)
    with connect(url, what=what, read_only=False) as conn:
        q = conn.dialect.identifier_preparer.quote_identifier
        try:
            execute(conn, "SELECT pg_advisory_xact_lock(hashtext(%(k)s))", {"k": f"landplan output {schema}"})
            execute(conn, f"CREATE SCHEMA IF NOT EXISTS {q(schema)}")
            if (existing := _existing(conn, schema, list(frames))) and not overwrite:
                msg = f"{what}: table {schema}.{existing[0]} exists; pass --overwrite to replace the run's tables"
                raise OutputExistsError(msg)
            for name in existing:
                execute(conn, f"DROP TABLE {q(schema)}.{q(name)}")
            for name, (frame, key) in frames.items():
                _write_table(conn, schema, name, frame, key, srid=srid)
        except psycopg.Error as exc:
            msg = f"{what}: the database refused the write ({database_error(exc)}); nothing was written"
            raise InputError(msg) from None
    return {name: f"{schema}.{name}" for name in frames}


def _frames(result: Result) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    """Each table's frame (index written as columns) and its primary-key columns."""
    ranked = result.ranked
    frames: dict[str, tuple[pd.DataFrame, list[str]]] = {"ranked": (ranked.reset_index(), [str(ranked.index.name)])}
    if result.allocation is not None:
        layers = allocation_layers(result.allocation, result.study)
        for table, layer in zip(_ALLOCATION_TABLES, ("allocated_parcels", "zones", "links"), strict=True):
            gdf = layers[layer]
            key = ["parcel", "zone"] if layer == "links" else [str(gdf.index.name)]
            frames[table] = (gdf.reset_index(drop=layer == "links"), key)
    info = {k: json.dumps(v, ensure_ascii=False, default=str) for k, v in result.manifest.items()}
    frames["manifest"] = (pd.DataFrame({"item": list(info), "value": list(info.values())}), ["item"])
    return frames


def _write_table(conn: Any, schema: str, name: str, frame: pd.DataFrame, key: list[str], *, srid: int) -> None:
    from geoalchemy2 import Geometry
    from sqlalchemy.dialects.postgresql import JSONB

    q = conn.dialect.identifier_preparer.quote_identifier
    if too_long := [c for c in frame.columns if len(str(c).encode()) > _MAX_NAME]:
        msg = f"{schema}.{name}: column names longer than {_MAX_NAME} bytes (PostgreSQL would cut them): {too_long}"
        raise InputError(msg)
    target = f"{q(schema)}.{q(name)}"
    if isinstance(frame, gpd.GeoDataFrame):
        geom = frame.geometry.name
        types = set(frame.geometry.geom_type.dropna())
        kind = types.pop().upper() if len(types) == 1 else "GEOMETRY"
        frame.to_postgis(
            name, conn, schema=schema, index=False, if_exists="fail", dtype={geom: Geometry(kind, srid=srid)}
        )
        if not _has_gist(conn, schema, name):
            execute(conn, f"CREATE INDEX ON {target} USING GIST ({q(geom)})")
    else:
        frame.to_sql(name, conn, schema=schema, index=False, if_exists="fail", dtype={"value": JSONB})
    execute(conn, f"ALTER TABLE {target} ADD PRIMARY KEY ({', '.join(q(c) for c in key)})")


def _has_gist(conn: Any, schema: str, name: str) -> bool:
    sql = "SELECT 1 FROM pg_indexes WHERE schemaname = %(s)s AND tablename = %(t)s AND indexdef ILIKE '%%USING gist%%'"
    return execute(conn, sql, {"s": schema, "t": name}).fetchone() is not None


def _existing(conn: Any, schema: str, names: list[str]) -> list[str]:
    q = conn.dialect.identifier_preparer.quote_identifier
    found = []
    for name in names:
        row = execute(conn, "SELECT to_regclass(%(t)s)", {"t": f"{q(schema)}.{q(name)}"}).fetchone()
        if row is not None and row[0] is not None:
            found.append(name)
    return found


def _srid(crs: pyproj.CRS, what: str) -> int:
    code = crs.to_epsg(min_confidence=100)
    if code is None:
        msg = (
            f"{what}: the working CRS ({crs.name}) has no EPSG code, so it has no SRID in PostGIS; "
            'set `crs = "EPSG:..."` under [scenario] (e.g. EPSG:9210 for VN-2000 / TM-3 Hà Nội, or the UTM zone)'
        )
        raise InputError(msg)
    return int(code)


def _input_tables(s: Scenario, url: str) -> set[tuple[str, str]]:
    """``(schema, table)`` of the scenario's PostGIS layers in the same database as ``url``."""

    def where(u: str) -> tuple[str | None, int | None, str]:
        parts = urlsplit(split_url(u)[0])
        return parts.hostname, parts.port, parts.path

    found: set[tuple[str, str]] = set()
    for _, spec in s.layers.items():
        if spec.is_postgis and spec.table is not None and where(spec.path) == where(url):
            schema, name = split_table(spec.table)
            found.add((schema or "public", name))
    return found
