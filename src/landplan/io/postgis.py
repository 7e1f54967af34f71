"""PostGIS: connections, and reading one layer from a table, a view or a query.

A database is named by a URL, ``postgresql://user@host:port/db``; the password comes from
``PGPASSWORD`` or ``~/.pgpass`` (libpq reads them; so do ``PGUSER``, ``PGHOST``, ``PGPORT``...).
A password written into the URL works too but is never repeated: every message, log line,
manifest entry and ``repr`` shows the URL through :func:`landplan.errors.redact`.

Connections go through SQLAlchemy with the psycopg (3) driver, the route of
``geopandas.read_postgis`` and ``GeoDataFrame.to_postgis``; reading runs in a read-only
transaction, so a layer's ``sql`` cannot change the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd

import geopandas as gpd
import pyproj
import shapely

from landplan.config import POSTGIS_SCHEMES
from landplan.errors import LayerReadError, redact

if TYPE_CHECKING:
    import psycopg
    import sqlalchemy

__all__ = ["connect", "database_error", "execute", "is_postgis_url", "read_postgis_layer", "split_table", "split_url"]

logger = logging.getLogger(__name__)

#: seconds to wait for the server before saying it is unreachable
CONNECT_TIMEOUT_S = 10


def is_postgis_url(source: object) -> bool:
    """Whether ``source`` names a PostGIS database (``postgresql://`` or ``postgres://``).

    Parameters
    ----------
    source : object
        A layer source or an output target.

    Returns
    -------
    bool
        True for a database URL.
    """
    return str(source).lower().startswith(POSTGIS_SCHEMES)


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """The URL without landplan's own query settings, and those settings.

    ``?schema=landplan`` (where outputs go) is landplan's; every other query setting
    (``sslmode=require``...) is left for libpq.

    Parameters
    ----------
    url : str
        ``postgresql://user@host:port/db?schema=name&sslmode=...``.

    Returns
    -------
    tuple of (str, dict)
        The URL for the driver, and ``{"schema": ...}`` when given.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k == "schema"}
    rest = [(k, v) for k, v in query if k != "schema"]
    return urlunsplit(parts._replace(query=urlencode(rest))), ours


@contextmanager
def connect(url: str, *, what: str, read_only: bool = True) -> Iterator[sqlalchemy.Connection]:
    """A connection in one transaction (committed on success, rolled back on error).

    Parameters
    ----------
    url : str
        ``postgresql://...``; without a password libpq takes it from ``PGPASSWORD`` or ``~/.pgpass``.
    what : str
        What the connection is for, to start error messages (a layer label, an output).
    read_only : bool, default True
        Make the transaction read-only.

    Yields
    ------
    sqlalchemy.Connection
        Inside its transaction.

    Raises
    ------
    LayerReadError
        When the server cannot be reached or refuses the credentials (one line, no password).
    """
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    driver_url, _ = split_url(url)
    driver_url = "postgresql+psycopg://" + driver_url.split("://", 1)[1]
    try:
        engine = sqlalchemy.create_engine(
            driver_url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
        conn = engine.connect()
    except (sqlalchemy.exc.SQLAlchemyError, ValueError) as exc:
        msg = (
            f"{what}: cannot connect to the PostGIS database ({database_error(exc)}); check host, "
            "port and database, and give the password in PGPASSWORD or ~/.pgpass"
        )
        raise LayerReadError(msg) from None
    try:
        with conn.begin():
            if read_only:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield conn
    finally:
        conn.close()
        engine.dispose()


def database_error(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's decoration or any password.

    Parameters
    ----------
    exc : BaseException
        A SQLAlchemy or psycopg error.

    Returns
    -------
    str
        One line.
    """
    inner = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    return redact(lines[0] if lines else type(inner).__name__)


def split_table(table: str) -> tuple[str | None, str]:
    """Split ``schema.name`` (or ``name``; a name containing a dot can be written ``"a.b"``).

    Parameters
    ----------
    table : str
        The table as written in a scenario.

    Returns
    -------
    tuple of (str or None, str)
        Schema (None when not given) and name, unquoted.
    """
    text = table.strip()
    if text.startswith('"') and text.endswith('"') and text.count('"') == 2:
        return None, text[1:-1]
    if "." not in text:
        return None, text
    schema, _, name = text.rpartition(".")
    return schema.strip('"') or None, name.strip('"')


def read_postgis_layer(
    url: str,
    label: str,
    *,
    table: str | None,
    sql: str | None,
    where: str | None,
    columns: Sequence[str] | None,
) -> tuple[gpd.GeoDataFrame, pyproj.CRS | None]:
    """Read a table, view or query with one geometry column, and its CRS from the SRID.

    Parameters
    ----------
    url : str
        The database.
    label : str
        How messages name the layer.
    table : str, optional
        ``schema.name`` of a table or view.
    sql : str, optional
        A ``SELECT`` returning exactly one geometry column.
    where : str, optional
        A SQL condition on the rows.
    columns : sequence of str, optional
        Attribute columns to keep (all by default).

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, pyproj.CRS or None)
        The rows (geometry column named ``geometry``) and the CRS of their SRID (None for SRID 0).

    Raises
    ------
    LayerReadError
        Unreachable server, missing table, bad SQL, no or several geometry columns, mixed SRIDs.
    """
    import psycopg

    with connect(url, what=label) as conn:
        if table is not None:
            source = _table_source(conn, table, label)
        else:
            source = f"({(sql or '').strip().rstrip(';')}) AS landplan_q"
        query = f"SELECT * FROM {source}" + (f" WHERE ({where})" if where else "")
        try:
            description = execute(conn, f"SELECT * FROM ({query}) AS landplan_probe LIMIT 0").description or []
            geom_col = _geometry_column(conn, description, label)
            srids = [r[0] for r in execute(conn, _srid_query(conn, query, geom_col)).fetchall()]
        except psycopg.Error as exc:
            raise LayerReadError(_query_error(label, exc, table=table, where=where)) from None
        crs = _srid_crs(conn, srids, label)
        keep = [c.name for c in description]
        if columns is not None:
            if missing := [c for c in columns if c not in keep]:
                msg = f"{label}: no column {missing}; columns are {[c for c in keep if c != geom_col]}"
                raise LayerReadError(msg)
            keep = [*columns, geom_col]
        quote = conn.dialect.identifier_preparer.quote_identifier
        select = ", ".join(f"ST_AsBinary({quote(c)})" if c == geom_col else quote(c) for c in keep)
        rows = execute(conn, f"SELECT {select} FROM ({query}) AS landplan_q").fetchall()
    frame = pd.DataFrame.from_records(rows, columns=keep, coerce_float=True)
    geometry = shapely.from_wkb(frame.pop(geom_col).map(_as_bytes, na_action="ignore").to_numpy())
    name = "geometry" if "geometry" not in frame.columns else geom_col
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index, name=name), crs=crs), crs


def _as_bytes(value: Any) -> bytes:
    return bytes(value)


def execute(conn: sqlalchemy.Connection, sql: str, params: dict[str, Any] | None = None) -> psycopg.Cursor[Any]:
    """Run SQL on the connection's psycopg cursor (in its transaction).

    Without ``params`` the text is sent as it is: a ``%`` in a user's query (``LIKE 'a%'``) or a
    ``:`` is not taken for a placeholder, as it would be through SQLAlchemy's ``text``.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        From :func:`connect`.
    sql : str
        The statement; ``%(name)s`` placeholders when ``params`` is given.
    params : dict, optional
        Values for the placeholders.

    Returns
    -------
    psycopg.Cursor
        Executed, ready to fetch.
    """
    driver = conn.connection.driver_connection
    if driver is None:  # pragma: no cover - a live connection always has one
        msg = "the connection is closed"
        raise RuntimeError(msg)
    cursor = driver.cursor()
    cursor.execute(sql, params)
    return cursor


def _table_source(conn: sqlalchemy.Connection, table: str, label: str) -> str:
    schema, name = split_table(table)
    quote = conn.dialect.identifier_preparer.quote_identifier
    quoted = f"{quote(schema)}.{quote(name)}" if schema else quote(name)
    found = execute(conn, "SELECT to_regclass(%(t)s)", {"t": quoted}).fetchone()
    if found is None or found[0] is None:
        rows = execute(
            conn, "SELECT f_table_schema || '.' || f_table_name FROM geometry_columns ORDER BY 1 LIMIT 20"
        ).fetchall()
        tables = ", ".join(r[0] for r in rows) or "none"
        msg = (
            f"{label}: no table or view {table!r} in this database; tables with geometry: {tables} "
            '(write `table = "schema.name"`)'
        )
        raise LayerReadError(msg)
    return quoted


def _geometry_column(conn: sqlalchemy.Connection, description: Any, label: str) -> str:
    row = execute(conn, "SELECT to_regtype('geometry')::oid").fetchone()
    oid = row[0] if row else None
    if oid is None:
        msg = f"{label}: the PostGIS extension is not installed in this database (CREATE EXTENSION postgis)"
        raise LayerReadError(msg)
    geoms = [c.name for c in description if c.type_code == oid]
    if len(geoms) != 1:
        names = [c.name for c in description]
        what = "no geometry column" if not geoms else f"{len(geoms)} geometry columns ({', '.join(geoms)})"
        msg = (
            f"{label}: the source has {what} among {names}; landplan needs exactly one - "
            'select it with `sql = "SELECT id, ..., geom FROM ..."` (ST_Transform/::geometry as needed)'
        )
        raise LayerReadError(msg)
    return str(geoms[0])


def _srid_query(conn: sqlalchemy.Connection, query: str, geom_col: str) -> str:
    g = conn.dialect.identifier_preparer.quote_identifier(geom_col)
    return f"SELECT DISTINCT ST_SRID({g}) FROM ({query}) AS landplan_s WHERE {g} IS NOT NULL ORDER BY 1 LIMIT 3"


def _srid_crs(conn: sqlalchemy.Connection, srids: list[int], label: str) -> pyproj.CRS | None:
    if len(srids) > 1:
        msg = (
            f"{label}: the geometries have different SRIDs ({', '.join(map(str, srids))}); "
            "transform them to one in `sql` (ST_Transform(geom, srid))"
        )
        raise LayerReadError(msg)
    if not srids or srids[0] == 0:
        return None
    row = execute(
        conn, "SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = %(s)s", {"s": srids[0]}
    ).fetchone()
    if row is None:
        msg = (
            f"{label}: SRID {srids[0]} is not in the database's spatial_ref_sys; set the geometries' SRID (ST_SetSRID)"
        )
        raise LayerReadError(msg)
    auth, code, wkt = row
    try:
        if auth and str(auth).upper() == "EPSG" and code:
            return pyproj.CRS.from_epsg(int(code))
        return pyproj.CRS.from_wkt(wkt)
    except pyproj.exceptions.CRSError as exc:
        msg = f"{label}: SRID {srids[0]} has a definition PROJ cannot read ({exc})"
        raise LayerReadError(msg) from None


def _query_error(label: str, exc: Exception, *, table: str | None, where: str | None) -> str:
    text = database_error(exc)
    if where:
        return f"{label}: the query with where={where!r} failed ({text}); fix `where` (PostgreSQL SQL on the columns)"
    if table is not None:
        return f"{label}: reading table {table!r} failed ({text})"
    return f'{label}: the SQL query failed ({text}); fix `sql = "SELECT ..."` (run it in psql to check)'
