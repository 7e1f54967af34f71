"""Network distances equal networkx's Dijkstra on an independently built graph.

The oracle builds its own networkx DiGraph from the same roads: every straight segment an
edge, features joined by brute force at the nearest point of the nearest usable segment
(split there), off-network legs at the walking speed. Examples where a feature is equally
near two segments are discarded (the nearest segment is then a matter of choice).
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely

from landplan.network import build_graph, travel_graph

CRS = "EPSG:32648"
OFF_KMH = 3.6  # 1 m/s: off-network seconds equal metres
MAX_SNAP = 400.0

coord = st.integers(0, 40).map(lambda v: v * 25.0)
point = st.tuples(coord, coord)
road = st.tuples(
    st.lists(point, min_size=2, max_size=4),
    st.sampled_from([0, 0, 1, -1]),  # one-way
    st.sampled_from([0.0, 18.0, 36.0, 54.0]),  # km/h, 0 closed
)
place = st.tuples(st.floats(0, 1000, allow_nan=False), st.floats(0, 1000, allow_nan=False))


def _seg_dist(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    ab = b - a
    t = float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1))
    return float(np.hypot(*(a + t * ab - p))), t


def _oracle(roads, places: dict[str, list[tuple[float, float]]]) -> tuple[nx.DiGraph, set[tuple[str, int]]]:
    """The oracle graph and the features equally near two segments (ambiguous joins)."""
    segs = []  # (a, b, speed_mps, oneway)
    for pts, one, kmh in roads:
        for a, b in itertools.pairwise(pts):
            if a != b:
                segs.append((np.array(a), np.array(b), kmh / 3.6, one))
    usable = [k for k, s in enumerate(segs) if s[2] > 0]
    ties: set[tuple[str, int]] = set()
    cuts: dict[int, list[tuple[float, object]]] = {k: [] for k in range(len(segs))}
    g = nx.DiGraph()
    for layer, pts in places.items():
        for i, xy in enumerate(pts):
            p = np.array(xy)
            d = sorted((_seg_dist(p, segs[k][0], segs[k][1]), k) for k in usable)
            if not d or d[0][0][0] > MAX_SNAP:
                continue
            if len(d) > 1 and abs(d[1][0][0] - d[0][0][0]) < 1e-6:
                # two segments equally near: which one a feature joins is a matter of choice
                ties.add((layer, i))
            (off, t), k = d[0]
            node = ("join", layer, i)
            cuts[k].append((t, node))
            g.add_edge(("out", layer, i), node, weight=off)
            g.add_edge(node, ("in", layer, i), weight=off)
    for k, (a, b, mps, one) in enumerate(segs):
        if mps <= 0:
            continue
        length = float(np.hypot(*(b - a)))
        chain = [
            (0.0, (round(a[0], 3), round(a[1], 3))),
            *sorted(cuts[k], key=lambda c: c[0]),
            (1.0, (round(b[0], 3), round(b[1], 3))),
        ]
        for (t0, n0), (t1, n1) in itertools.pairwise(chain):
            w = (t1 - t0) * length / mps
            for x, y in [(n0, n1)] if one == 1 else [(n1, n0)] if one == -1 else [(n0, n1), (n1, n0)]:
                if not g.has_edge(x, y) or g[x][y]["weight"] > w:
                    g.add_edge(x, y, weight=w)
    return g, ties


@settings(max_examples=60, deadline=None)
@given(
    st.lists(road, min_size=1, max_size=12),
    st.lists(place, min_size=1, max_size=6),
    st.lists(place, min_size=1, max_size=4),
)
def test_nearest_and_within_equal_networkx(roads, origins, targets):
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString(p) for p, _, _ in roads], crs=CRS)
    assume(any(len(set(p)) > 1 for p, _, _ in roads))
    speed = np.array([k for _, _, k in roads])
    oneway = np.array([o for _, o, _ in roads], dtype=np.int8)
    graph = build_graph(gdf, speed_kmh=speed, oneway=oneway)
    layers = {
        "a": gpd.GeoDataFrame(geometry=[shapely.Point(p) for p in origins], crs=CRS),
        "b": gpd.GeoDataFrame(geometry=[shapely.Point(p) for p in targets], crs=CRS),
    }
    oracle, ties = _oracle(roads, {"a": origins, "b": targets})
    assume(not ties)
    tg = travel_graph(graph, layers, max_snap_m=MAX_SNAP, off_speed_kmh=OFF_KMH)
    a, b = tg.places["a"], tg.places["b"]
    got = tg.nearest(a.out_node, b.in_node, metric="time")
    sources = [("in", "b", j) for j in range(len(targets)) if oracle.has_node(("in", "b", j))]
    rev = oracle.reverse(copy=True)
    want = nx.multi_source_dijkstra_path_length(rev, sources) if sources else {}
    for i in range(len(origins)):
        node = ("out", "a", i)
        if not oracle.has_node(node):
            assert math.isnan(got[i])
        else:
            assert got[i] == pytest.approx(want.get(node, math.inf), rel=1e-9, abs=1e-6)
    each = tg.to_each(a.out_node, b.in_node, metric="time")
    o, t, c = tg.within(a.out_node, b.in_node, limit=300.0, metric="time")
    pairs = {(int(i), int(j)): float(x) for i, j, x in zip(o, t, c, strict=True)}
    for i in range(len(origins)):
        for j in range(len(targets)):
            src, dst = ("out", "a", i), ("in", "b", j)
            if not (oracle.has_node(src) and oracle.has_node(dst)):
                assert math.isnan(each[i, j])
                continue
            try:
                d = nx.dijkstra_path_length(oracle, src, dst)
            except nx.NetworkXNoPath:
                d = math.inf
            assert each[i, j] == pytest.approx(d, rel=1e-9, abs=1e-6)
            if d <= 300.0 - 1e-6:
                assert pairs[(i, j)] == pytest.approx(d, rel=1e-9, abs=1e-6)
            elif d > 300.0 + 1e-6:
                assert (i, j) not in pairs
