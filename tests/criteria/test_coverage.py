"""landplan.criteria.coverage: the share of a parcel within a service radius."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

import geopandas as gpd
import shapely

from conftest import CRS, X0, Y0, box, feats, layers, pt
from landplan.criteria import coverage_share
from landplan.errors import InputError


def test_coverage_by_hand(grid):
    # a 50 m circle around the centre of P4 lies inside P4: share = pi * 50^2 / 100^2
    cov = coverage_share(grid, feats(pt(150, 150)), radius_m=50)
    assert cov["P4"] == pytest.approx(math.pi / 4, abs=1e-3)
    assert (cov.drop("P4") == 0).all()
    # a radius of 213 m (> corner distance 212.1 m) covers all nine parcels fully
    assert (coverage_share(grid, feats(pt(150, 150)), radius_m=213) == 1).all()
    # two overlapping circles are not counted twice: same point twice = one circle
    twice = coverage_share(grid, feats(pt(150, 150), pt(150, 150)), radius_m=50)
    assert twice["P4"] == pytest.approx(math.pi / 4, abs=1e-3)


def test_coverage_of_half_plane_line(grid):
    # a line along y = 150 with radius 50 covers the band y 100..200 -> the middle row fully
    line = shapely.LineString([(X0 - 500, Y0 + 150), (X0 + 800, Y0 + 150)])
    cov = coverage_share(grid, feats(line), radius_m=50)
    assert cov[["P3", "P4", "P5"]].tolist() == [1.0, 1.0, 1.0]
    assert cov[["P0", "P1", "P2", "P6", "P7", "P8"]].eq(0).all()


@settings(max_examples=40, deadline=None)
@given(layers())
def test_coverage_matches_brute_force(data):
    parcels, features, radius = data
    cov = coverage_share(parcels, features, radius_m=radius)
    # independent oracle: the exact share lies between the share under inscribed polygons
    # (1 mm from the circle at most: 4x finer than coverage_share) and under the
    # circumscribed ones (same polygons scaled by 1 / cos(pi / 4q))
    q = 1 + int(np.pi / (4 * np.arccos(1 - 0.0005 / radius)))
    outer_r = radius / np.cos(np.pi / (4 * q))
    inner = shapely.union_all([shapely.buffer(f, radius, quad_segs=q) for f in features.geometry])
    outer = shapely.union_all([shapely.buffer(f, outer_r, quad_segs=q) for f in features.geometry])
    for pid, geom in parcels.geometry.items():
        low = shapely.area(shapely.intersection(geom, inner)) / shapely.area(geom)
        high = shapely.area(shapely.intersection(geom, outer)) / shapely.area(geom)
        assert low - 0.005 <= cov[pid] <= high + 1e-9  # parcels here are >= 25 m2
    assert cov.between(0, 1).all()


def test_coverage_handles_many_overlapping_facilities():
    rng = np.random.default_rng(7)
    parcels = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000), box(2000, 0, 50, 50)], crs=CRS)
    pts = feats(*[pt(x, y) for x, y in rng.uniform(0, 1000, size=(300, 2))])
    cov = coverage_share(parcels, pts, radius_m=60)
    union = shapely.union_all(shapely.buffer(np.asarray(pts.geometry.array), 60, quad_segs=64))
    expected = shapely.area(shapely.intersection(parcels.geometry.iloc[0], union)) / 1e6
    assert cov.iloc[0] == pytest.approx(expected, abs=0.005)
    assert cov.iloc[1] == 0


@pytest.mark.parametrize("radius", [math.inf, math.nan, -1.0, 0.0, "100", True])
def test_coverage_refuses_bad_radius(grid, radius):
    with pytest.raises(InputError, match="radius_m must be"):
        coverage_share(grid, feats(pt(0, 0)), radius_m=radius)


def test_quad_segs_meet_the_sagitta_bound():
    from landplan.criteria.coverage import SAGITTA_TOL_M, quad_segs_for

    for r in (1.0, 50.0, 510.0, 3000.0, 20_000.0):
        q = quad_segs_for(r)
        assert r * (1 - math.cos(math.pi / (4 * q))) <= SAGITTA_TOL_M
        assert r * (1 - math.cos(math.pi / (4 * (q - 1)))) > SAGITTA_TOL_M or q == 8  # the smallest such q


def test_small_parcel_at_a_service_area_edge_is_within_0_005():
    """The issue's case: a 5 m parcel across a 510 m buffer edge (0.618 with 32 segments per quarter)."""
    centre = pt(0, 0)
    cells = [box(510 * math.cos(a) - 2.5, 510 * math.sin(a) - 2.5, 5, 5) for a in np.linspace(0, math.pi / 2, 41)]
    parcels = gpd.GeoDataFrame(geometry=cells, crs=CRS)
    cov = coverage_share(parcels, feats(centre), radius_m=510)
    disc = shapely.Point(centre).buffer(510, quad_segs=4096)  # 0.1 mm from the circle
    exact = np.array([shapely.area(shapely.intersection(c, disc)) / 25 for c in cells])
    assert np.abs(cov.to_numpy() - exact).max() < 0.001


def test_covered_share_across_blocks_of_prepared_covers_matches_brute_force():
    # more covers than one prepared block (2,000), so pairs from several blocks meet in one parcel
    from landplan.criteria.coverage import _PREPARED_BLOCK, covered_share

    rng = np.random.default_rng(8)
    k = _PREPARED_BLOCK * 2 + 300
    xy = rng.uniform(0, 2000, (k, 2))
    covers = shapely.buffer(shapely.points(xy), rng.uniform(5, 40, k), quad_segs=4)
    pxy = rng.uniform(0, 1900, (200, 2))
    parcels = shapely.box(pxy[:, 0], pxy[:, 1], pxy[:, 0] + 100, pxy[:, 1] + 60)
    got = covered_share(parcels, covers)
    union = shapely.union_all(covers)
    expected = shapely.area(shapely.intersection(parcels, union)) / shapely.area(parcels)
    assert ((got > 0) & (got < 1)).sum() > 100  # most parcels are partly covered
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
