"""Writing tables: output formats, spreadsheet-safe CSV, and GeoDataFrames as CSV/GPKG/GeoJSON/GeoParquet."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

import geopandas as gpd
from geopandas.array import GeometryDtype

from landplan.errors import InputError

if TYPE_CHECKING:
    from pyproj import CRS

from landplan.io.text import _is_text_dtype
from landplan.io.write import atomic_path, check_output_path

__all__ = [
    "FORMATS",
    "FORMULA_TRIGGERS",
    "OutputFormat",
    "crs_label",
    "spreadsheet_safe",
    "table_for_csv",
    "write_csv",
    "write_table",
]


OutputFormat = Literal["csv", "gpkg", "geojson", "parquet"]
#: output formats and their file suffixes
FORMATS: dict[str, str] = {"csv": ".csv", "gpkg": ".gpkg", "geojson": ".geojson", "parquet": ".parquet"}


def output_format(path: Path, fmt: str | None) -> str:
    """The output format of ``path``: ``fmt`` when given, else from its suffix.

    Parameters
    ----------
    path : pathlib.Path
        The output file.
    fmt : str or None
        A key of :data:`FORMATS`, or None to use the suffix.

    Returns
    -------
    str
        A key of :data:`FORMATS`.

    Raises
    ------
    InputError
        For an unknown format or suffix.
    """
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


#: first characters that make a spreadsheet read a text cell as a formula (OWASP CSV injection)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(values: pd.Series) -> np.ndarray:
    """True where a value is text starting with a formula trigger (never for numbers)."""
    if not _is_text_dtype(values.dtype):
        return np.zeros(len(values), dtype=bool)
    text = values.astype(object)
    if pd.api.types.infer_dtype(text, skipna=True) not in {"string", "mixed", "mixed-integer"}:
        return np.zeros(len(values), dtype=bool)  # numbers, booleans, dates, bytes: never text
    return text.str.startswith(FORMULA_TRIGGERS, na=False).to_numpy(dtype=bool)


def _quote(values: pd.Series, hit: np.ndarray) -> pd.Series:
    out = values.astype(object).copy()
    out[hit] = "'" + out[hit].astype(str)
    return out


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with formula-like text neutralised, for CSV and spreadsheet files.

    Text cells, index labels and column names that start with ``=``, ``+``, ``-``, ``@``,
    a tab or a carriage return are prefixed with a single quote ``'`` (OWASP's advice
    against CSV/formula injection), so Excel and LibreOffice show them as text instead
    of evaluating them. Numbers, including negative ones, are unchanged. Every tabular
    writer of landplan (CSV, XLSX) goes through this function.

    Parameters
    ----------
    frame
        The table to write; it is not modified.

    Returns
    -------
    pandas.DataFrame
        A copy with neutralised text (the same object when nothing needed changing).
    """
    out = frame
    for pos in range(frame.shape[1]):
        series = frame.iloc[:, pos]
        hit = _formula_like(series)
        if hit.any():
            out = frame.copy() if out is frame else out
            out.isetitem(pos, _quote(series, hit).to_numpy())
    for axis in ("index", "columns"):
        labels = getattr(frame, axis)
        if isinstance(labels, pd.MultiIndex):
            continue
        as_series = pd.Series(labels, dtype=object)
        hit = _formula_like(as_series)
        if hit.any():
            out = frame.copy() if out is frame else out
            setattr(out, axis, pd.Index(_quote(as_series, hit).to_numpy(), name=labels.name))
    return out


def write_csv(frame: pd.DataFrame, target: Any, *, index: bool = True) -> None:
    r"""Write ``frame`` as UTF-8 CSV the one way every landplan CSV is written.

    Formula-like text is neutralised (:func:`spreadsheet_safe`), and rows end with CRLF
    as RFC 4180 says, so that a carriage return or newline inside a text cell is always
    quoted (with a bare ``\n`` terminator, Python's csv module leaves a ``\r`` in a cell
    unquoted and spreadsheets split the row there).

    Parameters
    ----------
    frame
        The table.
    target
        A path or a text stream (``sys.stdout``).
    index
        Write the index as the first column(s).
    """
    safe = spreadsheet_safe(frame)
    if isinstance(target, str | os.PathLike):
        safe.to_csv(target, index=index, encoding="utf-8", lineterminator="\r\n")
    else:
        safe.to_csv(target, index=index, lineterminator="\r\n")


def table_for_csv(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return ``gdf`` as a plain table: geometry replaced by WGS84 centroid lon/lat columns.

    Parameters
    ----------
    gdf
        The layer to flatten; its CRS places the centroids.
    """
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
    a column. Text is UTF-8. Further geometry columns (``net_geometry``) are kept in GeoParquet,
    written as a layer of their own in a GeoPackage (``<layer>_net``) and left out of CSV and
    GeoJSON.

    Parameters
    ----------
    gdf
        The table to write (its index becomes a column).
    path
        Output file; its suffix sets the format unless ``format`` is given.
    format
        One of :data:`FORMATS` (``"csv"``, ``"gpkg"``, ``"geojson"``, ``"parquet"``).
    overwrite
        Allow replacing an existing file.
    inputs
        Files the run reads; none of them may be written.
    layer
        Layer name inside a GeoPackage.

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
    fmt = output_format(out, format)
    frame = gdf.reset_index()
    extra = [c for c in frame.columns if c != frame.geometry.name and isinstance(frame[c].dtype, GeometryDtype)]
    with atomic_path(out) as tmp:
        if fmt == "csv":
            write_csv(table_for_csv(frame.drop(columns=extra)), tmp, index=False)
        elif fmt == "gpkg":
            frame.drop(columns=extra).to_file(tmp, driver="GPKG", layer=layer, engine="pyogrio")
            for col in extra:  # one layer per further geometry column: ranking_net for net_geometry
                other = frame.drop(columns=[frame.geometry.name, *(c for c in extra if c != col)]).set_geometry(col)
                other.to_file(tmp, driver="GPKG", layer=f"{layer}_{col.removesuffix('_geometry')}", engine="pyogrio")
        elif fmt == "geojson":
            frame.drop(columns=extra).to_crs(4326).to_file(
                tmp, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=7
            )
        else:
            frame.to_parquet(tmp, index=False)  # GeoParquet keeps every geometry column
    return out


def crs_label(crs: CRS | None) -> str:
    """Short human label of a CRS (``EPSG:32648 WGS 84 / UTM zone 48N``).

    Parameters
    ----------
    crs
        The CRS, or ``None``.
    """
    if crs is None:
        return "none"
    code = crs.to_epsg()
    return f"EPSG:{code} {crs.name}" if code else crs.name
