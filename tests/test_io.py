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
from landplan.io import (
    FORMULA_TRIGGERS,
    atomic_path,
    check_output_path,
    clean_stale_temp_files,
    compact_ranges,
    output_folder,
    read_layer,
    spreadsheet_safe,
    write_table,
)

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


# ------------------------------------------------------------------ spreadsheet safety


def test_spreadsheet_safe_quotes_text_only():
    frame = pd.DataFrame(
        {"=name": ["=1+1", "+x", "-y", "@z", "\tq", "\rr", "ok", None], "n": [-1, -2.5, 3, 0, -0.0, 1, 2, 3]},
        index=pd.Index(["-P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7"], name="id"),
    )
    safe = spreadsheet_safe(frame)
    assert safe["'=name"].tolist()[:7] == ["'=1+1", "'+x", "'-y", "'@z", "'\tq", "'\rr", "ok"]
    assert pd.isna(safe["'=name"].iloc[7])
    assert safe.index.tolist()[:2] == ["'-P0", "P1"] and safe.index.name == "id"
    assert safe["n"].tolist() == frame["n"].tolist()  # negative numbers stay numbers
    assert frame.columns.tolist() == ["=name", "n"] and frame.index[0] == "-P0"  # the input is not modified


def test_spreadsheet_safe_returns_the_same_frame_when_nothing_is_risky():
    frame = pd.DataFrame({"a": ["x", "y"], "b": [-1, 2]})
    assert spreadsheet_safe(frame) is frame


@given(st.lists(st.one_of(st.text(max_size=8), st.floats(allow_nan=False), st.integers()), min_size=1, max_size=20))
def test_spreadsheet_safe_invariants(values):
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    out = spreadsheet_safe(frame)["v"].tolist()
    for before, after in zip(values, out, strict=True):
        if isinstance(before, str):
            assert not after.startswith(FORMULA_TRIGGERS)
            assert after == before or (after == "'" + before and before.startswith(FORMULA_TRIGGERS))
        else:
            assert after == before  # numbers untouched


def test_csv_quotes_a_carriage_return_inside_text(tmp_path):
    import csv

    gdf = gpd.GeoDataFrame({"name": ["a\rb", "c\nd"]}, geometry=[shapely.Point(580000, 2330000)] * 2, crs=CRS)
    write_table(gdf, tmp_path / "o.csv")
    with (tmp_path / "o.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[1] for r in rows[1:]] == ["a\rb", "c\nd"]


def test_compact_ranges_prints_plain_ints():
    import numpy as np

    assert compact_ranges(np.array([7, 3, 5, 6, 9], dtype=np.int64)) == "3, 5-7, 9"
    assert compact_ranges([]) == ""
    assert compact_ranges(range(0, 40, 2), limit=3) == "0, 2, 4, ... (20 in all)"


# ------------------------------------------------------------------ output paths and folders


def test_check_output_path_refuses_links_pipes_and_paths_under_files(tmp_path):
    import os

    (tmp_path / "file.txt").write_text("x")
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "link.csv").symlink_to(tmp_path / "file.txt")
    with pytest.raises(OutputExistsError, match="not a folder"):
        check_output_path(tmp_path / "file.txt" / "a" / "o.csv")
    with pytest.raises(OutputExistsError, match="pipe"):
        check_output_path(tmp_path / "pipe.csv", overwrite=True)
    with pytest.raises(OutputExistsError, match="symbolic link"):
        check_output_path(tmp_path / "link.csv", overwrite=True)
    with pytest.raises(OutputExistsError, match="a folder"):
        check_output_path(tmp_path, overwrite=True)
    assert check_output_path(tmp_path / "new" / "o.csv") == tmp_path / "new" / "o.csv"


def test_atomic_path_cleans_up_on_interruption(tmp_path):
    target = tmp_path / "o.gpkg"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        tmp.with_name(tmp.name + "-journal").write_bytes(b"j")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_clean_stale_temp_files_removes_only_ours(tmp_path):
    ours = [".ranked.ab12cd_4.part.csv", ".x.abcdefgh.part.gpkg-journal", ".x.abcdefgh.part.gpkg-wal"]
    theirs = ["ranked.csv", ".ranked.part.csv", ".x.ABCDEFGH.part.gpkg", "x.abcdefgh.part.gpkg", ".notes"]
    for name in ours + theirs:
        (tmp_path / name).write_text("x")
    removed = clean_stale_temp_files(tmp_path)
    assert sorted(p.name for p in removed) == sorted(ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(theirs)


def test_output_folder_moves_files_in_only_on_success(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), output_folder(target) as folder:
        folder.path("a.csv").write_text("new")
        raise RuntimeError
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # created folder removed again, no staging left
    target.mkdir()
    (target / "a.csv").write_text("old")
    with output_folder(target) as folder:
        folder.path("a.csv").write_text("new")
        folder.path("b.csv").write_text("b")
        assert (target / "a.csv").read_text() == "old"  # nothing moves before the end
    assert {p.name: p.read_text() for p in target.iterdir()} == {"a.csv": "new", "b.csv": "b"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_folder_is_exclusive(tmp_path):
    with output_folder(tmp_path / "out"), pytest.raises(OutputExistsError, match="in use by another landplan run"):
        with output_folder(tmp_path / "out"):
            pass
    with output_folder(tmp_path / "out"):  # released afterwards
        pass


def test_csv_in_blocks_of_rows_is_the_same_file(tmp_path, monkeypatch):
    # issue 15: the ranked CSV is written 100,000 rows at a time; blocks of 2 rows give the bytes of one block
    from landplan.io import tables

    pts = shapely.points([(500_000.0 + 10 * i, 2_300_000.0 + 7 * i) for i in range(5)])
    gdf = gpd.GeoDataFrame(
        {
            "score": [0.5, 1 / 3, float("nan"), -0.0, 1e-12],
            "rank": [1, 2, 3, 4, 5],
            "eligible": [True, False, True, True, False],
            "top_drivers": ["=SUM(A1)", None, "Hòa Lạc, 12 %", "line\r\nbreak", ""],
            "net_geometry": gpd.GeoSeries(pts.copy()),
        },
        geometry=pts,
        crs=CRS,
        index=pd.Index(["p1", "p2", "p3", "p4", "p5"], name="parcel_id"),
    )
    write_table(gdf, tmp_path / "one.csv")
    monkeypatch.setattr(tables, "_CSV_ROWS", 2)
    write_table(gdf, tmp_path / "blocks.csv")
    write_table(gdf.iloc[:0], tmp_path / "empty.csv")
    one = (tmp_path / "one.csv").read_bytes()
    assert (tmp_path / "blocks.csv").read_bytes() == one
    assert one.startswith(b"\xef\xbb\xbfparcel_id,") and one.count(b"parcel_id") == 1  # one header, one BOM
    assert b"'=SUM(A1)" in one and b"net_geometry" not in one
    assert (tmp_path / "empty.csv").read_bytes() == one.split(b"\r\n")[0] + b"\r\n"  # the header alone
