"""Features on the road graph, and shortest paths from them (scipy.sparse.csgraph Dijkstra).

Snapping: each feature joins the network at the nearest point of the nearest road the mode
may use (the nearest *point*, not the nearest node): that road edge is split there, virtually,
so the feature reaches both of its ends with the fractional cost of each piece. The leg from
the feature to the road (its distance to the road) is walked at ``off_speed_kmh``. Polygon
layers named in ``footprint`` (industrial zones) also join wherever a road crosses their
outline (their gates; a parcel's frontage), with no off-network leg: a parcel that touches a road
reaches it anywhere along its frontage, and the ends of the frontage are where paths leave it.

Every feature gets two virtual nodes: an *out* node with edges to its joins and an *in* node
with edges from them, so no path passes through a feature (a zone is not a shortcut).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

import geopandas as gpd
import shapely

from landplan.network.graph import RoadGraph

__all__ = ["Places", "TravelGraph", "travel_graph"]

#: the largest dense block of Dijkstra rows kept in memory at once (float64 cells)
_BLOCK_CELLS = 20_000_000


@dataclass(frozen=True)
class Places:
    """Where the features of one layer join the graph.

    Attributes
    ----------
    index : pandas.Index
        The layer's index.
    out_node, in_node : numpy.ndarray
        Virtual node of each feature for leaving and for arriving (-1 where it did not snap).
    snap_m : numpy.ndarray
        Distance from the feature to the road it joins, metres (NaN where it did not snap).
    """

    index: pd.Index
    out_node: np.ndarray
    in_node: np.ndarray
    snap_m: np.ndarray

    @property
    def snapped(self) -> np.ndarray:
        """True for features on the network."""
        return self.out_node >= 0

    def positions(self, ids: pd.Index) -> np.ndarray:
        """Positions of ``ids`` in :attr:`index` (every id must be a feature of the layer).

        Parameters
        ----------
        ids : pandas.Index
            Feature ids (e.g. a criterion's selection).
        """
        pos = self.index.get_indexer(ids)
        if (pos < 0).any():  # pragma: no cover - selections come from the same layer
            msg = "ids that are not features of this layer"
            raise KeyError(msg)
        return pos


@dataclass(frozen=True)
class TravelGraph:
    """The road graph with the features joined, as sparse matrices per metric.

    Attributes
    ----------
    road : RoadGraph
        The road graph before the features joined.
    node_xy : numpy.ndarray
        Coordinates of every node (virtual feature nodes at their join point).
    time_s, distance_m : scipy.sparse.csr_array
        Directed edge costs: seconds and metres (only directions the mode may travel).
    places : Mapping[str, Places]
        Where each layer's features join.
    piece_u, piece_v, piece_forward_s, piece_backward_s : numpy.ndarray
        The road edges after splitting at the joins: end nodes and travel time each way.
    """

    road: RoadGraph
    node_xy: np.ndarray
    time_s: csr_array
    distance_m: csr_array
    places: Mapping[str, Places]
    piece_u: np.ndarray
    piece_v: np.ndarray
    piece_forward_s: np.ndarray
    piece_backward_s: np.ndarray
    _reverse: dict[str, csr_array] = field(default_factory=dict, repr=False, compare=False)
    _within: dict[tuple[str, float, bytes], tuple[np.ndarray, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def matrix(self, metric: str, *, reverse: bool = False) -> csr_array:
        """The cost matrix of a metric (``time`` or ``distance``), optionally transposed.

        Parameters
        ----------
        metric : {'time', 'distance'}
            Seconds or metres.
        reverse : bool, default False
            The transposed graph (paths *to* the sources instead of *from* them).
        """
        m = self.time_s if metric == "time" else self.distance_m
        if not reverse:
            return m
        if metric not in self._reverse:  # computed once per graph
            self._reverse[metric] = csr_array(m.T)
        return self._reverse[metric]

    def nearest(self, origins: np.ndarray, targets: np.ndarray, *, metric: str) -> np.ndarray:
        """Cost from each origin (out node) to its nearest target (in node); ``inf`` if none.

        Parameters
        ----------
        origins, targets : numpy.ndarray
            Node ids; negative ids (features off the network) give NaN / are left out.
        metric : {'time', 'distance'}
            Seconds or metres.
        """
        out = np.full(len(origins), np.nan)
        ok = origins >= 0
        tgt = np.unique(targets[targets >= 0])
        if not len(tgt):
            out[ok] = np.inf
            return out
        dist = dijkstra(self.matrix(metric, reverse=True), indices=tgt, min_only=True)
        out[ok] = dist[origins[ok]]
        return out

    def to_each(self, origins: np.ndarray, targets: np.ndarray, *, metric: str) -> np.ndarray:
        """``(origins x targets)`` costs to every target (for a few targets, e.g. zones).

        Parameters
        ----------
        origins, targets : numpy.ndarray
            Out nodes of the origins and in nodes of the targets (-1: off the network, NaN).
        metric : {'time', 'distance'}
            Seconds or metres.
        """
        out = np.full((len(origins), len(targets)), np.nan)
        ok_o, ok_t = origins >= 0, np.flatnonzero(targets >= 0)
        step = max(1, _BLOCK_CELLS // max(self.n_nodes, 1))
        for start in range(0, len(ok_t), step):  # blocks of targets
            cols = ok_t[start : start + step]
            d = dijkstra(self.matrix(metric, reverse=True), indices=targets[cols])
            out[np.ix_(ok_o, cols)] = d[:, origins[ok_o]].T
        return out

    def within(
        self, origins: np.ndarray, targets: np.ndarray, *, limit: float, metric: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (origin, target) pair with cost <= ``limit``: bounded Dijkstra from each target.

        Parameters
        ----------
        origins, targets : numpy.ndarray
            Out nodes of the origins, in nodes of the targets (-1 entries never pair).
        limit : float
            Largest cost, seconds or metres (inclusive).
        metric : {'time', 'distance'}
            Seconds or metres.

        Returns
        -------
        tuple of numpy.ndarray
            ``(origin position, target position, cost)``, sorted by target then origin.
        """
        key = (metric, float(limit), hashlib.sha256(origins.tobytes() + b"|" + targets.tobytes()).digest())
        if key not in self._within:  # catchments are searched once (reach counts and 2SFCA share them)
            self._within[key] = self._search_within(origins, targets, limit=limit, metric=metric)
        o, t, c = self._within[key]
        return o.copy(), t.copy(), c.copy()

    def _search_within(
        self, origins: np.ndarray, targets: np.ndarray, *, limit: float, metric: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ok_o, ok_t = np.flatnonzero(origins >= 0), np.flatnonzero(targets >= 0)
        step = max(1, _BLOCK_CELLS // max(self.n_nodes, 1))
        found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        graph = self.matrix(metric, reverse=True)
        for start in range(0, len(ok_t), step):  # blocks of targets, bounded searches
            cols = ok_t[start : start + step]
            d = dijkstra(graph, indices=targets[cols], limit=limit)[:, origins[ok_o]]
            ti, oi = np.nonzero(d <= limit)
            found.append((ok_o[oi], cols[ti], d[ti, oi]))
        if not found:
            return np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0)
        o, t, c = (np.concatenate(x) for x in zip(*found, strict=True))
        return o, t, c

    @property
    def n_nodes(self) -> int:
        """Number of nodes, virtual ones included."""
        return len(self.node_xy)


def _csr(i: np.ndarray, j: np.ndarray, w: np.ndarray, n: int) -> csr_array:
    """A sparse matrix keeping the cheapest of parallel edges (a plain build would add them)."""
    keep = np.isfinite(w)
    i, j, w = i[keep], j[keep], w[keep]
    order = np.lexsort((w, j, i))
    i, j, w = i[order], j[order], w[order]
    first = np.ones(len(i), dtype=bool)
    first[1:] = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    return csr_array((w[first], (i[first], j[first])), shape=(n, n))


@dataclass
class _Joins:
    place: list[np.ndarray] = field(default_factory=list)
    edge: list[np.ndarray] = field(default_factory=list)
    t: list[np.ndarray] = field(default_factory=list)
    off: list[np.ndarray] = field(default_factory=list)

    def add(self, place: np.ndarray, edge: np.ndarray, t: np.ndarray, off: np.ndarray) -> None:
        self.place.append(place)
        self.edge.append(edge)
        self.t.append(t)
        self.off.append(off)

    def arrays(self) -> tuple[np.ndarray, ...]:
        if not self.place:
            return np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0), np.zeros(0)
        return tuple(np.concatenate(x) for x in (self.place, self.edge, self.t, self.off))


def _part(frac: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Cost of a piece of an edge (a forbidden direction stays forbidden, even for a 0-length piece)."""
    return np.where(np.isfinite(cost), frac * np.where(np.isfinite(cost), cost, 0.0), np.inf)


def _position(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Fraction along segments ``a -> b`` of points ``p`` lying on them."""
    ab = b - a
    return np.clip(np.einsum("ij,ij->i", p - a, ab) / np.einsum("ij,ij->i", ab, ab), 0.0, 1.0)


def _snap_layer(
    geoms: np.ndarray, lines: np.ndarray, usable: np.ndarray, tree: shapely.STRtree, *, max_snap_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest point on the nearest usable edge: ``(feature, edge, t, distance)``."""
    (gi, k), dist = tree.query_nearest(geoms, max_distance=max_snap_m, return_distance=True, all_matches=False)
    e = usable[k]
    line = shapely.shortest_line(geoms[gi], lines[e])
    p = shapely.get_coordinates(shapely.get_point(line, 1))
    a = shapely.get_coordinates(shapely.get_point(lines[e], 0))
    b = shapely.get_coordinates(shapely.get_point(lines[e], 1))
    return gi, e, _position(a, b, p), dist


def _gates(
    geoms: np.ndarray, lines: np.ndarray, usable: np.ndarray, tree: shapely.STRtree
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where usable edges cross polygon outlines: ``(feature, edge, t)``."""
    poly = np.flatnonzero(np.isin(shapely.get_type_id(geoms), (3, 6)))
    rings = shapely.boundary(geoms[poly])
    gi, k = tree.query(rings, predicate="intersects")
    rings, gi = rings[gi], poly[gi]
    e = usable[k]
    cuts = shapely.intersection(rings, lines[e])
    xy, which = shapely.get_coordinates(cuts, return_index=True)
    a = shapely.get_coordinates(shapely.get_point(lines[e], 0))[which]
    b = shapely.get_coordinates(shapely.get_point(lines[e], 1))[which]
    return gi[which], e[which], _position(a, b, xy)


def travel_graph(
    road: RoadGraph,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    max_snap_m: float,
    off_speed_kmh: float,
    footprint: tuple[str, ...] = (),
) -> TravelGraph:
    """Join the features of ``layers`` to a road graph and build its cost matrices.

    Parameters
    ----------
    road : RoadGraph
        The road graph (see :func:`~landplan.network.graph.build_graph`).
    layers : Mapping[str, geopandas.GeoDataFrame]
        Layer name -> features (same CRS as the roads) to join.
    max_snap_m : float
        Features farther than this from every usable road stay off the network.
    off_speed_kmh : float
        Speed of the leg between a feature and its road, km/h.
    footprint : tuple of str
        Layers whose polygons also join where roads cross or touch their outline (zone gates,
        parcel frontages).

    Returns
    -------
    TravelGraph
        The graph with every feature's virtual nodes and the matrices per metric.
    """
    lines = road.edge_lines()
    usable = np.flatnonzero(np.isfinite(road.forward_s) | np.isfinite(road.backward_s))
    tree = shapely.STRtree(lines[usable])
    joins, offsets, names = _Joins(), {}, sorted(layers)
    base = 0
    for name in names:
        geoms = np.asarray(layers[name].geometry.array, dtype=object)
        gi, e, t, dist = _snap_layer(geoms, lines, usable, tree, max_snap_m=max_snap_m)
        joins.add(base + gi, e, t, dist)
        if name in footprint:
            gi, e, t = _gates(geoms, lines, usable, tree)
            joins.add(base + gi, e, t, np.zeros(len(gi)))
        offsets[name] = base
        base += len(geoms)
    return _assemble(
        road, layers, names=names, offsets=offsets, n_places=base, joins=joins, off_speed_kmh=off_speed_kmh
    )


def _assemble(
    road: RoadGraph,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    names: list[str],
    offsets: dict[str, int],
    n_places: int,
    joins: _Joins,
    off_speed_kmh: float,
) -> TravelGraph:
    """Split the joined edges, add the virtual nodes and build both matrices."""
    place, edge, t, off = joins.arrays()
    n_road, n_join = road.n_nodes, len(place)
    join_node = n_road + np.arange(n_join)
    out_node = n_road + n_join + np.arange(n_places)
    in_node = out_node + n_places
    n = n_road + n_join + 2 * n_places
    # split each joined edge at its join points: consecutive points along the edge become pieces
    hit = np.unique(edge)
    seg = np.concatenate([hit, hit, edge])
    pos = np.concatenate([np.zeros(len(hit)), np.ones(len(hit)), t])
    node = np.concatenate([road.edge_u[hit], road.edge_v[hit], join_node])
    order = np.lexsort((node, pos, seg))
    seg, pos, node = seg[order], pos[order], node[order]
    cont = seg[:-1] == seg[1:]
    e, frac = seg[:-1][cont], (pos[1:] - pos[:-1])[cont]
    pu, pv = node[:-1][cont], node[1:][cont]
    whole = np.setdiff1d(np.arange(len(road.edge_u)), hit)
    u = np.concatenate([road.edge_u[whole], pu])
    v = np.concatenate([road.edge_v[whole], pv])
    fw = np.concatenate([road.forward_s[whole], _part(frac, road.forward_s[e])])
    bw = np.concatenate([road.backward_s[whole], _part(frac, road.backward_s[e])])
    ln = np.concatenate([road.length_m[whole], frac * road.length_m[e]])
    walk_s = off / (off_speed_kmh / 3.6)
    src = np.concatenate([u, v, out_node[place], join_node])
    dst = np.concatenate([v, u, join_node, in_node[place]])
    secs = np.concatenate([fw, bw, walk_s, walk_s])
    metres = np.concatenate([np.where(np.isfinite(fw), ln, np.inf), np.where(np.isfinite(bw), ln, np.inf), off, off])
    a, b = road.node_xy[road.edge_u[edge]], road.node_xy[road.edge_v[edge]]
    join_xy = a + t[:, None] * (b - a)
    place_xy = np.full((n_places, 2), np.nan)
    place_xy[place] = join_xy  # (last join of a feature; only used for drawing)
    places = {}
    snapped = np.zeros(n_places, dtype=bool)
    snapped[place] = True
    snap_m = np.full(n_places, np.inf)
    np.minimum.at(snap_m, place, off)
    for name in names:
        sl = slice(offsets[name], offsets[name] + len(layers[name]))
        ok = snapped[sl]
        places[name] = Places(
            index=layers[name].index,
            out_node=np.where(ok, out_node[sl], -1),
            in_node=np.where(ok, in_node[sl], -1),
            snap_m=np.where(ok, snap_m[sl], np.nan),
        )
    return TravelGraph(
        road=road,
        node_xy=np.concatenate([road.node_xy, join_xy, place_xy, place_xy]),
        time_s=_csr(src, dst, secs, n),
        distance_m=_csr(src, dst, metres, n),
        places=places,
        piece_u=u,
        piece_v=v,
        piece_forward_s=fw,
        piece_backward_s=bw,
    )
