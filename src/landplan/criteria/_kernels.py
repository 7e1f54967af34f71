"""Compiled loops (numba) for the parcel x zone distances of gravity access: GEOS's arithmetic, bit for bit.

Gravity access needs the distance from every parcel to every zone. Through shapely each pair is
one GEOS call (~0.8 us a pair with the candidate runs of ``criteria._frontier``; ~1 us for PostGIS's
``ST_Distance``), and no bound on boxes prunes a curved zone's segments much further. Here one
compiled loop runs over the pairs on every core: for a parcel and a zone that do not touch, the
distance is the smallest ``segmentToSegment`` over their segments, and ``segmentToSegment`` of
two disjoint segments is the smallest of four ``pointToSegment`` values. Both are written with
GEOS's own formulas and operation order (``algorithm/Distance.cpp``, GEOS 3.14), so every value
has the same bits as ``shapely.distance`` (hypothesis tests against it, points, lines, holes
and multipolygons included). Slices of parcels run on one thread a core (the loop releases the
GIL). Zone segments are visited from the one whose start is nearest the
parcel's box centre, and a segment whose box is already farther than the best distance from the
parcel's box is skipped (a box test cannot skip the nearest pair: the box distance is a lower
bound). 200,000 parcels x 10 zones: 0.8 CPU s against 1.8 through shapely (DESIGN.md, "Scale").

The loops are compiled once per machine (``cache=True``: a few seconds the first time, then read
from ``__pycache__`` in 1-2 s), so gravity uses them only where they pay for that
(``criteria.access.use_compiled``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from landplan.criteria._common import in_slices

__all__ = ["LOADED", "pair_distances", "warm_up"]

#: set once the loop has run in this process (``criteria.access`` then uses it for smaller studies)
LOADED = False


@njit(cache=True, inline="always")
def _point_to_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:  # noqa: PLR0917
    """GEOS ``Distance::pointToSegment``, the same operations in the same order."""
    if ax == bx and ay == by:
        return math.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) * (bx - ax) + (by - ay) * (by - ay))
    if r <= 0.0:
        return math.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    if r >= 1.0:
        return math.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / ((bx - ax) * (bx - ax) + (by - ay) * (by - ay))
    return abs(s) * math.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay))


@njit(cache=True, inline="always")
def _segment_to_segment(  # noqa: PLR0917 - the coordinates of two segments
    ax: float, ay: float, bx: float, by: float, cx: float, cy: float, dx: float, dy: float
) -> float:  # pragma: no cover
    """GEOS ``Distance::segmentToSegment`` for segments that do not intersect."""
    if ax == bx and ay == by:
        return _point_to_segment(ax, ay, cx, cy, dx, dy)
    if cx == dx and cy == dy:
        return _point_to_segment(dx, dy, ax, ay, bx, by)
    one = min(_point_to_segment(ax, ay, cx, cy, dx, dy), _point_to_segment(bx, by, cx, cy, dx, dy))
    return min(one, _point_to_segment(cx, cy, ax, ay, bx, by), _point_to_segment(dx, dy, ax, ay, bx, by))


@njit(cache=True, nogil=True)
def _pairs(  # noqa: PLR0917 - flat arrays for the compiled loop
    pa: np.ndarray,
    pb: np.ndarray,
    pstart: np.ndarray,
    pbox: np.ndarray,
    za: np.ndarray,
    zb: np.ndarray,
    zstart: np.ndarray,
    touching: np.ndarray,
    out: np.ndarray,
    rows: tuple[int, int],
) -> None:  # pragma: no cover
    """``out[i, z]``: distance from parcel ``i`` to zone ``z`` (0 where they touch), for ``rows[0] <= i < rows[1]``."""
    for i in range(rows[0], rows[1]):
        x0, y0, x1, y1 = pbox[i, 0], pbox[i, 1], pbox[i, 2], pbox[i, 3]
        mx, my = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
        for z in range(out.shape[1]):
            if touching[i, z]:
                out[i, z] = 0.0
                continue
            s0, n = zstart[z], zstart[z + 1] - zstart[z]
            first, near = 0, np.inf
            for j in range(n):
                q = (za[s0 + j, 0] - mx) * (za[s0 + j, 0] - mx) + (za[s0 + j, 1] - my) * (za[s0 + j, 1] - my)
                if q < near:
                    near, first = q, j
            best = np.inf
            for jj in range(n):
                s = s0 + (first + jj) % n
                cx, cy, dx, dy = za[s, 0], za[s, 1], zb[s, 0], zb[s, 1]
                gx = max(0.0, min(cx, dx) - x1, x0 - max(cx, dx))
                gy = max(0.0, min(cy, dy) - y1, y0 - max(cy, dy))
                if gx * gx + gy * gy > best * best:
                    continue
                for e in range(pstart[i], pstart[i + 1]):
                    d = _segment_to_segment(pa[e, 0], pa[e, 1], pb[e, 0], pb[e, 1], cx, cy, dx, dy)
                    best = min(best, d)
            out[i, z] = best


def _flat(a: np.ndarray, b: np.ndarray, owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segment ends as contiguous arrays and each owner's first segment (owners grouped, in order).

    Parameters
    ----------
    a, b : numpy.ndarray
        (m, 2) segment ends.
    owner : numpy.ndarray
        Owner of each segment, non-decreasing.
    n : int
        Number of owners.
    """
    start = np.searchsorted(owner, np.arange(n + 1)).astype("int64")
    return np.ascontiguousarray(a, dtype="float64"), np.ascontiguousarray(b, dtype="float64"), start


def pair_distances(
    parcel_parts: tuple[np.ndarray, np.ndarray, np.ndarray],
    parcel_bounds: np.ndarray,
    zone_parts: tuple[np.ndarray, np.ndarray, np.ndarray],
    touching: np.ndarray,
) -> np.ndarray:
    """Distance from every parcel to every zone, with GEOS's bits (0 where ``touching``).

    Parameters
    ----------
    parcel_parts : tuple of numpy.ndarray
        The parcels' frontier elements: (m, 2) first ends, (m, 2) last ends (the same for a
        point) and the parcel of each, grouped by parcel.
    parcel_bounds : numpy.ndarray
        (n, 4) each parcel's bounds.
    zone_parts : tuple of numpy.ndarray
        The zones' frontier elements, the same way (each zone's in its rings' order).
    touching : numpy.ndarray
        (n, zones) bool: the parcel intersects the zone.

    Returns
    -------
    numpy.ndarray
        (n, zones) float64 distances.
    """
    n, nz = touching.shape
    pa, pb, pstart = _flat(*parcel_parts[:2], parcel_parts[2], n)
    za, zb, zstart = _flat(*zone_parts[:2], zone_parts[2], nz)
    out = np.empty((n, nz))
    bounds, touching = np.ascontiguousarray(parcel_bounds), np.ascontiguousarray(touching)

    def part(start: int, stop: int) -> None:
        _pairs(pa, pb, pstart, bounds, za, zb, zstart, touching, out, (start, stop))

    # the loop releases the GIL (``nogil``): parcel slices on one thread a core, each writing its
    # own rows (numba's own thread pool is not safe when several threads call it, e.g. dask's)
    in_slices(part, n, parts_per_core=4)
    global LOADED  # noqa: PLW0603 - the process-wide fact that the loop is loaded
    LOADED = True
    return out


def warm_up() -> None:
    """Compile the loops now (or load them from the cache): a few seconds the first time on a machine.

    Benchmarks call it before timing so that they measure the loops, and report its time apart.
    """
    one = np.zeros((1, 2))
    pair_distances(
        (one, one + 1.0, np.zeros(1, dtype="int64")),
        np.array([[0.0, 0.0, 1.0, 1.0]]),
        (one + 5.0, one + 6.0, np.zeros(1, dtype="int64")),
        np.zeros((1, 1), dtype=bool),
    )
