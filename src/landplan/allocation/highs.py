"""HiGHS through highspy, for a MILP that needs a starting solution (the joint facility model).

``scipy.optimize.milp`` (the housing models) cannot pass HiGHS a feasible solution to start
from; on the joint model HiGHS's root heuristics often find none within the time limit (the
demo: none in 300 s on a loaded machine). highspy's ``setSolution`` gives it the housing
solution, extended with every facility unserved, which is always feasible: the search then
only improves on it, and a time limit returns the best plan found instead of nothing.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array

__all__ = ["HighsResult", "solve_highs"]


@dataclass(frozen=True)
class HighsResult:
    """What HiGHS returned: the solution (None if none), optimal or not, infeasible, gap, objective."""

    x: np.ndarray | None
    optimal: bool
    infeasible: bool
    gap: float | None
    objective: float
    message: str


def solve_highs(
    a_matrix: csr_array,
    *,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integrality: np.ndarray,
    start: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    mip_gap: float = 0.01,
) -> HighsResult:
    """Minimise ``cost @ x`` subject to ``row_lower <= A x <= row_upper`` and the column bounds.

    Parameters
    ----------
    a_matrix : scipy.sparse.csr_array
        Constraint matrix (rows x columns).
    row_lower, row_upper : numpy.ndarray
        Row bounds (``-inf`` / ``inf`` for none).
    cost : numpy.ndarray
        Objective coefficients.
    col_lower, col_upper : numpy.ndarray
        Column bounds.
    integrality : numpy.ndarray
        1 for integer columns, 0 for continuous ones.
    start : numpy.ndarray or None, optional
        A feasible solution to start from.
    time_limit_s : float, default 60
        Time limit in seconds.
    mip_gap : float, default 0.01
        Relative MIP gap at which HiGHS stops.

    Returns
    -------
    HighsResult
        The best solution found and HiGHS's status.
    """
    import highspy

    a = csr_array(a_matrix)
    a.sort_indices()
    for presolve in ("choose", "off"):
        h = _model(
            highspy,
            a,
            row_lower=row_lower,
            row_upper=row_upper,
            cost=cost,
            col_lower=col_lower,
            col_upper=col_upper,
            integrality=integrality,
        )
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit_s))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("presolve", presolve)
        if start is not None:
            h.setSolution(len(start), np.arange(len(start), dtype=np.int32), np.asarray(start, dtype=np.float64))
        h.run()
        result = _result(highspy, h)
        if result.x is None or _consistent(result, a, row_lower, row_upper, cost):
            return result
    # HiGHS 1.16 with a start solution and presolve can return the start with a wrong objective
    # (seen on tiny models that presolve empties); the run without presolve is checked as well
    return result  # pragma: no cover - both runs inconsistent


def _consistent(
    result: HighsResult, a: csr_array, row_lower: np.ndarray, row_upper: np.ndarray, cost: np.ndarray
) -> bool:
    """The solution meets its rows and its objective is the one HiGHS reports (within tolerances)."""
    assert result.x is not None
    rows = a @ result.x
    scale = 1e-6 * (1.0 + np.abs(rows))
    fits = bool(((rows >= row_lower - scale) & (rows <= row_upper + scale)).all())
    obj = float(np.asarray(cost) @ result.x)
    return fits and abs(obj - result.objective) <= 1e-6 * max(1.0, abs(obj))


def _model(highspy, a, *, row_lower, row_upper, cost, col_lower, col_upper, integrality):  # type: ignore[no-untyped-def]
    """A ``highspy.Highs`` holding the model (rowwise matrix, infinite bounds as HiGHS's)."""
    inf = highspy.kHighsInf
    h = _quiet(highspy)
    h.setOptionValue("output_flag", False)

    def bound(v: np.ndarray) -> np.ndarray:
        return np.nan_to_num(np.asarray(v, dtype=np.float64), neginf=-inf, posinf=inf)

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_, lp.col_upper_ = bound(col_lower), bound(col_upper)
    lp.row_lower_, lp.row_upper_ = bound(row_lower), bound(row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    kinds = [highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger]
    lp.integrality_ = [kinds[int(i)] for i in np.asarray(integrality) > 0.5]
    h.passModel(lp)
    return h


def _quiet(highspy):  # type: ignore[no-untyped-def]
    """A ``highspy.Highs``; its C++ constructor prints a banner to file descriptor 1, sent to devnull here."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w", encoding="utf-8") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _result(highspy, h) -> HighsResult:  # type: ignore[no-untyped-def]
    """The best solution and status of a run."""
    status = h.getModelStatus()
    message = h.modelStatusToString(status)
    info = h.getInfo()
    has = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has else None
    gap = float(info.mip_gap) if has and np.isfinite(info.mip_gap) else None
    return HighsResult(
        x=x,
        optimal=status == highspy.HighsModelStatus.kOptimal,
        infeasible=status == highspy.HighsModelStatus.kInfeasible,
        gap=gap,
        objective=float(info.objective_function_value) if has else float("nan"),
        message=message,
    )
