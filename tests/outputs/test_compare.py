"""Comparing two scenarios: rank shifts, top-N overlap, Kendall's tau, eligibility and allocation changes."""

from __future__ import annotations

import copy
import html
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

import landplan
from adversarial.helpers import assert_bad_input, run_cli
from conftest import SCENARIO
from landplan.outputs.compare import _shared_breaks, compare, write_comparison


def _tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b by brute force over all pairs (the oracle)."""
    conc = disc = tx = ty = 0
    for i, j in combinations(range(len(x)), 2):
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            tx += 1
        elif dy == 0:
            ty += 1
        elif dx == dy:
            conc += 1
        else:
            disc += 1
    return (conc - disc) / np.sqrt((conc + disc + tx) * (conc + disc + ty))


@pytest.fixture
def two_runs(scenario_factory):
    a = scenario_factory("a.toml", scenario={"name": "A: distance first"})
    criteria = copy.deepcopy(SCENARIO["criteria"])
    for c in criteria:
        c["weight"] = 5 if c["name"] == "price" else 1
    constraints = [k for k in SCENARIO["constraints"] if k.get("kind") != "attribute"]
    b = scenario_factory("b.toml", scenario={"name": "B: <price> first"}, criteria=criteria, constraints=constraints)
    return landplan.compute(a), landplan.compute(b)


def test_eligibility_changes_carry_the_reason(two_runs) -> None:
    a, b = two_runs
    c = compare(a, b)
    # B drops the land-use rule: every parcel it excluded in A enters, with that reason
    by_landuse = a.ranked.index[a.ranked["excluded_by"].fillna("").str.contains("landuse")]
    entered = c.parcels.index[c.parcels["change"] == "entered"]
    assert len(by_landuse) > 0
    assert set(entered) == {p for p in by_landuse if b.ranked.at[p, "eligible"]}
    assert (c.parcels.loc[entered, "reason"].str.contains("landuse")).all()
    assert c.summary["entered"] == len(entered) and c.summary["left"] == 0


def test_rank_shift_overlap_and_tau_by_hand(two_runs) -> None:
    a, b = two_runs
    c = compare(a, b, top_n=3)
    both = c.parcels[c.parcels["change"] == "both"]
    assert (both["rank_shift"] == both["rank_a"] - both["rank_b"]).all()
    top_a, top_b = set(a.scores.top(3)), set(b.scores.top(3))
    assert c.summary["top_n_overlap"] == pytest.approx(len(top_a & top_b) / 3)
    assert c.summary["kendall_tau"] == pytest.approx(_tau_b(both["score_a"].to_numpy(), both["score_b"].to_numpy()))
    assert c.summary["parcels"] == len(a.ranked) and c.summary["only_a"] == c.summary["only_b"] == 0


def test_a_scenario_compared_with_itself_changes_nothing(scenario_dir: Path) -> None:
    r = landplan.compute(scenario_dir / "scenario.toml")
    c = compare(r, r)
    assert c.summary["top_n_overlap"] == 1.0 and c.summary["kendall_tau"] == pytest.approx(1.0)
    assert (c.parcels["rank_shift"].dropna() == 0).all()
    assert set(c.parcels["change"]) <= {"both", "neither"}


def test_both_maps_share_the_fixed_breaks(scenario_factory) -> None:
    a = landplan.compute(scenario_factory("a.toml", output={"breaks": [0.25, 0.5, 0.75, 1.0]}))
    assert list(_shared_breaks(a, a)) == [0.25, 0.5, 0.75, 1.0]


def test_breaks_must_ascend(scenario_factory, tmp_path: Path) -> None:
    bad = scenario_factory("bad.toml", output={"breaks": [0.5, 0.2]})
    outcome = run_cli("rank", str(bad))
    assert_bad_input(outcome, "bad.toml", "breaks")


def test_the_comparison_folder_and_page(two_runs, tmp_path: Path) -> None:
    a, b = two_runs
    written = write_comparison(a, b, tmp_path / "cmp", top_n=3)
    assert sorted(p.name for p in (tmp_path / "cmp").iterdir()) == sorted(p.name for p in written.values())
    page = written["page"].read_text(encoding="utf-8")
    assert "B: &lt;price&gt; first" in page and "<price>" not in page  # data text escaped
    assert "Kendall" in html.unescape(page)
    assert written["map"].read_bytes().startswith(b"\x89PNG")
    with pytest.raises(landplan.errors.OutputExistsError):
        write_comparison(a, b, tmp_path / "cmp")


def test_the_cli_compares_in_vietnamese(two_runs, scenario_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    outcome = run_cli(
        "compare", str(scenario_dir / "a.toml"), str(scenario_dir / "b.toml"), "-o", str(out), "--lang", "vi"
    )
    assert outcome.code == 0, outcome.stderr
    page = html.unescape((out / "compare.html").read_text(encoding="utf-8"))
    assert "So sánh kịch bản" in page and "Các thửa đất có thay đổi" in page
