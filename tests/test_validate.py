"""Validation collects every problem in every layer before anything is scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

import landplan
from conftest import CRS, box, pt
from landplan.errors import GeometryRepairedWarning, ValidationError
from landplan.validation import check_layer


def test_check_layer_reports_everything_at_once(grid):
    bad = grid.reset_index()
    bad.loc[1, "parcel_id"] = "P0"  # duplicate id
    bad.loc[2, "geometry"] = None  # null geometry
    bad.loc[3, "geometry"] = shapely.Polygon()  # empty
    bad.loc[4, "geometry"] = pt(0, 0)  # wrong type
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])
    bad.loc[5, "geometry"] = shapely.affinity.translate(bowtie, 580_000, 2_330_000)  # invalid
    with pytest.warns(GeometryRepairedWarning):
        out, findings, repaired = check_layer(
            bad, name="parcels", geometry="polygon", id_field="parcel_id", required=["zoning"]
        )
    text = "\n".join(map(str, findings))
    assert "field 'zoning': missing column" in text
    assert "1 duplicated ids: 'P0'" in text
    assert "2 features with null or empty geometry (parcel_id 'P2', 'P3')" in text
    assert "must hold polygon geometries but 1 features are Point (parcel_id 'P4')" in text
    assert "1 invalid polygons repaired" in text
    assert repaired == 1
    assert out.geometry.iloc[5].is_valid
    assert out.geometry.iloc[5].area == pytest.approx(5000)  # two triangles of the bow-tie
    assert bad.geometry.iloc[5].is_valid is False  # input untouched


def test_empty_layer(grid):
    _, findings, _ = check_layer(grid.iloc[:0], name="parcels", geometry="polygon")
    assert [f.message for f in findings] == ["the layer is empty"]


def test_scenario_validation_lists_problems_of_all_layers(scenario_dir):
    parcels = gpd.read_file(scenario_dir / "parcels.gpkg")
    parcels.loc[1, "parcel_id"] = "P0"
    parcels.to_file(scenario_dir / "parcels.gpkg", layer="parcels")
    zones = gpd.read_file(scenario_dir / "zones.geojson")
    zones["hazard"] = "VII"
    zones.to_file(scenario_dir / "zones.geojson")
    text = (scenario_dir / "scenario.toml").read_text().replace('field = "price"', 'field = "prize"')
    (scenario_dir / "scenario.toml").write_text(text)

    report = landplan.validate(scenario_dir / "scenario.toml")
    assert not report.ok
    messages = report.to_text()
    assert "duplicated ids: 'P0'" in messages
    assert "field 'prize': missing column" in messages
    assert "hazard classes ['VII'] are not in rule pack 'vn'" in messages
    assert str(scenario_dir / "parcels.gpkg") in messages
    with pytest.raises(ValidationError, match="1 of 3 problems"):
        landplan.load_study(scenario_dir / "scenario.toml")


def test_point_zones_get_disc_footprints(scenario_dir):
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["KCN"], "hazard": ["IV"], "workers": [5], "area_ha": [3.14159265]},
        geometry=[pt(-200, 150)],
        crs=CRS,
    )
    zones.to_file(scenario_dir / "zones.geojson")
    text = (
        (scenario_dir / "scenario.toml")
        .read_text()
        .replace('workers_field = "workers"', 'workers_field = "workers"\narea_ha_field = "area_ha"')
    )
    (scenario_dir / "scenario.toml").write_text(text)
    study = landplan.load_study(scenario_dir / "scenario.toml")
    z = study.layer("zones")
    assert z.geometry.iloc[0].area == pytest.approx(31_415.9, rel=1e-3)  # 3.14 ha disc, radius 100 m
    assert z["footprint"].iloc[0].startswith("derived")
    assert z["isolation_m"].iloc[0] == 100


def test_point_zones_without_area_are_reported(scenario_dir):
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["KCN"], "hazard": ["IV"], "workers": [5]}, geometry=[pt(-200, 150)], crs=CRS
    )
    zones.to_file(scenario_dir / "zones.geojson")
    report = landplan.validate(scenario_dir / "scenario.toml")
    assert "zones are points; a footprint needs their area" in report.to_text()


def test_reprojection_happens_once_to_the_working_crs(scenario_dir):
    study = landplan.load_study(scenario_dir / "scenario.toml")
    assert all(f.crs.equals(CRS) for f in [study.parcels, study.zones, *study.features.values()])
    # facilities were stored in EPSG:4326: they come back in metres near their true place
    fac = study.layer("facilities").set_index("fac_id")
    assert fac.geometry["F1"].distance(pt(50, 50)) < 0.01
    assert list(study.parcels.index) == [f"P{i}" for i in range(9)]
    assert isinstance(study.parcels.index, pd.Index) and study.parcels.index.name == "parcel_id"


def test_estimated_utm_when_no_crs_given(scenario_dir):
    text = (scenario_dir / "scenario.toml").read_text().replace('crs = "EPSG:32648"\n', "")
    (scenario_dir / "scenario.toml").write_text(text)
    study = landplan.load_study(scenario_dir / "scenario.toml")
    assert study.crs.to_epsg() == 32648


def test_geographic_scenario_crs_is_refused(scenario_dir):
    text = (scenario_dir / "scenario.toml").read_text().replace('crs = "EPSG:32648"', 'crs = "EPSG:4326"')
    (scenario_dir / "scenario.toml").write_text(text)
    report = landplan.validate(scenario_dir / "scenario.toml")
    assert "is not projected" in report.to_text()


def test_repaired_geometries_are_counted_in_report(scenario_dir):
    parcels = gpd.read_file(scenario_dir / "parcels.gpkg")
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])
    parcels.loc[4, "geometry"] = shapely.affinity.translate(bowtie, 580_100, 2_330_100)
    parcels.to_file(scenario_dir / "parcels.gpkg", layer="parcels")
    with pytest.warns(GeometryRepairedWarning):
        study = landplan.load_study(scenario_dir / "scenario.toml")
    assert study.report.repaired == {"parcels": 1}
    assert study.parcels.geometry["P4"].is_valid
    assert box(0, 0).is_valid


def test_zone_outlines_are_refused_with_the_polygonize_fix(grid):
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1", "Z2", "Z3"]},
        geometry=[shapely.LineString(box(0, 0, 300, 300).exterior.coords), box(500, 0), pt(900, 0)],
        crs=CRS,
    )
    _, findings, _ = check_layer(zones, name="zones", geometry="polygon_or_point", id_field="zone_id")
    assert len(findings) == 1
    text = str(findings[0])
    assert "1 features are LineString (zone_id 'Z1')" in text
    assert "shapely.polygonize" in text and "Lines to Polygons" in text


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_blank_ids_are_named(grid, blank):
    bad = grid.reset_index()
    bad.loc[3, "parcel_id"] = blank
    _, findings, _ = check_layer(bad, name="parcels", geometry="polygon", id_field="parcel_id")
    assert [f.field for f in findings] == ["parcel_id"]
    assert f"1 features have a blank id ({blank!r}; feature rows 3" in findings[0].message


def test_nan_coordinates_are_an_error_naming_the_feature():
    fac = gpd.GeoDataFrame(
        {"fac_id": ["F1", "F2"]}, geometry=[pt(0, 0), shapely.Point(float("nan"), float("nan"))], crs=CRS
    )
    _, findings, _ = check_layer(fac, name="facilities", id_field="fac_id", drop_null_geometries=True)
    assert [f.level for f in findings] == ["error"]
    assert "1 features have NaN or infinite coordinates (fac_id 'F2')" in findings[0].message


# ------------------------------------------------------------------ working CRS and stray features


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
