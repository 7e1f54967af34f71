"""Sensitivity of the ranking to the weights.

- :func:`one_at_a_time`: each weight moved by +-``delta`` (relative), the others
  renormalised; how much the top K changes.
- :func:`monte_carlo`: weights drawn from a Dirichlet distribution centred on the
  scenario's weights (seeded); per parcel the probability of being in the top K, the
  median rank and the 5-95 % rank interval; and how stable the top K is.
- :func:`weight_sensitivity`: both, on the :class:`~landplan.model.Scores` of a scenario
  (``landplan sensitivity``).

Everything is one matrix product ``values @ weights`` for all runs and one ``argsort``
per block of runs: 1,000 runs over 10,000 parcels take a second or two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landplan._numbers import check_number
from landplan.errors import InputError
from landplan.scoring.aggregate import normalise_weights

if TYPE_CHECKING:
    from landplan.model import Scores

__all__ = ["SensitivityResult", "WeightSensitivity", "monte_carlo", "one_at_a_time", "weight_sensitivity"]

_BLOCK_CELLS = 20_000_000  # parcels x runs per block (bounded memory)


def _prepare(
    values: pd.DataFrame, weights: Mapping[str, float], eligible: pd.Series | None
) -> tuple[np.ndarray, pd.Index, pd.Series]:
    w = normalise_weights(weights)
    missing = [c for c in w.index if c not in values.columns]
    if missing:
        msg = f"sensitivity: no values for criteria {missing}"
        raise InputError(msg)
    ok = pd.Series(True, index=values.index) if eligible is None else eligible.reindex(values.index).fillna(False)
    ok &= values[w.index].notna().all(axis=1)
    sub = values.loc[ok.to_numpy(dtype=bool), w.index]
    # sort by parcel id so that a stable sort breaks score ties by id
    sub = sub.sort_index(kind="stable")
    if sub.empty:
        msg = (
            "sensitivity: no eligible parcel with a value for every criterion, so there is no ranking "
            "to test; relax the constraints or check the criteria (see `landplan validate`)"
        )
        raise InputError(msg)
    return sub.to_numpy(dtype="float64"), sub.index, w


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank 1..n of each row per column (higher score first, ties by row order)."""
    order = np.argsort(-scores, axis=0, kind="stable")
    ranks = np.empty_like(order)
    cols = np.arange(scores.shape[1])[None, :]
    ranks[order, cols] = np.arange(1, scores.shape[0] + 1)[:, None]
    return ranks


@dataclass(frozen=True)
class SensitivityResult:
    """Per-parcel rank statistics and a summary of top-K stability."""

    parcels: pd.DataFrame
    summary: dict[str, Any]
    top_k: int
    runs: pd.DataFrame = field(repr=False)

    def to_text(self, n: int = 10) -> str:
        """Summary and the ``n`` most robust parcels as plain text."""
        lines = [f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}" for k, v in self.summary.items()]
        head = self.parcels.sort_values(["p_top_k", "median_rank"], ascending=[False, True]).head(n)
        lines.append(head.to_string(float_format=lambda x: f"{x:.3f}"))
        return "\n".join(lines)


def monte_carlo(
    values: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    eligible: pd.Series | None = None,
    runs: int = 1000,
    concentration: float = 50.0,
    top_k: int = 20,
    seed: int = 0,
    rank_parcels: int | None = None,
) -> SensitivityResult:
    """Monte-Carlo weights around the scenario's weights (weighted-sum scores).

    Parameters
    ----------
    values
        0..1 criterion values, one column per criterion, indexed by parcel id.
    weights
        The scenario's weights (normalised here).
    eligible
        Parcels that may rank (others are left out).
    runs
        Number of weight draws.
    concentration
        Dirichlet concentration: ``alpha = concentration * weights``. Larger means draws
        closer to the scenario's weights (about +-``1/sqrt(concentration)`` relative spread).
    top_k
        Size of the top list whose stability is measured.
    seed
        Random seed: the same seed gives the same result.
    rank_parcels
        Rank statistics only for the best ``rank_parcels`` parcels by base rank (at least
        ``top_k``); None: for every parcel. Their numbers and the summary are the same either
        way (see :func:`_tracked_ranks`); tracking a few parcels keeps memory at a few rows per
        run instead of a parcels x runs table (2 GB at 1,000,000 parcels and 500 runs).

    Returns
    -------
    SensitivityResult
        ``parcels``: ``base_rank``, ``p_top_k``, ``median_rank``, ``rank_p05``, ``rank_p95``
        (every eligible parcel, or the best ``rank_parcels``);
        ``summary``: mean/min overlap of each run's top K with the base top K, share of
        the base top K that stays in the top K in at least 90 % of runs; ``runs``: weights drawn.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        msg = f"sensitivity: runs must be an integer >= 1, got {runs!r}"
        raise InputError(msg)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        msg = f"sensitivity: top_k must be an integer >= 1, got {top_k!r}"
        raise InputError(msg)
    concentration = check_number(concentration, "sensitivity: concentration", gt=0)
    x, ids, w = _prepare(values, weights, eligible)
    k = min(top_k, len(ids))
    rng = np.random.default_rng(seed)
    draws = rng.dirichlet(concentration * w.to_numpy(), size=runs)  # runs x criteria
    base_rank = _ranks((x @ w.to_numpy())[:, None])[:, 0]
    rows, rank_samples, in_top, overlap = _run_ranks(x, draws, base_rank, k=k, rank_parcels=rank_parcels)
    q05, q50, q95 = _rank_quantiles(rank_samples)
    table = pd.DataFrame(
        {
            "base_rank": base_rank[rows],
            "p_top_k": in_top / runs,
            "median_rank": q50,
            "rank_p05": q05,
            "rank_p95": q95,
        },
        index=ids[rows],
    ).sort_values(["base_rank"])
    summary = {
        "method": "monte_carlo",
        "runs": runs,
        "seed": seed,
        "concentration": concentration,
        "top_k": k,
        "mean_top_k_overlap": float(overlap.mean()),
        "min_top_k_overlap": float(overlap.min()),
        "share_of_top_k_robust_90": float((table.loc[table["base_rank"] <= k, "p_top_k"] >= 0.9).mean()),
    }
    return SensitivityResult(parcels=table, summary=summary, top_k=k, runs=pd.DataFrame(draws, columns=w.index))


def _run_ranks(
    x: np.ndarray, draws: np.ndarray, base_rank: np.ndarray, *, k: int, rank_parcels: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows given rank statistics, their ranks in every run, their top-``k`` counts, each run's overlap.

    Parameters
    ----------
    x : numpy.ndarray
        Parcels x criteria values.
    draws : numpy.ndarray
        Runs x criteria weights.
    base_rank : numpy.ndarray
        Each parcel's rank under the scenario's weights.
    k : int
        Size of the top list.
    rank_parcels : int or None
        Rank only the best ``rank_parcels`` (at least ``k``) by base rank; None: every parcel.
    """
    if rank_parcels is None:
        rank_samples, in_top, overlap = _sample_ranks(x, draws, base_rank <= k, k=k)
        return np.arange(len(base_rank)), rank_samples, in_top, overlap
    rows = np.argsort(base_rank)[: min(max(rank_parcels, k), len(base_rank))]  # the best parcels, by base rank
    rank_samples, in_top, overlap = _tracked_ranks(x, draws, rows, k=k)
    return rows, rank_samples, in_top[rows], overlap


def _rank_quantiles(rank_samples: np.ndarray) -> np.ndarray:
    """Per parcel, the 5th, 50th and 95th percentile rank ('nearest'), in blocks of parcels.

    ``np.percentile`` copies what it sorts: on the whole parcels x runs table that is a second
    table (800 MB at 1,000,000 parcels and 100 runs); blocks of rows keep the copy small, and each
    row's percentiles are the same numbers.

    Parameters
    ----------
    rank_samples : numpy.ndarray
        Parcels x runs ranks.
    """
    n, runs = rank_samples.shape
    out = np.empty((3, n), dtype=rank_samples.dtype)
    block = max(1, _BLOCK_CELLS // max(runs, 1))
    for start in range(0, n, block):
        rows = rank_samples[start : start + block]
        out[:, start : start + block] = np.percentile(rows, [5, 50, 95], axis=1, method="nearest")
    return out


def _sample_ranks(
    x: np.ndarray, draws: np.ndarray, base_top: np.ndarray, *, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks of every parcel under every drawn weight vector, in blocks of bounded memory.

    Returns
    -------
    rank_samples : numpy.ndarray
        Parcels x runs ranks.
    in_top : numpy.ndarray
        Per parcel, the number of runs that put it in the top ``k``.
    overlap : numpy.ndarray
        Per run, the share of the base top ``k`` still in the top ``k``.
    """
    n, runs = x.shape[0], draws.shape[0]
    in_top = np.zeros(n)
    rank_samples = np.empty((n, runs), dtype=np.int32)
    overlap = np.empty(runs)
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, runs, block):  # blocks of runs, vectorised inside
        r = _ranks(x @ draws[start : start + block].T)
        rank_samples[:, start : start + block] = r
        top = r <= k
        in_top += top.sum(axis=1)
        overlap[start : start + block] = (top & base_top[:, None]).sum(axis=0) / k
    return rank_samples, in_top, overlap


def _tracked_ranks(
    x: np.ndarray, draws: np.ndarray, tracked: np.ndarray, *, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks of the ``tracked`` parcels under every drawn weight vector, without ranking the others.

    Exactness: a parcel's rank in a run is 1 + the number of parcels that score higher, or the
    same and come earlier (the stable order of :func:`_ranks`). Those parcels score at least as
    much as it does, hence at least the lowest score of the tracked parcels in that run; so
    ranking only the parcels that reach that score ("candidates", by score then row) gives every
    tracked parcel its exact rank. The tracked parcels include the base top ``k`` (``k`` parcels
    at or above that score), so the run's top ``k`` are candidates too: the per-parcel top-``k``
    counts and the overlaps are exact for every parcel. Scores are computed in the same blocks of
    runs and by the same product as :func:`_sample_ranks`, so they are the same bits.

    Parameters
    ----------
    x : numpy.ndarray
        Parcels x criteria values.
    draws : numpy.ndarray
        Runs x criteria weights.
    tracked : numpy.ndarray
        Row numbers of the parcels to rank, the base top ``k`` first (best base rank first).
    k : int
        Size of the top list.

    Returns
    -------
    rank_samples : numpy.ndarray
        Tracked parcels x runs ranks.
    in_top : numpy.ndarray
        Per parcel (every row of ``x``), the number of runs that put it in the top ``k``.
    overlap : numpy.ndarray
        Per run, the share of the base top ``k`` still in the top ``k``.
    """
    n, runs = x.shape[0], draws.shape[0]
    rank_samples = np.empty((len(tracked), runs), dtype=np.int32)
    in_top = np.zeros(n)
    overlap = np.empty(runs)
    base_top = np.zeros(n, dtype=bool)
    base_top[tracked[:k]] = True
    position = np.zeros(n, dtype=np.int64)  # a candidate's place in its run's order
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, runs, block):  # blocks of runs, as _sample_ranks
        scores = x @ draws[start : start + block].T
        for j in range(scores.shape[1]):  # one run at a time, vectorised over the parcels
            col = np.ascontiguousarray(scores[:, j])
            cand = np.flatnonzero(col >= col[tracked].min())
            order = cand[np.lexsort((cand, -col[cand]))]  # higher score first, then row order
            position[order] = np.arange(1, len(order) + 1)
            rank_samples[:, start + j] = position[tracked]
            in_top[order[:k]] += 1
            overlap[start + j] = base_top[order[:k]].sum() / k
    return rank_samples, in_top, overlap


def one_at_a_time(
    values: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    eligible: pd.Series | None = None,
    delta: float = 0.2,
    top_k: int = 20,
) -> pd.DataFrame:
    """Move each weight by ``-delta`` and ``+delta`` (relative), renormalise, compare rankings.

    Parameters
    ----------
    values : pandas.DataFrame
        0..1 criterion values, one column per criterion, indexed by parcel id.
    weights : Mapping[str, float]
        The scenario's weights (normalised here).
    eligible : pandas.Series, optional
        Parcels that may rank (others are left out).
    delta : float, default 0.2
        Relative change of each weight (0.2: -20 % and +20 %).
    top_k : int, default 20
        Size of the top list compared.

    Returns
    -------
    pandas.DataFrame
        One row per criterion and direction: the perturbed weight, the overlap of the
        top K with the base top K, Spearman correlation of all ranks with the base ranks,
        and the largest rank change among the base top K.
    """
    delta = check_number(delta, "sensitivity: delta", gt=0, lt=1)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        msg = f"sensitivity: top_k must be an integer >= 1, got {top_k!r}"
        raise InputError(msg)
    x, ids, w = _prepare(values, weights, eligible)
    k = min(top_k, len(ids))
    names = list(w.index)
    base = w.to_numpy()
    variants = []
    rows = []
    for j, name in enumerate(names):  # loop over criteria
        for sign in (-1, 1):
            v = base.copy()
            v[j] *= 1 + sign * delta
            variants.append(v / v.sum())
            rows.append((name, f"{sign * delta:+.0%}", v[j] / v.sum()))
    weights_matrix = np.column_stack([base, *variants])
    ranks = _ranks(x @ weights_matrix)
    base_rank = ranks[:, 0]
    base_top = base_rank <= k
    out = []
    for col, (name, change, new_w) in enumerate(rows, start=1):
        r = ranks[:, col]
        rho = np.corrcoef(base_rank, r)[0, 1] if len(ids) > 1 else 1.0
        out.append(
            {
                "criterion": name,
                "change": change,
                "weight": new_w,
                "top_k_overlap": float(((r <= k) & base_top).sum() / k),
                "spearman": float(rho),
                "max_rank_shift_top_k": int(np.abs(r[base_top] - base_rank[base_top]).max()),
            }
        )
    return pd.DataFrame(out)


@dataclass(frozen=True)
class WeightSensitivity:
    """Both analyses of one scenario's ranking.

    Attributes
    ----------
    one_at_a_time : pandas.DataFrame
        The table of :func:`one_at_a_time`.
    monte_carlo : SensitivityResult
        The result of :func:`monte_carlo`.
    """

    one_at_a_time: pd.DataFrame
    monte_carlo: SensitivityResult


def weight_sensitivity(
    scores: Scores,
    *,
    source: str = "",
    runs: int = 1000,
    seed: int = 0,
    top_k: int = 20,
    concentration: float = 50.0,
    delta: float = 0.2,
) -> WeightSensitivity:
    """One-at-a-time and Monte-Carlo sensitivity of a scenario's ranking to its weights.

    Parameters
    ----------
    scores : Scores
        The scenario's scores (values, weights and eligibility are used).
    source : str, optional
        The scenario file, to name in messages.
    runs : int, default 1000
        Monte-Carlo weight draws.
    seed : int, default 0
        Random seed of the draws.
    top_k : int, default 20
        Size of the top list whose stability is measured.
    concentration : float, default 50.0
        Dirichlet concentration of the draws (see :func:`monte_carlo`).
    delta : float, default 0.2
        Relative change of each weight in the one-at-a-time analysis (0.2 = 20 %).

    Returns
    -------
    WeightSensitivity

    Raises
    ------
    InputError
        If no parcel is eligible (there is no ranking to test), or an option is out of range.
    """
    if not scores.eligible.any():
        msg = (
            f"{source}: no eligible parcel, so no ranking to test; "
            "relax the constraints ([[constraints]] in the scenario; see landplan explain)"
        )
        raise InputError(msg)
    values, w, eligible = scores.values, scores.weights, scores.eligible
    oat = one_at_a_time(values, w, eligible=eligible, delta=delta, top_k=top_k)
    mc = monte_carlo(values, w, eligible=eligible, runs=runs, seed=seed, top_k=top_k, concentration=concentration)
    return WeightSensitivity(one_at_a_time=oat, monte_carlo=mc)
