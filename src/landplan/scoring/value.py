"""Value functions: map raw criterion values to 0..1 (1 = best).

Each factory validates its parameters and returns a callable ``f(Series) -> Series``
(as pysal/access does for decay functions). NaN stays NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from landplan._numbers import check_number
from landplan.config import (
    AnyValueSpec,
    BandValue,
    CategoricalValue,
    FuzzyValue,
    GaussianValue,
    LinearValue,
    LogisticValue,
    PowerValue,
    StepValue,
)
from landplan.errors import InputError

__all__ = [
    "ValueFunction",
    "apply_value",
    "band",
    "categorical",
    "fuzzy_large",
    "fuzzy_small",
    "gaussian",
    "identity",
    "linear",
    "logistic",
    "power",
    "step",
]


ValueFunction = Callable[[pd.Series], pd.Series]


def _series(x: pd.Series, values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=x.index, name=x.name, dtype="float64")


def linear(lower: float, upper: float, *, increasing: bool = True) -> ValueFunction:
    """0 at ``lower``, 1 at ``upper``, linear between, clipped (reversed if not ``increasing``).

    Parameters
    ----------
    lower, upper : float
        Raw values at value 0 and 1 (``lower < upper``).
    increasing : bool, default True
        False reverses the function (1 at ``lower``).

    Examples
    --------
    >>> f = linear(1000, 5000, increasing=False)
    >>> f(pd.Series([0.0, 1000, 3000, 5000, 9000])).tolist()
    [1.0, 1.0, 0.5, 0.0, 0.0]
    """
    lower, upper = check_number(lower, "linear: lower"), check_number(upper, "linear: upper")
    if not lower < upper:
        msg = f"linear: lower ({lower}) must be smaller than upper ({upper})"
        raise InputError(msg)

    def f(x: pd.Series) -> pd.Series:
        v = np.clip((x.to_numpy(dtype="float64") - lower) / (upper - lower), 0.0, 1.0)
        return _series(x, v if increasing else 1.0 - v)

    return f


def band(lower: float, ideal_low: float, ideal_high: float, upper: float) -> ValueFunction:
    """1 in the ideal band, ramping linearly to 0 at ``lower`` and ``upper``.

    Parameters
    ----------
    lower : float
        Value 0 at and below this raw value.
    ideal_low, ideal_high : float
        The ideal band, value 1.
    upper : float
        Value 0 at and above this raw value.

    Examples
    --------
    >>> band(0, 10, 20, 40)(pd.Series([-5.0, 5, 15, 30, 50])).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    lower, ideal_low, ideal_high, upper = (
        check_number(v, f"band: {n}")
        for v, n in ((lower, "lower"), (ideal_low, "ideal_low"), (ideal_high, "ideal_high"), (upper, "upper"))
    )
    if not (lower <= ideal_low <= ideal_high <= upper and lower < upper):
        msg = f"band: need lower <= ideal_low <= ideal_high <= upper, got {lower}, {ideal_low}, {ideal_high}, {upper}"
        raise InputError(msg)

    def f(x: pd.Series) -> pd.Series:
        a = x.to_numpy(dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            rise = np.where(ideal_low > lower, (a - lower) / (ideal_low - lower), (a >= lower).astype(float))
            fall = np.where(upper > ideal_high, (upper - a) / (upper - ideal_high), (a <= upper).astype(float))
        v = np.clip(np.minimum(rise, fall), 0.0, 1.0)
        v[np.isnan(a)] = np.nan
        return _series(x, v)

    return f


def step(
    thresholds: Sequence[float],
    values: Sequence[float],
    *,
    otherwise: float = 0.0,
    mode: str = "at_most",
) -> ValueFunction:
    """Step table: the value of the first threshold met.

    ``mode="at_most"``: ``x <= thresholds[i]`` (ascending), for distances;
    ``mode="at_least"``: ``x >= thresholds[i]`` (descending), for counts.

    Parameters
    ----------
    thresholds : sequence of float
        Thresholds, ascending for ``at_most``, descending for ``at_least``.
    values : sequence of float
        The value of each threshold, one per threshold.
    otherwise : float, default 0.0
        The value where no threshold is met.
    mode : {'at_most', 'at_least'}
        How a raw value meets a threshold.

    Examples
    --------
    >>> f = step([500, 1000], [1.0, 0.6])
    >>> f(pd.Series([200.0, 500, 800, 1500])).tolist()
    [1.0, 1.0, 0.6, 0.0]
    """
    t = np.asarray([check_number(v, "step: thresholds") for v in thresholds], dtype="float64")
    vals = np.asarray([check_number(v, "step: values", ge=0, le=1) for v in values], dtype="float64")
    otherwise = check_number(otherwise, "step: otherwise", ge=0, le=1)
    if t.shape != vals.shape or t.size == 0:
        msg = f"step: thresholds ({t.size}) and values ({vals.size}) must be non-empty and the same length"
        raise InputError(msg)
    if mode not in {"at_most", "at_least"}:
        msg = f"step: mode must be 'at_most' or 'at_least', got {mode!r}"
        raise InputError(msg)
    ascending = mode == "at_most"
    if not (np.all(np.diff(t) > 0) if ascending else np.all(np.diff(t) < 0)):
        msg = f"step: thresholds must be strictly {'ascending' if ascending else 'descending'} for {mode!r}"
        raise InputError(msg)
    table = np.append(vals, otherwise)

    def f(x: pd.Series) -> pd.Series:
        a = x.to_numpy(dtype="float64")
        # index of the first threshold met; len(t) when none is
        idx = np.searchsorted(t, a, side="left") if ascending else np.searchsorted(-t, -a, side="left")
        v = table[idx]
        v[np.isnan(a)] = np.nan
        return _series(x, v)

    return f


def identity() -> ValueFunction:
    """The raw value clipped to 0..1 (for shares such as coverage)."""

    def f(x: pd.Series) -> pd.Series:
        return _series(x, np.clip(x.to_numpy(dtype="float64"), 0.0, 1.0))

    return f


def power(lower: float, upper: float, exponent: float, *, increasing: bool = True) -> ValueFunction:
    """``((x - lower) / (upper - lower)) ** exponent``, clipped to 0..1; reversed if not ``increasing``.

    Parameters
    ----------
    lower, upper : float
        Raw values at value 0 and 1.
    exponent : float
        The power (> 0): above 1 rewards only values near ``upper``.
    increasing : bool, default True
        False reverses the function (1 at ``lower``).

    Examples
    --------
    >>> power(0, 10, 2)(pd.Series([5.0, 10, 20])).tolist()
    [0.25, 1.0, 1.0]
    """
    lower, upper = check_number(lower, "power: lower"), check_number(upper, "power: upper")
    exponent = check_number(exponent, "power: exponent", gt=0)
    if not lower < upper:
        msg = f"power: need lower < upper and exponent > 0, got {lower}, {upper}, {exponent}"
        raise InputError(msg)

    def f(x: pd.Series) -> pd.Series:
        t = np.clip((x.to_numpy(dtype="float64") - lower) / (upper - lower), 0.0, 1.0)
        if not increasing:
            t = 1.0 - t
        return _series(x, t**exponent)

    return f


def _fuzzy(midpoint: float, spread: float, *, large: bool) -> ValueFunction:
    midpoint = check_number(midpoint, "fuzzy: midpoint", gt=0)
    spread = check_number(spread, "fuzzy: spread", gt=0)

    def f(x: pd.Series) -> pd.Series:
        a = x.to_numpy(dtype="float64")
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            ratio = np.where(a > 0, a / midpoint, 0.0)
            v = 1.0 / (1.0 + ratio ** (-spread if large else spread))
        v = np.where(a > 0, v, 0.0 if large else 1.0)
        v[np.isnan(a)] = np.nan
        return _series(x, v)

    return f


def fuzzy_large(midpoint: float, spread: float) -> ValueFunction:
    """Fuzzy 'large' membership (ArcGIS): ``1 / (1 + (x / midpoint) ** -spread)``; 0.5 at ``midpoint``.

    Parameters
    ----------
    midpoint : float
        Raw value at value 0.5 (> 0).
    spread : float
        Steepness around the midpoint (> 0).

    Examples
    --------
    >>> fuzzy_large(100, 2)(pd.Series([0.0, 100, 200])).round(2).tolist()
    [0.0, 0.5, 0.8]
    """
    return _fuzzy(midpoint, spread, large=True)


def fuzzy_small(midpoint: float, spread: float) -> ValueFunction:
    """Fuzzy 'small' membership (ArcGIS): ``1 / (1 + (x / midpoint) ** spread)``; 0.5 at ``midpoint``.

    Parameters
    ----------
    midpoint : float
        Raw value at value 0.5 (> 0).
    spread : float
        Steepness around the midpoint (> 0).

    Examples
    --------
    >>> fuzzy_small(100, 2)(pd.Series([0.0, 100, 200])).round(2).tolist()
    [1.0, 0.5, 0.2]
    """
    return _fuzzy(midpoint, spread, large=False)


def gaussian(ideal: float, spread: float) -> ValueFunction:
    """``exp(-0.5 * ((x - ideal) / spread) ** 2)``: 1 at ``ideal``.

    Parameters
    ----------
    ideal : float
        Raw value at value 1.
    spread : float
        Standard deviation of the bell, in raw units (> 0).

    Examples
    --------
    >>> gaussian(10, 2)(pd.Series([10.0, 12])).round(4).tolist()
    [1.0, 0.6065]
    """
    ideal = check_number(ideal, "gaussian: ideal")
    spread = check_number(spread, "gaussian: spread", gt=0)

    def f(x: pd.Series) -> pd.Series:
        a = x.to_numpy(dtype="float64")
        return _series(x, np.exp(-0.5 * ((a - ideal) / spread) ** 2))

    return f


def logistic(midpoint: float, steepness: float, *, increasing: bool = True) -> ValueFunction:
    """Logistic growth ``1 / (1 + exp(-k (x - midpoint)))`` (or decay if not ``increasing``).

    Parameters
    ----------
    midpoint : float
        Raw value at value 0.5.
    steepness : float
        Growth rate ``k`` per raw unit (> 0).
    increasing : bool, default True
        False gives decay.

    Examples
    --------
    >>> logistic(1000, 0.01, increasing=False)(pd.Series([1000.0])).tolist()
    [0.5]
    """
    midpoint = check_number(midpoint, "logistic: midpoint")
    steepness = check_number(steepness, "logistic: steepness", gt=0)
    sign = 1.0 if increasing else -1.0

    def f(x: pd.Series) -> pd.Series:
        a = x.to_numpy(dtype="float64")
        with np.errstate(over="ignore"):
            return _series(x, 1.0 / (1.0 + np.exp(-sign * steepness * (a - midpoint))))

    return f


def categorical(values: dict[str, float], *, default: float | None = None) -> ValueFunction:
    """Map categories (e.g. land-use classes) to values; unknown ones get ``default`` (None: NaN).

    Parameters
    ----------
    values : dict of str to float
        Value of each category.
    default : float, optional
        Value of unlisted categories (None: NaN).

    Examples
    --------
    >>> categorical({"vacant": 1.0, "agricultural": 0.6})(pd.Series(["vacant", "x"])).tolist()
    [1.0, nan]
    """
    values = {k: check_number(v, f"categorical: values[{k!r}]", ge=0, le=1) for k, v in values.items()}
    if default is not None:
        default = check_number(default, "categorical: default", ge=0, le=1)

    def f(x: pd.Series) -> pd.Series:
        mapped = x.astype("string").map(values).astype("float64")
        if default is not None:
            mapped = mapped.fillna(default)
        return _series(x, mapped.to_numpy())

    return f


def from_spec(spec: AnyValueSpec) -> ValueFunction:
    """Build the value function a scenario describes.

    Parameters
    ----------
    spec : AnyValueSpec
        A scenario's ``value`` table, as loaded.
    """
    if isinstance(spec, LinearValue):
        return linear(spec.lower, spec.upper, increasing=spec.increasing)
    if isinstance(spec, BandValue):
        return band(spec.lower, spec.ideal_low, spec.ideal_high, spec.upper)
    if isinstance(spec, StepValue):
        return step(spec.thresholds, spec.values, otherwise=spec.otherwise, mode=spec.mode)
    if isinstance(spec, PowerValue):
        return power(spec.lower, spec.upper, spec.exponent, increasing=spec.increasing)
    if isinstance(spec, FuzzyValue):
        return (fuzzy_large if spec.function == "fuzzy_large" else fuzzy_small)(spec.midpoint, spec.spread)
    if isinstance(spec, GaussianValue):
        return gaussian(spec.ideal, spec.spread)
    if isinstance(spec, LogisticValue):
        return logistic(spec.midpoint, spec.steepness, increasing=spec.increasing)
    if isinstance(spec, CategoricalValue):
        return categorical(spec.values, default=spec.default)
    return identity()


def _x_range(spec: AnyValueSpec) -> tuple[float, float]:
    if isinstance(spec, LinearValue | PowerValue):
        pad = 0.2 * (spec.upper - spec.lower)
        return spec.lower - pad, spec.upper + pad
    if isinstance(spec, BandValue):
        pad = 0.1 * (spec.upper - spec.lower)
        return spec.lower - pad, spec.upper + pad
    if isinstance(spec, StepValue):
        t = sorted(spec.thresholds)
        span = (t[-1] - t[0]) or abs(t[-1]) or 1.0
        return t[0] - 0.3 * span, t[-1] + 0.3 * span
    if isinstance(spec, FuzzyValue):
        return 0.0, 3 * spec.midpoint
    if isinstance(spec, GaussianValue):
        return spec.ideal - 4 * spec.spread, spec.ideal + 4 * spec.spread
    if isinstance(spec, LogisticValue):
        half = 6 / spec.steepness
        return spec.midpoint - half, spec.midpoint + half
    return 0.0, 1.0


def apply_value(raw: pd.Series, spec: AnyValueSpec) -> pd.Series:
    """Apply a scenario value-function spec to raw values.

    Parameters
    ----------
    raw : pandas.Series
        Raw criterion values.
    spec : AnyValueSpec
        A scenario's ``value`` table, as loaded.
    """
    return from_spec(spec)(raw)
