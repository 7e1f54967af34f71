"""Second stage of the allocation: social infrastructure and trade-union institutions (issue 16).

Given the housing allocation (never recomputed here), this stage answers, per housing site,
"what does this site need built" and reserves land for it:

1. **Demand** for places by facility kind: ``units x persons_per_unit x places_per_1000 / 1000``
   (rounded up to whole places), with the rates from the rule pack's ``[facility]`` table.
   Kinds with no per-place rate (health station, market, cultural house, sports ground) need
   one site each.
2. **Absorption** by existing facilities, a capacity-aware two-step floating catchment:
   each existing facility's free places (capacity - current load) are shared among the housing
   sites within its service radius in proportion to their demand; a site absorbs
   ``min(demand, sum of its shares)``, rounded down. Per-site kinds are absorbed when one such
   facility lies within the radius. Pairs come from one STRtree query per kind.
3. **Land** for what is missing: ``places x m2_per_place`` (or the kind's ``min_site_m2``), placed
   greedily - first inside the housing site's spare land (its area not needed by its units;
   smallest needs first), then on the nearest eligible parcel not reserved for housing within
   the kind's radius (largest needs first, while the land budget allows), last inside the site
   by displacing housing (``units_displaced``). What fits nowhere is ``unplaced``.
4. **Trade-union institutions**: each zone with at least ``workers_threshold`` workers gets one
   site of ``site_m2``: in the spare land of one of its housing sites, else on the eligible
   parcel nearest to its housing within the commute reach, else displacing housing.

Parcels used for facilities outside the housing sites count against ``land_budget_ha`` together
with the housing land. The result is one table (:func:`plan_facilities`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.allocation.catchment import (
    check_catchment,
    population,
    resident_demand,
    service_pairs,
    site_demand,
    two_step_absorption,
    two_step_flows,
)
from landplan.allocation.facility_land import (
    housing_land,
    place_displacing,
    place_inside,
    place_nearby,
    place_trade_union,
)
from landplan.allocation.facility_result import EXISTING_COLUMNS, FacilityPlan, land_points
from landplan.config import FacilitiesSpec, RulePack
from landplan.errors import InputError
from landplan.model import Allocation, Scores, Study

__all__ = [
    "PROGRAMME_COLUMNS",
    "check_facilities",
    "existing_facilities",
    "facility_norm",
    "facility_plan",
    "plan_facilities",
    "site_demand",
    "trade_union_needs",
    "two_step_absorption",
    "two_step_flows",
]

#: columns of the facility programme table
PROGRAMME_COLUMNS = [
    "site",
    "zone",
    "kind",
    "unit",
    "needed",
    "absorbed",
    "to_build",
    "land_m2",
    "placement",
    "host",
    "distance_m",
    "units_displaced",
    "norm",
    "verified",
]
TRADE_UNION = "trade_union_institution"


def check_facilities(study: Study, spec: FacilitiesSpec) -> None:
    """Check the facility settings against the study before any heavy work.

    Parameters
    ----------
    study : Study
        The loaded study.
    spec : FacilitiesSpec
        The ``[allocation.facilities]`` table.

    Raises
    ------
    InputError
        If the layer or a field is missing, a kind is not in the rule pack, or a capacity or
        load is not a non-negative number.
    """
    unknown = sorted(set(spec.kinds or []) - set(study.rules.facility))
    if unknown:
        known = sorted(study.rules.facility)
        msg = f"[allocation.facilities] kinds {unknown} are not in the rule pack's [facility] table; known: {known}"
        raise InputError(msg)
    no_radius = sorted(set(spec.kinds or study.rules.facility) - set(study.rules.service_radius_m))
    if no_radius:
        msg = f"rule pack {study.rules.meta.name!r} has no [service_radius_m] for facility kinds {no_radius}; add them"
        raise InputError(msg)
    check_catchment(study, spec)
    if spec.population_layer is not None:
        _check_population(study, spec)
    if spec.layer is None:
        return
    if spec.layer not in study.layer_names:
        msg = f"[allocation.facilities] layer {spec.layer!r} is not a layer of the scenario; add it under [layers]"
        raise InputError(msg)
    layer = study.layer(spec.layer)
    for name in (spec.kind_field, spec.capacity_field, spec.load_field):
        if name is not None and name not in layer.columns:
            fields = sorted(map(str, layer.columns.drop("geometry")))
            msg = f"layer {spec.layer!r} has no field {name!r} (set in [allocation.facilities]); fields: {fields}"
            raise InputError(msg)
    for name in (spec.capacity_field, spec.load_field):
        if name is not None:
            values = pd.to_numeric(layer[name], errors="coerce")
            if (values < 0).any() or (values.isna() & layer[name].notna()).any():
                msg = (
                    f"layer {spec.layer!r}, field {name!r}: capacities and loads must be non-negative numbers; "
                    "fix the values"
                )
                raise InputError(msg)


def _check_population(study: Study, spec: FacilitiesSpec) -> None:
    """The population layer exists, has a non-negative ``population_field``, and no load competes with it."""
    name, field = spec.population_layer, spec.population_field
    if spec.load_field is not None:
        msg = (
            f"[allocation.facilities] sets both load_field ({spec.load_field!r}) and population_layer ({name!r}): "
            "existing residents would be counted twice; keep one"
        )
        raise InputError(msg)
    if name not in study.layer_names:
        msg = f"[allocation.facilities] population_layer {name!r} is not a layer of the scenario; add it under [layers]"
        raise InputError(msg)
    layer = study.layer(str(name))
    values = pd.to_numeric(layer[field], errors="coerce") if field in layer.columns else None
    if values is None or values.isna().any() or (values < 0).any():
        msg = (
            f"layer {name!r}, field {field!r} (population_field): needs a non-negative number of residents per feature"
        )
        raise InputError(msg)


def _existing(study: Study, spec: FacilitiesSpec, kind: str, rules: RulePack) -> gpd.GeoDataFrame:
    """Existing facilities of one kind: ``name``, ``capacity`` and current ``load`` (places)."""
    if spec.layer is None:
        return gpd.GeoDataFrame({"name": [], "capacity": [], "load": [], "layer_row": []}, geometry=[], crs=study.crs)
    layer = study.layer(spec.layer)
    sel = layer[layer[spec.kind_field].astype(str) == kind]
    default = rules.facility_value(kind, "default_capacity")
    cap = np.full(len(sel), default.value if default is not None else 0.0)
    if spec.capacity_field is not None:
        given = pd.to_numeric(sel[spec.capacity_field], errors="coerce").to_numpy(dtype=float)
        cap = np.where(np.isnan(given), cap, given)
    residents_known = spec.population_layer is not None or spec.population_raster is not None
    load = cap * (0.0 if residents_known else spec.default_load_share)
    if spec.load_field is not None:
        given = pd.to_numeric(sel[spec.load_field], errors="coerce").to_numpy(dtype=float)
        load = np.where(np.isnan(given), load, given)
    layer_spec = dict(study.scenario.layers.items()).get(spec.layer)
    name, ids = (layer_spec.name_field, layer_spec.id_field) if layer_spec is not None else (None, None)
    names = sel[name].astype(str).to_numpy() if name and name in sel else np.full(len(sel), "")
    index = pd.Index(sel[ids] if ids and ids in sel else sel.index, name="facility_id")
    # layer_row: the feature's index in the layer (the road graph knows the facilities by it)
    frame = {"name": names, "capacity": cap, "load": np.minimum(load, cap), "layer_row": sel.index}
    return gpd.GeoDataFrame(frame, geometry=sel.geometry.values, index=index, crs=layer.crs)


def _by_layer_row(existing: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The facilities' geometries indexed by their index in the layer."""
    return gpd.GeoSeries(existing.geometry.values, index=pd.Index(existing["layer_row"]), crs=existing.crs)


def existing_facilities(study: Study, spec: FacilitiesSpec, kind: str) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Existing facilities of one kind and their free places (capacity - load, default from the rule pack).

    Parameters
    ----------
    study : Study
        The loaded study (facility layer, rule pack).
    spec : FacilitiesSpec
        The ``[allocation.facilities]`` settings.
    kind : str
        Facility kind.

    Returns
    -------
    tuple
        Geometries and free places per facility.
    """
    existing = _existing(study, spec, kind, study.rules)
    return _by_layer_row(existing), np.clip(existing["capacity"].to_numpy() - existing["load"].to_numpy(), 0, None)


def facility_norm(rules: RulePack, kind: str) -> tuple[str, bool]:
    """The citation of a kind's sizing rule and whether every figure used is verified.

    Parameters
    ----------
    rules : RulePack
        The rule pack.
    kind : str
        Facility kind.
    """
    return _norm(rules, kind)


def trade_union_needs(study: Study, zones: pd.DataFrame, spec: FacilitiesSpec) -> pd.DataFrame:
    """One row per zone at or above the worker threshold: an institution site (not yet placed).

    Parameters
    ----------
    study : Study
        The loaded study (rule pack).
    zones : pandas.DataFrame
        Zone table with ``workers`` (e.g. ``Allocation.zones`` or the demand table).
    spec : FacilitiesSpec
        The ``[allocation.facilities]`` settings.
    """
    return _trade_union_needs(study, zones, spec)


def _shared_sites(sites: gpd.GeoDataFrame, near_existing: np.ndarray, *, radius_m: float) -> np.ndarray:
    """Per-site kinds: 1 where an existing facility, or one built for a larger site, is within reach.

    Greedy cover: sites with no existing facility within ``radius_m``, largest first, each get a
    new facility that also serves the uncovered sites within ``radius_m`` of it.
    """
    covered = np.zeros(len(sites), dtype=bool)
    geom = np.asarray(sites.geometry.values)
    covered[near_existing] = True  # an existing facility within its service area
    si, sj = shapely.STRtree(geom).query(geom, predicate="dwithin", distance=radius_m)
    starts = np.searchsorted(si, np.arange(len(sites) + 1))
    built = np.zeros(len(sites), dtype=bool)
    for i in np.lexsort((np.arange(len(sites)), -sites["units"].to_numpy(dtype=float))):
        if not covered[i]:  # a new facility here serves its neighbours too (loop over uncovered sites only)
            built[i] = True
            covered[sj[starts[i] : starts[i + 1]]] = True
    covered[built] = False
    return covered.astype(float)


def _norm(rules: RulePack, kind: str) -> tuple[str, bool]:
    """The citation of a kind's sizing rule and whether every figure used is verified."""
    keys = ["places_per_1000", "m2_per_place", "min_site_m2"]
    used = [v for k in keys if (v := rules.facility_value(kind, k)) is not None]
    radius = rules.service_radius_m.get(kind)
    parts = [f"{k} {v.value:g}" for k in keys if (v := rules.facility_value(kind, k)) is not None]
    if radius is not None:
        parts.append(f"radius {radius.value:g} m")
        used.append(radius)
    sources = sorted({v.source for v in used})
    return "; ".join(parts) + " (" + " / ".join(sources) + ")", all(v.verified for v in used)


def _kind_needs(
    study: Study, spec: FacilitiesSpec, sites: gpd.GeoDataFrame, persons: float, kind: str
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Programme rows of one kind (one per site) and its existing facilities after the allocation."""
    rules = study.rules
    rate = rules.facility_value(kind, "places_per_1000")
    per_place = rules.facility_value(kind, "m2_per_place")
    min_site = rules.facility_value(kind, "min_site_m2")
    radius = rules.radius_m(kind)
    existing = _existing(study, spec, kind, rules)
    near = service_pairs(study, spec, sites.geometry, _by_layer_row(existing), kind=kind, radius_m=radius)
    if rate is not None:
        needed = site_demand(sites["units"], persons_per_unit=persons, places_per_1000=rate.value).to_numpy()
        absorbed = _absorb(
            study, spec, sites, needed=needed, existing=existing, near=near, rate=rate.value, radius_m=radius
        )
        unit = "places"
    else:  # one site per group of housing sites with no such facility within the radius
        needed, absorbed = np.ones(len(sites)), _shared_sites(sites, near[0], radius_m=radius)
        existing[["capacity", "load", "absorbed"]] = np.nan
        existing["sites_served"] = np.bincount(near[1], minlength=len(existing)).astype(float)
        unit = "sites"
    existing["free"] = existing["capacity"] - existing["load"] - existing["absorbed"]
    existing.insert(0, "kind", kind)
    to_build = needed - absorbed
    land = to_build * (per_place.value if per_place is not None else 0.0)
    if min_site is not None:
        land = np.where(to_build > 0, np.maximum(land, min_site.value), 0.0)
    norm, verified = _norm(rules, kind)
    rows = pd.DataFrame(
        {
            "site": sites.index.astype(str),
            "zone": sites["zone"].astype(str).to_numpy(),
            "kind": kind,
            "unit": unit,
            "needed": needed,
            "absorbed": absorbed,
            "to_build": to_build,
            "land_m2": land,
            "radius_m": radius,
            "norm": norm,
            "verified": verified,
        }
    )
    return rows, existing


def _absorb(
    study: Study,
    spec: FacilitiesSpec,
    sites: gpd.GeoDataFrame,
    *,
    needed: np.ndarray,
    existing: gpd.GeoDataFrame,
    near: tuple[np.ndarray, np.ndarray],
    rate: float,
    radius_m: float,
) -> np.ndarray:
    """Places each site absorbs; the facilities' ``load``, ``absorbed`` and ``sites_served`` set in place.

    Existing residents compete for the same free places: a population layer's features as extra
    demand points in the catchment, a population raster's residents as demand each facility sees.
    """
    geoms = existing.geometry
    people, residents = population(study, spec)
    demand = np.concatenate([needed, np.ceil(residents * rate / 1000.0 - 1e-9)])
    seekers = gpd.GeoSeries(np.concatenate([np.asarray(sites.geometry.values), np.asarray(people.values)]))
    pi, pj = shapely.STRtree(np.asarray(geoms.values)).query(
        np.asarray(people.values), predicate="dwithin", distance=radius_m
    )
    pairs = (np.concatenate([near[0], pi + len(sites)]), np.concatenate([near[1], pj]))
    extra = resident_demand(study, spec, geoms, rate=rate, radius_m=radius_m) if len(geoms) else np.zeros(0)
    free = np.clip(existing["capacity"].to_numpy() - existing["load"].to_numpy(), 0, None)
    absorbed, si, fj, taken = two_step_flows(
        seekers, demand, geoms, free, radius_m=radius_m, pairs=pairs, resident_demand=extra
    )
    new = si < len(sites)
    load = np.bincount(fj[~new], weights=taken[~new], minlength=len(existing)).astype(float)  # int when empty
    if extra.any():  # the raster's residents take their share of each facility's free places
        total = np.bincount(fj, weights=demand[si], minlength=len(existing)) + extra
        with np.errstate(invalid="ignore", divide="ignore"):
            load += np.where(total > 0, np.minimum(extra, free * extra / total), 0.0)
    existing["load"] = existing["load"].to_numpy(dtype=float) + load
    existing["absorbed"] = np.bincount(fj[new], weights=taken[new], minlength=len(existing))
    existing["sites_served"] = np.bincount(fj[new & (taken > 0)], minlength=len(existing)).astype(float)
    return absorbed[: len(sites)]


def _needs(
    study: Study, spec: FacilitiesSpec, sites: gpd.GeoDataFrame, persons: float
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """One row per (site, kind): places needed, absorbed, to build and the land they take; the existing facilities."""
    parts = [_kind_needs(study, spec, sites, persons, kind) for kind in spec.kinds or sorted(study.rules.facility)]
    existing = pd.concat([e for _, e in parts]) if parts else _existing(study, FacilitiesSpec(), "", study.rules)
    return pd.concat([r for r, _ in parts], ignore_index=True), gpd.GeoDataFrame(existing, crs=study.crs)


def _trade_union_needs(study: Study, zones: pd.DataFrame, spec: FacilitiesSpec) -> pd.DataFrame:
    """One row per zone at or above the worker threshold: an institution site of ``site_m2``."""
    rules = study.rules
    threshold_rule, site_rule = rules.trade_union.get("workers_threshold"), rules.trade_union.get("site_m2")
    threshold = spec.workers_threshold or (threshold_rule.value if threshold_rule else None)
    site_m2 = spec.site_m2 or (site_rule.value if site_rule else None)
    if not spec.trade_union or threshold is None or site_m2 is None or "workers" not in zones:
        return pd.DataFrame(columns=PROGRAMME_COLUMNS)
    workers = pd.to_numeric(zones["workers"], errors="coerce").fillna(0)
    big = workers.index[workers >= threshold].sort_values()
    used = [v for v in (threshold_rule, site_rule) if v is not None]
    norm = f"workers >= {threshold:g}; site {site_m2:g} m2 (" + " / ".join(v.source for v in used) + ")"
    return pd.DataFrame(
        {
            "site": "",
            "zone": big.astype(str),
            "kind": TRADE_UNION,
            "unit": "sites",
            "needed": 1.0,
            "absorbed": 0.0,
            "to_build": 1.0,
            "land_m2": site_m2,
            "norm": norm,
            "verified": all(v.verified for v in used) and spec.workers_threshold is None and spec.site_m2 is None,
        }
    )


def plan_facilities(
    study: Study,
    scores: Scores,
    alloc: Allocation,
    *,
    spec: FacilitiesSpec,
    land_budget_ha: float | None = None,
    reach_m: float,
) -> pd.DataFrame:
    """The facility programme of an allocation: what each housing site needs built, and where.

    Parameters
    ----------
    study : Study
        The loaded study (parcels, zones, rule pack, facility layer).
    scores : Scores
        Its scores (eligible parcels can host facilities).
    alloc : Allocation
        The housing allocation (``parcels`` with ``zone``, ``units``, ``area_ha`` and, when
        present, ``capacity_units`` or ``reserved_ha``; ``zones`` with ``workers``).
    spec : FacilitiesSpec
        The ``[allocation.facilities]`` settings.
    land_budget_ha : float, optional
        The allocation's land budget; parcels used for facilities count against what the
        housing left.
    reach_m : float
        Commute reach (trade-union institutions lie within it of their zone).

    Returns
    -------
    pandas.DataFrame
        One row per (housing site, kind) and per trade-union institution, with
        :data:`PROGRAMME_COLUMNS`, sorted by site, then kind.
    """
    return facility_plan(study, scores, alloc, spec=spec, land_budget_ha=land_budget_ha, reach_m=reach_m).programme


def facility_plan(
    study: Study,
    scores: Scores,
    alloc: Allocation,
    *,
    spec: FacilitiesSpec,
    land_budget_ha: float | None = None,
    reach_m: float,
) -> FacilityPlan:
    """:func:`plan_facilities` with where the land lies and the existing facilities' remaining capacity.

    Parameters
    ----------
    study : Study
        The loaded study (parcels, zones, rule pack, facility layer).
    scores : Scores
        Its scores (eligible parcels can host facilities).
    alloc : Allocation
        The housing allocation.
    spec : FacilitiesSpec
        The ``[allocation.facilities]`` settings.
    land_budget_ha : float, optional
        The allocation's land budget.
    reach_m : float
        Commute reach (trade-union institutions lie within it of their zone).

    Returns
    -------
    FacilityPlan
    """
    check_facilities(study, spec)
    sites, land = housing_land(study, scores, alloc, land_budget_ha)
    persons = study.scenario.demand.persons_per_unit or study.rules.housing_value("persons_per_unit")
    if len(sites):
        needs, existing = _needs(study, spec, sites, persons)
    else:
        needs = pd.DataFrame(columns=[*PROGRAMME_COLUMNS, "radius_m"])
        existing = gpd.GeoDataFrame(columns=[*EXISTING_COLUMNS, "geometry"], geometry="geometry", crs=study.crs)
    needs["placement"], needs["host"], needs["distance_m"], needs["units_displaced"] = "", "", np.nan, 0.0
    if len(needs):
        needs.loc[needs["land_m2"] <= 0, "placement"] = "none needed"
        place_inside(needs, land)
        place_nearby(needs, land)
        place_displacing(needs, land)
    tu = _trade_union_needs(study, alloc.zones, spec)
    tu["placement"], tu["host"], tu["distance_m"], tu["units_displaced"] = "", "", np.nan, 0.0
    if len(tu):
        place_trade_union(tu, study, sites, land, reach_m)
    out = pd.concat([needs.drop(columns="radius_m"), tu], ignore_index=True)[PROGRAMME_COLUMNS]
    out = out.astype(
        {"needed": float, "absorbed": float, "to_build": float, "land_m2": float, "units_displaced": float}
    )
    out = out.sort_values(["zone", "site", "kind"], kind="stable").reset_index(drop=True)
    return FacilityPlan(out, land_points(out, land.geoms), existing[[*EXISTING_COLUMNS, "geometry"]])
