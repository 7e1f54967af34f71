"""Area-based allocation: reserve only the land a zone needs, against hand answers and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from landplan.allocation import AllocationInfeasibleError, AllocationProblem


def area_problem(capacity, area_m2, demand, dist, *, min_reserve_m2=5_000.0, score=None, **options):
    capacity = np.asarray(capacity, dtype=float)
    return AllocationProblem.from_arrays(
        capacity=capacity,
        area_m2=np.asarray(area_m2, dtype=float),
        score=np.ones(len(capacity)) if score is None else np.asarray(score, dtype=float),
        demand=np.asarray(demand, dtype=float),
        dist=np.asarray(dist, dtype=float),
        max_commute_m=10_000,
        parcel_ids=pd.Index([f"P{i}" for i in range(len(capacity))], name="parcel_id"),
        zone_ids=pd.Index([f"Z{j}" for j in range(len(demand))], name="zone_id"),
        unit="area",
        min_reserve_m2=min_reserve_m2,
        **options,
    )


def test_a_large_parcel_reserves_only_what_the_zone_needs():
    # 10 ha at 100 units/ha; the zone needs 300 units -> 3 ha reserved, 7 ha stay free
    problem = area_problem([1_000.0], [100_000.0], [300.0], [[500.0]])
    r = problem.solve(mip_gap=0.0)
    piece = r.parcels.loc["P0"]
    assert piece["units"] == pytest.approx(300) and piece["reserved_ha"] == pytest.approx(3.0)
    assert piece["area_ha"] == pytest.approx(10.0) and piece["capacity_units"] == pytest.approx(300)
    z = r.zones.loc["Z0"]
    assert z["land_ha"] == pytest.approx(3.0) and z["land_used_ha"] == pytest.approx(3.0)
    assert z["over_reservation"] == pytest.approx(1.0) and z["unmet_units"] == pytest.approx(0)


def test_whole_mode_reserves_the_whole_parcel():
    problem = area_problem([1_000.0], [100_000.0], [300.0], [[500.0]], min_reserve_m2=0.0)
    r = AllocationProblem(**{**vars(problem), "unit": "whole"}).solve(mip_gap=0.0)
    z = r.zones.loc["Z0"]
    assert z["land_ha"] == pytest.approx(10.0) and z["land_used_ha"] == pytest.approx(3.0)
    assert z["over_reservation"] == pytest.approx(10 / 3)


def test_the_minimum_piece_bounds_over_reservation():
    # 20 units need 0.2 ha, but the smallest piece is 0.5 ha: 0.5 ha reserved (ratio 2.5)
    problem = area_problem([1_000.0], [100_000.0], [20.0], [[500.0]])
    r = problem.solve(mip_gap=0.0)
    assert r.parcels.loc["P0", "reserved_ha"] == pytest.approx(0.5)
    assert r.zones.loc["Z0", "over_reservation"] == pytest.approx(2.5)


def test_one_parcel_serves_two_zones():
    # 10 ha, 1,000 units; zones need 400 and 500 units -> two pieces of 4 and 5 ha, 1 ha left
    problem = area_problem([1_000.0], [100_000.0], [400.0, 500.0], [[500.0, 900.0]])
    r = problem.solve(mip_gap=0.0)
    assert list(r.parcels.index) == ["P0", "P0"]
    assert r.parcels.set_index("zone")["reserved_ha"].to_dict() == pytest.approx({"Z0": 4.0, "Z1": 5.0})
    assert r.zones["unmet_units"].sum() == pytest.approx(0)


def test_a_parcel_smaller_than_the_minimum_piece_goes_whole():
    # 0.3 ha parcel at 100 units/ha (30 units); the zone needs 10 -> the whole 0.3 ha is reserved
    problem = area_problem([30.0], [3_000.0], [10.0], [[100.0]])
    r = problem.solve(mip_gap=0.0)
    assert r.parcels.loc["P0", "reserved_ha"] == pytest.approx(0.3)
    greedy = problem.solve(method="greedy")
    assert greedy.parcels.loc["P0", "reserved_ha"] == pytest.approx(0.3)


def brute_force_area(problem: AllocationProblem) -> float:
    """Enumerate every set of reserved pairs; for each, the rest is a small LP (areas, units, unmet).

    Areas are in hectares in the LP: the land tie-break per m² is below the LP's cost tolerance.
    """
    k, nz, npar = len(problem.pair_parcel), len(problem.demand), len(problem.parcel_ids)
    p, z = problem.pair_parcel, problem.pair_zone
    cost, piece, rho = problem.unit_cost(), problem.min_piece_m2() / 1e4, problem.density() * 1e4
    land_cost = problem.land_cost_per_m2() * 1e4
    area = problem.area_m2 / 1e4
    best = np.inf
    for ys in itertools.product((0, 1), repeat=k):
        y = np.array(ys, dtype=float)
        if any(y[p == m].sum() < 1 for m in problem.must_use):
            continue
        if problem.max_sites is not None and y.sum() > problem.max_sites:
            continue
        # variables: a (m2) per pair, x per pair, u per zone
        c = np.concatenate([np.full(k, land_cost), cost, np.full(nz, problem.unmet_penalty)])
        a_ub, b_ub = [], []
        for j in range(k):
            row = np.zeros(2 * k + nz)
            row[k + j], row[j] = 1.0, -rho[p[j]]  # x <= rho a
            a_ub.append(row)
            b_ub.append(0.0)
        for m in range(npar):
            row = np.zeros(2 * k + nz)
            row[:k] = p == m  # sum a <= area
            a_ub.append(row)
            b_ub.append(area[m])
        if problem.land_budget_m2 is not None:
            row = np.zeros(2 * k + nz)
            row[:k] = 1.0
            a_ub.append(row)
            b_ub.append(problem.land_budget_m2 / 1e4)
        a_eq = np.zeros((nz, 2 * k + nz))
        for j in range(k):
            a_eq[z[j], k + j] = 1.0
        a_eq[np.arange(nz), 2 * k + np.arange(nz)] = 1.0
        u_cap = [None] * nz if problem.max_unmet_share is None else list(problem.max_unmet_share * problem.demand)
        bounds = (
            [(piece[p[j]] * y[j], area[p[j]] * y[j]) for j in range(k)] + [(0, None)] * k + [(0, cap) for cap in u_cap]
        )
        res = linprog(c, A_ub=np.array(a_ub), b_ub=b_ub, A_eq=a_eq, b_eq=problem.demand, bounds=bounds)
        if res.status == 0:
            best = min(best, res.fun)
    return best


def random_area_problem(seed: int, **options) -> AllocationProblem:
    rng = np.random.default_rng(seed)
    n, nz = 3, 2
    area = rng.uniform(5_000, 40_000, n)
    return area_problem(
        area * rng.uniform(0.005, 0.015, n),
        area,
        rng.integers(20, 400, nz).astype(float),
        rng.uniform(0, 12_000, (n, nz)),
        min_reserve_m2=float(rng.uniform(2_000, 10_000)),
        score=rng.uniform(0, 1, n),
        **options,
    )


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(
    "options",
    [{}, {"max_sites": 2}, {"land_budget_m2": 20_000.0}, {"must_use": np.array([0])}, {"max_unmet_share": 0.7}],
    ids=["plain", "max_sites", "land_budget", "must_use", "fairness"],
)
def test_area_milp_matches_brute_force(seed, options):
    problem = random_area_problem(seed, **options)
    expected = brute_force_area(problem)
    try:
        problem.check()
    except AllocationInfeasibleError:
        assert not np.isfinite(expected)
        return
    if not np.isfinite(expected):
        with pytest.raises(AllocationInfeasibleError):
            problem.solve(method="milp", mip_gap=0.0)
        return
    result = problem.solve(method="milp", mip_gap=0.0)
    assert result.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)
    greedy = problem.solve(method="greedy")
    if options.get("max_unmet_share") is None and options.get("must_use") is None:
        assert greedy.objective >= result.objective - 1e-6


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["milp", "greedy"]), st.booleans())
def test_area_invariants(seed, method, budget):
    rng = np.random.default_rng(seed)
    n, nz = 10, 3
    area = rng.uniform(2_000, 60_000, n)
    min_piece = float(rng.uniform(0, 10_000))
    problem = area_problem(
        area * 0.01,
        area,
        rng.integers(0, 600, nz).astype(float),
        rng.uniform(0, 12_000, (n, nz)),
        min_reserve_m2=min_piece,
        land_budget_m2=float(area.sum() / 3) if budget else None,
    )
    r = problem.solve(method=method)
    p, zones = r.parcels, r.zones
    reserved = p.groupby(level=0)["reserved_ha"].sum()
    assert (reserved <= p.groupby(level=0)["area_ha"].first() + 1e-6).all()  # never more than the parcel
    assert (p["units"] <= p["capacity_units"] + 1e-6).all()  # units fit on the reserved land
    piece = np.minimum(min_piece, p["area_ha"] * 10_000) / 10_000
    assert (p["reserved_ha"] >= piece - 1e-6).all()  # every piece at least the minimum
    assert not p.reset_index().duplicated(["parcel_id", "zone"]).any()
    np.testing.assert_allclose(zones["allocated_units"] + zones["unmet_units"], zones["demand_units"], atol=1e-6)
    if budget:
        assert p["reserved_ha"].sum() * 10_000 <= area.sum() / 3 + 1e-6
    if method == "milp":
        # reserved land is at most the need plus one minimum piece per reserved piece, and pieces
        # below the minimum exist only where a zone's demand is small
        slack = zones["land_ha"] - zones["land_used_ha"]
        assert (slack <= zones["sites"] * min_piece / 10_000 + 1e-6).all()
