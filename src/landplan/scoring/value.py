"""Value functions: map raw criterion values to 0..1 (1 = best).

Each factory validates its parameters and returns a callable ``f(Series) -> Series``
(as pysal/access does for decay functions). NaN stays NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from landplan.config import BandValue, IdentityValue, LinearValue, StepValue

__all__ = ["ValueFunction", "apply_value", "band", "identity", "linear", "step"]

ValueFunction = Callable[[pd.Series], pd.Series]


def _series(x: pd.Series, values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=x.index, name=x.name, dtype="float64")


def linear(lower: float, upper: float, *, increasing: bool = True) -> ValueFunction:
    """0 at ``lower``, 1 at ``upper``, linear between, clipped (reversed if not ``increasing``).

    Examples
    --------
    >>> f = linear(1000, 5000, increasing=False)
    >>> f(pd.Series([0.0, 1000, 3000, 5000, 9000])).tolist()
    [1.0, 1.0, 0.5, 0.0, 0.0]
    """
    if not lower < upper:
        msg = f"linear: lower ({lower}) must be smaller than upper ({upper})"
        raise ValueError(msg)

    def f(x: pd.Series) -> pd.Series:
        v = np.clip((x.to_numpy(dtype="float64") - lower) / (upper - lower), 0.0, 1.0)
        return _series(x, v if increasing else 1.0 - v)

    return f


def band(lower: float, ideal_low: float, ideal_high: float, upper: float) -> ValueFunction:
    """1 in the ideal band, ramping linearly to 0 at ``lower`` and ``upper``.

    Examples
    --------
    >>> band(0, 10, 20, 40)(pd.Series([-5.0, 5, 15, 30, 50])).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    if not (lower <= ideal_low <= ideal_high <= upper and lower < upper):
        msg = f"band: need lower <= ideal_low <= ideal_high <= upper, got {lower}, {ideal_low}, {ideal_high}, {upper}"
        raise ValueError(msg)

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

    Examples
    --------
    >>> f = step([500, 1000], [1.0, 0.6])
    >>> f(pd.Series([200.0, 500, 800, 1500])).tolist()
    [1.0, 1.0, 0.6, 0.0]
    """
    t = np.asarray(thresholds, dtype="float64")
    vals = np.asarray(values, dtype="float64")
    if t.shape != vals.shape or t.size == 0:
        msg = f"step: thresholds ({t.size}) and values ({vals.size}) must be non-empty and the same length"
        raise ValueError(msg)
    if mode not in {"at_most", "at_least"}:
        msg = f"step: mode must be 'at_most' or 'at_least', got {mode!r}"
        raise ValueError(msg)
    ascending = mode == "at_most"
    if not (np.all(np.diff(t) > 0) if ascending else np.all(np.diff(t) < 0)):
        msg = f"step: thresholds must be strictly {'ascending' if ascending else 'descending'} for {mode!r}"
        raise ValueError(msg)
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


def from_spec(spec: LinearValue | BandValue | StepValue | IdentityValue) -> ValueFunction:
    """Build the value function a scenario describes."""
    if isinstance(spec, LinearValue):
        return linear(spec.lower, spec.upper, increasing=spec.increasing)
    if isinstance(spec, BandValue):
        return band(spec.lower, spec.ideal_low, spec.ideal_high, spec.upper)
    if isinstance(spec, StepValue):
        return step(spec.thresholds, spec.values, otherwise=spec.otherwise, mode=spec.mode)
    return identity()


def apply_value(raw: pd.Series, spec: LinearValue | BandValue | StepValue | IdentityValue) -> pd.Series:
    """Apply a scenario value-function spec to raw values."""
    return from_spec(spec)(raw)
