"""Exact share of a polygon inside a union of equal discs, vectorised in numpy (no buffers).

Coverage by point facilities is the share of a parcel within ``r`` of at least one point:
the parcel intersected with a union of discs. Buffering each point into a polygon of ~1,600
vertices and intersecting it with the parcel costs ~40 us a pair in GEOS and is low by up to
the sagitta; here the area is integrated along the boundary of ``parcel n union`` (Green's
theorem, ``A = 1/2 closed-integral (x dy - y dx)``), which is made of

- the parts of the parcel's edges inside at least one disc (straight pieces:
  ``1/2 (x1 y2 - x2 y1)`` each), and
- the arcs of each circle inside the parcel and outside every other disc (``1/2 (r cx
  (sin t2 - sin t1) - r cy (cos t2 - cos t1) + r^2 (t2 - t1))`` each).

Edges are cut where they cross a circle, circles where they cross an edge or another circle;
a piece is kept by testing its midpoint. Every step is a numpy array operation over (parcel,
disc, edge) rows, parcels in blocks for bounded memory. Coordinates are taken relative to each
parcel's lower-left corner so that the sums keep full precision. Parcels inside one disc (all
vertices within ``r``: a disc is convex) get 1 without any of this. DESIGN.md, "Scale".
"""

from __future__ import annotations

import numpy as np

import shapely

from landplan.criteria._common import in_slices

__all__ = ["disc_union_share"]

_BLOCK = 10_000  # parcels per block (bounded memory; blocks run on every core)
_T_TOL = 1e-12  # along an edge: crossings this close outside an end are at the end
_LONELY = 0.1 - np.pi  # where a circle without breakpoints starts (any angle; not on an axis)


def disc_union_share(parcel_geoms: np.ndarray, centres: np.ndarray, radius_m: float) -> np.ndarray:
    """Share (0..1) of each parcel's area within ``radius_m`` of at least one centre, exact.

    Parameters
    ----------
    parcel_geoms : numpy.ndarray
        Parcel geometries; polygons and multipolygons are measured, others get 0.
    centres : numpy.ndarray
        (k, 2) float coordinates of the disc centres, same CRS (metres).
    radius_m : float
        The discs' radius, metres (> 0).

    Returns
    -------
    numpy.ndarray
        float64 per parcel, in [0, 1]; 0 for parcels without area.
    """
    share = np.zeros(len(parcel_geoms))
    if not len(parcel_geoms) or not len(centres):
        return share
    centres = np.unique(np.asarray(centres, dtype="float64"), axis=0)  # canonical order, no duplicates
    r = float(radius_m)
    # candidate discs: the disc's box meets the parcel's box (a disc that does not reach the
    # parcel adds no piece, so no exact test is needed; the parcels' own boxes are GEOS's cached
    # envelopes, cheaper than a ``dwithin`` query or boxes made per parcel)
    tree = shapely.STRtree(shapely.box(centres[:, 0] - r, centres[:, 1] - r, centres[:, 0] + r, centres[:, 1] + r))

    def block(start: int, stop: int) -> None:
        share[start:stop] = _block_share(parcel_geoms[start:stop], tree, centres, r)

    # blocks of parcels on every core (numpy and GEOS release the GIL; each block writes its own slice)
    in_slices(block, len(parcel_geoms), step=_BLOCK)
    return share


def _edges(block: np.ndarray) -> dict[str, np.ndarray]:
    """Every ring edge of the block's polygons, in coordinates local to its parcel's lower-left corner.

    Parameters
    ----------
    block : numpy.ndarray
        Parcel geometries.
    """
    origin = np.nan_to_num(shapely.bounds(block)[:, :2])
    kind = shapely.get_type_id(block)
    # single polygons without holes (most parcels): one ring, read without making ring objects
    simple = np.flatnonzero((kind == 3) & (shapely.get_num_interior_rings(block) == 0))
    s_coords, s_at = shapely.get_coordinates(block[simple], return_index=True)
    s_same = s_at[:-1] == s_at[1:]
    # the rest: parts, then rings (the first ring of a part is its exterior)
    other = np.flatnonzero(np.isin(kind, (3, 6)))
    other = other[~np.isin(other, simple)]
    if not len(other):  # only simple polygons (most blocks): their edges are grouped by parcel already
        a, b = s_coords[:-1][s_same], s_coords[1:][s_same]
        e_ring = s_at[:-1][s_same]
        return _oriented(
            a, b, e_ring=e_ring, parcel=simple[e_ring], exterior=np.ones(len(simple), dtype=bool), origin=origin
        )
    parts, part_parcel = shapely.get_parts(block[other], return_index=True)
    poly = shapely.get_type_id(parts) == 3
    parts, part_parcel = parts[poly], other[part_parcel[poly]]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = np.arange(len(rings)) == np.searchsorted(ring_part, ring_part, side="left")
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[:-1] == ring[1:]
    # every edge with its ring number (simple parcels' rings first) and parcel, grouped by parcel
    e_ring = np.concatenate([s_at[:-1][s_same], len(simple) + ring[:-1][same]])
    exterior = np.concatenate([np.ones(len(simple), dtype=bool), exterior])
    ring_parcel = np.concatenate([simple, part_parcel[ring_part]])
    a = np.concatenate([s_coords[:-1][s_same], coords[:-1][same]])
    b = np.concatenate([s_coords[1:][s_same], coords[1:][same]])
    order = np.argsort(ring_parcel[e_ring], kind="stable")
    e_ring, a, b = e_ring[order], a[order], b[order]
    return _oriented(a, b, e_ring=e_ring, parcel=ring_parcel[e_ring], exterior=exterior, origin=origin)


def _oriented(
    a: np.ndarray, b: np.ndarray, *, e_ring: np.ndarray, parcel: np.ndarray, exterior: np.ndarray, origin: np.ndarray
) -> dict[str, np.ndarray]:
    """Edges in their parcel's local coordinates, each with the sign that orients its ring.

    Parameters
    ----------
    a, b : numpy.ndarray
        (m, 2) edge ends, grouped by parcel.
    e_ring, parcel : numpy.ndarray
        Ring and parcel of each edge.
    exterior : numpy.ndarray
        Per ring: an exterior (else a hole).
    origin : numpy.ndarray
        (parcels, 2) each parcel's lower-left corner.
    """
    a = a - origin[parcel]
    b = b - origin[parcel]
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    ring_area = np.bincount(e_ring, weights=cross, minlength=len(exterior))
    # orient every ring so that exteriors add and holes subtract, whatever their stored direction
    sign = np.where(exterior, np.sign(ring_area), -np.sign(ring_area))[e_ring]
    return {"a": a, "b": b, "parcel": parcel, "sign": sign, "cross": cross, "origin": origin}


def _expand(group_of_row: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows x members of their group: (row index, member index) for every combination.

    Parameters
    ----------
    group_of_row : numpy.ndarray
        The group of each row.
    starts, counts : numpy.ndarray
        Per group, the first member and the number of members (members stored contiguously).
    """
    n = counts[group_of_row]
    row = np.repeat(np.arange(len(group_of_row)), n)
    first = np.repeat(np.cumsum(n) - n, n)
    member = np.repeat(starts[group_of_row], n) + np.arange(len(row)) - first
    return row, member


def _block_share(block: np.ndarray, tree: shapely.STRtree, centres: np.ndarray, r: float) -> np.ndarray:
    """Exact covered share for one block of parcels (see :func:`disc_union_share`).

    Parameters
    ----------
    block : numpy.ndarray
        Parcel geometries.
    tree : shapely.STRtree
        Of the discs' bounding boxes.
    centres : numpy.ndarray
        (k, 2) centre coordinates, in the tree's order.
    r : float
        Radius, metres.
    """
    nb = len(block)
    e = _edges(block)
    area = 0.5 * np.bincount(e["parcel"], weights=e["sign"] * e["cross"], minlength=nb)
    share = np.zeros(nb)
    pl, disc = tree.query(block)
    order = np.lexsort((disc, pl))
    pl, disc = pl[order], disc[order]
    c = centres[disc] - e["origin"][pl]
    r2 = r * r
    estart = np.searchsorted(e["parcel"], np.arange(nb))
    ecount = np.bincount(e["parcel"], minlength=nb)
    # a parcel inside one disc (every vertex within r) is covered whole; only a parcel whose box
    # lies inside the disc's box can be (tested first: a few comparisons a pair)
    size = shapely.bounds(block)[:, 2:] - e["origin"]
    boxed = np.flatnonzero(((c - r <= 0) & (c + r >= size[pl])).all(axis=1) & (ecount[pl] > 0))
    row, edge = _expand(pl[boxed], estart, ecount)
    f = e["a"][edge] - c[boxed][row]
    outside = np.bincount(row, weights=(f * f).sum(axis=1) > r2, minlength=len(boxed))
    full = np.zeros(nb, dtype=bool)
    full[pl[boxed][outside == 0]] = True
    share[full] = 1.0
    keep = ~full[pl]
    pl, disc, c = pl[keep], disc[keep], c[keep]
    if not len(pl):
        return share
    pstart = np.searchsorted(pl, np.arange(nb))
    pcount = np.bincount(pl, minlength=nb)
    row, edge = _expand(pl, estart, ecount)
    crossings = _crossings(e["a"][edge], e["b"][edge], c[row], r2)
    covered = _edge_pieces(e, edge=edge, crossings=crossings, pl=pl, c=c, pstart=pstart, pcount=pcount, r2=r2)
    covered += _arcs(
        block, origin=e["origin"], pl=pl, c=c, row=row, crossings=crossings, pstart=pstart, pcount=pcount, r=r
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(area > 0, covered / area, 0.0)
    partial = (pcount > 0) & ~full
    share[partial] = np.clip(part[partial], 0.0, 1.0)
    return share


def _crossings(a: np.ndarray, b: np.ndarray, c: np.ndarray, r2: float) -> dict[str, np.ndarray]:
    """Where each (edge, circle) row's segment crosses or touches the circle, ends included.

    Parameters
    ----------
    a, b : numpy.ndarray
        (m, 2) segment ends.
    c : numpy.ndarray
        (m, 2) circle centres.
    r2 : float
        Squared radius.

    Returns
    -------
    dict
        ``row`` (of the input), ``t`` (0 <= t <= 1 along the segment) and ``point`` (m', 2).
    """
    d, f = b - a, a - c
    qa = (d * d).sum(axis=1)
    qb = 2.0 * (f * d).sum(axis=1)
    qc = (f * f).sum(axis=1) - r2
    disc = qb * qb - 4.0 * qa * qc
    ok = (disc >= 0) & (qa > 0)  # a tangent point is a breakpoint too
    with np.errstate(divide="ignore", invalid="ignore"):
        q = -0.5 * (qb + np.copysign(np.sqrt(np.where(ok, disc, 0.0)), qb))
        t1, t2 = q / qa, qc / q  # the stable pair of roots
    rows = np.concatenate([np.flatnonzero(ok), np.flatnonzero(ok)])
    t = np.concatenate([t1[ok], t2[ok]])
    # ends count (a vertex on the circle cuts the circle there); a hair of tolerance so that a
    # vertex on the circle is not lost to rounding
    inner = (t >= -_T_TOL) & (t <= 1 + _T_TOL)
    rows, t = rows[inner], np.clip(t[inner], 0.0, 1.0)
    return {"row": rows, "t": t, "point": a[rows] + t[:, None] * d[rows]}


def _edge_pieces(
    e: dict[str, np.ndarray],
    *,
    edge: np.ndarray,
    crossings: dict[str, np.ndarray],
    pl: np.ndarray,
    c: np.ndarray,
    pstart: np.ndarray,
    pcount: np.ndarray,
    r2: float,
) -> np.ndarray:
    """Green's-theorem sum over the parts of the parcels' edges inside at least one disc.

    Parameters
    ----------
    e : dict
        From :func:`_edges`.
    edge : numpy.ndarray
        The edge of each (pair, edge) row.
    crossings : dict
        From :func:`_crossings` on those rows.
    pl, c : numpy.ndarray
        Parcel and local centre of each (parcel, disc) pair, grouped by parcel.
    pstart, pcount : numpy.ndarray
        Per parcel, its first pair and number of pairs.
    r2 : float
        Squared radius.
    """
    nb = len(pstart)
    edges = np.flatnonzero(pcount[e["parcel"]] > 0)
    cut_edge = edge[crossings["row"]]
    ids = np.concatenate([edges, edges, cut_edge])
    t = np.concatenate([np.zeros(len(edges)), np.ones(len(edges)), crossings["t"]])
    a, b = e["a"], e["b"]
    pts = np.concatenate([a[edges], b[edges], crossings["point"]])
    order = np.lexsort((t, ids))
    ids, pts = ids[order], pts[order]
    nxt = np.flatnonzero(ids[:-1] == ids[1:])
    p, q, piece_edge = pts[nxt], pts[nxt + 1], ids[nxt]
    mid = 0.5 * (p + q)
    parcel = e["parcel"][piece_edge]
    row, member = _expand(parcel, pstart, pcount)
    g = mid[row] - c[member]
    # strictly inside: a piece that only touches a circle (tangent) is outside it
    inside = np.bincount(row, weights=(g * g).sum(axis=1) < r2, minlength=len(mid)) > 0
    contrib = 0.5 * e["sign"][piece_edge] * (p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0])
    return np.bincount(parcel[inside], weights=contrib[inside], minlength=nb).astype("float64")


def _arcs(
    block: np.ndarray,
    *,
    origin: np.ndarray,
    pl: np.ndarray,
    c: np.ndarray,
    row: np.ndarray,
    crossings: dict[str, np.ndarray],
    pstart: np.ndarray,
    pcount: np.ndarray,
    r: float,
) -> np.ndarray:
    """Green's-theorem sum over the circles' arcs inside the parcel and outside every other disc.

    Parameters
    ----------
    block, origin : numpy.ndarray
        Parcel geometries and their local origins.
    pl, c : numpy.ndarray
        Parcel and local centre of each (parcel, disc) pair, grouped by parcel.
    row : numpy.ndarray
        The pair of each (pair, edge) row.
    crossings : dict
        Edge-circle crossings of those rows.
    pstart, pcount : numpy.ndarray
        Per parcel, its first pair and number of pairs.
    r : float
        Radius, metres.
    """
    nb = len(pstart)
    cut_pair = row[crossings["row"]]
    rel = crossings["point"] - c[cut_pair]
    pair_ids, angles = [cut_pair], [np.arctan2(rel[:, 1], rel[:, 0])]
    # where two circles of the same parcel cross
    one, other = _expand(pl, pstart, pcount)
    dv = c[other] - c[one]
    d2 = (dv * dv).sum(axis=1)
    meet = (d2 > 0) & (d2 < 4 * r * r)
    one, dv, d2 = one[meet], dv[meet], d2[meet]
    h = np.sqrt(r * r - d2 / 4) / np.sqrt(d2)
    for s in (1.0, -1.0):
        x = 0.5 * dv[:, 0] - s * h * dv[:, 1]
        y = 0.5 * dv[:, 1] + s * h * dv[:, 0]
        pair_ids.append(one)
        angles.append(np.arctan2(y, x))
    # a circle with no breakpoint is one arc all round
    lonely = np.setdiff1d(np.arange(len(pl)), np.concatenate(pair_ids))
    pair_ids.append(lonely)
    angles.append(np.full(len(lonely), _LONELY))
    ids, theta = np.concatenate(pair_ids), np.concatenate(angles)
    order = np.lexsort((theta, ids))
    ids, theta = ids[order], theta[order]
    last = np.r_[ids[:-1] != ids[1:], True]
    first_of = np.searchsorted(ids, ids, side="left")
    t1 = theta
    t2 = np.where(last, theta[first_of] + 2 * np.pi, np.r_[theta[1:], 0.0])
    tm = 0.5 * (t1 + t2)
    cx, cy = c[ids, 0], c[ids, 1]
    mx, my = cx + r * np.cos(tm), cy + r * np.sin(tm)
    parcel = pl[ids]
    geoms = block[parcel]
    inside = shapely.contains_xy(geoms, mx + origin[parcel, 0], my + origin[parcel, 1])
    a_row, member = _expand(parcel, pstart, pcount)
    g = np.column_stack([mx, my])[a_row] - c[member]
    in_other = (member != ids[a_row]) & ((g * g).sum(axis=1) < r * r)
    inside &= np.bincount(a_row, weights=in_other, minlength=len(ids)) == 0
    contrib = 0.5 * (r * cx * (np.sin(t2) - np.sin(t1)) - r * cy * (np.cos(t2) - np.cos(t1)) + r * r * (t2 - t1))
    return np.bincount(parcel[inside], weights=contrib[inside], minlength=nb).astype("float64")
