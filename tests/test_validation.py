"""landplan.validation: every problem of a layer reported at once."""

from __future__ import annotations

import pytest

import geopandas as gpd
import shapely

from conftest import CRS, pt
from landplan.errors import GeometryRepairedWarning
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
