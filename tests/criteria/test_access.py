"""landplan.criteria.access: gravity access to jobs and land within reach of zones."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely

from conftest import CRS, X0, Y0, pt, rank
from criteria.test_distance_frontier import geometry
from landplan.criteria import gravity_access, zone_land_access
from landplan.criteria.access import _distance_blocks
from landplan.errors import InputError


@pytest.fixture
def two_zones():
    # parcel P0 = box(0..100, 0..100); Z1 1,000 m west of it, Z2 2,000 m east
    return gpd.GeoDataFrame(
        {"workers": [1000, 3000]}, geometry=[pt(-1000, 50), pt(2100, 50)], crs=CRS, index=["Z1", "Z2"]
    )


def test_gravity_access_by_hand(grid, two_zones):
    p0 = grid.loc[["P0"]]
    w = two_zones["workers"]
    exp = gravity_access(p0, two_zones, workers=w, decay="exponential", scale_m=1000)
    assert exp["P0"] == pytest.approx(1000 * math.exp(-1) + 3000 * math.exp(-2))
    gauss = gravity_access(p0, two_zones, workers=w, decay="gaussian", scale_m=1000)
    assert gauss["P0"] == pytest.approx(1000 * math.exp(-0.5) + 3000 * math.exp(-2))
    cum = gravity_access(p0, two_zones, workers=w, decay="cumulative", scale_m=1500)
    assert cum["P0"] == 1000


def test_near_several_large_zones_beats_near_one_small(grid, two_zones):
    zones = gpd.GeoDataFrame(
        {"workers": [500, 5000, 5000]}, geometry=[pt(-300, 50), pt(500, 2500), pt(500, -2500)], crs=CRS
    )
    acc = gravity_access(grid, zones, workers=zones["workers"], decay="exponential", scale_m=3000)
    # P0 is 300 m from a small zone; P2 is 500 m farther from it but closer to the two large ones
    assert acc["P2"] > acc["P0"]
    single = gravity_access(
        grid, zones.iloc[[0]], workers=zones["workers"].iloc[[0]], decay="exponential", scale_m=3000
    )
    assert single.idxmax() in {"P0", "P3", "P6"}


def test_access_errors(grid, two_zones):
    with pytest.raises(InputError, match="worker count"):
        gravity_access(grid, two_zones, workers=pd.Series([1.0, np.nan], index=two_zones.index), scale_m=1000)
    with pytest.raises(InputError, match="unknown decay"):
        gravity_access(grid, two_zones, workers=two_zones["workers"], decay="linear", scale_m=1000)


def test_zone_land_access(grid, two_zones):
    eligible = pd.Series(grid.index.isin(["P0", "P8"]), index=grid.index)
    table = zone_land_access(two_zones, grid, eligible=eligible, within_m=1500, workers=two_zones["workers"])
    assert table.loc["Z1", "nearest_eligible_m"] == 1000
    assert table.loc["Z2", "nearest_eligible_m"] == pytest.approx(math.hypot(1800, 150))
    # within 1,500 m of Z1: P0 (1,000 m) and P8 (sqrt(1200^2 + 150^2) = 1,209 m)
    assert table.loc["Z1", "eligible_parcels_within"] == 2 and table.loc["Z1", "eligible_ha_within"] == 2.0
    assert table.loc["Z2", "eligible_parcels_within"] == 0
    assert table["workers_within"].tolist() == [1000, 0]


def test_access_criterion_in_a_scenario(scenario_dir):
    text = (scenario_dir / "scenario.toml").read_text()
    text += (
        '\n[[criteria]]\nname = "jobs"\nkind = "access"\nlayer = "zones"\ndecay = "exponential"\nscale_m = 1000\n'
        'weight = 1\nvalue = { function = "linear", lower = 0, upper = 1000 }\n'
    )
    (scenario_dir / "scenario.toml").write_text(text)
    ranked = rank(scenario_dir / "scenario.toml")
    # one zone of 1,000 workers; P1 is 150 m away
    assert ranked.loc["P1", "jobs_raw"] == pytest.approx(1000 * math.exp(-0.15))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(
        st.tuples(st.floats(-2000, 6000), st.floats(-2000, 6000), st.floats(1, 900), st.integers(1, 12)),
        min_size=1,
        max_size=6,
    ),
)
def test_gravity_distances_are_shapelys_to_every_zone(seed, zone_specs):
    """Each parcel's terms use shapely.distance to every zone (0 inside), summed in ascending order."""
    rng = np.random.default_rng(seed)
    n = 900
    x, y = X0 + rng.uniform(0, 4000, n), Y0 + rng.uniform(0, 4000, n)
    parcels = gpd.GeoDataFrame(geometry=shapely.box(x, y, x + rng.uniform(5, 120, n), y + 60), crs=CRS)
    zg = [shapely.buffer(shapely.Point(X0 + a, Y0 + b), r, quad_segs=q) for a, b, r, q in zone_specs]
    zones = gpd.GeoDataFrame({"workers": rng.integers(0, 5000, len(zg))}, geometry=zg, crs=CRS)
    got = gravity_access(parcels, zones, workers=zones["workers"], scale_m=1500)
    d = shapely.distance(np.asarray(parcels.geometry.array)[:, None], np.array(zg, dtype=object)[None, :])
    terms = np.exp(-d / 1500) * zones["workers"].to_numpy(dtype=float)[None, :]
    np.testing.assert_array_equal(got.to_numpy(), np.sort(terms, axis=1).sum(axis=1))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(geometry(), min_size=1, max_size=12),
    st.lists(geometry(kinds=("point", "line", "polygon", "multipolygon", "buffer")), min_size=1, max_size=5),
)
def test_both_distance_paths_are_shapelys_bits(parcels, zones):
    """The compiled loop and the GEOS path give shapely.distance's bits on every kind of geometry."""
    pg, zg = np.array(parcels, dtype=object), np.array(zones, dtype=object)
    brute = shapely.distance(pg[:, None], zg[None, :])
    for compiled in (True, False):
        blocks = list(_distance_blocks(pg, zg, compiled=compiled))
        np.testing.assert_array_equal(np.concatenate([d for _, d in blocks]), brute)


def test_compiled_loop_in_blocks_with_empty_zones_and_parcels():
    """Blocks of parcels, a missing zone (NaN) and a missing parcel, the same on both paths."""
    rng = np.random.default_rng(3)
    x, y = X0 + rng.uniform(0, 3000, 500), Y0 + rng.uniform(0, 3000, 500)
    pg = np.asarray(shapely.box(x, y, x + 40, y + 40), dtype=object)
    pg[7] = None
    zg = np.array(
        [shapely.buffer(pt(500, 500), 300), None, shapely.box(X0 + 2000, Y0, X0 + 2600, Y0 + 900)], dtype=object
    )
    with np.errstate(invalid="ignore"):
        brute = shapely.distance(pg[:, None], zg[None, :])
    for compiled in (True, False):
        got = np.concatenate([d for _, d in _distance_blocks(pg, zg, compiled=compiled)])
        assert np.isnan(got[:, 1]).all()
        np.testing.assert_array_equal(np.delete(got, 7, axis=0), np.delete(brute, 7, axis=0))


def test_compiled_loop_is_used_where_it_pays():
    """Before the loop has run in a process only very large studies load it; once loaded, smaller ones use it."""
    from landplan.criteria import _kernels
    from landplan.criteria.access import KERNEL_PAIRS_COLD, KERNEL_PAIRS_WARM, use_compiled

    assert use_compiled(KERNEL_PAIRS_COLD)
    assert not use_compiled(KERNEL_PAIRS_WARM - 1)
    _kernels.warm_up()
    assert _kernels.LOADED
    assert use_compiled(KERNEL_PAIRS_WARM) and KERNEL_PAIRS_WARM < KERNEL_PAIRS_COLD
