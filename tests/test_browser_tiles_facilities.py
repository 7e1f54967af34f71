"""The tiled map's facility layers, zone tooltips and site needs in a real browser, by real mouse events.

The hand-checked scenario of tests/test_browser_facilities.py (a site of 1,000 units on P4 next to K1,
20 free places, and K3, full; 1,560 m² of kindergarten land on P1), written as the tiled map (what
``run`` writes above ``[output] tiles_above``) in English and Vietnamese. Debian's chromium via
Playwright, external requests blocked (the renderer's worker comes from a ``blob:`` URL).
"""

from __future__ import annotations

import pytest

import geopandas as gpd
import shapely

from allocation.test_facility_result import kg2_allocated, kg2_scenario  # noqa: F401 (fixtures)
from test_browser import CHROMIUM, browser  # noqa: F401 (fixture)
from vi_text import english_words, run_data_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test.sh installs it with apt-get)"),
]


@pytest.fixture
def tiled_study(kg2_allocated):  # noqa: F811 (the imported fixture)
    """The study, its scores and the allocation with its facility programme."""
    return kg2_allocated


def write(tiled_study, folder, lang: str):
    from landplan.outputs.webmap import scenario_tiled_map

    study, scores, alloc = tiled_study
    path = folder / f"map_{lang}.html"
    scenario_tiled_map(study, scores, path, allocation=alloc, lang=lang)
    return path


class TiledPage:
    """A tiled map page: external requests blocked and counted, console errors recorded."""

    def __init__(self, browser, path):  # noqa: F811 (the fixture's name)
        self.page = browser.new_page(viewport={"width": 1300, "height": 850})
        self.external: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("() => window.landplan && window.landplan.ready", timeout=60_000)

    def _route(self, route):
        if route.request.url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def view(self, lon: float, lat: float, zoom: float = 17) -> tuple[float, float]:
        """Centre the map on a point, popups closed, tiles loaded; the point on screen."""
        pg = self.page
        pg.evaluate("() => { if (window.landplan.open) { window.landplan.open.remove(); } }")
        pg.evaluate("(c) => window.landplan.map.jumpTo({center: c[0], zoom: c[1]})", [[lon, lat], zoom])
        pg.wait_for_function("() => window.landplan.map.areTilesLoaded() && !window.landplan.map.isMoving()")
        pg.wait_for_function("() => window.landplan.map.loaded()", timeout=20_000)
        return tuple(pg.evaluate("(c) => { const p = window.landplan.map.project(c); return [p.x, p.y]; }", [lon, lat]))

    def click_marker(self, selector: str, lon: float, lat: float) -> str:
        """Bring a marker into view, click its centre with the mouse; the facility card's text."""
        self.view(lon, lat)
        box = self.page.locator(selector).bounding_box()
        assert box is not None
        self.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        card = self.page.locator(".maplibregl-popup .landplan-fac-card")
        card.wait_for()
        return card.inner_text()

    def toggle_layer(self, title: str) -> None:
        """Open the layer list and click a layer's name with the mouse."""
        if self.page.locator(".landplan-layers-body").is_hidden():
            self.page.locator(".landplan-layers-toggle").click()
        self.page.locator(".landplan-layers-body").get_by_text(title).click()


def lonlat(geom, crs) -> tuple[float, float]:
    """A point inside ``geom`` in degrees."""
    pt = gpd.GeoSeries([shapely.point_on_surface(geom)], crs=crs).to_crs(4326).iloc[0]
    return pt.x, pt.y


def test_facility_layers_cards_zone_tooltip_and_site_needs_by_real_mouse_events(browser, tiled_study, tmp_path):  # noqa: F811
    study, _, _ = tiled_study
    w = TiledPage(browser, write(tiled_study, tmp_path, "en"))
    fac = w.page.evaluate("() => window.landplan.d.fac")
    (land,) = fac["land"]
    text = w.click_marker('.landplan-fac div[data-row="0"]', land[1], land[0])
    assert "Reserved land: kindergarten" in text
    assert "Places to build\t130" in text and "Land reserved\t1,560 m²" in text
    assert "Housing site served\tP4" in text and "nearby parcel P1" in text
    # the existing facilities are hidden at first, then switched on in the layer control
    assert w.page.locator(".landplan-fac-old").count() == 0
    w.toggle_layer("Existing facilities: places left after the allocation")
    rows = {r[3]: j for j, r in enumerate(fac["existing"])}
    hostile = rows["&lt;img src=x onerror=alert(1)&gt;"]
    text = w.click_marker(f'.landplan-fac-old div[data-row="{hostile}"]', *fac["existing"][hostile][1::-1])
    assert "<img src=x onerror=alert(1)>" in text  # the hostile name shown as text
    assert "(full)" in text and "Capacity (places)\t40" in text and "Free places left\t0" in text
    assert w.page.locator(".landplan-fac-full").count() == 2  # K3, and K1 once the new site took its 20
    k1 = fac["existing"][rows["Hoa Mai"]]
    text = w.click_marker(f'.landplan-fac-old div[data-row="{rows["Hoa Mai"]}"]', k1[1], k1[0])
    assert "New places absorbed\t20" in text and "Free places left\t0" in text
    # the legend names the reserved land's kinds and the full existing facilities, as on the small map
    legend = w.page.locator(".landplan-tiles-legend").inner_text()
    assert "Reserved facility land" in legend and "kindergarten" in legend and "existing facility, full" in legend
    # both facility layers switched off with the mouse (K1 and K3 lie in P4, clicked next)
    w.toggle_layer("Reserved facility land")
    w.toggle_layer("Existing facilities: places left after the allocation")
    assert w.page.locator(".landplan-fac, .landplan-fac-old").count() == 0
    # the housing site's card says what it needs built (a real click on P4)
    x, y = w.view(*lonlat(study.parcels.geometry.loc["P4"], study.parcels.crs))
    w.page.mouse.click(x, y)
    card = w.page.wait_for_selector('.maplibregl-popup .landplan-card[data-pid="P4"]', timeout=20_000)
    assert "What this site needs built" in card.inner_text()
    kinds = w.page.locator(".landplan-needs tr[data-kind]").evaluate_all("rs => rs.map(r => r.dataset.kind)")
    assert "kindergarten" in kinds
    # hovering a zone where no parcel lies shows its fields
    zone = study.zones.geometry.iloc[0].difference(shapely.union_all(study.parcels.geometry.to_numpy()))
    assert not zone.is_empty
    x, y = w.view(*lonlat(zone, study.zones.crs), zoom=16)
    w.page.mouse.move(x + 1, y + 1, steps=3)
    tip = w.page.locator(".landplan-tooltip")
    tip.wait_for()
    assert f"Industrial zone\t{study.zone_names.iloc[0]}" in tip.inner_text()
    assert w.external == [] and w.errors == []


def test_the_vietnamese_tiled_map_shows_facilities_in_vietnamese(browser, tiled_study, tmp_path):  # noqa: F811
    study, _, _ = tiled_study
    w = TiledPage(browser, write(tiled_study, tmp_path, "vi"))
    fac = w.page.evaluate("() => window.landplan.d.fac")
    (land,) = fac["land"]
    text = w.click_marker('.landplan-fac div[data-row="0"]', land[1], land[0])
    assert "trường mầm non" in text
    assert w.page.locator(".landplan-tiles-legend").inner_text().count("Quỹ đất bố trí công trình hạ tầng xã hội") == 1
    w.toggle_layer("Công trình hiện có: số chỗ còn trống sau phân bổ")
    k1 = fac["existing"][[r[3] for r in fac["existing"]].index("Hoa Mai")]
    w.click_marker(f'.landplan-fac-old div[data-row="{fac["existing"].index(k1)}"]', k1[1], k1[0])
    w.page.locator(".landplan-layers-body").wait_for()
    body = w.page.inner_text("body")
    names = ["Hoa Mai", "Far away", "<img src=x onerror=alert(1)>", "Tram y te"]
    assert english_words(body, data=[*run_data_text(study), *names]) == [], body
    assert w.external == [] and w.errors == []
