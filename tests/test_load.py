"""landplan.load: reading, reprojecting and validating a scenario's layers."""

from __future__ import annotations

import pandas as pd
import pytest

import geopandas as gpd
import shapely

import landplan
from conftest import CRS, box, pt
from landplan.errors import GeometryRepairedWarning, ValidationError


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


def test_reprojection_happens_once_to_the_working_crs(scenario_dir):
    study = landplan.load_study(scenario_dir / "scenario.toml")
    assert all(f.crs.equals(CRS) for f in [study.parcels, study.zones, *study.features.values()])
    # facilities were stored in EPSG:4326: they come back in metres near their true place
    fac = study.layer("facilities").set_index("fac_id")
    assert fac.geometry["F1"].distance(pt(50, 50)) < 0.01
    assert list(study.parcels.index) == [f"P{i}" for i in range(9)]
    assert isinstance(study.parcels.index, pd.Index) and study.parcels.index.name == "parcel_id"


def test_estimated_utm_when_no_crs_given(scenario_factory):
    study = landplan.load_study(scenario_factory(scenario={"crs": None}))
    assert study.crs.to_epsg() == 32648


def test_geographic_scenario_crs_is_refused(scenario_factory):
    report = landplan.validate(scenario_factory(scenario={"crs": "EPSG:4326"}))
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
