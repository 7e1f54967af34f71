"""Where inside a parcel a reserved piece lies: a strip of the reserved area on the side facing its zone.

Area-based allocation reserves an *area* of a parcel. For maps and GeoPackages the piece is drawn as
the part of the parcel beyond a straight cut perpendicular to the direction from the parcel to its
zone, placed (by bisection, vectorised over all pieces) so that the part has the reserved area. A
parcel with several pieces is cut piece after piece (in the order of the allocation table), each
from what the earlier cuts left. The cut is a drawing aid, not a subdivision plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

import shapely

if TYPE_CHECKING:
    import pandas as pd

    import geopandas as gpd

__all__ = ["piece_geometries"]

_ITERATIONS = 48  # bisection steps: the cut position is found to (extent / 2**48), far below a millimetre


def piece_geometries(pieces: pd.DataFrame, parcels: gpd.GeoSeries, zones: gpd.GeoSeries) -> np.ndarray:
    """The geometry of each reserved piece (the whole parcel where the whole parcel is reserved).

    Parameters
    ----------
    pieces : pandas.DataFrame
        The allocation's parcel table (index: parcel id) with ``zone``, ``area_ha`` and ``reserved_ha``.
    parcels : geopandas.GeoSeries
        Parcel geometries by parcel id (projected CRS, metres).
    zones : geopandas.GeoSeries
        Zone geometries by zone id.

    Returns
    -------
    numpy.ndarray
        One shapely geometry per row of ``pieces``, in its order.
    """
    geom = np.asarray(parcels.reindex(pieces.index).array, dtype=object)
    out = geom.copy()
    if "reserved_ha" not in pieces or not len(pieces):
        return out
    target = pieces["reserved_ha"].to_numpy(dtype="float64") * 10_000.0
    part = target < pieces["area_ha"].to_numpy(dtype="float64") * 10_000.0 - 1e-6
    if not part.any():
        return out
    zone_geom = np.asarray(zones.reindex(pieces["zone"]).array, dtype=object)
    rank = pieces.groupby(level=0, sort=False).cumcount().to_numpy()
    codes, uniques = pieces.index.factorize()
    left = np.empty(len(uniques), dtype=object)  # what earlier cuts left, per parcel
    left[codes] = geom
    for r in range(int(rank.max()) + 1):  # loop over the piece rank within a parcel (a handful), not parcels
        now = np.flatnonzero(rank == r)  # at most one piece per parcel
        rest = left[codes[now]]
        cut = rest.copy()
        sel = part[now]
        if sel.any():
            cut[sel] = _cut(rest[sel], zone_geom[now][sel], target[now][sel])
        out[now] = cut
        left[codes[now]] = shapely.difference(rest, cut)
    return out


def _cut(geom: np.ndarray, toward: np.ndarray, area_m2: np.ndarray) -> np.ndarray:
    """The part of each ``geom`` beyond a cut perpendicular to the direction to ``toward``, of ``area_m2``."""
    centre = shapely.centroid(geom)
    c = shapely.get_coordinates(centre)
    near = shapely.get_coordinates(shapely.shortest_line(centre, toward))[1::2]  # the zone's point nearest the centre
    d = near - c
    norm = np.hypot(d[:, 0], d[:, 1])
    d = np.where(norm[:, None] > 0, d / np.where(norm > 0, norm, 1.0)[:, None], np.array([1.0, 0.0]))
    xmin, ymin, xmax, ymax = shapely.bounds(geom).T
    half = np.hypot(xmax - xmin, ymax - ymin) + 1.0
    # positions along d: the strip {p : (p - c) . d >= t} for t in [-half, half]
    lo, hi = np.full(len(geom), -half), np.full(len(geom), half)
    for _ in range(_ITERATIONS):  # bisection steps, vectorised over every piece
        mid = (lo + hi) / 2
        a = shapely.area(shapely.intersection(geom, _half_plane(c, d, mid, half)))
        too_big = a > area_m2
        lo = np.where(too_big, mid, lo)
        hi = np.where(too_big, hi, mid)
    return shapely.intersection(geom, _half_plane(c, d, hi, half))


def _half_plane(c: np.ndarray, d: np.ndarray, t: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Rectangles covering ``{p : (p - c) . d >= t}`` within ``half`` of ``c`` (a half-plane, clipped)."""
    n = np.column_stack([-d[:, 1], d[:, 0]])
    base = c + d * t[:, None]
    far = c + d * (2 * half)[:, None]
    w = (2 * half)[:, None] * n
    ring = np.stack([base - w, base + w, far + w, far - w], axis=1)
    return shapely.polygons(ring)
