"""landplan.allocation.demand: demand arithmetic, rule-pack defaults and parcel capacity, by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import geopandas as gpd

from conftest import CRS, box, pt
from landplan.allocation.demand import demand_params, estimate_flags, parcel_capacity, study_demand, zone_demand
from landplan.config import DemandSpec, load_rule_pack

PACK = load_rule_pack("vn")


def params(**kw):
    base = {
        "share_needing_housing": 0.8,
        "share_already_housed": 0.25,
        "persons_per_unit": 3.0,
        "gfa_per_unit_m2": 50.0,
        "buildable_share": 0.4,
        "floor_area_ratio": 2.5,
        "workers_per_ha": 100.0,
    }
    return demand_params(DemandSpec(**{**base, **kw}), PACK)


def test_demand_arithmetic_by_hand():
    zones = gpd.GeoDataFrame(
        {"workers": [9000.0, None], "area_ha": [50.0, 20.0]},
        geometry=[box(0, 0, 500, 500), box(5000, 0, 400, 500)],
        crs=CRS,
        index=pd.Index(["A", "B"], name="zone_id"),
    )
    existing = gpd.GeoDataFrame({"units": [300, 50, 999]}, geometry=[pt(600, 100), pt(4900, 0), pt(90_000, 0)], crs=CRS)
    t = zone_demand(
        zones, params(), workers_field="workers", area_ha_field="area_ha", existing=existing, commute_m=10_000
    )
    # A: 9,000 x 0.8 x 0.75 / 3 = 1,800 units gross, 300 existing -> 1,500
    assert t.loc["A", "units_gross"] == pytest.approx(1800)
    assert t.loc["A", "existing_units"] == 300 and t.loc["A", "units_needed"] == pytest.approx(1500)
    assert t.loc["A", "floor_area_m2"] == pytest.approx(75_000)
    # land = 75,000 / (0.4 x 2.5) = 75,000 m2 = 7.5 ha
    assert t.loc["A", "land_needed_ha"] == pytest.approx(7.5)
    # B: no worker count -> 20 ha x 100 / ha = 2,000 workers (estimated); 400 gross - 50 existing
    assert bool(t.loc["B", "workers_estimated"]) and t.loc["B", "workers"] == 2000
    assert t.loc["B", "units_needed"] == pytest.approx(2000 * 0.8 * 0.75 / 3 - 50)
    # the far-away project (90 km) counts for no zone
    assert t["existing_units"].sum() == 350


def test_rule_pack_defaults_carry_their_source():
    p = demand_params(DemandSpec(persons_per_unit=4), PACK)
    assert p.persons_per_unit == 4 and p.sources["persons_per_unit"] == "scenario"
    assert p.share_needing_housing == 0.8 and "other provinces" in p.sources["share_needing_housing"]
    assert p.sources["gfa_per_unit_m2"].endswith("[unverified]")


def test_capacity_by_hand(grid):
    p = params()  # 0.4 x 2.5 / 50 = 0.02 units per m2
    eligible = pd.Series(True, index=grid.index)
    eligible["P3"] = False
    g = grid.copy()
    g.loc["P1", "geometry"] = box(100, 0, 100, 55)  # 5,500 m2 -> 110 units
    g["cap"] = [None, None, 7, None, None, None, None, None, None]
    cap = parcel_capacity(g, p, eligible=eligible, capacity_field="cap")
    assert cap["P0"] == 200 and cap["P1"] == 110
    assert cap["P2"] == 7  # from the capacity column
    assert cap["P3"] == 0  # excluded parcels hold nothing


def test_counts_flagged_as_estimates_are_reported_as_estimated():
    zones = gpd.GeoDataFrame(
        {"workers": [9000.0, 3300.0, 0.0], "wrk_est": [0, 1, None], "area_ha": [50.0, 30.0, 10.0]},
        geometry=[box(0, 0, 500, 500), box(5000, 0, 400, 500), box(9000, 0, 100, 100)],
        crs=CRS,
        index=pd.Index(["A", "B", "C"], name="zone_id"),
    )
    t = zone_demand(
        zones, params(), workers_field="workers", workers_estimated_field="wrk_est", area_ha_field="area_ha"
    )
    assert t["workers_estimated"].tolist() == [False, True, False]
    assert t["workers"].tolist() == [9000.0, 3300.0, 0.0]  # a flagged count is kept, not re-estimated


@pytest.mark.parametrize(
    ("flag", "estimated"),
    [
        ("1", True),
        ("yes", True),
        ("TRUE", True),
        (" x ", True),
        ("0", False),
        ("no", False),
        ("", False),
        (None, False),
    ],
)
def test_estimate_flag_words(flag, estimated):
    assert estimate_flags(pd.Series([flag], dtype="object")).tolist() == [estimated]


def test_demo_zone_table_says_which_counts_are_estimates():
    import landplan
    from landplan import datasets

    study = landplan.load_study(datasets.demo_scenario())
    table, _ = study_demand(study)
    estimated = table.index[table["workers_estimated"]].tolist()
    # public counts: Thăng Long (IZ01), Hòa Lạc (IZ10), Nam Hà Nội (IZ11, not operating)
    assert estimated == ["IZ02", "IZ03", "IZ04", "IZ05", "IZ06", "IZ07", "IZ08", "IZ09"]
