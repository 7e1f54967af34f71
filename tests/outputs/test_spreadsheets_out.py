"""Spreadsheets out: CSV with a UTF-8 BOM for Excel (or not), and the formatted ranked.xlsx."""

from __future__ import annotations

import pandas as pd
import pytest

import geopandas as gpd
import shapely

import landplan
from landplan.io import write_table

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture
def ranked() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "rank": [1, 2, 3],
            "score": [0.91234, 0.5, 0.125],
            "name": ["Đông Anh", '=HYPERLINK("http://x")', "Sóc Sơn\x01"],
            "eligible": [True, True, False],
        },
        index=pd.Index(["P1", "P2", "P3"], name="parcel_id"),
        geometry=[shapely.box(580000 + i * 100, 2330000, 580100 + i * 100, 2330100) for i in range(3)],
        crs="EPSG:32648",
    )


def test_csv_starts_with_a_bom_by_default_and_without_when_asked(tmp_path, ranked):
    write_table(ranked, tmp_path / "a.csv")
    write_table(ranked, tmp_path / "b.csv", csv_bom=False)
    a, b = (tmp_path / "a.csv").read_bytes(), (tmp_path / "b.csv").read_bytes()
    assert a.startswith(b"\xef\xbb\xbfparcel_id,rank") and b.startswith(b"parcel_id,rank")
    assert a[3:] == b
    assert "Đông Anh" in a.decode("utf-8-sig")


def test_ranked_xlsx_is_formatted_safe_and_byte_identical(tmp_path, ranked):
    write_table(ranked, tmp_path / "r1.xlsx")
    write_table(ranked, tmp_path / "r2.xlsx")
    assert (tmp_path / "r1.xlsx").read_bytes() == (tmp_path / "r2.xlsx").read_bytes()
    ws = openpyxl.load_workbook(tmp_path / "r1.xlsx")["ranking"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["parcel_id", "rank", "score", "name", "eligible"] and header[-2:] == [
        "centroid_lon",
        "centroid_lat",
    ]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:G4"
    assert ws["C2"].value == pytest.approx(0.91234) and ws["C2"].number_format == "#,##0.000"
    assert ws["B2"].number_format == "0" and ws["F2"].number_format == "0.0000000"
    assert ws["D2"].value == "Đông Anh"
    assert ws["D3"].value == '\'=HYPERLINK("http://x")'  # text, never a formula
    assert ws["D4"].value == "Sóc Sơn\ufffd"  # a control character XLSX cannot hold
    assert ws.column_dimensions["D"].width == len('=HYPERLINK("http://x")') + 1 + 2


def test_a_run_writes_ranked_xlsx_and_honours_csv_bom(scenario_dir, tmp_path):
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8") + "\n[output]\ncsv_bom = false\n"
    (scenario_dir / "scenario.toml").write_text(text, encoding="utf-8")
    result = landplan.run(scenario_dir / "scenario.toml", out_dir=tmp_path / "out", formats=["csv", "xlsx"])
    assert {"ranked_csv", "ranked_xlsx"} <= set(result.outputs)
    assert (tmp_path / "out" / "ranked.csv").read_bytes().startswith(b"parcel_id,")
    ws = openpyxl.load_workbook(tmp_path / "out" / "ranked.xlsx").active
    assert ws["A1"].value == "parcel_id" and ws.max_row == 10  # 9 parcels + header


def test_xlsx_headers_follow_the_language_and_csv_keeps_machine_names(alloc_scenario, tmp_path):
    """Spreadsheets people read get Vietnamese headers with language = "vi" (issue 14); CSV keeps its names."""
    import openpyxl

    import landplan
    from landplan.config import load_scenario

    s = load_scenario(alloc_scenario)
    out = s.output.model_copy(update={"language": "vi", "formats": ["csv", "xlsx"], "map": False, "report": False})
    landplan.run(s.model_copy(update={"output": out}), out_dir=tmp_path / "vi")
    head = [c.value for c in next(openpyxl.load_workbook(tmp_path / "vi" / "ranked.xlsx").active.iter_rows())]
    assert {"Thứ hạng", "Điểm", "Đủ điều kiện", "Bị loại do"} <= set(head)
    assert "zone distance (giá trị đo)" in head  # the criterion's title from the scenario, then the column's kind
    zones = openpyxl.load_workbook(tmp_path / "vi" / "allocation.xlsx")["zones"]
    assert "Căn hộ cần" in [c.value for c in next(zones.iter_rows())]
    csv_head = (tmp_path / "vi" / "ranked.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert "rank" in csv_head and "score" in csv_head
