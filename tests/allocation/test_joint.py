"""The joint housing + facility MILP: hand answers, brute force, the land budget, the study wiring."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import geopandas as gpd

import landplan
from conftest import CRS, pt
from landplan.allocation import AllocationProblem
from landplan.allocation.joint import JointKind, TradeUnionSites, joint_objective, solve_joint
from landplan.allocation.joint_study import JointRun, facility_land_m2, nearest_arcs
from landplan.errors import InputError


def two_parcels(*, budget_m2=None, min_reserve_m2=0.0):
    """P0 (1 ha, 1,000 units, 100 m from Z0) and P1 (1 ha, far from Z0: no housing pair)."""
    return AllocationProblem.from_arrays(
        capacity=np.array([1000.0, 1000.0]),
        area_m2=np.array([10_000.0, 10_000.0]),
        score=np.ones(2),
        demand=np.array([1000.0]),
        dist=np.array([[100.0], [5_000.0]]),
        max_commute_m=1_000,
        parcel_ids=pd.Index(["P0", "P1"], name="parcel_id"),
        zone_ids=pd.Index(["Z0"], name="zone_id"),
        unit="area",
        min_reserve_m2=min_reserve_m2,
        land_budget_m2=budget_m2,
    )


# kindergarten: 3 persons x 50 / 1,000 = 0.15 places per unit, 12 m2 per place; one facility with 20 free places
KG = JointKind(
    "kindergarten",
    True,
    12.0,
    300.0,
    places_per_unit=0.15,
    arc_site=np.array([0, 0]),
    arc_host=np.array([0, 1]),
    arc_dist=np.array([0.0, 50.0]),
    exist_site=np.array([0]),
    exist_fac=np.array([0]),
    free=np.array([20.0]),
)


def test_shortfall_goes_on_the_neighbour_when_the_site_is_full():
    # 1,000 units fill P0; 150 places needed, 20 free -> 130 places x 12 m2 = 1,560 m2 on P1
    sol = solve_joint(two_parcels(), [KG], mip_gap=0.0)
    v = sol.values["kindergarten"]
    assert sol.x.sum() == pytest.approx(1000)
    assert v["e"].sum() == pytest.approx(20) and v["n"].tolist() == pytest.approx([0.0, 130.0])
    assert v["v"].sum() == pytest.approx(0)
    assert facility_land_m2(JointRun(two_parcels(), [KG], sol)).tolist() == pytest.approx([0.0, 1560.0])


def test_a_binding_budget_trades_housing_for_kindergarten_land():
    # 1.1 ha for both: each unit takes 10 m2 of housing and 0.15 x 12 = 1.8 m2 of kindergarten (after the 20
    # free places): 10 x + 1.8 x - 240 <= 11,000 -> x = 11,240 / 11.8 = 952.54 units, every place served.
    # (Serving a unit without its place saves 1.8 m2 but costs 0.15 x 12 = 1.8 in penalty: 0.815 per m2 of
    # land against 0.843 per m2 with the place.)  The second stage would keep 1,000 units and displace 156.
    sol = solve_joint(two_parcels(budget_m2=11_000.0), [KG], mip_gap=0.0)
    v = sol.values["kindergarten"]
    assert sol.x.sum() == pytest.approx(11_240 / 11.8, rel=1e-6)
    assert v["v"].sum() == pytest.approx(0, abs=1e-6)
    assert sol.r.sum() + 12 * v["n"].sum() == pytest.approx(11_000, rel=1e-9)


def test_a_site_kind_is_built_once_and_shared():
    # two housing parcels next to each other, a market (1,500 m2) may go on either: one is built, both served
    problem = AllocationProblem.from_arrays(
        capacity=np.array([100.0, 100.0]),
        area_m2=np.array([10_000.0, 10_000.0]),
        score=np.ones(2),
        demand=np.array([150.0]),
        dist=np.array([[100.0], [200.0]]),
        max_commute_m=1_000,
        unit="area",
    )
    market = JointKind(  # one cell holding both parcels, both may host
        "market",
        False,
        1_500.0,
        1_000.0,
        arc_site=np.array([0, 0]),
        arc_host=np.array([0, 1]),
        arc_dist=np.zeros(2),
        cell=np.array([0, 0]),
    )
    sol = solve_joint(problem, [market], mip_gap=0.0)
    assert sol.values["market"]["z"].sum() == 1 and sol.values["market"]["w"].sum() == pytest.approx(0)
    covered = JointKind(**{**market.__dict__, "covered": np.array([True, True])})
    sol = solve_joint(problem, [covered], mip_gap=0.0)
    assert sol.values["market"]["z"].sum() == 0  # an existing market within reach: nothing to build


def test_nearest_arcs_keep_the_site_and_its_nearest_hosts():
    geoms = np.asarray([pt(0, 0).buffer(10), pt(100, 0).buffer(10), pt(200, 0).buffer(10), pt(900, 0).buffer(10)])
    site, host, dist = nearest_arcs(np.array([1]), geoms, radius_m=300, hosts_per_site=2)
    assert site.tolist() == [1, 1] and host.tolist() == [1, 0] and dist.tolist() == pytest.approx([0, 80])
    site, host, _ = nearest_arcs(np.array([0, 3]), geoms, radius_m=300, hosts_per_site=5)
    assert list(zip(site, host, strict=True)) == [(0, 0), (0, 1), (0, 2), (3, 3)]


# ------------------------------------------------------------------ brute force


@st.composite
def joint_instances(draw):
    npar, nz = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    area = np.array([draw(st.sampled_from([2_000.0, 5_000.0, 10_000.0])) for _ in range(npar)])
    cap = area * np.array([draw(st.sampled_from([0.01, 0.05])) for _ in range(npar)])
    dist = np.array([[draw(st.sampled_from([100.0, 800.0, 2_000.0])) for _ in range(nz)] for _ in range(npar)])
    demand = np.array([draw(st.integers(0, 400)) for _ in range(nz)], dtype=float)
    budget = draw(st.sampled_from([None, 3_000.0, 8_000.0]))
    problem = AllocationProblem.from_arrays(
        capacity=cap,
        area_m2=area,
        score=np.array([draw(st.sampled_from([0.2, 0.9])) for _ in range(npar)]),
        demand=demand,
        dist=dist,
        max_commute_m=1_000,
        unit="area",
        min_reserve_m2=draw(st.sampled_from([0.0, 1_000.0])),
        land_budget_m2=budget,
    )
    arcs = [(s, h) for s in range(npar) for h in range(npar) if s == h or draw(st.booleans())]
    a_site, a_host = np.array([a for a, _ in arcs]), np.array([b for _, b in arcs])
    a_dist = np.where(a_site == a_host, 0.0, 100.0)
    free = np.array([draw(st.sampled_from([0.0, 10.0, 40.0]))])
    near = [s for s in range(npar) if draw(st.booleans())]
    kg = JointKind(
        "kindergarten",
        True,
        12.0,
        300.0,
        places_per_unit=0.15,
        arc_site=a_site,
        arc_host=a_host,
        arc_dist=a_dist,
        exist_site=np.array(near, dtype=int),
        exist_fac=np.zeros(len(near), dtype=int),
        free=free,
    )
    covered = np.array([draw(st.booleans()) for _ in range(npar)])
    cell = np.array([draw(st.integers(0, 1)) for _ in range(npar)])
    cell = np.unique(cell, return_inverse=True)[1].ravel()  # cells 0..n-1
    hosts = np.array([q for q in range(npar) if draw(st.booleans())], dtype=int)
    market = JointKind(
        "market",
        False,
        draw(st.sampled_from([500.0, 1_500.0])),
        1_000.0,
        arc_site=cell[hosts],
        arc_host=hosts,
        arc_dist=np.zeros(len(hosts)),
        covered=covered,
        cell=cell,
    )
    tu = None
    if draw(st.booleans()):  # zone 0 gets a trade-union institution on one of its pairs
        pairs = np.flatnonzero(problem.pair_zone == 0)
        tu = TradeUnionSites(zones=np.array([0]), site_m2=draw(st.sampled_from([1_000.0, 4_000.0])), pairs=pairs)
    return problem, [kg, market], tu


def _offsets(problem, kinds):
    """Column offsets of the brute force's LP: a (ha), x, u, e, n, v, w."""
    kg, market = kinds
    k, nz, npar = len(problem.pair_parcel), len(problem.demand), len(problem.parcel_ids)
    nw = int(market.cell.max()) + 1  # one unserved column per cell
    return np.concatenate([[0], np.cumsum([k, k, nz, len(kg.exist_site), len(kg.arc_site), npar, nw])])


def _fixed_land(problem, market, z, *, tu, t, penalty_m2):
    """Land per parcel and cost of the enumerated sites (market z, institution t)."""
    fac_land = np.zeros(len(problem.parcel_ids))
    for h, zh in zip(market.arc_host, z, strict=True):
        fac_land[h] += zh * market.land_m2
    fixed = (z * problem.land_cost_per_m2() * market.land_m2).sum()
    if tu is not None:  # the institution on the chosen pair's parcel, or the penalty
        for j, tj in zip(tu.pairs, t, strict=True):
            fac_land[problem.pair_parcel[j]] += tj * tu.site_m2
            grow = 1 + problem.pair_dist[j] / problem.max_commute_m
            fixed += tj * problem.land_cost_per_m2() * tu.site_m2 * grow
        fixed += (1 - t.sum()) * penalty_m2 * tu.site_m2
    return fac_land, fixed


def _rest_rows(problem, kinds, y, z, fac_land):
    """Inequality rows of the LP left once y and the sites are fixed (written out one by one)."""
    kg, market = kinds
    off = _offsets(problem, kinds)
    k, npar, nv = len(problem.pair_parcel), len(problem.parcel_ids), off[-1]
    p, ne, na = problem.pair_parcel, len(kg.exist_site), len(kg.arc_site)
    rho, area = problem.density() * 1e4, problem.area_m2 / 1e4
    a_ub, b_ub = [], []

    def row(entries, bound):
        r = np.zeros(nv)
        for col, val in entries:
            r[col] += val
        a_ub.append(r)
        b_ub.append(bound)

    for j in range(k):
        row([(off[1] + j, 1.0), (off[0] + j, -rho[p[j]])], 0.0)  # x <= rho a
    for m in range(npar):  # housing + facility land <= area
        ent = [(off[0] + j, 1.0) for j in range(k) if p[j] == m]
        ent += [(off[4] + i, kg.land_m2 / 1e4) for i in range(na) if kg.arc_host[i] == m]
        row(ent, area[m] - fac_land[m] / 1e4)
    if problem.land_budget_m2 is not None:
        ent = [(off[0] + j, 1.0) for j in range(k)] + [(off[4] + i, kg.land_m2 / 1e4) for i in range(na)]
        row(ent, problem.land_budget_m2 / 1e4 - fac_land.sum() / 1e4)
    for s in range(npar):  # shortfall: e + n + v >= delta x
        ent = [(off[3] + i, -1.0) for i in range(ne) if kg.exist_site[i] == s]
        ent += [(off[4] + i, -1.0) for i in range(na) if kg.arc_site[i] == s]
        ent += [(off[5] + s, -1.0)] + [(off[1] + j, kg.places_per_unit) for j in range(k) if p[j] == s]
        row(ent, 0.0)
    row([(off[3] + i, 1.0) for i in range(ne)], float(kg.free[0]))  # one existing facility
    for j in np.flatnonzero(~market.covered[p]):  # sites of the pair's cell + unserved of the cell >= y_j
        c = market.cell[p[j]]
        row([(off[6] + c, -1.0)], z[market.arc_site == c].sum() - y[j])
    return np.array(a_ub), b_ub


def brute_force_joint(problem, kinds, tu=None, penalty_m2=1.0):
    """Enumerate every pair reservation y, market site z and institution t; the rest is an LP."""
    kg, market = kinds
    off = _offsets(problem, kinds)
    k, nz, nv = len(problem.pair_parcel), len(problem.demand), off[-1]
    p = problem.pair_parcel
    c = np.zeros(nv)
    c[off[0] : off[1]] = problem.land_cost_per_m2() * 1e4
    c[off[1] : off[2]] = problem.unit_cost()
    c[off[2] : off[3]] = problem.unmet_penalty
    c[off[4] : off[5]] = 1e-3 * (1 + kg.arc_dist / kg.radius_m)  # PLACE_COST per new place
    c[off[5] : off[6]] = penalty_m2 * kg.land_m2
    c[off[6] : off[7]] = penalty_m2 * market.land_m2
    a_eq = np.zeros((nz, nv))
    a_eq[problem.pair_zone, off[1] + np.arange(k)] = 1.0
    a_eq[np.arange(nz), off[2] + np.arange(nz)] = 1.0
    area, piece = problem.area_m2 / 1e4, problem.min_piece_m2() / 1e4
    best = np.inf
    tu_pairs = tu.pairs if tu is not None else np.zeros(0, dtype=int)
    for ys, zs, ts in itertools.product(
        itertools.product((0.0, 1.0), repeat=k),
        itertools.product((0.0, 1.0), repeat=len(market.arc_host)),
        itertools.product((0.0, 1.0), repeat=len(tu_pairs)),
    ):
        y, z, t = np.array(ys), np.array(zs), np.array(ts)
        if t.sum() > 1:
            continue
        fac_land, fixed = _fixed_land(problem, market, z, tu=tu, t=t, penalty_m2=penalty_m2)
        a_ub, b_ub = _rest_rows(problem, kinds, y, z, fac_land)
        bounds = [(piece[p[j]] * y[j], area[p[j]] * y[j]) for j in range(k)]
        bounds += [(0, None)] * (off[6] - k) + [(0, 1)] * (off[7] - off[6])
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=problem.demand, bounds=bounds)
        if res.status == 0:
            best = min(best, res.fun + fixed)
    return best


@settings(max_examples=25, deadline=None)
@given(joint_instances())
def test_joint_milp_matches_brute_force(instance):
    problem, kinds, tu = instance
    expected = brute_force_joint(problem, kinds, tu)
    sol = solve_joint(problem, kinds, trade_union=tu, mip_gap=0.0)
    assert sol.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert joint_objective(problem, kinds, sol, trade_union=tu) == pytest.approx(sol.objective, rel=1e-6, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(joint_instances())
def test_land_budget_and_parcel_areas_are_never_exceeded(instance):
    problem, kinds, tu = instance
    sol = solve_joint(problem, kinds, trade_union=tu, mip_gap=0.0)
    facility = facility_land_m2(JointRun(problem, kinds, sol, tu))
    housing = np.bincount(problem.pair_parcel, weights=sol.r, minlength=len(problem.parcel_ids))
    assert (housing + facility <= problem.area_m2 + 1e-3).all()
    if problem.land_budget_m2 is not None:
        assert housing.sum() + facility.sum() <= problem.land_budget_m2 + 1e-3
    # every new place serves a site's units; places never exceed what the units need
    kg = sol.values["kindergarten"]
    units = np.bincount(problem.pair_parcel, weights=sol.x, minlength=len(problem.parcel_ids))
    served = np.bincount(kinds[0].arc_site, weights=kg["n"], minlength=len(units))
    served += np.bincount(kinds[0].exist_site, weights=kg["e"], minlength=len(units)) + kg["v"]
    np.testing.assert_allclose(served, units * 0.15, atol=1e-6)


# ------------------------------------------------------------------ on a study


@pytest.fixture
def joint_scenario(alloc_scenario):
    """The allocation scenario (3 persons per unit) with one kindergarten in P4 (100 places, 80 taken), joint."""
    d = alloc_scenario.parent
    kg = gpd.GeoDataFrame(
        {"kg_id": ["K1"], "kind": ["kindergarten"], "places": [100], "taken": [80]}, geometry=[pt(150, 150)], crs=CRS
    )
    kg.to_file(d / "kg.gpkg", engine="pyogrio")
    text = alloc_scenario.read_text().replace("persons_per_unit = 1.0", "persons_per_unit = 3.0")
    text = text.replace("[demand]", '[layers.kg]\npath = "kg.gpkg"\nid_field = "kg_id"\n\n[demand]')
    text += (
        '\n[allocation.facilities]\nmethod = "joint"\nlayer = "kg"\ncapacity_field = "places"\n'
        'load_field = "taken"\nkinds = ["kindergarten", "market"]\nworkers_threshold = 500\nsite_m2 = 1000\n'
    )
    alloc_scenario.write_text(text)
    return alloc_scenario


def test_joint_scenario_end_to_end(joint_scenario, tmp_path):
    out = tmp_path / "programme.csv"
    result = landplan.produce(joint_scenario, {"facility_programme": out})
    a = result.allocation
    plan = a.facilities
    housing = sorted(a.parcels.index[a.parcels["units"] > 0].astype(str))
    kg = plan[plan["kind"] == "kindergarten"].set_index("site")
    assert sorted(kg.index) == housing
    # 3 persons x 50 / 1,000 = 0.15 places per unit; the 20 free places of K1 reach every site
    units = a.parcels.groupby(level=0)["units"].sum()
    assert (kg["needed"] == np.ceil(units.reindex(kg.index) * 0.15 - 1e-6)).all()
    assert kg["absorbed"].sum() == pytest.approx(20, abs=len(kg))
    assert (plan["to_build"] == plan["needed"] - plan["absorbed"]).all()
    market = plan[plan["kind"] == "market"]
    assert (market["to_build"].sum(), market["land_m2"].sum()) == (1, 1500)  # one market serves all (1 km)
    assert (plan["kind"] == "trade_union_institution").sum() == 1
    assert a.method == "milp (joint)" and (plan["placement"] != "unplaced").all()
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert {"unserved", "hosts"} <= set(written.columns)
    again = landplan.compute(joint_scenario, allocate=True).allocation.facilities
    pd.testing.assert_frame_equal(plan, again)


@pytest.mark.parametrize(
    ("extra", "match"),
    [('unit = "whole"\n', 'unit = "area"'), ('solver = "greedy"\n', 'solver = "milp"')],
)
def test_joint_settings_it_cannot_honour_are_input_errors(joint_scenario, extra, match):
    text = joint_scenario.read_text().replace("[allocation]\n", "[allocation]\n" + extra)
    joint_scenario.write_text(text)
    with pytest.raises(InputError, match=match):
        landplan.compute(joint_scenario, allocate=True)


def test_a_start_is_used_only_when_it_meets_every_row_and_bound():
    from scipy.sparse import coo_array

    from landplan.allocation.joint import _fits

    a = coo_array(np.array([[1.0, 1.0], [1.0, -1.0]]))  # x0 + x1 <= 3, x0 - x1 >= 0
    bounds = (np.array([-np.inf, 0.0]), np.array([3.0, np.inf]), np.zeros(2), np.array([2.0, 2.0]))
    assert _fits(a, bounds, np.array([2.0, 1.0]))
    assert not _fits(a, bounds, np.array([2.0, 2.0]))  # row 1: 4 > 3
    assert not _fits(a, bounds, np.array([0.0, 1.0]))  # row 2: -1 < 0
    assert not _fits(a, bounds, np.array([2.5, 0.0]))  # column bound 2
