"""Issue 4: value functions, AHP and rank weights, TOPSIS/product, sensitivity, score cards."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import landplan
from conftest import SCENARIO_TOML, rank, scored
from landplan.config import load_scenario
from landplan.errors import ConfigError, InputError
from landplan.outputs.charts import plot_rank_intervals, plot_value_function
from landplan.outputs.scorecard import explain
from landplan.outputs.tables import ranked_table
from landplan.scoring import (
    ahp,
    categorical,
    fuzzy_large,
    fuzzy_small,
    gaussian,
    logistic,
    power,
    rank_order_centroid,
    rank_sum,
    topsis,
    weighted_product,
)
from landplan.scoring.sensitivity import monte_carlo, one_at_a_time
from landplan.scoring.weights import InconsistentJudgementsWarning, scenario_weights

finite = st.floats(-1e5, 1e5, allow_nan=False)


def s(*v):
    return pd.Series(v, dtype="float64")


# ------------------------------------------------------------------ value functions


def test_value_functions_at_hand_points():
    assert power(0, 10, 2)(s(-1, 5, 10, 20)).tolist() == [0, 0.25, 1, 1]
    assert power(0, 10, 0.5, increasing=False)(s(0, 7.5, 10)).tolist() == [1, 0.5, 0]
    assert fuzzy_large(100, 2)(s(0, 50, 100, 200)).round(4).tolist() == [0, 0.2, 0.5, 0.8]
    assert fuzzy_small(100, 2)(s(-5, 50, 100, 200)).round(4).tolist() == [1, 0.8, 0.5, 0.2]
    assert gaussian(300, 100)(s(300, 400, 200)).round(4).tolist() == [1, 0.6065, 0.6065]
    assert logistic(1000, 0.01)(s(1000, 1000 + 100 * math.log(3))).round(4).tolist() == [0.5, 0.75]
    assert logistic(1000, 0.01, increasing=False)(s(1000 + 100 * math.log(3))).round(4).tolist() == [0.25]
    f = categorical({"vacant": 1.0, "agricultural": 0.6}, default=0.1)
    assert f(pd.Series(["vacant", "agricultural", "forest"])).tolist() == [1.0, 0.6, 0.1]
    assert np.isnan(categorical({"a": 1.0})(pd.Series(["b"]))[0])


@given(st.lists(finite, min_size=2, max_size=40), st.floats(1, 1e4), st.floats(0.1, 8))
def test_fuzzy_and_logistic_are_monotone_and_bounded(values, midpoint, spread):
    x = pd.Series(sorted(values))
    for f, sign in (
        (fuzzy_large(midpoint, spread), 1),
        (fuzzy_small(midpoint, spread), -1),
        (logistic(midpoint, 1 / midpoint), 1),
        (logistic(midpoint, 1 / midpoint, increasing=False), -1),
    ):
        y = f(x).to_numpy()
        assert ((y >= 0) & (y <= 1)).all()
        assert (sign * np.diff(y) >= -1e-12).all()


@given(st.floats(-1e4, 1e4), st.floats(0.1, 1e3), st.floats(0, 1e3))
def test_gaussian_is_symmetric_with_peak_at_ideal(ideal, spread, offset):
    f = gaussian(ideal, spread)
    left, right, peak = f(s(ideal - offset, ideal + offset, ideal)).tolist()
    assert left == pytest.approx(right)
    assert peak == 1.0 and left <= 1.0


@given(st.lists(finite, min_size=2, max_size=40), st.floats(0.1, 5))
def test_power_is_monotone(values, exponent):
    y = power(-100, 100, exponent)(pd.Series(sorted(values))).to_numpy()
    assert (np.diff(y) >= 0).all()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{ function = "gaussian", ideal = 5, spread = 0 }', "criteria[0].value.spread"),
        ('{ function = "fuzzy_large", midpoint = -1, spread = 2 }', "criteria[0].value.midpoint"),
        ('{ function = "power", lower = 5, upper = 1, exponent = 2 }', "lower (5.0) must be smaller"),
        ('{ function = "logistic", midpoint = 5, steepness = -1 }', "criteria[0].value.steepness"),
    ],
)
def test_value_function_parameters_are_validated(tmp_path, value, message):
    text = SCENARIO_TOML.replace('{ function = "linear", lower = 0, upper = 1000, increasing = false }', value, 1)
    p = tmp_path / "s.toml"
    p.write_text(text)
    with pytest.raises(
        ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")
    ):
        load_scenario(p)


def test_value_function_charts_are_written(tmp_path):
    scenario = load_scenario(landplan.datasets.demo_scenario())
    for c in scenario.criteria[:3]:
        fig = plot_value_function(c.value, title=c.title, unit=c.unit_label)
        fig.savefig(tmp_path / f"{c.name}.png")
        fig.savefig(tmp_path / f"{c.name}.svg")
        assert (tmp_path / f"{c.name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in (tmp_path / f"{c.name}.svg").read_text()


# ------------------------------------------------------------------ weights

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


def _ahp_scenario(scenario_dir, matrix, extra=""):
    text = (scenario_dir / "scenario.toml").read_text()
    for w in ("weight = 2\n", "weight = 1\n"):
        text = text.replace(w, "")
    text += (
        f'\n[weighting]\nmethod = "ahp"\ncriteria = ["zone_distance", "schools", "price"]\nmatrix = {matrix}\n{extra}'
    )
    (scenario_dir / "scenario.toml").write_text(text)
    return scenario_dir / "scenario.toml"


def test_scenario_with_ahp_weights_and_fractions(scenario_dir):
    path = _ahp_scenario(scenario_dir, '[[1, 2, 2], ["1/2", 1, 1], ["1/2", 1, 1]]')
    s = load_scenario(path)
    assert scenario_weights(s).weights == pytest.approx({"zone_distance": 0.5, "schools": 0.25, "price": 0.25})
    ranked = rank(path)
    # same weights as the direct 2:1:1 scenario -> same scores as in test_pipeline
    assert ranked.loc["P4", "score"] == pytest.approx(0.8)


def test_inconsistent_ahp_scenario_is_an_error_or_a_warning(scenario_dir):
    path = _ahp_scenario(scenario_dir, '[[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]')
    with pytest.raises(InputError, match=r"CR = .* is at or above 0.10; the most inconsistent comparison is"):
        scenario_weights(load_scenario(path))
    path.write_text(path.read_text() + 'on_inconsistent = "warn"\n')
    with pytest.warns(InconsistentJudgementsWarning):
        assert sum(scenario_weights(load_scenario(path)).weights.values()) == pytest.approx(1)


def test_rank_weighting_in_scenario(scenario_dir):
    text = (scenario_dir / "scenario.toml").read_text().replace("weight = 2\n", "").replace("weight = 1\n", "")
    text += '\n[weighting]\nmethod = "rank_sum"\norder = ["schools", "zone_distance", "price"]\n'
    (scenario_dir / "scenario.toml").write_text(text)
    assert scenario_weights(load_scenario(scenario_dir / "scenario.toml")).weights == pytest.approx(
        {"zone_distance": 1 / 3, "schools": 0.5, "price": 1 / 6}
    )


# ------------------------------------------------------------------ aggregation


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


def test_scenario_aggregation_methods_rank_only_eligible(scenario_dir):
    base = (scenario_dir / "scenario.toml").read_text()
    results = {}
    for method in ("weighted_product", "topsis"):
        (scenario_dir / "scenario.toml").write_text(base + f'\n[aggregation]\nmethod = "{method}"\n')
        study, scores = scored(scenario_dir / "scenario.toml")
        ranked = ranked_table(study, scores)
        assert set(ranked["rank"].dropna().index) == {"P1", "P4", "P7"}
        assert scores.aggregation == method
        results[method] = ranked
    product = results["weighted_product"]["score"]
    # values (zone, schools, price) with weights .5/.25/.25: P4 (.85, 1, .5), P1 (.85, .5, .875), P7 (.85, .5, .125)
    assert product["P4"] == pytest.approx(0.85**0.5 * 0.5**0.25)
    assert product["P1"] == pytest.approx(0.85**0.5 * 0.5**0.25 * 0.875**0.25)
    assert product["P7"] == pytest.approx(0.85**0.5 * 0.5**0.25 * 0.125**0.25)
    # TOPSIS by hand: column norms (1.4722, 1.2247, 1.0155); weighted schools/price
    # P1 (.1021, .2154), P4 (.2041, .1231), P7 (.1021, .0308); zone is equal for all.
    # P1: d+ .1021, d- .1846 -> .644; P4: d+ .0923, d- .1376 -> .599; P7: d- 0 -> 0
    closeness = results["topsis"]["score"]
    assert closeness["P1"] == pytest.approx(0.1846 / (0.1021 + 0.1846), abs=2e-3)
    assert closeness["P4"] == pytest.approx(0.1376 / (0.0923 + 0.1376), abs=2e-3)
    assert closeness["P7"] == pytest.approx(0.0, abs=1e-12)
    assert results["topsis"]["rank"].dropna().to_dict() == {"P1": 1, "P4": 2, "P7": 3}


# ------------------------------------------------------------------ sensitivity


@pytest.fixture
def random_values():
    rng = np.random.default_rng(3)
    idx = pd.Index([f"p{i:04d}" for i in range(2000)])
    return pd.DataFrame(rng.uniform(0, 1, (2000, 4)), index=idx, columns=list("abcd"))


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


def test_rank_interval_chart(random_values, tmp_path):
    r = monte_carlo(random_values, {"a": 1, "b": 1, "c": 1, "d": 1}, runs=30, top_k=10)
    fig = plot_rank_intervals(r)
    fig.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 1000


# ------------------------------------------------------------------ score cards


def test_score_card_of_a_ranked_and_an_excluded_parcel(scenario_dir):
    study, scores = scored(scenario_dir / "scenario.toml")
    card = explain(study, scores, "P4")
    assert card.rank == 1 and card.score == pytest.approx(0.8)
    row = card.criteria.set_index("criterion").loc["zone_distance"]
    assert row["raw"] == 150 and row["unit"] == "m" and row["value"] == pytest.approx(0.85)
    assert row["weight"] == 0.5 and row["contribution"] == pytest.approx(0.425)
    assert card.constraints["passed"].all()
    text = card.to_text()
    assert "Parcel P4: score 0.800" in text and "rank 1" in text and "[pass]" in text
    bad = explain(study, scores, "P0")
    assert bad.rank is None and not bad.eligible
    failed = bad.constraints[~bad.constraints["passed"]]
    assert failed["kind"].tolist() == ["isolation"]
    assert "[FAIL]" in bad.to_text() and "50 m away" in bad.to_text()
    with pytest.raises(InputError, match="no parcel with id 'P99'"):
        explain(study, scores, "P99")


def test_categorical_land_use_criterion_in_a_scenario(scenario_dir):
    text = (scenario_dir / "scenario.toml").read_text()
    text += (
        '\n[[criteria]]\nname = "use"\nkind = "attribute"\nfield = "landuse"\nweight = 1\n'
        'value = { function = "categorical", values = { vacant = 1.0, residential = 0.4 }, default = 0.0 }\n'
    )
    (scenario_dir / "scenario.toml").write_text(text)
    ranked = rank(scenario_dir / "scenario.toml")
    assert ranked.loc["P4", "use_raw"] == "residential" and ranked.loc["P4", "use_value"] == 0.4
    assert ranked.loc["P1", "use_value"] == 1.0
    # weights 2:1:1:1 -> P4 = (2*.85 + 1 + .5 + .4) / 5
    assert ranked.loc["P4", "score"] == pytest.approx((2 * 0.85 + 1 + 0.5 + 0.4) / 5)


# ------------------------------------------------------------------ contributions match the aggregation


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


def test_scenario_contributions_follow_the_aggregation(scenario_dir):
    base = (scenario_dir / "scenario.toml").read_text()
    for method in ("weighted_sum", "weighted_product", "topsis"):
        (scenario_dir / "scenario.toml").write_text(base + f'\n[aggregation]\nmethod = "{method}"\n')
        ranked = rank(scenario_dir / "scenario.toml")
        ok = ranked[ranked["eligible"]]
        contrib = ok[["zone_distance_contrib", "schools_contrib", "price_contrib"]].sum(axis=1)
        if method == "weighted_product":
            np.testing.assert_allclose(np.exp(contrib), ok["score"], rtol=1e-12)
            # P7: price value .125 ** .25 = x0.59 lowers it most, then schools .5 ** .25 = x0.84
            assert ok.loc["P7", "top_drivers"] == "lowered by price x0.59, schools x0.84"
        else:
            np.testing.assert_allclose(contrib, ok["score"], rtol=1e-12)
    # TOPSIS, P7 sits on the anti-ideal (d- = 0): score 0, nothing drives it
    assert ranked.loc["P7", "score"] == 0 and ranked.loc["P7", "top_drivers"] == "none"


def test_weights_of_1e308_are_equal_not_zero():
    from landplan.scoring.aggregate import normalise_weights

    assert normalise_weights({"a": 1e308, "b": 1e308}).tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: landplan.scoring.linear(0, math.inf), "linear: upper must be a finite number"),
        (lambda: landplan.scoring.linear(-math.inf, 1), "linear: lower must be a finite number"),
        (lambda: gaussian(0, math.nan), "gaussian: spread must be a finite number"),
        (lambda: logistic(math.inf, 1), "logistic: midpoint must be a finite number"),
        (lambda: power(0, 1, "2"), "power: exponent must be a number"),
        (lambda: fuzzy_large(True, 1), "fuzzy: midpoint must be a number"),
        (lambda: categorical({"a": math.nan}), "categorical: values\\['a'\\] must be a finite number"),
        (lambda: one_at_a_time(pd.DataFrame({"a": [0.5]}), {"a": 1}, delta=math.nan), "delta must be a finite"),
        (lambda: monte_carlo(pd.DataFrame({"a": [0.5]}), {"a": 1}, concentration=math.inf), "concentration"),
        (lambda: ahp([[1, 3], [0.33]], ["a", "b"]), "square table of numbers"),
    ],
)
def test_public_functions_refuse_bad_numbers_with_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_sensitivity_without_eligible_parcels_is_an_input_error():
    values = pd.DataFrame({"a": [0.5, 0.7]}, index=["p1", "p2"])
    nobody = pd.Series(False, index=values.index)
    for call in (one_at_a_time, monte_carlo):
        with pytest.raises(InputError, match="no eligible parcel"):
            call(values, {"a": 1.0}, eligible=nobody)
