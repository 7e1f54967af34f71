"""Maps, static maps and the report, checked in their HTML/PNG output (browser checks: test_browser)."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import landplan
from landplan.cli import app
from landplan.outputs.style import classify
from landplan.outputs.webmap import MapSizeWarning, map_html, page_data, parcel_map, save_map, scenario_map

XSS = "<img src=x onerror=alert(1)>"
EXTERNAL = re.compile(r'<(script|img|iframe)[^>]+src="https?://|<link[^>]+href="https?://')


def unjs(text: str) -> str:
    """Undo the JSON escapes folium applies to embedded data (\\u003c -> <, ...)."""
    for code, ch in (("003c", "<"), ("003e", ">"), ("0026", "&"), ("0027", "'")):
        text = text.replace("\\u" + code, ch)
    return text


@pytest.fixture
def scored(scenario_dir):
    study = landplan.load_study(scenario_dir / "scenario.toml")
    scores = landplan.score(study)
    return study, scores, landplan.ranked_table(study, scores)


def test_classification_schemes():
    v = pd.Series(np.linspace(0, 1, 101))
    np.testing.assert_allclose(classify(v, scheme="equal_interval", k=4), [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(classify(v, scheme="quantiles", k=4), [0.25, 0.5, 0.75, 1.0])
    nb = classify(pd.Series([0.0, 0.01, 0.02, 0.5, 0.51, 0.9, 0.91]), scheme="natural_breaks", k=3)
    np.testing.assert_allclose(nb, [0.02, 0.51, 0.91])
    with pytest.raises(ValueError, match="unknown classification"):
        classify(v, scheme="jenks-ish")


def test_offline_map_makes_no_external_reference(scored):
    study, scores, _ranked = scored
    html = map_html(scenario_map(study, scores, offline=True), offline=True)
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html and "tile.openstreetmap" not in html
    assert "L.Control.Fullscreen" in html or "fullscreen" in html.lower()
    assert "L.Control.Measure" in html and "L.Control.Search" in html
    assert "MiniMap" not in html  # a mini map without tiles would be blank
    assert "L.control.layers" in html and '"collapsed": true' in html
    assert "new LandplanMap(" in html


def test_online_map_has_base_layers_and_osm_credit(scored):
    study, scores, _ranked = scored
    html = unjs(map_html(scenario_map(study, scores)))
    assert "OpenStreetMap</a> contributors" in html
    assert "World_Imagery" in html and "Light (Esri gray)" in html and "No tiles" in html


def test_legend_names_the_classes_and_excluded(scored):
    _study, _scores, ranked = scored
    data = page_data(map_html(parcel_map(ranked, classification="equal_interval", k=3)))
    assert data["legend_title"] == "Suitability score (equal interval)"
    assert data["msg"]["excluded_legend"] == "excluded (see popup)"
    assert len(data["class_labels"]) == len(data["palette"]) == len(data["bins"]) == 3


def test_data_text_is_escaped(scored):
    _study, _scores, ranked = scored
    tricky = ranked.rename(index={"P4": XSS})
    html = unjs(map_html(parcel_map(tricky)))
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_score_card_data_in_the_page(scored):
    """The page carries each parcel's score, rank, criterion values and reason once, as data."""
    study, scores, ranked = scored
    data = page_data(map_html(scenario_map(study, scores)))
    i = data["ids"].index("P4")
    assert data["rank"][i] == 1 and data["score"][i] == pytest.approx(0.8)
    assert [c["key"] for c in data["crit"]] == list(scores.criteria)
    for j, c in enumerate(scores.criteria):
        assert data["values"][j][i] == pytest.approx(scores.values.loc["P4", c], abs=1e-10)
    excluded = [pid for pid, r in zip(data["ids"], data["reason_of"], strict=True) if r >= 0]
    assert excluded == list(ranked.index[~ranked["eligible"].to_numpy(dtype=bool)])
    assert "landuse = public not allowed" in data["reasons"]
    assert data["weights"] == pytest.approx([scores.weights[c] for c in scores.criteria])
    assert data["what_if"] is True and data["method"] == "weighted_sum"


def test_size_warning(scored, tmp_path):
    _study, _scores, ranked = scored
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
    assert re.search(r"<td>[0-9a-f]{64}</td>", report)  # the input's sha256
    assert re.search(r"Parcel P4:\s+rank 1, score 0\.800", report)
    assert not EXTERNAL.search(report)


def test_offline_map_can_use_a_local_tile_server(scored):
    study, scores, _ranked = scored
    html = map_html(
        scenario_map(study, scores, offline=True, tile_url="http://127.0.0.1:8080/{z}/{x}/{y}.png"), offline=True
    )
    assert "Local tiles" in html and "http://127.0.0.1:8080/{z}/{x}/{y}.png" in html
    assert "tile.openstreetmap" not in html


@pytest.mark.filterwarnings("ignore:water. 1 invalid geometries repaired")
def test_run_writes_the_report_when_validation_warns(scenario_dir, tmp_path):
    """A self-intersecting lake is repaired with a warning; the run and its report still complete."""
    import geopandas as gpd
    import shapely

    from conftest import CRS, X0, Y0

    bowtie = shapely.Polygon([(X0 + 200, Y0 + 100), (X0 + 300, Y0 + 150), (X0 + 300, Y0 + 100), (X0 + 200, Y0 + 150)])
    gpd.GeoDataFrame({"name": ["Hồ"]}, geometry=[bowtie], crs=CRS).to_file(scenario_dir / "water.fgb", engine="pyogrio")
    r = CliRunner().invoke(app, ["run", str(scenario_dir / "scenario.toml"), "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    warn = re.search(r'<li class="warn">(.*?)</li>', report)
    assert warn and "1 invalid polygons repaired" in warn.group(1)


def test_report_shows_the_weights_the_scoring_used(scored):
    """The criteria table prints the weights of the Scores, not weights recomputed from the scenario."""
    from landplan.outputs.report import render_report

    study, scores, _ranked = scored
    used = dataclasses.replace(scores, weights={"zone_distance": 0.125, "schools": 0.25, "price": 0.625})
    html = render_report(study, used, interactive_map=False).split('<table class="criteria">')[1].split("</table>")[0]
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>[^<]+</td>.*?<td class=\"num\">([0-9.]+)</td></tr>", html, re.S))
    assert rows == {"zone distance": "0.125", "schools": "0.250", "price": "0.625"}


def test_parcel_column_ending_in_raw_is_not_a_criterion(scored):
    """A parcel attribute ``survey_raw`` is carried along but never drawn as a criterion."""
    study, scores, ranked = scored
    with_survey = ranked.assign(survey_raw=["a", "b", "c", "d", "e", "f", "g", "h", "i"])
    data = page_data(map_html(scenario_map(study, scores, ranked=with_survey)))
    assert [c["label"] for c in data["crit"]] == ["zone distance", "schools", "price"]
    assert "survey" not in json.dumps(data)


def test_charts_leave_the_session_backend_and_pyplot_alone(scored):
    """static_map and the report's charts draw on their own Agg canvases; the backend stays as the user set it."""
    import matplotlib
    import matplotlib.pyplot as plt

    from landplan.outputs.report import render_report
    from landplan.outputs.static_map import static_map

    study, scores, _ranked = scored
    before = matplotlib.get_backend()
    try:
        plt.switch_backend("pdf")
        fig = static_map(study, scores)
        render_report(study, scores, interactive_map=False)
        assert matplotlib.get_backend() == "pdf"
        assert plt.get_fignums() == []
        assert type(fig.canvas).__name__ == "FigureCanvasAgg"
    finally:
        plt.switch_backend(before)


@pytest.mark.parametrize("name", ["$x^$", "cost $ and $\\frac", "$$", "price in $ (USD)"])
def test_dollar_signs_in_text_are_drawn_literally(scenario_dir, tmp_path, name):
    """Scenario names with matplotlib mathtext syntax give a PNG map and a report, not a crash."""
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8")
    text = text.replace('name = "grid test"', f"name = {json.dumps(name)}")
    text = text.replace('name = "price"', f'name = "price"\nlabel = {json.dumps(name)}\nunit = {json.dumps(name)}')
    (scenario_dir / "scenario.toml").write_text(text, encoding="utf-8")
    r = CliRunner().invoke(app, ["map", str(scenario_dir / "scenario.toml"), "-o", str(tmp_path / "m.png"), "--png"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    study = landplan.load_study(scenario_dir / "scenario.toml")
    from landplan.outputs.static_map import static_map

    fig = static_map(study, landplan.score(study))
    assert fig.axes[0].get_title().replace("\\$", "$") == name


@given(
    rows=st.lists(
        st.tuples(st.text(min_size=1, max_size=6), st.sampled_from([0.1, 0.5, 0.9]), st.booleans()),
        min_size=1,
        max_size=40,
        unique_by=lambda r: r[0],
    )
)
def test_browser_tie_break_order_is_the_rank_rule(rows):
    """The order key sent to the browser ranks like ``rank_eligible``: -score, then parcel id."""
    from landplan.outputs.webmap.client import _order_key
    from landplan.scoring.aggregate import rank_eligible

    index = pd.Index([r[0] for r in rows], dtype=object)
    score = pd.Series([r[1] for r in rows], index=index)
    eligible = pd.Series([r[2] for r in rows], index=index)
    key = _order_key(index)
    positions = sorted((i for i in range(len(rows)) if rows[i][2]), key=lambda i: (-rows[i][1], key[i]))
    browser = pd.Series(pd.NA, index=index, dtype="Int64")
    browser.iloc[positions] = np.arange(1, len(positions) + 1)
    assert browser.equals(rank_eligible(score, eligible).rename(None))


def test_assets_are_inline_by_default_and_offline_is_the_old_spelling():
    from landplan.config.settings import OutputSpec

    assert OutputSpec().assets == "inline" and OutputSpec().inline_assets
    assert OutputSpec.model_validate({"offline": False}).assets == "cdn"
    assert OutputSpec.model_validate({"offline": True}).assets == "inline"
    assert OutputSpec.model_validate({"offline": False, "assets": "inline"}).assets == "inline"


def test_cdn_map_offers_web_tiles_and_offline_map_does_not(scenario_dir, tmp_path):
    scenario = str(scenario_dir / "scenario.toml")
    runner = CliRunner()
    r = runner.invoke(app, ["map", scenario, "-o", str(tmp_path / "cdn.html"), "--cdn"])
    assert r.exit_code == 0, r.output
    cdn = (tmp_path / "cdn.html").read_text(encoding="utf-8")
    assert EXTERNAL.search(cdn) and "tile.openstreetmap" in cdn
    r = runner.invoke(app, ["map", scenario, "-o", str(tmp_path / "x.html"), "--cdn", "--offline"])
    assert r.exit_code == 2 and "exclude each other" in r.output


def test_vietnamese_map_data_is_translated(scored):
    study, scores, _ranked = scored
    data = page_data(map_html(scenario_map(study, scores, lang="vi")))
    assert data["lang"] == "vi"
    assert data["msg"]["score"] == "Điểm" and data["msg"]["parcel"] == "Thửa đất"
    assert data["legend_title"] == "Điểm phù hợp (phân vị)"


def test_context_layers_draw_roads_and_water(scored):
    study, scores, _ranked = scored
    html = map_html(scenario_map(study, scores, offline=True), offline=True)
    assert "Rivers and lakes" in html  # the grid scenario has a water layer
    assert html.count('"interactive": false') >= 2


def _decode(g: dict) -> list:
    """The decoding of client.js, in Python: one list of polygons (lists of rings) per parcel."""
    xy, k, r, p, out = g["xy"], 0, 0, 0, []
    for n_polys in g["polys"]:
        polys = []
        for _ in range(n_polys):
            rings = []
            for _ in range(g["rings"][p]):
                ring, x, y = [], 0, 0
                for c in range(g["points"][r]):
                    x, y = (xy[k], xy[k + 1]) if c == 0 else (x + xy[k], y + xy[k + 1])
                    ring.append((g["origin"][0] + x * g["step"], g["origin"][1] + y * g["step"]))
                    k += 2
                rings.append(ring)
                r += 1
            polys.append(rings)
            p += 1
        out.append(polys)
    return out


def test_polygon_encoding_round_trips_within_one_step():
    import shapely

    from landplan.outputs.webmap.client import encode_polygons

    holed = shapely.Polygon(
        [(105, 21), (105.01, 21), (105.01, 21.01), (105, 21.01)],
        [[(105.002, 21.002), (105.004, 21.002), (105.004, 21.004)]],
    )
    multi = shapely.MultiPolygon([shapely.box(105.02, 21.0, 105.03, 21.005), shapely.box(105.04, 21.0, 105.05, 21.001)])
    geoms = np.array([holed, multi, shapely.box(104.9, 20.9, 104.901234, 20.9005678)], dtype=object)
    g = encode_polygons(geoms, step_deg=1e-6)
    assert g["polys"] == [1, 2, 1] and g["rings"] == [2, 1, 1, 1]
    assert g["points"] == [4, 3, 4, 4, 4]  # closing vertices dropped
    decoded = _decode(json.loads(json.dumps(g)))
    for geom, polys in zip(geoms, decoded, strict=True):
        parts = shapely.get_parts(geom)
        for part, rings in zip(parts, polys, strict=True):
            expected = [part.exterior, *part.interiors]
            for ring, got in zip(expected, rings, strict=True):
                np.testing.assert_allclose(np.asarray(ring.coords)[:-1], got, atol=1e-6)
