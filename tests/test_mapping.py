"""Maps, static maps and the report, checked in their HTML/PNG output (browser checks: test_browser)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import landplan
from landplan.cli import app
from landplan.mapping import MapSizeWarning, classify, map_html, parcel_map, save_map, scenario_map

XSS = "<img src=x onerror=alert(1)>"
EXTERNAL = re.compile(r'<(script|img|iframe)[^>]+src="https?://|<link[^>]+href="https?://')


def unjs(text: str) -> str:
    """Undo the JSON escapes folium applies to embedded data (\\u003c -> <, ...)."""
    for code, ch in (("003c", "<"), ("003e", ">"), ("0026", "&"), ("0027", "'")):
        text = text.replace("\\u" + code, ch)
    return text


@pytest.fixture
def scored(scenario_dir):
    layers = landplan.load_layers(scenario_dir / "scenario.toml")
    return layers, landplan.score(layers)


def test_classification_schemes():
    v = pd.Series(np.linspace(0, 1, 101))
    np.testing.assert_allclose(classify(v, scheme="equal_interval", k=4), [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(classify(v, scheme="quantiles", k=4), [0.25, 0.5, 0.75, 1.0])
    nb = classify(pd.Series([0.0, 0.01, 0.02, 0.5, 0.51, 0.9, 0.91]), scheme="natural_breaks", k=3)
    np.testing.assert_allclose(nb, [0.02, 0.51, 0.91])
    with pytest.raises(ValueError, match="unknown classification"):
        classify(v, scheme="jenks-ish")


def test_offline_map_makes_no_external_reference(scored):
    layers, ranked = scored
    html = map_html(scenario_map(ranked, layers, offline=True), offline=True)
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html and "tile.openstreetmap" not in html
    assert "L.Control.Fullscreen" in html or "fullscreen" in html.lower()
    assert "MiniMap" in html and "L.Control.Measure" in html and "L.Control.Search" in html
    assert "L.control.layers" in html


def test_online_map_has_base_layers_and_osm_credit(scored):
    layers, ranked = scored
    html = unjs(map_html(scenario_map(ranked, layers)))
    assert "OpenStreetMap</a> contributors" in html
    assert "World_Imagery" in html and "Light (Esri gray)" in html and "No tiles" in html


def test_legend_names_the_classes_and_excluded(scored):
    _layers, ranked = scored
    html = map_html(parcel_map(ranked, classification="equal_interval", k=3))
    assert "score (equal interval)" in html
    assert "excluded (see popup)" in html
    assert html.count("landplan-legend") == 1


def test_data_text_is_escaped(scored):
    _layers, ranked = scored
    tricky = ranked.rename(index={"P4": XSS})
    html = unjs(map_html(parcel_map(tricky)))
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_score_card_in_popup(scored):
    layers, ranked = scored
    html = unjs(map_html(scenario_map(ranked, layers)))
    assert "Parcel P4</b><br>Score <b>0.800</b>, rank 1" in html
    assert "Excluded: landuse = public not allowed" in html


def test_size_warning(scored, tmp_path):
    _layers, ranked = scored
    with pytest.warns(MapSizeWarning, match="MB and may load slowly"):
        save_map(parcel_map(ranked), tmp_path / "m.html", warn_bytes=1000)
    assert (tmp_path / "m.html").stat().st_size > 1000


def test_map_png_and_report_commands(scenario_dir, tmp_path):
    scenario = str(scenario_dir / "scenario.toml")
    runner = CliRunner()
    r = runner.invoke(app, ["map", scenario, "-o", str(tmp_path / "m.png"), "--png"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = runner.invoke(
        app, ["map", scenario, "-o", str(tmp_path / "o.html"), "--offline", "--classification", "natural_breaks"]
    )
    assert r.exit_code == 0, r.output
    assert not EXTERNAL.search((tmp_path / "o.html").read_text(encoding="utf-8"))
    r = runner.invoke(app, ["map", scenario, "-o", str(tmp_path / "x.html"), "--classification", "nope"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["report", scenario, "-o", str(tmp_path / "r.html"), "--sensitivity-runs", "50"])
    assert r.exit_code == 0, r.output
    report = (tmp_path / "r.html").read_text(encoding="utf-8")
    for section in (
        "Inputs",
        "Validation",
        "Criteria, weights and value functions",
        "Top 3 parcels",
        "Sensitivity of the ranking",
        "Run manifest",
    ):
        assert section in report, section
    assert report.count("<svg") >= 3 and "data:image/png;base64," in report
    assert re.search(r"<code>[0-9a-f]{64}</code>", report)
    assert "Parcel P4: score 0.800" in report
    assert not EXTERNAL.search(report)


def test_offline_map_can_use_a_local_tile_server(scored):
    layers, ranked = scored
    html = map_html(
        scenario_map(ranked, layers, offline=True, tile_url="http://127.0.0.1:8080/{z}/{x}/{y}.png"), offline=True
    )
    assert "Local tiles" in html and "http://127.0.0.1:8080/{z}/{x}/{y}.png" in html
    assert "tile.openstreetmap" not in html
