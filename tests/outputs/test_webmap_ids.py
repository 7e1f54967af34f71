"""The HTML map is the same bytes on every run: folium's random element ids are renumbered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import landplan
from landplan.outputs.escape import TemplateSyntaxInData
from landplan.outputs.webmap import map_html, parcel_map, scenario_map
from landplan.outputs.webmap.base import number_elements

UUID_HEX = re.compile(r"_[0-9a-f]{32}\b")


@pytest.fixture
def result(scenario_dir: Path) -> landplan.Result:
    return landplan.compute(scenario_dir / "scenario.toml")


def test_rendering_one_map_twice_gives_the_same_bytes(result: landplan.Result) -> None:
    m = scenario_map(result.study, result.scores, ranked=result.ranked, tiles=None)
    assert map_html(m) == map_html(m)


def test_two_maps_of_the_same_run_give_the_same_bytes(result: landplan.Result) -> None:
    pages = [
        map_html(scenario_map(result.study, result.scores, ranked=result.ranked, offline=True), offline=True)
        for _ in range(2)
    ]
    assert pages[0] == pages[1]
    assert not UUID_HEX.search(pages[0])  # no folium uuid4 id is left in the page
    # every element still has its own JavaScript variable: ids are distinct, not merely fixed
    names = re.findall(r"var (\w+_\d{5}) =", pages[0])
    assert len(names) > 10
    assert len(names) == len(set(names))


def test_numbering_is_a_fixed_walk_and_idempotent(result: landplan.Result) -> None:
    import folium

    m = parcel_map(result.ranked, tiles=None)
    root = m.get_root()
    n = number_elements(root)
    assert n > 5
    first = {id(e): e._id for e in [root, m, *m._children.values()]}
    assert root._id == "00000"
    assert len(set(first.values())) == len(first)
    assert number_elements(root) == 0  # numbered elements keep their number
    assert {id(e): e._id for e in [root, m, *m._children.values()]} == first
    late = folium.FeatureGroup(name="late").add_to(m)
    assert number_elements(root) == 1
    assert late._id == f"{n:05d}"  # numbered after every earlier element


def test_the_inert_check_still_runs_before_rendering(result: landplan.Result) -> None:
    import folium

    m = parcel_map(result.ranked, tiles=None)
    folium.FeatureGroup(name="{{ 7*7 }}").add_to(m)  # a data path bypassing the choke point
    with pytest.raises(TemplateSyntaxInData):
        map_html(m)


def test_two_runs_write_identical_map_and_report(scenario_dir: Path, tmp_path: Path) -> None:
    pages = []
    for name in ("a", "b"):
        out = tmp_path / name
        landplan.run(scenario_dir / "scenario.toml", out_dir=out, write_map=True)
        pages.append(((out / "map.html").read_bytes(), (out / "report.html").read_bytes()))
    assert pages[0][0] == pages[1][0]
    assert pages[0][1] == pages[1][1]
    assert b"<svg" in pages[0][1]  # the charts are in it: their dates and ids are fixed too
