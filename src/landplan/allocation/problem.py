"""Capacity-aware allocation of worker housing demand to parcels: the instance and its tables.

Each zone's demand (dwelling units) is met as far as possible from parcels within the maximum
commute distance, at the least cost per unit ``c_k = w_commute d_k / d_max + w_suit (1 - score_p)``
(weights normalised) plus a penalty ``P`` per unmet unit far above any per-unit cost. Two
units of land (``unit``):

- ``"area"``: a parcel-zone pair reserves only the land the zone needs (a continuous area with
  a minimum piece ``min_reserve_ha``), and a large parcel may serve several zones, so reserved
  land stays within the need plus about one minimum piece per zone;
- ``"whole"``: a reserved parcel goes whole to one zone (the model before area allocation).

The models are written out in :mod:`landplan.allocation.solvers` (MILP by HiGHS through
``scipy.optimize.milp``, and a greedy heuristic for instances too large for it).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan._messages import N_
from landplan.allocation.instance import AllocationInfeasibleError, AllocationInstance
from landplan.allocation.solvers import Solution, solve_greedy, solve_milp
from landplan.criteria._common import check_inputs, geoms
from landplan.model import Allocation, ha, m2

if TYPE_CHECKING:
    from landplan.config import AllocationSpec

__all__ = ["AllocationInfeasibleError", "AllocationProblem"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AllocationProblem(AllocationInstance):
    """An allocation instance with its builders, checks, solvers and tables."""

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
        area_m2: pd.Series | None = None,
        min_reserve_ha: float = 0.0,
        commute_min: pd.DataFrame | None = None,
        network_m: pd.DataFrame | None = None,
        max_commute_min: float | None = None,
    ) -> AllocationProblem:
        """Build from parcels and zones (one projected CRS): pairs within reach (STRtree or network).

        Candidates: capacity > 0 (eligible), at least ``min_site_ha``, not in ``must_not_use``.

        Parameters
        ----------
        parcels, zones : geopandas.GeoDataFrame
            Candidate parcels and zones, in one projected CRS.
        capacity : pandas.Series
            Dwelling units each parcel can hold (0 for excluded parcels).
        score : pandas.Series
            Suitability score, 0..1.
        demand : pandas.Series
            Units needed per zone.
        spec : AllocationSpec
            The allocation settings (``unit``, budget, site limit, must-use, fairness, weights).
        max_commute_m : float
            Commute reach: pairs farther apart are not candidates.
        area_m2 : pandas.Series, optional
            Land area of each parcel (e.g. net developable area); default: the geometry's area.
        min_reserve_ha : float, default 0
            Area mode: smallest piece of a parcel reserved for one zone.
        commute_min, network_m, max_commute_min : pandas.DataFrame, pandas.DataFrame, float, optional
            Network travel (parcels x zones minutes and metres) and its reach in minutes: pairs
            within reach along the roads, commute cost in minutes, ``commute_m`` along the roads.

        Raises
        ------
        AllocationInfeasibleError
            For contradictory settings (see :meth:`check`).
        """
        check_inputs(parcels, zones, what="allocation")
        cap, area, keep = _land(parcels, capacity, area_m2, spec)
        cand = parcels.loc[keep]
        use_net = commute_min is not None and network_m is not None and max_commute_min is not None
        network = (commute_min, network_m, max_commute_min) if use_net else None
        pi, zi, d, minutes = _pairs(cand, zones, max_commute_m, network=network)  # type: ignore[arg-type]
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
            unit=spec.unit,
            min_reserve_m2=m2(min_reserve_ha),
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
            least = self.min_piece_m2()[must] if self.unit == "area" else self.area_m2[must]
            if self.land_budget_m2 is not None and least.sum() > self.land_budget_m2:
                msg = (
                    f"allocation: must_use parcels cover {ha(least.sum()):.1f} ha, more than "
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

    def restrict(
        self,
        zones: np.ndarray,
        *,
        area_left_m2: np.ndarray,
        land_left_m2: float | None,
        sites_left: int | None,
        must_use: np.ndarray,
    ) -> AllocationProblem:
        """The same instance for some zones only, on the land not yet reserved (one plan phase).

        Parameters
        ----------
        zones : numpy.ndarray
            Boolean per zone: the zones of this phase (others get no demand and no pairs).
        area_left_m2 : numpy.ndarray
            Land of each parcel still free; whole-unit mode drops every parcel already touched.
        land_left_m2 : float or None
            What is left of the land budget.
        sites_left : int or None
            What is left of the site limit.
        must_use : numpy.ndarray
            Indices of must-use parcels to place in this phase.

        Returns
        -------
        AllocationProblem
            A new instance on the same parcel and zone indices.
        """
        piece = self.min_piece_m2()
        free = area_left_m2 >= piece - 1e-6 if self.unit == "area" else area_left_m2 >= self.area_m2
        free &= area_left_m2 > 0
        keep = zones[self.pair_zone] & free[self.pair_parcel]
        dens = self.density()
        return replace(
            self,
            demand=np.where(zones, self.demand, 0.0),
            pair_parcel=self.pair_parcel[keep],
            pair_zone=self.pair_zone[keep],
            pair_dist=self.pair_dist[keep],
            pair_minutes=self.pair_minutes[keep] if self.pair_minutes is not None else None,
            area_m2=area_left_m2 if self.unit == "area" else self.area_m2,
            capacity=dens * area_left_m2 if self.unit == "area" else self.capacity,
            land_budget_m2=land_left_m2,
            max_sites=sites_left,
            must_use=must_use,
            piece_floor_m2=np.minimum(piece, area_left_m2) if self.unit == "area" else None,
        )

    # ------------------------------------------------------------------ solvers

    def solve_raw(self, *, method: str = "milp", time_limit_s: float = 60.0, mip_gap: float = 0.01) -> Solution:
        """Solve and return the per-pair arrays ``(y, r, x, status, gap)`` (see :mod:`~landplan.allocation.solvers`).

        Parameters
        ----------
        method : {"milp", "greedy"}
            Solver.
        time_limit_s : float, default 60
            MILP time limit.
        mip_gap : float, default 0.01
            MILP relative gap.
        """
        if method == "greedy":
            y, r, x, status, gap = solve_greedy(self)
            if self.max_unmet_share is not None:
                got = np.bincount(self.pair_zone, weights=x, minlength=len(self.demand))
                over = int((self.demand - got > self.max_unmet_share * self.demand + 1e-6).sum())
                if over:
                    status = N_("heuristic; fairness cap not met for {n} zones (use the MILP)").format(n=over)
            return y, r, x, status, gap
        return solve_milp(self, time_limit_s=time_limit_s, mip_gap=mip_gap)

    def solve(self, *, method: str = "milp", time_limit_s: float = 60.0, mip_gap: float = 0.01) -> Allocation:
        """Solve and tabulate per parcel and per zone.

        Parameters
        ----------
        method : {"milp", "greedy"}
            Solver.
        time_limit_s : float, default 60
            MILP time limit.
        mip_gap : float, default 0.01
            MILP relative gap.
        """
        t0 = time.perf_counter()
        y, r, x, status, gap = self.solve_raw(method=method, time_limit_s=time_limit_s, mip_gap=mip_gap)
        seconds = time.perf_counter() - t0
        return self.tabulate(y, x, r=r, method=method, status=status, gap=gap, seconds=seconds)

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

    def _zone_table(
        self, sel: np.ndarray, z: np.ndarray, x: np.ndarray, reserved: np.ndarray, dens: np.ndarray
    ) -> pd.DataFrame:
        """Per-zone demand, allocated and unmet units, commute distances and land of a solution."""
        nz = len(self.demand)
        allocated = np.bincount(z, weights=x[sel], minlength=nz)
        unit_dist = np.bincount(z, weights=x[sel] * self.pair_dist[sel], minlength=nz)
        max_dist = np.zeros(nz)
        np.maximum.at(max_dist, z, np.where(x[sel] > 0, self.pair_dist[sel], 0.0))
        land = np.bincount(z, weights=reserved, minlength=nz)
        with np.errstate(invalid="ignore", divide="ignore"):
            used = np.bincount(z, weights=np.where(dens > 0, x[sel] / dens, 0.0), minlength=nz)
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
                    "land_ha": ha(land),
                    "sites": np.bincount(z, minlength=nz),
                    "land_used_ha": ha(used),
                    "over_reservation": np.where(used > 0, land / used, np.nan),
                },
                index=self.zone_ids,
            )
        return zones

    def tabulate(
        self,
        y: np.ndarray,
        x: np.ndarray,
        *,
        r: np.ndarray | None = None,
        method: str,
        status: str,
        gap: float | None,
        seconds: float,
    ) -> Allocation:
        """Per-parcel (one row per reserved parcel-zone piece) and per-zone tables of a solution.

        Parameters
        ----------
        y, x : numpy.ndarray
            Per pair: 1 where reserved; units placed.
        r : numpy.ndarray, optional
            Reserved square metres per pair (default: the whole parcel).
        method, status : str
            Solver and its status.
        gap : float or None
            MIP gap.
        seconds : float
            Solve time.
        """
        sel = np.flatnonzero(y > 0.5)
        p, z = self.pair_parcel[sel], self.pair_zone[sel]
        whole = self.unit == "whole" or r is None
        reserved = self.area_m2[p] if r is None or whole else r[sel]
        dens = self.density()[p]
        parcels = pd.DataFrame(
            {
                "zone": self.zone_ids[z],
                "units": x[sel],
                "capacity_units": self.capacity[p] if whole else dens * reserved,
                "commute_m": self.pair_dist[sel],
                "area_ha": ha(self.area_m2[p]),
                "reserved_ha": ha(reserved),
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
        zones = self._zone_table(sel, z, x, reserved, dens)
        if self.pair_minutes is not None:
            self._minute_stats(zones, sel, z, x)
        return Allocation(
            parcels=parcels,
            zones=zones,
            method=method,
            status=status,
            objective=self.objective(y, x, reserved_full(sel, reserved, len(y))),
            gap=gap,
            seconds=seconds,
            pairs=len(self.pair_parcel),
        )


def reserved_full(sel: np.ndarray, reserved: np.ndarray, k: int) -> np.ndarray:
    """Reserved square metres per pair from the selected pairs' values.

    Parameters
    ----------
    sel : numpy.ndarray
        Indices of the reserved pairs.
    reserved : numpy.ndarray
        Their reserved square metres.
    k : int
        Number of pairs.
    """
    out = np.zeros(k)
    out[sel] = reserved
    return out


def _pairs(
    cand: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    reach_m: float,
    *,
    network: tuple[pd.DataFrame, pd.DataFrame, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Parcel-zone pairs within reach, sorted by parcel then zone: ``(parcel, zone, metres, minutes)``.

    Straight lines (STRtree ``dwithin`` within ``reach_m``) or, with ``network = (minutes, metres,
    max_minutes)``, the network travel times of the study.

    Parameters
    ----------
    cand, zones : geopandas.GeoDataFrame
        Candidate parcels and zones.
    reach_m : float
        Commute reach in metres (straight lines).
    network : tuple, optional
        Parcels x zones minutes and metres along the roads, and the reach in minutes.
    """
    if network is not None:
        minutes, metres, max_min = network
        cm = minutes.reindex(index=cand.index, columns=zones.index).to_numpy(dtype="float64")
        pi, zi = np.nonzero(cm <= max_min)  # row-major: sorted by parcel, then zone
        d = metres.reindex(index=cand.index, columns=zones.index).to_numpy(dtype="float64")[pi, zi]
        return pi, zi, d, cm[pi, zi]
    tree = shapely.STRtree(geoms(cand))
    zi, pi = tree.query(geoms(zones), predicate="dwithin", distance=reach_m)
    d = shapely.distance(geoms(cand)[pi], geoms(zones)[zi])
    order = np.lexsort((zi, pi))
    return pi[order], zi[order], d[order], None


def _land(
    parcels: gpd.GeoDataFrame, capacity: pd.Series, area_m2: pd.Series | None, spec: AllocationSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capacity and land per parcel (geometry area unless given), and the candidate mask."""
    cap = capacity.reindex(parcels.index).fillna(0).to_numpy(dtype="float64")
    area = (
        parcels.geometry.area.to_numpy()
        if area_m2 is None
        else area_m2.reindex(parcels.index).fillna(0).to_numpy(dtype="float64")
    )
    cap = np.where(area > 0, cap, 0.0)
    return cap, area, _candidates(parcels.index, cap, area, spec)


def _candidates(ids: pd.Index, cap: np.ndarray, area: np.ndarray, spec: AllocationSpec) -> np.ndarray:
    """Parcels that may hold housing: capacity > 0, at least ``min_site_ha``, not in ``must_not_use``.

    Parameters
    ----------
    ids : pandas.Index
        Parcel ids.
    cap, area : numpy.ndarray
        Capacity (units) and land (m²) per parcel.
    spec : AllocationSpec
        The allocation settings.

    Raises
    ------
    AllocationInfeasibleError
        For unknown must-use or must-not-use ids, and must-use parcels that cannot hold housing.
    """
    keep = cap > 0
    if spec.min_site_ha is not None:
        keep &= area >= m2(spec.min_site_ha)
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
    return np.asarray(keep, dtype=bool)
