"""One definition of score classes, colours and class labels, shared by the web map and the static map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import landplan
from landplan.outputs.static_map import static_map
from landplan.outputs.style import EXCLUDED_COLOR, score_classes
from landplan.outputs.webmap import map_html, page_data, parcel_map


def test_classes_by_hand() -> None:
    values = np.array([0.1, 0.2, 0.3, 0.4, 0.9, np.nan])
    eligible = np.array([True, True, True, True, False, False])
    c = score_classes(values, eligible, scheme="equal_interval", k=3)
    # equal intervals of 0.1..0.4: upper bounds 0.2, 0.3, 0.4; labels start at the lowest eligible score
    np.testing.assert_allclose(c.bins, [0.2, 0.3, 0.4])
    assert c.labels == ["0.10 – 0.20", "0.20 – 0.30", "0.30 – 0.40"]
    assert c.palette == ["#d7191c", "#ffffbf", "#1a9641"]
    assert list(c.colors) == ["#d7191c", "#d7191c", "#ffffbf", "#1a9641", EXCLUDED_COLOR, EXCLUDED_COLOR]


def test_no_eligible_parcel_gives_one_class_and_grey_parcels() -> None:
    c = score_classes(np.array([0.5, 0.7]), np.array([False, False]))
    assert len(c.labels) == 1
    assert list(c.colors) == [EXCLUDED_COLOR, EXCLUDED_COLOR]


@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval"])
def test_both_maps_show_the_same_class_labels(scenario_dir: Path, scheme: str) -> None:
    r = landplan.compute(scenario_dir / "scenario.toml")
    expected = score_classes(
        r.ranked["score"].to_numpy(dtype="float64"), r.ranked["eligible"].to_numpy(dtype=bool), scheme=scheme, k=3
    ).labels
    assert len(expected) >= 2
    page = map_html(parcel_map(r.ranked, tiles=None, classification=scheme, k=3))
    data = page_data(page)  # the legend is drawn in the browser from these labels
    assert [*data["class_labels"], data["msg"]["excluded_legend"]] == [*expected, "excluded (see popup)"]
    fig = static_map(r.study, r.scores, ranked=r.ranked, classification=scheme, k=3)
    static = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert static[: len(expected)] == [f"score {label}" for label in expected]
