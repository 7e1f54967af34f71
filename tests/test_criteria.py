"""Criteria against hand-computed values and brute-force shapely computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely

from conftest import CRS, X0, Y0, box, pt
from landplan.criteria import attribute, count_within, coverage_share, nearest_distance, parcel_area
from landplan.errors import CRSError, InputError


def feats(*geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(geoms), crs=CRS)


# ------------------------------------------------------------------ by hand


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


def test_attribute_and_area(grid):
    assert attribute(grid, "price")["P3"] == 16
    assert parcel_area(grid).eq(10_000).all()
    with pytest.raises(InputError, match="no column 'nope'"):
        attribute(grid, "nope")
    with pytest.raises(InputError, match="not numeric"):
        attribute(grid, "landuse")


def test_crs_mismatch_and_geographic_are_refused(grid):
    with pytest.raises(CRSError, match="different CRSs"):
        nearest_distance(grid, feats(pt(0, 0)).to_crs(4326))
    with pytest.raises(CRSError, match="geographic"):
        count_within(grid.to_crs(4326), feats(pt(0, 0)).to_crs(4326), radius_m=10)


def test_empty_feature_layer_is_an_error(grid):
    with pytest.raises(InputError, match="empty"):
        coverage_share(grid, feats()[:0], radius_m=10)


# ------------------------------------------------------------------ brute force


coords = st.floats(-500, 1500, allow_nan=False, allow_infinity=False)


@st.composite
def layers(draw):
    n_parcels = draw(st.integers(1, 12))
    parcels = []
    for _ in range(n_parcels):
        x, y = draw(coords), draw(coords)
        w, h = draw(st.floats(5, 400)), draw(st.floats(5, 400))
        parcels.append(shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h))
    n_feats = draw(st.integers(1, 15))
    fs = []
    for _ in range(n_feats):
        x, y = draw(coords), draw(coords)
        if draw(st.booleans()):
            fs.append(shapely.Point(X0 + x, Y0 + y))
        else:
            dx, dy = draw(st.floats(1, 800)), draw(st.floats(-800, 800))  # no zero-length (invalid) lines
            fs.append(shapely.LineString([(X0 + x, Y0 + y), (X0 + x + dx, Y0 + y + dy)]))
    radius = draw(st.floats(1, 800))
    p = gpd.GeoDataFrame(geometry=parcels, crs=CRS, index=pd.Index([f"p{i}" for i in range(n_parcels)]))
    return p, gpd.GeoDataFrame(geometry=fs, crs=CRS), radius


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


# ------------------------------------------------------------------ arguments and accuracy


@pytest.mark.parametrize("radius", [math.inf, math.nan, -1.0, 0.0, "100", True])
def test_coverage_refuses_bad_radius(grid, radius):
    with pytest.raises(InputError, match="radius_m must be"):
        coverage_share(grid, feats(pt(0, 0)), radius_m=radius)


@pytest.mark.parametrize("radius", [math.inf, math.nan, -1.0, "5"])
def test_count_refuses_bad_radius(grid, radius):
    with pytest.raises(InputError, match="radius_m must be"):
        count_within(grid, feats(pt(0, 0)), radius_m=radius)


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


# ------------------------------------------------------------------ input order does not matter


def _scenario_files(d, perm_p, perm_z, perm_f):
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 3000, (40, 2))
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i:02d}" for i in range(40)], "price": rng.uniform(5, 30, 40).round(2)},
        geometry=[box(x, y, rng.uniform(15, 60), rng.uniform(15, 60)) for x, y in xy],
        crs=CRS,
    )
    zxy = rng.uniform(-2000, 5000, (25, 2))
    zones = gpd.GeoDataFrame(
        {
            "zone_id": [f"Z{i:02d}" for i in range(25)],
            "hazard": ["V"] * 25,
            "workers": rng.integers(100, 40_000, 25),
        },
        geometry=[box(x, y, 50, 50) for x, y in zxy],
        crs=CRS,
    )
    fac = gpd.GeoDataFrame(
        {"fac_id": [f"F{i:02d}" for i in range(30)]},
        geometry=[pt(x, y) for x, y in rng.uniform(0, 3000, (30, 2))],
        crs=CRS,
    )
    parcels.iloc[perm_p].to_file(d / "parcels.gpkg", engine="pyogrio")
    zones.iloc[perm_z].to_file(d / "zones.gpkg", engine="pyogrio")
    fac.iloc[perm_f].to_file(d / "fac.gpkg", engine="pyogrio")
    (d / "s.toml").write_text(
        """
[scenario]
name = "order"
crs = "EPSG:32648"
[layers.parcels]
path = "parcels.gpkg"
id_field = "parcel_id"
[layers.zones]
path = "zones.gpkg"
id_field = "zone_id"
hazard_field = "hazard"
workers_field = "workers"
[layers.fac]
path = "fac.gpkg"
id_field = "fac_id"
[[criteria]]
name = "jobs"
kind = "access"
scale_m = 1500
weight = 3
value = { function = "linear", lower = 0, upper = 50000 }
[[criteria]]
name = "cover"
kind = "coverage"
layer = "fac"
radius_m = 310
weight = 1
value = { function = "identity" }
[[criteria]]
name = "price"
kind = "attribute"
field = "price"
weight = 1
value = { function = "linear", lower = 5, upper = 30, increasing = false }
[[constraints]]
kind = "isolation"
""",
        encoding="utf-8",
    )
    return d / "s.toml"


@settings(max_examples=6, deadline=None)
@given(st.permutations(range(40)), st.permutations(range(25)), st.permutations(range(30)))
def test_ranked_csv_is_byte_identical_whatever_the_input_order(tmp_path_factory, perm_p, perm_z, perm_f):
    from conftest import rank
    from landplan.io import write_table

    outputs = []
    for perms in ((range(40), range(25), range(30)), (perm_p, perm_z, perm_f)):
        d = tmp_path_factory.mktemp("order")
        ranked = rank(_scenario_files(d, *(list(p) for p in perms)))
        write_table(ranked, d / "ranked.csv")
        outputs.append((d / "ranked.csv").read_bytes())
    assert outputs[0] == outputs[1]
