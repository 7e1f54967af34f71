"""Distance criteria: nearest distance and counts within a radius (STRtree, exact)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan._numbers import check_number
from landplan.criteria._common import check_inputs, geoms

__all__ = ["count_within", "frontier_segments", "nearest_distance"]

#: entries per node of the segments' STRtree: GEOS's nearest search visits fewer candidates in a
#: narrow tree; 200,000 ring queries against 330 zone segments, CPU s: capacity 2 0.57, 4 0.65,
#: 10 (shapely's default) 1.63, 25 2.85 (DESIGN.md, "Scale")
_NODE_CAPACITY = 2


def nearest_distance(
    parcels: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *, name: str = "nearest_distance_m"
) -> pd.Series:
    """Distance in metres from each parcel to the nearest feature.

    Planar minimum distance between geometries (0 where a parcel touches or overlaps a
    feature). Exact and the same bits as ``shapely.distance`` to the nearest feature, but
    found in two cheaper steps (:func:`frontier_segments`): parcels that intersect a
    feature get 0 from one ``intersects`` tree query; for the others the nearest point of
    a feature lies on its frontier (a polygon's rings, a line, a point), so an STRtree of
    the features' 2-point segments answers ``query_nearest`` with the parcels' rings. The
    tree's boxes then hug the features' edges rather than whole polygons, and the tree is
    narrow (2 entries a node): about 5x faster than ``query_nearest`` on the polygons
    (DESIGN.md, "Scale").

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
        float64, aligned on ``parcels.index``; NaN for empty parcel geometries.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> p = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100)], crs=32648)
    >>> f = gpd.GeoDataFrame(geometry=[shapely.Point(150, 50)], crs=32648)
    >>> float(nearest_distance(p, f).iloc[0])
    50.0
    """
    check_inputs(parcels, features, what="nearest_distance")
    pg, fg = geoms(parcels), geoms(features)
    out = np.full(len(pg), np.nan)
    touching, _ = shapely.STRtree(fg).query(pg, predicate="intersects")
    out[touching] = 0.0
    rest = np.ones(len(pg), dtype=bool)
    rest[touching] = False
    rest &= ~shapely.is_missing(pg) & ~shapely.is_empty(pg)
    segments = frontier_segments(fg)
    if not len(segments):
        return pd.Series(out, index=parcels.index, name=name, dtype="float64")
    idx = np.flatnonzero(rest)
    # a parcel disjoint from every feature is nearest to them along its own rings
    probe = pg[idx]
    polygonal = np.isin(shapely.get_type_id(probe), (3, 6))  # Polygon, MultiPolygon (not collections)
    probe[polygonal] = shapely.boundary(probe[polygonal])
    tree = shapely.STRtree(segments, node_capacity=_NODE_CAPACITY)
    (left, _right), dist = tree.query_nearest(probe, return_distance=True, all_matches=False)
    out[idx[left]] = dist
    return pd.Series(out, index=parcels.index, name=name, dtype="float64")


def frontier_segments(features: np.ndarray) -> np.ndarray:
    """The features' frontiers as 2-point line segments (and points), for nearest queries.

    A polygon's frontier is its rings, a line's is itself, a point's is itself; every ring
    or line is exploded into its 2-point segments with the original coordinates (no new
    vertex, so distances to them are the same bits as to the feature). Measured on 10
    buffered zones and on 2 km boxes, splitting long edges further (``shapely.segmentize``
    at 50 to 1,000 m) made ``query_nearest`` slower, not faster, so edges are kept whole.

    Parameters
    ----------
    features : numpy.ndarray
        Any shapely geometries (missing and empty ones are skipped).

    Returns
    -------
    numpy.ndarray
        LineStrings of 2 points and Points.
    """
    parts = shapely.get_parts(shapely.get_parts(features[~shapely.is_missing(features)]))
    parts = parts[~shapely.is_empty(parts)]
    dims = shapely.get_dimensions(parts)
    lines = np.concatenate([parts[dims == 1], shapely.get_parts(shapely.boundary(parts[dims == 2]))])
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    same = owner[:-1] == owner[1:]
    segs = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    return np.concatenate([parts[dims == 0], segs])


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
