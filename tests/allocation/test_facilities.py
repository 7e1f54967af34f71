"""landplan.allocation.facilities: shortfall by hand, land placement, trade-union institutions.

The grid (see conftest): zone Z1 (1,000 workers) west of the grid; eligible parcels P1, P4, P7
(1 ha each). A housing site on P4 is given by hand (the housing allocation is an input here).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely

import landplan
from conftest import CRS, pt
from landplan.allocation.facilities import plan_facilities, site_demand, two_step_absorption
from landplan.config import FacilitiesSpec
from landplan.errors import InputError
from landplan.model import Allocation


@pytest.fixture
def kg_scenario(alloc_scenario):
    """The allocation scenario with 3 persons per unit and one kindergarten in P4: 100 places, 80 taken."""
    d = alloc_scenario.parent
    kg = gpd.GeoDataFrame(
        {"kg_id": ["K1"], "kind": ["kindergarten"], "places": [100], "taken": [80]}, geometry=[pt(150, 150)], crs=CRS
    )
    kg.to_file(d / "kg.gpkg", engine="pyogrio")
    text = alloc_scenario.read_text().replace("persons_per_unit = 1.0", "persons_per_unit = 3.0")
    text = text.replace("[demand]", '[layers.kg]\npath = "kg.gpkg"\nid_field = "kg_id"\n\n[demand]')
    alloc_scenario.write_text(text)
    return alloc_scenario


def _alloc(units: float, *, capacity: float = 1000.0, workers: float = 1000.0) -> Allocation:
    parcels = pd.DataFrame(
        {"zone": ["Z1"], "units": [units], "capacity_units": [capacity], "area_ha": [1.0], "score": [0.8]},
        index=pd.Index(["P4"], name="parcel_id"),
    )
    zones = pd.DataFrame({"workers": [workers], "land_ha": [1.0]}, index=pd.Index(["Z1"], name="zone_id"))
    return Allocation(parcels, zones, method="given", status="", objective=0.0, gap=None, seconds=0.0, pairs=1)


KG = FacilitiesSpec(layer="kg", capacity_field="places", load_field="taken", kinds=["kindergarten"], trade_union=False)


def _plan(scenario, alloc, spec=KG, **kw):
    study = landplan.load_study(scenario)
    return plan_facilities(study, landplan.score(study), alloc, spec=spec, reach_m=1000, **kw)


def test_kindergarten_shortfall_by_hand(kg_scenario):
    # 1,000 units x 3 persons = 3,000 residents x 50 / 1,000 = 150 places; 100 - 80 = 20 free -> 130 to build,
    # 130 x 12 m2 = 1,560 m2; P4 is full of housing, so the land goes on the nearest eligible free parcel
    # within 300 m: P1 and P7 both touch P4 (0 m), P1 first by id
    (row,) = _plan(kg_scenario, _alloc(1000)).itertuples()
    assert (row.site, row.kind, row.needed, row.absorbed, row.to_build) == ("P4", "kindergarten", 150, 20, 130)
    assert row.land_m2 == pytest.approx(1560)
    assert (row.placement, row.host, row.distance_m, row.units_displaced) == ("nearby parcel", "P1", 0, 0)
    assert "verified" in row._fields and "12" in row.norm


def test_spare_land_in_the_site_is_used_first(kg_scenario):
    # 800 of 1,000 units: 2,000 m2 of the 1 ha site are spare; 800 x 3 x 50 / 1,000 = 120 places, 100 to build
    (row,) = _plan(kg_scenario, _alloc(800)).itertuples()
    assert (row.needed, row.absorbed, row.to_build, row.land_m2) == (120, 20, 100, 1200)
    assert (row.placement, row.host) == ("in site", "P4")


def test_land_budget_forces_facilities_into_the_housing(kg_scenario):
    # the housing used the whole 1 ha budget: the 1,560 m2 displace housing at 1,000 units/ha -> 156 units
    (row,) = _plan(kg_scenario, _alloc(1000), land_budget_ha=1.0).itertuples()
    assert (row.placement, row.host, row.units_displaced) == ("in site, displacing housing", "P4", 156)


@pytest.mark.parametrize("budget_ha", [1.0, 1.1, 1.2, 1.5, 3.0])
def test_land_budget_is_never_exceeded(kg_scenario, budget_ha):
    spec = FacilitiesSpec(layer="kg", capacity_field="places", load_field="taken", workers_threshold=500, site_m2=5000)
    plan = _plan(kg_scenario, _alloc(1000), spec=spec, land_budget_ha=budget_ha)
    outside = plan.loc[plan["placement"] == "nearby parcel", "land_m2"].sum()
    assert 1.0 + outside / 1e4 <= budget_ha + 1e-9
    # and with enough budget everything is placed
    if budget_ha >= 3.0:
        assert not (plan["placement"] == "unplaced").any()


@pytest.mark.parametrize(("threshold", "expected"), [(999, 1), (1000, 1), (1001, 0)])
def test_trade_union_institution_above_the_threshold_only(kg_scenario, threshold, expected):
    # 5,000 m2 spare in P4; the kindergarten takes 500 x 3 x 50 / 1,000 = 75 places x 12 m2 = 900 m2 of it first
    spec = FacilitiesSpec(kinds=["kindergarten"], workers_threshold=threshold, site_m2=4000)
    plan = _plan(kg_scenario, _alloc(500), spec=spec)
    tu = plan[plan["kind"] == "trade_union_institution"]
    assert len(tu) == expected
    if expected:  # next to the zone's housing: in the spare land of its site
        assert (tu["zone"].iloc[0], tu["placement"].iloc[0], tu["host"].iloc[0]) == ("Z1", "in site", "P4")


def test_trade_union_institution_goes_next_to_the_housing_when_the_site_is_full(kg_scenario):
    spec = FacilitiesSpec(kinds=["kindergarten"], workers_threshold=500, site_m2=4101)  # 4,100 m2 left in P4
    plan = _plan(kg_scenario, _alloc(500), spec=spec)
    tu = plan[plan["kind"] == "trade_union_institution"].iloc[0]
    assert (tu["placement"], tu["host"], tu["distance_m"]) == ("nearby parcel", "P1", 0)


def test_per_site_kinds_need_one_site_unless_one_is_near(kg_scenario):
    spec = FacilitiesSpec(kinds=["health_station", "market"], trade_union=False)
    plan = _plan(kg_scenario, _alloc(500), spec=spec).set_index("kind")
    # no facility layer: each kind needs one site of its norm's minimum (500 m2, 1,500 m2)
    assert plan.loc["health_station", "land_m2"] == 500 and plan.loc["market", "land_m2"] == 1500
    assert (plan["placement"] == "in site").all()


def test_bad_facility_settings_are_input_errors(kg_scenario):
    with pytest.raises(InputError, match=r"layer 'kg' has no field 'beds'"):
        _plan(kg_scenario, _alloc(500), spec=FacilitiesSpec(layer="kg", capacity_field="beds"))
    with pytest.raises(InputError, match="not a layer"):
        _plan(kg_scenario, _alloc(500), spec=FacilitiesSpec(layer="clinics"))
    with pytest.raises(InputError, match="not in the rule pack"):
        _plan(kg_scenario, _alloc(500), spec=FacilitiesSpec(kinds=["zoo"]))


def test_site_demand_rounds_up_to_whole_places():
    units = pd.Series([1000, 1, 0])
    assert site_demand(units, persons_per_unit=3, places_per_1000=50).tolist() == [150, 1, 0]


def _brute_force(sites, demand, facs, free, radius):
    n = len(sites)
    supply = np.zeros(n)
    for j, f in enumerate(facs):
        near = [i for i, s in enumerate(sites) if shapely.distance(s, f) <= radius]
        total = sum(demand[i] for i in near)
        for i in near:
            supply[i] += free[j] * demand[i] / total if total > 0 else 0.0
    return np.floor(np.minimum(demand, supply) + 1e-9)


coords = st.tuples(st.integers(0, 2000), st.integers(0, 2000))


@settings(max_examples=60, deadline=None)
@given(
    sites=st.lists(st.tuples(coords, st.integers(0, 500)), min_size=1, max_size=8),
    facs=st.lists(st.tuples(coords, st.integers(0, 300)), min_size=0, max_size=6),
    radius=st.sampled_from([100.0, 300.0, 1000.0]),
)
def test_two_step_absorption_matches_brute_force(sites, facs, radius):
    site_geoms = gpd.GeoSeries([shapely.Point(*c) for c, _ in sites])
    fac_geoms = gpd.GeoSeries([shapely.Point(*c) for c, _ in facs])
    demand = np.array([d for _, d in sites], dtype=float)
    free = np.array([f for _, f in facs], dtype=float)
    got = two_step_absorption(site_geoms, demand, fac_geoms, free, radius_m=radius)
    np.testing.assert_array_equal(got, _brute_force(list(site_geoms), demand, list(fac_geoms), free, radius))
    assert (got <= demand).all() and (got >= 0).all()
    assert got.sum() <= free.sum() + 1e-9


@pytest.mark.slow
def test_demo_has_a_programme_for_every_housing_site():
    from landplan.datasets import demo_scenario

    result = landplan.compute(demo_scenario(), allocate=True)
    a = result.allocation
    plan = a.facilities
    housing = set(a.parcels.index[a.parcels["units"] > 0].astype(str))
    assert set(plan.loc[plan["kind"] != "trade_union_institution", "site"]) == housing
    assert (plan["to_build"] == plan["needed"] - plan["absorbed"]).all()
    built = plan[plan["to_build"] > 0]
    assert (built["land_m2"] > 0).all() and math.isclose(plan["land_m2"].sum(), built["land_m2"].sum())
    # the demo's three largest zones (> 10,000 workers) each get one trade-union institution row
    big = a.zones.index[a.zones["workers"] >= 10_000].astype(str)
    assert sorted(plan.loc[plan["kind"] == "trade_union_institution", "zone"]) == sorted(big)


def test_programme_is_deterministic_and_leaves_the_allocation_alone(kg_scenario):
    alloc = _alloc(1000)
    before = alloc.parcels.copy()
    spec = FacilitiesSpec(layer="kg", capacity_field="places", load_field="taken", workers_threshold=500, site_m2=5000)
    first, second = _plan(kg_scenario, alloc, spec=spec), _plan(kg_scenario, alloc, spec=spec)
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(alloc.parcels, before)
    # every kind of the rule pack, plus one trade-union institution
    assert sorted(first["kind"]) == sorted(
        [
            "cultural_house",
            "health_station",
            "kindergarten",
            "market",
            "primary_school",
            "secondary_school",
            "sports_ground",
            "trade_union_institution",
        ]
    )


def test_scenario_end_to_end_writes_the_programme(kg_scenario, tmp_path):
    # the grid's allocation puts 100 units on each of P1, P4, P7 (see test_allocate); with 3 persons per unit
    # each needs 100 x 3 x 50 / 1,000 = 15 kindergarten places; K1 (20 free, in P4) is within 300 m of all three
    # and shares its places in proportion to demand: 20 / 3 = 6.67 each, 6 whole places absorbed
    text = kg_scenario.read_text() + (
        '\n[allocation.facilities]\nlayer = "kg"\ncapacity_field = "places"\nload_field = "taken"\n'
        'kinds = ["kindergarten"]\ntrade_union = false\n'
    )
    kg_scenario.write_text(text)
    out = tmp_path / "programme.csv"
    result = landplan.produce(kg_scenario, {"facility_programme": out})
    plan = result.allocation.facilities
    assert sorted(plan["site"]) == ["P1", "P4", "P7"]
    assert (plan["needed"] == 15).all() and (plan["absorbed"] == 6).all() and (plan["to_build"] == 9).all()
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert list(written.columns[:8]) == ["site", "zone", "kind", "unit", "needed", "absorbed", "to_build", "land_m2"]
    assert written["land_m2"].tolist() == [108.0, 108.0, 108.0]


def test_facility_layer_errors_come_before_the_solve(kg_scenario):
    kg_scenario.write_text(kg_scenario.read_text() + '\n[allocation.facilities]\nlayer = "kg"\nload_field = "pupils"\n')
    with pytest.raises(InputError, match=r"layer 'kg' has no field 'pupils'"):
        landplan.compute(kg_scenario, allocate=True)


def test_report_section_counts_only_placed_land_and_escapes_text():
    from landplan.outputs.i18n import translator
    from landplan.outputs.report_tables import facilities_table

    plan = pd.DataFrame(
        {
            "site": ["<b>P1</b>", ""],
            "zone": ["Z1", "Z1"],
            "kind": ["kindergarten", "trade_union_institution"],
            "unit": ["places", "sites"],
            "needed": [150.0, 1.0],
            "absorbed": [20.0, 0.0],
            "to_build": [130.0, 1.0],
            "land_m2": [1560.0, 30000.0],
            "placement": ["nearby parcel", "unplaced"],
            "host": ["P2", ""],
            "distance_m": [0.0, np.nan],
            "units_displaced": [0.0, 0.0],
            "norm": ["n", "n"],
            "verified": [True, False],
        }
    )
    alloc = Allocation(pd.DataFrame(), pd.DataFrame(), "given", "", 0.0, None, 0.0, 0, facilities=plan)
    html = facilities_table(alloc, translator("en"))
    assert "<b>P1</b>" not in html and "&lt;b&gt;P1&lt;/b&gt;" in html
    totals = html.split('class="facilities"')[0]
    rows = {r.split("</td>")[0]: r for r in totals.split("<tr><td>")[1:]}
    # kind | needed | absorbed | to build | land reserved | displaced | unplaced
    assert '<td class="num">1,560</td><td class="num">0</td><td class="num">0</td>' in rows["kindergarten"]
    assert '<td class="num">0</td><td class="num">0</td><td class="num">1</td>' in rows["trade-union institution"]


def test_existing_residents_compete_for_the_free_places(kg_scenario):
    # 1,000 existing residents in P4 need 50 kindergarten places; the new site needs 150; K1's 100 places
    # (its load now comes from the residents, not an attribute) are shared 150:50 -> 75 absorbed, 75 to build
    people = gpd.GeoDataFrame({"pid": ["H1"], "population": [1000]}, geometry=[pt(140, 140)], crs=CRS)
    people.to_file(kg_scenario.parent / "people.gpkg", engine="pyogrio")
    text = kg_scenario.read_text().replace(
        "[demand]", '[layers.people]\npath = "people.gpkg"\nid_field = "pid"\n\n[demand]'
    )
    kg_scenario.write_text(text)
    spec = FacilitiesSpec(
        layer="kg", capacity_field="places", population_layer="people", kinds=["kindergarten"], trade_union=False
    )
    (row,) = _plan(kg_scenario, _alloc(1000), spec=spec).itertuples()
    assert (row.needed, row.absorbed, row.to_build) == (150, 75, 75)
    with pytest.raises(InputError, match="counted twice"):
        _plan(kg_scenario, _alloc(1000), spec=spec.model_copy(update={"load_field": "taken"}))
    with pytest.raises(InputError, match="population_field"):
        _plan(kg_scenario, _alloc(1000), spec=spec.model_copy(update={"population_field": "pop"}))
