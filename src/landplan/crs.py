"""The only place that chooses or changes a CRS.

landplan measures in one projected working CRS, in metres, per run: the scenario's
``crs`` when given, otherwise the UTM zone of the *median* of the parcels' centres (one
stray parcel cannot move it). :func:`placement_problems` names the features that cannot
be trusted to be where they claim: non-finite or impossible coordinates, features at
(0, 0), features far from the rest of their layer (:data:`OUTLIER_MIN_KM`,
:data:`OUTLIER_FACTOR`) and features outside the working CRS's area of use. When a layer
is read, :func:`_declare_crs` settles its CRS (the file's or the scenario's declaration) and
:func:`_check_geographic_range` checks the coordinates fit it (naming swapped rows).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

import pyproj
import shapely
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from landplan import vn2000
from landplan.errors import CRSError, LayerReadError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "AREA_OF_USE_MARGIN_DEG",
    "OUTLIER_FACTOR",
    "OUTLIER_MIN_KM",
    "Placement",
    "check_metric",
    "estimate_working_crs",
    "lonlat_centres",
    "placement_problems",
    "to_working_crs",
    "user_crs",
]

#: a feature is "far from the rest of its layer" when its centre lies more than
#: max(OUTLIER_MIN_KM, OUTLIER_FACTOR x the layer's median distance to the median centre)
#: from the median centre (median of longitudes, median of latitudes)
OUTLIER_MIN_KM = 100.0
OUTLIER_FACTOR = 10.0
#: tolerance around a CRS's EPSG area of use (degrees): UTM stays accurate a little beyond its zone
AREA_OF_USE_MARGIN_DEG = 1.0
_EARTH_KM = 6371.0088

logger = logging.getLogger(__name__)

_DECLARE_HINT = (
    'declare it: add a .prj file next to the shapefile, or set `crs = "EPSG:4326"` '
    "(or the right code) for this layer in the scenario file, or pass crs= to read_layer"
)


def user_crs(crs: Any) -> pyproj.CRS:
    """A CRS from a scenario's ``crs`` text: a VN-2000 shorthand or anything pyproj reads.

    Parameters
    ----------
    crs
        ``"VN-2000 Hà Nội"``, ``"VN-2000 105-45"`` (see :func:`landplan.vn2000.resolve`),
        ``"EPSG:32648"``, an int, WKT, a :class:`pyproj.CRS`...

    Returns
    -------
    pyproj.CRS
        The CRS (VN-2000 ones carry the official datum shift).

    Raises
    ------
    pyproj.exceptions.CRSError
        When pyproj cannot read it.
    CRSError
        For a ``VN-2000 ...`` text naming no known province or meridian.
    """
    if isinstance(crs, str) and (found := vn2000.resolve(crs)) is not None:
        return found
    return pyproj.CRS.from_user_input(crs)


def check_metric(crs: Any, *, what: str = "working CRS") -> pyproj.CRS:
    """Return ``crs`` as a :class:`pyproj.CRS` after checking it is projected in metres.

    Parameters
    ----------
    crs
        Anything :class:`pyproj.CRS` accepts (``"EPSG:32648"``, an int, WKT...).
    what
        Name used in the error message.

    Raises
    ------
    CRSError
        If the CRS cannot be parsed, is geographic, or its axes are not in metres.
    """
    try:
        out = user_crs(crs)
    except pyproj.exceptions.CRSError as exc:
        msg = f"{what} {crs!r} is not a CRS pyproj understands ({exc}); use e.g. 'EPSG:32648' or 'VN-2000 Hà Nội'"
        raise CRSError(msg) from exc
    if not out.is_projected:
        msg = (
            f"{what} {out.to_string()} is not projected; landplan measures in metres: "
            "use a projected CRS such as the local UTM zone (e.g. EPSG:32648 for Hanoi) "
            "or leave `crs` unset to estimate one"
        )
        raise CRSError(msg)
    units = {ax.unit_name for ax in out.axis_info[:2]}
    if units - {"metre", "meter", "m"}:
        msg = f"{what} {out.to_string()} has axis units {sorted(units)}, not metres; pick a metric CRS"
        raise CRSError(msg)
    return out


def lonlat_centres(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Longitude/latitude (degrees, WGS 84) of each feature's bounding-box centre.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any layer with a CRS.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 2)``; NaN or inf where the feature is empty or cannot be placed.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS.
    """
    if gdf.crs is None:
        msg = f"the layer has no CRS; {_DECLARE_HINT}"
        raise CRSError(msg)
    b = shapely.bounds(np.asarray(gdf.geometry.array, dtype=object))
    with np.errstate(invalid="ignore", over="ignore"):
        x, y = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    if gdf.crs.equals("EPSG:4326"):
        return np.column_stack([x, y])
    fwd = pyproj.Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True)
    lon, lat = fwd.transform(x, y, errcheck=False)
    return np.column_stack([np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")])


def _on_earth(lonlat: np.ndarray) -> np.ndarray:
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    with np.errstate(invalid="ignore"):
        return np.isfinite(lonlat).all(axis=1) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)


def _km(lonlat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    a = (
        np.sin((lat - np.radians(lat0)) / 2) ** 2
        + np.cos(lat) * np.cos(np.radians(lat0)) * np.sin((lon - np.radians(lon0)) / 2) ** 2
    )
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def estimate_working_crs(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """The WGS 84 UTM zone of the median of the features' centres (robust to stray features).

    The median longitude and median latitude of the bounding-box centres that lie on
    Earth are used, so a few misplaced features cannot switch the zone.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer with a CRS (usually the parcels).

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS or no feature with usable coordinates.
    """
    lonlat = lonlat_centres(gdf)
    ok = _on_earth(lonlat)
    if not ok.any():
        msg = "cannot estimate a UTM working CRS: no feature has usable coordinates; set `crs` in the scenario"
        raise CRSError(msg)
    lon, lat = (float(v) for v in np.median(lonlat[ok], axis=0))
    found = query_utm_crs_info(datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    if not found:  # pragma: no cover - every point on Earth has a UTM zone
        msg = f"no UTM zone found at lon {lon:.3f}, lat {lat:.3f}; set `crs` in the scenario"
        raise CRSError(msg)
    crs = pyproj.CRS.from_authority(found[0].auth_name, found[0].code)
    logger.info("working CRS estimated from the median parcel centre (%.4f, %.4f): %s", lon, lat, crs.name)
    return crs


@dataclass(frozen=True)
class Placement:
    """Features whose position cannot be trusted, by reason (boolean masks on the layer)."""

    impossible: np.ndarray
    null_island: np.ndarray
    far: np.ndarray
    outside_crs: np.ndarray
    far_km: float

    def messages(self, crs: pyproj.CRS) -> list[tuple[np.ndarray, str, str]]:
        """``(mask, problem, fix)`` for each non-empty reason."""
        aou = vn2000.area_of_use(crs)
        extent = f"{aou.west:g}..{aou.east:g} E, {aou.south:g}..{aou.north:g} N" if aou else "unknown"
        out = [
            (
                self.impossible,
                "have coordinates that are not finite or cannot be placed on Earth",
                "fix their coordinates, or declare the layer's real CRS with `crs`",
            ),
            (
                self.null_island,
                "lie at (0, 0), a missing position written as zeros",
                "give them real coordinates or remove them",
            ),
            (
                self.far,
                f"lie more than {self.far_km:.0f} km from the median centre of the layer",
                "check their coordinates (a typo, swapped or missing digits?) or remove them",
            ),
            (
                self.outside_crs,
                f"lie outside the area of use of the working CRS {crs.to_string()} ({extent})",
                "check their coordinates, or set the scenario's `crs` to a CRS covering the data",
            ),
        ]
        return [m for m in out if m[0].any()]


def placement_problems(gdf: gpd.GeoDataFrame, *, working_crs: pyproj.CRS | None = None) -> Placement:
    """Find features that are impossible, at (0, 0), far from the rest, or outside ``working_crs``.

    Parameters
    ----------
    gdf
        A layer with a CRS (any).
    working_crs
        The run's working CRS; features outside its EPSG area of use (widened by
        :data:`AREA_OF_USE_MARGIN_DEG`) are reported. None skips that test.

    Returns
    -------
    Placement
        One boolean mask per reason (a feature is reported under its first reason only).

    Notes
    -----
    "Far" needs at least three placeable features: the median centre of one or two
    features says nothing about where the layer belongs.
    """
    lonlat = lonlat_centres(gdf)
    present = ~(shapely.is_missing(np.asarray(gdf.geometry.array)) | shapely.is_empty(np.asarray(gdf.geometry.array)))
    ok = _on_earth(lonlat) & present
    impossible = present & ~ok
    null_island = ok & (np.abs(lonlat[:, 0]) < 1e-9) & (np.abs(lonlat[:, 1]) < 1e-9)
    usable = ok & ~null_island
    far = np.zeros(len(gdf), dtype=bool)
    limit = OUTLIER_MIN_KM
    if usable.sum() >= 3:
        lon0, lat0 = (float(v) for v in np.median(lonlat[usable], axis=0))
        d = _km(np.where(usable[:, None], lonlat, 0.0), lon0, lat0)
        limit = max(OUTLIER_MIN_KM, OUTLIER_FACTOR * float(np.median(d[usable])))
        far = usable & (d > limit)
    outside = np.zeros(len(gdf), dtype=bool)
    aou = vn2000.area_of_use(working_crs) if working_crs is not None else None
    if aou is not None:
        m = AREA_OF_USE_MARGIN_DEG
        lon, lat = lonlat[:, 0], lonlat[:, 1]
        if aou.west <= aou.east:
            in_lon = (lon >= aou.west - m) & (lon <= aou.east + m)
        else:  # crosses the antimeridian
            in_lon = (lon >= aou.west - m) | (lon <= aou.east + m)
        inside = in_lon & (lat >= aou.south - m) & (lat <= aou.north + m)
        outside = usable & ~far & ~inside
    return Placement(impossible, null_island, far, outside, limit)


def to_working_crs(gdf: gpd.GeoDataFrame, crs: pyproj.CRS, *, name: str = "layer") -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to the working CRS (returns ``gdf`` itself when already there).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer.
    crs : pyproj.CRS
        The working CRS.
    name : str, default 'layer'
        The layer's name, for messages.

    Raises
    ------
    CRSError
        If the layer has no CRS.
    """
    if gdf.crs is None:
        msg = f"{name}: the layer has no CRS; {_DECLARE_HINT}"
        raise CRSError(msg)
    if gdf.crs.equals(crs):
        return gdf
    logger.debug("reprojecting %s from %s to %s", name, gdf.crs.to_string(), crs.to_string())
    return gdf.to_crs(crs)


# --------------------------------------------------------------------------- declared CRS of a layer read


def _declare_crs(gdf: gpd.GeoDataFrame, crs: Any, label: str) -> gpd.GeoDataFrame:
    """Set the declared CRS; a declaration overrides the file's CRS only when the coordinates contradict it.

    A file CRS that is VN-2000 without a datum shift (:func:`landplan.vn2000.repair`) gets the
    official shift, with a warning in ``attrs["warnings"]``, unless ``crs`` is declared: then
    the declaration wins.
    """
    fixed, repaired = vn2000.repair(gdf.crs)
    if crs is not None:
        try:
            declared = user_crs(crs)
        except pyproj.exceptions.CRSError as exc:
            msg = f"{label}: declared `crs = {crs!r}` is not a CRS pyproj understands ({exc}); use e.g. 'EPSG:4326'"
            raise CRSError(msg) from exc
        except CRSError as exc:
            raise CRSError(f"{label}: {exc}") from None
        if repaired:
            logger.info("%s: the declared crs %s replaces the file's unshifted VN-2000", label, _short(declared))
            gdf = gdf.set_crs(declared, allow_override=True)
        elif gdf.crs is None:
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
    elif repaired and gdf.crs is not None:
        original = gdf.crs.name
        gdf = gdf.set_crs(fixed, allow_override=True)
        gdf.attrs.setdefault("warnings", []).append(
            f"{label}: the file's CRS {original!r} is VN-2000 without a datum shift to WGS 84 (no or zero "
            "TOWGS84, or the WGS 84 datum): read as written, every feature would move about 224 m (in Hanoi); "
            f"landplan applied the official VN-2000 -> WGS 84 parameters ({vn2000.DATUM_SHIFT_SOURCE}); fix the "
            "file's .prj, or set `crs = \"VN-2000 <province>\"` (or the file's real CRS) for this layer"
        )
    if gdf.crs is None:
        x, y, _ = _centres(gdf)
        hint = (
            '; its coordinates look like VN-2000 TM-3 metres: set `crs = "VN-2000 Hà Nội"` (the province '
            'whose central meridian the survey used; or "VN-2000 105-45" for a meridian)'
            if vn2000.looks_like_tm3_coordinates(x, y)
            else ""
        )
        msg = (
            f"{label}: the layer has no CRS; declare it: add a .prj next to a shapefile, or set "
            '`crs = "EPSG:4326"` (or the right code) for this layer in the scenario, or pass crs= '
            f"to read_layer{hint}"
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
    aou = vn2000.area_of_use(crs)
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
            fix = vn2000.swapped_xy_hint(gdf, lon_lat) or (
                'set `crs = "EPSG:4326"` for this layer if the numbers are longitude/latitude, or its real CRS'
            )
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
