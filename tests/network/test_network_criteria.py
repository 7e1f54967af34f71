"""Network criteria on a street grid: by hand, against pysal ``access`` (2SFCA), end to end.

Streets every 100 m (x and y = -200 .. 500, vertices at every crossing), residential, two-way.
The 3 x 3 parcel grid of conftest (100 m cells from the origin) sits between the streets, each
parcel touching four streets along its frontage.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

import landplan
from conftest import CRS, SCENARIO_TOML, X0, Y0, pt
from landplan.config import NetworkSpec, load_rule_pack
from landplan.criteria.network import reachable_count, travel_to_nearest, two_step_access
from landplan.network.study import study_network

access_fca = pytest.importorskip("access.fca", reason="pysal access (test dependency) is not installed")

STEPS = range(-200, 501, 100)


def streets() -> gpd.GeoDataFrame:
    lines = [shapely.LineString([(X0 + x, Y0 + y) for x in STEPS]) for y in STEPS]
    lines += [shapely.LineString([(X0 + x, Y0 + y) for y in STEPS]) for x in STEPS]
    return gpd.GeoDataFrame(
        {"highway": ["residential"] * len(lines), "oneway": ["no"] * len(lines)}, geometry=lines, crs=CRS
    )


@pytest.fixture
def net(grid):
    # facilities: F1 on the street x = 100 (y 30), F2 on the street y = 300 (x 230), F3 on x = 400 (y 460)
    fac = gpd.GeoDataFrame(
        {"seats": [100.0, 300.0, 50.0]},
        index=pd.Index(["F1", "F2", "F3"], name="fac_id"),
        geometry=[pt(100, 30), pt(230, 300), pt(400, 460)],
        crs=CRS,
    )
    spec = NetworkSpec(layer="roads", mode="walk")
    return study_network(spec, streets(), {"parcels": grid, "fac": fac}, load_rule_pack("vn")), fac


def test_walking_distance_to_nearest_by_hand(net, grid):
    sn, fac = net
    g = sn.graph
    d = travel_to_nearest(g, g.places["parcels"], g.places["fac"], fac.index, metric="distance", name="d")
    # a parcel leaves by the ends of its frontage (the corners here):
    # P0 (0..100 x 0..100): corner (100, 0) -> F1 (100, 30): 30 m
    # P4 (100..200 x 100..200): corner (100, 100) -> F1: 70 m
    # P8 (200..300 x 200..300): corner (200, 300) -> F2 (230, 300): 30 m
    # P2 (200..300 x 0..100): corner (200, 0) -> (100, 0) -> F1: 130 m (F2: (200, 100) -> (200, 300) -> F2 230 m)
    assert d["P0"] == pytest.approx(30.0)
    assert d["P4"] == pytest.approx(70.0)
    assert d["P8"] == pytest.approx(30.0)
    assert d["P2"] == pytest.approx(130.0)
    minutes = travel_to_nearest(g, g.places["parcels"], g.places["fac"], fac.index, metric="time", name="t")
    assert minutes["P2"] == pytest.approx(130.0 / (4.5 / 3.6) / 60.0)


def test_reachable_count_by_hand(net):
    sn, fac = net
    g = sn.graph
    n = reachable_count(g, g.places["parcels"], g.places["fac"], fac.index, limit=100.0, metric="distance", name="n")
    # within 100 m along the streets: P0 reaches F1 (30 m); P4 reaches F1 (70 m) but not F2
    # ((200, 200) -> (200, 300) -> (230, 300): 130 m); P5 (200..300 x 100..200): F1 170 m, F2 130 m
    assert n["P0"] == 1
    assert n["P4"] == 1
    assert n["P5"] == 0
    n2 = reachable_count(g, g.places["parcels"], g.places["fac"], fac.index, limit=130.0, metric="distance", name="n")
    assert n2["P4"] == 2  # F2 at exactly 130 m is included
    assert n2["P5"] == 1


def test_two_step_equals_pysal_access(net, grid):
    sn, fac = net
    g = sn.graph
    p, f = g.places["parcels"], g.places["fac"]
    pop = np.arange(1.0, 10.0) * 100  # residents of P0..P8
    limit = 7.5 * 60  # seconds: 7.5 min of walking = 562.5 m
    got = two_step_access(
        g, p, f, fac.index, capacity=fac["seats"].to_numpy(), population=pop, limit=limit, metric="time", name="a"
    )
    minutes = g.to_each(p.out_node, f.in_node, metric="time") / 60.0
    cost = pd.DataFrame(
        [(pid, fid, minutes[i, j]) for i, pid in enumerate(grid.index) for j, fid in enumerate(fac.index)],
        columns=["origin", "dest", "cost"],
    )
    want = access_fca.two_stage_fca(
        pd.DataFrame({"geoid": grid.index, "demand": pop}).set_index("geoid"),
        pd.DataFrame({"geoid": fac.index, "supply": fac["seats"].to_numpy()}).set_index("geoid"),
        cost,
        max_cost=limit / 60.0,
    )
    want = want.reindex(grid.index).fillna(0.0) * 1000.0
    assert not np.isclose(minutes, limit / 60.0).any()  # no pair on the boundary
    assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-12)
    assert got.sum() > 0


NETWORK_TOML = textwrap.dedent(
    """
    [layers.roads]
    path = "roads.gpkg"
    geometry = "line"

    [network]
    layer = "roads"
    mode = "motorbike"
    oneway_field = "oneway"
    max_snap_m = 150

    [[criteria]]
    name = "school_minutes"
    kind = "travel"
    layer = "facilities"
    select = { kind = "school" }
    weight = 1
    value = { function = "linear", lower = 0, upper = 10, increasing = false }

    [[criteria]]
    name = "job_access"
    kind = "access"
    scale_min = 5
    weight = 1
    value = { function = "linear", lower = 0, upper = 1000 }

    [[criteria]]
    name = "school_seats"
    kind = "two_step"
    layer = "facilities"
    select = { kind = "school" }
    capacity_rule = "primary_school"
    within_min = 5
    weight = 1
    value = { function = "identity" }

    [demand]
    share_needing_housing = 1.0
    share_already_housed = 0.0
    persons_per_unit = 1.0
    gfa_per_unit_m2 = 100.0
    buildable_share = 0.5
    floor_area_ratio = 2.0

    [allocation]
    max_commute_min = 3
    """
)


@pytest.fixture
def net_scenario(scenario_dir):
    streets().to_file(scenario_dir / "roads.gpkg", engine="pyogrio")
    text = SCENARIO_TOML.replace("[[constraints]]", NETWORK_TOML + "\n[[constraints]]", 1)
    path = scenario_dir / "network.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_end_to_end(net_scenario):
    study = landplan.load_study(net_scenario)
    assert study.network is not None
    messages = [str(f) for f in study.report.findings if f.layer == "roads"]
    assert any("largest connected piece holds 100.0%" in m for m in messages)
    assert not any("dangling" in m for m in messages)  # every street ends on the outer streets
    zt = study.network.zone_minutes
    # P0 touches street x = 0 (its west side) ... the zone (x -150..-50) is crossed by y = 0, 100, 200, 300:
    # P0's corner (0, 0) -> gate (-50, 0): 50 m at 18 km/h (residential, motorbike)
    assert zt.loc["P0", "Z1"] == pytest.approx(50 / (18 / 3.6) / 60)
    result = landplan.run(net_scenario, out_dir=net_scenario.parent / "out")
    alloc = result.allocation
    assert alloc is not None
    assert "commute_min" in alloc.parcels and (alloc.parcels["commute_min"] <= 3).all()
    assert "mean_commute_min" in alloc.zones
    # land within reach along the roads: P0's corner is 10 s from the zone, so eligible land is near
    assert (alloc.zones["nearest_eligible_min_reach"] <= 3).all()
    assert result.manifest["network"]["mode"] == "motorbike"
    page = result.outputs["map"].read_text(encoding="utf-8")
    assert "Zone reach within 15 min" in page and "landplan-isochrone-legend" in page
    raw = result.scores.raw
    assert raw["school_minutes"].notna().all()
    assert (raw["job_access"] > 0).all()


def test_zone_land_reach_by_hand():
    from landplan.criteria.network import zone_land_reach

    minutes = pd.DataFrame({"Z1": [1.0, 5.0, np.inf], "Z2": [9.0, 2.0, np.nan]}, index=["a", "b", "c"])
    area = pd.Series([10_000.0, 20_000.0, 30_000.0], index=["a", "b", "c"])
    got = zone_land_reach(minutes, area, eligible=pd.Series([True, True, True], index=minutes.index), within_min=5)
    assert got.loc["Z1"].tolist() == [1.0, 2, 3.0]  # a and b within 5 min: 1 + 2 ha
    assert got.loc["Z2"].tolist() == [2.0, 1, 2.0]
    none = zone_land_reach(minutes, area, eligible=pd.Series([False, False, True], index=minutes.index), within_min=5)
    assert np.isinf(none.loc["Z1", "nearest_eligible_min"]) and none.loc["Z1", "eligible_parcels_within"] == 0


def test_network_criterion_needs_a_network_table(scenario_dir):
    text = SCENARIO_TOML + NETWORK_TOML.split("[network]")[0] + NETWORK_TOML.split("max_snap_m = 150")[1]
    path = scenario_dir / "nonet.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(landplan.errors.ConfigError, match=r"add a \[network\] table"):
        landplan.load_study(path)
