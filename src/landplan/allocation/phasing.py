"""Phased allocation: zones open in plan phases, and land reserved in one phase stays reserved.

A zone's phase comes from its ``phase_field`` (a phase name) or its ``year_field`` (the first
phase whose ``until`` year is not before the opening year). A zone with neither value is taken as
operating already and belongs to the first phase; a zone opening after the last phase is left out
of the plan (phase ``"after <year>"``, no demand allocated). The phases are solved in time order;
each one sees only the land, budget and site count the earlier phases left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from landplan.allocation.problem import AllocationInfeasibleError, AllocationProblem
from landplan.errors import InputError
from landplan.model import Allocation, ha

if TYPE_CHECKING:
    import geopandas as gpd

    from landplan.config import PhaseSpec, ZoneLayerSpec

__all__ = ["solve_phased", "zone_phases"]


def zone_phases(zones: gpd.GeoDataFrame, zspec: ZoneLayerSpec, phases: list[PhaseSpec]) -> pd.Series:
    """The plan phase of each zone, by name (``"after <year>"`` for zones opening after the plan).

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The zones layer, indexed by zone id.
    zspec : ZoneLayerSpec
        Its spec (``phase_field`` or ``year_field``, and ``path`` for messages).
    phases : list of PhaseSpec
        The scenario's ``[allocation] phases``, in time order.

    Returns
    -------
    pandas.Series
        Phase name per zone id.

    Raises
    ------
    InputError
        If no field is declared, a declared field is missing, a phase name is unknown, or a year
        is not a number.
    """
    names = [p.name for p in phases]
    where = f"{zspec.path} (layer zones)"
    field = zspec.phase_field or zspec.year_field
    if field is None:
        msg = (
            f"{where}: [allocation] phases need the zones' opening phase or year; set phase_field or year_field "
            "in [layers.zones]"
        )
        raise InputError(msg)
    if field not in zones:
        msg = f"{where}: no column {field!r} for the zones' phase or year; columns: {list(zones.columns)}"
        raise InputError(msg)
    raw = zones[field]
    blank = raw.isna() | raw.astype(str).str.strip().isin(["", "nan", "None"])
    if zspec.phase_field:
        text = raw.astype(str).str.strip()
        bad = sorted(set(text[~blank & ~text.isin(names)]))
        if bad:
            msg = f"{where}: field {field!r} has phases {bad[:5]} not in [allocation] phases {names}; use one of them"
            raise InputError(msg)
        return pd.Series(np.where(blank, names[0], text), index=zones.index, name="phase", dtype=object)
    years = pd.to_numeric(raw.where(~blank), errors="coerce")
    bad_years = raw[~blank & years.isna()]
    if len(bad_years):
        msg = f"{where}: field {field!r} has values {list(bad_years.astype(str)[:5])} that are not years; use e.g. 2027"
        raise InputError(msg)
    until = np.array([p.until for p in phases])
    pos = np.searchsorted(until, years.fillna(-np.inf).to_numpy(), side="left")
    label = np.array([*names, f"after {until[-1]}"], dtype=object)
    return pd.Series(label[pos], index=zones.index, name="phase", dtype=object)


def solve_phased(
    problem: AllocationProblem,
    phase: pd.Series,
    names: list[str],
    *,
    budgets_m2: list[float | None] | None = None,
    method: str,
    time_limit_s: float,
    mip_gap: float,
) -> tuple[Allocation, pd.DataFrame]:
    """Solve phase by phase, each on the land (and budget, sites) the earlier phases left.

    Parameters
    ----------
    problem : AllocationProblem
        The whole instance (every zone, every candidate pair).
    phase : pandas.Series
        Phase name per zone id (:func:`zone_phases`).
    names : list of str
        Phase names in time order.
    budgets_m2 : list of float or None, optional
        Each phase's own land budget (square metres), within the problem's overall budget.
    method : {"milp", "greedy"}
        Solver of every phase.
    time_limit_s, mip_gap : float
        MILP settings, per phase.

    Returns
    -------
    allocation : Allocation
        Tables with a ``phase`` column (parcels: per reserved piece; zones: its own phase).
    summary : pandas.DataFrame
        One row per phase: zones, demand, allocated and unmet units, land reserved, status.
    """
    zone_phase = phase.reindex(problem.zone_ids).to_numpy()
    state = _State(left=problem.area_m2.astype("float64").copy(), land=problem.land_budget_m2, sites=problem.max_sites)
    pending = set(problem.must_use.tolist())
    parts, zone_rows, rows, gaps, statuses = [], [], [], [], []
    objective, seconds = 0.0, 0.0
    for i, name in enumerate(names):
        in_phase = zone_phase == name
        own = budgets_m2[i] if budgets_m2 is not None else None
        reach = set(np.unique(problem.pair_parcel[in_phase[problem.pair_zone]]).tolist())
        must = np.array(sorted(pending & reach), dtype=int)
        done, reserved = _solve_phase(
            problem, in_phase, must, state, method=method, time_limit_s=time_limit_s, mip_gap=mip_gap, budget_m2=own
        )
        pending -= reserved
        parts.append(done.parcels.assign(phase=name))
        z = done.zones.loc[in_phase]
        zone_rows.append(z)
        objective, seconds = objective + done.objective, seconds + done.seconds
        gaps.append(done.gap)
        statuses.append(done.status)
        rows.append(_summary_row(name, z, state, done.status))
    if pending:
        bad = list(problem.parcel_ids[sorted(pending)].astype(str)[:5])
        msg = f"allocation: must_use parcels {bad} are beyond max_commute_m of every zone of every phase"
        raise AllocationInfeasibleError(msg)
    later = ~np.isin(zone_phase, names)
    zones = pd.concat([*zone_rows, _empty_rows(zone_rows[0], problem.zone_ids[later])])
    zones = zones.reindex(problem.zone_ids)
    zones.insert(0, "phase", zone_phase)
    parcels = pd.concat(parts)
    parcels = parcels[["zone", "phase", *[c for c in parcels.columns if c not in ("zone", "phase")]]]
    known = [g for g in gaps if g is not None]
    allocation = Allocation(
        parcels=parcels,
        zones=zones,
        method=method,
        status="; ".join(f"{n}: {s}" for n, s in zip(names, statuses, strict=True)),
        objective=objective,
        gap=max(known) if known else None,
        seconds=seconds,
        pairs=len(problem.pair_parcel),
    )
    if later.any():
        rows.append({"phase": str(zone_phase[later][0]), "zones": int(later.sum()), "status": "opens after the plan"})
    return allocation, pd.DataFrame(rows).set_index("phase")


def _summary_row(name: str, zones: pd.DataFrame, state: _State, status: str) -> dict[str, object]:
    """One phase's line of the summary: zones, demand, allocated, unmet, land reserved and left."""
    return {
        "phase": name,
        "zones": len(zones),
        "demand_units": float(zones["demand_units"].sum()),
        "allocated_units": float(zones["allocated_units"].sum()),
        "unmet_units": float(zones["unmet_units"].sum()),
        "land_ha": float(zones["land_ha"].sum()),
        "land_left_ha": float(ha(state.left.sum())),
        "status": status,
    }


@dataclass
class _State:
    """What earlier phases left: land per parcel (m²), land budget (m²), site count."""

    left: np.ndarray
    land: float | None
    sites: int | None


def _solve_phase(
    problem: AllocationProblem,
    in_phase: np.ndarray,
    must: np.ndarray,
    state: _State,
    *,
    method: str,
    time_limit_s: float,
    mip_gap: float,
    budget_m2: float | None = None,
) -> tuple[Allocation, set[int]]:
    """Solve one phase on what is left, update ``state``, return its tables and the parcels it reserved."""
    land = [b for b in (state.land, budget_m2) if b is not None]
    sub = problem.restrict(
        in_phase,
        area_left_m2=state.left,
        land_left_m2=min(land) if land else None,
        sites_left=state.sites,
        must_use=must,
    )
    sub.check()
    t0 = time.perf_counter()
    y, r, x, status, gap = sub.solve_raw(method=method, time_limit_s=time_limit_s, mip_gap=mip_gap)
    done = sub.tabulate(y, x, r=r, method=method, status=status, gap=gap, seconds=time.perf_counter() - t0)
    sel = y > 0.5
    left = state.left.copy()
    np.subtract.at(left, sub.pair_parcel[sel], r[sel])
    state.left = np.clip(left, 0.0, None)
    if state.land is not None:
        state.land = max(state.land - float(r[sel].sum()), 0.0)
    if state.sites is not None:
        state.sites = max(state.sites - int(sel.sum()), 0)
    return done, set(np.unique(sub.pair_parcel[sel]).tolist())


def _empty_rows(like: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Zone rows with no demand and nothing allocated (zones opening after the plan)."""
    out = pd.DataFrame(np.nan, index=index, columns=like.columns)
    for col in ("demand_units", "allocated_units", "unmet_units", "unmet_share", "land_ha", "land_used_ha"):
        out[col] = 0.0
    out["sites"] = 0
    return out
