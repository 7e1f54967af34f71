"""The tiled map of 60,000 parcels in a real browser: opens from file:// offline, a real click opens the right card.

Debian's chromium driven by Playwright, as in ``test_browser.py`` (skipped, with the reason, where either is
missing). The map is written by :func:`landplan.outputs.webmap.save_tiled_map` above the ``tiles_above``
threshold; the parcel clicked is found on screen from its own geometry, and the mouse clicks there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

from conftest import CRS
from landplan.outputs.webmap import TILES_ABOVE, save_tiled_map
from landplan.outputs.webmap.client import ClientText
from vi_text import english_words

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
N = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test.sh installs it with apt-get)"),
]


def ranking(n: int) -> gpd.GeoDataFrame:
    """``n`` parcels 60-100 m wide on a 120 m grid, score = value of criterion ``a`` (checkable by hand)."""
    k = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    w = 60.0 + (i * 7919 % 41)
    x, y = 580_000 + (i % k) * 120.0, 2_320_000 + (i // k) * 120.0
    score = ((i * 104_729) % 10_007) / 10_006.0
    eligible = i % 7 != 3
    frame = gpd.GeoDataFrame(
        {
            "a_raw": i * 1.5,
            "a_value": score,
            "a_contrib": score,
            "score": score,
            "eligible": eligible,
            "excluded_by": np.where(eligible, "", "flood zone"),
        },
        geometry=shapely.box(x, y, x + w, y + w),
        crs=CRS,
        index=pd.Index([f"T{j:06d}" for j in i], name="parcel_id"),
    )
    order = frame.index[eligible][np.argsort(-score[eligible], kind="stable")]
    frame["rank"] = pd.array([pd.NA] * n, dtype="Int64")
    frame.loc[order, "rank"] = np.arange(1, len(order) + 1)
    return frame


@pytest.fixture(scope="module")
def tiled(tmp_path_factory) -> tuple[gpd.GeoDataFrame, Path]:
    ranked = ranking(N)
    path = tmp_path_factory.mktemp("tiled") / "map.html"
    best = ranked["rank"].dropna().sort_values().index[:20]
    save_tiled_map(ranked, path, criteria=["a"], weights={"a": 1.0}, best=best, text=ClientText(labels={"a": "A"}))
    return ranked, path


@pytest.fixture(scope="module")
def page(tiled):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-quic"]
        )
        pg = browser.new_page(viewport={"width": 1300, "height": 850})
        pg.external, pg.errors = [], []

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                pg.external.append(r.request.url)
                r.abort()

        pg.route("**/*", route)
        pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.goto(tiled[1].as_uri())
        pg.wait_for_function("() => window.landplan && window.landplan.ready", timeout=60_000)
        yield pg
        browser.close()


def parcel_on_screen(pg, ranked: gpd.GeoDataFrame, pid: str, *, zoom: float = 17) -> tuple[float, float]:
    """Bring a parcel into view (no popup open), tiles loaded; the screen point of a point inside it."""
    lon, lat = shapely.get_coordinates(
        gpd.GeoSeries([shapely.point_on_surface(ranked.geometry[pid])], crs=ranked.crs).to_crs(4326).iloc[0]
    )[0]
    return lonlat_on_screen(pg, lon, lat, zoom=zoom)


def lonlat_on_screen(pg, lon: float, lat: float, *, zoom: float = 17) -> tuple[float, float]:
    """Centre the map on a point at ``zoom`` (popups closed), wait for its tiles; the point's screen position."""
    pg.evaluate("() => { if (window.landplan.open) { window.landplan.open.remove(); } }")
    pg.evaluate("(c) => window.landplan.map.jumpTo({center: c[0], zoom: c[1]})", [[lon, lat], zoom])
    pg.wait_for_function("() => window.landplan.map.areTilesLoaded() && !window.landplan.map.isMoving()")
    pg.wait_for_function("() => window.landplan.map.loaded()", timeout=20_000)
    x, y = pg.evaluate("(c) => { const p = window.landplan.map.project(c); return [p.x, p.y]; }", [lon, lat])
    return x, y


def hover_parcel(pg, ranked: gpd.GeoDataFrame, pid: str) -> str:
    """Move the mouse onto a parcel (from outside the map's parcels); the tooltip's visible text."""
    x, y = parcel_on_screen(pg, ranked, pid)
    pg.mouse.move(3, 3)
    pg.mouse.move(x, y, steps=3)
    tip = pg.locator(".landplan-tooltip")
    pg.wait_for_function(
        "(pid) => { const t = document.querySelector('.landplan-tooltip'); return t && t.innerText.includes(pid); }",
        arg=pid,
        timeout=20_000,
    )
    return tip.inner_text()


def click_parcel(pg, ranked: gpd.GeoDataFrame, pid: str) -> dict:
    """Zoom to a parcel, click a point inside it with the mouse, return the card's data attributes."""
    x, y = parcel_on_screen(pg, ranked, pid)
    pg.mouse.click(x, y)
    card = pg.wait_for_selector(f'.maplibregl-popup .landplan-card[data-pid="{pid}"]', timeout=20_000)
    return {
        "pid": card.get_attribute("data-pid"),
        "score": float(card.get_attribute("data-score")),
        "rank": card.get_attribute("data-rank"),
        "text": card.inner_text(),
    }


def test_the_map_is_above_the_threshold_and_opens_offline(page, tiled):
    ranked, path = tiled
    assert len(ranked) > TILES_ABOVE
    assert page.external == []
    assert page.errors == []
    assert page.evaluate("() => window.landplan.d.tile_keys.length") == len(
        list(path.parent.glob("map_files/tiles/*/*/*.js"))
    )


def test_a_real_click_opens_the_card_of_the_parcel_clicked(page, tiled):
    ranked, _ = tiled
    for pid in ("T000000", "T031337", ranked["rank"].astype("float64").idxmin()):
        card = click_parcel(page, ranked, pid)
        assert card["pid"] == pid
        assert card["score"] == pytest.approx(ranked.loc[pid, "score"], abs=1e-9)
        rank = ranked.loc[pid, "rank"]
        assert card["rank"] == (str(int(rank)) if not pd.isna(rank) else "null")
    assert page.errors == []


def test_an_excluded_parcel_says_why(page, tiled):
    ranked, _ = tiled
    card = click_parcel(page, ranked, "T000003")  # 3 % 7 == 3: excluded
    assert card["rank"] == "null"
    assert "Excluded: flood zone" in card["text"]


def test_hovering_a_parcel_shows_its_id_rank_and_score_as_the_small_map_does(page, tiled):
    ranked, _ = tiled
    best = ranked["rank"].astype("float64").idxmin()
    for pid in ("T031337", best):
        rank, score = ranked.loc[pid, "rank"], ranked.loc[pid, "score"]
        text = hover_parcel(page, ranked, pid)
        assert text.splitlines() == [f"Parcel {pid}", f"Rank {int(rank):,} · Score {score:,.3f}"]
    assert hover_parcel(page, ranked, "T000003").splitlines()[1].startswith("Rank not ranked (excluded) · Score ")
    # the parcel under the mouse is outlined; moving off the map (onto the legend) hides the tooltip
    assert page.evaluate("() => window.landplan.hovered") == int(np.flatnonzero(ranked.index == "T000003")[0])
    page.locator(".landplan-tiles-legend").hover()
    page.wait_for_function("() => !document.querySelector('.landplan-tooltip')")
    assert page.errors == []


def search(pg, query: str) -> None:
    """Type a query into the search box with the keyboard and press Enter."""
    pg.evaluate("() => { if (window.landplan.open) { window.landplan.open.remove(); } }")
    box = pg.locator(".landplan-search input")
    box.click()
    box.press("Control+A")
    box.press("Backspace")
    pg.keyboard.type(query)
    pg.keyboard.press("Enter")


def test_searching_an_id_flies_to_the_parcel_and_opens_its_card(page, tiled):
    ranked, _ = tiled
    for pid in ("T031337", "T059999", "T000000", "T000000"):  # the last: already there, the card opens again
        search(page, f" {pid} ")  # spaces around a pasted id are ignored
        card = page.wait_for_selector(f'.maplibregl-popup .landplan-card[data-pid="{pid}"]', timeout=20_000)
        assert f"Parcel {pid}" in card.inner_text()
        assert float(card.get_attribute("data-score")) == pytest.approx(ranked.loc[pid, "score"], abs=1e-9)
        page.wait_for_function("() => !window.landplan.map.isMoving()")
        # the map flew to the parcel: its centre lies inside it, at zoom 17
        lon, lat = page.evaluate("() => window.landplan.map.getCenter().toArray()")
        centre = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(ranked.crs).iloc[0]
        assert ranked.geometry[pid].buffer(2.0).contains(centre)
        assert page.evaluate("() => window.landplan.map.getZoom()") == pytest.approx(17)
        assert page.locator(".landplan-search-note").is_hidden()


def test_an_unknown_id_says_so_and_shows_what_was_typed_as_text(page):
    for query in ("T999999", "<b>x</b>", "A"):  # after the last id, markup, before the first id
        search(page, query)
        note = page.locator(".landplan-search-note")
        note.wait_for(state="visible")
        assert note.inner_text() == f"No parcel has this id: {query}"
    assert page.locator(".landplan-search-note b").count() == 1  # the typed markup stayed text
    assert page.locator(".maplibregl-popup .landplan-card").count() == 0
    assert page.errors == []


def test_a_vietnamese_tiled_map_speaks_vietnamese(tmp_path, page):
    ranked = ranking(2_000).rename(index={"T000007": 'Lô 7 & "8" {%}'})  # an id the page holds escaped
    path = tmp_path / 'bản đồ "#1" <x>.html'  # any file name: the folder is a relative URL, quoted
    best = ranked["rank"].dropna().sort_values().index[:5]
    save_tiled_map(ranked, path, criteria=["a"], weights={"a": 1.0}, best=best, text=ClientText(lang="vi"))
    assert (tmp_path / 'bản đồ "#1" <x>_files' / "maplibre-gl.js").exists()
    vi = page.context.browser.new_page(viewport={"width": 1300, "height": 850})
    vi.goto(path.as_uri())
    vi.wait_for_function("() => window.landplan && window.landplan.ready", timeout=60_000)
    vi.click(".landplan-layers-toggle")
    text = vi.inner_text("body")
    assert "Lớp bản đồ" in text and "bị loại" in text and "Thửa đất (điểm phù hợp)" in text
    for english in ("Layers", "excluded", "Zoom in", "Parcels", "Suitability"):
        assert english not in text
    assert vi.evaluate("() => Object.keys(window.landplan.tiles).length") >= 1
    pid = ranked["rank"].astype("float64").idxmin()
    tip = hover_parcel(vi, ranked, pid)
    score = f"{ranked.loc[pid, 'score']:.3f}".replace(".", ",")
    assert tip.splitlines() == [f"Thửa đất {pid}", f"Thứ hạng 1 · Điểm {score}"]
    assert english_words(tip, data=[pid]) == []
    search(vi, 'Lô 7 & "8" {%}')
    card = vi.wait_for_selector(".maplibregl-popup .landplan-card", timeout=20_000)
    assert card.inner_text().startswith('Thửa đất Lô 7 & "8" {%}')
    search(vi, "T999999")
    vi.locator(".landplan-search-note").wait_for(state="visible")
    assert vi.locator(".landplan-search-note").inner_text() == "Không có thửa đất nào mang mã này: T999999"
    assert vi.locator(".landplan-search input").get_attribute("placeholder") == "Mã thửa đất"
    body = vi.inner_text("body")
    assert english_words(body, data=["T999999"]) == [], body
    vi.close()


def two_criteria(n: int) -> gpd.GeoDataFrame:
    """``ranking(n)`` with a second criterion ``b = 1 - a`` and equal weights: every score is 0.5."""
    ranked = ranking(n)
    a = ranked["a_value"].to_numpy()
    ranked["b_raw"], ranked["b_value"] = 1 - a, 1 - a
    ranked["a_contrib"], ranked["b_contrib"] = a / 2, (1 - a) / 2
    ranked["score"] = 0.5
    ranked["rank"] = ranked["rank"].astype("Float64")
    ok = ranked["eligible"].to_numpy()
    ranked.loc[ok, "rank"] = np.arange(1, ok.sum() + 1)  # all tied: the id order
    ranked["rank"] = ranked["rank"].astype("Int64")
    return ranked


def pixel(pg, x: float, y: float) -> tuple[int, ...]:
    """The colour a person sees at a screen point (a 1-pixel screenshot)."""
    import io

    from PIL import Image

    png = pg.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel((0, 0))


def seen(color: str) -> tuple[int, ...]:
    """A class colour at the parcels' opacity 0.75 over the background #f4f4f0."""
    rgb = [int(color[k : k + 2], 16) for k in (1, 3, 5)]
    return tuple(round(0.75 * c + 0.25 * b) for c, b in zip(rgb, (0xF4, 0xF4, 0xF0), strict=True))


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_what_if_sliders_moved_with_the_mouse_recolour_rerank_and_rescore(page, tmp_path, lang):
    ranked = two_criteria(3_000)
    path = tmp_path / "map.html"
    best = ranked["rank"].dropna().sort_values().index[:5]
    labels = {"a": "A", "b": "B"}
    text = ClientText(lang=lang, labels=labels)
    save_tiled_map(ranked, path, criteria=["a", "b"], weights={"a": 0.5, "b": 0.5}, best=best, text=text)
    pg = page.context.browser.new_page(viewport={"width": 1300, "height": 850})
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(path.as_uri())
    pg.wait_for_function("() => window.landplan && window.landplan.ready", timeout=60_000)
    w = np.array([10.0, 0.1]) / 10.1  # the weights once b's slider is at its left end
    a = ranked["a_value"].to_numpy()
    score = pd.Series(w[0] * a + w[1] * (1 - a), index=ranked.index)
    order = score[ranked["eligible"].to_numpy()].sort_values(ascending=False, kind="stable")
    pid = order.index[0]  # the largest a: the best parcel once b weighs almost nothing
    x, y = parcel_on_screen(pg, ranked, pid)
    palette = pg.evaluate("() => window.landplan.d.palette")
    assert pixel(pg, x, y) == pytest.approx(seen(palette[0]), abs=3)  # all 0.5: the lowest class
    # open the panel and click the left end of b's slider (0.1) with the mouse: weights 10 and 0.1
    pg.locator(".landplan-whatif-toggle").click()
    box = pg.locator('.landplan-slider[data-criterion="b"]').bounding_box()
    pg.mouse.click(box["x"] + 1, box["y"] + box["height"] / 2)
    assert pg.locator('.landplan-slider[data-criterion="b"]').input_value() == "0.1"
    pg.wait_for_function("() => document.querySelector('.landplan-rank[data-rank=\"1\"]')")
    # the card and the tooltip of the parcel say its what-if score and rank
    pg.mouse.click(x, y)
    card = pg.wait_for_selector(f'.maplibregl-popup .landplan-card[data-pid="{pid}"]', timeout=20_000)
    assert float(card.get_attribute("data-score")) == pytest.approx(score[pid], abs=1e-9)
    assert card.get_attribute("data-rank") == "1"
    assert ("(what-if)" if lang == "en" else "(giả định)") in card.inner_text()
    # its colour is the best class now, and the rank label 1 stands on it
    pg.evaluate("() => window.landplan.open.remove()")
    pg.mouse.move(3, 300)
    pg.wait_for_timeout(300)
    assert pixel(pg, x + 8, y + 8) == pytest.approx(seen(palette[-1]), abs=3)
    label = pg.locator('.landplan-rank[data-rank="1"]').bounding_box()
    assert abs(label["x"] + label["width"] / 2 - x) < 40 and abs(label["y"] + label["height"] / 2 - y) < 40
    # Reset with the mouse: the scenario's classes again
    pg.locator(".landplan-reset").click()
    pg.wait_for_timeout(300)
    assert pixel(pg, x + 8, y + 8) == pytest.approx(seen(palette[0]), abs=3)
    if lang == "vi":
        body = pg.inner_text("body")
        assert english_words(body, data=["A", "B", "T999999"]) == [], body
    assert errors == []
    pg.close()
