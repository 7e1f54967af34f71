"""Isochrones: the area from which a place is reached within a travel time, from the edges reached.

For a place (an industrial zone) one Dijkstra on the reversed graph gives every node's travel
time *to* the place. A road piece ``u-v`` (the road edges split where features join) is
reached from its ``u`` end up to the fraction ``(T - t_u) / c_vu`` of its length and from its
``v`` end from ``1 - (T - t_v) / c_uv`` (``c`` the piece's travel time in the direction of
travel), so partly reached pieces count only in part.
The reached pieces, buffered by ``buffer_m`` (the land a road serves; default 200 m) and
merged, are the isochrone polygon of ``T``: where a worker can live and reach the zone within
``T`` minutes along the roads. The buffer and merge run on a ``cell_m`` grid (default 50 m: the
pieces sampled every half cell, the cells dilated by a disc of ``buffer_m`` and outlined with
rasterio), 40 times faster than buffering thousands of vector pieces (3.7 s per polygon on the
demo) and accurate to a cell.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_dilation
from scipy.sparse.csgraph import dijkstra

import shapely
from rasterio.features import shapes
from rasterio.transform import Affine

from landplan.network.travel import TravelGraph

__all__ = ["isochrones", "reach_polygon", "reached_pieces"]


def reach_polygon(pieces: np.ndarray, *, buffer_m: float, cell_m: float = 50.0) -> shapely.Geometry:
    """The land within ``buffer_m`` of line pieces, on a ``cell_m`` grid (a (multi)polygon).

    Parameters
    ----------
    pieces : numpy.ndarray
        Two-point shapely LineStrings (see :func:`reached_pieces`).
    buffer_m : float
        Distance served on each side, metres.
    cell_m : float, default 50
        Grid cell, metres.

    Returns
    -------
    shapely.Geometry
        The merged area (empty when there are no pieces).
    """
    if not len(pieces):
        return shapely.Polygon()
    n = np.ceil(shapely.length(pieces) / (cell_m / 2)).astype(int) + 1
    owner = np.repeat(np.arange(len(pieces)), n)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(n) - n, n)
    ends = shapely.get_coordinates(pieces).reshape(-1, 2, 2)  # two-point pieces: (start, end)
    frac = (step / np.maximum(n[owner] - 1, 1))[:, None]
    xy = ends[owner, 0] + frac * (ends[owner, 1] - ends[owner, 0])
    pad = buffer_m + 2 * cell_m
    x0, y1 = xy[:, 0].min() - pad, xy[:, 1].max() + pad
    cols = ((xy[:, 0] - x0) // cell_m).astype(int)
    rows = ((y1 - xy[:, 1]) // cell_m).astype(int)
    grid = np.zeros((rows.max() + int(pad // cell_m) + 2, cols.max() + int(pad // cell_m) + 2), dtype=bool)
    grid[rows, cols] = True
    r = int(np.ceil(buffer_m / cell_m))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    grid = binary_dilation(grid, structure=(xx**2 + yy**2) * cell_m**2 <= buffer_m**2)
    transform = Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1)
    polys = [shapely.geometry.shape(g) for g, _ in shapes(grid.astype(np.uint8), mask=grid, transform=transform)]
    return shapely.union_all(polys)


def reached_pieces(graph: TravelGraph, node_time_s: np.ndarray, *, minutes: float) -> np.ndarray:
    """The road pieces (two-point LineStrings) from which the place is reached within ``minutes``.

    Parameters
    ----------
    graph : TravelGraph
        The study's graph.
    node_time_s : numpy.ndarray
        Travel time from every node to the place, seconds (``inf`` where unreachable).
    minutes : float
        The travel time.

    Returns
    -------
    numpy.ndarray
        Shapely LineStrings: the whole or partial edges reached.
    """
    limit = minutes * 60.0
    tu, tv = node_time_s[graph.piece_u], node_time_s[graph.piece_v]
    with np.errstate(invalid="ignore", divide="ignore"):
        from_u = np.clip((limit - tu) / graph.piece_backward_s, 0.0, 1.0)  # travel v -> u, then on from u
        from_v = np.clip((limit - tv) / graph.piece_forward_s, 0.0, 1.0)  # travel u -> v, then on from v
    from_u = np.where(np.isfinite(tu) & (tu <= limit), np.nan_to_num(from_u, nan=1.0), 0.0)
    from_v = np.where(np.isfinite(tv) & (tv <= limit), np.nan_to_num(from_v, nan=1.0), 0.0)
    a, b = graph.node_xy[graph.piece_u], graph.node_xy[graph.piece_v]
    whole = from_u + from_v >= 1.0
    pieces = [shapely.linestrings(np.stack([a[whole], b[whole]], axis=1))]
    part_u = ~whole & (from_u > 0)
    end = a[part_u] + from_u[part_u, None] * (b[part_u] - a[part_u])
    pieces.append(shapely.linestrings(np.stack([a[part_u], end], axis=1)))
    part_v = ~whole & (from_v > 0)
    start = b[part_v] + from_v[part_v, None] * (a[part_v] - b[part_v])
    pieces.append(shapely.linestrings(np.stack([start, b[part_v]], axis=1)))
    return np.concatenate(pieces)


def isochrones(
    graph: TravelGraph,
    layer: str,
    *,
    minutes: tuple[float, ...] = (15.0, 30.0, 45.0),
    buffer_m: float = 200.0,
    simplify_m: float = 25.0,
) -> tuple[list[object], list[float], list[shapely.Geometry]]:
    """Isochrone polygons of every feature of ``layer`` (travel *to* the feature).

    Parameters
    ----------
    graph : TravelGraph
        The study's graph (``layer`` joined to it).
    layer : str
        The joined layer (e.g. ``zones``).
    minutes : tuple of float, default (15, 30, 45)
        The travel times.
    buffer_m : float, default 200
        Land served on each side of a reached road piece, metres.
    simplify_m : float, default 25
        Simplification tolerance of the polygons, metres.

    Returns
    -------
    tuple of lists
        ``(feature id, minutes, polygon)`` rows, by feature then minutes; features off the network
        are left out.
    """
    places = graph.places[layer]
    ids, mins, polys = [], [], []
    rev = graph.matrix("time", reverse=True)
    for k in np.flatnonzero(places.snapped):  # one Dijkstra per feature (a few zones)
        t = dijkstra(rev, indices=int(places.in_node[k]), limit=max(minutes) * 60.0)
        for m in sorted(minutes):
            pieces = reached_pieces(graph, t, minutes=m)
            if not len(pieces):
                continue
            shape = reach_polygon(pieces, buffer_m=buffer_m)
            ids.append(places.index[int(k)])
            mins.append(float(m))
            polys.append(shapely.simplify(shape, simplify_m))
    return ids, mins, polys
