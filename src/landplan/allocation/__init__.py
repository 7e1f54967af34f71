"""Demand per zone, parcel capacity and the capacity-aware allocation of demand to parcels.

:mod:`~landplan.allocation.demand` turns workers into dwelling units and land;
:mod:`~landplan.allocation.problem` holds the instance and its tables, and
:mod:`~landplan.allocation.solvers` the MILP (HiGHS) and greedy solvers, for whole parcels or
for areas of parcels; :mod:`~landplan.allocation.phasing` runs a plan phase by phase;
:func:`~landplan.allocation.allocate.allocate` runs them on a scored study.
"""

from landplan.allocation.allocate import OverReservationWarning, allocate, commute_reach_m, land_area_m2
from landplan.allocation.problem import AllocationInfeasibleError, AllocationProblem
from landplan.model import Allocation

__all__ = [
    "Allocation",
    "AllocationInfeasibleError",
    "AllocationProblem",
    "OverReservationWarning",
    "allocate",
    "commute_reach_m",
    "land_area_m2",
]
