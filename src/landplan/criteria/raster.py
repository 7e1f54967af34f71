"""Raster criteria: area-weighted zonal statistics with exactextract.

A raster is read once (:func:`read_raster`) and summarised for every parcel in one
``exact_extract`` call; parcels are transformed to the raster's CRS for extraction, so
rasters may be in any CRS. Nodata cells are ignored; parcels with no valid cell under them
(outside the raster, or only nodata) get NaN.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import pyproj

from landplan.errors import CRSError, InputError, LayerReadError

__all__ = ["RasterData", "raster_stat", "read_raster"]

logger = logging.getLogger(__name__)

STATS = ("mean", "min", "max", "share_above")


@dataclass(frozen=True)
class RasterData:
    """One band in memory: values (NaN = nodata), georeferencing and CRS."""

    values: np.ndarray
    bounds: tuple[float, float, float, float]
    crs: pyproj.CRS
    source: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns."""
        rows, cols = self.values.shape
        return int(rows), int(cols)


def read_raster(path: str | os.PathLike[str], *, band: int = 1) -> RasterData:
    """Read one band of a north-up raster into memory, nodata as NaN.

    Raises
    ------
    LayerReadError
        If the file is missing or unreadable, the band does not exist, or the raster is rotated.
    CRSError
        If the raster has no CRS.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    label = str(path)
    if not Path(path).exists():
        msg = f"{label}: raster file not found"
        raise LayerReadError(msg)
    try:
        with rasterio.open(path) as src:
            if band < 1 or band > src.count:
                msg = f"{label}: band {band} does not exist (the raster has {src.count})"
                raise LayerReadError(msg)
            if src.crs is None:
                msg = (
                    f"{label}: the raster has no CRS; assign one "
                    f"(e.g. gdal_edit.py -a_srs EPSG:32648 {Path(path).name})"
                )
                raise CRSError(msg)
            t = src.transform
            if t.b != 0 or t.d != 0 or t.e >= 0:
                msg = f"{label}: rotated or south-up rasters are not supported; warp it north-up first (gdalwarp)"
                raise LayerReadError(msg)
            data = src.read(band, masked=True).astype("float64")
            values = data.filled(np.nan)
            crs = pyproj.CRS.from_user_input(src.crs.to_wkt())
            bounds = tuple(float(b) for b in src.bounds)
    except RasterioIOError as exc:
        msg = f"{label}: cannot read the raster ({exc})"
        raise LayerReadError(msg) from exc
    return RasterData(values=values, bounds=(bounds[0], bounds[1], bounds[2], bounds[3]), crs=crs, source=label)


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
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

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
    geoms = gpd.GeoDataFrame(geometry=parcels.geometry.to_crs(raster.crs).to_numpy(), crs=raster.crs)
    table = exact_extract(source, geoms, [op], output="pandas")
    out = pd.Series(table[op].to_numpy(dtype="float64"), index=parcels.index, name=name or f"raster_{stat}")
    missing = int(out.isna().sum())
    if missing:
        logger.warning(
            "%s: %d parcels have no valid raster cell under them (outside the raster or nodata)",
            raster.source or "raster",
            missing,
        )
    return out
