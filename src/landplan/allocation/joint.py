"""Housing and facility land in one MILP (``[allocation.facilities] method = "joint"``, issue 16).

The area model of :mod:`landplan.allocation.solvers` (variables ``y_k`` binary, ``a_k`` ha,
``x_k`` units per parcel-zone pair ``k``; ``u_z`` unmet units) gains, per facility kind ``f``:

kinds sized per place (kindergarten, schools), ``delta_f = persons_per_unit x places_per_1000 / 1000``::

    e_sj >= 0   places of existing facility j (within the radius of site s) taken by site s
    n_sq >= 0   new places for site s built on host parcel q (s itself or a nearby candidate)
    v_s  >= 0   places of site s left unserved (penalised)
    sum_j e_sj + sum_q n_sq + v_s  = delta_f sum_{k of s} x_k        (shortfall, linear in x)
    sum_s e_sj <= free_j                                              (existing capacity after load)

kinds needing one site (health station, market, cultural house, sports ground): the candidate
parcels are grouped into service cells (squares of side ``radius / sqrt 2`` over the parcel
centroids, so any parcel of a cell is within the radius of every other), each with a few
hosts (its largest parcels); for pairs whose parcel has no existing facility of the kind within
the radius::

    z_cq in {0, 1}  a site of min_site_m2 built on host q of cell c
    w_c in [0, 1]   cell c left without one (penalised)
    sum_{q of c(k)} z_cq + w_c >= y_k

(cells partition the parcels, so the relaxation of this cover stays tight: ``max_k y_k`` per
cell; a site cannot serve across a cell border, which the second stage's greedy cover can)

trade-union institutions, for each zone z with at least ``workers_threshold`` workers::

    t_k in {0, 1}   the institution of zone z(k) on parcel p(k) (k among z's nearest pairs with room)
    sum_{k of z} t_k + w_z = 1,  w_z in [0, 1] penalised

and the land is shared: per parcel ``sum_{k of p} a_k + sum_f m2_f sum_s n_sp + sum_g min_g z_pg
+ site_m2 sum_{k of p} t_k <= area_p`` and, with a budget, the same sum over all parcels ``<= land_budget_ha``. The
objective adds ``P_v m2_f v_s`` and ``P_v min_g w_k`` (``P_v`` = ``unserved_penalty_per_m2``)
a cost per new place (``PLACE_COST``, grown by ``1 + distance / radius`` for a host away from the
site, so free places come first and then the site's own land) and the land tie-break on sites.
The shortfall ``max(0, need - free)`` needs no
binaries: the flow variables take the free places first because they cost nothing, the rest is
built or penalised. Places are continuous in the MILP; the programme rounds them
(:mod:`landplan.allocation.joint_study`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from landplan.allocation.highs import solve_highs
from landplan.allocation.instance import AllocationInfeasibleError
from landplan.allocation.solvers import _area_model, solve_greedy, solve_milp
from landplan.errors import LandplanError

if TYPE_CHECKING:
    from scipy.sparse import coo_array

    from landplan.allocation.instance import AllocationInstance

__all__ = [
    "PLACE_COST",
    "JointKind",
    "JointSolution",
    "TradeUnionSites",
    "joint_objective",
    "new_place_cost",
    "solve_joint",
]

_HA = 1e-4  # hectares per square metre
TRADE_UNION = "trade_union_institution"
#: cost of one new place (far below a unit's 0..1 and any penalty, far above HiGHS's tolerances):
#: free places of existing facilities, which cost nothing, are always taken first
PLACE_COST = 1e-3


@dataclass(frozen=True)
class JointKind:
    """One facility kind of a joint instance: its sizing and the arcs its places or sites may use.

    Arc and site arrays index the instance's parcels (``parcel_ids``).
    """

    name: str
    per_place: bool  # sized per place (True) or one site of land_m2 (False)
    land_m2: float  # m² per place, or per site
    radius_m: float
    places_per_unit: float = 0.0  # per-place kinds: places per dwelling unit
    arc_site: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # housing parcel served
    arc_host: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # parcel holding the land
    arc_dist: np.ndarray = field(default_factory=lambda: np.zeros(0))  # metres
    exist_site: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # per-place: site of pair
    exist_fac: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # per-place: facility of pair
    free: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per existing facility, places
    covered: np.ndarray | None = None  # per-site kinds: per parcel, an existing facility within reach
    cell: np.ndarray | None = None  # per-site kinds: per parcel, its service cell (-1: none); arcs are (cell, host)


@dataclass(frozen=True)
class TradeUnionSites:
    """Trade-union institutions of a joint instance: one site of ``site_m2`` per large zone.

    ``pairs`` are the candidate parcel-zone pairs (a site on parcel ``pair_parcel[k]`` for zone
    ``pair_zone[k]``), each zone's nearest parcels with room for the site.
    """

    zones: np.ndarray  # zone indices of the zones that get an institution
    site_m2: float
    pairs: np.ndarray  # candidate pair indices (their zone is one of ``zones``)


@dataclass(frozen=True)
class JointSolution:
    """The housing solution ``(y, r, x)`` and, per kind, the facility variables."""

    y: np.ndarray
    r: np.ndarray  # m² per pair
    x: np.ndarray
    status: str
    gap: float | None
    values: dict[str, dict[str, np.ndarray]]  # kind -> e, n, v (per place) or z, w (per site)
    objective: float


def _uncovered_pairs(problem: AllocationInstance, kind: JointKind) -> np.ndarray:
    """Pairs whose parcel has no existing facility of a per-site kind within reach."""
    covered = np.zeros(len(problem.parcel_ids), dtype=bool) if kind.covered is None else kind.covered
    return np.flatnonzero(~covered[problem.pair_parcel])


def _grouped(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Order and group starts of ``keys`` (values 0..n-1): rows of group g are ``order[starts[g]:starts[g+1]]``."""
    order = np.argsort(keys, kind="stable")
    return order, np.searchsorted(keys[order], np.arange(n + 1))


@dataclass
class _Builder:
    """Columns, costs, bounds and rows of the facility part (appended to the area model)."""

    problem: AllocationInstance
    n_base: int  # columns of the area model
    penalty_m2: float
    cols: int = 0
    cost: list[np.ndarray] = field(default_factory=list)
    hi: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    land: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # (parcel, col, ha)
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    n_rows: int = 0
    slices: dict[str, dict[str, slice]] = field(default_factory=dict)
    v_sites: dict[str, np.ndarray] = field(default_factory=dict)  # per-place kinds: the parcels of the v columns

    def columns(self, n: int, *, cost: np.ndarray, hi: np.ndarray, integer: bool = False) -> np.ndarray:
        """Add ``n`` columns; return their absolute indices."""
        idx = self.n_base + self.cols + np.arange(n)
        self.cols += n
        self.cost.append(cost)
        self.hi.append(hi)
        self.integer.append(np.full(n, 1.0 if integer else 0.0))
        return idx

    def add_rows(self, r: np.ndarray, c: np.ndarray, v: np.ndarray, lo: np.ndarray, up: np.ndarray) -> None:
        """Add ``len(lo)`` rows given their entries (row numbers relative to these rows)."""
        self.rows.append((r + self.n_rows, c, v, lo, up))
        self.n_rows += len(lo)

    def per_place(self, kind: JointKind) -> None:
        """Existing-place, new-place and unserved columns; shortfall rows (sites with pairs) and capacity rows."""
        p = self.problem
        k = len(p.pair_parcel)
        sites = np.unique(p.pair_parcel)
        row_of = np.full(len(p.parcel_ids), -1)
        row_of[sites] = np.arange(len(sites))
        ns, ne, na = len(sites), len(kind.exist_site), len(kind.arc_site)
        e_row, n_row = row_of[kind.exist_site], row_of[kind.arc_site]  # -1: a site with no pair (column fixed at 0)
        tie = new_place_cost(kind)
        e = self.columns(ne, cost=np.zeros(ne), hi=np.where(e_row >= 0, np.inf, 0.0))
        n = self.columns(na, cost=tie, hi=np.where(n_row >= 0, np.inf, 0.0))
        v = self.columns(ns, cost=np.full(ns, self.penalty_m2 * kind.land_m2), hi=np.full(ns, np.inf))
        self.land.append((kind.arc_host, n, np.full(na, kind.land_m2 * _HA)))
        x_cols = 2 * k + np.arange(k)
        r = np.concatenate([e_row[e_row >= 0], n_row[n_row >= 0], np.arange(ns), row_of[p.pair_parcel]])
        c = np.concatenate([e[e_row >= 0], n[n_row >= 0], v, x_cols])
        vals = np.concatenate(
            [np.ones(int((e_row >= 0).sum()) + int((n_row >= 0).sum()) + ns), np.full(k, -kind.places_per_unit)]
        )
        self.add_rows(r, c, vals, np.zeros(ns), np.zeros(ns))  # equality: no place served twice
        nf = len(kind.free)
        self.add_rows(kind.exist_fac, e, np.ones(ne), np.full(nf, -np.inf), kind.free.astype(float))
        self.slices[kind.name] = {"e": _span(e), "n": _span(n), "v": _span(v)}
        self.v_sites[kind.name] = sites

    def per_site(self, kind: JointKind) -> None:
        """Site columns (binary) per cell host, unserved columns per cell, and one cover row per uncovered pair."""
        p = self.problem
        assert kind.cell is not None
        n_cells = int(kind.cell.max(initial=-1)) + 1
        pairs = _uncovered_pairs(p, kind)
        pairs = pairs[kind.cell[p.pair_parcel[pairs]] >= 0]
        na = len(kind.arc_host)
        tie = p.land_cost_per_m2() * kind.land_m2
        z = self.columns(na, cost=np.full(na, tie), hi=np.ones(na), integer=True)
        w = self.columns(n_cells, cost=np.full(n_cells, self.penalty_m2 * kind.land_m2), hi=np.ones(n_cells))
        self.land.append((kind.arc_host, z, np.full(na, kind.land_m2 * _HA)))
        # cover rows: sum of the sites of the pair's cell + unserved >= y_k
        order, starts = _grouped(kind.arc_site, n_cells)
        cell = kind.cell[p.pair_parcel[pairs]]
        count = starts[cell + 1] - starts[cell]
        row = np.repeat(np.arange(len(pairs)), count)
        first = np.repeat(starts[cell], count)
        offset = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
        r = np.concatenate([row, np.arange(len(pairs)), np.arange(len(pairs))])
        c = np.concatenate([z[order[first + offset]], w[cell], pairs])  # y_k are the first k columns
        vals = np.concatenate([np.ones(len(row) + len(pairs)), -np.ones(len(pairs))])
        self.add_rows(r, c, vals, np.zeros(len(pairs)), np.full(len(pairs), np.inf))
        self.slices[kind.name] = {"z": _span(z), "w": _span(w)}


def _trade_union_part(b: _Builder, tu: TradeUnionSites) -> None:
    """One binary per candidate pair, one unserved column per zone; each zone gets one site (or is penalised)."""
    p = b.problem
    nt, nzt = len(tu.pairs), len(tu.zones)
    dist = p.pair_dist[tu.pairs] / p.max_commute_m
    t = b.columns(nt, cost=p.land_cost_per_m2() * tu.site_m2 * (1.0 + dist), hi=np.ones(nt), integer=True)
    w = b.columns(nzt, cost=np.full(nzt, b.penalty_m2 * tu.site_m2), hi=np.ones(nzt))
    b.land.append((p.pair_parcel[tu.pairs], t, np.full(nt, tu.site_m2 * _HA)))
    row_of = np.full(len(p.demand), -1)
    row_of[tu.zones] = np.arange(nzt)
    r = np.concatenate([row_of[p.pair_zone[tu.pairs]], np.arange(nzt)])
    b.add_rows(r, np.concatenate([t, w]), np.ones(nt + nzt), np.ones(nzt), np.ones(nzt))
    b.slices[TRADE_UNION] = {"t": _span(t), "w": _span(w)}


def new_place_cost(kind: JointKind) -> np.ndarray:
    """Cost of one new place on each arc of a per-place kind: ``PLACE_COST x (1 + distance / radius)``.

    Parameters
    ----------
    kind : JointKind
        A kind sized per place.
    """
    return PLACE_COST * (1.0 + kind.arc_dist / kind.radius_m)


def _span(idx: np.ndarray) -> slice:
    return slice(int(idx[0]), int(idx[-1]) + 1) if len(idx) else slice(0, 0)


def _joint_model(
    problem: AllocationInstance, kinds: list[JointKind], *, penalty_m2: float, trade_union: TradeUnionSites | None
) -> tuple:
    """The area model (without its budget row) plus the facility columns and rows; see the module docstring."""
    from scipy.sparse import coo_array, hstack, vstack

    base = replace(problem, land_budget_m2=None)
    a_base, lb_base, ub_base, c_base, lo_base, hi_base = _area_model(base)
    k = len(problem.pair_parcel)
    b = _Builder(problem, a_base.shape[1], penalty_m2)
    for kind in kinds:
        (b.per_place if kind.per_place else b.per_site)(kind)
    if trade_union is not None and len(trade_union.zones):
        _trade_union_part(b, trade_union)
    n_vars = b.n_base + b.cols
    hosts = np.concatenate([h for h, _, _ in b.land]) if b.land else np.zeros(0, dtype=int)
    cols = np.concatenate([c for _, c, _ in b.land]) if b.land else np.zeros(0, dtype=int)
    ha = np.concatenate([v for _, _, v in b.land]) if b.land else np.zeros(0)
    # facility land in the per-parcel land rows of the area model (rows 3k .. 3k + npar)
    extra = coo_array((ha, (3 * k + hosts, cols - b.n_base)), shape=(a_base.shape[0], b.cols))
    blocks: list[coo_array] = [hstack([a_base, extra]).tocoo()]
    lb, ub = [lb_base], [ub_base]
    if problem.land_budget_m2 is not None:
        row = np.zeros(n_vars)
        row[k : 2 * k] = 1.0
        row[cols] = ha
        blocks.append(coo_array(row[None, :]))
        lb.append(np.array([-np.inf]))
        ub.append(np.array([problem.land_budget_m2 * _HA]))
    if b.rows:
        r = np.concatenate([t[0] for t in b.rows])
        c = np.concatenate([t[1] for t in b.rows])
        v = np.concatenate([t[2] for t in b.rows])
        blocks.append(coo_array((v, (r, c)), shape=(b.n_rows, n_vars)))
        lb.append(np.concatenate([t[3] for t in b.rows]))
        ub.append(np.concatenate([t[4] for t in b.rows]))
    cost = np.concatenate([c_base, *b.cost])
    lo = np.concatenate([lo_base, np.zeros(b.cols)])
    hi = np.concatenate([hi_base, *b.hi])
    integrality = np.concatenate([np.ones(k), np.zeros(b.n_base - k), *b.integer])
    model = vstack(blocks).tocsr(), np.concatenate(lb), np.concatenate(ub), cost, lo, hi, integrality
    return (*model, b.slices, b.v_sites)


def solve_joint(
    problem: AllocationInstance,
    kinds: list[JointKind],
    *,
    penalty_m2: float = 1.0,
    trade_union: TradeUnionSites | None = None,
    time_limit_s: float = 60.0,
    mip_gap: float = 0.01,
) -> JointSolution:
    """Solve housing and facility land together with HiGHS (area model only).

    Parameters
    ----------
    problem : AllocationInstance
        The housing instance (``unit = "area"``).
    kinds : list of JointKind
        Facility kinds with their arcs (see :mod:`landplan.allocation.joint_study`).
    penalty_m2 : float, default 1
        Cost per square metre of facility land the norm requires but the plan leaves unserved.
    trade_union : TradeUnionSites, optional
        Trade-union institution sites to place in the same MILP.
    time_limit_s : float, default 60
        HiGHS time limit in seconds.
    mip_gap : float, default 0.01
        Relative MIP gap at which HiGHS stops.

    Returns
    -------
    JointSolution
        Per pair ``y``, ``r`` (m²), ``x``; per kind its facility variables.

    Raises
    ------
    AllocationInfeasibleError
        If HiGHS proves the settings infeasible.
    LandplanError
        If no feasible solution was found within the time limit.
    """
    if problem.unit != "area":
        msg = 'allocation: the joint facility model needs [allocation] unit = "area"'
        raise AllocationInfeasibleError(msg)
    k = len(problem.pair_parcel)
    a_matrix, lb, ub, c, lo, hi, integrality, slices, v_sites = _joint_model(
        problem, kinds, penalty_m2=penalty_m2, trade_union=trade_union
    )
    start = _start(problem, kinds, len(c), slices, v_sites, time_limit_s=None, mip_gap=mip_gap)
    if not _fits(a_matrix, (lb, ub, lo, hi), start):  # e.g. a max_unmet_share the greedy plan breaks
        start = _start(problem, kinds, len(c), slices, v_sites, time_limit_s=time_limit_s, mip_gap=mip_gap)
    res = solve_highs(
        a_matrix,
        row_lower=lb,
        row_upper=ub,
        cost=c,
        col_lower=lo,
        col_upper=hi,
        integrality=integrality,
        start=start,
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
    )
    if res.infeasible:
        msg = (
            "allocation (joint with facilities) is infeasible: the land budget, max_sites, must_use and "
            "max_unmet_share settings cannot all hold; relax max_unmet_share first, then land_budget_ha or max_sites"
        )
        raise AllocationInfeasibleError(msg)
    if res.x is None:
        msg = f'allocation: HiGHS found no solution ({res.message}); raise time_limit_s or use method = "second_stage"'
        raise LandplanError(msg)
    sol = res.x
    y = np.round(sol[:k])
    r = np.where(y > 0, sol[k : 2 * k] / _HA, 0.0)
    x = np.where(y > 0, sol[2 * k : 3 * k], 0.0)
    values = _values(sol, slices, v_sites, n_parcels=len(problem.parcel_ids))
    status = "optimal" if res.optimal else f"{res.message.lower()} (best found)"
    return JointSolution(y, r, x, status, res.gap, values, res.objective)


def _values(
    sol: np.ndarray, slices: dict[str, dict[str, slice]], v_sites: dict[str, np.ndarray], *, n_parcels: int
) -> dict[str, dict[str, np.ndarray]]:
    """The facility variables of a solution by kind; unserved places per parcel; sites rounded."""
    values = {name: {var: np.clip(sol[s], 0.0, None) for var, s in parts.items()} for name, parts in slices.items()}
    for name, sites in v_sites.items():  # unserved places per parcel (0 where a parcel has no pair)
        full = np.zeros(n_parcels)
        full[sites] = values[name]["v"]
        values[name]["v"] = full
    for parts in values.values():
        for var in ("z", "t"):
            if var in parts:
                parts[var] = np.round(parts[var])
    return values


def _fits(a_matrix: coo_array, bounds: tuple[np.ndarray, ...], start: np.ndarray) -> bool:
    """Whether ``start`` meets the rows ``lb <= A x <= ub`` and columns ``lo <= x <= hi`` (1e-6 relative)."""
    lb, ub, lo, hi = bounds
    rows = a_matrix @ start
    tol_r, tol_c = 1e-6 * (1.0 + np.abs(rows)), 1e-6 * (1.0 + np.abs(start))
    fits_rows = ((rows >= lb - tol_r) & (rows <= ub + tol_r)).all()
    return bool(fits_rows and ((start >= lo - tol_c) & (start <= hi + tol_c)).all())


def _start(
    problem: AllocationInstance,
    kinds: list[JointKind],
    n_cols: int,
    slices: dict[str, dict[str, slice]],
    v_sites: dict[str, np.ndarray],
    *,
    time_limit_s: float | None,
    mip_gap: float,
) -> np.ndarray:
    """A joint solution: a housing plan with every facility place, site and institution unserved.

    The housing plan is the greedy one (``time_limit_s=None``: a fraction of a second, and it saves
    the housing MILP's time for the joint search; measured in ``benchmarks/facilities.py``) or the
    housing MILP's, which is feasible whenever the joint model is.
    """
    k, nz = len(problem.pair_parcel), len(problem.demand)
    housing = (
        solve_greedy(problem)
        if time_limit_s is None
        else solve_milp(problem, time_limit_s=time_limit_s, mip_gap=mip_gap)
    )
    y, r, x, _, _ = housing
    start = np.zeros(n_cols)
    start[:k], start[k : 2 * k], start[2 * k : 3 * k] = y, r * _HA, x
    start[3 * k : 3 * k + nz] = problem.demand - np.bincount(problem.pair_zone, weights=x, minlength=nz)
    units = np.bincount(problem.pair_parcel, weights=x, minlength=len(problem.parcel_ids))
    for kind in kinds:
        parts = slices[kind.name]
        if kind.per_place:
            start[parts["v"]] = kind.places_per_unit * units[v_sites[kind.name]]
        else:
            start[parts["w"]] = 1.0
    if TRADE_UNION in slices:
        start[slices[TRADE_UNION]["w"]] = 1.0
    return start


def joint_objective(
    problem: AllocationInstance,
    kinds: list[JointKind],
    sol: JointSolution,
    *,
    penalty_m2: float = 1.0,
    trade_union: TradeUnionSites | None = None,
) -> float:
    """The joint objective of a solution, recomputed from its values (checks the model's costs).

    Parameters
    ----------
    problem : AllocationInstance
        The housing instance.
    kinds : list of JointKind
        Its facility kinds.
    sol : JointSolution
        A solution.
    penalty_m2 : float, default 1
        Cost per square metre of unserved facility land.
    trade_union : TradeUnionSites, optional
        Its trade-union institution sites.
    """
    total = problem.objective(sol.y, sol.x, sol.r)
    per_m2 = problem.land_cost_per_m2()
    for kind in kinds:
        v = sol.values[kind.name]
        if kind.per_place:
            total += float(v["n"] @ new_place_cost(kind))
            total += float(v["v"].sum() * penalty_m2 * kind.land_m2)
        else:
            total += float(v["z"].sum() * per_m2 * kind.land_m2)
            total += float(v["w"].sum() * penalty_m2 * kind.land_m2)
    if trade_union is not None and TRADE_UNION in sol.values:
        v, tu = sol.values[TRADE_UNION], trade_union
        grow = 1.0 + problem.pair_dist[tu.pairs] / problem.max_commute_m
        total += float(v["t"] @ (per_m2 * tu.site_m2 * grow) + v["w"].sum() * penalty_m2 * tu.site_m2)
    return total
