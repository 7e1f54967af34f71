"""Reading every format, CRS declaration, Z, swapped coordinates, UTF-8, and atomic writing."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely

from conftest import CRS
from landplan.errors import CRSError, LayerReadError, OutputExistsError
from landplan.io import FORMULA_TRIGGERS, read_layer, write_table

NAMES = ["KCN Thăng Long", "Trạm Y tế xã Quang Minh", "Hòa Lạc"]


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": NAMES, "kind": ["zone", "clinic", "zone"], "n": [1, 2, 3]},
        geometry=[shapely.Point(105.77, 21.13), shapely.Point(105.76, 21.19), shapely.Point(105.52, 21.01)],
        crs=4326,
    )


@pytest.mark.parametrize(
    ("suffix", "driver"),
    [(".shp", "ESRI Shapefile"), (".gpkg", "GPKG"), (".geojson", "GeoJSON"), (".fgb", "FlatGeobuf")],
)
def test_reads_gdal_formats_with_vietnamese_text(tmp_path, points, suffix, driver):
    path = tmp_path / f"pts{suffix}"
    points.to_file(path, driver=driver, engine="pyogrio", encoding="UTF-8" if suffix == ".shp" else None)
    gdf = read_layer(path)
    assert gdf["name"].tolist() == NAMES
    assert gdf.crs.to_epsg() == 4326
    assert gdf.attrs["source"] == str(path)
    filtered = read_layer(path, where="kind = 'zone'")
    assert filtered["name"].tolist() == ["KCN Thăng Long", "Hòa Lạc"]


def test_shapefile_keeps_its_cpg_encoding(tmp_path, points):
    points.to_file(tmp_path / "p.shp", engine="pyogrio", encoding="UTF-8")
    assert (tmp_path / "p.cpg").read_text().strip().upper().replace("-", "") == "UTF8"
    assert read_layer(tmp_path / "p.shp")["name"].tolist() == NAMES


def test_geoparquet_and_csv(tmp_path, points):
    points.to_parquet(tmp_path / "p.parquet")
    assert read_layer(tmp_path / "p.parquet")["name"].tolist() == NAMES
    with pytest.raises(LayerReadError, match="not supported for GeoParquet"):
        read_layer(tmp_path / "p.parquet", where="n > 1")
    table = pd.DataFrame({"name": NAMES, "Longitude": points.geometry.x, "Latitude": points.geometry.y})
    table.to_csv(tmp_path / "p.csv", index=False, encoding="utf-8")
    gdf = read_layer(tmp_path / "p.csv")
    assert gdf.crs.to_epsg() == 4326 and gdf["name"].tolist() == NAMES
    assert gdf.geometry.iloc[0].equals_exact(points.geometry.iloc[0], 1e-9)
    table.rename(columns={"Longitude": "X_COORD", "Latitude": "Y_COORD"}).to_csv(tmp_path / "q.csv", index=False)
    with pytest.raises(LayerReadError, match="no longitude/latitude columns found"):
        read_layer(tmp_path / "q.csv")
    assert len(read_layer(tmp_path / "q.csv", lon_field="X_COORD", lat_field="Y_COORD")) == 3


def test_geopackage_with_several_layers(tmp_path, points):
    path = tmp_path / "multi.gpkg"
    points.to_file(path, layer="zones", engine="pyogrio")
    points.iloc[:1].to_file(path, layer="clinics", engine="pyogrio")
    with pytest.raises(LayerReadError, match=r"has 2 layers .*'zones'.*say which one"):
        read_layer(path)
    assert len(read_layer(path, "clinics")) == 1
    with pytest.raises(LayerReadError, match="layers in this source"):
        read_layer(path, "nope")


def test_kml_with_z_is_read_in_2d_with_a_note(tmp_path, caplog):
    poly = shapely.Polygon([(105.8, 21.0, 5), (105.81, 21.0, 5), (105.81, 21.01, 7), (105.8, 21.0, 5)])
    gpd.GeoDataFrame({"Name": ["Phường Hàng Bạc"]}, geometry=[poly], crs=4326).to_file(
        tmp_path / "w.kml", driver="KML", engine="pyogrio"
    )
    with caplog.at_level(logging.INFO, logger="landplan.io"):
        gdf = read_layer(tmp_path / "w.kml")
    assert not gdf.has_z.any()
    assert gdf["Name"].tolist() == ["Phường Hàng Bạc"]
    assert "dropped Z coordinates from 1 geometries" in caplog.text


def test_missing_crs_says_how_to_declare_one(tmp_path, points):
    points.to_file(tmp_path / "p.shp", engine="pyogrio", encoding="UTF-8")
    (tmp_path / "p.prj").unlink()
    with pytest.raises(CRSError, match=r'no CRS; declare it: .*crs = "EPSG:4326"'):
        read_layer(tmp_path / "p.shp")
    assert read_layer(tmp_path / "p.shp", crs="EPSG:4326").crs.to_epsg() == 4326
    points.to_file(tmp_path / "ok.gpkg", engine="pyogrio")
    with pytest.raises(CRSError, match="file says its CRS is EPSG:4326 but EPSG:32648 was declared"):
        read_layer(tmp_path / "ok.gpkg", crs="EPSG:32648")


def test_swapped_lat_lon_is_reported(tmp_path):
    swapped = gpd.GeoDataFrame(geometry=[shapely.Point(21.13, 105.77), shapely.Point(105.8, 21.0)], crs=4326)
    swapped.to_file(tmp_path / "s.geojson", engine="pyogrio")
    with pytest.raises(LayerReadError, match=r"1 features have coordinates out of range .* look swapped"):
        read_layer(tmp_path / "s.geojson")


def test_3d_geographic_crs_becomes_2d(tmp_path, points):
    pts3d = points.set_geometry(shapely.force_3d(points.geometry.to_numpy(), 10.0), crs="EPSG:4979")
    pts3d.to_file(tmp_path / "s.gpkg", engine="pyogrio")
    gdf = read_layer(tmp_path / "s.gpkg")
    assert not gdf.has_z.any()
    assert len(gdf.crs.axis_info) == 2


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(LayerReadError, match=r"nope\.shp: file not found"):
        read_layer(tmp_path / "nope.shp")
    (tmp_path / "junk.gpkg").write_text("not a geopackage")
    with pytest.raises(LayerReadError, match=r"junk\.gpkg"):
        read_layer(tmp_path / "junk.gpkg")


def test_invalid_where_names_the_filter(tmp_path, points):
    points.to_file(tmp_path / "p.gpkg", engine="pyogrio")
    with pytest.raises(LayerReadError, match="nosuchfield"):
        read_layer(tmp_path / "p.gpkg", where="nosuchfield = 1")


@pytest.fixture
def utm_points(points):
    return points.to_crs(CRS).set_index(pd.Index(["a", "b", "c"], name="pid"))


@pytest.mark.parametrize("fmt", ["csv", "gpkg", "geojson", "parquet"])
def test_write_table_round_trips_text(tmp_path, utm_points, fmt):
    path = write_table(utm_points, tmp_path / f"out.{'csv' if fmt == 'csv' else fmt}", format=fmt)
    if fmt == "csv":
        back = pd.read_csv(path, encoding="utf-8")
        assert {"centroid_lon", "centroid_lat"} <= set(back.columns) and "geometry" not in back.columns
        assert back["centroid_lon"].round(4).tolist() == [105.77, 105.76, 105.52]
    elif fmt == "parquet":
        back = gpd.read_parquet(path)
        assert back.crs.equals(CRS)
    else:
        back = gpd.read_file(path)
        assert back.crs.to_epsg() == (4326 if fmt == "geojson" else 32648)
    assert back["name"].tolist() == NAMES
    assert back["pid"].tolist() == ["a", "b", "c"]


def test_write_table_refuses_overwrite_and_inputs(tmp_path, utm_points):
    out = tmp_path / "o.gpkg"
    out.write_text("precious")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        write_table(utm_points, out)
    assert out.read_text() == "precious"
    write_table(utm_points, out, overwrite=True)
    assert len(gpd.read_file(out)) == 3
    src = tmp_path / "in.shp"
    with pytest.raises(OutputExistsError, match="is an input of this run"):
        write_table(utm_points, tmp_path / "in.shp", inputs=[src], overwrite=True)
    with pytest.raises(OutputExistsError, match="is an input of this run"):
        write_table(utm_points, tmp_path / "in.dbf", format="csv", inputs=[src], overwrite=True)


def test_failed_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, utm_points):
    out = tmp_path / "o.parquet"
    out.write_bytes(b"old")
    bad = utm_points.copy()
    bad["obj"] = [object(), object(), object()]  # pyarrow cannot serialise these
    with pytest.raises(Exception):  # noqa: B017 - the library's own error is fine here
        write_table(bad, out, overwrite=True)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.parquet"]


printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"), blacklist_characters="\x00"),
    min_size=1,
    max_size=30,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(printable, min_size=3, max_size=3))
def test_any_unicode_name_round_trips(tmp_path_factory, names):
    d = tmp_path_factory.mktemp("rt")
    gdf = gpd.GeoDataFrame({"name": names}, geometry=[shapely.Point(580000 + i, 2330000) for i in range(3)], crs=CRS)
    write_table(gdf, d / "o.gpkg")
    assert gpd.read_file(d / "o.gpkg")["name"].tolist() == names
    write_table(gdf, d / "o.csv")
    # CSV text that a spreadsheet would run as a formula gets a leading quote (and only that)
    expected = [f"'{n}" if n.startswith(FORMULA_TRIGGERS) else n for n in names]
    assert (
        pd.read_csv(d / "o.csv", encoding="utf-8", keep_default_na=False, dtype={"name": str})["name"].tolist()
        == expected
    )
