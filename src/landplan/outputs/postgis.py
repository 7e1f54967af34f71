"""Results into a PostGIS database: the ranking, the allocation and the manifest as tables.

``landplan run scenario.toml -o "postgresql://user@host:port/db?schema=landplan"`` writes

==================== ============================================ ========================
table                content                                      primary key
==================== ============================================ ========================
``ranked``           the wide ranking (every parcel, rank order)  the parcel id column
``site_members``     with ``[sites]``: each parcel, its site, why  the parcel id column
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

import numpy as np
import pandas as pd

import geopandas as gpd
import pyproj
import shapely

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
    sites = ["site_members"] if s.sites is not None else []
    return ["ranked", *sites, *(_ALLOCATION_TABLES if s.allocation is not None else ()), "manifest"]


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
            for name, table in frames.items():
                _write_table(conn, schema, name, table, srid=srid)
        except psycopg.Error as exc:
            msg = f"{what}: the database refused the write ({database_error(exc)}); nothing was written"
            raise InputError(msg) from None
    return {name: f"{schema}.{name}" for name in frames}


#: a table to write: its frame (index as columns), primary-key columns, SQL types by column (else from dtypes)
_Table = tuple[pd.DataFrame, list[str], dict[str, str]]


def _frames(result: Result) -> dict[str, _Table]:
    """Each table to write, in order."""
    ranked = result.ranked
    frames: dict[str, _Table] = {"ranked": (ranked.reset_index(), [str(ranked.index.name)], {})}
    if result.sites is not None:  # the ranking holds sites; their member parcels with geometry
        s = result.sites
        members = gpd.GeoDataFrame(s.members, geometry=s.parcels.geometry.reindex(s.members.index), crs=s.parcels.crs)
        frames["site_members"] = (members.reset_index(), [str(members.index.name)], {})
    if result.allocation is not None:
        layers = allocation_layers(result.allocation, result.study)
        for table, layer in zip(_ALLOCATION_TABLES, ("allocated_parcels", "zones", "links"), strict=True):
            gdf = layers[layer]
            key = ["parcel", "zone"] if layer == "links" else [str(gdf.index.name)]
            frames[table] = (gdf.reset_index(drop=layer == "links"), key, {})
    info = {k: json.loads(json.dumps({"v": v}, default=str))["v"] for k, v in result.manifest.items()}
    values = pd.Series([json.dumps(v, ensure_ascii=False) for v in info.values()], dtype=object)
    frames["manifest"] = (pd.DataFrame({"item": list(info), "value": values}), ["item"], {"value": "jsonb"})
    return frames


def _write_table(conn: Any, schema: str, name: str, table: _Table, *, srid: int) -> None:
    """Create the table from the frame's dtypes, COPY the rows in, add the primary key and GiST index."""
    q = conn.dialect.identifier_preparer.quote_identifier
    frame, key, types = table
    if too_long := [c for c in frame.columns if len(str(c).encode()) > _MAX_NAME]:
        msg = f"{schema}.{name}: column names longer than {_MAX_NAME} bytes (PostgreSQL would cut them): {too_long}"
        raise InputError(msg)
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    columns = {str(c): types.get(c) or _sql_type(frame[c], geometry=c == geom, srid=srid) for c in frame.columns}
    target = f"{q(schema)}.{q(name)}"
    execute(conn, f"CREATE TABLE {target} ({', '.join(f'{q(c)} {t}' for c, t in columns.items())})")
    driver = conn.connection.driver_connection
    with driver.cursor().copy(f"COPY {target} ({', '.join(q(c) for c in columns)}) FROM STDIN") as copy:
        copy.write(_copy_text(frame, geom=geom, srid=srid))
    execute(conn, f"ALTER TABLE {target} ADD PRIMARY KEY ({', '.join(q(c) for c in key)})")
    if geom is not None:
        execute(conn, f"CREATE INDEX {q(f'{name}_{geom}_gist')} ON {target} USING GIST ({q(geom)})")


def _sql_type(values: pd.Series, *, geometry: bool, srid: int) -> str:
    if geometry:
        kinds = set(gpd.GeoSeries(values).geom_type.dropna())
        return f"geometry({kinds.pop() if len(kinds) == 1 else 'Geometry'}, {srid})"
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    return "text"


def _copy_text(frame: pd.DataFrame, *, geom: str | None, srid: int) -> str:
    r"""The rows in PostgreSQL's COPY text format (tab-separated, backslash escapes, ``\N`` for null).

    Text format, not CSV: COPY reads an unquoted empty CSV field as NULL, so an empty string would
    come back as a null (``GeoDataFrame.to_postgis`` writes CSV and loses them that way).
    """
    if frame.empty:
        return ""
    fields = []
    for col in frame.columns:
        values = frame[col]
        if col == geom:
            wkb = shapely.to_wkb(shapely.set_srid(np.asarray(values.array), srid), hex=True, include_srid=True)
            text = pd.Series(wkb, index=frame.index, dtype=object)
        elif pd.api.types.is_bool_dtype(values.dtype):
            text = values.map({True: "t", False: "f"})
        elif pd.api.types.is_numeric_dtype(values.dtype):
            text = values.astype(object).map(repr, na_action="ignore")  # repr: the shortest exact float
        else:
            text = values.map(str, na_action="ignore").astype(object)
            if text.str.contains("\x00", regex=False).any():
                msg = f"column {col!r} has text with a NUL character, which PostgreSQL cannot store; remove it"
                raise InputError(msg)
            for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                text = text.str.replace(raw, escaped, regex=False)
        fields.append(text.where(values.notna(), "\\N").astype(str))
    lines = fields[0].str.cat(pd.concat(fields[1:], axis=1), sep="\t") if len(fields) > 1 else fields[0]
    return "\n".join(lines) + "\n"


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
