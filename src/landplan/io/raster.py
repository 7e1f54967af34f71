"""Rasters in memory: one band read once with rasterio, nodata as NaN, with its georeferencing."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import pyproj

from landplan import vn2000
from landplan.errors import CRSError, LayerReadError

logger = logging.getLogger(__name__)

__all__ = ["RasterData", "read_raster"]


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

    Parameters
    ----------
    path : str or os.PathLike
        The raster file (any format rasterio/GDAL reads).
    band : int, default 1
        Band to read, counted from 1.

    Returns
    -------
    RasterData
        The band as float64 values (nodata as NaN), its bounds and CRS, and ``path`` as source.

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
    fixed, repaired = vn2000.repair(crs)
    if repaired and fixed is not None:
        crs = fixed
        logger.warning(
            "%s: the raster's CRS is VN-2000 without a datum shift to WGS 84; applied the official parameters (%s)",
            label,
            vn2000.DATUM_SHIFT_SOURCE,
        )
    return RasterData(values=values, bounds=(bounds[0], bounds[1], bounds[2], bounds[3]), crs=crs, source=label)
