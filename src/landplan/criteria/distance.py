"""Distance criteria: nearest distance and counts within a radius (STRtree, exact)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan._numbers import check_number
from landplan.criteria._common import check_inputs, geoms

__all__ = ["count_within", "nearest_distance"]


def nearest_distance(
    parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *, name: str = "nearest_distance_m"
) -> pd.Series:
    """Distance in metres from each parcel to the nearest feature.

    Planar minimum distance between geometries (0 where a parcel touches or overlaps a
    feature), found with an STRtree nearest-neighbour query.

    Parameters
    ----------
    parcels
        Candidate parcels, in a projected CRS in metres.
    features
        Any geometries in the same CRS (points, lines or polygons).
    name
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        float64, aligned on ``parcels.index``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> p = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100)], crs=32648)
    >>> f = gpd.GeoDataFrame(geometry=[shapely.Point(150, 50)], crs=32648)
    >>> float(nearest_distance(p, f).iloc[0])
    50.0
    """
    check_inputs(parcels, features, what="nearest_distance")
    tree = shapely.STRtree(geoms(features))
    (left, _right), dist = tree.query_nearest(geoms(parcels), return_distance=True, all_matches=False)
    out = np.full(len(parcels), np.nan)
    out[left] = dist
    return pd.Series(out, index=parcels.index, name=name, dtype="float64")


def count_within(
    parcels: gpd.GeoDataFrame,
    features: gpd.GeoDataFrame,
    *,
    radius_m: float,
    name: str = "count_within",
) -> pd.Series:
    """Number of features within ``radius_m`` of each parcel (distance <= radius).

    Parameters
    ----------
    parcels, features
        Layers in the same projected CRS, in metres.
    radius_m
        Search radius in metres (>= 0).
    name
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        int64 counts aligned on ``parcels.index``.

    Raises
    ------
    InputError
        If ``radius_m`` is not a finite number >= 0.
    """
    radius_m = check_number(radius_m, "count_within: radius_m", ge=0)
    check_inputs(parcels, features, what="count_within")
    tree = shapely.STRtree(geoms(features))
    left, _right = tree.query(geoms(parcels), predicate="dwithin", distance=radius_m)
    counts = np.bincount(left, minlength=len(parcels)).astype("int64")
    return pd.Series(counts, index=parcels.index, name=name)
