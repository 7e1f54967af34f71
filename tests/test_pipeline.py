"""End-to-end scoring of the hand-checkable grid scenario (see conftest for the layout).

Expected values, by hand:
- zone (x -150..-50) is 50 m from column x=0..100 -> P0, P3, P6 inside the 100 m
  isolation distance of class IV; the other columns are 150 m and 250 m away.
- schools at (50, 50) and (250, 250), radius 100 m: P1 1, P4 2, P7 1 school.
- P2 is rice_protected, P8 public, P5 half covered by the lake -> excluded.
- eligible P1, P4, P7; weights 2:1:1 ->
  P1 = .5*.85 + .25*.5 + .25*.875 = 0.76875
  P4 = .5*.85 + .25*1  + .25*.5   = 0.8
  P7 = .5*.85 + .25*.5 + .25*.125 = 0.58125
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

import landplan
from conftest import rank
from landplan.errors import InputError


@pytest.fixture
def ranked(scenario_dir):
    return rank(scenario_dir / "scenario.toml")


def test_scores_and_ranks_match_hand_computation(ranked):
    assert ranked.loc["P4", "score"] == pytest.approx(0.8)
    assert ranked.loc["P1", "score"] == pytest.approx(0.76875)
    assert ranked.loc["P7", "score"] == pytest.approx(0.58125)
    assert ranked["rank"].dropna().to_dict() == {"P4": 1, "P1": 2, "P7": 3}
    assert list(ranked.index[:3]) == ["P4", "P1", "P7"]
    # excluded parcels follow, sorted by id
    assert list(ranked.index[3:]) == ["P0", "P2", "P3", "P5", "P6", "P8"]


def test_breakdown_columns_sum_to_score(ranked):
    contrib = ranked[[c for c in ranked.columns if c.endswith("_contrib")]].sum(axis=1)
    np.testing.assert_allclose(contrib.to_numpy(), ranked["score"].to_numpy())
    assert ranked.loc["P4", "zone_distance_raw"] == pytest.approx(150.0)
    assert ranked.loc["P4", "schools_raw"] == 2
    assert ranked.loc["P4", "schools_value"] == 1.0
    assert ranked.loc["P4", "top_drivers"].startswith("zone distance 0.42")


def test_exclusion_reasons_are_recorded(ranked):
    reasons = ranked["excluded_by"]
    assert "within 100 m isolation distance of KCN Thăng Long (class IV) (50 m away)" == reasons["P0"]
    assert reasons["P2"] == "landuse = rice_protected not allowed"
    assert reasons["P8"] == "landuse = public not allowed"
    assert reasons["P5"].startswith("overlaps lake: 50.0 %")
    assert (reasons[["P1", "P4", "P7"]] == "").all()
    assert ranked.loc[["P0", "P2", "P3", "P5", "P6", "P8"], "rank"].isna().all()
    assert ranked["eligible"].sum() == 3


def test_changing_weights_changes_ranking(scenario_dir):
    study = landplan.load_study(scenario_dir / "scenario.toml")
    price_heavy = landplan.score(study, weights={"zone_distance": 1, "schools": 1, "price": 10})
    assert price_heavy.rank.dropna().to_dict() == {"P1": 1, "P4": 2, "P7": 3}
    with pytest.raises(InputError, match="positive"):
        landplan.score(study, weights={"zone_distance": 1, "schools": 0, "price": 1})
    with pytest.raises(InputError, match="unknown criteria"):
        landplan.score(study, weights={"zone_distance": 1, "schools": 1, "price": 1, "nope": 1})


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
    assert set(hashes) == {"ranked_csv", "ranked_gpkg", "map", "report"}
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
