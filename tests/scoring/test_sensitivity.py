"""landplan.scoring.sensitivity: Monte Carlo and one-at-a-time weight sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landplan.errors import InputError
from landplan.scoring.sensitivity import monte_carlo, one_at_a_time


def test_monte_carlo_is_deterministic_for_a_seed(random_values):
    w = {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}
    r1 = monte_carlo(random_values, w, runs=200, seed=7, top_k=20)
    r2 = monte_carlo(random_values, w, runs=200, seed=7, top_k=20)
    r3 = monte_carlo(random_values, w, runs=200, seed=8, top_k=20)
    pd.testing.assert_frame_equal(r1.parcels, r2.parcels)
    assert r1.summary == r2.summary
    assert not r1.runs.equals(r3.runs)
    p = r1.parcels
    assert p["p_top_k"].between(0, 1).all()
    assert (p["rank_p05"] <= p["median_rank"]).all() and (p["median_rank"] <= p["rank_p95"]).all()
    assert p["p_top_k"].sum() == pytest.approx(20)  # every run has exactly 20 parcels in its top 20
    assert 0 < r1.summary["mean_top_k_overlap"] <= 1


def test_monte_carlo_with_dominant_parcel():
    v = pd.DataFrame({"a": [1.0, 0.2, 0.1], "b": [1.0, 0.3, 0.0]}, index=["best", "mid", "low"])
    r = monte_carlo(v, {"a": 0.5, "b": 0.5}, runs=100, top_k=1)
    assert r.parcels.loc["best", "p_top_k"] == 1.0
    assert r.parcels.loc["low", "rank_p05"] == 3
    assert r.summary["mean_top_k_overlap"] == 1.0


def test_monte_carlo_excludes_ineligible(random_values):
    eligible = pd.Series(random_values.index.str.endswith(("0", "2", "4", "6", "8")), index=random_values.index)
    r = monte_carlo(random_values, {"a": 1, "b": 1, "c": 1, "d": 1}, eligible=eligible, runs=50, top_k=5)
    assert len(r.parcels) == int(eligible.sum())
    assert r.parcels.index.str.endswith(("0", "2", "4", "6", "8")).all()


def test_one_at_a_time(random_values):
    oat = one_at_a_time(random_values, {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}, delta=0.2, top_k=10)
    assert len(oat) == 8
    assert oat.loc[(oat.criterion == "a") & (oat.change == "+20%"), "weight"].iloc[0] == pytest.approx(0.48 / 1.08)
    assert oat["top_k_overlap"].between(0, 1).all()
    assert (oat["spearman"] > 0.9).all()


def test_sensitivity_without_eligible_parcels_is_an_input_error():
    values = pd.DataFrame({"a": [0.5, 0.7]}, index=["p1", "p2"])
    nobody = pd.Series(False, index=values.index)
    for call in (one_at_a_time, monte_carlo):
        with pytest.raises(InputError, match="no eligible parcel"):
            call(values, {"a": 1.0}, eligible=nobody)


def test_rank_quantiles_in_blocks_equal_one_percentile_call(monkeypatch):
    # issue 15: the percentiles are taken in blocks of parcels (bounded memory); same numbers, same dtype
    from landplan.scoring import sensitivity

    ranks = np.random.default_rng(4).integers(1, 500, (1_003, 17)).astype(np.int32)
    monkeypatch.setattr(sensitivity, "_BLOCK_CELLS", 17 * 10)  # 10 parcels a block, a short last block
    got = sensitivity._rank_quantiles(ranks)
    expected = np.percentile(ranks, [5, 50, 95], axis=1, method="nearest")
    assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_tracked_ranks_by_hand():
    # issue 15: ranks only for the best parcels. Three parcels, weights (1, 0) in effect: scores 0.9, 0.5, 0.1
    v = pd.DataFrame({"a": [0.5, 0.9, 0.1], "b": [0.5, 0.9, 0.1]}, index=["mid", "best", "low"])
    r = monte_carlo(v, {"a": 1, "b": 1}, runs=5, top_k=1, rank_parcels=2)
    assert list(r.parcels.index) == ["best", "mid"]  # the best two by base rank; "low" is not ranked
    assert r.parcels["median_rank"].tolist() == [1, 2]  # every draw keeps this order
    assert r.parcels["p_top_k"].tolist() == [1.0, 0.0]
    assert r.summary["mean_top_k_overlap"] == 1.0


def test_tracked_ranks_keep_ties_in_id_order():
    # equal scores rank by parcel id (stable order): "a" before "b" before "c", all runs
    v = pd.DataFrame({"x": [0.5, 0.5, 0.5, 0.2], "y": [0.5, 0.5, 0.5, 0.2]}, index=["c", "a", "b", "d"])
    r = monte_carlo(v, {"x": 1, "y": 2}, runs=4, top_k=2, rank_parcels=3)
    assert list(r.parcels.index) == ["a", "b", "c"]
    assert r.parcels["rank_p05"].tolist() == [1, 2, 3] and r.parcels["rank_p95"].tolist() == [1, 2, 3]
    assert r.parcels["p_top_k"].tolist() == [1.0, 1.0, 0.0]


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    criteria=st.integers(1, 4),
    levels=st.sampled_from([2, 4, 1000]),  # 2 and 4 value levels: many ties
    top_k=st.integers(1, 8),
    extra=st.integers(0, 10),
    block_cells=st.integers(1, 200),
    seed=st.integers(0, 2**16),
)
def test_tracked_ranks_equal_full_ranks(*, n, criteria, levels, top_k, extra, block_cells, seed):
    # the tracked parcels' statistics and the summary are the same numbers as from the parcels x runs table
    from landplan.scoring import sensitivity

    rng = np.random.default_rng(seed)
    cols = [f"c{i}" for i in range(criteria)]
    v = pd.DataFrame(
        rng.integers(0, levels, (n, criteria)) / levels, columns=cols, index=[f"p{i:03d}" for i in range(n)]
    )
    v = v.sample(frac=1.0, random_state=seed)  # ids not in row order: ties break by id
    w = {c: float(rng.uniform(0.1, 1)) for c in cols}
    old = sensitivity._BLOCK_CELLS
    sensitivity._BLOCK_CELLS = block_cells  # blocks of a few runs (both paths use the same blocks)
    try:
        full = monte_carlo(v, w, runs=23, top_k=top_k, seed=seed)
        tracked = monte_carlo(v, w, runs=23, top_k=top_k, seed=seed, rank_parcels=top_k + extra)
    finally:
        sensitivity._BLOCK_CELLS = old
    assert len(tracked.parcels) == min(top_k + extra, n)
    pd.testing.assert_frame_equal(tracked.parcels, full.parcels.head(len(tracked.parcels)))
    assert tracked.summary == full.summary
    pd.testing.assert_frame_equal(tracked.runs, full.runs)
