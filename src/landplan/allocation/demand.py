"""Worker housing demand per industrial zone, and the housing capacity of parcels.

Per zone::

    workers          = zone attribute, or area_ha x workers_per_ha (flagged as estimated; a given count
                       is flagged too when the zone layer's ``workers_estimated_field`` says so)
    units_gross      = workers x share_needing_housing x (1 - share_already_housed) / persons_per_unit
    existing_units   = units of existing worker housing whose nearest zone (within commute range) is this one
    units_needed     = max(units_gross - existing_units, 0)
    floor_area_m2    = units_needed x gfa_per_unit_m2
    land_needed_ha   = floor_area_m2 / (buildable_share x floor_area_ratio) / 10,000

Per parcel: ``capacity_units = floor(area x buildable_share x floor_area_ratio / gfa_per_unit_m2)``
(or a capacity column), and 0 for excluded parcels.
Every number without a scenario value comes from the rule pack's ``[housing]`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.criteria._common import geoms
from landplan.errors import InputError
from landplan.model import Study, ha

if TYPE_CHECKING:
    from landplan.config import DemandSpec, RulePack

__all__ = ["DemandParams", "demand_params", "estimate_flags", "parcel_capacity", "study_demand", "zone_demand"]

_KEYS = (
    "share_needing_housing",
    "share_already_housed",
    "persons_per_unit",
    "gfa_per_unit_m2",
    "buildable_share",
    "floor_area_ratio",
    "workers_per_ha",
)


@dataclass(frozen=True)
class DemandParams:
    """The demand and capacity parameters of a run, with where each came from."""

    share_needing_housing: float
    share_already_housed: float
    persons_per_unit: float
    gfa_per_unit_m2: float
    buildable_share: float
    floor_area_ratio: float
    workers_per_ha: float
    sources: dict[str, str]

    @property
    def units_per_m2(self) -> float:
        """Dwelling units per square metre of parcel."""
        return self.buildable_share * self.floor_area_ratio / self.gfa_per_unit_m2


def demand_params(spec: DemandSpec, rules: RulePack) -> DemandParams:
    """Scenario values, or the rule pack's ``[housing]`` values (with their citations).

    Parameters
    ----------
    spec : DemandSpec
        The scenario's ``[demand]`` table.
    rules : RulePack
        The rule pack in force (defaults and their sources).
    """
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for key in _KEYS:
        given = getattr(spec, key)
        if given is not None:
            values[key], sources[key] = float(given), "scenario"
        else:
            values[key] = rules.housing_value(key)
            rule = rules.housing[key]
            sources[key] = f"rule pack {rules.meta.name}: {rule.source}" + ("" if rule.verified else " [unverified]")
    return DemandParams(**values, sources=sources)


def zone_demand(
    zones: gpd.GeoDataFrame,
    params: DemandParams,
    *,
    workers_field: str | None = None,
    workers_estimated_field: str | None = None,
    area_ha_field: str | None = None,
    existing: gpd.GeoDataFrame | None = None,
    existing_units_field: str = "units",
    commute_m: float | None = None,
) -> pd.DataFrame:
    """Dwelling units, floor area and land each zone needs.

    Parameters
    ----------
    zones
        Zones in a projected CRS (metres), indexed by zone id.
    params
        From :func:`demand_params`.
    workers_field
        Column with worker counts; missing or empty values are estimated from area.
    workers_estimated_field
        Column marking given counts that are themselves estimates (``1``, ``true``, ``yes``,
        ``y``, ``x``; anything else or empty: a reported count); ``workers_estimated`` is true
        for them as for the counts estimated here.
    area_ha_field
        Column with the zone area in hectares (else the footprint's area is used).
    existing
        Existing worker housing (points or polygons) with a capacity column in units; each
        site counts against its nearest zone, if that zone lies within ``commute_m``.
    existing_units_field
        Capacity column of ``existing``.
    commute_m
        Reach of existing housing (no limit when None).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``zones``: ``workers``, ``workers_estimated``, ``units_gross``,
        ``existing_units``, ``units_needed``, ``floor_area_m2``, ``land_needed_ha``.
    """
    index = zones.index
    workers, estimated = _zone_workers(zones, params, workers_field, workers_estimated_field, area_ha_field)
    gross = workers * params.share_needing_housing * (1 - params.share_already_housed) / params.persons_per_unit
    existing_units = pd.Series(0.0, index=index)
    if existing is not None and len(existing):
        if existing_units_field not in existing:
            msg = (
                f"existing housing layer has no column {existing_units_field!r} (units); "
                f"columns: {list(existing.columns)}"
            )
            raise InputError(msg)
        units = pd.to_numeric(existing[existing_units_field], errors="coerce").fillna(0).to_numpy()
        tree = shapely.STRtree(geoms(zones))
        (site, zone), dist = tree.query_nearest(geoms(existing), return_distance=True, all_matches=False)
        reach = dist <= (commute_m if commute_m is not None else np.inf)
        per_zone = np.bincount(zone[reach], weights=units[site[reach]], minlength=len(index))
        existing_units = pd.Series(per_zone, index=index)
    needed = (gross - existing_units).clip(lower=0)
    floor = needed * params.gfa_per_unit_m2
    return pd.DataFrame(
        {
            "workers": workers,
            "workers_estimated": estimated.to_numpy(),
            "units_gross": gross,
            "existing_units": existing_units,
            "units_needed": needed,
            "floor_area_m2": floor,
            "land_needed_ha": ha(floor / (params.buildable_share * params.floor_area_ratio)),
        },
        index=index,
    )


def _zone_workers(
    zones: gpd.GeoDataFrame,
    params: DemandParams,
    workers_field: str | None,
    workers_estimated_field: str | None,
    area_ha_field: str | None,
) -> tuple[pd.Series, pd.Series]:
    """Workers per zone (empty counts estimated from area) and whether each count is an estimate."""
    index = zones.index
    area_ha = (
        pd.to_numeric(zones[area_ha_field], errors="coerce")
        if area_ha_field and area_ha_field in zones
        else ha(zones.geometry.area)
    )
    if workers_field and workers_field in zones:
        workers = pd.to_numeric(zones[workers_field], errors="coerce")
    else:
        workers = pd.Series(np.nan, index=index)
    estimated = workers.isna()
    workers = workers.where(~estimated, area_ha * params.workers_per_ha).astype("float64")
    if workers_estimated_field and workers_estimated_field in zones:
        estimated = estimated | estimate_flags(zones[workers_estimated_field])
    if workers.isna().any():
        msg = f"zones {list(index[workers.isna()][:5])} have neither workers nor an area to estimate them from"
        raise InputError(msg)
    return workers, estimated


def estimate_flags(column: pd.Series) -> pd.Series:
    """True where a flag column says "estimate": ``1``, ``true``, ``yes``, ``y`` or ``x`` (any case).

    Parameters
    ----------
    column : pandas.Series
        The zone layer's ``workers_estimated_field``.

    Returns
    -------
    pandas.Series
        Booleans on the same index (False where empty).
    """
    text = column.astype("string").str.strip().str.lower()
    return text.isin(["1", "1.0", "true", "yes", "y", "x"]).fillna(False).astype(bool)


def parcel_capacity(
    parcels: gpd.GeoDataFrame,
    params: DemandParams,
    *,
    eligible: pd.Series | None = None,
    capacity_field: str | None = None,
    area_m2: pd.Series | None = None,
    whole_units: bool = True,
) -> pd.Series:
    """Dwelling units each parcel can hold (0 for excluded parcels).

    ``floor(area_m2 x buildable_share x floor_area_ratio / gfa_per_unit_m2)``, or the
    ``capacity_field`` column where the parcel layer has one (missing values fall back to
    the formula). Without ``whole_units`` the result is not rounded down: area-based
    allocation places units on parts of a parcel, at the parcel's density.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels in a projected CRS.
    params : DemandParams
        Demand parameters (buildable share, floor area ratio, floor area per unit).
    eligible : pandas.Series, optional
        Parcels that may hold housing; others get 0.
    capacity_field : str, optional
        A parcel column of unit counts to use where present.
    area_m2 : pandas.Series, optional
        Land of each parcel (e.g. the net developable area); default: the geometry's area.
    whole_units : bool, default True
        Round capacities down to whole units.
    """
    area = parcels.geometry.area if area_m2 is None else area_m2.reindex(parcels.index).fillna(0.0)
    rounding = np.floor if whole_units else np.asarray
    cap = rounding(area.to_numpy(dtype="float64") * params.units_per_m2)
    if capacity_field is not None:
        if capacity_field not in parcels:
            msg = f"parcels have no capacity column {capacity_field!r}"
            raise InputError(msg)
        given = pd.to_numeric(parcels[capacity_field], errors="coerce").to_numpy()
        cap = np.where(np.isnan(given), cap, rounding(given))
    out = pd.Series(cap, index=parcels.index, name="capacity_units", dtype="float64")
    if eligible is not None:
        out = out.where(eligible.reindex(parcels.index).fillna(False).astype(bool), 0.0)
    return out


def study_demand(study: Study, *, commute_m: float | None = None) -> tuple[pd.DataFrame, DemandParams]:
    """Demand per zone of a loaded study (its zones, existing housing and rule pack).

    Parameters
    ----------
    study : Study
        The loaded study; it needs zones with worker counts or areas.
    commute_m : float, optional
        The commute reach, for counting existing housing that serves a zone.

    Returns
    -------
    demand : pandas.DataFrame
        One row per zone (see :func:`zone_demand`), with the zone's display ``name`` first.
    params : DemandParams
        The parameters used and their sources.
    """
    s = study.scenario
    zspec = s.layers.zones
    zones = study.require_zones("demand")
    if zspec is None:  # pragma: no cover - zones come from the spec
        msg = "demand needs a [layers.zones] table"
        raise InputError(msg)
    params = demand_params(s.demand, study.rules)
    existing = study.layer(s.demand.existing_housing_layer) if s.demand.existing_housing_layer else None
    table = zone_demand(
        zones,
        params,
        workers_field=zspec.workers_field,
        workers_estimated_field=zspec.workers_estimated_field,
        area_ha_field=zspec.area_ha_field,
        existing=existing,
        existing_units_field=s.demand.existing_units_field,
        commute_m=commute_m,
    )
    if zspec.name_field:
        table.insert(0, "name", study.zone_names.reindex(zones.index).astype(str))
    return table, params
