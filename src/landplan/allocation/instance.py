"""The arrays of an allocation instance and its costs (shared by the problem and its solvers).

:class:`AllocationInstance` holds one row per parcel-zone pair within reach and the per-unit,
per-site and per-area costs; :class:`~landplan.allocation.problem.AllocationProblem` adds the
builders, checks, solving and tables on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from landplan.errors import InputError

__all__ = ["AllocationInfeasibleError", "AllocationInstance"]

_EPS_LAND = 1e-3  # tie-break: among equal allocations prefer less land


class AllocationInfeasibleError(InputError):
    """The allocation settings contradict each other; the message says what to relax."""


@dataclass(frozen=True)
class AllocationInstance:
    """Arrays of an allocation instance (one row per parcel-zone pair within reach) and its costs."""

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
    unit: str = "whole"  # "whole" parcels or "area" (see the module docstring)
    min_reserve_m2: float = 0.0  # area mode: smallest piece reserved for one zone
    piece_floor_m2: np.ndarray | None = None  # per parcel, when it differs from min(min_reserve, area)
    pair_minutes: np.ndarray | None = None  # per pair, network travel minutes (reach and cost use them)
    max_commute_min: float | None = None

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

    def land_cost_per_m2(self) -> float:
        """Small cost per reserved square metre in area mode (the same tie-break as :meth:`site_cost`)."""
        biggest = self.area_m2.max() if len(self.area_m2) else 1.0
        return _EPS_LAND / biggest if biggest > 0 else 0.0

    def density(self) -> np.ndarray:
        """Dwelling units per square metre of each parcel's land (``capacity / area``)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.area_m2 > 0, self.capacity / self.area_m2, 0.0)

    def min_piece_m2(self) -> np.ndarray:
        """Smallest reservable piece of each parcel: ``min_reserve_m2``, or the whole parcel if smaller."""
        if self.piece_floor_m2 is not None:
            return self.piece_floor_m2
        return np.minimum(self.min_reserve_m2, self.area_m2)

    def objective(self, y: np.ndarray, x: np.ndarray, r: np.ndarray | None = None) -> float:
        """Objective of a solution (``y`` 1 per reserved pair, ``x`` units, ``r`` reserved m² in area mode).

        Parameters
        ----------
        y : numpy.ndarray
            1 where a pair is reserved.
        x : numpy.ndarray
            Units placed per pair.
        r : numpy.ndarray, optional
            Reserved square metres per pair (area mode; whole mode uses the parcel's area).

        Returns
        -------
        float
            Units x per-unit cost + land tie-break + unmet penalty.
        """
        unmet = self.demand - np.bincount(self.pair_zone, weights=x, minlength=len(self.demand))
        land = y @ self.site_cost() if self.unit == "whole" or r is None else r.sum() * self.land_cost_per_m2()
        return float(x @ self.unit_cost() + land + self.unmet_penalty * unmet.sum())
