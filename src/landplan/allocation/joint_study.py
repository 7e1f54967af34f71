"""The joint facility model on a study: its kinds and arcs, the solve, and the programme table.

:mod:`landplan.allocation.joint` is the model on arrays; this module builds its
:class:`~landplan.allocation.joint.JointKind` arcs from the study (one STRtree query per kind:
each housing candidate may place facility land on itself and on its ``hosts_per_site - 1``
nearest candidate parcels within the kind's service radius), solves, and writes the same
programme table as the second stage (:data:`~landplan.allocation.facilities.PROGRAMME_COLUMNS`
plus ``unserved`` and ``hosts``). Trade-union institutions are placed after the solve, on the
land it left (:func:`~landplan.allocation.facility_land.place_trade_union`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.allocation.catchment import resident_free, service_pairs
from landplan.allocation.facilities import PROGRAMME_COLUMNS, existing_facilities, facility_norm, trade_union_needs
from landplan.allocation.joint import TRADE_UNION, JointKind, JointSolution, TradeUnionSites, solve_joint
from landplan.allocation.problem import AllocationProblem
from landplan.config import AllocationSpec, FacilitiesSpec
from landplan.errors import InputError
from landplan.model import Allocation, Study

__all__ = [
    "JOINT_COLUMNS",
    "JointRun",
    "check_joint",
    "facility_land_m2",
    "joint_kinds",
    "joint_programme",
    "nearest_arcs",
    "service_cells",
    "solve_study_joint",
]

#: columns of the programme table in joint mode (the second stage's, then these)
JOINT_COLUMNS = [*PROGRAMME_COLUMNS, "unserved", "hosts"]


#: candidate parcels per trade-union institution: the zone's nearest pairs with room for the site
TU_CANDIDATES = 30


@dataclass(frozen=True)
class JointRun:
    """A solved joint instance: the housing problem, the facility kinds and the solution."""

    problem: AllocationProblem
    kinds: list[JointKind]
    solution: JointSolution
    trade_union: TradeUnionSites | None = None
    trade_union_rows: pd.DataFrame | None = None  # the institutions needed (zone, land_m2, norm, verified)
    geoms: np.ndarray | None = None  # candidate parcel geometries (distances in the programme)


def check_joint(spec: AllocationSpec) -> None:
    """Raise :class:`InputError` when ``method = "joint"`` meets settings the joint model does not cover.

    Parameters
    ----------
    spec : AllocationSpec
        The allocation settings.

    Raises
    ------
    InputError
        For whole-unit allocation, plan phases or the greedy solver with the joint method.
    """
    if spec.facilities is None or spec.facilities.method != "joint":
        return
    fix = 'or set [allocation.facilities] method = "second_stage"'
    if spec.unit != "area":
        msg = f'[allocation.facilities] method = "joint" needs [allocation] unit = "area"; set it {fix}'
        raise InputError(msg)
    if spec.phases:
        msg = f'[allocation.facilities] method = "joint" does not plan phases; remove [[allocation.phases]] {fix}'
        raise InputError(msg)
    if spec.solver == "greedy":
        msg = f'[allocation.facilities] method = "joint" is a MILP; set [allocation] solver = "milp" {fix}'
        raise InputError(msg)


def nearest_arcs(
    sites: np.ndarray, geoms: np.ndarray, *, radius_m: float, hosts_per_site: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each site itself and its ``hosts_per_site - 1`` nearest other parcels within ``radius_m``.

    Parameters
    ----------
    sites : numpy.ndarray
        Indices (into ``geoms``) of the housing candidates.
    geoms : numpy.ndarray
        Candidate parcel geometries.
    radius_m : float
        Service radius in metres (edge to edge).
    hosts_per_site : int
        Largest number of hosts per site, the site included.

    Returns
    -------
    tuple of numpy.ndarray
        ``(site, host, distance_m)`` per arc, sorted by site, then distance, then host.
    """
    tree = shapely.STRtree(geoms)
    si, host = tree.query(geoms[sites], predicate="dwithin", distance=radius_m)
    site = sites[si]
    dist = shapely.distance(geoms[site], geoms[host])
    order = np.lexsort((host, dist, host != site, site))
    site, host, dist = site[order], host[order], dist[order]
    starts = np.searchsorted(site, site)  # first arc of each arc's site
    keep = np.arange(len(site)) - starts < hosts_per_site
    return site[keep], host[keep], dist[keep]


def service_cells(
    geoms: np.ndarray, area_m2: np.ndarray, *, radius_m: float, min_site_m2: float, hosts_per_cell: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Service cells of a per-site kind: squares of side ``radius / sqrt 2`` over the parcel centroids.

    Any two parcels of a cell lie within ``radius_m`` of each other (centroid to centroid, so
    edge to edge too): one site anywhere in the cell serves all of it. Each cell's hosts are its
    ``hosts_per_cell`` largest parcels with room for ``min_site_m2``.

    Parameters
    ----------
    geoms : numpy.ndarray
        Candidate parcel geometries (projected, metres).
    area_m2 : numpy.ndarray
        Their land.
    radius_m : float
        Service radius.
    min_site_m2 : float
        Land of one site.
    hosts_per_cell : int
        Largest number of hosts per cell.

    Returns
    -------
    tuple of numpy.ndarray
        Cell per parcel, and ``(cell, host)`` per host sorted by cell, then area (largest first).
    """
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    side = radius_m / np.sqrt(2.0)
    ij = np.floor(xy / side).astype(np.int64)
    _, cell = np.unique(ij, axis=0, return_inverse=True)
    cell = cell.ravel()
    ok = np.flatnonzero(area_m2 >= min_site_m2)
    ok = ok[np.lexsort((ok, -area_m2[ok], cell[ok]))]
    c = cell[ok]
    rank = np.arange(len(ok)) - np.searchsorted(c, c)
    keep = ok[rank < hosts_per_cell]
    return cell, cell[keep], keep


def joint_kinds(study: Study, problem: AllocationProblem, spec: FacilitiesSpec, *, persons: float) -> list[JointKind]:
    """The facility kinds of a joint instance, with their arcs and existing capacity.

    Parameters
    ----------
    study : Study
        The loaded study (parcels, rule pack, facility and population layers).
    problem : AllocationProblem
        The housing instance (its candidate parcels host facility land too).
    spec : FacilitiesSpec
        The ``[allocation.facilities]`` settings.
    persons : float
        Residents per dwelling unit.

    Returns
    -------
    list of JointKind
        One per planned kind, in the order of ``spec.kinds`` (else the rule pack's, sorted).
    """
    rules = study.rules
    geoms = np.asarray(study.parcels.geometry.loc[problem.parcel_ids].values)
    sites = np.unique(problem.pair_parcel)
    site_geoms = gpd.GeoSeries(geoms[sites], index=problem.parcel_ids[sites], crs=study.crs)
    kinds = []
    for kind in spec.kinds or sorted(rules.facility):
        radius = rules.radius_m(kind)
        rate, per_place = rules.facility_value(kind, "places_per_1000"), rules.facility_value(kind, "m2_per_place")
        min_site = rules.facility_value(kind, "min_site_m2")
        existing, free = existing_facilities(study, spec, kind)
        near_s, near_f = service_pairs(study, spec, site_geoms, existing, kind=kind, radius_m=radius)
        if rate is not None:
            a_site, a_host, a_dist = nearest_arcs(sites, geoms, radius_m=radius, hosts_per_site=spec.hosts_per_site)
            kinds.append(
                JointKind(
                    kind,
                    True,
                    per_place.value if per_place is not None else 0.0,
                    radius,
                    places_per_unit=persons * rate.value / 1000.0,
                    arc_site=a_site,
                    arc_host=a_host,
                    arc_dist=a_dist,
                    exist_site=sites[near_s],
                    exist_fac=near_f,
                    free=resident_free(study, spec, existing, free, rate=rate.value, radius_m=radius),
                )
            )
        elif min_site is not None:
            covered = np.zeros(len(problem.parcel_ids), dtype=bool)
            covered[sites[near_s]] = True
            cell, c_cell, c_host = service_cells(
                geoms, problem.area_m2, radius_m=radius, min_site_m2=min_site.value, hosts_per_cell=spec.hosts_per_site
            )
            kinds.append(
                JointKind(
                    kind,
                    False,
                    min_site.value,
                    radius,
                    arc_site=c_cell,
                    arc_host=c_host,
                    arc_dist=np.zeros(len(c_host)),
                    covered=covered,
                    cell=cell,
                )
            )
    return kinds


def trade_union_sites(problem: AllocationProblem, needs: pd.DataFrame) -> TradeUnionSites | None:
    """Candidate pairs of the institutions: each large zone's ``TU_CANDIDATES`` nearest parcels with room.

    Parameters
    ----------
    problem : AllocationProblem
        The housing instance.
    needs : pandas.DataFrame
        The institutions needed (``zone``, ``land_m2``), from
        :func:`~landplan.allocation.facilities.trade_union_needs`.

    Returns
    -------
    TradeUnionSites or None
        None when no zone needs one.
    """
    if needs.empty:
        return None
    site_m2 = float(needs["land_m2"].iloc[0])
    zone_pos = pd.Series(np.arange(len(problem.zone_ids)), index=problem.zone_ids.astype(str))
    zones = zone_pos.reindex(needs["zone"].astype(str)).to_numpy(dtype=int)
    ok = np.isin(problem.pair_zone, zones) & (problem.area_m2[problem.pair_parcel] >= site_m2)
    cand = np.flatnonzero(ok)
    cand = cand[np.lexsort((problem.pair_parcel[cand], problem.pair_dist[cand], problem.pair_zone[cand]))]
    zone = problem.pair_zone[cand]
    rank = np.arange(len(cand)) - np.searchsorted(zone, zone)
    return TradeUnionSites(zones=zones, site_m2=site_m2, pairs=np.sort(cand[rank < TU_CANDIDATES]))


def solve_study_joint(
    study: Study, problem: AllocationProblem, spec: AllocationSpec, *, zones: pd.DataFrame
) -> tuple[Allocation, JointRun]:
    """Solve housing and facilities together; the housing tables as :meth:`AllocationProblem.solve` gives them.

    Parameters
    ----------
    study : Study
        The loaded study.
    problem : AllocationProblem
        The housing instance (``unit = "area"``).
    spec : AllocationSpec
        The allocation settings (``facilities`` set, ``method = "joint"``).
    zones : pandas.DataFrame
        The demand table (``workers`` per zone: which zones get a trade-union institution).

    Returns
    -------
    tuple
        The housing allocation and the solved joint run (for :func:`joint_programme`).
    """
    fspec = spec.facilities
    assert fspec is not None
    persons = study.scenario.demand.persons_per_unit or study.rules.housing_value("persons_per_unit")
    kinds = joint_kinds(study, problem, fspec, persons=persons)
    needs = trade_union_needs(study, zones, fspec)
    tu = trade_union_sites(problem, needs)
    t0 = time.perf_counter()
    sol = solve_joint(
        problem,
        kinds,
        penalty_m2=fspec.unserved_penalty_per_m2,
        trade_union=tu,
        time_limit_s=spec.time_limit_s,
        mip_gap=spec.mip_gap,
    )
    seconds = time.perf_counter() - t0
    alloc = problem.tabulate(
        sol.y, sol.x, r=sol.r, method="milp (joint)", status=sol.status, gap=sol.gap, seconds=seconds
    )
    geoms = np.asarray(study.parcels.geometry.loc[problem.parcel_ids].values)
    return alloc, JointRun(problem, kinds, sol, tu, needs, geoms)


def _site_units(run: JointRun) -> np.ndarray:
    """Units per candidate parcel in the solution."""
    p = run.problem
    return np.bincount(p.pair_parcel, weights=run.solution.x, minlength=len(p.parcel_ids))


def _zone_of_site(run: JointRun) -> np.ndarray:
    """The zone (id string) each candidate parcel gives most units to ('' without units)."""
    p, x = run.problem, run.solution.x
    best = np.full(len(p.parcel_ids), -1.0)
    zone = np.full(len(p.parcel_ids), "", dtype=object)
    order = np.lexsort((p.pair_zone, -x))[::-1]  # the last write per parcel wins: most units, then first zone
    best[p.pair_parcel[order]] = x[order]
    zone[p.pair_parcel[order]] = p.zone_ids.astype(str).to_numpy()[p.pair_zone[order]]
    return np.where(best > 0, zone, "")


def _per_place_rows(run: JointRun, kind: JointKind, housed: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    """Programme rows of a per-place kind: needed, absorbed, built (the MILP's land), unserved."""
    v = run.solution.values[kind.name]
    units = _site_units(run)[housed]
    needed = np.clip(np.ceil(units * kind.places_per_unit - 1e-6), 0, None)
    npar = len(ids)
    built = np.bincount(kind.arc_site, weights=v["n"], minlength=npar)[housed]
    unserved = v["v"][housed]
    to_build = np.minimum(needed, np.ceil(built + unserved - 1e-6)) + 0.0  # + 0.0: no negative zero
    land = built * kind.land_m2
    used = v["n"] > 1e-6
    arcs = pd.DataFrame(
        {"site": kind.arc_site[used], "host": kind.arc_host[used], "n": v["n"][used], "dist": kind.arc_dist[used]}
    )
    main = arcs.sort_values(["site", "n", "host"], ascending=[True, False, True], kind="stable").groupby("site").first()
    label = ids[arcs["host"].to_numpy()] + " " + (arcs["n"] * kind.land_m2).round(0).astype(int).astype(str) + " m2"
    hosts = pd.Series(label.to_numpy(), index=arcs["site"].to_numpy()).groupby(level=0).agg("; ".join)
    host = main["host"].reindex(housed)
    placement = np.where(
        land > 1e-6,
        np.where(host.to_numpy() == housed, "in site", "nearby parcel"),
        np.where(to_build > 0, "unplaced", "none needed"),
    )
    return pd.DataFrame(
        {
            "site": ids[housed],
            "unit": "places",
            "needed": needed,
            "absorbed": needed - to_build,
            "to_build": to_build,
            "land_m2": np.where(placement == "unplaced", to_build * kind.land_m2, land),
            "placement": placement,
            "host": np.where(host.notna(), ids[host.fillna(0).astype(int).to_numpy()], ""),
            "distance_m": main["dist"].reindex(housed).to_numpy(),
            "unserved": unserved,
            "hosts": hosts.reindex(housed).fillna("").to_numpy(),
        }
    )


def _per_site_rows(run: JointRun, kind: JointKind, housed: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    """Programme rows of a per-site kind: covered, building the cell's site, served by it, or unplaced.

    In each cell the uncovered housing sites are ranked by units (then id); the first builds the
    cell's site (the r-th builds the r-th when a cell has several), the others are served by it.
    """
    assert kind.cell is not None
    v = run.solution.values[kind.name]
    built = np.flatnonzero(v["z"] > 0.5)
    order = np.lexsort((kind.arc_host[built], kind.arc_site[built]))
    b_cell, b_host = kind.arc_site[built][order], kind.arc_host[built][order]
    n_cells = int(kind.cell.max(initial=-1)) + 1
    b_start = np.searchsorted(b_cell, np.arange(n_cells + 1))
    n_built = np.diff(b_start)
    covered = kind.covered[housed] if kind.covered is not None else np.zeros(len(housed), dtype=bool)
    cell = kind.cell[housed]
    need = ~covered & (cell >= 0)
    units = _site_units(run)[housed]
    rank_order = np.lexsort((ids[housed].astype(str), -units, cell))
    rank_order = rank_order[need[rank_order]]
    rank = np.full(len(housed), -1)
    c_sorted = cell[rank_order]
    rank[rank_order] = np.arange(len(rank_order)) - np.searchsorted(c_sorted, c_sorted)
    in_cell = n_built[np.clip(cell, 0, None)] if n_cells else np.zeros(len(housed), dtype=int)
    has = need & (in_cell > 0)
    builds = has & (rank < in_cell)
    pick = b_start[np.clip(cell, 0, None)] + np.where(builds, rank, 0) if n_cells else np.zeros(len(housed), dtype=int)
    host = np.where(has, b_host[np.clip(pick, 0, max(len(b_host) - 1, 0))] if len(b_host) else -1, -1)
    to_build = np.where(covered | (has & ~builds), 0.0, 1.0)
    placement = np.where(
        builds, np.where(host == housed, "in site", "nearby parcel"), np.where(to_build > 0, "unplaced", "none needed")
    )
    host_id = np.where(has, ids[np.clip(host, 0, None)], "")
    geoms = run.geoms if run.geoms is not None else None
    dist = np.full(len(housed), np.nan)
    if geoms is not None and has.any():
        dist[has] = shapely.distance(geoms[housed[has]], geoms[host[has]])
    return pd.DataFrame(
        {
            "site": ids[housed],
            "unit": "sites",
            "needed": 1.0,
            "absorbed": 1.0 - to_build,
            "to_build": to_build,
            "land_m2": to_build * kind.land_m2,
            "placement": placement,
            "host": host_id,
            "distance_m": dist,
            "unserved": np.where(placement == "unplaced", 1.0, 0.0),
            "hosts": np.where(builds, host_id + f" {kind.land_m2:.0f} m2", ""),
        }
    )


def facility_land_m2(run: JointRun) -> np.ndarray:
    """Facility land the solution reserves on each candidate parcel, m².

    Parameters
    ----------
    run : JointRun
        A solved joint instance.
    """
    npar = len(run.problem.parcel_ids)
    land = np.zeros(npar)
    for kind in run.kinds:
        v = run.solution.values[kind.name]
        if kind.per_place:
            land += np.bincount(kind.arc_host, weights=v["n"] * kind.land_m2, minlength=npar)
        else:
            land += np.bincount(kind.arc_host, weights=v["z"] * kind.land_m2, minlength=npar)
    tu = run.trade_union
    if tu is not None:
        p = run.problem.pair_parcel[tu.pairs]
        land += np.bincount(p, weights=run.solution.values[TRADE_UNION]["t"] * tu.site_m2, minlength=npar)
    return land


def joint_programme(study: Study, run: JointRun) -> pd.DataFrame:
    """The facility programme of a joint solution, trade-union institutions included.

    Parameters
    ----------
    study : Study
        The loaded study (rule pack: the norms cited).
    run : JointRun
        The solved joint instance.

    Returns
    -------
    pandas.DataFrame
        :data:`JOINT_COLUMNS`, one row per (housing site, kind) and per institution.
    """
    ids = run.problem.parcel_ids.astype(str).to_numpy().astype(object)
    housed = np.flatnonzero(_site_units(run) > 0)
    zone = _zone_of_site(run)[housed]
    rows = []
    for kind in run.kinds:
        part = (_per_place_rows if kind.per_place else _per_site_rows)(run, kind, housed, ids)
        norm, verified = facility_norm(study.rules, kind.name)
        part.insert(1, "zone", zone)
        part.insert(2, "kind", kind.name)
        rows.append(part.assign(units_displaced=0.0, norm=norm, verified=verified))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=JOINT_COLUMNS)
    parts = [out, _trade_union(run)]
    out = pd.concat([f for f in parts if not f.empty], ignore_index=True) if any(len(f) for f in parts) else out
    out = out[JOINT_COLUMNS].astype(
        {"needed": float, "absorbed": float, "to_build": float, "land_m2": float, "units_displaced": float}
    )
    out["unserved"] = out["unserved"].astype(float).fillna(0.0)
    out["hosts"] = out["hosts"].fillna("")
    return out.sort_values(["zone", "site", "kind"], kind="stable").reset_index(drop=True)


def _trade_union(run: JointRun) -> pd.DataFrame:
    """Programme rows of the trade-union institutions the MILP placed (or could not)."""
    tu, rows = run.trade_union, run.trade_union_rows
    if tu is None or rows is None or rows.empty:
        return pd.DataFrame(columns=JOINT_COLUMNS)
    p = run.problem
    t = run.solution.values[TRADE_UNION]["t"]
    chosen = tu.pairs[t > 0.5]
    ids = p.parcel_ids.astype(str).to_numpy()
    host = pd.Series(ids[p.pair_parcel[chosen]], index=p.zone_ids.astype(str).to_numpy()[p.pair_zone[chosen]])
    dist = pd.Series(p.pair_dist[chosen], index=host.index)
    housed = np.bincount(p.pair_parcel, weights=run.solution.x, minlength=len(ids)) > 0
    in_site = pd.Series(housed[p.pair_parcel[chosen]], index=host.index)
    zone = rows["zone"].astype(str)
    placed = zone.isin(host.index).to_numpy()
    where = np.where(in_site.reindex(zone).fillna(False).to_numpy(dtype=bool), "in site", "nearby parcel")
    site = host.reindex(zone).fillna("").to_numpy()
    return rows.assign(
        site=site,
        placement=np.where(placed, where, "unplaced"),
        host=site,
        distance_m=dist.reindex(zone).to_numpy(),
        units_displaced=0.0,
        unserved=np.where(placed, 0.0, 1.0),
        hosts=np.where(placed, site + " " + rows["land_m2"].map("{:.0f}".format).to_numpy() + " m2", ""),
    )
