"""Reading layers from any GDAL vector format, and writing outputs atomically.

:func:`read_layer` is the one entry point for vector input: every format GDAL reads
through pyogrio (Shapefile with its ``.cpg``/``.prj``, GeoPackage, GeoJSON, KML,
FlatGeobuf...), GeoParquet through pyarrow, and CSV with lon/lat columns.
Writers never leave a half-written file: they write next to the target and rename.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio
import pyogrio.errors
import pyproj
import shapely

from landplan.errors import CRSError, InputError, LayerReadError, OutputExistsError

if TYPE_CHECKING:
    from pyproj import CRS

__all__ = [
    "FORMATS",
    "atomic_path",
    "check_output_path",
    "read_layer",
    "write_table",
]

logger = logging.getLogger(__name__)

OutputFormat = Literal["csv", "gpkg", "geojson", "parquet"]
#: output formats and their file suffixes
FORMATS: dict[str, str] = {"csv": ".csv", "gpkg": ".gpkg", "geojson": ".geojson", "parquet": ".parquet"}

_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".pq"}
_LON_NAMES = ("lon", "lng", "long", "longitude", "x")
_LAT_NAMES = ("lat", "latitude", "y")


def _describe(source: str | os.PathLike[str], layer: str | int | None) -> str:
    return f"{source}" + (f" (layer {layer!r})" if layer is not None else "")


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
) -> gpd.GeoDataFrame:
    """Read one vector layer into a GeoDataFrame, checked and in 2-D.

    Parameters
    ----------
    source
        Path to a file GDAL reads (Shapefile, GeoPackage, GeoJSON, KML, FlatGeobuf, ...),
        a GeoParquet file (``.parquet``), or a CSV with longitude/latitude columns.
        Other GDAL data source strings are passed through to pyogrio.
    layer
        Layer name or index, for multi-layer sources (GeoPackage, KML with folders).
        Required when the source has more than one layer.
    where
        Attribute filter in OGR SQL (``"kind = 'school'"``), applied while reading.
    columns
        Attribute columns to read (all by default).
    crs
        CRS to declare for a layer that has none (a CSV of lon/lat defaults to
        EPSG:4326). It is an error to declare a CRS for a layer that already has a
        different one.
    encoding
        Attribute encoding when the source does not declare it (a shapefile without
        ``.cpg``); UTF-8 is used by GDAL for most formats.
    lon_field, lat_field
        Coordinate columns of a CSV; by default the first of ``lon``/``lng``/
        ``longitude``/``x`` and ``lat``/``latitude``/``y`` found (case-insensitive).

    Returns
    -------
    geopandas.GeoDataFrame
        With a CRS, 2-D geometries (Z/M dropped with a log note), ``attrs["source"]``
        and ``attrs["layer"]`` set.

    Raises
    ------
    LayerReadError
        If the file is missing or unreadable, the layer is missing or ambiguous, the
        filter is invalid, or geographic coordinates are out of range (lat/lon swapped?).
    CRSError
        If the layer has no CRS and none is declared, or ``crs`` contradicts the file's.
    """
    path = Path(source) if not _is_connection_string(source) else None
    label = _describe(source, layer)
    if path is not None and not path.exists():
        msg = (
            f"{label}: file not found; check the path (relative paths in a scenario are relative to the scenario file)"
        )
        raise LayerReadError(msg)
    if path is not None and path.suffix.lower() in _PARQUET_SUFFIXES:
        gdf = _read_parquet(path, label, where=where, columns=columns)
    elif path is not None and path.suffix.lower() in {".csv", ".tsv", ".txt"}:
        gdf = _read_csv(path, label, where=where, columns=columns, lon=lon_field, lat=lat_field)
        if gdf.crs is None and crs is None:
            crs = "EPSG:4326"
    else:
        gdf = _read_ogr(source, layer, label, where=where, columns=columns, encoding=encoding)

    gdf.attrs["source"] = str(source)
    gdf = _declare_crs(gdf, crs, label)
    gdf = _drop_z(gdf, label)
    _check_geographic_range(gdf, label)
    gdf.attrs["layer"] = layer
    return gdf


def _is_connection_string(source: object) -> bool:
    text = str(source)
    return text.startswith(("PG:", "postgresql://", "postgres://", "/vsi", "http://", "https://"))


def _read_ogr(
    source: str | os.PathLike[str],
    layer: str | int | None,
    label: str,
    *,
    where: str | None,
    columns: Sequence[str] | None,
    encoding: str | None,
) -> gpd.GeoDataFrame:
    if layer is None:
        try:
            layers = pyogrio.list_layers(source)
        except pyogrio.errors.DataSourceError as exc:
            msg = f"{label}: GDAL cannot open this file as a vector data source ({exc})"
            raise LayerReadError(msg) from exc
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
        msg = f"{label}: GDAL cannot read this file ({exc})"
        raise LayerReadError(msg) from exc
    except (pyogrio.errors.FieldError, ValueError) as exc:
        msg = f"{label}: {exc}"
        raise LayerReadError(msg) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        msg = f"{label}: the layer has no geometry column; landplan needs spatial layers"
        raise LayerReadError(msg)
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


def _read_csv(
    path: Path,
    label: str,
    *,
    where: str | None,
    columns: Sequence[str] | None,
    lon: str | None,
    lat: str | None,
) -> gpd.GeoDataFrame:
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    lower = {c.lower(): c for c in header}
    lon = lon or next((lower[n] for n in _LON_NAMES if n in lower), None)
    lat = lat or next((lower[n] for n in _LAT_NAMES if n in lower), None)
    if lon is None or lat is None or lon not in header or lat not in header:
        msg = (
            f"{label}: no longitude/latitude columns found among {list(header)}; name them "
            "'lon' and 'lat' or set `lon_field`/`lat_field` for this layer"
        )
        raise LayerReadError(msg)
    try:
        gdf = pyogrio.read_dataframe(
            path,
            where=where,
            columns=list(columns) if columns is not None else None,
            X_POSSIBLE_NAMES=lon,
            Y_POSSIBLE_NAMES=lat,
            KEEP_GEOM_COLUMNS="YES",
            AUTODETECT_TYPE="YES",
        )
    except pyogrio.errors.DataLayerError as exc:
        msg = f"{label}: the filter where={where!r} is invalid ({exc})"
        raise LayerReadError(msg) from exc
    # GDAL tags CSV points as WGS 84 by assumption, not because the file says so: the
    # declaration (`crs`, EPSG:4326 by default) decides
    gdf = gdf.set_crs(None, allow_override=True)
    gdf.attrs["lon_lat"] = (lon, lat)
    bad = gdf.geometry.isna() | gdf.geometry.is_empty
    if bad.any():
        rows = list(np.flatnonzero(bad.to_numpy())[:5] + 2)
        msg = (
            f"{label}: {int(bad.sum())} rows have no usable {lon}/{lat} values (e.g. lines {rows}); fill or remove them"
        )
        raise LayerReadError(msg)
    return gdf


def _declare_crs(gdf: gpd.GeoDataFrame, crs: Any, label: str) -> gpd.GeoDataFrame:
    """Set the declared CRS; a declaration overrides the file's CRS only when the coordinates contradict it."""
    if crs is not None:
        try:
            declared = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            msg = f"{label}: declared `crs = {crs!r}` is not a CRS pyproj understands ({exc}); use e.g. 'EPSG:4326'"
            raise CRSError(msg) from exc
        if gdf.crs is None:
            gdf = gdf.set_crs(declared)
        elif not gdf.crs.equals(declared):
            if _coordinates_contradict(gdf, gdf.crs) is None:
                msg = (
                    f"{label}: the file says its CRS is {_short(gdf.crs)} but {_short(declared)} "
                    "was declared (`crs`), and the coordinates fit the file's CRS; remove `crs` from this "
                    "layer (landplan reprojects by itself)"
                )
                raise CRSError(msg)
            # e.g. a GeoJSON without a crs member is WGS 84 by RFC 7946, whatever its numbers say
            logger.info("%s: the declared crs %s replaces the file's %s", label, _short(declared), _short(gdf.crs))
            gdf = gdf.set_crs(declared, allow_override=True)
    if gdf.crs is None:
        msg = (
            f"{label}: the layer has no CRS; declare it: add a .prj next to a shapefile, or set "
            '`crs = "EPSG:4326"` (or the right code) for this layer in the scenario, or pass crs= '
            "to read_layer"
        )
        raise CRSError(msg)
    if gdf.crs.is_geographic and len(gdf.crs.axis_info) > 2:
        # a 3-D geographic CRS such as EPSG:4979: keep its 2-D form, we drop heights anyway
        gdf = gdf.set_crs(gdf.crs.to_2d(), allow_override=True)
    return gdf


def _short(crs: pyproj.CRS) -> str:
    """``EPSG:32648`` when the CRS has a code, else its name (never a page of WKT)."""
    code = crs.to_epsg(min_confidence=90)
    return f"EPSG:{code}" if code else crs.name


def _centres(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = shapely.bounds(np.asarray(gdf.geometry.array, dtype=object))
    with np.errstate(invalid="ignore", over="ignore"):
        x, y = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    return x, y, np.isfinite(x) & np.isfinite(y)


def _coordinates_contradict(gdf: gpd.GeoDataFrame, crs: pyproj.CRS) -> str | None:
    """Why the layer's coordinates cannot be in ``crs`` (None when they can).

    Geographic: most coordinates beyond +-360 (metres in a degree CRS). Projected: every
    coordinate within +-180/+-90 (degrees in a metre CRS), or the median centre outside
    the CRS's area of use (widened by 1 degree).
    """
    x, y, ok = _centres(gdf)
    if not ok.any():
        return None
    x, y = x[ok], y[ok]
    if crs.is_geographic:
        big = (np.abs(x) > 360) | (np.abs(y) > 360)
        if big.mean() > 0.5:
            return f"its coordinates (e.g. x {x[big][0]:.0f}, y {y[big][0]:.0f}) are far beyond degrees: metres?"
        return None
    if (np.abs(x) <= 180).all() and (np.abs(y) <= 90).all():
        return (
            f"its coordinates (e.g. x {x[0]:.4f}, y {y[0]:.4f}) look like longitude/latitude degrees, "
            f"not {crs.axis_info[0].unit_name}s"
        )
    aou = crs.area_of_use
    if aou is None:
        return None
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
        float(np.median(x)), float(np.median(y)), errcheck=False
    )
    if aou.west <= aou.east:
        in_lon = aou.west - 1 <= lon <= aou.east + 1
    else:  # crosses the antimeridian
        in_lon = lon >= aou.west - 1 or lon <= aou.east + 1
    inside = bool(np.isfinite(lon) and np.isfinite(lat) and in_lon and aou.south - 1 <= lat <= aou.north + 1)
    if not inside:
        return (
            f"its median centre falls at lon {lon:.2f}, lat {lat:.2f}, outside the area of use of "
            f"{_short(crs)} ({aou.west:g}..{aou.east:g} E, {aou.south:g}..{aou.north:g} N)"
        )
    return None


def _rows_text(gdf: gpd.GeoDataFrame, mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    if gdf.attrs.get("lon_lat") is not None:  # a CSV: name the lines of the file (header is line 1)
        shown, what = [int(r) + 2 for r in rows[:5]], "lines"
    else:
        shown, what = [int(r) for r in rows[:5]], "features (counting from 0)"
    return f"{what} {', '.join(map(str, shown))}" + (", ..." if len(rows) > 5 else "")


def _check_geographic_range(gdf: gpd.GeoDataFrame, label: str) -> None:
    """Check the coordinates fit the layer's CRS; name swapped rows; say which key fixes it.

    Raises
    ------
    CRSError
        When the coordinates contradict the CRS, with the scenario key that fixes it (``crs``).
    LayerReadError
        When some rows are out of range (named; swapped ones are told apart) or every row is
        swapped (``lon_field``/``lat_field`` for a CSV).
    """
    if gdf.crs is None or gdf.empty:
        return
    lon_lat = gdf.attrs.get("lon_lat")
    crs_text = _short(gdf.crs)
    problem = _coordinates_contradict(gdf, gdf.crs)
    if problem is not None:
        if gdf.crs.is_geographic:
            why = (
                "a CSV's lon/lat default to EPSG:4326"
                if lon_lat
                else "a GeoJSON without a crs member is WGS 84 by RFC 7946"
                if str(gdf.attrs.get("source", label)).lower().endswith((".geojson", ".json"))
                else "that is the CRS the file declares"
            )
            fix = f'set `crs = "EPSG:..."` for this layer to the CRS the numbers are in (e.g. "EPSG:32648"); {why}'
        else:
            fix = 'set `crs = "EPSG:4326"` for this layer if the numbers are longitude/latitude, or its real CRS'
        msg = f"{label}: the layer is read as {crs_text} but {problem}; {fix}"
        raise CRSError(msg)
    if not gdf.crs.is_geographic:
        return
    x, y, _ = _centres(gdf)
    with np.errstate(invalid="ignore"):
        bad = (np.abs(x) > 180) | (np.abs(y) > 90)
        swapped = bad & (np.abs(y) <= 180) & (np.abs(x) <= 90)
    if not bad.any():
        return
    if swapped.all():
        if lon_lat:
            lon, lat = lon_lat
            fix = f'the columns are the other way round: set `lon_field = "{lat}"` and `lat_field = "{lon}"`'
        else:
            fix = "the axis order is swapped in every feature: write the file with x = longitude, y = latitude"
        msg = f"{label}: every feature has a latitude beyond 90 degrees in {crs_text}; {fix}"
    elif swapped.any() and swapped.sum() == bad.sum():
        msg = (
            f"{label}: {int(swapped.sum())} features have coordinates out of range for {crs_text} "
            f"({_rows_text(gdf, swapped)}, of {len(gdf)}): longitude and latitude look swapped in those rows "
            "only; swap the two values in those rows (the other rows are right)"
        )
    else:
        msg = (
            f"{label}: {int(bad.sum())} features have coordinates out of range for {crs_text} "
            f"({_rows_text(gdf, bad)}); fix those coordinates"
        )
    raise LayerReadError(msg)


def _drop_z(gdf: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.array
    has_z = shapely.has_z(np.asarray(geoms))
    if has_z.any():
        logger.info(
            "%s: note: dropped Z coordinates from %d geometries (landplan measures in 2-D)", label, int(has_z.sum())
        )
        gdf = gdf.set_geometry(shapely.force_2d(np.asarray(geoms)), crs=gdf.crs)
    return gdf


# --------------------------------------------------------------------------- writing


def check_output_path(
    path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (), overwrite: bool = False
) -> Path:
    """Check that ``path`` may be written: not an input, and not existing unless ``overwrite``.

    Raises
    ------
    OutputExistsError
        If ``path`` is one of ``inputs`` (always refused) or exists and ``overwrite`` is false.
    """
    out = Path(path)
    target = out.resolve()
    for src in inputs:
        src_path = Path(src).resolve()
        same_stem = src_path.suffix.lower() == ".shp" and target.with_suffix("") == src_path.with_suffix("")
        if target == src_path or same_stem:
            msg = f"output {out} is an input of this run ({src}); choose another output path"
            raise OutputExistsError(msg)
    if out.exists() and not overwrite:
        msg = f"output {out} exists and won't be overwritten without --overwrite (overwrite=True)"
        raise OutputExistsError(msg)
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A failure inside the block removes the temporary file and leaves ``path`` untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # let writers create it; some GDAL drivers refuse an existing empty file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            msg = f"unknown output format {fmt!r}; choose one of {sorted(FORMATS)}"
            raise InputError(msg)
        return fmt
    for name, suffix in FORMATS.items():
        if path.suffix.lower() == suffix:
            return name
    msg = (
        f"cannot tell the output format from {path.name!r}; use a suffix among "
        f"{sorted(FORMATS.values())} or pass a format"
    )
    raise InputError(msg)


def table_for_csv(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return ``gdf`` as a plain table: geometry replaced by WGS84 centroid lon/lat columns."""
    if gdf.crs is not None and len(gdf):
        centroids = gdf.geometry.centroid.to_crs(4326) if not gdf.crs.is_geographic else gdf.geometry.centroid
        lon = np.round(centroids.x.to_numpy(), 7)
        lat = np.round(centroids.y.to_numpy(), 7)
    else:
        lon = lat = np.full(len(gdf), np.nan)
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    table["centroid_lon"] = lon
    table["centroid_lat"] = lat
    return table


def write_table(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    layer: str = "ranking",
) -> Path:
    """Write a (ranked) GeoDataFrame atomically as CSV, GeoPackage, GeoJSON or GeoParquet.

    CSV has no geometry but centroid lon/lat columns; GeoJSON is written in EPSG:4326
    (RFC 7946); GeoPackage and GeoParquet keep the working CRS. The index is written as
    a column. Text is UTF-8.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    OutputExistsError
        If the path exists (without ``overwrite``) or is one of ``inputs``.
    """
    out = check_output_path(path, inputs=inputs, overwrite=overwrite)
    fmt = _format_of(out, format)
    frame = gdf.reset_index()
    with atomic_path(out) as tmp:
        if fmt == "csv":
            table_for_csv(frame).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
        elif fmt == "gpkg":
            frame.to_file(tmp, driver="GPKG", layer=layer, engine="pyogrio")
        elif fmt == "geojson":
            frame.to_crs(4326).to_file(tmp, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=7)
        else:
            frame.to_parquet(tmp, index=False)
    return out


def crs_label(crs: CRS | None) -> str:
    """Short human label of a CRS (``EPSG:32648 WGS 84 / UTM zone 48N``)."""
    if crs is None:
        return "none"
    code = crs.to_epsg()
    return f"EPSG:{code} {crs.name}" if code else crs.name
