"""Value functions, weights, weighted sum, ranks and explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from landplan.errors import InputError
from landplan.scoring import band, explain_drivers, identity, linear, rank_eligible, step, weighted_sum
from landplan.scoring.aggregate import normalise_weights

finite = st.floats(-1e6, 1e6, allow_nan=False)


def s(*values):
    return pd.Series(values, dtype="float64")


def test_linear_by_hand():
    assert linear(0, 10)(s(-1, 0, 2.5, 10, 11)).tolist() == [0, 0, 0.25, 1, 1]
    assert linear(0, 10, increasing=False)(s(-1, 0, 2.5, 10, 11)).tolist() == [1, 1, 0.75, 0, 0]
    assert np.isnan(linear(0, 10)(s(np.nan))[0])
    with pytest.raises(ValueError, match="smaller than upper"):
        linear(5, 5)


def test_band_by_hand():
    f = band(0, 10, 20, 40)
    assert f(s(-5, 0, 5, 10, 15, 20, 30, 40, 50)).tolist() == [0, 0, 0.5, 1, 1, 1, 0.5, 0, 0]
    # no ramp on the left: a hard edge at lower
    g = band(10, 10, 20, 30)
    assert g(s(9.9, 10, 25)).tolist() == [0, 1, 0.5]
    with pytest.raises(ValueError):
        band(0, 30, 20, 40)


def test_step_by_hand():
    dist = step([500, 1000], [1.0, 0.6])
    assert dist(s(0, 500, 500.1, 1000, 1001)).tolist() == [1.0, 1.0, 0.6, 0.6, 0.0]
    count = step([3, 1], [1.0, 0.5], mode="at_least", otherwise=0.1)
    assert count(s(0, 1, 2, 3, 10)).tolist() == [0.1, 0.5, 0.5, 1.0, 1.0]
    with pytest.raises(ValueError, match="ascending"):
        step([1000, 500], [1, 0.5])
    with pytest.raises(ValueError, match="same length"):
        step([1, 2], [1])


def test_identity_clips():
    assert identity()(s(-0.1, 0.3, 1.2)).tolist() == [0, 0.3, 1]


@given(st.lists(finite, min_size=2, max_size=50), finite, st.floats(1e-3, 1e5))
def test_linear_is_bounded_and_monotone(values, lower, width):
    x = pd.Series(sorted(values))
    up = linear(lower, lower + width)(x).to_numpy()
    down = linear(lower, lower + width, increasing=False)(x).to_numpy()
    assert ((up >= 0) & (up <= 1)).all()
    assert (np.diff(up) >= 0).all()
    assert (np.diff(down) <= 0).all()


@given(st.lists(finite, min_size=2, max_size=50), st.lists(st.floats(0, 1), min_size=1, max_size=6))
def test_step_at_most_is_non_increasing_for_decreasing_values(values, vals):
    thresholds = np.arange(1, len(vals) + 1) * 100.0
    f = step(thresholds, sorted(vals, reverse=True))
    out = f(pd.Series(sorted(values))).to_numpy()
    assert (np.diff(out) <= 0).all()
    assert ((out >= 0) & (out <= 1)).all()


@given(st.lists(finite, min_size=1, max_size=50))
def test_band_peaks_in_ideal_range(values):
    out = band(-100, 0, 10, 100)(pd.Series(values)).to_numpy()
    x = np.asarray(values)
    assert ((out >= 0) & (out <= 1)).all()
    assert (out[(x >= 0) & (x <= 10)] == 1).all()


def test_weights_are_normalised_and_checked():
    w = normalise_weights({"a": 3, "b": 1})
    assert w.to_dict() == {"a": 0.75, "b": 0.25}
    for bad in ({"a": 0, "b": 1}, {"a": -1, "b": 1}, {}, {"a": float("nan")}):
        with pytest.raises(InputError):
            normalise_weights(bad)


def test_weighted_sum_and_contributions():
    v = pd.DataFrame({"a": [1.0, 0.0, 0.5], "b": [0.0, 1.0, 0.5]}, index=["x", "y", "z"])
    score, contrib = weighted_sum(v, {"a": 3, "b": 1})
    assert score.tolist() == [0.75, 0.25, 0.5]
    assert contrib.loc["x"].tolist() == [0.75, 0.0]
    with pytest.raises(InputError, match="no values"):
        weighted_sum(v, {"c": 1})


def test_rank_ties_are_broken_by_parcel_id():
    score = pd.Series([0.5, 0.9, 0.5, 0.5, 0.1], index=["P3", "P9", "P1", "P2", "P0"])
    eligible = pd.Series([True, True, True, False, True], index=score.index)
    r = rank_eligible(score, eligible)
    assert r.dropna().to_dict() == {"P3": 3, "P9": 1, "P1": 2, "P0": 4}
    assert pd.isna(r["P2"])
    assert str(r.dtype) == "Int64"


@given(st.lists(st.floats(0, 1), min_size=1, max_size=80), st.data())
def test_rank_is_a_permutation_of_eligible(scores, data):
    idx = [f"id{i:03d}" for i in range(len(scores))]
    eligible = pd.Series(data.draw(st.lists(st.booleans(), min_size=len(scores), max_size=len(scores))), index=idx)
    r = rank_eligible(pd.Series(scores, index=idx), eligible)
    ranks = r.dropna().astype(int)
    assert sorted(ranks) == list(range(1, int(eligible.sum()) + 1))
    assert set(ranks.index) == set(eligible[eligible].index)
    # higher score never ranks below a lower one
    sc = pd.Series(scores, index=idx)[ranks.index]
    order = ranks.sort_values().index
    assert (np.diff(sc[order].to_numpy()) <= 0).all()


def test_zero_weight_free_reweighting_does_not_change_ranking():
    v = pd.DataFrame({"a": [0.2, 0.9, 0.4], "b": [0.3, 0.3, 0.3]}, index=["x", "y", "z"])
    ok = pd.Series(True, index=v.index)
    r1 = rank_eligible(weighted_sum(v, {"a": 1, "b": 1})[0], ok)
    r2 = rank_eligible(weighted_sum(v, {"a": 1, "b": 5})[0], ok)  # b is constant: same order
    assert r1.to_dict() == r2.to_dict()


def test_explain_drivers():
    contrib = pd.DataFrame({"a": [0.5, 0.0], "b": [0.2, 0.0], "c": [0.3, 0.0]}, index=["x", "y"])
    text = explain_drivers(contrib, {"a": "bus stops", "c": "schools"}, top=2)
    assert text["x"] == "bus stops 0.50, schools 0.30"
    assert text["y"] == "none"
