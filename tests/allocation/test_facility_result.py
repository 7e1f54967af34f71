"""Where the facility programme's land lies and what the existing facilities have left (issue 16 outputs).

The grid (see conftest): 100 m cells P0..P8, P4 in the middle; zone Z1 west of the grid. A housing
site of 1,000 units on P4 (3 persons per unit: 150 kindergarten places) is given by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely

import landplan
from conftest import CRS, pt
from landplan.allocation.facilities import facility_plan, two_step_absorption, two_step_flows
from landplan.config import FacilitiesSpec
from landplan.model import Allocation


@pytest.fixture
def kg2_scenario(alloc_scenario):
    """3 persons per unit; K1 in P4 (100 places, 80 taken), K2 far east (60 places, 10 taken), K3 in P4 full.

    H1, a health station in P8 (its staff are not places: health stations count in sites).
    """
    d = alloc_scenario.parent
    kg = gpd.GeoDataFrame(
        {
            "kg_id": ["K1", "K2", "K3", "H1"],
            "kind": ["kindergarten"] * 3 + ["health_station"],
            "label": ["Hoa Mai", "Far away", "<img src=x onerror=alert(1)>", "Tram y te"],
            "places": [100, 60, 40, 5],
            "taken": [80, 10, 40, 5],
        },
        geometry=[pt(150, 150), pt(3000, 150), pt(180, 110), pt(250, 250)],
        crs=CRS,
    )
    kg.to_file(d / "kg.gpkg", engine="pyogrio")
    text = alloc_scenario.read_text().replace("persons_per_unit = 1.0", "persons_per_unit = 3.0")
    layer = '[layers.kg]\npath = "kg.gpkg"\nid_field = "kg_id"\nname_field = "label"\n\n[demand]'
    alloc_scenario.write_text(text.replace("[demand]", layer))
    return alloc_scenario


def _alloc(units: float) -> Allocation:
    parcels = pd.DataFrame(
        {
            "zone": ["Z1"],
            "units": [units],
            "capacity_units": [1000.0],
            "area_ha": [1.0],
            "score": [0.8],
            "commute_m": [150.0],
        },
        index=pd.Index(["P4"], name="parcel_id"),
    )
    zones = pd.DataFrame({"workers": [1000.0], "land_ha": [1.0]}, index=pd.Index(["Z1"], name="zone_id"))
    return Allocation(parcels, zones, method="given", status="", objective=0.0, gap=None, seconds=0.0, pairs=1)


SPEC = FacilitiesSpec(
    layer="kg", capacity_field="places", load_field="taken", kinds=["kindergarten"], trade_union=False
)


@pytest.fixture
def kg2_allocated(kg2_scenario):
    """The kg2 study, its scores and an allocation of 1,000 units on P4 with its facility programme (map tests)."""
    from dataclasses import replace

    from landplan.allocation import allocate

    study = landplan.load_study(kg2_scenario)
    scores = landplan.score(study)
    alloc = replace(allocate(study, scores), parcels=_alloc(1000.0).parcels)
    plan = facility_plan(study, scores, alloc, spec=SPEC, reach_m=1000)
    alloc = replace(alloc, facilities=plan.programme, facility_land=plan.land, facility_existing=plan.existing)
    return study, scores, alloc


def _plan(scenario, units=1000.0, spec=SPEC):
    study = landplan.load_study(scenario)
    return study, facility_plan(study, landplan.score(study), _alloc(units), spec=spec, reach_m=1000)


def test_existing_kindergartens_after_the_allocation_by_hand(kg2_scenario):
    # 150 places needed; K1 has 20 free and K3 none within 300 m of P4: 20 absorbed, all from K1;
    # K2 (3 km away) serves no site and keeps its 50 free places
    _, plan = _plan(kg2_scenario)
    ex = plan.existing
    assert list(ex.index) == ["K1", "K2", "K3"] and (ex["kind"] == "kindergarten").all()
    assert ex.loc["K1", ["name", "capacity", "load", "absorbed", "free", "sites_served"]].tolist() == [
        "Hoa Mai",
        100,
        80,
        20,
        0,
        1,
    ]
    assert ex.loc["K2", ["capacity", "load", "absorbed", "free", "sites_served"]].tolist() == [60, 10, 0, 50, 0]
    assert ex.loc["K3", "name"] == "<img src=x onerror=alert(1)>"  # kept as written; the map escapes it
    assert ex.loc["K3", ["capacity", "load", "absorbed", "free", "sites_served"]].tolist() == [40, 40, 0, 0, 0]
    (row,) = plan.programme.itertuples()
    assert (row.needed, row.absorbed, row.to_build) == (150, 20, 130)


def test_reserved_land_lies_in_its_host_parcel(kg2_scenario):
    # 130 places x 12 m2 = 1,560 m2 on P1 (P4 is full of housing): one point inside P1
    study, plan = _plan(kg2_scenario)
    land = plan.land
    assert list(land.index) == [0] and land.crs == study.crs
    assert land.iloc[0][["kind", "site", "host", "placement", "land_m2"]].tolist() == [
        "kindergarten",
        "P4",
        "P1",
        "nearby parcel",
        1560,
    ]
    assert study.parcels.geometry.loc["P1"].contains(land.geometry.iloc[0])


def test_land_inside_the_site_and_on_a_nearby_parcel(kg2_scenario):
    # 800 units: 120 places, 20 absorbed, 100 x 12 = 1,200 m2 in the site's 2,000 m2 spare land (smallest
    # first); the market's 1,500 m2 site (no market layer) no longer fits there and goes to P1
    spec = SPEC.model_copy(update={"kinds": ["kindergarten", "market"]})
    study, plan = _plan(kg2_scenario, 800.0, spec)
    land = plan.land.set_index("kind")
    assert land.loc["kindergarten", ["host", "placement", "land_m2"]].tolist() == ["P4", "in site", 1200]
    assert land.loc["market", ["host", "placement", "land_m2"]].tolist() == ["P1", "nearby parcel", 1500]
    assert study.parcels.geometry.loc["P4"].contains(land.geometry["kindergarten"])
    assert plan.programme.loc[plan.land.index, "kind"].tolist() == plan.land["kind"].tolist()
    markets = plan.existing[plan.existing["kind"] == "market"]
    assert markets.empty


def test_a_health_station_nearby_serves_the_site(kg2_scenario):
    # health stations are counted in sites: H1 lies within 1,000 m of P4, so nothing is to be built
    spec = SPEC.model_copy(update={"kinds": ["health_station"]})
    _, plan = _plan(kg2_scenario, 1000.0, spec)
    (row,) = plan.programme.itertuples()
    assert (row.kind, row.needed, row.absorbed, row.to_build, row.land_m2) == ("health_station", 1, 1, 0, 0)
    assert plan.land.empty
    h1 = plan.existing.loc["H1"]
    assert h1["sites_served"] == 1 and np.isnan(h1[["capacity", "load", "absorbed", "free"]].astype(float)).all()


coords = st.tuples(st.integers(0, 2000), st.integers(0, 2000))


@settings(max_examples=60, deadline=None)
@given(
    sites=st.lists(st.tuples(coords, st.integers(0, 500)), min_size=1, max_size=8),
    facs=st.lists(st.tuples(coords, st.integers(0, 300)), min_size=0, max_size=6),
    radius=st.sampled_from([100.0, 300.0, 1000.0]),
)
def test_places_taken_from_facilities_add_up(sites, facs, radius):
    site_geoms = gpd.GeoSeries([shapely.Point(*c) for c, _ in sites])
    fac_geoms = gpd.GeoSeries([shapely.Point(*c) for c, _ in facs])
    demand = np.array([d for _, d in sites], dtype=float)
    free = np.array([f for _, f in facs], dtype=float)
    absorbed, si, fj, taken = two_step_flows(site_geoms, demand, fac_geoms, free, radius_m=radius)
    np.testing.assert_array_equal(absorbed, two_step_absorption(site_geoms, demand, fac_geoms, free, radius_m=radius))
    # what each site takes from the facilities is what it absorbs; no facility gives more than it has free
    np.testing.assert_allclose(np.bincount(si, weights=taken, minlength=len(sites)), absorbed, atol=1e-9)
    assert (np.bincount(fj, weights=taken, minlength=len(facs)) <= free + 1e-9).all()
    assert (taken >= 0).all()
