"""Measuring a criterion of a scenario on a loaded study: one function per criterion kind.

:data:`MEASURES` maps each criterion ``kind`` to the function that measures it; a new kind is
one spec class in :mod:`landplan.config` and one function registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from landplan.criteria.access import gravity_access
from landplan.criteria.attribute import attribute, parcel_area
from landplan.criteria.coverage import coverage_share
from landplan.criteria.distance import count_within, nearest_distance
from landplan.criteria.raster import raster_stat
from landplan.model import Study

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
    return gravity_access(study.parcels, zones, workers=workers, decay=c.decay, scale_m=c.scale_m, name=c.name)


#: criterion kind -> the function measuring it on a study
MEASURES: dict[str, Measure] = {
    "distance": _distance,
    "count": _count,
    "coverage": _coverage,
    "attribute": _attribute,
    "area": _area,
    "raster": _raster,
    "access": _access,
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
