"""Measuring a criterion of a scenario on a loaded study: one function per criterion kind.

:data:`MEASURES` maps each criterion ``kind`` to the function that measures it; a new kind is
one spec class in :mod:`landplan.config` and one function registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from landplan.criteria.access import gravity_access
from landplan.criteria.attribute import attribute, parcel_area
from landplan.criteria.coverage import coverage_share
from landplan.criteria.distance import count_within, nearest_distance
from landplan.criteria.network import (
    catchment,
    network_gravity,
    reachable_count,
    travel_to_nearest,
    two_step_access,
)
from landplan.criteria.raster import raster_stat
from landplan.errors import InputError
from landplan.model import Study
from landplan.network.study import StudyNetwork

__all__ = ["MEASURES", "measure"]

Measure = Callable[[Any, Study], pd.Series]


def _distance(c: Any, study: Study) -> pd.Series:
    return nearest_distance(study.parcels, study.selection(c.layer, c.select), name=c.name)


def _count(c: Any, study: Study) -> pd.Series:
    features = study.selection(c.layer, c.select)
    return count_within(study.parcels, features, radius_m=study.radius_m[c.name], name=c.name).astype("float64")


def _coverage(c: Any, study: Study) -> pd.Series:
    features = study.selection(c.layer, c.select)
    return coverage_share(study.parcels, features, radius_m=study.radius_m[c.name], name=c.name)


def _attribute(c: Any, study: Study) -> pd.Series:
    if c.value.function == "categorical":
        return study.parcels[c.field].astype("string").rename(c.name)
    return attribute(study.parcels, c.field, name=c.name)


def _area(c: Any, study: Study) -> pd.Series:
    return parcel_area(study.parcels, name=c.name)


def _raster(c: Any, study: Study) -> pd.Series:
    return raster_stat(study.parcels, study.rasters[c.raster], stat=c.stat, threshold=c.threshold, name=c.name)


def _access(c: Any, study: Study) -> pd.Series:
    zones = study.layer(c.layer or "zones")
    zspec = study.scenario.layers.zones
    workers = zones[zspec.workers_field] if zspec is not None and zspec.workers_field else None
    if workers is None:  # pragma: no cover - refused when the study is loaded
        msg = f"{c.name}: job access needs `workers_field` on the zones layer"
        raise ValueError(msg)
    if c.scale_min is not None:
        net = _network(c, study)
        if net.zone_time_s is None or c.layer not in (None, "zones"):
            msg = f"{c.name}: job access by travel time measures the scenario's zones layer"
            raise InputError(msg)
        return network_gravity(net.zone_time_s, workers, decay=c.decay, scale_min=c.scale_min, name=c.name)
    return gravity_access(study.parcels, zones, workers=workers, decay=c.decay, scale_m=c.scale_m, name=c.name)


def _network(c: Any, study: Study) -> StudyNetwork:
    if study.network is None:  # pragma: no cover - refused when the scenario is read
        msg = f"{c.name}: measuring along roads needs a [network] table"
        raise InputError(msg)
    return study.network


def _args(c: Any, study: Study) -> tuple[Any, ...]:
    """Graph, parcel and feature joins, and the selected feature ids of a network criterion."""
    net = _network(c, study)
    features = study.selection(c.layer, c.select)
    g = net.graph
    return g, g.places["parcels"], g.places[c.layer], features.index


def _travel(c: Any, study: Study) -> pd.Series:
    return travel_to_nearest(*_args(c, study), metric=c.metric, name=c.name)


def _reachable(c: Any, study: Study) -> pd.Series:
    return reachable_count(*_args(c, study), limit=c.limit, metric=c.metric, name=c.name)


def _catchment(c: Any, study: Study) -> pd.Series:
    return catchment(*_args(c, study), limit=c.limit, metric=c.metric, name=c.name)


def residents(study: Study, *, field: str | None = None) -> pd.Series:
    """Future residents of each parcel: a column, else units the parcel can hold x persons per unit.

    Units are ``floor(area x buildable_share x floor_area_ratio / gfa_per_unit_m2)``, the
    allocation's capacity formula, with the scenario's ``[demand]`` values or the rule pack's.

    Parameters
    ----------
    study : Study
        The loaded study.
    field : str, optional
        A parcel column of residents (missing values fall back to the formula).

    Returns
    -------
    pandas.Series
        Residents on the parcel index.
    """
    d, rules = study.scenario.demand, study.rules

    def value(key: str) -> float:
        given = getattr(d, key)
        return float(given) if given is not None else rules.housing_value(key)

    per_m2 = value("buildable_share") * value("floor_area_ratio") / value("gfa_per_unit_m2")
    out = np.floor(study.parcels.geometry.area.to_numpy() * per_m2) * value("persons_per_unit")
    if field is not None:
        given = pd.to_numeric(study.parcels[field], errors="coerce").to_numpy(dtype="float64")
        out = np.where(np.isnan(given), out, given)
    return pd.Series(out, index=study.parcels.index, name="residents")


def _two_step(c: Any, study: Study) -> pd.Series:
    g, parcels, features, ids = _args(c, study)
    rows = study.selection(c.layer, c.select)
    cap = np.full(len(rows), np.nan)
    if c.capacity_field is not None:
        cap = pd.to_numeric(rows[c.capacity_field], errors="coerce").to_numpy(dtype="float64")
    if c.capacity_rule is not None:
        cap = np.where(np.isnan(cap), study.rules.capacity(c.capacity_rule), cap)
    if np.isnan(cap).any():
        bad = ", ".join(map(str, rows.index[np.isnan(cap)][:5]))
        msg = (
            f"{c.name}: layer {c.layer!r} has no capacity in {c.capacity_field!r} for features {bad}; set capacity_rule"
        )
        raise InputError(msg)
    pop = residents(study, field=c.population_field).to_numpy()
    return two_step_access(
        g,
        parcels,
        features,
        ids,
        capacity=cap,
        population=pop,
        limit=c.limit,
        metric=c.metric,
        per_residents=c.per_residents,
        name=c.name,
    )


#: criterion kind -> the function measuring it on a study
MEASURES: dict[str, Measure] = {
    "distance": _distance,
    "count": _count,
    "coverage": _coverage,
    "attribute": _attribute,
    "area": _area,
    "raster": _raster,
    "access": _access,
    "travel": _travel,
    "reachable": _reachable,
    "catchment": _catchment,
    "two_step": _two_step,
}


def measure(criterion: Any, study: Study) -> pd.Series:
    """Raw value of one criterion for every parcel (metres, counts, shares, the attribute...).

    Parameters
    ----------
    criterion : CriterionSpec
        One criterion of the study's scenario.
    study : Study
        The loaded study.

    Returns
    -------
    pandas.Series
        On the parcel index, named after the criterion.
    """
    return MEASURES[criterion.kind](criterion, study)
