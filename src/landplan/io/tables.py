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
from landplan.io.write import PARTS_INDEX, atomic_folder, atomic_path, check_output_path

__all__ = [
    "FORMATS",
    "FORMULA_TRIGGERS",
    "OutputFormat",
    "crs_label",
    "freeze_xlsx",
    "spreadsheet_safe",
    "table_for_csv",
    "write_csv",
    "write_parquet_parts",
    "write_table",
    "write_xlsx",
]


OutputFormat = Literal["csv", "gpkg", "geojson", "parquet", "xlsx"]
#: output formats and their file suffixes
FORMATS: dict[str, str] = {
    "csv": ".csv",
    "gpkg": ".gpkg",
    "geojson": ".geojson",
    "parquet": ".parquet",
    "xlsx": ".xlsx",
}


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


def write_csv(frame: pd.DataFrame, target: Any, *, index: bool = True, bom: bool = True) -> None:
    r"""Write ``frame`` as UTF-8 CSV the one way every landplan CSV is written.

    Formula-like text is neutralised (:func:`spreadsheet_safe`), and rows end with CRLF
    as RFC 4180 says, so that a carriage return or newline inside a text cell is always
    quoted (with a bare ``\n`` terminator, Python's csv module leaves a ``\r`` in a cell
    unquoted and spreadsheets split the row there). A file starts with a UTF-8 byte-order
    mark unless ``bom`` is false: Excel opens a CSV without one in the Windows code page
    (cp1258 on Vietnamese Windows) and garbles every accented letter.

    Parameters
    ----------
    frame
        The table.
    target
        A path or a text stream (``sys.stdout``; never a BOM there).
    index
        Write the index as the first column(s).
    bom
        Start a file with the UTF-8 byte-order mark (``[output] csv_bom``).
    """
    safe = spreadsheet_safe(frame)
    if isinstance(target, str | os.PathLike):
        safe.to_csv(target, index=index, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\r\n")
    else:
        safe.to_csv(target, index=index, lineterminator="\r\n")


def _number_format(name: str, values: pd.Series) -> str | None:
    """Excel number format of a column: integers plain, coordinates 7 decimals, other floats 3."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return None
    if pd.api.types.is_integer_dtype(values):
        return "0"
    if name.endswith(("_lon", "_lat")) or name in {"lon", "lat"}:
        return "0.0000000"
    return "#,##0.000"


def write_xlsx(frame: pd.DataFrame, path: Path, *, sheet: str = "ranking", index: bool = False) -> None:
    """Write ``frame`` as one formatted XLSX sheet, byte-identical for identical input.

    Formula-like text is neutralised (:func:`spreadsheet_safe`); characters XLSX cannot hold
    (control characters) become U+FFFD. The header row is frozen and filtered, numbers get a
    format (integers, 7-decimal coordinates, 3-decimal values) and columns a width fitted to
    their text (at most 60 characters).

    Parameters
    ----------
    frame
        The table.
    path
        The file (written in place: callers write to a temporary path and rename).
    sheet
        Sheet name.
    index
        Write the index as the first column(s).
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    table = spreadsheet_safe(frame.reset_index() if index else frame)
    for pos in range(table.shape[1]):
        col = table.iloc[:, pos]
        if _is_text_dtype(col.dtype) and col.astype(str).str.contains(ILLEGAL_CHARACTERS_RE).any():
            table = table.copy()
            cleaned = col.map(lambda v: ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v)
            table.isetitem(pos, cleaned.to_numpy())
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        table.to_excel(xl, sheet_name=sheet, index=False)
        ws = xl.sheets[sheet]
        ws.freeze_panes = "B2"
        ws.auto_filter.ref = ws.dimensions
        for pos, name in enumerate(table.columns, start=1):
            values = table.iloc[:, pos - 1]
            fmt = _number_format(str(name), values)
            letter = get_column_letter(pos)
            if fmt is not None:
                for (cell,) in ws.iter_rows(min_row=2, min_col=pos, max_col=pos):
                    cell.number_format = fmt
            widest = max([len(str(name)), *(len(str(v)) for v in values.head(1000))], default=8)
            ws.column_dimensions[letter].width = min(60, widest + 2)
    freeze_xlsx(path)


def freeze_xlsx(path: Path) -> None:
    """Make an XLSX byte-identical across runs: fixed zip entry times and document dates.

    Parameters
    ----------
    path
        The workbook, rewritten in place.
    """
    import io
    import re
    import zipfile

    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            fixed = (
                re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
                if name == "docProps/core.xml"
                else data
            )
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, fixed)
    path.write_bytes(buf.getvalue())


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
    csv_bom: bool = True,
) -> Path:
    """Write a (ranked) GeoDataFrame atomically as CSV, XLSX, GeoPackage, GeoJSON or GeoParquet.

    CSV and XLSX have no geometry but centroid lon/lat columns (XLSX: one formatted sheet,
    :func:`write_xlsx`); GeoJSON is written in EPSG:4326 (RFC 7946); GeoPackage and GeoParquet
    keep the working CRS. The index is written as a column. Text is UTF-8 (CSV with a BOM
    unless ``csv_bom`` is false). Further geometry columns (``net_geometry``) are kept in
    GeoParquet, written as a layer of their own in a GeoPackage (``<layer>_net``) and left out
    of CSV, XLSX and GeoJSON.

    Parameters
    ----------
    gdf
        The table to write (its index becomes a column).
    path
        Output file; its suffix sets the format unless ``format`` is given.
    format
        One of :data:`FORMATS` (``"csv"``, ``"xlsx"``, ``"gpkg"``, ``"geojson"``, ``"parquet"``).
    overwrite
        Allow replacing an existing file.
    inputs
        Files the run reads; none of them may be written.
    layer
        Layer name inside a GeoPackage (sheet name in an XLSX).
    csv_bom
        Start a CSV with the UTF-8 byte-order mark (for Excel).

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
    if fmt == "csv":  # in blocks of rows: no copy of the whole table
        with atomic_path(out) as tmp:
            _write_csv_rows(gdf, tmp, bom=csv_bom)
        return out
    frame = gdf.reset_index()
    extra = [c for c in frame.columns if c != frame.geometry.name and isinstance(frame[c].dtype, GeometryDtype)]
    with atomic_path(out) as tmp:
        if fmt == "xlsx":
            write_xlsx(table_for_csv(frame.drop(columns=extra)), tmp, sheet=layer)
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


_CSV_ROWS = 100_000  # rows of a CSV formatted at a time


def _write_csv_rows(gdf: gpd.GeoDataFrame, path: Path, *, bom: bool) -> None:
    """:func:`write_csv` of :func:`table_for_csv` in blocks of rows: the same bytes, bounded memory.

    Every cell is formatted on its own (pandas writes floats by ``repr``, text as it is), so the
    blocks written one after the other are the bytes of the whole table written at once; the
    flattened table, its formula-safe copy and the centroids exist for one block at a time
    (at 1,000,000 parcels the whole-table copies took ~800 MB, issue 15).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The table (its index becomes the first column; further geometry columns are left out).
    path : pathlib.Path
        The file to write.
    bom : bool
        Start the file with the UTF-8 byte-order mark.
    """
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        for start in range(0, max(len(gdf), 1), _CSV_ROWS):
            frame = gdf.iloc[start : start + _CSV_ROWS].reset_index()
            extra = [c for c in frame.columns if c != frame.geometry.name and isinstance(frame[c].dtype, GeometryDtype)]
            safe = spreadsheet_safe(table_for_csv(frame.drop(columns=extra)))
            safe.to_csv(fh, index=False, header=start == 0, lineterminator="\r\n")


def write_parquet_parts(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    rows_per_part: int,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Write a table as a folder of GeoParquet parts, atomically (staged beside it, then moved in).

    Parts are ``part-00000.parquet``, ... in the table's row order (read in name order they give
    the table back); ``_parts.json`` lists them with their rows. The folder reads back as a
    layer (``path`` = the folder).

    Parameters
    ----------
    gdf
        The table (its index becomes a column, as in :func:`write_table`).
    path
        The output folder.
    rows_per_part
        Rows in each part (the last one may hold fewer).
    overwrite
        Replace an existing partitioned folder.
    inputs
        Files the run reads; none of them may be written.

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    import json

    out = check_output_path(path, inputs=inputs, overwrite=overwrite)
    frame = gdf.reset_index()
    starts = range(0, max(len(frame), 1), max(int(rows_per_part), 1))
    parts = []
    with atomic_folder(out) as tmp:
        for k, a in enumerate(starts):  # loop over parts, not rows
            name = f"part-{k:05d}.parquet"
            piece = frame.iloc[a : a + rows_per_part]
            piece.to_parquet(tmp / name, index=False)
            parts.append({"file": name, "rows": len(piece)})
        index = {"rows": len(frame), "parts": parts}
        (tmp / PARTS_INDEX).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
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
