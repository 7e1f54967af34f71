"""Reading one vector layer: every GDAL format through pyogrio, GeoParquet, and CSV with lon/lat.

:func:`read_layer` is the one entry point for vector input; it settles and checks the CRS
(:mod:`landplan.crs`), drops Z and decodes shapefile text (:mod:`landplan.io.text`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio
import pyogrio.errors
import shapely

from landplan.config.layers import is_osm_path
from landplan.crs import _check_geographic_range, _declare_crs
from landplan.errors import LayerReadError, redact
from landplan.io.csv_points import _read_csv
from landplan.io.osm import centroids, read_osm
from landplan.io.postgis import is_postgis_url, read_postgis_layer
from landplan.io.sheets import EXCEL_SUFFIXES, _read_sheet_points
from landplan.io.text import (
    _as_raw_text,
    _dbf_encoding,
    _decode_frame,
    _decode_legacy_frame,
    _garbled_text_warnings,
    _is_text_dtype,
    _legacy_encoding,
    _legacy_text_warnings,
    _strings,
)
from landplan.io.vnfonts import encode_legacy

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
    osm: Mapping[str, Sequence[str] | bool] | None = None,
    osm_columns: Sequence[str] = (),
    geometry: str = "any",
    sheet: str | None = None,
    table: str | None = None,
    sql: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one vector layer into a GeoDataFrame, checked and in 2-D.

    Parameters
    ----------
    source
        A file GDAL reads (Shapefile, GeoPackage, GeoJSON, KML, ...), GeoParquet, a CSV or XLSX of
        coordinates, OpenStreetMap, an OGC web service (``WFS:https://...``, ``OAPIF:https://...``)
        or PostGIS (``postgresql://user@host:port/db`` with ``table`` or ``sql``; the password from
        ``PGPASSWORD`` or ``~/.pgpass``); other GDAL data source strings are passed to pyogrio.
    layer
        Layer name or index, required when the source has more than one layer.
    where
        Attribute filter in OGR SQL (``"kind = 'school'"``), applied while reading
        (PostgreSQL SQL for a PostGIS layer).
    columns
        Attribute columns to read (all by default).
    crs
        CRS to declare for a layer that has none (a CSV of lon/lat defaults to EPSG:4326); an
        error when the layer has a different one.
    encoding
        Text encoding of a shapefile's attributes (``"cp1258"``...), over its ``.cpg``; else the
        DBF code page, else UTF-8 when valid, else ISO-8859-1 with a warning; decoded by landplan
        (GDAL's recoding drops the last character of cp1258 text), returned in NFC. ``"tcvn3"``
        and ``"vni"``: legacy Vietnamese font encodings, any format (:mod:`landplan.io.vnfonts`).
    lon_field, lat_field
        Coordinate columns of a CSV or a spreadsheet; by default the first of ``lon``/``lng``/
        ``longitude``/``x`` and ``lat``/``latitude``/``y`` found (case-insensitive).
    osm, osm_columns
        Tag filter of an OpenStreetMap source (``.osm.pbf``/``.osm``), required for one
        (``{"amenity": ["school"]}``), and more OSM keys to keep as columns; see
        :func:`landplan.io.osm.read_osm`.
    geometry
        The layer spec's geometry: for OSM it picks nodes, ways or areas; for every source
        ``"centroid"`` turns lines and polygons into their centroids (computed in metres).
    sheet
        Sheet of an Excel workbook (``.xlsx``: points from coordinate columns, EPSG:4326
        unless ``crs`` says otherwise); the first sheet by default.
    table, sql
        PostGIS: the table or view (``schema.name``), or a query returning one geometry column
        (run read-only). The CRS comes from the SRID (SRID 0: none, declare it with ``crs``).

    Returns
    -------
    geopandas.GeoDataFrame
        With a CRS, 2-D geometries (Z/M dropped with a log note), ``attrs["source"]``, ``"layer"``
        and ``"warnings"`` (undeclared or garbled text encodings, also logged).

    Raises
    ------
    LayerReadError
        If the file is missing or unreadable, the layer is missing or ambiguous, the filter
        is invalid or matches no OSM feature, or coordinates are out of range (lat/lon swapped?).
    CRSError
        If the layer has no CRS and none is declared, or ``crs`` contradicts the file's.
    """
    label = _describe(source, layer, table=table, sql=sql)
    args = {"crs": crs, "encoding": encoding, "lon": lon_field, "lat": lat_field, "sheet": sheet}
    args |= {"osm": osm, "osm_columns": osm_columns, "geometry": geometry, "table": table, "sql": sql}
    gdf, crs = _read_by_format(source, layer, label, where=where, columns=columns, **args)
    return _finish(gdf, crs, label, source=source, layer=layer, geometry=geometry)


def _finish(
    gdf: gpd.GeoDataFrame, crs: Any, label: str, *, source: object, layer: str | int | None, geometry: str
) -> gpd.GeoDataFrame:
    """Encoding warnings, the declared CRS, 2-D, range checks, centroids and attrs of a layer read."""
    found = _legacy_text_warnings(gdf, label) or [*(gdf.attrs.get("warnings") or _garbled_text_warnings(gdf, label))]
    gdf.attrs.update(warnings=[], source=redact(str(source)))
    gdf = _declare_crs(gdf, crs, label)
    found += gdf.attrs.get("warnings", [])
    gdf = _drop_z(gdf, label)
    _check_geographic_range(gdf, label)
    gdf = centroids(gdf) if geometry == "centroid" else gdf
    gdf.attrs.update(layer=layer, warnings=found)
    for text in found:
        logger.warning("%s", text)
    return gdf


def _read_osm_source(
    source: str | os.PathLike[str],
    layer: str | int | None,
    label: str,
    *,
    where: str | None,
    columns: Sequence[str] | None,
    osm: Mapping[str, Sequence[str] | bool] | None,
    osm_columns: Sequence[str],
    geometry: str,
) -> gpd.GeoDataFrame:
    """An OpenStreetMap layer: the features matching ``osm``; matching nothing is an error."""
    if osm is None:
        msg = f'{label}: an OpenStreetMap file needs a tag filter, e.g. osm = {{ amenity = ["school"] }}'
        raise LayerReadError(msg)
    if layer is not None:
        msg = f"{label}: `layer` is not used for OpenStreetMap files; `geometry` chooses points, lines or polygons"
        raise LayerReadError(msg)
    mode = {"any": "auto"}.get(geometry, geometry)
    gdf = read_osm(source, tags=osm, geometry=mode, columns=osm_columns, where=where)  # type: ignore[arg-type]
    if gdf.empty:
        shown = ", ".join(f"{k} = {'true' if isinstance(v, bool) else list(v)}" for k, v in osm.items())
        msg = (
            f"{label}: no feature matches osm = {{ {shown} }} (geometry {geometry!r}); check the keys and values "
            '(OSM values are exact and lower case: amenity = ["school"]) and that the extract covers the area'
        )
        raise LayerReadError(msg)
    if columns is not None:
        missing = [c for c in columns if c not in gdf.columns]
        if missing:
            msg = f"{label}: no column {missing}; add the OSM keys to `osm_columns`"
            raise LayerReadError(msg)
        gdf = gdf[[*columns, gdf.geometry.name]]
    return gdf


def _read_legacy(
    source: str | os.PathLike[str], layer: str | int | None, label: str, legacy: str, **args: Any
) -> tuple[gpd.GeoDataFrame, Any]:
    """A layer with TCVN3/VNI text: read one character per byte (or as stored), then map the font encoding."""
    suffix = Path(str(source)).suffix.lower()
    raw_encoding = "latin-1" if suffix in {".shp", ".dbf"} else None
    if args["where"] is not None:  # the filter as the file spells it
        args["where"] = encode_legacy(args["where"], legacy)
    gdf, crs = _read_by_format(source, layer, label, encoding=raw_encoding, **args)
    gdf = _decode_legacy_frame(gdf, legacy)
    gdf.attrs["warnings"] = [w for w in gdf.attrs.get("warnings", []) if "not UTF-8" not in w]
    return gdf, crs


def _read_by_format(  # noqa: PLR0912 - one branch per source kind
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
    sheet: str | None = None,
    table: str | None = None,
    sql: str | None = None,
    **osm_args: Any,
) -> tuple[gpd.GeoDataFrame, Any]:
    """The layer read by the reader its format needs, and the CRS to declare (EPSG:4326 for a CSV)."""
    if is_postgis_url(source):  # the CRS comes from the SRID
        return read_postgis_layer(str(source), label, table=table, sql=sql, where=where, columns=columns)[0], crs
    if table is not None or sql is not None:
        msg = f"{label}: `table` and `sql` are for PostGIS sources (postgresql://user@host:port/db)"
        raise LayerReadError(msg)
    if is_osm_path(source):
        return _read_osm_source(source, layer, label, where=where, columns=columns, **osm_args), crs
    legacy = _legacy_encoding(encoding)
    if legacy is not None:
        args = {"where": where, "columns": columns, "crs": crs, "lon": lon, "lat": lat, "sheet": sheet}
        return _read_legacy(source, layer, label, legacy, **args)
    path = Path(source) if not _is_connection_string(source) else None
    if sheet is not None and (path is None or path.suffix.lower() not in EXCEL_SUFFIXES):
        msg = f"{label}: `sheet = {sheet!r}` is only for Excel workbooks (.xlsx); remove it or use `layer`"
        raise LayerReadError(msg)
    if path is not None and not path.exists():
        msg = (
            f"{label}: file not found; check the path (relative paths in a scenario are relative to the scenario file)"
        )
        raise LayerReadError(msg)
    if path is not None and (path.suffix.lower() in _PARQUET_SUFFIXES or path.is_dir()):
        gdf = _read_parquet(path, label, where=where, columns=columns)
    elif path is not None and path.suffix.lower() in {".csv", ".tsv", ".txt"}:
        gdf = _read_csv(path, label, where=where, columns=columns, lon=lon, lat=lat)
        if gdf.crs is None and crs is None:
            crs = "EPSG:4326"
    elif path is not None and path.suffix.lower() in EXCEL_SUFFIXES:
        gdf = _read_sheet_points(path, label, sheet=sheet, where=where, columns=columns, lon=lon, lat=lat)
        if crs is None:
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
    cols = list(columns) if columns is not None else None
    try:
        if path.is_dir():
            return _read_parquet_folder(path, label, columns=cols)
        return gpd.read_parquet(path, columns=cols)
    except (ValueError, OSError) as exc:
        msg = f"{label}: cannot read as GeoParquet ({exc})"
        raise LayerReadError(msg) from exc


def _read_parquet_folder(path: Path, label: str, *, columns: list[str] | None) -> gpd.GeoDataFrame:
    """A partitioned GeoParquet layer: every ``*.parquet`` part of the folder, in name order."""
    parts = sorted(p for p in path.iterdir() if p.suffix.lower() in _PARQUET_SUFFIXES and p.is_file())
    if not parts:
        msg = f"{label}: the folder has no .parquet parts; give a GeoParquet file or a folder of parts"
        raise LayerReadError(msg)
    frames = [gpd.read_parquet(p, columns=columns) for p in parts]
    if bad := [p.name for p, f in zip(parts, frames, strict=True) if f.crs != frames[0].crs]:
        msg = f"{label}: parts {bad[:3]} have another CRS than {parts[0].name}; write every part in one CRS"
        raise LayerReadError(msg)
    return gpd.GeoDataFrame(pd.concat(frames), crs=frames[0].crs)


def _drop_z(gdf: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.array
    has_z = shapely.has_z(np.asarray(geoms))
    if has_z.any():
        logger.info(
            "%s: note: dropped Z coordinates from %d geometries (landplan measures in 2-D)", label, int(has_z.sum())
        )
        gdf = gdf.set_geometry(shapely.force_2d(np.asarray(geoms)), crs=gdf.crs)
    return gdf
