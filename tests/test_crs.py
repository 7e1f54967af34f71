"""landplan.crs: the working CRS estimate and feature placement checks."""

from __future__ import annotations

import numpy as np

import geopandas as gpd
import shapely


def test_working_crs_comes_from_the_median_not_the_bbox(grid):
    from landplan.crs import estimate_working_crs

    stray = grid.to_crs(4326)
    stray.loc["P5", "geometry"] = shapely.box(-20, -30, -19.99, -29.99)  # South Atlantic
    assert estimate_working_crs(stray).to_epsg() == 32648
    assert stray.estimate_utm_crs().to_epsg() != 32648  # what the bbox centre gives


def test_placement_problems_name_each_reason(grid):
    import pyproj

    from landplan.crs import placement_problems

    gdf = grid.to_crs(4326)
    gdf.loc["P1", "geometry"] = shapely.Point(0, 0).buffer(1e-4)
    gdf.loc["P2", "geometry"] = shapely.box(1e12, 1e12, 1e12 + 1, 1e12 + 1)
    gdf.loc["P3", "geometry"] = shapely.box(108, 30, 108.001, 30.001)  # ~1,000 km north-east
    p = placement_problems(gdf, working_crs=pyproj.CRS("EPSG:32648"))
    assert list(gdf.index[p.null_island]) == ["P1"]
    assert list(gdf.index[p.impossible]) == ["P2"]
    assert list(gdf.index[p.far]) == ["P3"]
    assert not p.outside_crs.any()
    p = placement_problems(gdf.drop(["P1", "P2", "P3"]), working_crs=pyproj.CRS("EPSG:32631"))
    assert p.outside_crs.all()


def test_a_layer_spread_over_a_region_has_no_outlier():
    from landplan.crs import placement_problems

    rng = np.random.default_rng(5)
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(*rng.uniform([105.3, 20.6], [106.2, 21.4], (200, 2)).T), crs=4326
    )
    p = placement_problems(pts)
    assert not (p.far | p.null_island | p.impossible).any()
