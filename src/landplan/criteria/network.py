"""Criteria measured along the road network.

Travel to the nearest feature, features within reach, catchments, two-step floating
catchment access (2SFCA) and job access by travel time.

Every function takes a :class:`~landplan.network.travel.TravelGraph` whose features were
joined when the study was loaded, and measures from each parcel *to* the features (one-way
streets count in the direction a resident travels). Parcels or features farther than
``max_snap_m`` from every road are off the network: a parcel off the network gets NaN (the
scoring then names it as having no value), a feature off the network is never reached.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landplan.criteria.access import decay_function
from landplan.errors import InputError
from landplan.network.travel import Places, TravelGraph

__all__ = [
    "catchment",
    "network_gravity",
    "reachable_count",
    "travel_to_nearest",
    "two_step_access",
    "zone_land_reach",
]


def _scale(metric: str) -> float:
    return 60.0 if metric == "time" else 1.0


def travel_to_nearest(
    graph: TravelGraph, parcels: Places, features: Places, ids: pd.Index, *, metric: str, name: str
) -> pd.Series:
    """Travel time (minutes) or network distance (metres) from each parcel to the nearest feature.

    Parameters
    ----------
    graph : TravelGraph
        The study's graph.
    parcels, features : Places
        Where the parcels and the feature layer joined the graph.
    ids : pandas.Index
        The features to reach (a criterion's selection).
    metric : {'time', 'distance'}
        Minutes or metres.
    name : str
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        On the parcel index; ``inf`` where no feature can be reached, NaN off the network.
    """
    targets = features.in_node[features.positions(ids)]
    cost = graph.nearest(parcels.out_node, targets, metric=metric) / _scale(metric)
    return pd.Series(cost, index=parcels.index, name=name, dtype="float64")


def _pairs(
    graph: TravelGraph, parcels: Places, features: Places, ids: pd.Index, *, limit: float, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    targets = features.in_node[features.positions(ids)]
    o, t, _ = graph.within(parcels.out_node, targets, limit=limit, metric=metric)
    return o, t


def reachable_count(
    graph: TravelGraph, parcels: Places, features: Places, ids: pd.Index, *, limit: float, metric: str, name: str
) -> pd.Series:
    """Number of features each parcel reaches within ``limit`` (seconds or metres, inclusive).

    Parameters
    ----------
    graph : TravelGraph
        The study's graph.
    parcels, features : Places
        Where the parcels and the feature layer joined the graph.
    ids : pandas.Index
        The features counted.
    limit : float
        The reach: seconds for ``time``, metres for ``distance``.
    metric : {'time', 'distance'}
        What ``limit`` measures.
    name : str
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        float64 counts on the parcel index (NaN off the network).
    """
    o, _t = _pairs(graph, parcels, features, ids, limit=limit, metric=metric)
    count = np.bincount(o, minlength=len(parcels.index)).astype("float64")
    count[~parcels.snapped] = np.nan
    return pd.Series(count, index=parcels.index, name=name)


def catchment(
    graph: TravelGraph, parcels: Places, features: Places, ids: pd.Index, *, limit: float, metric: str, name: str
) -> pd.Series:
    """1 where a parcel reaches a feature within ``limit``, else 0 (the parcel is in a catchment).

    Parameters
    ----------
    graph : TravelGraph
        The study's graph.
    parcels, features : Places
        Where the parcels and the feature layer joined the graph.
    ids : pandas.Index
        The features.
    limit : float
        The reach: seconds for ``time``, metres for ``distance``.
    metric : {'time', 'distance'}
        What ``limit`` measures.
    name : str
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        0.0 or 1.0 on the parcel index (NaN off the network).
    """
    cost = travel_to_nearest(graph, parcels, features, ids, metric=metric, name=name) * _scale(metric)
    inside = (cost <= limit).astype("float64")
    return inside.where(cost.notna())


def two_step_access(
    graph: TravelGraph,
    parcels: Places,
    features: Places,
    ids: pd.Index,
    *,
    capacity: np.ndarray,
    population: np.ndarray,
    limit: float,
    metric: str,
    per_residents: float = 1000.0,
    name: str,
) -> pd.Series:
    """Two-step floating catchment access (2SFCA, Luo and Wang 2003) along the network.

    Step 1: each facility ``j`` gets ``R_j = S_j / sum(P_i)`` over the parcels ``i`` that reach
    it within ``limit`` (``R_j = 0`` when no resident does). Step 2: each parcel's access is the
    sum of ``R_j`` over the facilities it reaches, times ``per_residents``.

    Parameters
    ----------
    graph : TravelGraph
        The study's graph.
    parcels, features : Places
        Where the parcels and the facility layer joined the graph.
    ids : pandas.Index
        The facilities (a criterion's selection).
    capacity : numpy.ndarray
        Capacity of each facility of ``ids`` (seats, staff).
    population : numpy.ndarray
        Residents of each parcel (the parcel order of ``parcels``).
    limit : float
        The catchment: seconds for ``time``, metres for ``distance``.
    metric : {'time', 'distance'}
        What ``limit`` measures.
    per_residents : float, default 1000
        Report capacity per this many residents.
    name : str
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        On the parcel index (NaN off the network).
    """
    cap = np.asarray(capacity, dtype="float64")
    pop = np.asarray(population, dtype="float64")
    if not (np.isfinite(cap).all() and (cap >= 0).all() and np.isfinite(pop).all() and (pop >= 0).all()):
        msg = f"{name}: capacities and residents must be finite numbers >= 0"
        raise InputError(msg)
    o, t = _pairs(graph, parcels, features, ids, limit=limit, metric=metric)
    demand = np.bincount(t, weights=pop[o], minlength=len(cap))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand > 0, cap / demand, 0.0)
    order = np.lexsort((ratio[t], o))  # canonical summation order per parcel
    access = np.bincount(o[order], weights=ratio[t][order], minlength=len(pop)) * per_residents
    access[~parcels.snapped] = np.nan
    return pd.Series(access, index=parcels.index, name=name)


def network_gravity(
    zone_time_s: pd.DataFrame, workers: pd.Series, *, decay: str, scale_min: float, name: str
) -> pd.Series:
    """Job access along the network: sum over zones of ``workers x decay(travel minutes)``.

    Parameters
    ----------
    zone_time_s : pandas.DataFrame
        Parcels x zones travel time in seconds (the study network's, computed once).
    workers : pandas.Series
        Workers per zone.
    decay : {'exponential', 'gaussian', 'cumulative'}
        The decay curve (see :func:`~landplan.criteria.access.decay_function`).
    scale_min : float
        Its scale in minutes.
    name : str
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        On the parcel index: weighted workers (unreachable zones add 0; NaN off the network).
    """
    w = pd.to_numeric(workers.reindex(zone_time_s.columns), errors="coerce").to_numpy(dtype="float64")
    if not (np.isfinite(w) & (w >= 0)).all():
        msg = f"{name}: every zone needs a finite, non-negative worker count"
        raise InputError(msg)
    minutes = zone_time_s.to_numpy(dtype="float64") / 60.0
    f = decay_function(decay, scale_min)
    with np.errstate(invalid="ignore"):
        terms = np.where(np.isfinite(minutes), f(minutes), 0.0) * w[None, :]
    out = np.sort(terms, axis=1).sum(axis=1)
    off = np.isnan(minutes).all(axis=1) if minutes.shape[1] else np.zeros(len(minutes), dtype=bool)
    out[off] = np.nan
    return pd.Series(out, index=zone_time_s.index, name=name)


def zone_land_reach(
    zone_minutes: pd.DataFrame, area_m2: pd.Series, *, eligible: pd.Series, within_min: float
) -> pd.DataFrame:
    """Per zone: nearest eligible land in travel minutes, eligible parcels and hectares within reach.

    Parameters
    ----------
    zone_minutes : pandas.DataFrame
        Parcels x zones travel minutes (parcel to zone).
    area_m2 : pandas.Series
        Parcel areas, square metres.
    eligible : pandas.Series
        True for parcels that count as land for housing.
    within_min : float
        The commute reach, minutes.

    Returns
    -------
    pandas.DataFrame
        Indexed by zone: ``nearest_eligible_min``, ``eligible_parcels_within``, ``eligible_ha_within``.
    """
    ok = eligible.reindex(zone_minutes.index).fillna(False).to_numpy(dtype=bool)
    t = zone_minutes.to_numpy(dtype="float64")[ok]
    area = area_m2.reindex(zone_minutes.index).to_numpy(dtype="float64")[ok]
    inside = np.nan_to_num(t, nan=np.inf) <= within_min
    with np.errstate(invalid="ignore"):
        nearest = np.nanmin(np.where(np.isnan(t), np.inf, t), axis=0) if len(t) else np.full(t.shape[1], np.inf)
    order = np.argsort(area, kind="stable")  # canonical summation order
    return pd.DataFrame(
        {
            "nearest_eligible_min": nearest,
            "eligible_parcels_within": inside.sum(axis=0),
            "eligible_ha_within": (inside[order] * area[order, None]).sum(axis=0) / 10_000.0,
        },
        index=zone_minutes.columns,
    )
