"""Facility catchments: who lies within a facility's service area, and the residents already there.

Service areas are measured in straight lines (STRtree ``dwithin``, the default) or, with
``[allocation.facilities] service = "network"`` and a scenario ``[network]``, along the roads:
a bounded Dijkstra from every facility (:meth:`landplan.network.travel.TravelGraph.within`),
in metres against the norm's radius, or in minutes for the kinds named in ``service_minutes``.

Existing residents compete for the free places. They come from a population layer (points or
polygons with a count) or a population raster (``population_raster``, a raster of persons per
cell declared under ``[rasters]``): the raster is summed within each facility's catchment
(a disc of the service radius) by exactextract, coverage-weighted, nodata ignored.

The two-step catchment itself (:func:`two_step_flows`) shares each facility's free places among
the sites within its service area in proportion to their demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.config import FacilitiesSpec
from landplan.errors import InputError
from landplan.model import Study

__all__ = [
    "check_catchment",
    "population",
    "raster_residents",
    "resident_demand",
    "resident_free",
    "service_pairs",
    "site_demand",
    "two_step_absorption",
    "two_step_flows",
]


def check_catchment(study: Study, spec: FacilitiesSpec) -> None:
    """Check the catchment settings (network service, population raster) before any heavy work.

    Parameters
    ----------
    study : Study
        The loaded study.
    spec : FacilitiesSpec
        The ``[allocation.facilities]`` settings.

    Raises
    ------
    InputError
        If ``service = "network"`` has no ``[network]`` or no facility layer, or the population
        raster is not declared or competes with another source of residents.
    """
    if spec.service == "network":
        if study.network is None:
            msg = '[allocation.facilities] service = "network" needs a [network] table; add one or use "straight"'
            raise InputError(msg)
        if spec.layer is not None and spec.layer not in study.network.graph.places:  # pragma: no cover - load joins it
            msg = f"[allocation.facilities] layer {spec.layer!r} is not joined to the network"
            raise InputError(msg)
    unknown = sorted(set(spec.service_minutes) - set(spec.kinds or study.rules.facility))
    if unknown:
        msg = f"[allocation.facilities] service_minutes names kinds {unknown} that are not planned"
        raise InputError(msg)
    name = spec.population_raster
    if name is None:
        return
    if name not in study.rasters:
        msg = f"[allocation.facilities] population_raster {name!r} is not declared under [rasters]; add it there"
        raise InputError(msg)
    other = "population_layer" if spec.population_layer is not None else "load_field" if spec.load_field else None
    if other is not None:
        msg = (
            f"[allocation.facilities] sets both population_raster ({name!r}) and {other}: existing residents "
            "would be counted twice; keep one"
        )
        raise InputError(msg)


def population(study: Study, spec: FacilitiesSpec) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Existing residents of the population layer (empty without one).

    Parameters
    ----------
    study : Study
        The loaded study.
    spec : FacilitiesSpec
        The ``[allocation.facilities]`` settings.

    Returns
    -------
    tuple
        Geometries and residents per feature.
    """
    if spec.population_layer is None:
        return gpd.GeoSeries([], crs=study.crs), np.zeros(0)
    layer = study.layer(spec.population_layer)
    return layer.geometry, pd.to_numeric(layer[spec.population_field]).to_numpy(dtype=float)


def raster_residents(study: Study, spec: FacilitiesSpec, facilities: gpd.GeoSeries, *, radius_m: float) -> np.ndarray:
    """Residents of the population raster within ``radius_m`` of each facility (exactextract ``sum``).

    Parameters
    ----------
    study : Study
        The loaded study (its rasters).
    spec : FacilitiesSpec
        The settings (``population_raster`` names a raster of persons per cell).
    facilities : geopandas.GeoSeries
        Existing facilities (working CRS).
    radius_m : float
        Catchment radius in metres.

    Returns
    -------
    numpy.ndarray
        Residents per facility (0 where the catchment has no valid cell).
    """
    if spec.population_raster is None or len(facilities) == 0:
        return np.zeros(len(facilities))
    from exactextract.raster import NumPyRasterSource

    from landplan.criteria._extract import extract_stat

    raster = study.rasters[spec.population_raster]
    xmin, ymin, xmax, ymax = raster.bounds
    wkt = raster.crs.to_wkt()
    source = NumPyRasterSource(raster.values, xmin, ymin, xmax, ymax, nodata=np.nan, srs_wkt=wkt)
    discs = gpd.GeoSeries(shapely.buffer(np.asarray(facilities.values), radius_m, quad_segs=16), crs=facilities.crs)
    if not discs.crs.equals(raster.crs):
        discs = discs.to_crs(raster.crs)
    out = extract_stat(source, np.asarray(discs.array, dtype=object), "sum", srs_wkt=wkt)
    return np.nan_to_num(out, nan=0.0)


def resident_demand(
    study: Study, spec: FacilitiesSpec, facilities: gpd.GeoSeries, *, rate: float, radius_m: float
) -> np.ndarray:
    """Places the existing residents need from each facility (population raster only; zeros otherwise).

    The raster's residents within a facility's catchment are a demand that only this facility
    sees (step one of the two-step catchment: its free places are shared with them).

    Parameters
    ----------
    study : Study
        The loaded study.
    spec : FacilitiesSpec
        The settings.
    facilities : geopandas.GeoSeries
        Existing facilities of one kind.
    rate : float
        Places per 1,000 residents.
    radius_m : float
        Service radius in metres.
    """
    return np.ceil(raster_residents(study, spec, facilities, radius_m=radius_m) * rate / 1000.0 - 1e-9)


def resident_free(
    study: Study, spec: FacilitiesSpec, facilities: gpd.GeoSeries, free: np.ndarray, *, rate: float, radius_m: float
) -> np.ndarray:
    """Free places left after the existing residents (joint model: residents are served first).

    A population layer's feature shares its demand (``residents x rate / 1000``) evenly among
    the facilities within ``radius_m`` of it; a population raster's residents in a facility's
    catchment take that facility's places (:func:`resident_demand`).

    Parameters
    ----------
    study : Study
        The loaded study (population layer or raster).
    spec : FacilitiesSpec
        The ``[allocation.facilities]`` settings.
    facilities : geopandas.GeoSeries
        Existing facilities of one kind.
    free : numpy.ndarray
        Their free places.
    rate : float
        Places per 1,000 residents.
    radius_m : float
        Service radius in metres.

    Returns
    -------
    numpy.ndarray
        Free places per facility, >= 0.
    """
    free = free.astype(float) - resident_demand(study, spec, facilities, rate=rate, radius_m=radius_m)
    people, residents = population(study, spec)
    if len(people) and len(facilities):
        tree = shapely.STRtree(np.asarray(facilities.values))
        pi, fj = tree.query(np.asarray(people.values), predicate="dwithin", distance=radius_m)
        reached = np.bincount(pi, minlength=len(people))
        demand = residents[pi] * rate / 1000.0 / np.maximum(reached[pi], 1)
        free = free - np.bincount(fj, weights=demand, minlength=len(facilities))
    return np.clip(free, 0.0, None)


def service_pairs(
    study: Study,
    spec: FacilitiesSpec,
    sites: gpd.GeoSeries,
    facilities: gpd.GeoSeries,
    *,
    kind: str,
    radius_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(site, facility) positions within a kind's service area: straight lines or along the roads.

    Parameters
    ----------
    study : Study
        The loaded study (its network, when ``service = "network"``).
    spec : FacilitiesSpec
        The settings (``service``, ``service_minutes``, the facility ``layer``).
    sites : geopandas.GeoSeries
        Housing sites: parcels, indexed by parcel id.
    facilities : geopandas.GeoSeries
        Existing facilities of the kind, indexed by the facility layer's ids.
    kind : str
        Facility kind (its minutes in ``service_minutes``, if any).
    radius_m : float
        Service radius in metres.

    Returns
    -------
    tuple of numpy.ndarray
        Site and facility positions of every pair within reach.
    """
    if len(sites) == 0 or len(facilities) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    if spec.service != "network":
        tree = shapely.STRtree(np.asarray(facilities.values))
        si, fj = tree.query(np.asarray(sites.values), predicate="dwithin", distance=radius_m)
        return si, fj
    net = study.network
    if net is None or spec.layer is None or spec.layer not in net.graph.places:  # pragma: no cover - checked
        msg = '[allocation.facilities] service = "network" needs a [network] with the facility layer joined'
        raise InputError(msg)
    graph = net.graph
    parcels, fac = graph.places["parcels"], graph.places[spec.layer]
    origins = parcels.out_node[parcels.positions(pd.Index(sites.index))]
    targets = fac.in_node[fac.positions(pd.Index(facilities.index))]
    minutes = spec.service_minutes.get(kind)
    if minutes is not None:
        si, fj, _ = graph.within(origins, targets, limit=minutes * 60.0, metric="time")
    else:
        si, fj, _ = graph.within(origins, targets, limit=radius_m, metric="distance")
    return si, fj


def site_demand(units: pd.Series, *, persons_per_unit: float, places_per_1000: float) -> pd.Series:
    """New places needed at each housing site: ``ceil(units x persons x rate / 1000)``.

    Parameters
    ----------
    units : pandas.Series
        Dwelling units per site.
    persons_per_unit : float
        Residents per dwelling unit.
    places_per_1000 : float
        Places per 1,000 residents.

    Returns
    -------
    pandas.Series
        Whole places, on the index of ``units``.
    """
    values = np.ceil(units.to_numpy(dtype=float) * persons_per_unit * places_per_1000 / 1000.0 - 1e-9)
    return pd.Series(np.clip(values, 0, None), index=units.index)


def two_step_absorption(
    sites: gpd.GeoSeries,
    demand: np.ndarray,
    facilities: gpd.GeoSeries,
    free: np.ndarray,
    *,
    radius_m: float,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
    resident_demand: np.ndarray | None = None,
) -> np.ndarray:
    """Places of ``demand`` the existing facilities within ``radius_m`` can take (two-step catchment).

    Each facility's free places are shared among the sites within its radius in proportion to
    their demand; a site absorbs ``min(demand, sum of its shares)``, rounded down.

    Parameters
    ----------
    sites : geopandas.GeoSeries
        Housing sites (distances from their nearest point).
    demand : numpy.ndarray
        New places needed per site.
    facilities : geopandas.GeoSeries
        Existing facilities of one kind.
    free : numpy.ndarray
        Free places per facility (capacity - current load, >= 0).
    radius_m : float
        Service radius in metres.
    pairs : tuple of numpy.ndarray, optional
        (site, facility) positions within reach, e.g. along the roads (default: straight lines).
    resident_demand : numpy.ndarray, optional
        Places existing residents need from each facility (seen by that facility only).

    Returns
    -------
    numpy.ndarray
        Absorbed places per site.
    """
    flows = two_step_flows(
        sites, demand, facilities, free, radius_m=radius_m, pairs=pairs, resident_demand=resident_demand
    )
    return flows[0]


def two_step_flows(
    sites: gpd.GeoSeries,
    demand: np.ndarray,
    facilities: gpd.GeoSeries,
    free: np.ndarray,
    *,
    radius_m: float,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
    resident_demand: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The two-step catchment of :func:`two_step_absorption` with the places each facility gives each site.

    A site that absorbs less than the sum of its shares (its demand is met, or the rounding down)
    takes from each facility the same fraction of its share, so the places taken from the
    facilities add up to the places the site absorbs.

    Parameters
    ----------
    sites : geopandas.GeoSeries
        Housing sites (distances from their nearest point).
    demand : numpy.ndarray
        New places needed per site.
    facilities : geopandas.GeoSeries
        Existing facilities of one kind.
    free : numpy.ndarray
        Free places per facility (capacity - current load, >= 0).
    radius_m : float
        Service radius in metres.
    pairs : tuple of numpy.ndarray, optional
        (site, facility) positions within reach, e.g. along the roads (default: straight lines).
    resident_demand : numpy.ndarray, optional
        Places existing residents need from each facility (seen by that facility only).

    Returns
    -------
    tuple of numpy.ndarray
        Absorbed places per site; then, per (site, facility) pair within the radius, the site's
        position, the facility's position and the places it takes there.
    """
    if len(facilities) == 0 or len(sites) == 0:
        empty = np.zeros(0, dtype=np.intp)
        return np.zeros(len(sites)), empty, empty, np.zeros(0)
    if pairs is None:
        tree = shapely.STRtree(np.asarray(facilities.values))
        pairs = tree.query(np.asarray(sites.values), predicate="dwithin", distance=radius_m)
    si, fj = pairs
    d = demand[si]
    total = np.bincount(fj, weights=d, minlength=len(facilities))
    if resident_demand is not None:
        total = total + resident_demand
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total[fj] > 0, free[fj] * d / total[fj], 0.0)
    supply = np.bincount(si, weights=share, minlength=len(sites))
    absorbed = np.floor(np.minimum(demand, supply) + 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        taken = np.where(supply[si] > 0, share * absorbed[si] / supply[si], 0.0)
    return absorbed, si, fj, taken
