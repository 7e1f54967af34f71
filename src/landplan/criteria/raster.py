"""Raster criteria: area-weighted zonal statistics with exactextract.

A raster is read once (:func:`landplan.io.raster.read_raster`) and summarised for every parcel in one
``exact_extract`` call; parcels are transformed to the raster's CRS for extraction, so
rasters may be in any CRS. Nodata cells are ignored; parcels with no valid cell under them
(outside the raster, or only nodata) get NaN.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

import geopandas as gpd

from landplan.errors import CRSError, InputError
from landplan.io.raster import RasterData, read_raster

__all__ = ["RasterData", "raster_stat", "read_raster"]

logger = logging.getLogger(__name__)

STATS = ("mean", "min", "max", "share_above")


def raster_stat(
    parcels: gpd.GeoDataFrame,
    raster: RasterData,
    *,
    stat: str = "mean",
    threshold: float | None = None,
    name: str | None = None,
) -> pd.Series:
    """Area-weighted statistic of the raster cells under each parcel.

    Parameters
    ----------
    parcels
        Polygons in any CRS (transformed to the raster's CRS for extraction).
    raster
        From :func:`read_raster`.
    stat
        ``"mean"`` (area-weighted mean), ``"min"``, ``"max"`` (of cells touching the
        parcel), or ``"share_above"``: share 0..1 of the parcel's valid area whose value
        exceeds ``threshold``.
    threshold
        For ``share_above``.
    name
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        float64 on ``parcels.index``; NaN where no valid cell lies under the parcel.
    """
    from exactextract.raster import NumPyRasterSource

    from landplan.criteria._extract import extract_stat

    if stat not in STATS:
        msg = f"unknown raster statistic {stat!r}; choose one of {STATS}"
        raise InputError(msg)
    if (stat == "share_above") != (threshold is not None):
        msg = "threshold is needed for stat='share_above' and only then"
        raise InputError(msg)
    if parcels.crs is None:
        msg = "raster_stat: parcels have no CRS"
        raise CRSError(msg)
    values = raster.values
    op = stat
    if stat == "share_above":
        assert threshold is not None
        values = np.where(np.isnan(values), np.nan, (values > threshold).astype("float64"))
        op = "mean"
    xmin, ymin, xmax, ymax = raster.bounds
    source = NumPyRasterSource(values, xmin, ymin, xmax, ymax, nodata=np.nan, srs_wkt=raster.crs.to_wkt())
    geometry = parcels.geometry if parcels.crs.equals(raster.crs) else parcels.geometry.to_crs(raster.crs)
    values_out = extract_stat(source, np.asarray(geometry.array, dtype=object), op, srs_wkt=raster.crs.to_wkt())
    out = pd.Series(values_out, index=parcels.index, name=name or f"raster_{stat}")
    missing = int(out.isna().sum())
    if missing:
        logger.warning(
            "%s: %d parcels have no valid raster cell under them (outside the raster or nodata)",
            raster.source or "raster",
            missing,
        )
    return out
