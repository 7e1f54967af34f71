"""landplan.datasets: the bundled Hanoi demo — data contract, reproducible generator, end-to-end run."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import landplan
from landplan import datasets
from landplan.io import read_layer

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [
    "industrial_zones",
    "parcels",
    "facilities",
    "bus_stops",
    "main_roads",
    "water",
    "existing_housing",
    "roads",
]


def test_every_demo_layer_is_a_utf8_shapefile_in_wgs84():
    for name in LAYERS:
        path = datasets.get_path(name)
        assert path.with_suffix(".cpg").read_text().strip().upper() in {"UTF-8", "UTF8"}
        gdf = read_layer(path)
        assert gdf.crs.to_epsg() == 4326, name
        assert len(gdf) > 0, name


def test_zones_are_the_real_operating_zones_with_diacritics():
    zones = read_layer(datasets.get_path("industrial_zones"))
    names = set(zones["name"])
    for expected in ("KCN Thăng Long", "KCN Nội Bài", "KCN Quang Minh", "KCN Sài Đồng B", "KCN Phú Nghĩa"):
        assert expected in names
    assert zones["zone_id"].is_unique
    thang_long = zones.set_index("name").loc["KCN Thăng Long"]
    assert thang_long["area_ha"] == 274
    assert thang_long["workers"] == 60000
    # footprints are discs with the stated area (derived, labelled as such)
    area_ha = zones.to_crs(32648).area / 10_000
    assert (abs(area_ha - zones["area_ha"]) / zones["area_ha"] < 0.01).all()
    assert zones["geom_src"].str.startswith("derived").all()


def test_road_network_crosses_the_red_river_only_on_its_bridges():
    roads = read_layer(datasets.get_path("roads")).to_crs(32648)
    water = read_layer(datasets.get_path("water")).to_crs(32648)
    river = water.loc[water["name"] == "Sông Hồng"].geometry.iloc[0]
    crossing = roads[roads.intersection(river).length > 1.0]  # cut roads end on the bank (to the cm)
    names = set(crossing["name"])
    for bridge in ("Cầu Thăng Long", "Cầu Nhật Tân", "Cầu Long Biên", "Cầu Chương Dương", "Cầu Vĩnh Tuy"):
        assert f"{bridge} (approximate)" in names
    assert (crossing["bridge"] == "yes").all()
    thanh_tri = roads.set_index("name").loc["Cầu Thanh Trì (approximate)"]
    assert thanh_tri["highway"] == "motorway"  # Ring Road 3 expressway: no motorbikes
    assert roads.set_index("name").loc["Cầu Long Biên (approximate)", "motorcar"] == "no"


def test_parcels_have_unique_ids_and_the_scenario_columns():
    parcels = read_layer(datasets.get_path("parcels"))
    assert parcels["parcel_id"].is_unique
    assert {"district", "landuse", "price_mvnd"} <= set(parcels.columns)
    assert 2000 <= len(parcels) <= 6000


def test_demo_scenario_validates_cleanly():
    report = landplan.validate(datasets.demo_scenario())
    assert report.ok, report.to_text()
    warnings = [f for f in report.findings if f.level == "warning"]
    # the only warnings are honest data coverage (issue 12): the synthetic facilities and the bus stops
    # along the main roads do not reach every parcel
    assert [f.layer for f in warnings] == ["facilities", "bus_stops"], report.to_text()
    assert all("lie outside the layer's extent" in f.message for f in warnings), report.to_text()


@pytest.mark.slow
def test_generator_reproduces_the_bundled_files(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo_data.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    bundled = datasets.data_dir()
    for path in sorted(bundled.iterdir()):
        if path.suffix in {".shp", ".dbf", ".shx", ".prj", ".cpg", ".tif"}:
            fresh = tmp_path / path.name
            assert fresh.is_file(), path.name
            assert hashlib.sha256(fresh.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest(), path.name


@pytest.mark.slow
def test_demo_command_end_to_end(tmp_path):
    from typer.testing import CliRunner

    from landplan.cli import app

    out = tmp_path / "demo"
    r = CliRunner().invoke(app, ["demo", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == [
        "allocation.gpkg",
        "allocation.xlsx",
        "allocation_parcels.csv",
        "allocation_zones.csv",
        "facility_programme.csv",
        "manifest.json",
        "map.html",
        "project.qgz",
        "ranked.csv",
        "ranked.gpkg",
        "report.html",
        "report.pdf",
    ]
    zones = pd.read_csv(out / "allocation_zones.csv", index_col=0)
    thang_long = zones.loc["IZ01"]
    # 60,000 workers x 0.8 / 3 persons per unit = 16,000 units, less 1,000 units of existing housing
    assert thang_long["units_needed"] == pytest.approx(15_000)
    assert (zones["allocated_units"] + zones["unmet_units"] == zones["demand_units"]).all()
    assert (zones["unmet_share"] <= 0.4 + 1e-6).all()  # the fairness cap of the demo scenario
    ranked = (out / "ranked.csv").read_text(encoding="utf-8-sig").splitlines()
    assert ranked[0].startswith("parcel_id,rank,score,eligible,excluded_by,top_drivers")
    assert ranked[1].split(",")[1] == "1"
    assert "isolation distance of KCN" in (out / "ranked.csv").read_text(encoding="utf-8")
    # issue 16: a facility programme row for every reserved housing site, and its report section
    programme = pd.read_csv(out / "facility_programme.csv", encoding="utf-8-sig", dtype={"site": str})
    parcels = pd.read_csv(out / "allocation_parcels.csv", encoding="utf-8-sig", index_col=0)
    housing = set(parcels.index[parcels["units"] > 0].astype(str))
    assert housing <= set(programme["site"].dropna())
    assert "What each site needs built" in (out / "report.html").read_text(encoding="utf-8")
