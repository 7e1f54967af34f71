"""Demand per zone, parcel capacity and the capacity-aware allocation of demand to parcels.

:mod:`~landplan.allocation.demand` turns workers into dwelling units and land;
:mod:`~landplan.allocation.problem` holds the MILP (HiGHS) and greedy solvers;
:func:`~landplan.allocation.allocate.allocate` runs them on a scored study.
"""

from landplan.allocation.allocate import allocate, commute_reach_m
from landplan.allocation.problem import AllocationInfeasibleError, AllocationProblem
from landplan.model import Allocation

__all__ = ["Allocation", "AllocationInfeasibleError", "AllocationProblem", "allocate", "commute_reach_m"]
