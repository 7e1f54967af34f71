"""Reading layers from any GDAL vector format, and writing outputs atomically.

:func:`read_layer` is the one entry point for vector input: every format GDAL reads
through pyogrio (Shapefile with its ``.cpg``/``.prj``, GeoPackage, GeoJSON, KML,
FlatGeobuf...), GeoParquet through pyarrow, and CSV with lon/lat columns.
Writers never leave a half-written file: they write next to the target and rename.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
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
    "clean_stale_temp_files",
    "output_folder",
    "output_format",
    "read_layer",
    "spreadsheet_safe",
    "write_csv",
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
        Text encoding of a shapefile's attributes (``"cp1258"``, ``"utf-8"``...); it
        overrides the ``.cpg`` file. Without either, the DBF header's code page is
        used, else UTF-8 when the text is valid UTF-8, else ISO-8859-1 with a warning.
        landplan decodes the text itself (GDAL's recoding drops the last character of
        cp1258 text) and returns it in NFC. Other formats are UTF-8 by definition.
    lon_field, lat_field
        Coordinate columns of a CSV; by default the first of ``lon``/``lng``/
        ``longitude``/``x`` and ``lat``/``latitude``/``y`` found (case-insensitive).

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
    elif path is not None and path.suffix.lower() in {".shp", ".dbf"}:
        gdf = _read_dbf_source(path, layer, label, where=where, columns=columns, encoding=encoding)
    else:
        gdf = _read_ogr(source, layer, label, where=where, columns=columns, encoding=encoding)
    gdf.attrs["warnings"] = gdf.attrs.get("warnings", []) or _garbled_text_warnings(gdf, label)
    for text in gdf.attrs["warnings"]:
        logger.warning("%s", text)

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


# --------------------------------------------------------------------------- text encodings

#: DBF header language driver ids (byte 29) GDAL also knows, as Python codecs
_LDID = {1: "cp437", 2: "cp850", 3: "cp1252", 0x57: "latin-1", 0x64: "cp852", 0x65: "cp866",
         0xC8: "cp1250", 0xC9: "cp1251", 0xCA: "cp1254", 0xCB: "cp1253", 0xCC: "cp1257"}  # fmt: skip
#: mojibake: UTF-8 bytes shown as cp1252/latin-1 ("Ã©", "á»™", "Ä‘", "Æ°"), or U+FFFD
_MOJIBAKE = re.compile(
    "[\u00c2-\u00c6\u00e1][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u2122]|\ufffd"
)


def _codec(name: str, label: str, what: str) -> str:
    """Python codec for an encoding name as GDAL/ArcGIS write it (``1258``, ``ANSI 1258``, ``UTF-8``...)."""
    import codecs

    text = name.strip().upper().replace("ANSI ", "").replace("ANSI", "")
    candidates = [f"cp{text}" if text.isdigit() else text]
    if text.startswith("8859"):
        candidates.insert(0, f"iso-8859-{text[4:].lstrip('-_')}")
    for cand in candidates:
        with contextlib.suppress(LookupError):
            return codecs.lookup(cand).name
    msg = f'{label}: unknown text encoding {name.strip()!r} ({what}); use a code page such as "cp1258" or "utf-8"'
    raise LayerReadError(msg)


def _dbf_encoding(path: Path, label: str, encoding: str | None) -> tuple[str | None, str]:
    """The codec of a shapefile's DBF: ``encoding`` > ``.cpg`` > DBF header LDID > ``None`` (undeclared)."""
    if encoding:
        return _codec(encoding, label, "the layer's `encoding`"), "the layer's `encoding`"
    for cpg in (path.with_suffix(".cpg"), path.with_suffix(".CPG")):
        if cpg.is_file():
            text = cpg.read_bytes().decode("ascii", errors="replace").strip()
            if text:
                return _codec(text, label, f"from {cpg.name}"), cpg.name
    dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.is_file()), None)
    if dbf is not None:
        with dbf.open("rb") as fh:
            head = fh.read(32)
        if len(head) == 32 and head[29] in _LDID:
            return _LDID[head[29]], "the DBF header"
    return None, ""


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


_CP1258_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _cp1258_form(char: str) -> str:
    """One NFC character as cp1258 spells it: precomposed if it has it, else base letter + tone mark."""
    import unicodedata

    if char.encode("cp1258", errors="ignore"):
        return char
    parts = unicodedata.normalize("NFD", char)
    base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _CP1258_TONES))
    return base + "".join(c for c in parts if c in _CP1258_TONES)


def _as_raw_text(text: str, codec: str, label: str) -> str:
    """``text`` (a ``where`` filter) as the file stores it, one character per byte, as GDAL sees it."""
    import unicodedata

    if text.isascii():
        return text
    nfc = unicodedata.normalize("NFC", text)
    if codec == "cp1258":
        nfc = "".join(_cp1258_form(ch) for ch in nfc)  # a short filter string, not data
    try:
        return nfc.encode(codec).decode("latin-1")
    except UnicodeEncodeError as exc:
        msg = f"{label}: the filter where={text!r} has characters {codec} cannot hold ({exc.object[exc.start]!r})"
        raise LayerReadError(msg) from None


def _decode_frame(gdf: gpd.GeoDataFrame, texts: Sequence[Any], codec: str) -> gpd.GeoDataFrame:
    """Re-decode latin-1 text (one char per byte) with ``codec``, normalised to NFC."""
    import unicodedata

    def fix(values: pd.Series) -> pd.Series:
        if _strings(values).empty:
            return values
        decoded = values.str.encode("latin-1").str.decode(codec, errors="replace").str.normalize("NFC")
        return decoded.where(decoded.notna(), values)  # non-text values pass unchanged

    out = gdf.copy()
    for c in texts:
        out[c] = fix(gdf[c])
    mapping = {
        c: unicodedata.normalize("NFC", c.encode("latin-1").decode(codec, errors="replace"))
        for c in gdf.columns
        if isinstance(c, str) and c != gdf.geometry.name
    }
    return out.rename(columns=mapping)


def _is_text_dtype(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype | pd.CategoricalDtype)


def _strings(values: pd.Series) -> pd.Series:
    """The text values of a column (numbers, bytes and missing values left out)."""
    if not _is_text_dtype(values.dtype):
        return pd.Series([], dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) not in {"string", "mixed", "mixed-integer"}:
        return pd.Series([], dtype=object)
    lengths = values.str.len()  # NaN for anything that is not text
    return values[lengths.notna()].astype(str)


def _garbled_text_warnings(gdf: gpd.GeoDataFrame, label: str) -> list[str]:
    """Warnings for text that looks like mojibake (UTF-8 read as cp1252/latin-1) or holds U+FFFD."""
    found: list[str] = []
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    bad_names = [str(c) for c in columns if _MOJIBAKE.search(str(c))]
    if bad_names:
        found.append(f"field names {bad_names}")
    for c in columns:
        if not _is_text_dtype(gdf[c].dtype):
            continue
        values = _strings(pd.Series(gdf[c].dropna().unique(), dtype=object))
        hits = values[values.str.contains(_MOJIBAKE)]
        if len(hits):
            found.append(f"field {str(c)!r} (e.g. {hits.iloc[0]!r})")
    if not found:
        return []
    return [
        f"{label}: text looks garbled in {'; '.join(found[:3])}: the file was probably read with the wrong "
        'encoding; set `encoding = ...` for this layer ("utf-8", "cp1258") or fix the .cpg file'
    ]


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
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    except pd.errors.EmptyDataError:
        msg = f"{label}: the file is empty (no header line); export the table again with a header row"
        raise LayerReadError(msg) from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        msg = f"{label}: cannot read the CSV header ({exc}); save the file as UTF-8 CSV"
        raise LayerReadError(msg) from None
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
        lines = (np.flatnonzero(bad.to_numpy()) + 2).tolist()  # 1-based, after the header line
        msg = (
            f"{label}: {len(lines)} rows have no usable {lon}/{lat} values (lines {compact_ranges(lines)}); "
            "fill or remove them"
        )
        raise LayerReadError(msg)
    return gdf


def compact_ranges(numbers: Sequence[int], *, limit: int = 8) -> str:
    """Plain, compact text for sorted integers: ``[3, 5, 6, 7, 9]`` -> ``"3, 5-7, 9"``.

    At most ``limit`` ranges are shown, then ``"... (N in all)"``.
    """
    values = sorted({int(n) for n in numbers})
    if not values:
        return ""
    runs: list[tuple[int, int]] = []
    for n in values:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:limit]]
    more = f", ... ({len(values)} in all)" if len(runs) > limit else ""
    return ", ".join(parts) + more


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


def _check_parent_is_folder(out: Path) -> None:
    for parent in out.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                msg = f"output {out}: {parent} is not a folder (it is a file); choose an output path in a folder"
                raise OutputExistsError(msg)
            return


def check_output_path(
    path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (), overwrite: bool = False
) -> Path:
    """Check that ``path`` may be written: not an input, and not existing unless ``overwrite``.

    Outputs are only ever written as regular files: a symbolic link, a named pipe (FIFO),
    a device or a folder at ``path`` is refused even with ``overwrite`` (landplan never
    replaces a link with a file nor writes through it), and so is a path under a file.

    Raises
    ------
    OutputExistsError
        If ``path`` is one of ``inputs`` (always refused), is not a regular file, lies
        under a file, or exists and ``overwrite`` is false.
    """
    out = Path(path)
    _check_parent_is_folder(out)
    if out.is_symlink():
        msg = f"output {out} is a symbolic link; landplan does not write through links: give the real path"
        raise OutputExistsError(msg)
    if out.exists() and not out.is_file():
        kind = "a folder" if out.is_dir() else "not a regular file (a pipe or device)"
        msg = f"output {out} is {kind}; choose a file path for this output"
        raise OutputExistsError(msg)
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


#: temporary files of :func:`atomic_path` (``.<stem>.<8 random>.part<suffix>`` and SQLite side files)
_TEMP_FILE = re.compile(r"^\..+\.[a-z0-9_]{8}\.part(\.[A-Za-z0-9]+)?(-journal|-wal|-shm)?$")


def clean_stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete temporary files that interrupted landplan writers left in ``folder``.

    Only files named like landplan's own temporary files (``.ranked.ab12cd34.part.gpkg``
    and their ``-journal``/``-wal``/``-shm``) are removed; nothing else is touched.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    removed: list[Path] = []
    base = Path(folder)
    if not base.is_dir():
        return removed
    for p in sorted(base.iterdir()):
        if _TEMP_FILE.match(p.name) and p.is_file() and not p.is_symlink():
            p.unlink(missing_ok=True)
            removed.append(p)
    if removed:
        logger.info("removed %d stale temporary files of an interrupted run in %s", len(removed), base)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A failure or interruption inside the block removes the temporary file (and the
    SQLite ``-journal``/``-wal``/``-shm`` files a GeoPackage writer may leave) and leaves
    ``path`` untouched.
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
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


class OutputFolder:
    """A locked output folder whose files are staged and moved in together (see :func:`output_folder`)."""

    def __init__(self, target: Path, stage: Path) -> None:
        self.target = target
        self.stage = stage

    def path(self, name: str) -> Path:
        """Where to write the output ``name`` now (inside the staging folder)."""
        return self.stage / name


def _lock_folder(folder: Path) -> int:
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        msg = (
            f"output folder {folder} is in use by another landplan run; wait for it to finish or choose another folder"
        )
        raise OutputExistsError(msg) from None
    return fd


@contextlib.contextmanager
def output_folder(folder: str | os.PathLike[str]) -> Iterator[OutputFolder]:
    """Lock ``folder`` for one run and stage its outputs; move them in only on success.

    The folder (created if needed) is locked exclusively (``flock``) for the whole block:
    a second run into the same folder fails at once with :class:`OutputExistsError`.
    Files are written into a hidden staging folder beside the target
    (``.<name>.landplan-XXXX.tmp``); when the block ends without error they are moved
    into ``folder`` with termination signals held back, so the folder holds either the
    complete new set or the old files. On error or interruption the staging folder is
    deleted. Stale staging folders and temporary files of earlier interrupted runs are
    removed when the lock is taken.
    """
    import shutil
    import signal

    _check_parent_is_folder(Path(folder) / "x")
    created = not Path(folder).exists()
    Path(folder).mkdir(parents=True, exist_ok=True)
    target = Path(folder).resolve()  # a link or "." : stage beside the real folder, on its file system
    fd = _lock_folder(target)
    stage: Path | None = None
    try:
        for old in target.parent.glob(f".{glob.escape(target.name)}.landplan-*.tmp"):
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
        clean_stale_temp_files(target)
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.landplan-", suffix=".tmp", dir=target.parent))
        yield OutputFolder(target, stage)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            for p in sorted(stage.iterdir()):
                os.replace(p, target / p.name)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                target.rmdir()  # only succeeds when nothing was written


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
    fmt = output_format(out, format)
    frame = gdf.reset_index()
    with atomic_path(out) as tmp:
        if fmt == "csv":
            write_csv(table_for_csv(frame), tmp, index=False)
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
