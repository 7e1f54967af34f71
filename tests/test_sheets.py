"""Spreadsheets in: point layers from XLSX sheets, attribute joins from CSV/XLSX with their findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely

import landplan
from conftest import CRS, X0, Y0
from landplan.errors import CRSError, LayerReadError
from landplan.io import read_layer
from landplan.io.sheets import join_table, read_table
from landplan.outputs.manifest import manifest, sha256


def _zones_xlsx(path, *, sheet="KCN"):
    points = [shapely.Point(X0 - 100, Y0 + 150), shapely.Point(X0 + 1000, Y0 + 150)]
    lonlat = gpd.GeoSeries(points, crs=CRS).to_crs(4326)
    frame = pd.DataFrame(
        {"zone_id": ["Z1", "Z2"], "Tên": ["KCN Thăng Long", "KCN Nội Bài"], "lon": lonlat.x, "lat": lonlat.y}
    )
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(xl, sheet_name="Ghi chú", index=False)
        frame.to_excel(xl, sheet_name=sheet, index=False)
    return lonlat


def test_points_from_a_named_sheet(tmp_path):
    expected = _zones_xlsx(tmp_path / "zones.xlsx")
    gdf = read_layer(tmp_path / "zones.xlsx", sheet="KCN")
    assert gdf.crs.to_epsg() == 4326
    assert gdf["Tên"].tolist() == ["KCN Thăng Long", "KCN Nội Bài"]
    assert np.allclose(gdf.geometry.x, expected.x) and np.allclose(gdf.geometry.y, expected.y)


def test_a_missing_sheet_lists_the_sheets(tmp_path):
    _zones_xlsx(tmp_path / "zones.xlsx")
    with pytest.raises(LayerReadError, match=r"no sheet 'Zones'; sheets: \['Ghi chú', 'KCN'\]"):
        read_layer(tmp_path / "zones.xlsx", sheet="Zones")
    with pytest.raises(LayerReadError, match="no longitude/latitude"):
        read_layer(tmp_path / "zones.xlsx")  # the first sheet has no coordinates


def test_vn2000_xy_with_a_province_crs(tmp_path):
    truth = gpd.GeoSeries([shapely.Point(105.80, 21.05), shapely.Point(105.85, 21.02)], crs=4326)
    metres = truth.to_crs("EPSG:5897")
    pd.DataFrame({"id": [1, 2], "x": metres.x, "y": metres.y}).to_excel(tmp_path / "pts.xlsx", index=False)
    with pytest.raises(CRSError, match="crs"):  # metres are not degrees: the default EPSG:4326 is refused
        read_layer(tmp_path / "pts.xlsx")
    gdf = read_layer(tmp_path / "pts.xlsx", crs="VN-2000 Hà Nội").to_crs(4326)
    assert np.allclose(gdf.geometry.x, truth.x, atol=1e-7) and np.allclose(gdf.geometry.y, truth.y, atol=1e-7)


def test_rows_without_coordinates_are_named(tmp_path):
    pd.DataFrame({"lon": [105.8, None, 105.9], "lat": [21.0, 21.1, None]}).to_excel(tmp_path / "p.xlsx", index=False)
    with pytest.raises(LayerReadError, match=r"rows 3-4"):
        read_layer(tmp_path / "p.xlsx")


def test_join_adds_fields_and_reports_unmatched_keys():
    layer = gpd.GeoDataFrame({"zone_id": [101, 102, 103]}, geometry=[shapely.Point(i, 0) for i in range(3)])
    table = pd.DataFrame({"zone_id": ["101", "102", "999"], "workers": [5000, 1200, 7]})  # text keys vs numbers
    joined, report = join_table(layer, table, on="zone_id", label="w.xlsx")
    assert joined["workers"].tolist()[:2] == [5000, 1200] and pd.isna(joined["workers"].iloc[2])
    assert joined.index.equals(layer.index) and joined.geometry.equals(layer.geometry)
    levels = [(lvl, msg) for lvl, msg, _ in report.problems]
    assert levels[0][0] == "warning" and "1 features have no row" in levels[0][1] and "'103'" in levels[0][1]
    assert levels[1][0] == "warning" and "'999'" in levels[1][1]


def test_duplicate_keys_are_an_error_naming_them():
    layer = gpd.GeoDataFrame({"zone_id": ["A", "B"]}, geometry=[shapely.Point(0, 0), shapely.Point(1, 0)])
    table = pd.DataFrame({"zone_id": ["A", "A", "B"], "workers": [1, 2, 3]})
    joined, report = join_table(layer, table, on="zone_id")
    ((level, msg, _),) = report.problems
    assert level == "error" and "['A']" in msg and "workers" not in joined.columns


def test_field_clash_and_missing_key_are_errors():
    layer = gpd.GeoDataFrame({"zone_id": ["A"], "workers": [1]}, geometry=[shapely.Point(0, 0)])
    _, report = join_table(layer, pd.DataFrame({"zone_id": ["A"], "workers": [2]}), on="zone_id")
    assert [p[0] for p in report.problems] == ["error"] and "already in the layer" in report.problems[0][1]
    _, report = join_table(layer, pd.DataFrame({"ma": ["A"], "x": [2]}), on="zone_id")
    assert "no key column 'zone_id'" in report.problems[0][1]


def test_csv_tables_with_a_bom_read_as_text_and_numbers(tmp_path):
    (tmp_path / "t.csv").write_bytes("\ufeffzone_id,workers,tên\r\nZ1,1000,Thăng Long\r\n".encode())
    table = read_table(tmp_path / "t.csv", "t.csv")
    assert list(table.columns) == ["zone_id", "workers", "tên"] and table["workers"].tolist() == [1000]


def test_a_scenario_joins_worker_counts_from_excel(scenario_dir):
    pd.DataFrame({"ma_kcn": ["Z1"], "workers_2025": [4321]}).to_excel(
        scenario_dir / "workers_2025.xlsx", sheet_name="2025", index=False
    )
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8")
    text = text.replace(
        'workers_field = "workers"',
        'workers_field = "workers_2025"\n'
        'join = { path = "workers_2025.xlsx", sheet = "2025", on = "zone_id", table_on = "ma_kcn" }',
    )
    (scenario_dir / "scenario.toml").write_text(text, encoding="utf-8")
    study = landplan.load_study(scenario_dir / "scenario.toml")
    assert study.zones is not None and study.zones["workers_2025"].tolist() == [4321]
    assert scenario_dir.joinpath("workers_2025.xlsx").resolve() in landplan.io.scenario_inputs(study.scenario)
    entries = {e["layer"]: e for e in manifest(study, landplan.score(study))["inputs"]}
    assert entries["join zones"]["sha256"] == sha256(scenario_dir / "workers_2025.xlsx")


def test_a_scenario_reports_a_duplicate_join_key_on_the_layer(scenario_dir):
    pd.DataFrame({"zone_id": ["Z1", "Z1"], "extra": [1, 2]}).to_csv(scenario_dir / "t.csv", index=False)
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8")
    join = 'join = { path = "t.csv", on = "zone_id" }'
    text = text.replace('workers_field = "workers"', f'workers_field = "workers"\n{join}')
    (scenario_dir / "scenario.toml").write_text(text, encoding="utf-8")
    report = landplan.validate(scenario_dir / "scenario.toml")
    errors = [f for f in report.findings if f.level == "error"]
    assert len(errors) == 1 and errors[0].layer == "zones" and "Z1" in errors[0].message


def test_surveyors_xy_read_the_wrong_way_round_get_the_fix(tmp_path):
    """Vietnamese surveying writes X = northing, Y = easting; read as x/y they land far off Vietnam."""
    metres = gpd.GeoSeries([shapely.Point(105.80, 21.05), shapely.Point(105.85, 21.02)], crs=4326).to_crs(5897)
    pd.DataFrame({"x": metres.y, "y": metres.x}).to_excel(tmp_path / "moc.xlsx", index=False)
    with pytest.raises(CRSError, match=r'columns look swapped.*`lon_field = "y"` and `lat_field = "x"`'):
        read_layer(tmp_path / "moc.xlsx", crs="VN-2000 Hà Nội")
    gdf = read_layer(tmp_path / "moc.xlsx", crs="VN-2000 Hà Nội", lon_field="y", lat_field="x").to_crs(4326)
    assert np.allclose(gdf.geometry.x, [105.80, 105.85], atol=1e-7)


@settings(deadline=None, max_examples=50)  # pandas per example: no wall-clock deadline on a shared machine
@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=40),
    st.lists(st.integers(0, 30), min_size=0, max_size=40, unique=True),
)
def test_join_agrees_with_a_dictionary_lookup(layer_keys, table_keys):
    """Oracle: a plain dict from key to value; order, count and geometry of the features are kept."""
    layer = gpd.GeoDataFrame({"k": layer_keys}, geometry=[shapely.Point(i, 0) for i in range(len(layer_keys))])
    table = pd.DataFrame({"k": [float(k) for k in table_keys], "v": [f"v{k}" for k in table_keys]})  # Excel floats
    joined, report = join_table(layer, table, on="k")
    expected = [f"v{k}" if k in set(table_keys) else None for k in layer_keys]
    assert [None if pd.isna(v) else v for v in joined["v"]] == expected
    assert joined.geometry.equals(layer.geometry)
    unmatched = {k for k in layer_keys if k not in set(table_keys)}
    assert any("no row in the table" in msg for _, msg, _ in report.problems) == bool(unmatched)
