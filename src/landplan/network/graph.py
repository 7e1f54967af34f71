"""A road graph from any line layer: honest topology, per-direction travel costs.

Every line is cut into its straight segments; a segment is an edge and its two vertices are
nodes. Two lines join only where they share a vertex (coordinates equal to the millimetre),
so a bridge or a flyover that crosses a road without a shared vertex does not connect to it.
``node_at_crossings=True`` also cuts segments where they cross (for data drawn without shared
vertices). Each edge carries its length and a travel time per direction (``inf`` where the
mode may not go: a closed road class, an access tag, the wrong way of a one-way road).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.config.rules import ModeRules
from landplan.errors import InputError

__all__ = ["RoadGraph", "build_graph", "oneway_direction", "road_speeds_kmh"]

_MM = 1000.0  # node identity: coordinates rounded to the millimetre
_YES = {"yes", "true", "1"}
_REVERSE = {"-1", "reverse"}
_CLOSED = {"no", "private"}


@dataclass(frozen=True)
class RoadGraph:
    """Nodes and directed-cost edges of a road layer (one edge per straight segment).

    Attributes
    ----------
    node_xy : numpy.ndarray
        ``(n, 2)`` node coordinates, working CRS metres.
    edge_u, edge_v : numpy.ndarray
        End nodes of each edge (the segment runs from ``u`` to ``v`` as drawn).
    length_m : numpy.ndarray
        Edge lengths, metres.
    forward_s, backward_s : numpy.ndarray
        Travel time from ``u`` to ``v`` and back, seconds (``inf`` where forbidden).
    road : numpy.ndarray
        Row position, in the road layer, of the line each edge comes from.
    """

    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    length_m: np.ndarray
    forward_s: np.ndarray
    backward_s: np.ndarray
    road: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_xy)

    def edge_lines(self) -> np.ndarray:
        """Each edge as a two-point shapely LineString."""
        a, b = self.node_xy[self.edge_u], self.node_xy[self.edge_v]
        return shapely.linestrings(np.stack([a, b], axis=1))


def oneway_direction(values: pd.Series | None, n: int) -> np.ndarray:
    """+1 (one way as drawn), -1 (one way against the drawing) or 0 (both ways) per road.

    Parameters
    ----------
    values : pandas.Series or None
        The one-way column (OSM ``oneway``: ``yes``/``true``/``1``, ``-1``/``reverse``, else both ways).
    n : int
        Number of roads (used when ``values`` is None).
    """
    if values is None:
        return np.zeros(n, dtype=np.int8)
    text = values.astype("string").str.strip().str.lower().fillna("")
    return np.where(text.isin(_YES), 1, np.where(text.isin(_REVERSE), -1, 0)).astype(np.int8)


def road_speeds_kmh(
    roads: gpd.GeoDataFrame,
    rules: ModeRules,
    *,
    class_field: str,
    speed_field: str | None = None,
    speed_table: dict[str, float] | None = None,
) -> np.ndarray:
    """Speed of the mode on each road, km/h (0 where the mode may not go).

    The road class gives the speed (``speed_table`` over the rule pack's table); a valid
    positive ``speed_field`` value replaces it. Closed classes and OSM access tags
    (``access_tags`` of the mode, most specific first: the first non-empty one decides,
    ``no``/``private`` close the road) give 0 whatever the speed column says.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        The road lines.
    rules : ModeRules
        The mode's speeds, closed classes and access tags (from the rule pack).
    class_field : str
        The road class column (absent: every road is ``other_kmh``).
    speed_field : str, optional
        A column of speeds in km/h.
    speed_table : dict, optional
        Road class -> km/h from the scenario, over the rule pack's table.
    """
    table = {**rules.speeds_kmh, **(speed_table or {})}
    if class_field in roads:
        cls = roads[class_field].astype("string").fillna("").to_numpy(dtype=object)
    else:
        cls = np.full(len(roads), "", dtype=object)
    classes = pd.unique(cls)
    lookup = {c: (0.0 if c in rules.closed_classes else table.get(c, rules.other_kmh)) for c in classes}
    speed = pd.Series(cls, dtype=object).map(lookup).to_numpy(dtype="float64")
    if speed_field is not None:
        given = pd.to_numeric(roads[speed_field], errors="coerce").to_numpy(dtype="float64")
        usable = np.isfinite(given) & (given > 0)
        speed = np.where(usable & (speed > 0), given, speed)
    closed = np.isin(cls, list(rules.closed_classes))
    decided = np.zeros(len(roads), dtype=bool)
    for tag in rules.access_tags:  # a loop over a few tags, vectorised over the roads
        if tag not in roads:
            continue
        text = roads[tag].astype("string").str.strip().str.lower().fillna("").to_numpy(dtype=object)
        here = ~decided & (text != "")
        closed |= here & np.isin(text, list(_CLOSED))
        decided |= here
    return np.where(closed, 0.0, speed)


def _segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straight segments ``(a, b, line)`` of every line (multi-lines split into parts)."""
    parts, owner = shapely.get_parts(lines, return_index=True)
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[:-1] == idx[1:]
    a, b = xy[:-1][same], xy[1:][same]
    seg_line = owner[idx[:-1][same]]
    keep = np.any(a != b, axis=1)
    return a[keep], b[keep], seg_line[keep]


def _split_at_crossings(a: np.ndarray, b: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cut segments where they cross another segment (one shared point for both pieces)."""
    tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
    i, j = tree.query(shapely.linestrings(np.stack([a, b], axis=1)), predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    r, s, qp = b[i] - a[i], b[j] - a[j], a[j] - a[i]
    den = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
    ok = den != 0  # parallel or collinear overlaps are left as they are
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[:, 0] * s[:, 1] - qp[:, 1] * s[:, 0]) / den
        u = (qp[:, 0] * r[:, 1] - qp[:, 1] * r[:, 0]) / den
    ok &= (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    i, j, t, u = i[ok], j[ok], t[ok], u[ok]
    p = a[i] + t[:, None] * (b[i] - a[i])  # one point, used to cut both segments
    n = len(a)
    seg = np.concatenate([np.arange(n), np.arange(n), i, j])
    pos = np.concatenate([np.zeros(n), np.ones(n), t, u])
    xy = np.concatenate([a, b, p, p])
    order = np.lexsort((pos, seg))
    seg, xy = seg[order], xy[order]
    cont = seg[:-1] == seg[1:]
    na, nb = xy[:-1][cont], xy[1:][cont]
    nl = line[seg[:-1][cont]]
    keep = np.any(np.round(na * _MM) != np.round(nb * _MM), axis=1)
    return na[keep], nb[keep], nl[keep]


def build_graph(
    roads: gpd.GeoDataFrame,
    *,
    speed_kmh: np.ndarray,
    oneway: np.ndarray,
    node_at_crossings: bool = False,
) -> RoadGraph:
    """The graph of a line layer (projected CRS, metres).

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        LineStrings or MultiLineStrings.
    speed_kmh : numpy.ndarray
        Speed on each road, km/h; 0 closes the road (see :func:`road_speeds_kmh`).
    oneway : numpy.ndarray
        +1, -1 or 0 per road (see :func:`oneway_direction`).
    node_at_crossings : bool, default False
        Also join lines where they cross without a shared vertex.

    Returns
    -------
    RoadGraph
        One edge per straight segment; nodes at vertices (rounded to the millimetre).

    Raises
    ------
    InputError
        If the layer has no line with two distinct vertices.
    """
    if roads.crs is not None and roads.crs.is_geographic:
        msg = "build_graph: the road layer is in a geographic CRS; reproject it to metres first"
        raise InputError(msg)
    lines = np.asarray(roads.geometry.array, dtype=object)
    a, b, line = _segments(lines)
    if node_at_crossings and len(a):
        a, b, line = _split_at_crossings(a, b, line)
    if not len(a):
        msg = "the road layer has no line with two distinct vertices; nothing to travel along"
        raise InputError(msg)
    keys = np.round(np.concatenate([a, b]) * _MM).astype(np.int64)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    u, v = inverse[: len(a)], inverse[len(a) :]
    length = np.hypot(*(b - a).T)
    mps = np.asarray(speed_kmh, dtype="float64")[line] / 3.6
    one = np.asarray(oneway)[line]
    with np.errstate(divide="ignore"):
        secs = np.where(mps > 0, length / mps, np.inf)
    forward = np.where(one >= 0, secs, np.inf)
    backward = np.where(one <= 0, secs, np.inf)
    return RoadGraph(
        node_xy=uniq.astype("float64") / _MM,
        edge_u=u,
        edge_v=v,
        length_m=length,
        forward_s=forward,
        backward_s=backward,
        road=line,
    )
