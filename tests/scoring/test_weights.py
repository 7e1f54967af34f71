"""landplan.scoring.weights: AHP, rank weights, scenario weighting."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import SCENARIO, rank
from landplan.config import load_scenario
from landplan.errors import InputError
from landplan.scoring import (
    ahp,
    rank_order_centroid,
    rank_sum,
)
from landplan.scoring.weights import InconsistentJudgementsWarning, scenario_weights

# Saaty (1980), "relative wealth of nations" (US, USSR, China, France, UK, Japan, W. Germany):
# published eigenvector .427 .230 .021 .052 .052 .123 .094 and lambda_max 7.61.
WEALTH = [
    [1, 4, 9, 6, 6, 5, 5],
    [1 / 4, 1, 7, 5, 5, 3, 4],
    [1 / 9, 1 / 7, 1, 1 / 5, 1 / 5, 1 / 7, 1 / 5],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
    [1 / 5, 1 / 3, 7, 3, 3, 1, 2],
    [1 / 5, 1 / 4, 5, 3, 3, 1 / 2, 1],
]


NATIONS = ["US", "USSR", "China", "France", "UK", "Japan", "W_Germany"]


def test_ahp_matches_saaty_wealth_of_nations():
    r = ahp(WEALTH, NATIONS)
    assert r.weights.round(3).tolist() == [0.427, 0.230, 0.021, 0.052, 0.052, 0.123, 0.094]
    assert r.lambda_max == pytest.approx(7.61, abs=0.005)
    assert r.ci == pytest.approx((r.lambda_max - 7) / 6)
    assert r.ri == 1.32
    assert r.cr == pytest.approx(r.ci / 1.32)
    assert r.consistent


def test_ahp_consistent_matrix_recovers_weights_exactly():
    w = np.array([0.5, 0.3, 0.2])
    r = ahp(w[:, None] / w[None, :], ["a", "b", "c"])
    np.testing.assert_allclose(r.weights.to_numpy(), w)
    assert r.lambda_max == pytest.approx(3) and r.cr == pytest.approx(0, abs=1e-12)


def test_ahp_inconsistency_names_the_worst_comparison():
    # a > b, b > c, c > a strongly: a cycle
    r = ahp([[1, 5, 1 / 5], [1 / 5, 1, 5], [5, 1 / 5, 1]], ["a", "b", "c"])
    assert not r.consistent and r.cr > 1
    assert "most inconsistent comparison" in r.describe_worst()
    # one bad judgement in an otherwise consistent 4x4 matrix is the one reported
    w = np.array([0.4, 0.3, 0.2, 0.1])
    m = w[:, None] / w[None, :]
    m[0, 3], m[3, 0] = 1 / 5, 5
    bad = ahp(m, ["a", "b", "c", "d"])
    assert set(bad.worst_pair) == {"a", "d"}


def test_ahp_rejects_malformed_matrices():
    with pytest.raises(InputError, match="not reciprocal: 'a' vs 'b' = 3"):
        ahp([[1, 3], [3, 1]], ["a", "b"])
    with pytest.raises(InputError, match=re.escape("off Saaty's 1/9..9 scale")):
        ahp([[1, 12], [1 / 12, 1]], ["a", "b"])
    with pytest.raises(InputError, match="must be 3 x 3"):
        ahp([[1, 2], [0.5, 1]], ["a", "b", "c"])


def test_rank_weights():
    assert rank_order_centroid(["a", "b", "c"]).round(4).tolist() == [0.6111, 0.2778, 0.1111]
    assert rank_order_centroid(["a", "b", "c", "d"]).round(4).tolist() == [0.5208, 0.2708, 0.1458, 0.0625]
    assert rank_sum(["a", "b", "c", "d"]).tolist() == [0.4, 0.3, 0.2, 0.1]
    with pytest.raises(InputError):
        rank_sum(["a", "a"])


def _unweighted_criteria():
    return [{k: v for k, v in c.items() if k != "weight"} for c in SCENARIO["criteria"]]


def _ahp_scenario(scenario_factory, matrix, **extra):
    weighting = {"method": "ahp", "criteria": ["zone_distance", "schools", "price"], "matrix": matrix, **extra}
    return scenario_factory(criteria=_unweighted_criteria(), weighting=weighting)


def test_scenario_with_ahp_weights_and_fractions(scenario_factory):
    path = _ahp_scenario(scenario_factory, [[1, 2, 2], ["1/2", 1, 1], ["1/2", 1, 1]])
    s = load_scenario(path)
    assert scenario_weights(s).weights == pytest.approx({"zone_distance": 0.5, "schools": 0.25, "price": 0.25})
    ranked = rank(path)
    # same weights as the direct 2:1:1 scenario -> same scores as in test_pipeline
    assert ranked.loc["P4", "score"] == pytest.approx(0.8)


def test_inconsistent_ahp_scenario_is_an_error_or_a_warning(scenario_factory):
    matrix = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]
    path = _ahp_scenario(scenario_factory, matrix)
    with pytest.raises(InputError, match=r"CR = .* is at or above 0.10; the most inconsistent comparison is"):
        scenario_weights(load_scenario(path))
    path = _ahp_scenario(scenario_factory, matrix, on_inconsistent="warn")
    with pytest.warns(InconsistentJudgementsWarning):
        assert sum(scenario_weights(load_scenario(path)).weights.values()) == pytest.approx(1)


def test_rank_weighting_in_scenario(scenario_factory):
    weighting = {"method": "rank_sum", "order": ["schools", "zone_distance", "price"]}
    path = scenario_factory(criteria=_unweighted_criteria(), weighting=weighting)
    assert scenario_weights(load_scenario(path)).weights == pytest.approx(
        {"zone_distance": 1 / 3, "schools": 0.5, "price": 1 / 6}
    )
