"""Allocating each zone's housing demand to the scored parcels of a study."""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd

from landplan.allocation.demand import parcel_capacity, study_demand
from landplan.allocation.facilities import check_facilities, plan_facilities
from landplan.allocation.problem import AllocationProblem
from landplan.config import AllocationSpec
from landplan.criteria.access import zone_land_access
from landplan.model import Allocation, Scores, Study

__all__ = ["allocate", "commute_reach_m"]

logger = logging.getLogger(__name__)


def commute_reach_m(study: Study, spec: AllocationSpec) -> float:
    """The allocation's commute reach: ``max_commute_m``, else the rule pack's (the one place).

    Parameters
    ----------
    study : Study
        The loaded study (its rule pack).
    spec : AllocationSpec
        The allocation settings.

    Returns
    -------
    float
        Metres.
    """
    return spec.max_commute_m or study.rules.housing_value("max_commute_m")


def allocate(study: Study, scores: Scores, *, spec: AllocationSpec | None = None) -> Allocation:
    """Allocate each zone's housing demand to the scored parcels of a study.

    Parameters
    ----------
    study : Study
        The loaded study (zones, rule pack, demand settings).
    scores : Scores
        Its scores (eligibility and score of each parcel).
    spec : AllocationSpec, optional
        Allocation settings (default: the scenario's ``[allocation]`` table).

    Returns
    -------
    Allocation
        ``parcels``: selected parcels with zone, units, capacity, commute distance, area,
        score; ``zones``: demand (with the demand model's columns), allocated, unmet,
        commute statistics, land used, land within reach; solver facts.
    """
    spec = spec or study.scenario.allocation or AllocationSpec()
    zones = study.require_zones("allocation")
    reach = commute_reach_m(study, spec)
    if spec.facilities is not None:
        check_facilities(study, spec.facilities)
    demand, params = study_demand(study, commute_m=reach)
    # land is the net developable area: capacity, min_site_ha and land budgets count what is left
    parcels = scores.net.measured(study.parcels) if scores.net is not None else study.parcels
    capacity = parcel_capacity(
        parcels, params, eligible=scores.eligible, capacity_field=study.scenario.demand.capacity_field
    )
    problem = AllocationProblem.from_parcels(
        parcels,
        zones,
        capacity=capacity,
        score=scores.score,
        demand=demand["units_needed"],
        spec=spec,
        max_commute_m=reach,
    )
    method = spec.solver
    if method == "auto":
        method = "greedy" if len(problem.pair_parcel) > spec.auto_greedy_above else "milp"
    logger.info(
        "allocation: %d candidate parcels, %d pairs, solver %s",
        len(problem.parcel_ids),
        len(problem.pair_parcel),
        method,
    )
    result = problem.solve(method=method, time_limit_s=spec.time_limit_s, mip_gap=spec.mip_gap)
    access = zone_land_access(zones, parcels, eligible=capacity > 0, within_m=reach, workers=demand["workers"]).drop(
        columns="workers"
    )
    table = pd.concat([demand, result.zones, access.add_suffix("_reach")], axis=1)
    info = {"params": params.sources, "max_commute_m": reach, "candidates": len(problem.parcel_ids)}
    alloc = Allocation(
        parcels=result.parcels,
        zones=table,
        method=result.method,
        status=result.status,
        objective=result.objective,
        gap=result.gap,
        seconds=result.seconds,
        pairs=result.pairs,
        info=info,
    )
    if spec.facilities is not None:  # second stage: never changes the housing allocation above
        programme = plan_facilities(
            study, scores, alloc, spec=spec.facilities, land_budget_ha=spec.land_budget_ha, reach_m=reach
        )
        alloc = dataclasses.replace(alloc, facilities=programme)
    return alloc
