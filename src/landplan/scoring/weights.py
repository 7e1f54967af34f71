"""Weighting methods: direct weights, AHP (principal eigenvector + consistency), rank-based weights.

AHP follows Saaty: weights are the principal right eigenvector of the reciprocal
pairwise-comparison matrix, ``CI = (lambda_max - n) / (n - 1)`` and ``CR = CI / RI(n)``
with Saaty's random index (``rules/ahp.toml``, with its citation).
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landplan._numbers import check_number
from landplan.errors import InputError

if TYPE_CHECKING:
    from landplan.config import Scenario

__all__ = [
    "AHPResult",
    "InconsistentJudgementsWarning",
    "WeightsResult",
    "ahp",
    "rank_order_centroid",
    "rank_sum",
    "scenario_weights",
]


class InconsistentJudgementsWarning(UserWarning):
    """An AHP matrix is more inconsistent than the limit, and the scenario asked for a warning."""


def _ahp_constants() -> dict[str, Any]:
    return tomllib.loads((resources.files("landplan") / "rules" / "ahp.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency figures of an AHP pairwise-comparison matrix."""

    weights: pd.Series
    lambda_max: float
    ci: float
    ri: float
    cr: float
    max_cr: float
    worst_pair: tuple[str, str]
    worst_judgement: float
    worst_implied: float

    @property
    def consistent(self) -> bool:
        """True when CR is below the limit (always true for n <= 2)."""
        return self.cr < self.max_cr

    def describe_worst(self) -> str:
        """Sentence naming the most inconsistent comparison."""
        a, b = self.worst_pair
        return (
            f"the most inconsistent comparison is {a!r} vs {b!r}: judged {_fmt_judgement(self.worst_judgement)}, "
            f"while the other judgements imply about {_fmt_judgement(self.worst_implied)}"
        )

    def to_text(self) -> str:
        """The weights and consistency figures as plain text."""
        lines = [f"{name:<24} {w:.4f}" for name, w in self.weights.items()]
        lines += [
            f"lambda_max = {self.lambda_max:.4f}",
            f"CI = {self.ci:.4f}, RI = {self.ri:.2f}, CR = {self.cr:.4f} (limit {self.max_cr:.2f}: "
            f"{'consistent' if self.consistent else 'INCONSISTENT'})",
        ]
        if self.weights.size > 2:
            lines.append(self.describe_worst())
        return "\n".join(lines)


def _fmt_judgement(x: float) -> str:
    return f"{x:.2f}" if x >= 1 else f"1/{1 / x:.2f}"


def ahp(
    matrix: Sequence[Sequence[float]] | np.ndarray, names: Sequence[str], *, max_cr: float | None = None
) -> AHPResult:
    """Weights from a pairwise-comparison matrix on Saaty's 1-9 scale.

    Parameters
    ----------
    matrix
        Square, positive, reciprocal matrix: ``matrix[i][j]`` says how much more important
        criterion i is than j (1..9 or reciprocals), ``matrix[j][i] == 1 / matrix[i][j]``.
    names
        Criterion names in matrix order.
    max_cr
        Consistency-ratio limit (default from ``rules/ahp.toml``: 0.10).

    Returns
    -------
    AHPResult

    Raises
    ------
    InputError
        If the matrix is not square, not positive, off the 1/9..9 scale, or not reciprocal.

    Examples
    --------
    >>> r = ahp([[1, 3], [1 / 3, 1]], ["a", "b"])
    >>> r.weights.round(2).tolist(), r.cr
    ([0.75, 0.25], 0.0)
    """
    if max_cr is not None:
        max_cr = check_number(max_cr, "AHP max_cr", gt=0)
    n = len(names)
    a = _check_matrix(matrix, names)
    constants = _ahp_constants()
    limit = float(constants["consistency"]["max_cr"]) if max_cr is None else max_cr
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    lam = float(values[k].real)
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    ri_table = constants["random_index"]["values"]
    ri = float(ri_table[n - 1]) if n <= len(ri_table) else float(ri_table[-1])
    ci = max((lam - n) / (n - 1), 0.0) if n > 1 else 0.0
    cr = ci / ri if ri > 0 else 0.0
    # most inconsistent judgement: largest ratio between the judgement and the weights' ratio
    implied = w[:, None] / w[None, :]
    dev = np.maximum(a / implied, implied / a)
    np.fill_diagonal(dev, 0)
    i, j = (int(v) for v in np.unravel_index(int(np.argmax(np.triu(dev))), dev.shape))
    return AHPResult(
        weights=pd.Series(w, index=list(names), name="weight"),
        lambda_max=lam,
        ci=ci,
        ri=ri,
        cr=cr,
        max_cr=limit,
        worst_pair=(names[i], names[j]),
        worst_judgement=float(a[i, j]),
        worst_implied=float(implied[i, j]),
    )


def _check_matrix(matrix: Sequence[Sequence[float]] | np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The matrix as floats, once it is square, positive, on Saaty's scale and reciprocal.

    Raises
    ------
    InputError
        Naming the first problem (and the judgement at fault).
    """
    n = len(names)
    try:
        a = np.asarray(matrix, dtype="float64")
    except (TypeError, ValueError):  # ragged rows or non-numbers
        msg = (
            f"AHP matrix must be a square table of numbers, {n} x {n} for criteria {list(names)} "
            "(rows of unequal length?)"
        )
        raise InputError(msg) from None
    if a.shape != (n, n):
        msg = f"AHP matrix must be {n} x {n} for criteria {list(names)}, got shape {a.shape}"
        raise InputError(msg)
    if not np.isfinite(a).all() or (a <= 0).any():
        msg = "AHP matrix entries must be positive numbers"
        raise InputError(msg)
    off_scale = (a < 1 / 9 - 1e-9) | (a > 9 + 1e-9)
    if off_scale.any():
        i, j = (int(v) for v in np.argwhere(off_scale)[0])
        msg = f"AHP judgement {names[i]!r} vs {names[j]!r} = {a[i, j]:g} is off Saaty's 1/9..9 scale"
        raise InputError(msg)
    if not np.allclose(np.diag(a), 1.0):
        msg = "AHP matrix diagonal must be 1 (a criterion compared with itself)"
        raise InputError(msg)
    bad = ~np.isclose(a * a.T, 1.0, rtol=1e-3)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        msg = (
            f"AHP matrix is not reciprocal: {names[i]!r} vs {names[j]!r} = {a[i, j]:g} but "
            f"{names[j]!r} vs {names[i]!r} = {a[j, i]:g} (should be {1 / a[i, j]:g})"
        )
        raise InputError(msg)
    return a


def rank_order_centroid(order: Sequence[str]) -> pd.Series:
    """Rank-order-centroid weights: ``w_i = (1/n) * sum_{k=i..n} 1/k`` (most important first).

    Parameters
    ----------
    order : sequence of str
        Criterion names, most important first.

    Examples
    --------
    >>> rank_order_centroid(["a", "b", "c"]).round(4).tolist()
    [0.6111, 0.2778, 0.1111]
    """
    n = len(order)
    _check_order(order)
    inv = 1.0 / np.arange(1, n + 1)
    w = np.cumsum(inv[::-1])[::-1] / n
    return pd.Series(w, index=list(order), name="weight")


def rank_sum(order: Sequence[str]) -> pd.Series:
    """Rank-sum weights: ``w_i = (n - r_i + 1) / sum`` (most important first).

    Parameters
    ----------
    order : sequence of str
        Criterion names, most important first.

    Examples
    --------
    >>> rank_sum(["a", "b", "c"]).round(4).tolist()
    [0.5, 0.3333, 0.1667]
    """
    _check_order(order)
    n = len(order)
    raw = np.arange(n, 0, -1, dtype="float64")
    return pd.Series(raw / raw.sum(), index=list(order), name="weight")


def _check_order(order: Sequence[str]) -> None:
    if len(order) == 0 or len(set(order)) != len(order):
        msg = f"a rank order must list distinct criteria, got {list(order)}"
        raise InputError(msg)


@dataclass(frozen=True)
class WeightsResult:
    """Normalised weights of a scenario and, for AHP, the consistency figures."""

    method: str
    weights: dict[str, float]
    ahp: AHPResult | None = None
    notes: list[str] = field(default_factory=list)

    def to_text(self) -> str:
        """The weights (and AHP figures) as plain text."""
        if self.ahp is not None:
            return f"method: ahp\n{self.ahp.to_text()}"
        lines = [f"method: {self.method}"] + [f"{k:<24} {v:.4f}" for k, v in self.weights.items()]
        return "\n".join(lines)


def scenario_weights(scenario: Scenario) -> WeightsResult:
    """Weights of a scenario by its weighting method, in criterion order.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario (its criteria and ``[weighting]`` table).

    Raises
    ------
    InputError
        For a malformed AHP matrix, or CR at or above the limit with ``on_inconsistent = "error"``
        (the message names the most inconsistent comparison).
    """
    spec = scenario.weighting
    names = [c.name for c in scenario.criteria]
    if spec.method == "direct":
        raw = {c.name: float(c.weight or 0.0) for c in scenario.criteria}
        top = max(raw.values())  # scale first: weights of 1e308 would overflow their sum to inf
        raw = {k: v / top for k, v in raw.items()}
        total = sum(raw.values())
        return WeightsResult("direct", {k: v / total for k, v in raw.items()})
    if spec.method == "ahp":
        assert spec.criteria is not None and spec.matrix is not None
        result = ahp(spec.matrix, spec.criteria, max_cr=spec.max_cr)
        if not result.consistent:
            msg = (
                f"{scenario.source}: weighting.matrix: consistency ratio CR = {result.cr:.3f} is at or above "
                f"{result.max_cr:.2f}; {result.describe_worst()}; revise that judgement "
                '(or set weighting.on_inconsistent = "warn")'
            )
            if spec.on_inconsistent == "error":
                raise InputError(msg)
            warnings.warn(msg, InconsistentJudgementsWarning, stacklevel=2)
        return WeightsResult("ahp", {n: float(result.weights[n]) for n in names}, ahp=result)
    assert spec.order is not None
    w = rank_order_centroid(spec.order) if spec.method == "rank_order_centroid" else rank_sum(spec.order)
    return WeightsResult(spec.method, {n: float(w[n]) for n in names})


def as_series(weights: Mapping[str, float]) -> pd.Series:
    """Weights as a float Series.

    Parameters
    ----------
    weights : Mapping[str, float]
        Weights by criterion name.
    """
    return pd.Series(dict(weights), dtype="float64")
