"""landplan.scoring.aggregate: weighted sum, product, TOPSIS, contributions, ranks and drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from landplan.errors import InputError
from landplan.scoring import (
    explain_drivers,
    rank_eligible,
    topsis,
    weighted_product,
    weighted_sum,
)
from landplan.scoring.aggregate import normalise_weights


def test_topsis_by_hand():
    v = pd.DataFrame({"a": [1.0, 0.0, 0.5], "b": [0.0, 1.0, 0.5]}, index=["A", "B", "C"])
    # vector norms sqrt(1.25); weighted: A (.6708, 0), B (0, .2236), C (.3354, .1118)
    # ideal (.6708, .2236), anti-ideal (0, 0): A .75, B .25, C .5
    assert topsis(v, {"a": 0.75, "b": 0.25}).round(6).tolist() == [0.75, 0.25, 0.5]


def test_topsis_ideal_comes_from_eligible_rows_only():
    v = pd.DataFrame({"a": [1.0, 0.0, 0.5], "b": [0.0, 1.0, 0.5]}, index=["A", "B", "C"])
    only_bc = topsis(v, {"a": 0.75, "b": 0.25}, reference=pd.Series([False, True, True], index=v.index))
    # norms from B, C only: (0.5, 1.118); weighted B (0, .2236), C (.75, .1118)
    # ideal (.75, .2236), anti-ideal (0, .1118): B = .1118 / .8618, C = .75 / .8618
    assert only_bc["B"] == pytest.approx(0.1118 / 0.8618, abs=1e-3)
    assert only_bc["C"] == pytest.approx(0.75 / 0.8618, abs=1e-3)


def test_weighted_product_by_hand():
    v = pd.DataFrame({"a": [0.25, 0.0], "b": [1.0, 1.0]})
    assert weighted_product(v, {"a": 1, "b": 1}).tolist() == [0.5, 0.0]


unit = st.floats(0, 1, allow_nan=False)


@given(st.lists(st.tuples(unit, unit, unit), min_size=1, max_size=30), st.tuples(*[st.floats(0.01, 100)] * 3))
def test_contributions_relate_exactly_to_the_score(rows, w):
    from landplan.scoring.aggregate import aggregate

    values = pd.DataFrame(rows, columns=["a", "b", "c"])
    weights = dict(zip("abc", w, strict=True))
    for method in ("weighted_sum", "topsis"):
        score, contrib = aggregate(values, weights, method=method)
        np.testing.assert_allclose(contrib.sum(axis=1), score, atol=1e-12)
        assert (contrib.to_numpy() >= 0).all()
    score, logc = aggregate(values, weights, method="weighted_product")
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(np.exp(logc.sum(axis=1)), score, atol=1e-12)
    assert (logc.to_numpy() <= 0).all()


def test_weights_of_1e308_are_equal_not_zero():
    from landplan.scoring.aggregate import normalise_weights

    assert normalise_weights({"a": 1e308, "b": 1e308}).tolist() == [0.5, 0.5]


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
