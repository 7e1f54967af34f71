"""The MILP (HiGHS through ``scipy.optimize.milp``) and greedy solvers of an allocation problem.

Every solver returns ``(y, r, x, status, gap)`` per parcel-zone pair: ``y`` 1 where the pair is
reserved, ``r`` the reserved land in m² (the whole parcel in whole-unit mode), ``x`` the dwelling
units placed. Two models:

whole units (``unit = "whole"``)::

    minimise   sum_k x_k c_k + eps sum_k y_k area_p(k) / max_area + P sum_z u_z
    subject to x_k <= cap_p(k) y_k ;  sum_{k of p} y_k <= 1 ;  sum_{k of z} x_k + u_z = D_z

area (``unit = "area"``), with ``a_k`` the hectares of parcel ``p`` reserved for zone ``z``::

    minimise   sum_k x_k c_k + eps sum_k a_k / max_area + P sum_z u_z
    subject to x_k <= rho_p a_k                          (units fit on the reserved land)
               min_piece_p y_k <= a_k <= area_p y_k      (a piece is at least min_reserve_ha)
               sum_{k of p} a_k <= area_p                (a parcel may serve several zones)
               sum_{k of z} x_k + u_z = D_z

with the optional land budget (on reserved land), site limit (on reserved pieces), must-use
parcels (at least one piece) and fairness cap in both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from landplan._messages import N_
from landplan.allocation.instance import AllocationInfeasibleError
from landplan.errors import LandplanError
from landplan.model import ha

if TYPE_CHECKING:
    from landplan.allocation.instance import AllocationInstance

__all__ = ["Solution", "solve_greedy", "solve_milp"]

#: (y, r, x, status, gap): per pair reserved (0/1), reserved m², units; solver status; MIP gap
Solution = tuple[np.ndarray, np.ndarray, np.ndarray, str, float | None]


def solve_milp(problem: AllocationInstance, *, time_limit_s: float = 60.0, mip_gap: float = 0.01) -> Solution:
    """Solve with HiGHS (whole-unit or area model, after ``problem.unit``).

    Parameters
    ----------
    problem : AllocationInstance
        The instance.
    time_limit_s : float, default 60
        HiGHS time limit in seconds (the best solution found is kept).
    mip_gap : float, default 0.01
        Relative MIP gap at which HiGHS stops.

    Returns
    -------
    Solution
        ``(y, r, x, status, gap)``.

    Raises
    ------
    AllocationInfeasibleError
        If HiGHS proves the settings infeasible.
    LandplanError
        If no feasible solution was found within the time limit.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    k = len(problem.pair_parcel)
    if k == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0), "no candidate pairs", 0.0
    build = _area_model if problem.unit == "area" else _whole_model
    a_matrix, lb, ub, c, bounds_lo, bounds_hi = build(problem)
    integrality = np.concatenate([np.ones(k), np.zeros(len(c) - k)])
    res = milp(
        c,
        constraints=LinearConstraint(a_matrix, lb, ub),
        integrality=integrality,
        bounds=Bounds(bounds_lo, bounds_hi),
        options={"time_limit": time_limit_s, "mip_rel_gap": mip_gap, "disp": False},
    )
    if res.status == 2:
        msg = (
            "allocation is infeasible: the land budget, max_sites, must_use and max_unmet_share settings "
            "cannot all hold; relax max_unmet_share first, then land_budget_ha or max_sites"
        )
        raise AllocationInfeasibleError(msg)
    if res.x is None:
        msg = f'allocation: HiGHS found no solution ({res.message}); raise time_limit_s or use solver = "greedy"'
        raise LandplanError(msg)
    y = np.round(res.x[:k])
    if problem.unit == "area":
        r = np.where(y > 0, res.x[k : 2 * k] * 10_000.0, 0.0)
        x = np.where(y > 0, res.x[2 * k : 3 * k], 0.0)
    else:
        r = y * problem.area_m2[problem.pair_parcel]
        x = np.where(y > 0, res.x[k : 2 * k], 0.0)
    status = N_("optimal") if res.status == 0 else N_("time limit (best found)")
    gap = getattr(res, "mip_gap", None)
    return y, r, x, status, None if gap is None else float(gap)


def _common_rows(
    problem: AllocationInstance, n_before_x: int, blocks: list, lb: list, ub: list, *, land: np.ndarray, y_col: int
) -> None:
    """Demand, land budget and site-limit rows (shared by both models); ``land`` is the budget row's coefficients."""
    from scipy.sparse import coo_array

    k, nz = len(problem.pair_parcel), len(problem.demand)
    rows = np.arange(k)
    n_vars = n_before_x + k + nz
    # demand: sum x + u = D
    zone_rows = np.concatenate([problem.pair_zone, np.arange(nz)])
    zone_cols = np.concatenate([n_before_x + rows, n_before_x + k + np.arange(nz)])
    blocks.append(coo_array((np.ones(k + nz), (zone_rows, zone_cols)), shape=(nz, n_vars)))
    lb.append(problem.demand)
    ub.append(problem.demand)
    if problem.land_budget_m2 is not None:
        blocks.append(coo_array(land[None, :]))
        lb.append(np.array([-np.inf]))
        ub.append(np.array([problem.land_budget_m2 if problem.unit == "whole" else ha(problem.land_budget_m2)]))
    if problem.max_sites is not None:
        blocks.append(coo_array((np.ones(k), (np.zeros(k, dtype=int), y_col + rows)), shape=(1, n_vars)))
        lb.append(np.array([-np.inf]))
        ub.append(np.array([float(problem.max_sites)]))


def _whole_model(problem: AllocationInstance) -> tuple:
    """Constraint matrix, bounds and costs of the whole-unit model (variables ``y, x, u``)."""
    from scipy.sparse import coo_array, vstack

    k, nz, npar = len(problem.pair_parcel), len(problem.demand), len(problem.parcel_ids)
    rows = np.arange(k)
    n_vars = 2 * k + nz
    # x_k - cap y_k <= 0
    cap_rows = np.concatenate([rows, rows])
    cap_cols = np.concatenate([rows, k + rows])
    cap_vals = np.concatenate([-problem.capacity[problem.pair_parcel], np.ones(k)])
    blocks = [coo_array((cap_vals, (cap_rows, cap_cols)), shape=(k, n_vars))]
    lb, ub = [np.full(k, -np.inf)], [np.zeros(k)]
    # one zone per parcel (and must-use parcels exactly one)
    blocks.append(coo_array((np.ones(k), (problem.pair_parcel, rows)), shape=(npar, n_vars)))
    low = np.zeros(npar)
    low[problem.must_use] = 1
    lb.append(low)
    ub.append(np.ones(npar))
    land = np.zeros(n_vars)
    land[:k] = problem.area_m2[problem.pair_parcel]
    _common_rows(problem, k, blocks, lb, ub, land=land, y_col=0)
    c = np.concatenate([problem.site_cost(), problem.unit_cost(), np.full(nz, problem.unmet_penalty)])
    hi = np.concatenate([np.ones(k), np.full(k, np.inf), _unmet_cap(problem)])
    return vstack(blocks).tocsr(), np.concatenate(lb), np.concatenate(ub), c, np.zeros(n_vars), hi


def _area_model(problem: AllocationInstance) -> tuple:
    """Constraint matrix, bounds and costs of the area model (variables ``y, a [ha], x, u``)."""
    from scipy.sparse import coo_array, vstack

    k, nz, npar = len(problem.pair_parcel), len(problem.demand), len(problem.parcel_ids)
    rows = np.arange(k)
    p = problem.pair_parcel
    n_vars = 3 * k + nz
    area_ha = ha(problem.area_m2)
    piece_ha = ha(problem.min_piece_m2())
    rho_ha = problem.density() * 10_000.0
    y, a, x = rows, k + rows, 2 * k + rows

    def pair_rows(cols_vals: list[tuple[np.ndarray, np.ndarray]]) -> coo_array:
        r = np.concatenate([rows for _ in cols_vals])
        cols = np.concatenate([c for c, _ in cols_vals])
        vals = np.concatenate([v for _, v in cols_vals])
        return coo_array((vals, (r, cols)), shape=(k, n_vars))

    blocks = [
        pair_rows([(x, np.ones(k)), (a, -rho_ha[p])]),  # x - rho a <= 0
        pair_rows([(a, np.ones(k)), (y, -area_ha[p])]),  # a - area y <= 0
        pair_rows([(a, np.ones(k)), (y, -piece_ha[p])]),  # a - piece y >= 0
    ]
    lb = [np.full(k, -np.inf), np.full(k, -np.inf), np.zeros(k)]
    ub = [np.zeros(k), np.zeros(k), np.full(k, np.inf)]
    blocks.append(coo_array((np.ones(k), (p, a)), shape=(npar, n_vars)))  # sum a <= area
    lb.append(np.full(npar, -np.inf))
    ub.append(area_ha)
    if len(problem.must_use):
        must_row = np.full(npar, -1)
        must_row[problem.must_use] = np.arange(len(problem.must_use))
        on = must_row[p] >= 0
        blocks.append(
            coo_array((np.ones(int(on.sum())), (must_row[p][on], y[on])), shape=(len(problem.must_use), n_vars))
        )
        lb.append(np.ones(len(problem.must_use)))
        ub.append(np.full(len(problem.must_use), np.inf))
    land = np.zeros(n_vars)
    land[a] = 1.0
    _common_rows(problem, 2 * k, blocks, lb, ub, land=land, y_col=0)
    c = np.concatenate([np.zeros(k), problem.land_cost_per_m2() * 10_000.0 * np.ones(k), problem.unit_cost()])
    c = np.concatenate([c, np.full(nz, problem.unmet_penalty)])
    hi = np.concatenate([np.ones(k), area_ha[p], np.full(k, np.inf), _unmet_cap(problem)])
    return vstack(blocks).tocsr(), np.concatenate(lb), np.concatenate(ub), c, np.zeros(n_vars), hi


def _unmet_cap(problem: AllocationInstance) -> np.ndarray:
    nz = len(problem.demand)
    return np.full(nz, np.inf) if problem.max_unmet_share is None else problem.max_unmet_share * problem.demand


def solve_greedy(problem: AllocationInstance) -> Solution:
    """Cheapest pairs first: reserve land for a zone while the zone still needs units.

    Must-use parcels are placed first (each with its cheapest zone). Respects capacity, the
    land budget and max_sites; in whole-unit mode a parcel serves one zone, in area mode a
    parcel's remaining land (in pieces of at least ``min_reserve_ha``) may serve further zones.
    The fairness cap is reported, not enforced.

    Parameters
    ----------
    problem : AllocationInstance
        The instance.

    Returns
    -------
    Solution
        ``(y, r, x, "heuristic", None)``.
    """
    k = len(problem.pair_parcel)
    y, r, x = np.zeros(k), np.zeros(k), np.zeros(k)
    remaining = problem.demand.astype("float64").copy()
    left = problem.area_m2.astype("float64").copy()
    used = np.zeros(len(problem.parcel_ids), dtype=bool)
    cost = problem.unit_cost()
    order = np.lexsort((problem.pair_zone, problem.pair_parcel, cost))
    must = np.isin(problem.pair_parcel, problem.must_use)
    order = np.concatenate([order[must[order]], order[~must[order]]])
    area_mode = problem.unit == "area"
    rho, piece = problem.density(), problem.min_piece_m2()
    land, sites = 0.0, 0
    budget = np.inf if problem.land_budget_m2 is None else problem.land_budget_m2
    for pair in order:  # sequential by nature: each choice changes the remaining demand and land
        p, z = problem.pair_parcel[pair], problem.pair_zone[pair]
        first_must = must[pair] and not used[p]
        if (remaining[z] <= 0 and not first_must) or (used[p] and not area_mode):
            continue
        if problem.max_sites is not None and sites >= problem.max_sites:
            break
        if area_mode:
            take = min(left[p], max(remaining[z] / rho[p], piece[p]), budget - land if not first_must else np.inf)
            if take < piece[p] - 1e-9 or take <= 0:
                continue
            units = min(rho[p] * take, max(remaining[z], 0.0))
        else:
            take = problem.area_m2[p]
            if land + take > budget and not must[pair]:
                continue
            units = min(problem.capacity[p], max(remaining[z], 0.0))
        y[pair], r[pair], x[pair] = 1.0, take, units
        remaining[z] -= units
        left[p] -= take
        used[p] = True
        land += take
        sites += 1
    return y, r, x, N_("heuristic"), None
