"""The offline map and the report in a real browser (Debian's chromium driven by Playwright).

Every request that is not ``file:`` or ``data:`` is blocked and counted. Screenshots are kept in
``test-artifacts/``. Skipped, with the reason, where chromium or playwright is missing; CI
installs both (scripts/test.sh).
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd

import landplan
from conftest import CRS, box

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
XSS = "<img src=x onerror=alert(1)>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test.sh installs it with apt-get)"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


class Watched:
    """A page whose external requests are blocked and counted, with console errors and dialogs recorded."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1300, "height": 850})
        self.external: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def real_click(page, locator) -> None:
    """A real mouse click (not a dispatched event) at the centre of an element's box."""
    b = locator.bounding_box()
    assert b is not None
    page.mouse.click(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Grid scenario with an XSS payload as a parcel id and a zone name; offline map and report."""
    d = tmp_path_factory.mktemp("browser")
    cells = [box(x, y) for y in (0, 100, 200) for x in (0, 100, 200)]
    ids = [f"P{i}" for i in range(9)]
    ids[5] = XSS
    gpd.GeoDataFrame(
        {"parcel_id": ids, "landuse": ["vacant"] * 9, "price": [10.0 + 2 * i for i in range(9)]},
        geometry=cells,
        crs=CRS,
    ).to_file(d / "parcels.gpkg", engine="pyogrio")
    gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": [XSS], "hazard": ["IV"], "workers": [1000]},
        geometry=[box(-150, 0, 100, 300)],
        crs=CRS,
    ).to_file(d / "zones.gpkg", engine="pyogrio")
    (d / "s.toml").write_text(
        textwrap.dedent("""
        [scenario]
        name = "browser test"
        crs = "EPSG:32648"
        [layers.parcels]
        path = "parcels.gpkg"
        id_field = "parcel_id"
        [layers.zones]
        path = "zones.gpkg"
        id_field = "zone_id"
        name_field = "name"
        hazard_field = "hazard"
        workers_field = "workers"
        [[criteria]]
        name = "zone_distance"
        kind = "distance"
        layer = "zones"
        weight = 2
        value = { function = "linear", lower = 0, upper = 1000, increasing = false }
        [[criteria]]
        name = "price"
        kind = "attribute"
        field = "price"
        weight = 1
        value = { function = "linear", lower = 10, upper = 26, increasing = false }
        [[constraints]]
        kind = "isolation"
        [output]
        formats = ["csv"]
        offline = true
        top = 3
        [allocation]
        max_commute_m = 2000
        """),
        encoding="utf-8",
    )
    from landplan.allocation import OverReservationWarning

    # one 1 ha parcel holds more than the zone needs: the warning names the (hostile) zone name,
    # which the report then shows escaped
    with pytest.warns(OverReservationWarning):
        result = landplan.run(d / "s.toml", out_dir=d / "out")
    return result, d / "out"


def test_offline_map_in_a_real_browser(browser, outputs):
    result, out = outputs
    w = Watched(browser)
    w.page.goto((out / "map.html").as_uri())
    w.page.wait_for_selector("path.lp-parcel")
    w.shot("map-loaded")
    # one interactive path per parcel
    assert w.page.locator("path.lp-parcel").count() == 9
    # a click on P4 opens its score card (paths carry class lp-p<position in the ranking>)
    ranked = result.ranked
    idx = list(ranked.index).index("P4")
    real_click(w.page, w.page.locator(f"path.lp-p{idx}"))  # the rank label on top of it takes no clicks
    popup = w.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Parcel P4" in text
    assert f"Score {ranked.loc['P4', 'score']:.3f}" in text
    w.shot("map-popup")
    # toggling the zones layer hides it (the layer control opens on hover)
    assert w.page.locator("path.lp-zone").count() == 1
    w.page.locator(".leaflet-control-layers").hover()
    w.page.get_by_text("Industrial zones and isolation buffers").click()
    assert w.page.locator("path.lp-zone").count() == 0
    w.shot("map-zones-hidden")
    assert w.external == [], f"external requests: {w.external[:5]}"
    assert w.errors == [], w.errors


def test_xss_payload_is_shown_as_text(browser, outputs):
    result, out = outputs
    w = Watched(browser)
    w.page.goto((out / "map.html").as_uri())
    w.page.wait_for_selector("path.lp-parcel")
    idx = list(result.ranked.index).index(XSS)
    real_click(w.page, w.page.locator(f"path.lp-p{idx}"))
    popup = w.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS in popup.inner_text()
    assert w.page.locator(".leaflet-popup-content img").count() == 0
    w.page.locator("path.lp-zone").hover(force=True)
    w.page.wait_for_timeout(300)
    w.shot("map-xss")
    assert w.dialogs == []
    assert w.external == []


def test_report_renders_offline(browser, outputs):
    _, out = outputs
    w = Watched(browser)
    w.page.goto((out / "report.html").as_uri())
    w.page.wait_for_selector("h1")
    assert "browser test" in w.page.locator("h1").inner_text()
    assert w.page.locator("table").count() >= 4
    assert w.page.locator(".charts svg").count() == 2
    frame = w.page.frame_locator("iframe")
    frame.locator("path.lp-parcel").first.wait_for(state="attached")
    assert frame.locator("path.lp-parcel").count() == 9
    w.shot("report")
    assert w.dialogs == []
    assert w.external == [], w.external[:5]
    assert w.errors == [], w.errors


# ---------------------------------------------------------------- the demo map at 1400x900, real mouse events


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The bundled demo computed once; its offline map written in English and in Vietnamese."""
    from landplan.datasets import demo_scenario
    from landplan.outputs.webmap import save_map, scenario_map

    d = tmp_path_factory.mktemp("demo-map")
    result = landplan.compute(demo_scenario())
    for lang in ("en", "vi"):
        m = scenario_map(
            result.study, result.scores, ranked=result.ranked, allocation=result.allocation, offline=True, lang=lang
        )
        save_map(m, d / f"map_{lang}.html", offline=True)
    return result, d


class MapPage(Watched):
    """A demo map page at 1400x900 with helpers to bring a place into view and click it for real."""

    def __init__(self, browser, path: Path):
        super().__init__(browser)
        self.page.set_viewport_size({"width": 1400, "height": 900})
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("path.lp-parcel")
        self.page.wait_for_function("() => window.landplan && window.landplan.best")

    def view(self, lat: float, lon: float, zoom: int) -> tuple[float, float]:
        """Centre the map on a point (no animation); its page coordinates."""
        xy = self.page.evaluate(
            """([lat, lon, zoom]) => { const m = window.landplan.map; m.setView([lat, lon], zoom, {animate: false});
                const p = m.latLngToContainerPoint([lat, lon]); const r = m.getContainer().getBoundingClientRect();
                return [r.left + p.x, r.top + p.y]; }""",
            [lat, lon, zoom],
        )
        self.page.wait_for_timeout(50)
        return float(xy[0]), float(xy[1])

    def card(self) -> dict:
        card = self.page.locator(".leaflet-popup-content .landplan-card")
        card.wait_for()
        return {
            "pid": card.get_attribute("data-pid"),
            "score": card.get_attribute("data-score"),
            "rank": card.get_attribute("data-rank"),
            "text": card.inner_text(),
        }

    def close_popup(self) -> None:
        """Close the open card and wait until its fade-out has removed it from the page."""
        self.page.evaluate("() => { window.landplan.map.closePopup(); }")
        self.page.wait_for_function("() => !document.querySelector('.leaflet-popup')")


def _inside_points(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """A point inside each geometry, in EPSG:4326."""
    return gpd.GeoSeries(gdf.geometry.representative_point(), crs=gdf.crs).to_crs(4326)


def test_every_top_parcel_opens_its_card_with_a_real_click(browser, demo):
    result, d = demo
    w = MapPage(browser, d / "map_en.html")
    w.shot("demo-map")
    assert w.page.locator(".leaflet-control-layers-expanded").count() == 0  # the layer control starts collapsed
    top = result.scores.top(20)
    reserved = set(result.allocation.parcels.index)
    assert len(reserved & set(top)) >= 5  # the allocation layer (on) covers several of them
    points = _inside_points(result.study.parcels.loc[top])
    for rank, (pid, pt) in enumerate(points.items(), start=1):
        x, y = w.view(pt.y, pt.x, 17)
        w.page.mouse.click(x, y)
        card = w.card()
        assert card["pid"] == pid, (rank, card["pid"])
        assert card["rank"] == str(rank)
        assert f"Score {result.scores.score[pid]:.3f}, rank {rank}" in card["text"]
        if pid in reserved:
            assert "Reserved for" in card["text"]
        if rank == 1:
            w.shot("demo-card-rank1")
        w.close_popup()
    assert w.external == [], w.external[:5]
    assert w.errors == [], w.errors


def test_hovering_a_zone_shows_its_demand(browser, demo):
    result, d = demo
    w = MapPage(browser, d / "map_en.html")
    zones = result.study.zones
    free = zones.geometry.difference(result.study.parcels.geometry.buffer(5).union_all())
    zid = result.allocation.zones["units_needed"].idxmax()
    pt = _inside_points(gpd.GeoDataFrame(geometry=free.loc[[zid]], crs=zones.crs)).iloc[0]
    x, y = w.view(pt.y, pt.x, 15)
    w.page.mouse.move(x - 3, y - 3)
    w.page.mouse.move(x, y)
    tip = w.page.locator(".leaflet-tooltip:not(.landplan-zone-label)").first
    tip.wait_for()
    text = tip.inner_text()
    needed = result.allocation.zones.loc[zid, "units_needed"]
    assert result.study.zone_names[zid] in text
    assert "Demand (units)" in text and f"{needed:,.0f}" in text
    assert "Unmet demand (units)" in text
    w.shot("demo-zone-hover")
    assert w.external == []


def _visible_label_boxes(page) -> list[dict]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.landplan-rank'))
            .filter(e => e.style.visibility !== 'hidden')
            .map(e => { const r = e.getBoundingClientRect();
                        return {rank: e.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; })"""
    )


@pytest.mark.parametrize("zoom_change", [0, -1, 1, 3])
def test_rank_labels_never_overlap(browser, demo, zoom_change):
    _result, d = demo
    w = MapPage(browser, d / "map_en.html")
    if zoom_change:  # around the best parcel, where the top ranks crowd
        w.page.evaluate(
            f"""() => {{ const m = window.landplan.map, i = window.landplan.best[0];
                m.setView(window.landplan.labelPoint(i), m.getZoom() + {zoom_change}, {{animate: false}}); }}"""
        )
        w.page.wait_for_timeout(300)
    boxes = _visible_label_boxes(w.page)
    assert "1" in {b["rank"] for b in boxes}  # rank 1 wins every collision
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]
            assert not overlap, (a, b)
    w.shot(f"demo-labels-zoom{zoom_change:+d}")


def test_the_scale_bar_is_metric_and_clear_of_the_legend(browser, demo):
    _result, d = demo
    w = MapPage(browser, d / "map_en.html")
    scale = w.page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and re.fullmatch(r"\d+ (m|km)", scale.inner_text())
    s, legend = scale.bounding_box(), w.page.locator(".landplan-legend").bounding_box()
    assert s is not None and legend is not None
    assert s["x"] + s["width"] < legend["x"] or s["y"] + s["height"] < legend["y"]


def test_what_if_sliders_recompute_the_scores_python_computes(browser, demo):
    import tomllib

    result, d = demo
    w = MapPage(browser, d / "map_en.html")
    real_click(w.page, w.page.locator(".landplan-whatif-toggle"))
    sliders = w.page.locator("input.landplan-slider")
    names = list(result.scores.criteria)
    assert sliders.count() == len(names)
    # real clicks on two tracks: near the left end of the first, the middle of the last
    for k, frac in ((0, 0.15), (len(names) - 1, 0.5)):
        b = sliders.nth(k).bounding_box()
        assert b is not None
        w.page.mouse.click(b["x"] + b["width"] * frac, b["y"] + b["height"] / 2)
    given = [float(v) for v in w.page.eval_on_selector_all("input.landplan-slider", "els => els.map(e => e.value)")]
    assert given[0] < 5 and given[-1] != 2.5  # the clicks moved them
    weights = dict(zip(names, given, strict=True))
    expected = landplan.score(result.study, weights=weights)
    shown = w.page.evaluate("() => [window.landplan.score, window.landplan.rank]")
    ids = list(result.ranked.index)
    js_score = pd.Series(shown[0], index=ids, dtype="float64")
    js_rank = pd.Series(shown[1], index=ids, dtype="Float64")
    np.testing.assert_allclose(js_score, expected.score.reindex(ids), atol=1e-9)
    assert js_rank.astype("Int64").equals(expected.rank.reindex(ids).astype("Int64"))
    # the new top 5 open cards with the new scores, by real clicks
    new_top = expected.top(5)
    for rank, (pid, pt) in enumerate(_inside_points(result.study.parcels.loc[new_top]).items(), start=1):
        x, y = w.view(pt.y, pt.x, 17)
        w.page.mouse.click(x, y)
        card = w.card()
        assert card["pid"] == pid and card["rank"] == str(rank)
        assert abs(float(card["score"]) - expected.score[pid]) <= 1e-9
        assert f"Score {expected.score[pid]:.3f}, rank {rank} (what-if)" in card["text"]
        w.close_popup()
    w.shot("demo-what-if")
    # copy as TOML gives the slider weights; reset restores the scenario's scores
    real_click(w.page, w.page.locator("button.landplan-copy"))
    toml = tomllib.loads(w.page.locator("textarea.landplan-toml").input_value())
    assert toml["weights"] == pytest.approx(weights)
    real_click(w.page, w.page.locator("button.landplan-reset"))
    back = w.page.evaluate("() => window.landplan.score")
    np.testing.assert_allclose(pd.Series(back, index=ids, dtype="float64"), result.scores.score[ids], atol=1e-9)
    assert w.external == [] and w.errors == []


def test_vietnamese_map_shows_no_english_word(browser, demo):
    from vi_text import english_words, run_data_text

    result, d = demo
    data = run_data_text(result.study)
    w = MapPage(browser, d / "map_vi.html")
    # open what a user opens, with real clicks: the best parcel's score card, an excluded parcel's
    # card (its reason), the what-if panel, the layer list
    seen = []
    pid = result.scores.top(1)[0]
    excluded = result.scores.excluded_by[result.scores.excluded_by.str.contains("isolation|overlaps", regex=True)]
    for p in (pid, excluded.index[0]):
        pt = _inside_points(result.study.parcels.loc[[p]]).iloc[0]
        x, y = w.view(pt.y, pt.x, 17)
        w.page.mouse.click(x, y)
        card = w.page.locator(".leaflet-popup-content")
        card.wait_for()
        seen.append(card.inner_text())
        w.close_popup()
    assert "Điểm" in seen[0] and "Thửa đất" in seen[0]
    assert "cách ly" in seen[1] or "chồng lấn" in seen[1], seen[1]
    pt = _inside_points(result.study.parcels.loc[[pid]]).iloc[0]
    x, y = w.view(pt.y, pt.x, 17)
    w.page.mouse.click(x, y)
    card = w.card()
    # the measuring tool, opened and started (leaflet-measure's own texts)
    w.page.locator(".leaflet-control-measure").hover()
    real_click(w.page, w.page.locator(".leaflet-control-measure .js-start"))
    seen.append(w.page.locator(".leaflet-control-measure").inner_text())
    assert "Đo" in seen[-1] or "điểm" in seen[-1], seen[-1]
    real_click(w.page, w.page.locator(".leaflet-control-measure .js-cancel"))
    w.page.mouse.click(x, y)
    card = w.card()
    real_click(w.page, w.page.locator(".landplan-whatif-toggle"))
    assert w.page.locator(".landplan-whatif input[type=range]").first.is_visible()
    w.page.locator(".leaflet-control-layers").hover()
    w.page.wait_for_timeout(200)
    w.shot("demo-vi")
    text = w.page.evaluate("() => document.body.innerText")
    assert "Điểm" in text  # the card is still open beside the what-if panel
    assert english_words(" ".join([text, *seen]), data=data) == []
    # numbers follow the language: the card's area in m2 with a dot as thousands separator, decimal commas
    assert re.search(r"\d{1,3}\.\d{3} m2", card["text"]), card["text"]
    assert re.fullmatch(r"\d,\d\d – \d,\d\d", w.page.locator(".landplan-legend div").first.inner_text().strip())
    assert w.external == []


@pytest.fixture(scope="module")
def vi_run(tmp_path_factory):
    """The bundled demo run in Vietnamese by the real command line: ``landplan run ... --lang vi``."""
    import subprocess
    import sys

    from landplan.datasets import demo_scenario

    out = tmp_path_factory.mktemp("vi-run") / "run"
    cmd = [sys.executable, "-m", "landplan", "-q", "run", str(demo_scenario()), "--lang", "vi", "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return out


def test_vietnamese_report_shows_no_english_word(browser, demo, vi_run):
    import json

    from vi_text import english_words, run_data_text

    result, _ = demo
    w = Watched(browser)
    w.page.goto((vi_run / "report.html").as_uri())
    assert w.page.evaluate("() => document.documentElement.lang") == "vi"
    # the run's machine record (JSON keys are program identifiers) is marked translate="no": check it
    # is that record, then leave it out
    code = w.page.evaluate(
        "() => Array.from(document.querySelectorAll('[translate=no]')).map(e => { const t = e.innerText; "
        "e.remove(); return t; })"
    )
    assert len(code) == 1 and json.loads(code[0])["scenario"]["file"].endswith("hanoi_demo.toml")
    text = w.page.evaluate("() => document.body.innerText")
    w.shot("demo-report-vi")
    for heading in ("Quỹ đất được bố trí", "Điều kiện loại trừ", "Kiểm tra dữ liệu", "Quy chuẩn, tiêu chuẩn áp dụng"):
        assert heading in text
    # the scenario's Vietnamese name, a translated finding, a translated constraint, Vietnamese numbers
    assert "Kịch bản mẫu Hà Nội" in text
    assert "nằm ngoài phạm vi của lớp" in text and "cách sửa:" in text
    assert "nằm ngoài khoảng cách ly của mọi khu trong lớp" in text
    assert re.search(r"\b\d{1,3}\.\d{3} thửa", text) or re.search(r"\d\.\d{3}", text)
    assert english_words(text, data=run_data_text(result.study)) == []
    assert w.external == [] and w.errors == []
