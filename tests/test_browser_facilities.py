"""The facility programme on the map in a real browser: real mouse clicks open the facility cards.

Same setup as tests/test_browser.py (Debian's chromium via Playwright, external requests blocked).
The small scenario is the hand-checked one of tests/outputs/test_webmap_programme.py: a site of
1,000 units on P4 next to K1 (20 free places) and K3 (full); 1,560 m² of kindergarten land on P1.
"""

from __future__ import annotations

import pytest

from allocation.test_facility_result import kg2_allocated, kg2_scenario  # noqa: F401 (fixtures)
from test_browser import CHROMIUM, MapPage, browser, demo  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test.sh installs it with apt-get)"),
]


@pytest.fixture
def small_map(kg2_allocated, tmp_path):  # noqa: F811 (the imported fixture)
    from landplan.outputs.webmap import save_map, scenario_map

    study, scores, alloc = kg2_allocated
    path = tmp_path / "map.html"
    save_map(scenario_map(study, scores, allocation=alloc, offline=True, tiles=None), path, offline=True)
    return path


def _click_marker(w: MapPage, selector: str, lat: float, lon: float) -> str:
    """Bring a marker into view at zoom 17, click its screen position with the mouse; the popup's text."""
    w.view(lat, lon, 17)
    box = w.page.locator(selector).bounding_box()
    assert box is not None
    w.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    card = w.page.locator(".leaflet-popup-content .landplan-fac-card")
    card.wait_for()
    return card.inner_text()


def test_reserved_land_and_a_full_kindergarten_by_real_clicks(browser, small_map):  # noqa: F811
    w = MapPage(browser, small_map)
    fac = w.page.evaluate("() => window.landplan.d.fac")
    (land,) = fac["land"]
    text = _click_marker(w, '.landplan-fac div[data-row="0"]', land[0], land[1])
    assert "Reserved land: kindergarten" in text
    assert "Places to build\t130" in text and "Land reserved\t1,560 m²" in text
    assert "Housing site served\tP4" in text and "nearby parcel P1" in text
    w.close_popup()
    # the existing facilities' layer, switched on in the layer control with the mouse
    w.page.locator(".leaflet-control-layers").hover()
    w.page.get_by_text("Existing facilities: places left after the allocation").click()
    w.page.mouse.move(5, 450)  # the layer list folds away again
    w.page.wait_for_timeout(300)
    rows = {r[3]: j for j, r in enumerate(fac["existing"])}
    full = fac["existing"][rows["&lt;img src=x onerror=alert(1)&gt;"]]
    text = _click_marker(
        w, f'.landplan-fac-old div[data-row="{rows["&lt;img src=x onerror=alert(1)&gt;"]}"]', *full[:2]
    )
    assert "<img src=x onerror=alert(1)>" in text  # the hostile name shown as text
    assert "(full)" in text and "Capacity (places)\t40" in text and "Free places left\t0" in text
    assert w.page.locator(".landplan-fac-full").count() == 2  # K3, and K1 once the new site took its 20
    w.close_popup()
    k1 = fac["existing"][rows["Hoa Mai"]]
    text = _click_marker(w, f'.landplan-fac-old div[data-row="{rows["Hoa Mai"]}"]', *k1[:2])
    assert "New places absorbed\t20" in text and "Free places left\t0" in text
    w.shot("facility-full-kindergarten")
    assert w.external == [] and w.errors == [] and w.dialogs == []


def test_demo_reserved_land_cards_match_the_programme(browser, demo):  # noqa: F811
    from landplan.outputs.i18n import translator
    from landplan.outputs.site_needs import facility_kind_names

    names = facility_kind_names(translator("en"))
    result, d = demo
    plan, land = result.allocation.facilities, result.allocation.facility_land
    w = MapPage(browser, d / "map_en.html")
    rows = w.page.evaluate("() => window.landplan.d.fac.land")
    assert len(rows) == len(land)
    for j in (0, len(rows) // 2, len(rows) - 1):  # first, middle and last reserved land point
        row = plan.loc[land.index[j]]
        text = _click_marker(w, f'.landplan-fac div[data-row="{j}"]', rows[j][0], rows[j][1])
        assert f"Reserved land: {names[row['kind']]}" in text, text
        assert f"Land reserved\t{row['land_m2']:,.0f} m²" in text
        w.close_popup()
    # a reserved housing site's score card says what it needs built, kind by kind
    site = str(plan.loc[plan["to_build"] > 0, "site"].iloc[0])
    pt = result.study.parcels.geometry.loc[[site]].representative_point().to_crs(4326).iloc[0]
    x, y = w.view(pt.y, pt.x, 17)
    w.page.mouse.click(x, y)
    card = w.card()
    assert card["pid"] == site and "What this site needs built" in card["text"]
    kinds = w.page.locator(".landplan-needs tr[data-kind]").evaluate_all("rs => rs.map(r => r.dataset.kind)")
    assert sorted(kinds) == sorted(names[k] for k in plan.loc[plan["site"] == site, "kind"])
    w.shot("demo-site-needs")
    assert w.external == [] and w.errors == []
