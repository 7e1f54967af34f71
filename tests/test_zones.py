"""landplan.zones: zone footprints, outlines and hazard classes."""

from __future__ import annotations

import pytest

import geopandas as gpd
import shapely

import landplan
from conftest import CRS, box, pt
from landplan.validation import check_layer


def test_point_zones_get_disc_footprints(scenario_dir, scenario_factory):
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["KCN"], "hazard": ["IV"], "workers": [5], "area_ha": [3.14159265]},
        geometry=[pt(-200, 150)],
        crs=CRS,
    )
    zones.to_file(scenario_dir / "zones.geojson")
    study = landplan.load_study(scenario_factory(layers={"zones": {"area_ha_field": "area_ha"}}))
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
