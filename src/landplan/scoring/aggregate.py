"""Weighted sum, deterministic ranks among eligible parcels, and top-driver texts."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from landplan.errors import InputError

__all__ = [
    "aggregate",
    "explain_drivers",
    "normalise_weights",
    "rank_eligible",
    "topsis",
    "weighted_product",
    "weighted_sum",
]


def normalise_weights(weights: Mapping[str, float]) -> pd.Series:
    """Weights as a Series summing to 1.

    Parameters
    ----------
    weights : Mapping[str, float]
        Weights by criterion name, each finite and > 0.

    Raises
    ------
    InputError
        If there are no weights, or any weight is zero, negative or not finite.
    """
    bad_type = {k: v for k, v in dict(weights).items() if isinstance(v, bool) or not isinstance(v, numbers.Real)}
    if bad_type:
        msg = f"weights must be numbers, got {bad_type} (no silent conversion of text)"
        raise InputError(msg)
    w = pd.Series(dict(weights), dtype="float64")
    if w.empty:
        msg = "no weights given: a score needs at least one weighted criterion"
        raise InputError(msg)
    bad = w[~np.isfinite(w) | (w <= 0)]
    if len(bad):
        msg = (
            f"weights must be positive numbers; got {bad.to_dict()}; remove a criterion instead "
            "of giving it a zero or negative weight"
        )
        raise InputError(msg)
    w = w / w.max()  # scale first: weights of 1e308 would overflow their sum to inf
    return w / w.sum()


def weighted_sum(values: pd.DataFrame, weights: Mapping[str, float]) -> tuple[pd.Series, pd.DataFrame]:
    """Weighted-sum score of 0..1 criterion values.

    Parameters
    ----------
    values
        One column per criterion, values in 0..1, indexed by parcel.
    weights
        Weight per criterion name (normalised here).

    Returns
    -------
    score : pandas.Series
        Named ``"score"``, in 0..1.
    contributions : pandas.DataFrame
        ``value * normalised weight`` per criterion; rows sum to the score.

    Raises
    ------
    InputError
        If a weighted criterion has no column or weights are not positive.
    """
    w = normalise_weights(weights)
    missing = [c for c in w.index if c not in values.columns]
    if missing:
        msg = f"weights name criteria with no values: {missing}"
        raise InputError(msg)
    contributions = values[w.index].mul(w, axis=1)
    score = contributions.sum(axis=1, min_count=len(w)).rename("score")
    return score, contributions


def rank_eligible(score: pd.Series, eligible: pd.Series) -> pd.Series:
    """Rank 1..n among eligible parcels: higher score first, ties broken by parcel id.

    Parameters
    ----------
    score : pandas.Series
        Scores on the parcel index.
    eligible : pandas.Series
        True for parcels that may be ranked.

    Returns
    -------
    pandas.Series
        Nullable ``Int64`` named ``"rank"``; ``<NA>`` for excluded parcels or missing scores.
    """
    ok = eligible.to_numpy(dtype=bool) & score.notna().to_numpy()
    idx = np.flatnonzero(ok)
    ids = score.index.to_numpy()[idx]
    # lexsort: last key is primary -> sort by -score, then by parcel id
    order = np.lexsort((ids.astype(str) if ids.dtype == object else ids, -score.to_numpy()[idx]))
    ranks = np.empty(len(idx), dtype="int64")
    ranks[order] = np.arange(1, len(idx) + 1)
    out = pd.Series(pd.NA, index=score.index, name="rank", dtype="Int64")
    out.iloc[idx] = ranks
    return out


def explain_drivers(
    contributions: pd.DataFrame, labels: Mapping[str, str], *, top: int = 2, log: bool = False
) -> pd.Series:
    """Short text naming the criteria that add most to each parcel's score.

    ``"bus stops 0.21, kindergartens 0.15"`` (contribution points out of 1). Criteria with
    zero contribution are left out; a parcel with none gets ``"none"``.

    With ``log=True`` (log-contributions of the weighted product, see :func:`aggregate`)
    nothing adds: every factor ``exp(c)`` is at most 1, and the text names the criteria
    that lower the score most, with their factor: ``"lowered by market x0.62, bus x0.80"``.

    Parameters
    ----------
    contributions : pandas.DataFrame
        One column per criterion (log-contributions with ``log=True``).
    labels : Mapping[str, str]
        Display name of each criterion.
    top : int, default 2
        How many criteria to name.
    log : bool, default False
        Contributions are logarithms of factors (weighted product).
    """
    if contributions.empty:
        return pd.Series("", index=contributions.index, name="top_drivers", dtype="object")
    if log:
        return _limiting_factors(contributions, labels, top=top)
    arr = contributions.to_numpy(dtype="float64")
    arr = np.where(np.isnan(arr), -np.inf, arr)
    names = np.array([labels.get(c, c) for c in contributions.columns], dtype=object)
    k = min(top, arr.shape[1])
    order = np.argsort(-arr, axis=1, kind="stable")[:, :k]
    top_vals = np.take_along_axis(arr, order, axis=1)
    text = np.full(arr.shape[0], "", dtype=object)
    for j in range(k):  # loop over the k drivers, not over parcels
        vals = top_vals[:, j]
        label = names[order[:, j]] + " " + np.char.mod("%.2f", np.where(np.isfinite(vals), vals, 0.0)).astype(object)
        part = np.where(vals > 0, label, "")
        text = np.where(part == "", text, np.where(text == "", part, text + ", " + part))
    return pd.Series(np.where(text == "", "none", text), index=contributions.index, name="top_drivers", dtype="object")


def weighted_product(values: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Weighted product ``prod(v_i ** w_i)`` of 0..1 values (normalised weights).

    A zero value on any criterion gives a zero score (no compensation).

    Parameters
    ----------
    values : pandas.DataFrame
        0..1 values, one column per criterion.
    weights : Mapping[str, float]
        Weights by criterion name (normalised here).
    """
    w = normalise_weights(weights)
    v = values[w.index].to_numpy(dtype="float64")
    with np.errstate(divide="ignore"):
        score = np.exp((np.log(np.clip(v, 0.0, 1.0)) * w.to_numpy()).sum(axis=1))
    score[np.isnan(v).any(axis=1)] = np.nan
    return pd.Series(score, index=values.index, name="score")


def _topsis_parts(
    values: pd.DataFrame, weights: Mapping[str, float], reference: pd.Series | None
) -> tuple[np.ndarray, np.ndarray]:
    """TOPSIS closeness and each criterion's share of it (see :func:`aggregate`)."""
    w = normalise_weights(weights)
    x = values[w.index].to_numpy(dtype="float64")
    given = np.ones(len(values), dtype=bool) if reference is None else reference.to_numpy(dtype=bool)
    ref = given & ~np.isnan(x).any(axis=1)
    norms = np.sqrt(np.nansum(x[ref] ** 2, axis=0))
    norms[norms == 0] = 1.0
    vw = x / norms * w.to_numpy()
    if ref.any():
        best, worst = vw[ref].max(axis=0), vw[ref].min(axis=0)
    else:
        best = worst = np.zeros(vw.shape[1])
    lift = (vw - worst) ** 2  # per criterion: squared distance from the anti-ideal
    d_plus = np.sqrt(((vw - best) ** 2).sum(axis=1))
    d_minus = np.sqrt(lift.sum(axis=1))
    total = d_plus + d_minus
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(total > 0, d_minus / total, 0.5)
        share = np.where(d_minus[:, None] > 0, lift / (d_minus**2)[:, None], w.to_numpy()[None, :])
    return score, share * score[:, None]


def topsis(values: pd.DataFrame, weights: Mapping[str, float], *, reference: pd.Series | None = None) -> pd.Series:
    """TOPSIS closeness to the ideal (Hwang & Yoon) on 0..1 benefit values.

    Columns are vector-normalised (``x / sqrt(sum x^2)``) and weighted; the ideal and
    anti-ideal are each criterion's best and worst weighted value among the ``reference``
    rows (eligible parcels; all rows by default); the score is ``d- / (d+ + d-)``.

    Parameters
    ----------
    values
        One column per criterion, 0..1, higher is better.
    weights
        Weight per criterion (normalised here).
    reference
        Boolean mask of the rows that define the norms, ideal and anti-ideal.

    Returns
    -------
    pandas.Series
        Closeness in 0..1 named ``"score"`` (0.5 where ideal and anti-ideal coincide).
    """
    score, _ = _topsis_parts(values, weights, reference)
    return pd.Series(score, index=values.index, name="score")


def aggregate(
    values: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    method: str = "weighted_sum",
    reference: pd.Series | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Score and per-criterion contributions, consistent with the aggregation ``method``.

    What a contribution is depends on the method, and always relates exactly to the score:

    - ``weighted_sum``: ``w * v``; contributions **sum to the score**.
    - ``weighted_product``: log-contributions ``w * ln(v)`` (<= 0, ``-inf`` when ``v`` is 0);
      they **sum to ln(score)**, i.e. ``score = exp(sum)``; ``exp(c)`` is the factor by which
      the criterion multiplies the score.
    - ``topsis``: the score split in proportion to each criterion's share of the squared
      distance from the anti-ideal, ``score * (vw - worst)^2 / d-^2``; contributions **sum to
      the score** (split by weight where ``d-`` is 0).

    Parameters
    ----------
    values
        One column per criterion, values in 0..1, indexed by parcel.
    weights
        Weight per criterion name (normalised here).
    method
        ``"weighted_sum"``, ``"weighted_product"`` or ``"topsis"``.
    reference
        TOPSIS only: rows that define the ideal and anti-ideal (eligible parcels).

    Returns
    -------
    score : pandas.Series
    contributions : pandas.DataFrame
        One column per weighted criterion.

    Raises
    ------
    InputError
        For an unknown method, missing columns or bad weights.
    """
    score, contributions = weighted_sum(values, weights)
    if method == "weighted_sum":
        return score, contributions
    w = normalise_weights(weights)
    if method == "weighted_product":
        v = values[w.index].to_numpy(dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            logc = np.log(np.clip(v, 0.0, 1.0)) * w.to_numpy()
        return weighted_product(values, weights), pd.DataFrame(logc, index=values.index, columns=w.index)
    if method == "topsis":
        s, parts = _topsis_parts(values, weights, reference)
        return (
            pd.Series(s, index=values.index, name="score"),
            pd.DataFrame(parts, index=values.index, columns=w.index),
        )
    msg = f"unknown aggregation method {method!r}; choose weighted_sum, weighted_product or topsis"
    raise InputError(msg)


def _limiting_factors(log_contributions: pd.DataFrame, labels: Mapping[str, str], *, top: int) -> pd.Series:
    arr = log_contributions.to_numpy(dtype="float64")
    arr = np.where(np.isnan(arr), 0.0, arr)
    names = np.array([labels.get(c, c) for c in log_contributions.columns], dtype=object)
    k = min(top, arr.shape[1])
    order = np.argsort(arr, axis=1, kind="stable")[:, :k]  # most negative first
    vals = np.take_along_axis(arr, order, axis=1)
    text = np.full(arr.shape[0], "", dtype=object)
    for j in range(k):  # loop over the k factors, not over parcels
        factor = np.char.mod("%.2f", np.exp(vals[:, j])).astype(object)
        part = np.where(vals[:, j] < 0, names[order[:, j]] + " x" + factor, "")
        text = np.where(part == "", text, np.where(text == "", part, text + ", " + part))
    out = np.where(text == "", "none", "lowered by " + text)
    return pd.Series(out, index=log_contributions.index, name="top_drivers", dtype="object")
