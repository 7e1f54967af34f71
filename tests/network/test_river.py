"""A river with one bridge, by hand: the route to the zone opposite goes over the bridge.

Metres from the origin ``(X0, Y0)`` (EPSG:32648)::

    y 900   +-------+            zone Z1: x 400..600, y 650..900 (the north road crosses it)
            |  Z1   |
    y 700 ==+=======+=======+==========+========  north bank road (residential), vertex at x 2000
                            |          |
             ~ river ~      | flyover  | bridge: x 2000, y 400..700, shares both bank vertices
                            |  x 1000  |
    y 400 ==========^=======+==========+========  south bank road (residential), vertex at x 2000
                   /P\\                 parcel P1: a diamond whose top vertex is (500, 380)

The flyover at x = 1000 (y 0..1000) crosses both bank roads without a shared vertex.
By hand (network distance): 20 (walk to the road) + 1500 (east) + 300 (bridge) + 1400 (west to
the zone's gate at x 600) = 3220 m. With ``node_at_crossings`` the flyover joins the bank roads:
20 + 500 + 300 + 400 = 1220 m.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

from landplan.config import NetworkSpec, load_rule_pack
from landplan.network.study import network_findings, study_network

X0, Y0 = 580_000.0, 2_330_000.0
CRS = "EPSG:32648"


def xy(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


@pytest.fixture
def roads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "highway": ["residential", "residential", "residential", "motorway"],
            "oneway": [None, None, None, None],
            "name": ["south bank", "north bank", "bridge", "flyover"],
        },
        geometry=[
            shapely.LineString([xy(0, 400), xy(2000, 400), xy(3000, 400)]),
            shapely.LineString([xy(0, 700), xy(2000, 700), xy(3000, 700)]),
            shapely.LineString([xy(2000, 400), xy(2000, 700)]),
            shapely.LineString([xy(1000, 0), xy(1000, 1000)]),
        ],
        crs=CRS,
    )


@pytest.fixture
def places() -> dict[str, gpd.GeoDataFrame]:
    diamond = shapely.Polygon([xy(500, 380), xy(540, 340), xy(500, 300), xy(460, 340)])
    parcels = gpd.GeoDataFrame(index=pd.Index(["P1"], name="parcel_id"), geometry=[diamond], crs=CRS)
    zones = gpd.GeoDataFrame(
        index=pd.Index(["Z1"], name="zone_id"), geometry=[shapely.box(*xy(400, 650), *xy(600, 900))], crs=CRS
    )
    return {"parcels": parcels, "zones": zones}


def _graph(roads, places, *, mode="car", crossings=False, oneway=None):
    """The graph as a scenario builds it (study_network), with zones joined at their gates."""
    if oneway is not None:
        roads = roads.assign(oneway=oneway)
    spec = NetworkSpec(layer="roads", mode=mode, oneway_field="oneway", node_at_crossings=crossings)
    return study_network(spec, roads, places, load_rule_pack("vn")).graph


def _dist(tg, metric="distance"):
    return tg.to_each(tg.places["parcels"].out_node, tg.places["zones"].in_node, metric=metric)[0, 0]


def test_route_goes_over_the_bridge(roads, places):
    straight = places["parcels"].distance(places["zones"].geometry.iloc[0]).iloc[0]
    assert straight == pytest.approx(270.0)
    assert _dist(_graph(roads, places)) == pytest.approx(3220.0)


def test_travel_time_by_hand(roads, places):
    # car on residential roads: 15 km/h (rule pack); the two walked legs: 20 m and 0 m at 4.5 km/h
    want = 3200 / (15 / 3.6) + 20 / (4.5 / 3.6)
    assert _dist(_graph(roads, places), "time") == pytest.approx(want)


def test_flyover_joins_only_when_noded_at_crossings(roads, places):
    assert _dist(_graph(roads, places, crossings=True)) == pytest.approx(1220.0)


def test_motorway_is_closed_to_motorbikes(roads, places):
    # noded at crossings, the flyover (highway=motorway) would be the short way: cars take it,
    # motorbikes may not (Law on Road Traffic art. 26(3)) and go over the bridge
    assert _dist(_graph(roads, places, mode="motorbike", crossings=True)) == pytest.approx(3220.0)
    assert _dist(_graph(roads, places, mode="car", crossings=True)) == pytest.approx(1220.0)


def test_motorcycle_no_closes_the_bridge(roads, places):
    roads = roads.assign(motorcycle=[None, None, "no", None])
    assert np.isinf(_dist(_graph(roads, places, mode="motorbike")))
    assert _dist(_graph(roads, places, mode="car")) == pytest.approx(3220.0)


def test_oneway_bridge_is_respected(roads, places):
    # drawn south -> north: "yes" lets the parcel (south) reach the zone (north); "-1" does not
    assert _dist(_graph(roads, places, oneway=[None, None, "yes", None])) == pytest.approx(3220.0)
    tg = _graph(roads, places, oneway=[None, None, "-1", None])
    assert np.isinf(_dist(tg))
    back = tg.to_each(tg.places["zones"].out_node, tg.places["parcels"].in_node, metric="distance")[0, 0]
    assert back == pytest.approx(3220.0)


def test_walkers_ignore_oneway(roads, places):
    tg = _graph(roads, places, mode="walk", oneway=[None, None, "-1", None])
    assert _dist(tg) == pytest.approx(3220.0)


def test_feature_beyond_max_snap_is_off_the_network(roads, places):
    far = places["parcels"].copy()
    far.geometry = [shapely.Point(xy(500, 5000))]
    tg = _graph(roads, {**places, "parcels": far})
    assert not tg.places["parcels"].snapped[0]
    assert np.isnan(_dist(tg))


def test_findings_name_pieces_dangling_ends_far_roads_and_off_network_ids(roads, places):
    # a separate road piece 20 km away: far from every parcel and not connected
    far_road = gpd.GeoDataFrame(
        {"highway": ["residential"], "oneway": [None], "name": ["elsewhere"]},
        geometry=[shapely.LineString([xy(20_000, 0), xy(23_000, 0)])],
        crs=CRS,
        index=[9],
    )
    roads = pd.concat([roads, far_road])
    lost = gpd.GeoDataFrame(index=pd.Index(["Q7"], name="parcel_id"), geometry=[shapely.Point(xy(500, 5000))], crs=CRS)
    parcels = pd.concat([places["parcels"], lost])
    spec = NetworkSpec(layer="roads", mode="car", max_snap_m=500)
    net = study_network(spec, roads, {**places, "parcels": parcels}, load_rule_pack("vn"))
    text = [str(f) for f in network_findings(net, roads, parcels, layer="roads")]
    # banks and bridge: 3000 + 3000 + 300 = 6300 m in one piece; the flyover (1000 m, open to cars)
    # and the far road (3000 m) are pieces of their own: 6300 / 10300
    assert any(f"holds {6300 / 10300:.1%}" in t and "(3 pieces)" in t for t in text)
    assert any("8 dangling road ends" in t for t in text)  # 4 bank ends, 2 flyover ends, 2 far-road ends
    assert any("1 roads lie farther than 5000 m" in t and "(9)" in t for t in text)
    assert any(t.startswith("warning: parcels") and "Q7" in t for t in text)


def test_isochrone_pieces_by_hand(roads, places):
    # cars at 15 km/h = 250 m a minute from the zone's gates (x 400 and 600 on the north road):
    # 1 min reaches x 150..850 (700 m), 2 min x 0..1100 (the road starts at x 0); the bridge
    # (1400 m away) and the flyover (not joined) are not reached
    from scipy.sparse.csgraph import dijkstra

    from landplan.network.reach import isochrones, reach_polygon, reached_pieces

    tg = _graph(roads, places)
    t = dijkstra(tg.matrix("time", reverse=True), indices=int(tg.places["zones"].in_node[0]))
    one = reached_pieces(tg, t, minutes=1.0)
    assert shapely.length(one).sum() == pytest.approx(700.0)
    xs = shapely.get_coordinates(one)[:, 0] - X0
    assert xs.min() == pytest.approx(150.0) and xs.max() == pytest.approx(850.0)
    assert shapely.length(reached_pieces(tg, t, minutes=2.0)).sum() == pytest.approx(1100.0)
    area = reach_polygon(one, buffer_m=100.0, cell_m=10.0).area
    assert area == pytest.approx(700 * 200 + np.pi * 100**2, rel=0.05)
    ids, minutes, polys = isochrones(tg, "zones", minutes=(1.0, 2.0), buffer_m=100.0)
    assert ids == ["Z1", "Z1"] and minutes == [1.0, 2.0]
    assert polys[0].within(polys[1].buffer(1.0))
