"""Service coverage: share of a parcel's area within a radius of any facility."""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.criteria._common import check_inputs, geoms

__all__ = ["coverage_share", "covered_share"]

#: segments per quarter circle when buffering facilities (area error < 0.1 %)
QUAD_SEGS = 32


def coverage_share(
    parcels: gpd.GeoDataFrame,
    features: gpd.GeoDataFrame,
    *,
    radius_m: float,
    name: str = "coverage_share",
) -> pd.Series:
    """Share (0..1) of each parcel's area lying within ``radius_m`` of at least one feature.

    The service areas are buffers of the features (circles approximated with
    ``4 * QUAD_SEGS`` segments). Parcels fully inside one service area get 1 without
    any overlay; parcels touched by exactly one get a single intersection; the rest
    get the area of their intersection with the union of the service areas that reach
    them, all in vectorised shapely calls.

    Parameters
    ----------
    parcels
        Candidate parcels (polygons) in a projected CRS, in metres.
    features
        Facilities (any geometry) in the same CRS.
    radius_m
        Service radius in metres (> 0).
    name
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        float64 in [0, 1], aligned on ``parcels.index``; 0 for parcels with no area.
    """
    if radius_m <= 0:
        msg = f"radius_m must be > 0, got {radius_m}"
        raise ValueError(msg)
    check_inputs(parcels, features, what="coverage_share")
    service = shapely.buffer(geoms(features), radius_m, quad_segs=QUAD_SEGS)
    share = covered_share(geoms(parcels), service)
    return pd.Series(np.clip(share, 0.0, 1.0), index=parcels.index, name=name)


def covered_share(parcel_geoms: np.ndarray, cover_geoms: np.ndarray) -> np.ndarray:
    """Share of each parcel's area covered by the union of ``cover_geoms`` (polygons).

    Vectorised: parcels inside one cover polygon get 1 from a ``within`` tree query;
    the others are intersected with the covers that reach them and each parcel's
    pieces are unioned in one ``shapely.union_all(..., axis=1)`` call over a padded table.
    """
    areas = shapely.area(parcel_geoms)
    share = np.zeros(len(parcel_geoms))
    if len(cover_geoms) == 0 or len(parcel_geoms) == 0:
        return share
    tree = shapely.STRtree(cover_geoms)
    inside, _ = tree.query(parcel_geoms, predicate="within")
    full = np.zeros(len(parcel_geoms), dtype=bool)
    full[np.unique(inside)] = True
    share[full] = 1.0

    left, right = tree.query(parcel_geoms, predicate="intersects")
    keep = ~full[left]
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return share
    order = np.argsort(left, kind="stable")
    left, right = left[order], right[order]
    pieces = shapely.intersection(parcel_geoms[left], cover_geoms[right])
    ids, starts, counts = np.unique(left, return_index=True, return_counts=True)
    covered = np.empty(len(ids))
    row_of_piece = np.repeat(np.arange(len(ids)), counts)
    col_of_piece = np.arange(len(left)) - np.repeat(starts, counts)
    # bucket parcels by piece count (powers of two) so the padded tables stay small
    bucket = np.ceil(np.log2(counts)).astype(int)
    for b in np.unique(bucket):
        rows = np.flatnonzero(bucket == b)
        width = int(counts[rows].max())
        if width == 1:
            covered[rows] = shapely.area(pieces[starts[rows]])
            continue
        table = np.full((len(rows), width), None, dtype=object)
        position = np.full(len(ids), -1)
        position[rows] = np.arange(len(rows))
        sel = position[row_of_piece] >= 0
        table[position[row_of_piece[sel]], col_of_piece[sel]] = pieces[sel]
        covered[rows] = shapely.area(shapely.union_all(table, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        share[ids] = np.where(areas[ids] > 0, covered / areas[ids], 0.0)
    return np.clip(share, 0.0, 1.0)
