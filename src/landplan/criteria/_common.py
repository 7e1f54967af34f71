"""Checks shared by the criteria functions."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import geopandas as gpd

from landplan.errors import CRSError, InputError


def check_inputs(parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *, what: str) -> None:
    """Raise if the two layers are not in the same projected CRS or ``features`` is empty."""
    if parcels.crs is None or features.crs is None:
        msg = f"{what}: parcels and features need a CRS; reproject both to the working CRS first"
        raise CRSError(msg)
    if not parcels.crs.equals(features.crs):
        msg = (
            f"{what}: layers use different CRSs (parcels {parcels.crs.to_string()}, features "
            f"{features.crs.to_string()}); reproject with landplan.crs.to_working_crs"
        )
        raise CRSError(msg)
    if parcels.crs.is_geographic:
        msg = (
            f"{what}: the layers are in a geographic CRS ({parcels.crs.to_string()}); "
            "distances need metres: reproject first"
        )
        raise CRSError(msg)
    if features.empty:
        msg = f"{what}: the feature layer is empty (after any selection); nothing to measure against"
        raise InputError(msg)


def geoms(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """The geometry column as a numpy array of shapely geometries."""
    return np.asarray(gdf.geometry.array, dtype=object)


def in_slices(fn: Callable[[int, int], None], n: int, *, parts_per_core: int = 1, step: int | None = None) -> None:
    """Call ``fn(start, stop)`` over slices of ``range(n)`` on a thread pool, one thread a core.

    For work that releases the GIL (shapely, numpy on large arrays, numba ``nogil``) and writes
    each slice's own rows: the same result as one call, on every core.

    Parameters
    ----------
    fn : callable
        Does the work of rows ``start <= i < stop``.
    n : int
        Number of rows.
    parts_per_core : int, default 1
        Slices per core when ``step`` is not given (more balance the cores' load).
    step : int, optional
        Rows per slice (default: ``n`` split into ``parts_per_core`` slices a core).
    """
    cores = os.cpu_count() or 1
    size = step or max(-(-n // (parts_per_core * cores)), 1)
    with ThreadPoolExecutor(max_workers=cores) as pool:
        list(pool.map(lambda start: fn(start, min(start + size, n)), range(0, n, size)))
