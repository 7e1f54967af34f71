"""Print maps: paper sizes, labels that never overlap, context by role, language, same bytes twice."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from pypdf import PdfReader

import landplan
from adversarial.helpers import assert_bad_input, run_cli
from landplan.config import load_scenario
from landplan.model import Result
from landplan.outputs.print_map import PAPER_MM, context_layers, place_labels, print_map, save_print_map


def _axes() -> object:
    fig = Figure(figsize=(4, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xlim(0, 1000)
    ax.set_ylim(0, 1000)
    return ax


def _no_overlap(labels: list[object]) -> None:
    """The labels' texts with their boxes (not their leader lines) are pairwise disjoint."""
    renderer = labels[0].figure.canvas.get_renderer() if labels else None
    boxes = []
    for label in labels:
        label.update_positions(renderer)
        boxes.append(Text.get_window_extent(label, renderer))
    for a, b in combinations(boxes, 2):
        assert not a.overlaps(b)


def test_crowded_labels_never_overlap_and_the_first_is_always_drawn() -> None:
    ax = _axes()
    points = np.array([[500.0, 500.0]] * 40)  # forty labels on one spot
    labels = place_labels(ax, points, [str(i + 1) for i in range(40)])
    assert labels[0].get_text() == "1"
    assert labels[0].xyann == (0, 0)  # the best keeps its own spot
    assert 1 < len(labels) < 40  # offsets place some, the rest are left out
    _no_overlap(labels)


def test_far_apart_labels_all_stay_on_their_points() -> None:
    ax = _axes()
    points = np.array([[100.0, 100.0], [900.0, 900.0], [100.0, 900.0]])
    labels = place_labels(ax, points, ["1", "2", "3"])
    assert [lb.get_text() for lb in labels] == ["1", "2", "3"]
    assert all(lb.xyann == (0, 0) for lb in labels)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 1000)), min_size=1, max_size=25))
def test_placed_labels_never_overlap(points: list[tuple[float, float]]) -> None:
    ax = _axes()
    labels = place_labels(ax, np.array(points), [str(i + 1) for i in range(len(points))])
    assert labels[0].get_text() == "1"
    _no_overlap(labels)


def test_context_layers_by_geometry_and_name(scenario_dir: Path) -> None:
    study = landplan.load_study(scenario_dir / "scenario.toml")
    roles = context_layers(study)
    assert [name for name, _ in roles["water"]] == ["water"]
    assert roles["roads"] == [] and roles["boundaries"] == []  # facilities are points: not drawn


@pytest.fixture
def vi_run(alloc_scenario: Path) -> Result:
    s = load_scenario(alloc_scenario)
    return landplan.compute(s.model_copy(update={"output": s.output.model_copy(update={"language": "vi"})}))


@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_the_page_is_the_paper_size(vi_run: Result, paper: str) -> None:
    fig = print_map(vi_run.study, vi_run.scores, allocation=vi_run.allocation, paper=paper, date="2026-01-01")
    w, h = (round(v * 25.4) for v in fig.get_size_inches())
    assert (w, h) == PAPER_MM[paper]


def test_the_pdf_speaks_the_language_and_is_the_same_twice(vi_run: Result, tmp_path: Path) -> None:
    r = vi_run
    opts = {"ranked": r.ranked, "allocation": r.allocation, "paper": "A4", "lang": "vi", "date": "2026-01-01"}
    a = save_print_map(r.study, r.scores, tmp_path / "a.pdf", **opts)
    b = save_print_map(r.study, r.scores, tmp_path / "b.pdf", **opts)
    assert a.read_bytes() == b.read_bytes()
    text = PdfReader(a).pages[0].extract_text()
    for word in ("Chú giải", "Hệ tọa độ", "Nguồn dữ liệu", "Quỹ đất được bố trí", "KCN Thăng Long", "grid test"):
        assert word in text
    assert "Legend" not in text and "Date" not in text
    assert "parcels.gpkg" in text  # the data sources


def test_the_cli_writes_a_print_map(alloc_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "print.pdf"
    outcome = run_cli("map", str(alloc_scenario), "-o", str(out), "--print", "A4", "--lang", "vi")
    assert outcome.code == 0, outcome.stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_a_print_map_is_pdf_or_png(alloc_scenario: Path, tmp_path: Path) -> None:
    outcome = run_cli("map", str(alloc_scenario), "-o", str(tmp_path / "print.html"), "--print", "A4")
    assert_bad_input(outcome, "print.html", ".pdf or .png")
    assert not (tmp_path / "print.html").exists()
