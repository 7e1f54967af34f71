"""Hostile text in every text field of every layer and of the scenario: maps and reports stay inert.

Payloads: Jinja2 syntax (folium/branca compile rendered element output again as a template), JavaScript
breaking out of strings and scripts, and HTML with an event handler. Each goes into the parcel ids, a
parcel attribute shown in the popup, the zone id and name, the facility name, a ``select`` value, a
layer key, the scenario name and description, a criterion label and unit, and the rule pack's name.
Then ``landplan map`` and ``landplan run`` run as a user would, the HTML is checked as text, and the
map and report are opened in Chromium: no dialog, no console or page error, the payload visible as
literal text where a person looks, no file created anywhere, and ``49`` never where ``{{7*7}}`` was.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geopandas as gpd

import landplan
from adversarial.helpers import run_cli, tree_hashes
from conftest import CRS, box, pt, rank, scored
from landplan.outputs.escape import TemplateSyntaxInData, check_inert, html_text, js_literal, mpl_text
from landplan.outputs.tables import ranked_table
from landplan.outputs.webmap import map_html, parcel_map, scenario_map

JINJA = [
    "{{7*7}}",
    "{% for x in range(3) %}x{% endfor %}",
    "{# c #}",
    "{{ lipsum.__globals__.os.makedirs('PWNED') }}",
    "KCN {{ Thang Long",
]
JS = ["</script><script>alert(1)</script>", "'); alert(1); ('", "${alert(1)}"]
HTML = ["<img src=x onerror=alert(1)>"]
PAYLOADS = JINJA + JS + HTML
IDS = [
    "jinja-expr",
    "jinja-for",
    "jinja-comment",
    "jinja-rce",
    "jinja-unclosed",
    "js-script",
    "js-quote",
    "js-tpl",
    "html-img",
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: rendered forms that would show a template was evaluated
EVALUATED = {"{{7*7}}": "49", "{% for x in range(3) %}x{% endfor %}": "xxx"}
RULES = Path(landplan.__file__).parent / "rules" / "vn.toml"


def toml_str(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(text)


def hostile_scenario(d: Path, payload: str) -> Path:
    """The conftest grid scenario with ``payload`` in every text field; returns the scenario file.

    Parcel P5's id is the payload; P2's landuse is ``payload`` and excluded by the attribute rule
    (the reason, with the value, shows in its popup); the zone's id and name, the facility names,
    the facility kind selected by the criterion, the facility layer's key, the scenario name and
    description, a criterion label and unit, and the rule pack's name all carry it too. A parcel
    column ``survey_raw`` sits beside them (not a criterion).
    """
    d.mkdir(parents=True, exist_ok=True)
    ids = [f"P{i}" for i in range(9)]
    ids[5] = payload
    landuse = ["vacant"] * 9
    landuse[2] = payload
    gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "landuse": landuse,
            "price": [10.0 + 2 * i for i in range(9)],
            "survey_raw": [payload] * 9,
        },
        geometry=[box(x, y) for y in (0, 100, 200) for x in (0, 100, 200)],
        crs=CRS,
    ).to_file(d / "parcels.gpkg", engine="pyogrio")
    gpd.GeoDataFrame(
        {"zone_id": [payload], "name": [payload], "hazard": ["IV"], "workers": [1000]},
        geometry=[box(-150, 0, 100, 300)],
        crs=CRS,
    ).to_file(d / "zones.gpkg", engine="pyogrio")
    gpd.GeoDataFrame(
        {"fac_id": ["F1", "F2", "F3"], "kind": [payload, payload, "clinic"], "name": [payload, "Trường B", payload]},
        geometry=[pt(50, 50), pt(250, 250), pt(150, 150)],
        crs=CRS,
    ).to_file(d / "facilities.gpkg", engine="pyogrio")
    pack = RULES.read_text(encoding="utf-8").replace('name = "vn"', f"name = {toml_str(payload)}", 1)
    (d / "pack.toml").write_text(pack, encoding="utf-8")
    p = toml_str(payload)
    (d / "s.toml").write_text(
        textwrap.dedent(f"""
        [scenario]
        name = {p}
        description = {p}
        crs = "EPSG:32648"
        rule_pack = "pack.toml"
        [layers.parcels]
        path = "parcels.gpkg"
        id_field = "parcel_id"
        [layers.zones]
        path = "zones.gpkg"
        id_field = "zone_id"
        name_field = "name"
        hazard_field = "hazard"
        workers_field = "workers"
        [layers.{p}]
        path = "facilities.gpkg"
        id_field = "fac_id"
        name_field = "name"
        [[criteria]]
        name = "zone_distance"
        kind = "distance"
        layer = "zones"
        weight = 2
        label = {p}
        unit = {p}
        value = {{ function = "linear", lower = 0, upper = 1000, increasing = false }}
        [[criteria]]
        name = "schools"
        kind = "count"
        layer = {p}
        select = {{ kind = {p} }}
        radius_m = 150
        weight = 1
        label = {p}
        value = {{ function = "step", mode = "at_least", thresholds = [2, 1], values = [1.0, 0.5] }}
        [[criteria]]
        name = "price"
        kind = "attribute"
        field = "price"
        weight = 1
        unit = {p}
        value = {{ function = "linear", lower = 10, upper = 26, increasing = false }}
        [[constraints]]
        kind = "isolation"
        [[constraints]]
        kind = "attribute"
        field = "landuse"
        not_in = [{p}]
        [output]
        formats = ["csv"]
        offline = true
        top = 5
        [allocation]
        max_commute_m = 2000
        """),
        encoding="utf-8",
    )
    return d / "s.toml"


def temp_roots() -> list[Path]:
    """Folders where a payload could create something besides the test's own: temp, home, cwd."""
    return [Path(tempfile.gettempdir()), Path.home(), Path.cwd()]


def snapshot(folders: list[Path]) -> set[str]:
    """Names directly in each folder (a created file or directory shows up here)."""
    return {str(p) for f in folders if f.is_dir() for p in f.iterdir()}


def assert_inert_text(text: str, payload: str) -> None:
    """No template syntax from data in a rendered page; no evaluated form where the payload was."""
    assert not re.search(r"\{\{|\{%|\{#", text), re.search(r".{40}\{[{%#].{40}", text)
    assert payload in html_unescape(text)  # shown, not evaluated
    assert "alert(1)</script>" not in text.replace("<\\/script", "")  # no raw script breakout
    assert "<img src=x" not in text  # never raw HTML from data
    if payload in EVALUATED:
        assert f">{EVALUATED[payload]}<" not in text


def html_unescape(text: str) -> str:
    """Decode HTML entities and the JSON \\u escapes used for data."""
    import html

    for code in ("003c", "003e", "0026", "0027", "007b", "007d", "0025"):
        text = text.replace("\\u" + code, chr(int(code, 16)))
    return html.unescape(text)


# --------------------------------------------------------------------------- the escaping functions


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_choke_points_leave_no_syntax(payload):
    """html_text and js_literal remove every template, tag and quote character; they decode back."""
    import html

    h = html_text(payload)
    assert not set(h) & set("{}%<>\"'"), h
    assert html.unescape(h) == payload
    j = js_literal(payload)
    assert not set(j[1:-1]) & set("{}%<>'&"), j
    assert json.loads(j) == payload
    assert mpl_text(payload).replace("\\$", "$") == payload


def test_check_inert_refuses_template_syntax_from_data(scenario_dir):
    """The structural backstop: template syntax anywhere in a map's element data stops rendering."""
    import folium

    m = parcel_map(rank(scenario_dir / "scenario.toml"), tiles=None)
    check_inert(m.get_root())  # a clean map passes
    folium.FeatureGroup(name="{{7*7}}").add_to(m)  # a data path that forgot the choke point
    with pytest.raises(TemplateSyntaxInData, match="7\\*7"):
        map_html(m)


@pytest.mark.parametrize("url", ["http://t/{{7*7}}/{z}.png", "http://t/{%x%}/{z}", "http://t/{z}{"])
def test_tile_url_with_template_syntax_is_refused(scenario_dir, url):
    study = landplan.load_study(scenario_dir / "scenario.toml")
    with pytest.raises(landplan.errors.InputError, match="tile_url"):
        scenario_map(*scored(study), tile_url=url)


# --------------------------------------------------------------------------- rendered HTML, no browser


@pytest.fixture(scope="module", params=PAYLOADS, ids=IDS)
def hostile(request, tmp_path_factory):
    """One payload: its scenario, the outputs of ``map``, ``map --png``, ``run`` and ``report``, what they created."""
    payload = request.param
    d = tmp_path_factory.mktemp("hostile")
    scenario = hostile_scenario(d / "in", payload)
    inputs = tree_hashes(d / "in")
    own, shared = [d, d / "in"], temp_roots()
    before, before_shared = snapshot(own), snapshot(shared)
    mapped = run_cli("map", scenario, "-o", d / "map.html", "--offline", cwd=d)
    png = run_cli("map", scenario, "-o", d / "map.png", "--png", cwd=d)
    ran = run_cli("run", scenario, "-o", d / "out", cwd=d)
    reported = run_cli("report", scenario, "-o", d / "report.html", cwd=d)
    created = snapshot(own) - before - {str(d / n) for n in ("map.html", "map.png", "out", "report.html")}
    # other processes may create files in the shared folders: there, look for the payload's directory
    created |= {c for c in snapshot(shared) - before_shared if "PWNED" in c}
    return {
        "payload": payload,
        "dir": d,
        "runs": (mapped, png, ran, reported),
        "created": created,
        "inputs_same": tree_hashes(d / "in") == inputs,
    }


def test_cli_succeeds_and_creates_nothing_else(hostile):
    for out in hostile["runs"]:
        assert out.code == 0, out.stderr
        assert "Traceback" not in out.stderr and "unexpected" not in out.stderr
    assert hostile["created"] == set()
    assert not list(hostile["dir"].rglob("PWNED")) and not Path("PWNED").exists()
    assert hostile["inputs_same"]
    assert (hostile["dir"] / "map.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("name", ["map.html", "out/map.html", "out/report.html", "report.html"])
def test_rendered_pages_hold_no_template_syntax_from_data(hostile, name):
    text = (hostile["dir"] / name).read_text(encoding="utf-8")
    assert_inert_text(text, hostile["payload"])


def test_report_shows_the_payload_as_text(hostile):
    """The report prints the payload (entity-encoded) in its heading and keeps every section."""
    text = (hostile["dir"] / "out" / "report.html").read_text(encoding="utf-8")
    payload = hostile["payload"]
    heading = re.search(r"<h1>(.*?)</h1>", text, re.DOTALL)
    assert heading and html_unescape(heading.group(1)) == payload
    for section in ("Validation", "Criteria, weights and value functions", "Run manifest"):
        assert section in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() and "\x00" not in t),
    pid=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() and "\x00" not in t),
)
def test_any_zone_name_and_parcel_id_render_inert(scenario_dir, zone, pid):
    """Invariant: whatever the text, the map renders, holds no template opener from data, and shows it."""
    import dataclasses

    from landplan.zones import zone_names

    study, scores = _scored(scenario_dir)
    zones = study.layer("zones").assign(name=[zone])
    study = dataclasses.replace(study, zones=zones, zone_names=zone_names(zones, study.scenario.layers.zones))
    ranked = ranked_table(study, scores)
    if pid not in ranked.index:
        ranked = ranked.rename(index={"P4": pid})

    html = map_html(scenario_map(study, scores, ranked=ranked, tiles=None))
    assert not re.search(r"\{\{|\{%|\{#", html)
    assert html_text(zone) in html_unescape_js(html)
    assert html_text(pid) in html_unescape_js(html)


_JSON_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|["\\/bfnrt])')
_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def html_unescape_js(text: str) -> str:
    """Undo the JSON string escapes of embedded data (HTML entities stay)."""

    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        return chr(int(e[1:], 16)) if e[0] == "u" else _SIMPLE[e]

    return _JSON_ESCAPE.sub(one, text).encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_CACHE: dict[str, object] = {}


def _scored(scenario_dir: Path):
    if "scored" not in _CACHE:
        _CACHE["scored"] = scored(scenario_dir / "scenario.toml")
    return _CACHE["scored"]


# --------------------------------------------------------------------------- real browser


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/test.sh installs it with apt-get)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
        )
        yield b
        b.close()


class Page:
    """A page that records dialogs, console errors and page errors, and blocks the network."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1300, "height": 850})
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "about:")) else r.abort()
        )
        self.page.goto(url)

    def settle(self) -> None:
        self.page.wait_for_timeout(400)
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors


@pytest.mark.browser
def test_map_in_chromium_shows_payload_as_text(browser, hostile):
    payload = hostile["payload"]
    w = Page(browser, (hostile["dir"] / "out" / "map.html").as_uri())
    w.page.wait_for_selector("path.lp-parcel")
    control = w.page.locator(".leaflet-control-layers").text_content() or ""  # collapsed: hidden text
    assert payload in control  # the facility layer's title (layer key and select value)
    assert "49" not in control
    # a real hover over the zone shows its name; a real click on P2 shows the excluded landuse
    zone = w.page.locator("path.lp-zone")
    box_ = zone.bounding_box()
    assert box_ is not None
    w.page.mouse.move(box_["x"] + box_["width"] / 2, box_["y"] + box_["height"] * 0.1)  # clear of allocation links
    tip = w.page.locator(".leaflet-tooltip").first
    tip.wait_for()
    assert payload in tip.inner_text()
    ranked = pd.read_csv(hostile["dir"] / "out" / "ranked.csv", dtype=str, keep_default_na=False)
    order = list(ranked["parcel_id"])
    for pid, expect in (("P2", f"landuse = {payload}"), (payload, f"Parcel {payload}")):
        path = w.page.locator(f"path.lp-p{order.index(pid)}")
        path.dispatch_event("click")
        popup = w.page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert expect in popup.inner_text()
        assert popup.locator("img, script").count() == 0
    assert w.page.locator("img[src='x']").count() == 0
    w.settle()
    assert not list(hostile["dir"].rglob("PWNED"))


@pytest.mark.browser
def test_report_in_chromium_shows_payload_as_text(browser, hostile):
    payload = hostile["payload"]
    w = Page(browser, (hostile["dir"] / "out" / "report.html").as_uri())
    w.page.wait_for_selector("h1")
    assert w.page.locator("h1").inner_text() == payload
    body = w.page.locator("body").inner_text()
    assert payload in body
    assert w.page.locator("img[src='x']").count() == 0
    frame = w.page.frame_locator("iframe")
    frame.locator("path.lp-parcel").first.wait_for(state="attached")
    assert payload in (frame.locator(".leaflet-control-layers").text_content() or "")
    w.settle()


@pytest.mark.parametrize("pid", ["[/x] P4", "[bold red]P4[/bold red]", "[link=file:///etc]P4[/link]"])
def test_terminal_table_prints_rich_markup_literally(scenario_dir, capsys, monkeypatch, pid):
    """The top-N table of ``landplan rank`` shows a parcel id with rich markup as typed (no crash, no style)."""
    from landplan.cli import _print_top

    monkeypatch.setenv("COLUMNS", "200")  # no wrapping inside the id

    ranked = ranked_table(*_scored(scenario_dir)).rename(index={"P4": pid})
    _print_top(ranked, 3)
    assert pid in capsys.readouterr().out
