"""Text encodings of vector layers: shapefile code pages, cp1258 decoding, mojibake checks."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import geopandas as gpd

from landplan.errors import LayerReadError
from landplan.io.vnfonts import LEGACY_ENCODINGS, decode_legacy, decode_legacy_series, looks_like_legacy

logger = logging.getLogger(__name__)


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


def _legacy_encoding(encoding: str | None) -> str | None:
    """``"tcvn3"``/``"vni"`` when ``encoding`` names a legacy Vietnamese font encoding (any case)."""
    text = (encoding or "").strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    aliases = {"tcvn3": "tcvn3", "tcvn": "tcvn3", "abc": "tcvn3", "tcvn5712": "tcvn3", "vni": "vni", "vniwin": "vni"}
    out = aliases.get(text)
    return out if out in LEGACY_ENCODINGS else None


def _decode_legacy_frame(gdf: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    """Text columns and field names decoded from a legacy font encoding (each distinct value once)."""
    out = gdf.copy()
    geometry = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    for c in gdf.columns:
        if c == geometry or _strings(gdf[c]).empty:
            continue
        values = gdf[c].to_numpy(dtype=object)
        uniques = pd.Series(pd.unique(values), dtype=object)
        uniques = uniques[[isinstance(v, str) for v in uniques]]
        mapping = dict(zip(uniques, decode_legacy_series(uniques, encoding), strict=True))
        out[c] = [mapping.get(v, v) if isinstance(v, str) else v for v in values]
    names = {c: decode_legacy(c, encoding) for c in gdf.columns if isinstance(c, str) and c != geometry}
    return out.rename(columns=names)


def _legacy_text_warnings(gdf: gpd.GeoDataFrame, label: str) -> list[str]:
    """Warnings for text columns that look written in TCVN3 or VNI (read as Western text)."""
    geometry = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    for c in [None, *gdf.columns]:
        if c == geometry and c is not None:
            continue
        if c is None:
            values = [str(n) for n in gdf.columns if n != geometry]
        elif not _is_text_dtype(gdf[c].dtype):
            continue
        else:
            values = _strings(pd.Series(gdf[c].dropna().unique(), dtype=object)).tolist()
        found = looks_like_legacy(values)
        if found:
            where = "field names" if c is None else f"field {str(c)!r}"
            example = next(v for v in values if not v.isascii())
            name = {"tcvn3": "TCVN3 (ABC, .VnTime fonts)", "vni": "VNI (VNI-Times fonts)"}[found]
            return [
                f"{label}: text in {where} looks like {name} (e.g. {example!r} = {decode_legacy(example, found)!r}): "
                f'set `encoding = "{found}"` for this layer'
            ]
    return []


def _garbled_text_warnings(gdf: gpd.GeoDataFrame, label: str) -> list[str]:
    """Warnings for text that looks like mojibake (UTF-8 read as cp1252/latin-1) or holds U+FFFD."""
    legacy = _legacy_text_warnings(gdf, label)
    if legacy:
        return legacy
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
