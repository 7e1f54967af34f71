"""Allocating each zone's housing demand to the scored parcels of a study."""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace

import pandas as pd

from landplan.allocation.demand import DemandParams, parcel_capacity, study_demand
from landplan.allocation.facilities import check_facilities, facility_plan
from landplan.allocation.facility_result import land_points
from landplan.allocation.joint_study import JointRun, check_joint, joint_programme, solve_study_joint
from landplan.allocation.phasing import solve_phased, zone_phases
from landplan.allocation.problem import AllocationProblem
from landplan.config import AllocationSpec
from landplan.criteria.access import zone_land_access
from landplan.criteria.network import zone_land_reach
from landplan.model import Allocation, Scores, Study, m2

__all__ = [
    "OVER_RESERVATION_LIMIT",
    "OverReservationWarning",
    "allocate",
    "commute_reach_m",
    "commute_reach_min",
    "land_area_m2",
]

logger = logging.getLogger(__name__)

#: zones whose reserved land exceeds the land their allocated units need by more than this ratio are named
OVER_RESERVATION_LIMIT = 1.25


class OverReservationWarning(UserWarning):
    """Some zones reserve much more land than their allocated units need (whole-parcel allocation)."""


def land_area_m2(study: Study, scores: Scores | None = None) -> pd.Series:
    """Land of each parcel available for housing: net developable area if known, else the geometry's area.

    The net area comes from ``scores.net`` (when scoring subtracts constrained land) or a
    ``net_area_m2`` parcel column; otherwise the parcel's whole area is used.

    Parameters
    ----------
    study : Study
        The loaded study.
    scores : Scores, optional
        Its scores.

    Returns
    -------
    pandas.Series
        Square metres by parcel id.
    """
    net = getattr(scores, "net", None)
    if net is not None and net.subtracted:  # the net developable area of the subtract-mode constraints
        return net.area_m2.reindex(study.parcels.index).astype("float64")
    if "net_area_m2" in study.parcels:
        return pd.to_numeric(study.parcels["net_area_m2"], errors="coerce").fillna(0.0)
    return study.parcels.geometry.area


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


def commute_reach_min(study: Study, spec: AllocationSpec) -> float:
    """The allocation's commute reach along the network: ``max_commute_min``, else the rule pack's.

    Parameters
    ----------
    study : Study
        The loaded study (its rule pack).
    spec : AllocationSpec
        The allocation settings.

    Returns
    -------
    float
        Minutes of network travel.
    """
    return spec.max_commute_min or study.rules.housing_value("max_commute_min")


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
        ``parcels``: reserved pieces with zone, (phase,) units, capacity, commute distance,
        area, reserved area, score; ``zones``: demand (with the demand model's columns),
        allocated, unmet, commute statistics, land reserved and used, over-reservation, land
        within reach; solver facts; the per-phase summary of a phased plan.

    Warns
    -----
    OverReservationWarning
        When some zones reserve more than ``OVER_RESERVATION_LIMIT`` times the land their
        allocated units need (the zones are named; also in ``info["warnings"]``).
    """
    spec = spec or study.scenario.allocation or AllocationSpec()
    zones = study.require_zones("allocation")
    zspec = study.scenario.layers.zones
    phase = zone_phases(zones, zspec, spec.phases) if spec.phases and zspec is not None else None
    reach = commute_reach_m(study, spec)
    if spec.facilities is not None:
        check_facilities(study, spec.facilities)
        check_joint(spec)
    demand, params = study_demand(study, commute_m=reach)
    problem, capacity, min_reserve = _problem(
        study, scores, spec, demand=demand["units_needed"], params=params, reach=reach
    )
    result, phases, joint = _solve(study, problem, phase, spec, zones=demand)
    access = _land_access(study, zones, capacity=capacity, demand=demand, reach=reach, spec=spec)
    table = pd.concat([demand, result.zones, access.add_suffix("_reach")], axis=1)
    if "phase" in table:
        table = table[["phase", *[c for c in table.columns if c != "phase"]]]
    info = {
        "params": params.sources,
        "max_commute_m": reach,
        "candidates": len(problem.parcel_ids),
        "unit": spec.unit,
        "min_reserve_ha": min_reserve if spec.unit == "area" else None,
        "warnings": _over_reservation(table, study),
    }
    if study.network is not None:
        info["max_commute_min"] = commute_reach_min(study, spec)
    alloc = replace(result, zones=table, info=info, phases=phases)
    if spec.facilities is not None and joint is not None:  # the facility land was solved with the housing
        programme = joint_programme(study, joint)
        alloc = replace(alloc, facilities=programme, facility_land=land_points(programme, study.parcels.geometry))
    elif spec.facilities is not None:  # second stage: never changes the housing allocation above
        plan = facility_plan(
            study, scores, alloc, spec=spec.facilities, land_budget_ha=spec.land_budget_ha, reach_m=reach
        )
        alloc = replace(alloc, facilities=plan.programme, facility_land=plan.land, facility_existing=plan.existing)
    return alloc


def _solve(
    study: Study, problem: AllocationProblem, phase: pd.Series | None, spec: AllocationSpec, *, zones: pd.DataFrame
) -> tuple[Allocation, pd.DataFrame | None, JointRun | None]:
    """Solve the instance (phase by phase for a phased plan, jointly with facilities) with the scenario's solver."""
    if spec.facilities is not None and spec.facilities.method == "joint":
        logger.info(
            "allocation: %d candidate parcels, %d pairs, joint MILP with facilities",
            len(problem.parcel_ids),
            len(problem.pair_parcel),
        )
        result, run = solve_study_joint(study, problem, spec, zones=zones)
        return result, None, run
    method = spec.solver
    if method == "auto":
        method = "greedy" if len(problem.pair_parcel) > spec.auto_greedy_above else "milp"
    logger.info(
        "allocation: %d candidate parcels, %d pairs, solver %s, unit %s",
        len(problem.parcel_ids),
        len(problem.pair_parcel),
        method,
        spec.unit,
    )
    if phase is None:
        return problem.solve(method=method, time_limit_s=spec.time_limit_s, mip_gap=spec.mip_gap), None, None
    names = [p.name for p in spec.phases]
    budgets = [None if p.land_budget_ha is None else m2(p.land_budget_ha) for p in spec.phases]
    result, phases = solve_phased(
        problem, phase, names, budgets_m2=budgets, method=method, time_limit_s=spec.time_limit_s, mip_gap=spec.mip_gap
    )
    return result, phases, None


def _land_access(
    study: Study, zones: pd.DataFrame, *, capacity: pd.Series, demand: pd.DataFrame, reach: float, spec: AllocationSpec
) -> pd.DataFrame:
    """Land and workers within each zone's commute: along the roads with a network, else straight lines."""
    minutes = study.network.zone_minutes if study.network is not None else None
    if minutes is not None:
        reach_min = commute_reach_min(study, spec)
        area = study.parcels.geometry.area
        access = zone_land_reach(minutes, area, eligible=capacity > 0, within_min=reach_min)
        access = access.reindex(zones.index)
        access["workers_within"] = demand["workers"].where(access["nearest_eligible_min"] <= reach_min, 0)
        return access
    return zone_land_access(
        zones, study.parcels, eligible=capacity > 0, within_m=reach, workers=demand["workers"]
    ).drop(columns="workers")


def _problem(
    study: Study, scores: Scores, spec: AllocationSpec, *, demand: pd.Series, params: DemandParams, reach: float
) -> tuple[AllocationProblem, pd.Series, float]:
    """The allocation instance of a study: land (net if known), capacity, minimum piece, pairs within reach."""
    land = land_area_m2(study, scores)
    capacity = parcel_capacity(
        study.parcels,
        params,
        eligible=scores.eligible,
        capacity_field=study.scenario.demand.capacity_field,
        area_m2=land,
        whole_units=spec.unit == "whole",
    )
    min_reserve = spec.min_reserve_ha
    if min_reserve is None:
        min_reserve = study.rules.housing_value("min_reserve_ha") if "min_reserve_ha" in study.rules.housing else 0.0
    problem = AllocationProblem.from_parcels(
        study.parcels,
        study.require_zones("allocation"),
        capacity=capacity,
        score=scores.score,
        demand=demand,
        spec=spec,
        max_commute_m=reach,
        area_m2=land,
        min_reserve_ha=min_reserve,
        commute_min=study.network.zone_minutes if study.network is not None else None,
        network_m=study.network.zone_distance_m if study.network is not None else None,
        max_commute_min=commute_reach_min(study, spec) if study.network is not None else None,
    )
    return problem, capacity, min_reserve


def _over_reservation(zones: pd.DataFrame, study: Study) -> list[str]:
    """Warn (and return the text) when zones reserve far more land than their units need."""
    ratio = zones["over_reservation"]
    over = ratio[ratio > OVER_RESERVATION_LIMIT].sort_values(ascending=False, kind="stable")
    if over.empty:
        return []
    names = study.zone_names.reindex(over.index).fillna(pd.Series(over.index.astype(str), index=over.index))
    listed = ", ".join(f"{n} ({r:.2f}x)" for n, r in zip(names.astype(str), over, strict=True))
    msg = (
        f"{len(over)} zones reserve more than {OVER_RESERVATION_LIMIT}x the land their allocated units need: "
        f'{listed}; use [allocation] unit = "area" or smaller candidate units'
    )
    warnings.warn(msg, OverReservationWarning, stacklevel=3)
    return [msg]
