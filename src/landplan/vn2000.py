"""VN-2000, Vietnam's national reference system, without the 224 m trap.

A VN-2000 ``.prj`` written by MapInfo, MicroStation or a hand-made ArcGIS definition often
has a custom name and no datum parameters (no ``TOWGS84``), or puts the projection on the
WGS 84 datum itself. PROJ then reads VN-2000 coordinates as if they were WGS 84 and every
feature lands about 224 m away (in Hanoi), silently. This module

- recognises VN-2000 in any CRS by its name (``VN-2000``, ``VN2000``, ``Vietnam 2000``...)
  or its parameters (Transverse Mercator on the WGS 84 ellipsoid, false easting 500 000 m,
  scale 0.9999 on a provincial meridian) -- Hanoi 1972 (Krassovsky ellipsoid) is not VN-2000;
- tells whether the datum shift is missing (no ``TOWGS84``, all-zero ``TOWGS84``, or a datum
  PROJ only knows a "ballpark" (null) transformation for) and then rebuilds the CRS with the
  official 7-parameter set of Quyết định 05/2007/QĐ-BTNMT (:func:`repair`);
- turns ``"VN-2000 Hà Nội"`` (diacritics and case optional), a province code (``"VN-2000 01"``),
  a central meridian (``"VN-2000 105-45"``) or ``"VN-2000 UTM 48"`` into a CRS (:func:`resolve`).

The numbers live in ``landplan/reference/vn2000.toml`` with their citations.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

import pyproj
from pyproj.crs import BoundCRS
from pyproj.crs.coordinate_operation import ToWGS84Transformation

from landplan.errors import CRSError

__all__ = [
    "DATUM_SHIFT_SOURCE",
    "Province",
    "area_of_use",
    "datum_shift_missing",
    "is_vn2000",
    "looks_like_tm3_coordinates",
    "provinces",
    "repair",
    "resolve",
    "swapped_xy_hint",
    "tm3_crs",
    "towgs84",
]

DATUM_SHIFT_SOURCE = "Quyết định 05/2007/QĐ-BTNMT"
_WGS84_A, _WGS84_RF = 6378137.0, 298.257223563
_NAME = re.compile(r"vn[\s_-]*2000|vietnam[\s_-]*2000|viet[\s_-]*nam[\s_-]*2000", re.IGNORECASE)


@dataclass(frozen=True)
class Province:
    """One province of the table: its code, name, TM-3 central meridian and EPSG code.

    ``era`` is ``"2008"`` for the 63 provinces of 2008-2025 (the meridians are theirs) and
    ``"2025"`` for the 34 from 1 July 2025; a 2025 province has ``parts`` (its former
    provinces) and a meridian only when all its parts share one.
    """

    code: str
    name: str
    era: str
    meridian: float | None
    epsg: int | None
    parts: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = (resources.files("landplan") / "reference" / "vn2000.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    """Every province of the table: the 63 of 2008-2025, then the 34 of 2025.

    Returns
    -------
    tuple of Province
        In the order of the table.
    """
    data = _data()
    old = [
        Province(
            p["code"], p["name"], "2008", float(p["meridian"]), int(p["epsg"]), aliases=tuple(p.get("aliases", []))
        )
        for p in data["tm3"]["provinces"]
    ]
    by_name = {p.name: p for p in old}
    new = []
    for p in data["merger_2025"]["provinces"]:
        parts = tuple(p["parts"])
        meridians = {by_name[q].meridian for q in parts}
        one = meridians.pop() if len(meridians) == 1 else None
        epsg = next(by_name[q].epsg for q in parts) if one is not None else None
        new.append(Province(p["code"], p["name"], "2025", one, epsg, parts=parts))
    return (*old, *new)


def towgs84() -> tuple[float, float, float, float, float, float, float]:
    """The official VN-2000 -> WGS 84 shift as PROJ's ``+towgs84`` (position-vector) numbers.

    Returns
    -------
    tuple of float
        ``(tx_m, ty_m, tz_m, rx_arcsec, ry_arcsec, rz_arcsec, scale_ppm)``; the decision's
        rotations are coordinate-frame (as EPSG:6960 records them), so their signs flip here.
    """
    d = _data()["datum_shift"]
    flip = -1.0 if d["convention"] == "coordinate_frame" else 1.0
    return (
        float(d["tx_m"]),
        float(d["ty_m"]),
        float(d["tz_m"]),
        flip * float(d["rx_arcsec"]),
        flip * float(d["ry_arcsec"]),
        flip * float(d["rz_arcsec"]),
        float(d["scale_ppm"]),
    )


def area_of_use(crs: pyproj.CRS) -> Any:
    """The CRS's area of use; a bound CRS (with a datum shift) has its source CRS's.

    Parameters
    ----------
    crs
        Any CRS.

    Returns
    -------
    pyproj.aoi.AreaOfUse or None
        None when PROJ knows none (custom definitions).
    """
    if crs.area_of_use is None and crs.is_bound and crs.source_crs is not None:
        return crs.source_crs.area_of_use
    return crs.area_of_use


def _bound(source: pyproj.CRS) -> pyproj.CRS:
    """``source`` with the official shift to WGS 84 attached (a PROJ BoundCRS)."""
    wgs84 = pyproj.CRS.from_epsg(4326)
    return BoundCRS(source, wgs84, ToWGS84Transformation(source.geodetic_crs, *towgs84()))


@lru_cache(maxsize=64)
def _tm_crs(lon0: float, *, scale: float, x0_m: float = 500000.0, y0_m: float = 0.0, lat0: float = 0.0) -> pyproj.CRS:
    """A VN-2000 Transverse Mercator CRS with the official shift: the EPSG one when it exists."""
    for code in _EPSG_VN2000_PROJECTED:
        crs = pyproj.CRS.from_epsg(code)
        p = _tm_params(crs)
        if p is not None and np.allclose(p, (lon0, scale, x0_m, y0_m, lat0), rtol=0, atol=1e-9):
            return _bound(crs)
    dms = f"{int(lon0)}-{round((lon0 % 1) * 60):02d}"
    kind = "TM-3" if abs(scale - 0.9999) < 1e-12 else "TM"
    conv = pyproj.crs.coordinate_operation.TransverseMercatorConversion(
        latitude_natural_origin=lat0,
        longitude_natural_origin=lon0,
        false_easting=x0_m,
        false_northing=y0_m,
        scale_factor_natural_origin=scale,
    )
    proj = pyproj.crs.ProjectedCRS(conv, name=f"VN-2000 / {kind} {dms}", geodetic_crs=pyproj.CRS.from_epsg(4756))
    return _bound(proj)


#: EPSG's projected VN-2000 CRSs: TM-3 zones and meridians, UTM 48N/49N
_EPSG_VN2000_PROJECTED = (5896, 5897, 5898, 5899, 3405, 3406, *range(9205, 9219))


def tm3_crs(meridian_deg: float) -> pyproj.CRS:
    """The VN-2000 TM-3 CRS (scale 0.9999, false easting 500 km) on ``meridian_deg``, with the official shift.

    Parameters
    ----------
    meridian_deg
        Central meridian, degrees east (e.g. 105.0 for Hà Nội, 105.75 for Hồ Chí Minh).

    Returns
    -------
    pyproj.CRS
        A bound CRS over the EPSG definition when one exists (EPSG:5896-5899, 9205-9218),
        else an exact Transverse Mercator on EPSG:4756.
    """
    return _tm_crs(float(meridian_deg), scale=float(_data()["tm3"]["scale_factor"]))


def _fold(text: str) -> str:
    """Lower-case ASCII letters and digits only (``"Đắk Lắk"`` -> ``"daklak"``)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z.]", "", plain.lower())


_PREFIX = re.compile(r"^\s*(?:vn[\s_-]*2000|vietnam[\s_-]*2000)\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_MERIDIAN = re.compile(r"^(?:tm-?3\s*)?(1\d\d)(?:\s*(?:[-°ºd:\s])\s*(\d{1,2})\s*'?|\.(\d+))?$", re.IGNORECASE)
_UTM = re.compile(r"^utm\s*(?:zone\s*)?(48|49)\s*n?$", re.IGNORECASE)


def resolve(text: str) -> pyproj.CRS | None:
    """A CRS for a VN-2000 shorthand, or None when ``text`` is not one (then pyproj reads it).

    Accepted after ``VN-2000`` (or ``VN2000``, any case): a province name with or without
    diacritics (``Hà Nội``, ``ha noi``), a 2008-2025 province code (``01``), a 2025 province
    (``Bắc Ninh 2025``: resolves when its former provinces share one meridian), a central
    meridian (``105``, ``105-45``, ``105°45'``, ``105.75``, ``TM-3 105.75``), ``UTM 48``/``UTM 49``,
    or nothing (geographic VN-2000). Every result carries the official datum shift.

    Parameters
    ----------
    text
        The scenario's ``crs`` text.

    Returns
    -------
    pyproj.CRS or None
        The CRS; None when ``text`` does not start with ``VN-2000``.

    Raises
    ------
    CRSError
        When it starts with ``VN-2000`` but names no known province or meridian.
    """
    m = _PREFIX.match(text)
    if m is None:
        return None
    rest = m.group(1).strip().strip("/").strip()
    if not rest:
        return _bound(pyproj.CRS.from_epsg(4756))
    if u := _UTM.match(rest):
        return _bound(pyproj.CRS.from_epsg(3405 if u.group(1) == "48" else 3406))
    if mm := _MERIDIAN.match(rest):
        deg = float(mm.group(1)) + (float(mm.group(2)) / 60 if mm.group(2) else 0.0)
        if mm.group(3):
            deg = float(f"{mm.group(1)}.{mm.group(3)}")
        if 100.0 <= deg <= 112.0:
            return tm3_crs(deg)
    province = _province(rest, text)
    if province.meridian is None:
        options = "; ".join(f'"VN-2000 {q}" ({_province(q, text).meridian:g}°E)' for q in province.parts)
        msg = (
            f"crs {text!r}: the 2025 province {province.name} joins former provinces with different "
            f"central meridians; VN-2000 data keeps the meridian of the province it was surveyed in: use {options}"
        )
        raise CRSError(msg)
    return tm3_crs(province.meridian)


def _province(rest: str, text: str) -> Province:
    key = _fold(rest)
    era = "2008"
    if key.endswith("2025") and not key.isdigit():
        key, era = key.removesuffix("2025"), "2025"
    for prefix in ("tinh", "thanhpho", "tp."):
        key = key.removeprefix(prefix)
    key = key.removeprefix("tp") if key.startswith("tphochiminh") or key == "tphcm" else key
    table = [p for p in provinces() if p.era == era]
    for p in table:
        if key == p.code or key in {_fold(p.name), *(_fold(a) for a in p.aliases)}:
            return p
    if era == "2008":  # a 2025-only name (Huế is an alias already)
        for p in provinces():
            if p.era == "2025" and key == _fold(p.name):
                return p
    names = ", ".join(p.name for p in table[:6])
    msg = (
        f"crs {text!r}: no VN-2000 province or central meridian {rest!r}; write e.g. "
        f'"VN-2000 Hà Nội" (a province: {names}, ...), "VN-2000 01" (its code), "VN-2000 105-45" '
        '(a central meridian) or "VN-2000 UTM 48"'
    )
    raise CRSError(msg)


# --------------------------------------------------------------------------- recognising VN-2000 in a file's CRS


def _quiet_dict(crs: pyproj.CRS) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return crs.to_dict()


def _tm_params(crs: pyproj.CRS) -> tuple[float, float, float, float, float] | None:
    """``(lon_0, k, x_0, y_0, lat_0)`` of a metre Transverse Mercator CRS on the WGS 84 ellipsoid."""
    if not crs.is_projected or not _wgs84_ellipsoid(crs):
        return None
    d = _quiet_dict(crs)
    if d.get("proj") not in {"tmerc", "utm"} or d.get("units", "m") != "m":
        return None
    if d.get("proj") == "utm":
        zone = int(d.get("zone", 0))
        return (zone * 6.0 - 183.0, 0.9996, 500000.0, 10000000.0 if d.get("south") else 0.0, 0.0)
    return (
        float(d.get("lon_0", 0.0)),
        float(d.get("k", d.get("k_0", 1.0))),
        float(d.get("x_0", 0.0)),
        float(d.get("y_0", 0.0)),
        float(d.get("lat_0", 0.0)),
    )


def _wgs84_ellipsoid(crs: pyproj.CRS) -> bool:
    e = crs.ellipsoid
    return e is not None and abs(e.semi_major_metre - _WGS84_A) < 1e-3 and abs(e.inverse_flattening - _WGS84_RF) < 1e-6


def _named_vn2000(crs: pyproj.CRS) -> bool:
    names = [crs.name, crs.geodetic_crs.name if crs.geodetic_crs else "", crs.datum.name if crs.datum else ""]
    return any(_NAME.search(n or "") for n in names)


def is_vn2000(crs: pyproj.CRS | None) -> bool:
    """Whether ``crs`` is VN-2000, by its name or by its parameters.

    By name: ``VN-2000``, ``VN2000``, ``VN_2000`` or ``Vietnam 2000`` in the CRS, geodetic CRS or
    datum name, on the WGS 84 ellipsoid. By parameters alone: Transverse Mercator on the WGS 84
    ellipsoid with scale 0.9999, false easting 500 000 m, false northing 0 and a central
    meridian between 102 and 110 degrees east on a quarter degree (the provincial TM-3 grid,
    which nobody else uses). A UTM-like projection (scale 0.9996) counts only by name. Hanoi
    1972 (Krassovsky ellipsoid) is never VN-2000.

    Parameters
    ----------
    crs
        Any CRS (None is not VN-2000).

    Returns
    -------
    bool
        True for VN-2000.
    """
    if crs is None:
        return False
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    if not _wgs84_ellipsoid(crs):
        return False
    if _named_vn2000(crs):
        return True
    p = _tm_params(crs)
    if p is None:
        return False
    lon0, k, x0, y0, lat0 = p
    return (
        bool(abs(k - 0.9999) < 1e-9 and x0 == 500000.0 and y0 == 0.0 and lat0 == 0.0 and 102.0 <= lon0 <= 110.0)
        and float(lon0 * 4).is_integer()
    )


def datum_shift_missing(crs: pyproj.CRS) -> bool:
    """Whether a VN-2000 ``crs`` lacks a real shift to WGS 84 (PROJ would move nothing).

    Parameters
    ----------
    crs
        A CRS for which :func:`is_vn2000` is true.

    Returns
    -------
    bool
        True when there is no ``TOWGS84``, an all-zero one, a WGS 84 datum, or a datum for
        which PROJ knows only a ballpark (null) transformation.
    """
    if crs.is_bound:
        params = [p.value for p in crs.coordinate_operation.params] if crs.coordinate_operation else []
        return not any(abs(float(v)) > 0 for v in params)
    geodetic = crs.geodetic_crs
    if geodetic is None:
        return True
    datum = re.sub(r"[^A-Z0-9]", "", crs.datum.name.upper()) if crs.datum else ""
    if "WGS" in datum or "WORLDGEODETICSYSTEM1984" in datum or geodetic.to_epsg(min_confidence=70) == 4326:
        return True  # VN-2000 numbers on the WGS 84 datum: exactly the 224 m mistake
    group = pyproj.transformer.TransformerGroup(geodetic, pyproj.CRS.from_epsg(4326))
    return all("ballpark" in t.description.lower() for t in group.transformers)


def repair(crs: pyproj.CRS | None) -> tuple[pyproj.CRS | None, bool]:
    """``crs`` with the official VN-2000 shift when it is VN-2000 without one.

    Parameters
    ----------
    crs
        The CRS a file declares (None passes through).

    Returns
    -------
    tuple
        ``(crs, repaired)``: the same CRS and False when nothing was wrong, else the rebuilt
        CRS (same projection parameters, VN-2000 datum, official shift) and True.
    """
    if crs is None or not is_vn2000(crs) or not datum_shift_missing(crs):
        return crs, False
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    if base.is_geographic:
        return _bound(pyproj.CRS.from_epsg(4756)), True
    p = _tm_params(base)
    if p is None:  # a named VN-2000 in some other projection: keep its definition, add the shift
        return _bound(base), True
    lon0, k, x0, y0, lat0 = p
    return _tm_crs(lon0, scale=k, x0_m=x0, y0_m=y0, lat0=lat0), True


def looks_like_tm3_coordinates(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether most coordinates look like VN-2000 TM-3/UTM metres in Vietnam.

    Parameters
    ----------
    x, y
        Easting and northing candidates (e.g. bounding-box centres).

    Returns
    -------
    bool
        True when at least 90 % of the finite pairs have x in 300 000..700 000 and y in
        900 000..2 700 000 (Vietnam spans latitudes 8.5-23.4 degrees north).
    """
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return False
    inside = (x[ok] >= 300_000) & (x[ok] <= 700_000) & (y[ok] >= 900_000) & (y[ok] <= 2_700_000)
    return bool(inside.mean() >= 0.9)


def swapped_xy_hint(gdf: Any, lon_lat: tuple[str, str] | None) -> str | None:
    """The fix when a table's x/y columns are the other way round (X = northing in Vietnamese surveying).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A point layer read from a table, in a projected CRS its coordinates contradict.
    lon_lat : tuple of str or None
        The easting and northing column names used (None: not a table, no hint).

    Returns
    -------
    str or None
        The fix naming ``lon_field``/``lat_field``, when the swapped coordinates fall in the
        CRS's area of use; else None.
    """
    aou = area_of_use(gdf.crs) if gdf.crs is not None else None
    if lon_lat is None or aou is None or gdf.crs.is_geographic or gdf.empty:
        return None
    x, y = gdf.geometry.y.to_numpy(), gdf.geometry.x.to_numpy()  # swapped
    lon, lat = pyproj.Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True).transform(
        float(np.nanmedian(x)), float(np.nanmedian(y)), errcheck=False
    )
    if not (aou.west - 1 <= lon <= aou.east + 1 and aou.south - 1 <= lat <= aou.north + 1):
        return None
    east, north = lon_lat
    return (
        f"the columns look swapped (in Vietnamese surveying X is the northing and Y the easting): set "
        f'`lon_field = "{north}"` and `lat_field = "{east}"` for this layer'
    )
