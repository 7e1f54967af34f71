"""Land for the facility programme: spare land in housing sites, nearby parcels, the land budget.

The placement rules of :mod:`landplan.allocation.facilities` (its module docstring explains the
order): stage A in each site's spare land, stage B on the nearest eligible parcel not reserved
for housing within the kind's radius while the land budget allows, stage C displacing housing;
trade-union institutions next to their zone's housing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.model import Allocation, Scores, Study

__all__ = ["Land", "housing_land", "place_displacing", "place_inside", "place_nearby", "place_trade_union"]


@dataclass
class Land:
    """Land still free for facilities: spare area of housing sites, other parcels, the budget."""

    spare_m2: pd.Series  # per housing site
    housing_m2: pd.Series  # per housing site: land its units use
    units: pd.Series  # per housing site
    free_m2: pd.Series  # per candidate parcel (eligible, not housing)
    geoms: gpd.GeoSeries  # every parcel geometry
    budget_m2: float


def housing_land(
    study: Study, scores: Scores, alloc: Allocation, land_budget_ha: float | None
) -> tuple[gpd.GeoDataFrame, Land]:
    """Housing sites (units, zone, geometry) and the land left for facilities.

    Parameters
    ----------
    study : Study
        The loaded study (parcel geometries).
    scores : Scores
        Its scores (eligible parcels can host facilities).
    alloc : Allocation
        The housing allocation (read, never changed).
    land_budget_ha : float or None
        The allocation's land budget.

    Returns
    -------
    tuple
        The housing sites (``units``, ``area_ha``, ``zone``, geometry) and the free land.
    """
    p = alloc.parcels
    p = p[pd.to_numeric(p["units"], errors="coerce").fillna(0) > 0]
    grouped = p.groupby(level=0, sort=True)
    sites = grouped.agg(units=("units", "sum"), area_ha=("area_ha", "first"))
    sites["zone"] = p.sort_values("units", ascending=False, kind="stable").groupby(level=0)["zone"].first()
    geoms = study.parcels.geometry
    sites = gpd.GeoDataFrame(sites, geometry=geoms.reindex(sites.index).values, crs=geoms.crs)
    area_m2 = sites["area_ha"].to_numpy(dtype=float) * 1e4
    if "reserved_ha" in p.columns:  # area-based reservation: the land the housing reserves
        housing = grouped["reserved_ha"].sum().reindex(sites.index).to_numpy(dtype=float) * 1e4
    elif "capacity_units" in p.columns:
        cap = grouped["capacity_units"].first().reindex(sites.index).to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            housing = np.where(cap > 0, area_m2 * np.minimum(sites["units"].to_numpy() / cap, 1.0), area_m2)
    else:
        housing = area_m2
    housing = np.minimum(housing, area_m2)
    used_ha = float(alloc.zones["land_ha"].sum()) if "land_ha" in alloc.zones else float(sites["area_ha"].sum())
    budget = np.inf if land_budget_ha is None else max(land_budget_ha - used_ha, 0.0) * 1e4
    eligible = scores.eligible.reindex(geoms.index, fill_value=False) & ~geoms.index.isin(sites.index)
    free = geoms[eligible].area
    land = Land(
        spare_m2=pd.Series(area_m2 - housing, index=sites.index),
        housing_m2=pd.Series(housing, index=sites.index),
        units=sites["units"].astype(float),
        free_m2=free.sort_index(),
        geoms=geoms,
        budget_m2=budget,
    )
    return sites, land


def place_inside(needs: pd.DataFrame, land: Land) -> None:
    """Stage A: in each site's spare land, smallest needs first (vectorised per site).

    Parameters
    ----------
    needs : pandas.DataFrame
        The programme rows (``site``, ``kind``, ``land_m2``, ``radius_m``, ``placement``, ...);
        placed rows get ``placement``, ``host``, ``distance_m`` (and ``units_displaced``).
    land : Land
        Land still free; updated in place.
    """
    todo = needs[(needs["land_m2"] > 0) & (needs["placement"] == "")].sort_values(["site", "land_m2", "kind"])
    cum = todo.groupby("site")["land_m2"].cumsum()
    fits = cum.to_numpy() <= land.spare_m2.reindex(todo["site"]).to_numpy() + 1e-9
    inside = todo.index[fits]
    needs.loc[inside, "placement"] = "in site"
    needs.loc[inside, "host"] = needs.loc[inside, "site"]
    needs.loc[inside, "distance_m"] = 0.0
    used = needs.loc[inside].groupby("site")["land_m2"].sum()
    land.spare_m2 = land.spare_m2.sub(used.reindex(land.spare_m2.index, fill_value=0.0))


def place_nearby(needs: pd.DataFrame, land: Land) -> None:
    """Stage B: nearest eligible parcel not reserved for housing within the kind's radius, largest first.

    Parameters
    ----------
    needs : pandas.DataFrame
        The programme rows (``site``, ``kind``, ``land_m2``, ``radius_m``, ``placement``, ...);
        placed rows get ``placement``, ``host``, ``distance_m`` (and ``units_displaced``).
    land : Land
        Land still free; updated in place.
    """
    todo = needs[(needs["land_m2"] > 0) & (needs["placement"] == "")]
    if todo.empty or land.free_m2.empty:
        return
    todo = todo.sort_values(["land_m2", "site", "kind"], ascending=[False, True, True], kind="stable")
    cand = np.asarray(land.geoms.loc[land.free_m2.index].values)
    tree = shapely.STRtree(cand)
    site_geom = np.asarray(land.geoms.loc[todo["site"]].values)
    ri, cj = tree.query(site_geom, predicate="dwithin", distance=todo["radius_m"].to_numpy())
    dist = shapely.distance(site_geom[ri], cand[cj])
    order = np.lexsort((cj, dist, ri))
    ri, cj, dist = ri[order], cj[order], dist[order]
    starts = np.searchsorted(ri, np.arange(len(todo) + 1))
    free = land.free_m2.to_numpy(dtype=float).copy()
    placed, host, at = [], [], []
    for r, need in enumerate(todo["land_m2"].to_numpy()):  # sequential: parcels and budget are shared
        if need > land.budget_m2 + 1e-9:
            continue
        c = cj[starts[r] : starts[r + 1]]
        ok = np.flatnonzero(free[c] >= need - 1e-9)
        if len(ok):
            k = starts[r] + ok[0]
            free[cj[k]] -= need
            land.budget_m2 -= need
            placed.append(r)
            host.append(cj[k])
            at.append(dist[k])
    rows = todo.index[placed]
    needs.loc[rows, "placement"] = "nearby parcel"
    needs.loc[rows, "host"] = land.free_m2.index[host].astype(str).to_numpy()
    needs.loc[rows, "distance_m"] = np.asarray(at, dtype=float)
    land.free_m2 = pd.Series(free, index=land.free_m2.index)


def place_displacing(needs: pd.DataFrame, land: Land) -> None:
    """Stage C: inside the site on its housing land; the units that land held are displaced.

    Parameters
    ----------
    needs : pandas.DataFrame
        The programme rows (``site``, ``kind``, ``land_m2``, ``radius_m``, ``placement``, ...);
        placed rows get ``placement``, ``host``, ``distance_m`` (and ``units_displaced``).
    land : Land
        Land still free; updated in place.
    """
    todo = needs[(needs["land_m2"] > 0) & (needs["placement"] == "")].sort_values(["site", "land_m2", "kind"])
    if todo.empty:
        return
    spare = land.spare_m2.reindex(todo["site"]).to_numpy()
    housing = land.housing_m2.reindex(todo["site"]).to_numpy()
    units = land.units.reindex(todo["site"]).to_numpy()
    cum = todo.groupby("site")["land_m2"].cumsum().to_numpy()
    fits = cum <= spare + housing + 1e-9
    taken_before = np.clip(cum - todo["land_m2"].to_numpy() - spare, 0, None)
    taken_after = np.clip(cum - spare, 0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_m2 = np.where(housing > 0, units / housing, 0.0)
    displaced = np.ceil(taken_after * per_m2 - 1e-6) - np.ceil(taken_before * per_m2 - 1e-6)
    rows = todo.index[fits]
    needs.loc[rows, "placement"] = "in site, displacing housing"
    needs.loc[rows, "distance_m"] = 0.0
    needs.loc[rows, "host"] = needs.loc[rows, "site"]
    needs.loc[rows, "units_displaced"] = displaced[fits]
    needs.loc[todo.index[~fits], "placement"] = "unplaced"
    taken = (
        pd.Series(np.where(fits, todo["land_m2"].to_numpy(), 0.0), index=todo["site"].to_numpy()).groupby(level=0).sum()
    )
    spare_now = land.spare_m2.reindex(taken.index)
    from_spare = taken.where(taken <= spare_now, spare_now)
    land.spare_m2 = land.spare_m2.sub(from_spare.reindex(land.spare_m2.index, fill_value=0.0))
    land.housing_m2 = land.housing_m2.sub((taken - from_spare).reindex(land.housing_m2.index, fill_value=0.0))


def _record(frame: Any, row: Any, **values: Any) -> None:
    """Set some cells of one row (typed loosely: pandas stubs reject mixed-type row assignment)."""
    for column, value in values.items():
        frame.at[row, column] = value


def place_trade_union(tu: pd.DataFrame, study: Study, sites: gpd.GeoDataFrame, land: Land, reach_m: float) -> None:
    """Place each institution: spare land of the zone's housing, else nearest parcel in reach, else displacing.

    Parameters
    ----------
    tu : pandas.DataFrame
        One row per institution (``zone``, ``land_m2``); placed in place.
    study : Study
        The study (zone footprints).
    sites : geopandas.GeoDataFrame
        The housing sites with their ``zone``.
    land : Land
        Land still free; updated in place.
    reach_m : float
        Commute reach: a nearby parcel must lie within it of the zone.
    """
    zones = study.require_zones("trade-union institutions")
    spare_m2, free_m2, housing_m2 = land.spare_m2, land.free_m2, land.housing_m2  # updated in place
    for row in tu.index:  # one per large zone (tens at most)
        zone, need = str(tu.at[row, "zone"]), float(tu["land_m2"].loc[row])
        own = sites.index[sites["zone"].astype(str) == zone]
        spare = spare_m2.reindex(own).sort_index()
        host: Any
        if len(spare) and spare.max() >= need - 1e-9:
            host = spare.idxmax()
            spare_m2.loc[host] -= need
            _record(tu, row, site=str(host), placement="in site", host=str(host), distance_m=0.0)
            continue
        zgeom = zones.geometry.loc[zones.index.astype(str) == zone].union_all()
        cand = free_m2[free_m2 >= need - 1e-9]
        cgeom = np.asarray(land.geoms.loc[cand.index].values)
        in_reach = shapely.distance(cgeom, zgeom) <= reach_m
        dist = shapely.distance(cgeom, land.geoms.loc[own].union_all() if len(own) else zgeom)
        if need <= land.budget_m2 + 1e-9 and in_reach.any():
            k = np.lexsort((cand.index.astype(str), np.where(in_reach, dist, np.inf)))[0]
            host = cand.index[k]
            free_m2.loc[host] -= need
            land.budget_m2 -= need
            _record(tu, row, site=str(host), placement="nearby parcel", host=str(host), distance_m=float(dist[k]))
            continue
        room = (spare_m2 + housing_m2).reindex(own).sort_index()
        if not len(room) or room.max() < need - 1e-9:
            _record(tu, row, placement="unplaced")
            continue
        host = room.idxmax()
        from_spare = min(float(spare_m2.loc[host]), need)
        housing = float(housing_m2.loc[host])
        per_m2 = float(land.units.loc[host]) / housing if housing > 0 else 0.0
        spare_m2.loc[host] -= from_spare
        housing_m2.loc[host] -= need - from_spare
        displaced = float(np.ceil((need - from_spare) * per_m2 - 1e-6))
        placement = "in site, displacing housing"
        _record(tu, row, site=str(host), placement=placement, host=str(host), distance_m=0.0, units_displaced=displaced)
