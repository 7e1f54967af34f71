"""landplan.criteria.distance: nearest distance and counts within a radius, by hand and against brute force."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings

import shapely

from conftest import X0, Y0, feats, layers, pt
from landplan.criteria import count_within, coverage_share, nearest_distance
from landplan.errors import CRSError, InputError


def test_nearest_distance_by_hand(grid):
    d = nearest_distance(grid, feats(pt(-50, 50)), name="d")
    assert d.name == "d"
    pd.testing.assert_index_equal(d.index, grid.index)
    assert d["P0"] == 50 and d["P1"] == 150 and d["P2"] == 250
    assert d["P4"] == pytest.approx(math.hypot(150, 50))


def test_nearest_distance_is_zero_when_touching_or_inside(grid):
    d = nearest_distance(grid, feats(pt(150, 150), shapely.LineString([(X0 + 300, Y0), (X0 + 300, Y0 + 300)])))
    assert d["P4"] == 0  # point inside
    assert d["P2"] == 0 and d["P5"] == 0 and d["P8"] == 0  # line on the east edge
    assert d["P0"] == pytest.approx(math.hypot(50, 50))


def test_count_within_by_hand(grid):
    f = feats(pt(50, 50), pt(250, 250))
    c = count_within(grid, f, radius_m=100)
    assert c.to_dict() == {"P0": 1, "P1": 1, "P2": 0, "P3": 1, "P4": 2, "P5": 1, "P6": 0, "P7": 1, "P8": 1}
    assert c.dtype == "int64"
    # the radius is inclusive: P2 is exactly 150 m from both points
    assert count_within(grid, f, radius_m=150)["P2"] == 2


def test_crs_mismatch_and_geographic_are_refused(grid):
    with pytest.raises(CRSError, match="different CRSs"):
        nearest_distance(grid, feats(pt(0, 0)).to_crs(4326))
    with pytest.raises(CRSError, match="geographic"):
        count_within(grid.to_crs(4326), feats(pt(0, 0)).to_crs(4326), radius_m=10)


def test_empty_feature_layer_is_an_error(grid):
    with pytest.raises(InputError, match="empty"):
        coverage_share(grid, feats()[:0], radius_m=10)


@settings(max_examples=60, deadline=None)
@given(layers())
def test_distance_and_count_match_brute_force(data):
    parcels, features, radius = data
    d = nearest_distance(parcels, features)
    c = count_within(parcels, features, radius_m=radius)
    for pid, geom in parcels.geometry.items():
        dists = [shapely.distance(geom, f) for f in features.geometry]
        assert d[pid] == min(dists)
        assert c[pid] == sum(x <= radius for x in dists)


@pytest.mark.parametrize("radius", [math.inf, math.nan, -1.0, "5"])
def test_count_refuses_bad_radius(grid, radius):
    with pytest.raises(InputError, match="radius_m must be"):
        count_within(grid, feats(pt(0, 0)), radius_m=radius)
