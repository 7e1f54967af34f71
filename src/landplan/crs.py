"""The only place that chooses or changes a CRS.

landplan measures in one projected working CRS, in metres, per run: the scenario's
``crs`` when given, otherwise the UTM zone estimated from the parcels.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pyproj

from landplan.errors import CRSError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["check_metric", "estimate_working_crs", "to_working_crs"]

logger = logging.getLogger(__name__)

_DECLARE_HINT = (
    'declare it: add a .prj file next to the shapefile, or set `crs = "EPSG:4326"` '
    "(or the right code) for this layer in the scenario file, or pass crs= to read_layer"
)


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
        out = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        msg = f"{what} {crs!r} is not a CRS pyproj understands ({exc}); use e.g. 'EPSG:32648'"
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


def estimate_working_crs(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """Estimate the UTM zone CRS covering ``gdf`` (which must have a CRS).

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS or no geometry to estimate from.
    """
    if gdf.crs is None:
        msg = f"cannot estimate a working CRS from a layer without CRS; {_DECLARE_HINT}"
        raise CRSError(msg)
    try:
        crs = gdf.estimate_utm_crs()
    except RuntimeError as exc:  # geopandas raises RuntimeError when it cannot
        msg = f"cannot estimate a UTM working CRS from the layer ({exc}); set `crs` in the scenario"
        raise CRSError(msg) from exc
    logger.info("working CRS estimated from the parcels: %s", crs.name)
    return crs


def to_working_crs(gdf: gpd.GeoDataFrame, crs: pyproj.CRS, *, name: str = "layer") -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to the working CRS (returns ``gdf`` itself when already there).

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
