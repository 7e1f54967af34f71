"""Capacity-aware allocation of worker housing demand to parcels.

Each selected parcel is reserved for one industrial zone and holds up to its capacity in
dwelling units; each zone's demand is met as far as possible from parcels within the
maximum commute distance. The model (a mixed-integer programme solved by HiGHS through
``scipy.optimize.milp``)::

    minimise   sum_k x_k c_k  +  eps sum_k a_k area_k / max_area  +  P sum_z u_z
    subject to x_k <= cap_p(k) a_k                 (units only on a reserved parcel)
               sum_{k of p} a_k <= 1                (a parcel serves one zone)
               sum_{k of z} x_k + u_z = D_z         (demand met or counted as unmet)
               sum_k area_k a_k <= land budget      (optional)
               sum_k a_k <= max sites               (optional)
               sum_{k of p} a_k = 1 for must-use parcels
               u_z <= max_unmet_share D_z           (optional fairness)
               a binary, x >= 0, u >= 0

over parcel-zone pairs ``k`` within reach, with the per-unit cost
``c_k = w_commute d_k / d_max + w_suit (1 - score_p)`` (weights normalised) and a penalty
``P`` per unmet unit far above any per-unit cost. A greedy heuristic (cheapest pairs first)
handles instances too large for the MILP and is compared with it in the tests.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.criteria._common import check_inputs, geoms
from landplan.errors import InputError, LandplanError
from landplan.model import Allocation, ha, m2

if TYPE_CHECKING:
    from landplan.config import AllocationSpec

__all__ = ["AllocationInfeasibleError", "AllocationProblem"]

logger = logging.getLogger(__name__)

_EPS_LAND = 1e-3  # tie-break: among equal allocations prefer less land


def _pairs(
    cand: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    max_commute_m: float,
    network: tuple[pd.DataFrame, pd.DataFrame, float] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Parcel-zone pairs within reach, sorted by parcel then zone: ``(parcel, zone, metres, minutes)``.

    Straight lines (STRtree ``dwithin``) or, with ``network = (minutes, metres, max_minutes)``,
    the network travel times of the study.
    """
    if network is not None:
        minutes, metres, max_min = network
        cm = minutes.reindex(index=cand.index, columns=zones.index).to_numpy(dtype="float64")
        pi, zi = np.nonzero(cm <= max_min)  # row-major: sorted by parcel, then zone
        d = metres.reindex(index=cand.index, columns=zones.index).to_numpy(dtype="float64")[pi, zi]
        return pi, zi, d, cm[pi, zi]
    tree = shapely.STRtree(geoms(cand))
    zi, pi = tree.query(geoms(zones), predicate="dwithin", distance=max_commute_m)
    d = shapely.distance(geoms(cand)[pi], geoms(zones)[zi])
    order = np.lexsort((zi, pi))
    return pi[order], zi[order], d[order], None


class AllocationInfeasibleError(InputError):
    """The allocation settings contradict each other; the message says what to relax."""


@dataclass(frozen=True)
class AllocationProblem:
    """Arrays of an allocation instance (one row per parcel-zone pair within reach)."""

    parcel_ids: pd.Index
    zone_ids: pd.Index
    capacity: np.ndarray  # per parcel, units
    area_m2: np.ndarray  # per parcel
    score: np.ndarray  # per parcel, 0..1
    demand: np.ndarray  # per zone, units
    pair_parcel: np.ndarray  # per pair, index into parcel_ids
    pair_zone: np.ndarray  # per pair, index into zone_ids
    pair_dist: np.ndarray  # per pair, metres
    max_commute_m: float
    commute_weight: float = 0.5
    suitability_weight: float = 0.5
    unmet_penalty: float = 10.0
    land_budget_m2: float | None = None
    max_sites: int | None = None
    must_use: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    max_unmet_share: float | None = None
    pair_minutes: np.ndarray | None = None  # per pair, network travel minutes (reach and cost use them)
    max_commute_min: float | None = None

    # ------------------------------------------------------------------ build

    @classmethod
    def from_arrays(
        cls,
        *,
        capacity: np.ndarray,
        area_m2: np.ndarray,
        score: np.ndarray,
        demand: np.ndarray,
        dist: np.ndarray,
        max_commute_m: float,
        parcel_ids: pd.Index | None = None,
        zone_ids: pd.Index | None = None,
        **options: Any,
    ) -> AllocationProblem:
        """Build from dense arrays; ``dist`` is parcels x zones in metres (pairs beyond reach dropped)."""
        dist = np.asarray(dist, dtype="float64")
        cap = np.asarray(capacity, dtype="float64")
        ok = (dist <= max_commute_m) & (cap[:, None] > 0)
        pp, zz = np.nonzero(ok)
        return cls(
            parcel_ids=parcel_ids if parcel_ids is not None else pd.RangeIndex(len(cap)),
            zone_ids=zone_ids if zone_ids is not None else pd.RangeIndex(dist.shape[1]),
            capacity=cap,
            area_m2=np.asarray(area_m2, dtype="float64"),
            score=np.asarray(score, dtype="float64"),
            demand=np.asarray(demand, dtype="float64"),
            pair_parcel=pp,
            pair_zone=zz,
            pair_dist=dist[pp, zz],
            max_commute_m=max_commute_m,
            **options,
        )

    @classmethod
    def from_parcels(
        cls,
        parcels: gpd.GeoDataFrame,
        zones: gpd.GeoDataFrame,
        *,
        capacity: pd.Series,
        score: pd.Series,
        demand: pd.Series,
        spec: AllocationSpec,
        max_commute_m: float,
        commute_min: pd.DataFrame | None = None,
        network_m: pd.DataFrame | None = None,
        max_commute_min: float | None = None,
    ) -> AllocationProblem:
        """Build from parcels and zones (same projected CRS): pairs found with an STRtree ``dwithin`` query.

        Candidates are parcels with capacity > 0 (eligible), at least ``min_site_ha``, not in
        ``must_not_use``. With ``commute_min`` (parcels x zones network travel minutes) the pairs
        are those within ``max_commute_min`` along the roads, the commute cost is in minutes and
        ``commute_m`` is the network distance (``network_m``).

        Raises
        ------
        AllocationInfeasibleError
            For contradictory settings (unknown or ineligible must-use parcels, must-use
            parcels beyond the land budget or the site limit, a zone whose reachable
            capacity cannot satisfy the fairness cap).
        """
        check_inputs(parcels, zones, what="allocation")
        cap = capacity.reindex(parcels.index).fillna(0).to_numpy(dtype="float64")
        area = parcels.geometry.area.to_numpy()
        keep = cap > 0
        if spec.min_site_ha is not None:
            keep &= area >= m2(spec.min_site_ha)
        ids = parcels.index
        unknown = [p for p in spec.must_use + spec.must_not_use if p not in set(map(str, ids))]
        if unknown:
            msg = f"allocation: must_use/must_not_use name unknown parcels {unknown[:5]}"
            raise AllocationInfeasibleError(msg)
        str_ids = ids.astype(str)
        keep &= ~str_ids.isin(spec.must_not_use)
        must = str_ids.isin(spec.must_use)
        if (must & ~keep).any():
            bad = list(str_ids[must & ~keep][:5])
            msg = (
                f"allocation: must_use parcels {bad} cannot hold housing (excluded, no capacity or below "
                "min_site_ha); remove them from must_use"
            )
            raise AllocationInfeasibleError(msg)
        cand = parcels.loc[keep]
        network = None
        if commute_min is not None and network_m is not None and max_commute_min is not None:
            network = (commute_min, network_m, max_commute_min)
        pi, zi, d, minutes = _pairs(cand, zones, max_commute_m=max_commute_m, network=network)
        cand_ids = cand.index
        must_idx = np.flatnonzero(cand_ids.astype(str).isin(spec.must_use))
        problem = cls(
            parcel_ids=cand_ids,
            zone_ids=zones.index,
            capacity=cap[keep],
            area_m2=area[keep],
            score=score.reindex(cand_ids).fillna(0).to_numpy(dtype="float64"),
            demand=np.ceil(demand.reindex(zones.index).fillna(0).to_numpy(dtype="float64")),
            pair_parcel=pi,
            pair_zone=zi,
            pair_dist=d,
            max_commute_m=max_commute_m,
            commute_weight=spec.commute_weight,
            suitability_weight=spec.suitability_weight,
            unmet_penalty=spec.unmet_penalty,
            land_budget_m2=m2(spec.land_budget_ha) if spec.land_budget_ha is not None else None,
            max_sites=spec.max_sites,
            must_use=must_idx,
            max_unmet_share=spec.max_unmet_share,
            pair_minutes=minutes,
            max_commute_min=max_commute_min if minutes is not None else None,
        )
        problem.check()
        return problem

    # ------------------------------------------------------------------ checks

    def check(self) -> None:
        """Raise :class:`AllocationInfeasibleError` with the setting to relax, when one obviously conflicts."""
        must = self.must_use
        if len(must):
            reach = np.isin(must, self.pair_parcel)
            if not reach.all():
                bad = list(self.parcel_ids[must[~reach]].astype(str)[:5])
                msg = f"allocation: must_use parcels {bad} are beyond max_commute_m of every zone; raise max_commute_m"
                raise AllocationInfeasibleError(msg)
            if self.max_sites is not None and len(must) > self.max_sites:
                msg = f"allocation: {len(must)} must_use parcels but max_sites = {self.max_sites}; raise max_sites"
                raise AllocationInfeasibleError(msg)
            if self.land_budget_m2 is not None and self.area_m2[must].sum() > self.land_budget_m2:
                msg = (
                    f"allocation: must_use parcels cover {ha(self.area_m2[must].sum()):.1f} ha, more than "
                    f"land_budget_ha = {ha(self.land_budget_m2):g}; raise the budget or shorten must_use"
                )
                raise AllocationInfeasibleError(msg)
        if self.max_unmet_share is not None:
            reachable = np.bincount(self.pair_zone, weights=self.capacity[self.pair_parcel], minlength=len(self.demand))
            need = (1 - self.max_unmet_share) * self.demand
            short = np.flatnonzero(reachable + 1e-9 < need)
            if len(short):
                z = short[0]
                msg = (
                    f"allocation: zone {self.zone_ids[z]!s} must get at least {need[z]:,.0f} units "
                    f"(max_unmet_share = {self.max_unmet_share:g}) but only {reachable[z]:,.0f} units of eligible "
                    f"capacity lie within {self.max_commute_m:,.0f} m; raise max_unmet_share or max_commute_m"
                )
                raise AllocationInfeasibleError(msg)

    # ------------------------------------------------------------------ costs

    def unit_cost(self) -> np.ndarray:
        """Cost per unit on each pair: weighted commute share of the maximum and unsuitability."""
        total = self.commute_weight + self.suitability_weight
        wc, ws = self.commute_weight / total, self.suitability_weight / total
        if self.pair_minutes is not None and self.max_commute_min:
            commute = self.pair_minutes / self.max_commute_min
        else:
            commute = self.pair_dist / self.max_commute_m
        return wc * commute + ws * (1 - self.score[self.pair_parcel])

    def site_cost(self) -> np.ndarray:
        """Small cost per reserved parcel (prefers less land among equal allocations)."""
        biggest = self.area_m2.max() if len(self.area_m2) else 1.0
        return _EPS_LAND * self.area_m2[self.pair_parcel] / biggest

    def objective(self, a: np.ndarray, x: np.ndarray) -> float:
        """Objective of a solution (``a`` binary per pair, ``x`` units per pair)."""
        unmet = self.demand - np.bincount(self.pair_zone, weights=x, minlength=len(self.demand))
        return float(x @ self.unit_cost() + a @ self.site_cost() + self.unmet_penalty * unmet.sum())

    # ------------------------------------------------------------------ solvers

    def solve_milp(
        self, *, time_limit_s: float = 60.0, mip_gap: float = 0.01
    ) -> tuple[np.ndarray, np.ndarray, str, float | None]:
        """Solve with HiGHS; returns ``(a, x, status, gap)``.

        Raises
        ------
        AllocationInfeasibleError
            If HiGHS proves the settings infeasible.
        LandplanError
            If no feasible solution was found within the time limit.
        """
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import coo_array, hstack, vstack

        k, nz, npar = len(self.pair_parcel), len(self.demand), len(self.parcel_ids)
        if k == 0:
            return np.zeros(0), np.zeros(0), "no candidate pairs", 0.0
        rows = np.arange(k)
        # x_k - cap a_k <= 0
        cap_a = coo_array((-self.capacity[self.pair_parcel], (rows, rows)), shape=(k, k))
        eye = coo_array((np.ones(k), (rows, rows)), shape=(k, k))
        zero_u = coo_array((k, nz))
        blocks = [hstack([cap_a, eye, zero_u])]
        lb, ub = [np.full(k, -np.inf)], [np.zeros(k)]
        # one zone per parcel (and must-use parcels exactly one)
        per_parcel = coo_array((np.ones(k), (self.pair_parcel, rows)), shape=(npar, k))
        blocks.append(hstack([per_parcel, coo_array((npar, k)), coo_array((npar, nz))]))
        low = np.zeros(npar)
        low[self.must_use] = 1
        lb.append(low)
        ub.append(np.ones(npar))
        # demand: sum x + u = D
        per_zone = coo_array((np.ones(k), (self.pair_zone, rows)), shape=(nz, k))
        unmet = coo_array((np.ones(nz), (np.arange(nz), np.arange(nz))), shape=(nz, nz))
        blocks.append(hstack([coo_array((nz, k)), per_zone, unmet]))
        lb.append(self.demand)
        ub.append(self.demand)
        if self.land_budget_m2 is not None:
            land = coo_array(self.area_m2[self.pair_parcel][None, :])
            blocks.append(hstack([land, coo_array((1, k)), coo_array((1, nz))]))
            lb.append(np.array([-np.inf]))
            ub.append(np.array([self.land_budget_m2]))
        if self.max_sites is not None:
            blocks.append(hstack([coo_array(np.ones((1, k))), coo_array((1, k)), coo_array((1, nz))]))
            lb.append(np.array([-np.inf]))
            ub.append(np.array([float(self.max_sites)]))
        a_matrix = vstack(blocks).tocsr()
        c = np.concatenate([self.site_cost(), self.unit_cost(), np.full(nz, self.unmet_penalty)])
        u_max = np.full(nz, np.inf) if self.max_unmet_share is None else self.max_unmet_share * self.demand
        bounds = Bounds(np.zeros(2 * k + nz), np.concatenate([np.ones(k), np.full(k, np.inf), u_max]))
        integrality = np.concatenate([np.ones(k), np.zeros(k + nz)])
        res = milp(
            c,
            constraints=LinearConstraint(a_matrix, np.concatenate(lb), np.concatenate(ub)),
            integrality=integrality,
            bounds=bounds,
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
        a = np.round(res.x[:k])
        x = np.where(a > 0, res.x[k : 2 * k], 0.0)
        status = "optimal" if res.status == 0 else "time limit (best found)"
        gap = getattr(res, "mip_gap", None)
        return a, x, status, None if gap is None else float(gap)

    def solve_greedy(self) -> tuple[np.ndarray, np.ndarray, str, float | None]:
        """Cheapest pairs first: reserve a parcel for a zone while the zone still needs units.

        Must-use parcels are placed first (each with its cheapest zone). Respects capacity,
        one zone per parcel, the land budget and max_sites; the fairness cap is reported, not enforced.
        """
        k = len(self.pair_parcel)
        a, x = np.zeros(k), np.zeros(k)
        remaining = self.demand.astype("float64").copy()
        used = np.zeros(len(self.parcel_ids), dtype=bool)
        cost = self.unit_cost()
        order = np.lexsort((self.pair_zone, self.pair_parcel, cost))
        must = np.isin(self.pair_parcel, self.must_use)
        order = np.concatenate([order[must[order]], order[~must[order]]])
        land, sites = 0.0, 0
        for pair in order:  # sequential by nature: each choice changes the remaining demand
            p, z = self.pair_parcel[pair], self.pair_zone[pair]
            if used[p] or (remaining[z] <= 0 and not must[pair]):
                continue
            if self.max_sites is not None and sites >= self.max_sites:
                break
            if self.land_budget_m2 is not None and land + self.area_m2[p] > self.land_budget_m2 and not must[pair]:
                continue
            units = min(self.capacity[p], max(remaining[z], 0.0))
            a[pair], x[pair] = 1.0, units
            remaining[z] -= units
            used[p] = True
            land += self.area_m2[p]
            sites += 1
        return a, x, "heuristic", None

    def solve(self, *, method: str = "milp", time_limit_s: float = 60.0, mip_gap: float = 0.01) -> Allocation:
        """Solve and tabulate per parcel and per zone."""
        t0 = time.perf_counter()
        if method == "greedy":
            a, x, status, gap = self.solve_greedy()
        else:
            a, x, status, gap = self.solve_milp(time_limit_s=time_limit_s, mip_gap=mip_gap)
        seconds = time.perf_counter() - t0
        if method == "greedy" and self.max_unmet_share is not None:
            got = np.bincount(self.pair_zone, weights=x, minlength=len(self.demand))
            over = int((self.demand - got > self.max_unmet_share * self.demand + 1e-6).sum())
            if over:
                status = f"heuristic; fairness cap not met for {over} zones (use the MILP)"
        return self.tabulate(a, x, method=method, status=status, gap=gap, seconds=seconds)

    def _minute_stats(self, zones: pd.DataFrame, sel: np.ndarray, z: np.ndarray, x: np.ndarray) -> None:
        """Add ``mean_commute_min`` and ``max_commute_min`` (network travel) to a zone table."""
        minutes = np.asarray(self.pair_minutes)[sel]
        nz = len(self.demand)
        allocated = zones["allocated_units"].to_numpy()
        total = np.bincount(z, weights=x[sel] * minutes, minlength=nz)
        longest = np.zeros(nz)
        np.maximum.at(longest, z, np.where(x[sel] > 0, minutes, 0.0))
        at = list(zones.columns).index("max_commute_m") + 1
        zones.insert(
            at, "mean_commute_min", np.where(allocated > 0, total / np.where(allocated > 0, allocated, 1), np.nan)
        )
        zones.insert(at + 1, "max_commute_min", np.where(allocated > 0, longest, np.nan))

    def tabulate(
        self, a: np.ndarray, x: np.ndarray, *, method: str, status: str, gap: float | None, seconds: float
    ) -> Allocation:
        """Per-parcel and per-zone tables of a solution."""
        sel = np.flatnonzero(a > 0.5)
        p, z = self.pair_parcel[sel], self.pair_zone[sel]
        parcels = pd.DataFrame(
            {
                "zone": self.zone_ids[z],
                "units": x[sel],
                "capacity_units": self.capacity[p],
                "commute_m": self.pair_dist[sel],
                "area_ha": ha(self.area_m2[p]),
                "score": self.score[p],
            },
            index=self.parcel_ids[p],
        )
        parcels.index.name = self.parcel_ids.name
        if self.pair_minutes is not None:
            parcels.insert(list(parcels.columns).index("commute_m") + 1, "commute_min", self.pair_minutes[sel])
        parcels = parcels.sort_values(
            ["zone", "commute_min" if self.pair_minutes is not None else "commute_m"], kind="stable"
        )
        nz = len(self.demand)
        allocated = np.bincount(z, weights=x[sel], minlength=nz)
        unit_dist = np.bincount(z, weights=x[sel] * self.pair_dist[sel], minlength=nz)
        max_dist = np.zeros(nz)
        np.maximum.at(max_dist, z, np.where(x[sel] > 0, self.pair_dist[sel], 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            zones = pd.DataFrame(
                {
                    "demand_units": self.demand,
                    "allocated_units": allocated,
                    "unmet_units": np.clip(self.demand - allocated, 0, None),
                    "unmet_share": np.where(
                        self.demand > 0, np.clip(self.demand - allocated, 0, None) / self.demand, 0.0
                    ),
                    "mean_commute_m": np.where(allocated > 0, unit_dist / allocated, np.nan),
                    "max_commute_m": np.where(allocated > 0, max_dist, np.nan),
                    "land_ha": ha(np.bincount(z, weights=self.area_m2[p], minlength=nz)),
                    "sites": np.bincount(z, minlength=nz),
                },
                index=self.zone_ids,
            )
            if self.pair_minutes is not None:
                self._minute_stats(zones, sel, z, x)
        return Allocation(
            parcels=parcels,
            zones=zones,
            method=method,
            status=status,
            objective=self.objective(a, x),
            gap=gap,
            seconds=seconds,
            pairs=len(self.pair_parcel),
        )
