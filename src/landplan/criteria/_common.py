"""Checks shared by the criteria functions."""

from __future__ import annotations

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
