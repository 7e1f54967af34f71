"""The offline map and the report in a real browser (Debian's chromium driven by Playwright).

Every request that is not ``file:`` or ``data:`` is blocked and counted. Screenshots are kept in
``test-artifacts/``. Skipped, with the reason, where chromium or playwright is missing; CI
installs both (scripts/test.sh).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

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
    w.page.locator(f"path.lp-p{idx}").dispatch_event("click")  # a rank label may lie on top of it
    popup = w.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Parcel P4" in text
    assert f"Score {ranked.loc['P4', 'score']:.3f}" in text
    w.shot("map-popup")
    # toggling the zones layer hides it
    assert w.page.locator("path.lp-zone").count() == 1
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
    w.page.locator(f"path.lp-p{idx}").dispatch_event("click")  # a rank label may lie on top of it
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
