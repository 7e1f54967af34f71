"""Applying a scenario's constraints to a loaded study: one function per constraint kind.

:data:`EVALUATORS` maps each constraint ``kind`` to the function that evaluates it; a new kind
is one spec class in :mod:`landplan.config` and one function registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from landplan.constraints.rules import attribute_filter, exclusion_layer, isolation, min_area, raster_rule
from landplan.criteria.raster import raster_stat
from landplan.model import Study

__all__ = ["EVALUATORS", "constraint_reasons", "evaluate"]

Evaluator = Callable[[Any, Study, str], pd.Series]


def _isolation(k: Any, study: Study, name: str) -> pd.Series:
    zones = study.layer(k.layer)
    names = study.zone_names.reindex(zones.index).fillna(zones.index.to_series().astype("string"))
    label = names.astype(str) + " (class " + zones["hazard_class"].astype(str) + ")"
    return isolation(study.parcels, zones, distance_m=zones["isolation_m"], zone_label=label, name=name)


def _min_area(k: Any, study: Study, name: str) -> pd.Series:
    return min_area(study.parcels, min_area_m2=k.min_area_m2, name=name)


def _attribute(k: Any, study: Study, name: str) -> pd.Series:
    return attribute_filter(
        study.parcels, k.field, not_in=k.not_in, in_=k.in_, min_value=k.min, max_value=k.max, name=name
    )


def _exclusion_layer(k: Any, study: Study, name: str) -> pd.Series:
    return exclusion_layer(
        study.parcels,
        study.layer(k.layer),
        buffer_m=k.buffer_m,
        max_overlap_share=k.max_overlap_share,
        label=k.label or k.layer,
        name=name,
    )


def _raster(k: Any, study: Study, name: str) -> pd.Series:
    stat = raster_stat(study.parcels, study.rasters[k.raster], stat=k.stat, threshold=k.threshold)
    return raster_rule(stat, stat_name=k.stat, label=k.label or k.raster, min_value=k.min, max_value=k.max, name=name)


#: constraint kind -> the function evaluating it on a study
EVALUATORS: dict[str, Evaluator] = {
    "isolation": _isolation,
    "min_area": _min_area,
    "attribute": _attribute,
    "exclusion_layer": _exclusion_layer,
    "raster": _raster,
}


def evaluate(constraint: Any, study: Study, *, name: str) -> pd.Series:
    """Reasons of one constraint for every parcel (``""`` = kept).

    Parameters
    ----------
    constraint : ConstraintSpec
        One constraint of the study's scenario.
    study : Study
        The loaded study.
    name : str
        Name of the returned Series (``c<i>_<kind>``).

    Returns
    -------
    pandas.Series
        Reason text on the parcel index.
    """
    return EVALUATORS[constraint.kind](constraint, study, name)


def constraint_reasons(study: Study) -> pd.DataFrame:
    """One reason column per constraint of the study's scenario, named ``c<i>_<kind>``.

    Parameters
    ----------
    study : Study
        The loaded study.

    Returns
    -------
    pandas.DataFrame
        On the parcel index; ``""`` where the parcel passes.
    """
    cols = [evaluate(k, study, name=f"c{i}_{k.kind}") for i, k in enumerate(study.scenario.constraints)]
    return pd.concat(cols, axis=1) if cols else pd.DataFrame(index=study.parcels.index)
