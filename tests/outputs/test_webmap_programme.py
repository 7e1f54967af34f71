"""The facility programme in the map's data object (``fac``), hand-checked on a small scenario.

A housing site of 1,000 units on P4 (3 persons per unit: 150 kindergarten places) next to K1, a
kindergarten with 20 free places (100, 80 taken), and K3, a full one; K2 lies 3 km away. By hand:
20 absorbed from K1, 130 to build on 1,560 m² of P1 (P4 is full of housing); K1 and K3 have 0 free
places left, K2 keeps 50.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

import landplan
from allocation.test_facility_result import SPEC, _alloc, kg2_scenario  # noqa: F401 (fixture)
from landplan.allocation import allocate
from landplan.allocation.facilities import facility_plan
from landplan.outputs.webmap import map_html, page_data, scenario_map


def _hand_allocation(study, scores):
    """The site of 1,000 units on P4, with the zone table of a real allocation (the zone layer reads it)."""
    return replace(allocate(study, scores), parcels=_alloc(1000.0).parcels)


def _page(scenario, lang="en") -> tuple[str, dict]:
    study = landplan.load_study(scenario)
    scores = landplan.score(study)
    alloc = _hand_allocation(study, scores)
    plan = facility_plan(study, scores, alloc, spec=SPEC, reach_m=1000)
    alloc = replace(alloc, facilities=plan.programme, facility_land=plan.land, facility_existing=plan.existing)
    page = map_html(scenario_map(study, scores, allocation=alloc, tiles=None, lang=lang))
    return page, page_data(page)


@pytest.fixture
def page(kg2_scenario):  # noqa: F811 (the imported fixture)
    return _page(kg2_scenario)


def test_reserved_land_row_by_hand(page):
    _, data = page
    fac = data["fac"]
    ((lat, lon, kind, to_build, in_sites, land_m2, site, zone, placement, host, dist, norm, k, n),) = fac["land"]
    assert fac["kinds"][kind]["name"] == "kindergarten" and fac["kinds"][kind]["letter"] == "K"
    assert (to_build, in_sites, land_m2, site, host, dist, k, n) == (130, 0, 1560, "P4", "P1", 0, 0, 1)
    assert zone == data["zones"][0]  # the zone display name, as the parcel cards show it
    assert fac["words"][placement] == "nearby parcel" and "m2_per_place 12" in fac["words"][norm]
    assert 20.9 < lat < 21.1 and 105.7 < lon < 105.9  # EPSG:4326, lat first (Leaflet)


def test_existing_kindergartens_left_by_hand(page):
    _, data = page
    fac = data["fac"]
    rows = {r[3]: r[4:] for r in fac["existing"]}  # name: capacity, load, absorbed, free, sites served
    assert rows["Hoa Mai"] == [100, 80, 20, 0, 1]
    assert rows["Far away"] == [60, 10, 0, 50, 0]
    # the full one: its hostile name escaped, 0 free places
    assert rows["&lt;img src=x onerror=alert(1)&gt;"] == [40, 40, 0, 0, 0]


def test_site_card_rows_by_hand(page):
    _, data = page
    fac = data["fac"]
    at = data["ids"].index("P4")
    ((kind, needed, absorbed, to_build, unit, land_m2, placement, host),) = fac["sites"][str(at)]
    assert fac["kinds"][kind]["name"] == "kindergarten"
    assert (needed, absorbed, to_build, land_m2, host) == (150, 20, 130, 1560, "P1")
    assert fac["words"][unit] == "places" and fac["words"][placement] == "nearby parcel"
    assert set(fac["sites"]) == {str(at)}  # only the housing site has a "needs built" table


def test_no_data_text_unescaped(page):
    html, _ = page
    assert "<img src=x" not in html


def test_vietnamese_names(kg2_scenario):  # noqa: F811 (the imported fixture)
    _, data = _page(kg2_scenario, lang="vi")
    fac = data["fac"]
    assert [k["name"] for k in fac["kinds"]] == ["trường mầm non"]
    assert fac["msg"]["free"] == "Số chỗ còn trống" and "thửa đất lân cận" in fac["words"]


def test_no_programme_no_layer(kg2_scenario):  # noqa: F811 (the imported fixture)
    study = landplan.load_study(kg2_scenario)
    scores = landplan.score(study)
    page = map_html(scenario_map(study, scores, allocation=_hand_allocation(study, scores), tiles=None))
    assert "fac" not in page_data(page) and "window.landplan.drawFacilities(" not in page


def test_report_score_card_says_what_the_site_needs_built(kg2_scenario):  # noqa: F811 (the imported fixture)
    from landplan.outputs.report import render_report

    study = landplan.load_study(kg2_scenario)
    scores = landplan.score(study)
    alloc = _hand_allocation(study, scores)
    plan = facility_plan(study, scores, alloc, spec=SPEC, reach_m=1000)
    alloc = replace(alloc, facilities=plan.programme, facility_land=plan.land, facility_existing=plan.existing)
    html = render_report(study, scores, allocation=alloc, top=9)
    card = next(c for c in html.split('<div class="card">')[1:] if c.startswith("<h3>Parcel P4"))
    assert "What this site needs built" in card
    # kind | needed | absorbed | to build | land | where
    row = card.split('class="site-needs"')[1].split("<tbody>")[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells == ["kindergarten", "150 places", "20", "130", "1,560", "nearby parcel P1"]
    others = [c.split("</div>")[0] for c in html.split('<div class="card">')[1:] if not c.startswith("<h3>Parcel P4")]
    assert others and not any("What this site needs built" in c for c in others)
