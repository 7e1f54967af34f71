"""landplan.pipeline: compute, produce and run: outputs written atomically, deterministically, checked first."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import geopandas as gpd

import landplan
from conftest import CRS, box, pt, rank
from landplan.cli import app


def test_run_writes_outputs_atomically_and_deterministically(scenario_dir, tmp_path):
    out1 = tmp_path / "out1"
    out2 = tmp_path / "out2"
    r1 = landplan.run(scenario_dir / "scenario.toml", out_dir=out1, formats=["csv", "gpkg", "geojson", "parquet"])
    landplan.run(scenario_dir / "scenario.toml", out_dir=out2, formats=["csv"])
    assert set(r1.outputs) == {
        "ranked_csv",
        "ranked_gpkg",
        "ranked_geojson",
        "ranked_parquet",
        "map",
        "report",
        "report_pdf",
        "qgis_project",
        "manifest",
    }
    digest = [hashlib.sha256((d / "ranked.csv").read_bytes()).hexdigest() for d in (out1, out2)]
    assert digest[0] == digest[1]
    assert not [p.name for p in out1.iterdir() if ".part" in p.name]
    assert "KCN Thăng Long" in (out1 / "ranked.csv").read_text(encoding="utf-8")
    assert r1.manifest["working_crs"].startswith("EPSG:32648")
    assert all(len(i["sha256"]) == 64 for i in r1.manifest["inputs"])


def test_run_refuses_to_overwrite_before_doing_anything(scenario_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "map.html").write_text("keep me")
    with pytest.raises(landplan.LandplanError, match="--overwrite"):
        landplan.run(scenario_dir / "scenario.toml", out_dir=out)
    assert (out / "map.html").read_text() == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["map.html"]


def test_manifest_records_the_hash_of_every_output(scenario_dir, tmp_path):
    out = tmp_path / "area" / "out"
    r = landplan.run(scenario_dir / "scenario.toml", out_dir=out, formats=["csv", "gpkg"])
    hashes = r.manifest["output_sha256"]
    assert set(hashes) == {"ranked_csv", "ranked_gpkg", "map", "report", "report_pdf", "qgis_project"}
    for key, digest in hashes.items():
        assert hashlib.sha256(r.outputs[key].read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no staging folder left beside it


def test_run_checks_every_output_path_before_reading_any_layer(scenario_dir, tmp_path):
    (scenario_dir / "parcels.gpkg").write_bytes(b"broken")  # reading it would fail differently
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(landplan.LandplanError, match="not a folder"):
        landplan.run(scenario_dir / "scenario.toml", out_dir=tmp_path / "file.txt" / "out")
    rule_pack = scenario_dir / "out" / "report.html"
    rule_pack.parent.mkdir()
    rule_pack.write_text((Path(landplan.__file__).parent / "rules" / "vn.toml").read_text(encoding="utf-8"))
    text = (
        (scenario_dir / "scenario.toml")
        .read_text()
        .replace("[scenario]\n", '[scenario]\nrule_pack = "out/report.html"\n')
    )
    (scenario_dir / "scenario.toml").write_text(text)
    with pytest.raises(landplan.LandplanError, match="is an input of this run"):
        landplan.run(scenario_dir / "scenario.toml", out_dir=scenario_dir / "out", overwrite=True)


def test_input_paths_list_every_file_the_run_reads_and_nothing_else(scenario_dir):
    from landplan.config import load_scenario
    from landplan.io import scenario_inputs

    (scenario_dir / "parcels.csv").write_text("an earlier output, not read by the run")
    (scenario_dir / "parcels.gpkg-wal").write_bytes(b"")
    names = {p.name for p in scenario_inputs(load_scenario(scenario_dir / "scenario.toml"))}
    assert {"facilities.shp", "facilities.shx", "facilities.dbf", "facilities.prj", "facilities.cpg"} <= names
    assert {"scenario.toml", "parcels.gpkg", "parcels.gpkg-wal", "zones.geojson", "water.fgb"} <= names
    assert "parcels.csv" not in names


def test_run_and_allocate_commands_write_tables(alloc_scenario, tmp_path):
    result = landplan.run(alloc_scenario, out_dir=tmp_path / "run")
    assert result.allocation is not None
    names = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert {"allocation.gpkg", "allocation.xlsx", "allocation_parcels.csv", "allocation_zones.csv"} <= set(names)
    xl = pd.read_excel(tmp_path / "run" / "allocation.xlsx", sheet_name=None)
    assert xl["zones"]["unmet_units"].tolist() == [700]
    r = CliRunner().invoke(app, ["allocate", str(alloc_scenario), "-o", str(tmp_path / "cli")])
    assert r.exit_code == 0, r.output
    assert "300 of 1,000 units allocated, 700 unmet" in r.stdout
    r = CliRunner().invoke(app, ["allocate", str(alloc_scenario), "--solver", "greedy"])
    assert r.exit_code == 0 and "greedy (heuristic" in r.stdout


def _scenario_files(d, perm_p, perm_z, perm_f):
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 3000, (40, 2))
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i:02d}" for i in range(40)], "price": rng.uniform(5, 30, 40).round(2)},
        geometry=[box(x, y, rng.uniform(15, 60), rng.uniform(15, 60)) for x, y in xy],
        crs=CRS,
    )
    zxy = rng.uniform(-2000, 5000, (25, 2))
    zones = gpd.GeoDataFrame(
        {
            "zone_id": [f"Z{i:02d}" for i in range(25)],
            "hazard": ["V"] * 25,
            "workers": rng.integers(100, 40_000, 25),
        },
        geometry=[box(x, y, 50, 50) for x, y in zxy],
        crs=CRS,
    )
    fac = gpd.GeoDataFrame(
        {"fac_id": [f"F{i:02d}" for i in range(30)]},
        geometry=[pt(x, y) for x, y in rng.uniform(0, 3000, (30, 2))],
        crs=CRS,
    )
    parcels.iloc[perm_p].to_file(d / "parcels.gpkg", engine="pyogrio")
    zones.iloc[perm_z].to_file(d / "zones.gpkg", engine="pyogrio")
    fac.iloc[perm_f].to_file(d / "fac.gpkg", engine="pyogrio")
    (d / "s.toml").write_text(
        """
[scenario]
name = "order"
crs = "EPSG:32648"
[layers.parcels]
path = "parcels.gpkg"
id_field = "parcel_id"
[layers.zones]
path = "zones.gpkg"
id_field = "zone_id"
hazard_field = "hazard"
workers_field = "workers"
[layers.fac]
path = "fac.gpkg"
id_field = "fac_id"
[[criteria]]
name = "jobs"
kind = "access"
scale_m = 1500
weight = 3
value = { function = "linear", lower = 0, upper = 50000 }
[[criteria]]
name = "cover"
kind = "coverage"
layer = "fac"
radius_m = 310
weight = 1
value = { function = "identity" }
[[criteria]]
name = "price"
kind = "attribute"
field = "price"
weight = 1
value = { function = "linear", lower = 5, upper = 30, increasing = false }
[[constraints]]
kind = "isolation"
""",
        encoding="utf-8",
    )
    return d / "s.toml"


@settings(max_examples=6, deadline=None)
@given(st.permutations(range(40)), st.permutations(range(25)), st.permutations(range(30)))
def test_ranked_csv_is_byte_identical_whatever_the_input_order(tmp_path_factory, perm_p, perm_z, perm_f):
    from landplan.io import write_table

    outputs = []
    for perms in ((range(40), range(25), range(30)), (perm_p, perm_z, perm_f)):
        d = tmp_path_factory.mktemp("order")
        ranked = rank(_scenario_files(d, *(list(p) for p in perms)))
        write_table(ranked, d / "ranked.csv")
        outputs.append((d / "ranked.csv").read_bytes())
    assert outputs[0] == outputs[1]
