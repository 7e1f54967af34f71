"""The report template is a file of the package, read with importlib.resources, escaped on output."""

from __future__ import annotations

import inspect
from importlib.resources import files
from pathlib import Path

import numpy as np

import landplan
from landplan.outputs import report
from landplan.outputs.report import TEMPLATE, render_report, template_source


def test_the_template_is_a_package_file() -> None:
    resource = files("landplan.outputs").joinpath("templates", TEMPLATE)
    assert resource.is_file()
    text = resource.read_text(encoding="utf-8")
    assert text == template_source()
    assert text.startswith("<!DOCTYPE html>")
    assert "<h1>{{ title }}</h1>" in text
    # the module holds no second copy of the page
    assert "<!DOCTYPE" not in inspect.getsource(report)


def test_the_report_is_rendered_from_the_file(scenario_dir: Path) -> None:
    r = landplan.compute(scenario_dir / "scenario.toml")
    html = render_report(r.study, r.scores, ranked=r.ranked, interactive_map=False)
    # fixed text of the template file, and the scenario's name printed through it
    assert '<h2 id="criteria" class="page">Criteria, weights and value functions</h2>' in html
    assert "<title>landplan report: grid test</title>" in html
    assert "Top 2 parcels" in render_report(r.study, r.scores, ranked=r.ranked, top=2, interactive_map=False)


def test_data_text_is_escaped_by_finalize(scenario_dir: Path) -> None:
    toml = scenario_dir / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"grid test"', '"{{ 7*7 }} <b>x</b>"'), encoding="utf-8")
    r = landplan.compute(toml)
    html = render_report(r.study, r.scores, ranked=r.ranked, interactive_map=False)
    assert "<h1>&#123;&#123; 7*7 &#125;&#125; &lt;b&gt;x&lt;/b&gt;</h1>" in html
    assert "49" not in html.split("<h1>")[1].split("</h1>")[0]


def test_a_large_study_gets_the_static_map_only(scenario_dir: Path, monkeypatch) -> None:
    # issue 15: above REPORT_MAP_MAX_PARCELS (50,000) the interactive map is left out of the report;
    # the grid scenario has 9 parcels, so the threshold is lowered to 8 to see both sides of it
    r = landplan.compute(scenario_dir / "scenario.toml")
    small = render_report(r.study, r.scores, ranked=r.ranked)
    assert "<iframe" in small and "Too many parcels" not in small
    monkeypatch.setattr(report, "REPORT_MAP_MAX_PARCELS", len(r.study.parcels) - 1)
    large = render_report(r.study, r.scores, ranked=r.ranked)
    assert "<iframe" not in large and "Too many parcels to embed the interactive map" in large
    assert 'alt="static map" src="data:image/png;base64,' in large and '<h2 id="top"' in large


def test_many_parcels_are_drawn_as_one_image_on_the_static_map(scenario_dir: Path, monkeypatch) -> None:
    # issue 15: above RASTER_PARCELS_ABOVE the print map rasterises the parcels (threshold lowered here)
    import matplotlib.pyplot as plt

    from landplan.outputs import print_map as pm

    r = landplan.compute(scenario_dir / "scenario.toml")
    monkeypatch.setattr(pm, "RASTER_PARCELS_ABOVE", 0)
    fig = pm.print_map(r.study, r.scores, ranked=r.ranked)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 1
    from landplan.outputs.style import score_classes

    colors = score_classes(
        r.ranked["score"].to_numpy(dtype="float64"), r.ranked["eligible"].to_numpy(dtype=bool), scheme="quantiles", k=5
    ).colors
    k = len(np.unique(colors.astype(str)))
    # every colour of the parcels shows up in the image, and the background (value k) around them
    assert np.unique(np.asarray(images[0].get_array())).tolist() == list(range(k + 1))
    plt.close(fig)
