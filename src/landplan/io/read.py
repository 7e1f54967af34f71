"""Reading one vector layer: every GDAL format through pyogrio, GeoParquet, and CSV with lon/lat.

:func:`read_layer` is the one entry point for vector input; it settles and checks the CRS
(:mod:`landplan.crs`), drops Z and decodes shapefile text (:mod:`landplan.io.text`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio
import pyogrio.errors
import shapely

from landplan.crs import _check_geographic_range, _declare_crs
from landplan.errors import LayerReadError, redact
from landplan.io.csv_points import _read_csv
from landplan.io.postgis import is_postgis_url, read_postgis_layer
from landplan.io.text import (
    _as_raw_text,
    _dbf_encoding,
    _decode_frame,
    _garbled_text_warnings,
    _is_text_dtype,
    _strings,
)

__all__ = ["read_layer"]


logger = logging.getLogger(__name__)


_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".pq"}

#: OGC web services: GDAL source prefix -> driver
_SERVICES = {"WFS:": "WFS", "OAPIF:": "OAPIF"}


def _describe(source: str | os.PathLike[str], layer: str | int | None, *, table: str | None, sql: str | None) -> str:
    where = f" (layer {layer!r})" if layer is not None else ""
    if table is not None:
        where = f" (table {table!r})"
    elif sql is not None:
        where = " (sql query)"
    return redact(f"{source}") + where


def read_layer(
    source: str | os.PathLike[str],
    layer: str | int | None = None,
    where: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    crs: Any = None,
    encoding: str | None = None,
    lon_field: str | None = None,
    lat_field: str | None = None,
    table: str | None = None,
    sql: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one vector layer into a GeoDataFrame, checked and in 2-D.

    Parameters
    ----------
    source
        Path to a file GDAL reads (Shapefile, GeoPackage, GeoJSON, KML, FlatGeobuf, ...),
        a GeoParquet file (``.parquet``), a CSV with longitude/latitude columns, an OGC
        web service (``WFS:https://...``, ``OAPIF:https://...``), or a PostGIS database
        (``postgresql://user@host:port/db`` with ``table`` or ``sql``; the password from
        ``PGPASSWORD`` or ``~/.pgpass``). Other GDAL data source strings are passed through
        to pyogrio.
    layer
        Layer name or index, for multi-layer sources (GeoPackage, KML with folders).
        Required when the source has more than one layer.
    where
        Attribute filter in OGR SQL (``"kind = 'school'"``), applied while reading
        (PostgreSQL SQL for a PostGIS layer).
    columns
        Attribute columns to read (all by default).
    crs
        CRS to declare for a layer that has none (a CSV of lon/lat defaults to
        EPSG:4326). It is an error to declare a CRS for a layer that already has a
        different one.
    encoding
        Text encoding of a shapefile's attributes (``"cp1258"``, ``"utf-8"``...); it
        overrides the ``.cpg`` file. Without either, the DBF header's code page is
        used, else UTF-8 when the text is valid UTF-8, else ISO-8859-1 with a warning.
        landplan decodes the text itself (GDAL's recoding drops the last character of
        cp1258 text) and returns it in NFC. Other formats are UTF-8 by definition.
    lon_field, lat_field
        Coordinate columns of a CSV; by default the first of ``lon``/``lng``/
        ``longitude``/``x`` and ``lat``/``latitude``/``y`` found (case-insensitive).
    table, sql
        PostGIS: the table or view (``schema.name``), or a query returning one geometry column
        (run read-only). The CRS comes from the SRID (SRID 0: none, declare it with ``crs``).

    Returns
    -------
    geopandas.GeoDataFrame
        With a CRS, 2-D geometries (Z/M dropped with a log note), ``attrs["source"]``
        and ``attrs["layer"]`` set, and ``attrs["warnings"]``: texts about undeclared
        or garbled text encodings (also logged; :func:`landplan.validate` reports them).

    Raises
    ------
    LayerReadError
        If the file is missing or unreadable, the layer is missing or ambiguous, the
        filter is invalid, or geographic coordinates are out of range (lat/lon swapped?).
    CRSError
        If the layer has no CRS and none is declared, or ``crs`` contradicts the file's.
    """
    label = _describe(source, layer, table=table, sql=sql)
    options = {"encoding": encoding, "lon": lon_field, "lat": lat_field, "table": table, "sql": sql}
    gdf, crs = _read_by_format(source, layer, label, where=where, columns=columns, crs=crs, **options)
    gdf.attrs["warnings"] = gdf.attrs.get("warnings", []) or _garbled_text_warnings(gdf, label)
    for text in gdf.attrs["warnings"]:
        logger.warning("%s", text)

    gdf.attrs["source"] = redact(str(source))
    gdf = _declare_crs(gdf, crs, label)
    gdf = _drop_z(gdf, label)
    _check_geographic_range(gdf, label)
    gdf.attrs["layer"] = layer
    return gdf


def _read_by_format(
    source: str | os.PathLike[str],
    layer: str | int | None,
    label: str,
    *,
    where: str | None,
    columns: Sequence[str] | None,
    crs: Any,
    encoding: str | None,
    lon: str | None,
    lat: str | None,
    table: str | None,
    sql: str | None,
) -> tuple[gpd.GeoDataFrame, Any]:
    """The layer read by the reader its format needs, and the CRS to declare (EPSG:4326 for a CSV)."""
    if is_postgis_url(source):  # the CRS comes from the SRID
        return read_postgis_layer(str(source), label, table=table, sql=sql, where=where, columns=columns)[0], crs
    if table is not None or sql is not None:
        msg = f"{label}: `table` and `sql` are for PostGIS sources (postgresql://user@host:port/db)"
        raise LayerReadError(msg)
    path = Path(source) if not _is_connection_string(source) else None
    if path is not None and not path.exists():
        msg = (
            f"{label}: file not found; check the path (relative paths in a scenario are relative to the scenario file)"
        )
        raise LayerReadError(msg)
    if path is not None and path.suffix.lower() in _PARQUET_SUFFIXES:
        gdf = _read_parquet(path, label, where=where, columns=columns)
    elif path is not None and path.suffix.lower() in {".csv", ".tsv", ".txt"}:
        gdf = _read_csv(path, label, where=where, columns=columns, lon=lon, lat=lat)
        if gdf.crs is None and crs is None:
            crs = "EPSG:4326"
    elif path is not None and path.suffix.lower() in {".shp", ".dbf"}:
        gdf = _read_dbf_source(path, layer, label, where=where, columns=columns, encoding=encoding)
    else:
        gdf = _read_ogr(source, layer, label, where=where, columns=columns, encoding=encoding)
    return gdf, crs


def _is_connection_string(source: object) -> bool:
    text = str(source)
    return text.startswith(("PG:", "postgresql://", "postgres://", "/vsi", "http://", "https://", *_SERVICES))


def _service_driver(source: object) -> str | None:
    """The GDAL driver of an OGC web service source (``WFS:...``, ``OAPIF:...``), else None."""
    text = str(source)
    return next((driver for prefix, driver in _SERVICES.items() if text.upper().startswith(prefix)), None)


def _check_service(source: object, label: str) -> None:
    driver = _service_driver(source)
    if driver is not None and driver not in pyogrio.list_drivers():
        msg = (
            f"{label}: this GDAL ({pyogrio.__gdal_version_string__}) has no {driver} driver; install a "
            "pyogrio/GDAL built with it (libcurl), or save the layer to a GeoPackage first"
        )
        raise LayerReadError(msg)


def _open_error(source: object, label: str, exc: Exception) -> str:
    """The message for a source GDAL cannot open: a file, or an unreachable web service."""
    driver = _service_driver(source)
    if driver is None:
        return f"{label}: GDAL cannot open this file as a vector data source ({exc})"
    detail = redact(" ".join(str(exc).split()))
    return (
        f"{label}: the {driver} service cannot be read ({detail}); check the URL, the network (proxy, "
        "firewall) and that the service answers in a browser"
    )


def _read_ogr(
    source: str | os.PathLike[str],
    layer: str | int | None,
    label: str,
    *,
    where: str | None,
    columns: Sequence[str] | None,
    encoding: str | None,
) -> gpd.GeoDataFrame:
    _check_service(source, label)
    if layer is None:
        try:
            layers = pyogrio.list_layers(source)
        except pyogrio.errors.DataSourceError as exc:
            raise LayerReadError(_open_error(source, label, exc)) from exc
        if len(layers) > 1:
            names = ", ".join(repr(str(n)) for n in layers[:, 0])
            msg = f"{label}: the source has {len(layers)} layers ({names}); say which one with `layer = ...`"
            raise LayerReadError(msg)
    try:
        gdf = pyogrio.read_dataframe(
            source,
            layer=layer,
            where=where,
            columns=list(columns) if columns is not None else None,
            encoding=encoding,
            use_arrow=False,
        )
    except pyogrio.errors.DataLayerError as exc:
        text = str(exc)
        if where and ("where" in text.lower() or "sql" in text.lower() or "field" in text.lower()):
            msg = f"{label}: the filter where={where!r} is invalid ({text}); use OGR SQL on existing fields"
        else:
            try:
                names = ", ".join(repr(str(n)) for n in pyogrio.list_layers(source)[:, 0])
            except pyogrio.errors.DataSourceError:
                names = "?"
            msg = f"{label}: {text}; layers in this source: {names}"
        raise LayerReadError(msg) from exc
    except pyogrio.errors.DataSourceError as exc:
        if _service_driver(source) is not None:
            raise LayerReadError(_open_error(source, label, exc)) from exc
        msg = f"{label}: GDAL cannot read this file ({exc})"
        raise LayerReadError(msg) from exc
    except (pyogrio.errors.FieldError, ValueError) as exc:
        msg = f"{label}: {exc}"
        raise LayerReadError(msg) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        msg = f"{label}: the layer has no geometry column; landplan needs spatial layers"
        raise LayerReadError(msg)
    return gdf


def _read_dbf_source(
    path: Path,
    layer: str | int | None,
    label: str,
    *,
    where: str | None,
    columns: Sequence[str] | None,
    encoding: str | None,
) -> gpd.GeoDataFrame:
    """Read a shapefile with its text decoded in Python (GDAL's iconv drops cp1258's last character).

    GDAL is asked for ISO-8859-1, which maps every byte to one character unchanged; the
    bytes are then decoded with the declared code page and normalised to NFC (cp1258
    writes Vietnamese tones as combining marks).
    """
    codec, origin = _dbf_encoding(path, label, encoding)
    raw_where = _as_raw_text(where, codec or "utf-8", label) if where is not None else None
    gdf = _read_ogr(path, layer, label, where=raw_where, columns=None, encoding="ISO-8859-1")
    names = [str(c) for c in gdf.columns]
    texts = [c for c in gdf.columns if c != gdf.geometry.name and _is_text_dtype(gdf[c].dtype)]
    raw = pd.concat([pd.Series(names, dtype=object), *(_strings(gdf[c]) for c in texts)], ignore_index=True)
    warnings: list[str] = []
    if codec is None:
        as_bytes = raw.str.encode("latin-1")
        try:
            as_bytes.str.decode("utf-8", errors="strict")
            codec = "utf-8"
        except UnicodeDecodeError:
            codec = "latin-1"
            warnings.append(
                f"{label}: the text is not UTF-8 and the shapefile does not say its encoding (no .cpg); it was "
                'read as ISO-8859-1 - if names look wrong, set `encoding = "cp1258"` (Vietnamese Windows) or '
                "the right code page for this layer, or add a .cpg file"
            )
    if codec not in {"latin-1", "iso8859-1"}:
        gdf = _decode_frame(gdf, texts, codec)
        decoded = pd.concat(
            [pd.Series([str(c) for c in gdf.columns]), *(_strings(gdf.iloc[:, i]) for i in range(gdf.shape[1]))]
        )
        if decoded.str.contains("\ufffd", regex=False).any():
            warnings.append(
                f"{label}: some text is not valid {codec} (declared by {origin}); check the encoding "
                "(`encoding = ...` for this layer, or the .cpg file)"
            )
    gdf.attrs["warnings"] = warnings
    if columns is not None:
        missing = [c for c in columns if c not in gdf.columns]
        if missing:
            msg = f"{label}: no column {missing}; columns are {[c for c in gdf.columns if c != gdf.geometry.name]}"
            raise LayerReadError(msg)
        gdf = gdf[[*columns, gdf.geometry.name]]
    return gdf


def _read_parquet(path: Path, label: str, *, where: str | None, columns: Sequence[str] | None) -> gpd.GeoDataFrame:
    if where is not None:
        msg = (
            f"{label}: `where` filters are not supported for GeoParquet; filter the file "
            "beforehand or use a criterion's `select`"
        )
        raise LayerReadError(msg)
    try:
        return gpd.read_parquet(path, columns=list(columns) if columns is not None else None)
    except (ValueError, OSError) as exc:
        msg = f"{label}: cannot read as GeoParquet ({exc})"
        raise LayerReadError(msg) from exc


def _drop_z(gdf: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.array
    has_z = shapely.has_z(np.asarray(geoms))
    if has_z.any():
        logger.info(
            "%s: note: dropped Z coordinates from %d geometries (landplan measures in 2-D)", label, int(has_z.sum())
        )
        gdf = gdf.set_geometry(shapely.force_2d(np.asarray(geoms)), crs=gdf.crs)
    return gdf
