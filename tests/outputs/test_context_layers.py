"""Context layers of the offline map: one feature a kind, roads joined into the fewest lines."""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Polygon, box

from landplan.outputs.webmap.context import _one_feature


def test_touching_road_segments_become_one_line():
    segments = [LineString([(0, 0), (1, 0)]), LineString([(1, 0), (2, 0)]), LineString([(2, 0), (2, 1)])]
    far = LineString([(10, 10), (11, 10)])
    gdf = gpd.GeoDataFrame(geometry=[*segments, far], crs=4326)
    one = _one_feature(gdf, "roads")
    assert len(one) == 1
    lines = shapely.get_parts(one.geometry.iloc[0])
    assert sorted(shapely.get_num_coordinates(lines)) == [2, 4]  # the chain of 3 segments, the far one
    assert shapely.length(one.geometry.iloc[0]) == 4.0  # nothing lost


def test_polygons_are_collected_not_dissolved():
    districts = [box(0, 0, 1, 1), box(1, 0, 2, 1), Polygon([(5, 5), (6, 5), (6, 6)])]
    one = _one_feature(gpd.GeoDataFrame(geometry=districts, crs=4326), "boundaries")
    geom = one.geometry.iloc[0]
    assert len(one) == 1 and geom.geom_type == "GeometryCollection"
    assert shapely.get_num_geometries(geom) == 3  # the shared border of the two districts stays drawn
    assert geom.area == 2.5


def test_reach_outlines_lose_only_their_small_holes():
    from landplan.outputs.webmap.isochrones import fill_small_holes

    block = box(100, 100, 200, 200)  # 1 ha: a street block, filled
    lake = box(500, 500, 1500, 1500)  # 100 ha: kept
    outline = box(0, 0, 2000, 2000).difference(block).difference(lake)
    island = box(5000, 0, 5300, 300).difference(box(5100, 100, 5200, 200))
    got = fill_small_holes(gpd.GeoSeries([outline, island], index=["a", "b"], crs=32648), max_area_m2=500_000)
    assert list(got.index) == ["a", "b"] and got.crs == 32648
    assert got["a"].area == 4_000_000 - 1_000_000  # only the lake is still a hole
    assert got["b"].area == 300 * 300
    assert shapely.get_num_interior_rings(got["a"]) == 1
