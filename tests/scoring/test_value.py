"""landplan.scoring.value: value functions at hand-checked points, their invariants and parameter checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import landplan
from conftest import SCENARIO_TOML
from landplan.config import load_scenario
from landplan.errors import ConfigError, InputError
from landplan.scoring import (
    ahp,
    band,
    categorical,
    fuzzy_large,
    fuzzy_small,
    gaussian,
    identity,
    linear,
    logistic,
    power,
    step,
)
from landplan.scoring.sensitivity import monte_carlo, one_at_a_time

finite = st.floats(-1e5, 1e5, allow_nan=False)


def s(*v):
    return pd.Series(v, dtype="float64")


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


finite_wide = st.floats(-1e6, 1e6, allow_nan=False)


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


@given(st.lists(finite_wide, min_size=2, max_size=50), finite_wide, st.floats(1e-3, 1e5))
def test_linear_is_bounded_and_monotone(values, lower, width):
    x = pd.Series(sorted(values))
    up = linear(lower, lower + width)(x).to_numpy()
    down = linear(lower, lower + width, increasing=False)(x).to_numpy()
    assert ((up >= 0) & (up <= 1)).all()
    assert (np.diff(up) >= 0).all()
    assert (np.diff(down) <= 0).all()


@given(st.lists(finite_wide, min_size=2, max_size=50), st.lists(st.floats(0, 1), min_size=1, max_size=6))
def test_step_at_most_is_non_increasing_for_decreasing_values(values, vals):
    thresholds = np.arange(1, len(vals) + 1) * 100.0
    f = step(thresholds, sorted(vals, reverse=True))
    out = f(pd.Series(sorted(values))).to_numpy()
    assert (np.diff(out) <= 0).all()
    assert ((out >= 0) & (out <= 1)).all()


@given(st.lists(finite_wide, min_size=1, max_size=50))
def test_band_peaks_in_ideal_range(values):
    out = band(-100, 0, 10, 100)(pd.Series(values)).to_numpy()
    x = np.asarray(values)
    assert ((out >= 0) & (out <= 1)).all()
    assert (out[(x >= 0) & (x <= 10)] == 1).all()
