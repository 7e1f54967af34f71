"""QGIS styles in the GeoPackages and a project file: parsed, evaluated and checked against the maps."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pyogrio

import landplan
from landplan.config import load_scenario
from landplan.outputs.i18n import translator
from landplan.outputs.qgis import ranking_qml
from landplan.outputs.style import EXCLUDED_COLOR, score_classes


def _rgb(color: str) -> str:
    c = color.lstrip("#")
    return ",".join(str(int(c[i : i + 2], 16)) for i in (0, 2, 4))


def _rule_matches(rule_filter: str, frame: pd.DataFrame) -> np.ndarray:
    """Evaluate a QGIS rule filter of the ranking style on a frame (the subset of QGIS expressions it uses)."""
    expr = rule_filter.replace('"score"', "score").replace('"eligible"', "eligible")
    expr = expr.replace(" AND ", " and ").replace("NOT ", "not ")
    return frame.eval(expr).to_numpy(dtype=bool)


def test_every_parcel_falls_in_exactly_one_rule_with_the_map_colour() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"score": rng.random(500), "eligible": rng.random(500) > 0.2})
    classes = score_classes(frame["score"].to_numpy(), frame["eligible"].to_numpy(), k=5)
    root = ET.fromstring(ranking_qml(classes.bins, classes.palette, EXCLUDED_COLOR, translator("en")).split("\n", 1)[1])
    colours = {s.get("name"): s.find("layer/Option/Option[@name='color']").get("value") for s in root.iter("symbol")}
    matched = np.zeros(len(frame), dtype=int)
    drawn = np.empty(len(frame), dtype=object)
    for rule in root.iter("rule"):
        hit = _rule_matches(rule.get("filter"), frame)
        matched += hit
        drawn[hit] = colours[rule.get("symbol")]
    assert (matched == 1).all()
    expected = [_rgb(c) + ",255" for c in classes.colors]
    assert list(drawn) == expected


@pytest.fixture
def vi_run(alloc_scenario: Path, tmp_path: Path) -> tuple[landplan.model.Result, Path]:
    s = load_scenario(alloc_scenario)
    s = s.model_copy(update={"output": s.output.model_copy(update={"language": "vi", "pdf": False, "map": False})})
    out = tmp_path / "out"
    return landplan.run(s, out_dir=out), out


def test_the_geopackages_carry_their_default_styles(vi_run) -> None:
    result, out = vi_run
    for name, layers in (("ranked.gpkg", {"ranking"}), ("allocation.gpkg", {"allocated_parcels", "zones", "links"})):
        con = sqlite3.connect(out / name)
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles"
        ).fetchall()
        con.close()
        assert {r[0] for r in rows} == layers
        assert all(r[1] == "geom" and r[2] == 1 for r in rows)
        for row in rows:
            ET.fromstring(row[3].split("\n", 1)[1])  # well-formed QML
        # the data layers still read back whole
        assert {layer for layer, _ in pyogrio.list_layers(out / name)} >= layers
    assert len(pyogrio.read_dataframe(out / "ranked.gpkg", layer="ranking")) == len(result.ranked)


def test_the_project_references_every_layer_by_relative_path(vi_run) -> None:
    _result, out = vi_run
    with zipfile.ZipFile(out / "project.qgz") as zf:
        assert zf.namelist() == ["project.qgs"]
        root = ET.fromstring(zf.read("project.qgs").decode("utf-8").split("\n", 1)[1])
    tree_layers = list(root.iter("layer-tree-layer"))
    assert [g.get("name") for g in root.find("layer-tree-group")] == ["Phân bổ", "Xếp hạng"]
    assert {t.get("name") for t in tree_layers} >= {"Điểm phù hợp", "Quỹ đất được bố trí"}
    for t in tree_layers:
        path, layer = t.get("source").split("|layername=")
        assert path.startswith("./")
        assert layer in {name for name, _ in pyogrio.list_layers(out / path[2:])}
    maplayers = {m.findtext("id"): m for m in root.iter("maplayer")}
    assert set(maplayers) == {t.get("id") for t in tree_layers}
    assert all(
        m.find("renderer-v2") is not None and m.findtext("srs/spatialrefsys/authid") == "EPSG:32648"
        for m in maplayers.values()
    )


def test_the_project_is_the_same_bytes_twice_and_escapes_names(scenario_factory, tmp_path: Path) -> None:
    path = scenario_factory("s.toml", scenario={"name": 'KCN <A> & "B"'})
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        s = load_scenario(path)
        landplan.run(
            s.model_copy(update={"output": s.output.model_copy(update={"pdf": False, "map": False})}), out_dir=out
        )
    assert (outs[0] / "project.qgz").read_bytes() == (outs[1] / "project.qgz").read_bytes()
    with zipfile.ZipFile(outs[0] / "project.qgz") as zf:
        root = ET.fromstring(zf.read("project.qgs").decode("utf-8").split("\n", 1)[1])
    assert root.findtext("title") == 'KCN <A> & "B"'
