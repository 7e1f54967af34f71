"""Service coverage: share of a parcel's area within a radius of any facility."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan._numbers import check_number
from landplan.criteria._common import check_inputs, geoms, in_slices
from landplan.criteria._discs import disc_union_share

__all__ = ["SAGITTA_TOL_M", "coverage_share", "covered_share", "quad_segs_for"]

#: largest gap in metres between a buffered circle (a polygon inscribed in the true
#: circle) and the circle itself: 2 mm, whatever the radius
SAGITTA_TOL_M = 0.002
_PREPARED_BLOCK = 2_000  # covers prepared at once (bounded memory)
_DIGITS = 12  # exact disc shares are rounded here: last bits stable across summation orders


def quad_segs_for(radius_m: float, *, tol_m: float = SAGITTA_TOL_M) -> int:
    """Segments per quarter circle so that a buffer departs from the true circle by <= ``tol_m``.

    A regular polygon inscribed in a circle of radius ``r`` with ``4 q`` sides lies
    inside the circle, at most ``r (1 - cos(pi / (4 q)))`` (the sagitta) from it; the
    smallest ``q`` (at least 8) meeting ``tol_m`` is returned.

    Parameters
    ----------
    radius_m : float
        Buffer radius, metres (>= 0).
    tol_m : float, default SAGITTA_TOL_M
        Largest allowed gap to the true circle, metres (> 0).

    Examples
    --------
    >>> quad_segs_for(500.0)
    278
    """
    r = check_number(radius_m, "radius_m", ge=0)
    tol = check_number(tol_m, "tol_m", gt=0)
    if r <= tol:
        return 8
    return max(8, math.ceil(math.pi / (4 * math.acos(1 - tol / r))))


def coverage_share(
    parcels: gpd.GeoDataFrame,
    features: gpd.GeoDataFrame,
    *,
    radius_m: float,
    name: str = "coverage_share",
) -> pd.Series:
    """Share (0..1) of each parcel's area lying within ``radius_m`` of at least one feature.

    Point features (the usual facilities): the exact share inside the union of true circles,
    integrated along the parcel's edges and the circles' arcs without any buffer polygon
    (:func:`landplan.criteria._discs.disc_union_share`; DESIGN.md, "Scale"), rounded to 12
    decimals. Lines and polygons: the service areas are buffers of the features, with the number of segments chosen
    from the radius (:func:`quad_segs_for`) so that the polygonal circle lies inside the
    true one and at most ``SAGITTA_TOL_M`` = 2 mm from it. The share is therefore low by
    at most ``0.002 m x (length of service-area edge crossing the parcel) / parcel area``:
    under 0.001 for a 5 m x 5 m parcel, and under 0.005 for every parcel of at least
    25 m2 crossed by less than 62 m of edge (all but sliver-like parcels). Parcels fully
    inside one service area get 1 without any overlay; parcels touched by exactly one get
    a single intersection; the rest
    get the area of their intersection with the union of the service areas that reach
    them, all in vectorised shapely calls.

    Parameters
    ----------
    parcels
        Candidate parcels (polygons) in a projected CRS, in metres.
    features
        Facilities (any geometry) in the same CRS.
    radius_m
        Service radius in metres (finite, > 0).
    name
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        float64 in [0, 1], aligned on ``parcels.index``; 0 for parcels with no area.

    Raises
    ------
    InputError
        If ``radius_m`` is not a finite number > 0, or the layers are unusable.
    """
    radius = check_number(radius_m, "coverage_share: radius_m", gt=0)
    check_inputs(parcels, features, what="coverage_share")
    fg = geoms(features)
    points = shapely.get_parts(fg[~shapely.is_missing(fg)])
    points = points[~shapely.is_empty(points)]
    if len(points) and (shapely.get_type_id(points) == 0).all():
        # point facilities: exact discs, no buffer (DESIGN.md, "Scale")
        share = np.round(disc_union_share(geoms(parcels), shapely.get_coordinates(points), radius), _DIGITS)
    else:
        share = covered_share(geoms(parcels), shapely.buffer(fg, radius, quad_segs=quad_segs_for(radius)))
    return pd.Series(np.clip(share, 0.0, 1.0), index=parcels.index, name=name)


def covered_share(parcel_geoms: np.ndarray, cover_geoms: np.ndarray) -> np.ndarray:
    """Share of each parcel's area covered by the union of ``cover_geoms`` (polygons).

    Vectorised: parcels inside one cover polygon get 1 (``contains``, the covers prepared);
    the others are intersected with the covers that reach them and each parcel's
    pieces are unioned in one ``shapely.union_all(..., axis=1)`` call over a padded table.

    Parameters
    ----------
    parcel_geoms : numpy.ndarray
        Parcel polygons.
    cover_geoms : numpy.ndarray
        Covering polygons, same CRS.
    """
    areas = shapely.area(parcel_geoms)
    share = np.zeros(len(parcel_geoms))
    if len(cover_geoms) == 0 or len(parcel_geoms) == 0:
        return share
    left, right, inside = _touching_pairs(parcel_geoms, cover_geoms)
    full = np.zeros(len(parcel_geoms), dtype=bool)
    full[left[inside]] = True
    share[full] = 1.0

    keep = ~full[left]
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return share
    pieces = _intersections(parcel_geoms[left], cover_geoms[right])
    # group by parcel, pieces in a canonical order (by their bounds, then area) so that the union,
    # and its last bits, do not depend on the order of the input features nor on the tree's
    # (pieces often share their parcel's bounds); exact ties keep the features' order
    b = shapely.bounds(pieces)
    order = np.lexsort((right, shapely.area(pieces), b[:, 3], b[:, 2], b[:, 1], b[:, 0], left))
    left, pieces = left[order], pieces[order]
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


def _touching_pairs(parcel_geoms: np.ndarray, cover_geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parcel, cover) index pairs that intersect, and whether the cover contains the parcel.

    The pairs come in the order of an ``intersects`` tree query. A tree query with a
    predicate prepares each *parcel* and tests it against the covers, whose buffered
    circles have ~1,600 vertices at 1 km: slow. Here the box candidates are filtered with
    the *covers* prepared, 6x faster at 1 km and 100,000 parcels (DESIGN.md, "Scale"). The
    covers are prepared in blocks of ``_PREPARED_BLOCK`` and released after each block, so
    the prepared indexes (about 100 bytes a vertex) never hold all covers at once.

    Parameters
    ----------
    parcel_geoms : numpy.ndarray
        Parcel geometries.
    cover_geoms : numpy.ndarray
        Covering polygons (prepared and released again block by block; their values do not change).
    """
    left, right = shapely.STRtree(cover_geoms).query(parcel_geoms)
    hit = np.zeros(len(left), dtype=bool)
    inside = np.zeros(len(left), dtype=bool)
    order = np.argsort(right, kind="stable")
    bounds = np.searchsorted(right[order], np.arange(0, len(cover_geoms) + _PREPARED_BLOCK, _PREPARED_BLOCK))
    for lo, hi in itertools.pairwise(bounds):  # blocks of covers, vectorised inside
        pairs = order[lo:hi]
        if not len(pairs):
            continue
        covers = cover_geoms[right[pairs]]
        shapely.prepare(covers)
        hit[pairs] = shapely.intersects(covers, parcel_geoms[left[pairs]])
        inside[pairs] = hit[pairs] & shapely.contains(covers, parcel_geoms[left[pairs]])
        shapely.destroy_prepared(covers)
    return left[hit], right[hit], inside[hit]


def _intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``shapely.intersection(a, b)`` in chunks on every core (shapely releases the GIL).

    Parameters
    ----------
    a, b : numpy.ndarray
        Geometries, pairwise; the result is the same as one call, in the same order.
    """
    out = np.empty(len(a), dtype=object)

    def part(start: int, stop: int) -> None:
        out[start:stop] = shapely.intersection(a[start:stop], b[start:stop])

    in_slices(part, len(a))
    return out
