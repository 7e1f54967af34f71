"""Spreadsheets in: point layers from an XLSX sheet, and attribute tables joined to a layer by a key.

Excel is read with pandas + openpyxl (already a dependency for the XLSX outputs). Keys are
compared as text, with Excel's integral floats (``101.0``) written as integers (``101``), so a
zone id typed as a number in one file and as text in the other still matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd

from landplan.errors import LayerReadError
from landplan.io.csv_points import compact_ranges

__all__ = ["EXCEL_SUFFIXES", "JoinReport", "join_table", "read_table"]

#: files read as Excel workbooks
EXCEL_SUFFIXES = (".xlsx", ".xlsm")

_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "kinh_do", "kinhdo")
_LAT_NAMES = ("lat", "latitude", "y", "vi_do", "vido")


def read_table(path: Path, label: str, *, sheet: str | None = None) -> pd.DataFrame:
    """A CSV file or one sheet of an XLSX workbook as a table (header in the first row).

    Parameters
    ----------
    path
        The file (``.csv``/``.txt`` UTF-8, with or without BOM; ``.xlsx``/``.xlsm``).
    label
        Name used in error messages (file and layer).
    sheet
        Sheet name of a workbook (the first sheet by default); not allowed for CSV.

    Returns
    -------
    pandas.DataFrame
        The rows, column names as text.

    Raises
    ------
    LayerReadError
        If the file is missing or unreadable, or the sheet does not exist.
    """
    if not path.is_file():
        msg = f"{label}: file not found; check the path (relative paths are relative to the scenario file)"
        raise LayerReadError(msg)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel(path, label, sheet)
    if sheet is not None:
        msg = f"{label}: `sheet = {sheet!r}` is only for Excel workbooks (.xlsx); remove it"
        raise LayerReadError(msg)
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=object, keep_default_na=False, na_values=[""])
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{label}: cannot read the CSV ({exc}); save it as UTF-8 CSV with a header row"
        raise LayerReadError(msg) from None
    return _numbers_where_numeric(frame)


def _numbers_where_numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns whose every value is a number become numbers (CSV text read as text first)."""
    out = frame.copy()
    for c in frame.columns:
        as_num = pd.to_numeric(frame[c], errors="coerce")
        if frame[c].notna().any() and as_num.notna().sum() == frame[c].notna().sum():
            out[c] = as_num
    return out


def _read_excel(path: Path, label: str, sheet: str | None) -> pd.DataFrame:
    import zipfile

    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as exc:
        msg = f"{label}: cannot open as an Excel workbook ({type(exc).__name__}: {exc}); save it as .xlsx"
        raise LayerReadError(msg) from None
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            msg = f"{label}: no sheet {sheet!r}; sheets: {names}; set `sheet = ...` to one of them"
            raise LayerReadError(msg)
        ws = book[sheet] if sheet is not None else book[names[0]]
        rows = list(ws.iter_rows(values_only=True))
    finally:
        book.close()
    if not rows or all(v is None for v in rows[0]):
        msg = f"{label}: the sheet {ws.title!r} is empty or has no header row; put the column names in row 1"
        raise LayerReadError(msg)
    header = [str(v).strip() if v is not None else f"column_{i + 1}" for i, v in enumerate(rows[0])]
    body = [r for r in rows[1:] if any(v is not None and v != "" for v in r)]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    return frame.infer_objects()


def _lon_lat(header: Sequence[str], label: str, lon: str | None, lat: str | None) -> tuple[str, str]:
    lower = {str(c).lower(): str(c) for c in header}
    lon = lon or next((lower[n] for n in _LON_NAMES if n in lower), None)
    lat = lat or next((lower[n] for n in _LAT_NAMES if n in lower), None)
    if lon is None or lat is None or lon not in header or lat not in header:
        msg = (
            f"{label}: no longitude/latitude (or x/y) columns found among {list(header)}; name them "
            "'lon' and 'lat' (or 'x' and 'y' with `crs`) or set `lon_field`/`lat_field` for this layer"
        )
        raise LayerReadError(msg)
    return lon, lat


def _read_sheet_points(
    path: Path,
    label: str,
    *,
    sheet: str | None,
    where: str | None,
    columns: Sequence[str] | None,
    lon: str | None,
    lat: str | None,
) -> gpd.GeoDataFrame:
    """Points from an XLSX sheet's coordinate columns (no CRS set: the caller declares it)."""
    if where is not None:
        msg = f"{label}: `where` filters are not supported for Excel sheets; use a criterion's `select`"
        raise LayerReadError(msg)
    frame = read_table(path, label, sheet=sheet)
    lon, lat = _lon_lat(list(frame.columns), label, lon, lat)
    x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype="float64")
    y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype="float64")
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        rows = (np.flatnonzero(bad) + 2).tolist()  # spreadsheet rows, after the header row
        msg = (
            f"{label}: {len(rows)} rows have no usable {lon}/{lat} numbers (rows {compact_ranges(rows)}); "
            "fill or remove them"
        )
        raise LayerReadError(msg)
    keep = list(columns) if columns is not None else list(frame.columns)
    missing = [c for c in keep if c not in frame.columns]
    if missing:
        msg = f"{label}: no column {missing}; columns are {list(frame.columns)}"
        raise LayerReadError(msg)
    gdf = gpd.GeoDataFrame(frame[keep], geometry=gpd.points_from_xy(x, y), crs=None)
    gdf.attrs["lon_lat"] = (lon, lat)
    return gdf


@dataclass(frozen=True)
class JoinReport:
    """What a join found: problems by level (``"error"``/``"warning"``), each with its fix."""

    problems: list[tuple[str, str, str]]


def _keys(values: pd.Series) -> pd.Series:
    """Keys as text; integral numbers without ``.0`` (Excel stores 101 as 101.0)."""
    num = pd.to_numeric(values, errors="coerce")
    integral = num.notna() & np.isfinite(num) & (num == np.round(num))
    text = values.astype(object).where(values.isna(), values.astype(str).str.strip())
    return text.where(~integral, num[integral].astype("int64").astype(str)).astype(object)


def _join_problems(
    gdf: gpd.GeoDataFrame, table: pd.DataFrame, *, on: str, right: str, wanted: list[str], label: str
) -> list[tuple[str, str, str]]:
    """Errors that make a join impossible: missing key columns or fields, fields already in the layer."""
    problems: list[tuple[str, str, str]] = []
    if on not in gdf.columns:
        problems.append(
            ("error", f"{label}: the layer has no key field {on!r}", "set `join.on` to a field of the layer")
        )
    if right not in table.columns:
        fix = f"set `join.table_on` to one of {list(table.columns)}"
        problems.append(("error", f"{label}: the table has no key column {right!r}", fix))
    if missing := [c for c in wanted if c not in table.columns]:
        problems.append(("error", f"{label}: the table has no column {missing}", f"columns: {list(table.columns)}"))
    if clash := [c for c in wanted if c in gdf.columns and c != on]:
        fix = "list the fields to add with `join.fields`, or rename them in the table"
        problems.append(("error", f"{label}: fields {clash} are already in the layer", fix))
    return problems


def join_table(
    gdf: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    on: str,
    table_on: str | None = None,
    fields: Sequence[str] | None = None,
    label: str = "join",
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Add a table's fields to a layer's features by a key (a left join; features keep their order).

    Parameters
    ----------
    gdf
        The layer.
    table
        The attribute table (:func:`read_table`).
    on
        Key column of the layer (and of the table unless ``table_on``).
    table_on
        Key column of the table when named differently.
    fields
        Table columns to add (all but the key by default).
    label
        Name used in messages (the table file and the layer).

    Returns
    -------
    tuple
        The joined layer (features without a row get missing values) and a :class:`JoinReport`:
        errors for a missing key column, duplicate keys in the table or field names already in
        the layer (then the layer is returned unchanged); warnings naming features without a row
        and rows without a feature.
    """
    right = table_on or on
    wanted = list(fields) if fields is not None else [c for c in table.columns if c != right]
    problems = _join_problems(gdf, table, on=on, right=right, wanted=wanted, label=label)
    if problems:
        return gdf, JoinReport(problems)
    keys = _keys(table[right])
    dup = keys[keys.duplicated(keep=False) & keys.notna()]
    if len(dup):
        shown = sorted(set(dup))[:5]
        msg = (
            f"{label}: {dup.nunique()} keys appear more than once in the table ({right} = {shown}): which row applies?"
        )
        return gdf, JoinReport([("error", msg, "keep one row per key in the table")])
    right_frame = table[wanted].set_axis(keys.to_numpy(), axis=0)
    left_keys = _keys(gdf[on])
    joined = gdf.copy()
    for c in wanted:
        joined[c] = right_frame[c].reindex(left_keys.to_numpy()).to_numpy()
    unmatched = sorted(set(left_keys[~left_keys.isin(keys)].dropna()))
    if unmatched:
        problems.append(
            (
                "warning",
                f"{label}: {len(unmatched)} features have no row in the table ({on} = {unmatched[:5]}"
                + (", ..." if len(unmatched) > 5 else "")
                + "); their joined fields are empty",
                "add the missing rows, or check the keys (spelling, leading zeros)",
            )
        )
    orphans = sorted(set(keys[~keys.isin(left_keys)].dropna()))
    if orphans:
        problems.append(
            (
                "warning",
                f"{label}: {len(orphans)} table rows match no feature ({right} = {orphans[:5]}"
                + (", ..." if len(orphans) > 5 else "")
                + ")",
                "check the keys, or remove the rows",
            )
        )
    return joined, JoinReport(problems)
