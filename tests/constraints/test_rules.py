"""landplan.constraints.rules on the 3x3 grid, checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import geopandas as gpd
import shapely

from conftest import CRS, X0, Y0, box, pt
from landplan.constraints import attribute_filter, combine, exclusion_layer, isolation, min_area
from landplan.errors import InputError


def zones(*geoms, ids=None):
    ids = ids or [f"Z{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame(geometry=list(geoms), crs=CRS, index=pd.Index(ids))


def test_isolation_distance_by_hazard_class(grid):
    # Z0 overlaps P0; Z1 lies 120 m east of the grid (x 420..520)
    z = zones(box(-50, -50, 100, 100), box(420, 0, 100, 100))
    reasons = isolation(
        grid, z, distance_m=pd.Series({"Z0": 50.0, "Z1": 200.0}), zone_label=pd.Series({"Z0": "A", "Z1": "B"})
    )
    assert reasons["P0"] == "inside industrial zone A"
    # P1 is 50 m from Z0 (x=50 edge .. 100): exactly at the distance -> allowed
    assert reasons["P1"] == ""
    # P2 is 120 m from Z1 < 200 m
    assert reasons["P2"] == "within 200 m isolation distance of B (120 m away)"
    # P5 is 120 m from Z1 too (same column), P8 is 120 m (x) and 100 m below? -> Z1 y 0..100, P8 y 200..300
    assert reasons["P5"] == "within 200 m isolation distance of B (120 m away)"
    assert reasons["P8"] == "within 200 m isolation distance of B (156 m away)"
    assert reasons["P4"] == ""
    assert reasons.name == "isolation"


def test_isolation_reports_closest_violating_zone(grid):
    z = zones(pt(-30, 50), pt(-10, 50), ids=["far", "near"])
    reasons = isolation(grid, z, distance_m=pd.Series({"far": 100.0, "near": 100.0}))
    assert reasons["P0"] == "within 100 m isolation distance of near (10 m away)"


def test_isolation_needs_a_distance_for_every_zone(grid):
    with pytest.raises(InputError, match="hazard class"):
        isolation(grid, zones(pt(0, 0), pt(1, 1)), distance_m=pd.Series({"Z0": 10.0}))


def test_min_area(grid):
    small = grid.copy()
    small.loc["P4", "geometry"] = box(100, 100, 50, 50)
    reasons = min_area(small, min_area_m2=5000)
    assert reasons["P4"] == "area 2500 m2 below minimum 5000 m2"
    assert (reasons.drop("P4") == "").all()
    with pytest.raises(ValueError):
        min_area(grid, min_area_m2=0)


def test_attribute_filter(grid):
    r = attribute_filter(grid, "landuse", not_in=["rice_protected", "public"])
    assert r[r != ""].to_dict() == {"P2": "landuse = rice_protected not allowed", "P8": "landuse = public not allowed"}
    r = attribute_filter(grid, "landuse", in_=["vacant"])
    assert set(r[r != ""].index) == {"P2", "P4", "P8"}
    r = attribute_filter(grid, "price", max_value=20)
    assert set(r[r != ""].index) == {"P6", "P7", "P8"}
    assert r["P6"] == "price = 22.0 above maximum 20"
    with pytest.raises(InputError, match="no column 'zoning'"):
        attribute_filter(grid, "zoning", not_in=["x"])


def test_exclusion_layer_polygons_points_and_buffer(grid):
    lake = gpd.GeoDataFrame(geometry=[box(200, 100, 100, 50)], crs=CRS)  # half of P5
    r = exclusion_layer(grid, lake, label="lake")
    assert r["P5"] == "overlaps lake: 50.0 % of area"
    assert (r.drop("P5") == "").all()
    # allow up to 60 % overlap: P5 is kept
    assert (exclusion_layer(grid, lake, max_overlap_share=0.6) == "").all()
    # a 10 m buffer (x 190..310, y 90..160) also reaches P2 (10 m strip), P4 (10 m strip and a corner)
    # and P1 (a quarter circle around the lake's corner at (200, 100))
    r = exclusion_layer(grid, lake, buffer_m=10, label="lake")
    assert set(r[r != ""].index) == {"P1", "P2", "P4", "P5"}
    assert r["P4"] == "overlaps lake (+10 m): 5.8 % of area"  # 10 x 50 m + a quarter circle
    assert r["P1"] == "overlaps lake (+10 m): 0.8 % of area"
    # a heritage point inside P7 excludes P7 only
    site = gpd.GeoDataFrame(geometry=[pt(150, 250)], crs=CRS)
    r = exclusion_layer(grid, site, label="heritage")
    assert r[r != ""].to_dict() == {"P7": "touches heritage"}


def test_combine_joins_reasons(grid):
    a = pd.Series(["x", "", ""] + [""] * 6, index=grid.index)
    b = pd.Series(["y", "z", ""] + [""] * 6, index=grid.index)
    out = combine([a, b], grid.index)
    assert out.loc["P0", "excluded_by"] == "x; y"
    assert out.loc["P1", "excluded_by"] == "z"
    assert out["eligible"].tolist() == [False, False] + [True] * 7
    empty = combine(pd.DataFrame(index=grid.index), grid.index)
    assert empty["eligible"].all()


def test_line_features_are_supported_by_isolation(grid):
    rail = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0 + 350, Y0), (X0 + 350, Y0 + 300)])], crs=CRS)
    r = isolation(grid, rail, distance_m=pd.Series([60.0], index=rail.index))
    assert set(r[r != ""].index) == {"P2", "P5", "P8"}
