"""Exactness on real OpenStreetMap roads: Hanoi's urban core (../shared, OSM about 2017).

Hospitals and bus stops join the real road lines; travel times from the stops to the nearest
hospital equal networkx's Dijkstra on the oracle graph built independently (brute-force snapping,
see ``test_exact``). Skipped with a reason when ../shared/data/hanoi is absent.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

import shapely

from conftest import SHARED
from landplan.config import load_rule_pack
from landplan.io import read_layer
from landplan.network import build_graph, oneway_direction, road_speeds_kmh, travel_graph
from network.test_exact import MAX_SNAP, OFF_KMH, _oracle

pytestmark = [
    pytest.mark.shared,
    pytest.mark.slow,  # the brute-force oracle snaps every feature in Python
    pytest.mark.skipif(
        not SHARED.is_dir(), reason=f"real Hanoi data not found at {SHARED} (../shared is not in the repo)"
    ),
]


def test_stop_to_hospital_times_equal_networkx_on_real_osm_roads():
    roads = read_layer(SHARED / "roads_core_osm2017.gpkg").to_crs(32648)
    hospitals = read_layer(SHARED / "hospitals_2024.geojson").to_crs(32648)
    stops = read_layer(SHARED / "bus_stops.geojson").to_crs(32648)
    x0, y0, x1, y1 = roads.total_bounds
    inside = stops.cx[x0:x1, y0:y1]
    stops = inside.iloc[np.linspace(0, len(inside) - 1, 25).astype(int)]
    hospitals = hospitals.cx[x0:x1, y0:y1].iloc[:15]
    rules = load_rule_pack("vn").mode("motorbike")
    speed = road_speeds_kmh(roads, rules, class_field="highway")
    one = oneway_direction(roads["oneway"], len(roads))
    graph = build_graph(roads, speed_kmh=speed, oneway=one)
    tg = travel_graph(graph, {"a": stops, "b": hospitals}, max_snap_m=MAX_SNAP, off_speed_kmh=OFF_KMH)
    # the oracle's own graph from the same lines (nodes identified to the millimetre, as landplan's)
    lines = [
        ([tuple(c) for c in shapely.get_coordinates(g)], int(o), float(s))
        for g, o, s in zip(roads.geometry, one, speed, strict=True)
    ]
    pts = {n: [tuple(c) for c in shapely.get_coordinates(f.geometry)] for n, f in (("a", stops), ("b", hospitals))}
    oracle, ties = _oracle(lines, pts)
    clear = [j for j in range(len(hospitals)) if ("b", j) not in ties]  # hospitals with one nearest road
    got = tg.nearest(tg.places["a"].out_node, tg.places["b"].in_node[clear], metric="time")
    sources = [("in", "b", j) for j in clear if oracle.has_node(("in", "b", j))]
    want = nx.multi_source_dijkstra_path_length(oracle.reverse(copy=True), sources)
    checked = 0
    for i in range(len(stops)):
        node = ("out", "a", i)
        if ("a", i) in ties:  # equally near two road segments (e.g. duplicated OSM ways)
            continue
        if not oracle.has_node(node):
            assert math.isnan(got[i])
            continue
        # equal to 10 ms (about 4 cm): landplan draws edges between nodes rounded to the millimetre
        assert got[i] == pytest.approx(want.get(node, math.inf), rel=1e-9, abs=1e-2)
        checked += np.isfinite(got[i])
    assert checked >= 15  # most stops reach a hospital along the real roads
