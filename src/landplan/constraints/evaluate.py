"""Applying a scenario's constraints to a loaded study: one function per constraint kind.

:data:`EVALUATORS` maps each constraint ``kind`` to the function that evaluates it; a new kind
is one spec class in :mod:`landplan.config` and one function registered here. Spatial kinds in
``mode = "subtract"`` are applied by :data:`CUTTERS` instead: :func:`net_area` removes their part
of each parcel (once per run) and :func:`constraint_reasons` then evaluates the ``exclude``
constraints, with ``min_area`` on the net area.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.constraints.rules import attribute_filter, exclusion_layer, isolation, min_area, raster_rule
from landplan.constraints.subtract import SLIVER_M2, Cut, cut_by, failing_cells, isolation_covers, net_geometry
from landplan.criteria._common import check_inputs, geoms
from landplan.criteria.coverage import quad_segs_for
from landplan.criteria.raster import raster_stat
from landplan.errors import InputError
from landplan.model import NetArea, Study

__all__ = ["CUTTERS", "EVALUATORS", "constraint_reasons", "evaluate", "net_area"]

Evaluator = Callable[[Any, Study, str], pd.Series]
Cutter = Callable[[Any, Study], Cut]


def _zone_labels(k: Any, study: Study) -> pd.Series:
    zones = study.layer(k.layer)
    names = study.zone_names.reindex(zones.index).fillna(zones.index.to_series().astype("string"))
    return names.astype(str) + " (class " + zones["hazard_class"].astype(str) + ")"


def _isolation(k: Any, study: Study, name: str) -> pd.Series:
    zones = study.layer(k.layer)
    label = _zone_labels(k, study)
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


def _cut_isolation(k: Any, study: Study) -> Cut:
    zones = study.layer(k.layer)
    check_inputs(study.parcels, zones, what="isolation constraint")
    dist = pd.to_numeric(zones["isolation_m"], errors="coerce").to_numpy(dtype="float64")
    covers = isolation_covers(geoms(zones), dist)
    what = "within " + np.char.mod("%.0f", dist).astype(object) + " m of " + _zone_labels(k, study).to_numpy(object)
    return cut_by(geoms(study.parcels), covers, what=what)


def _cut_exclusion(k: Any, study: Study) -> Cut:
    features = study.layer(k.layer)
    label = k.label or k.layer
    check_inputs(study.parcels, features, what=f"exclusion constraint ({label})")
    fg = geoms(features)
    if k.buffer_m > 0:
        fg = shapely.buffer(fg, k.buffer_m, quad_segs=quad_segs_for(k.buffer_m))
    if not (polygonal := shapely.get_type_id(fg) >= 3).all():
        msg = (
            f"exclusion constraint ({label}): {int((~polygonal).sum())} features of layer {k.layer!r} are points or "
            "lines, which have no area to subtract; set `buffer_m` > 0 or use mode = 'exclude'"
        )
        raise InputError(msg)
    what = f"overlapping {label}" + (f" (+{k.buffer_m:g} m)" if k.buffer_m > 0 else "")
    return cut_by(geoms(study.parcels), fg, what=what)


def _cut_raster(k: Any, study: Study) -> Cut:
    pg = geoms(study.parcels)
    box = shapely.total_bounds(pg)
    cells = failing_cells(
        study.rasters[k.raster],
        to_crs=study.crs,
        within=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
        threshold=k.threshold,
        min_value=k.min,
        max_value=k.max,
    )
    return cut_by(pg, cells, what=f"with {k.label or k.raster} (cells {k.failing_cells()})")


#: spatial constraint kind -> the function computing what its ``subtract`` mode removes
CUTTERS: dict[str, Cutter] = {
    "isolation": _cut_isolation,
    "exclusion_layer": _cut_exclusion,
    "raster": _cut_raster,
}

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


def _subtracts(k: Any) -> bool:
    return getattr(k, "mode", "exclude") == "subtract"


def net_area(study: Study) -> NetArea:
    """Net developable area: each parcel minus what its ``subtract`` constraints remove.

    Parameters
    ----------
    study : Study
        The loaded study.

    Returns
    -------
    NetArea
        Net geometry and area, area removed and a note per subtract constraint (columns
        ``c<i>_<kind>``, as in :func:`constraint_reasons`); with no subtract constraint the
        net geometry is the parcel geometry itself.
    """
    parcels = study.parcels
    cuts = {
        f"c{i}_{k.kind}": CUTTERS[k.kind](k, study) for i, k in enumerate(study.scenario.constraints) if _subtracts(k)
    }
    pg = geoms(parcels)
    gross = pd.Series(shapely.area(pg), index=parcels.index, name="area_m2")
    if not cuts:
        empty = pd.DataFrame(index=parcels.index)
        return NetArea(parcels.geometry, gross.rename("net_area_m2"), gross, empty, empty)
    net = net_geometry(pg, list(cuts.values()))
    return NetArea(
        geometry=gpd.GeoSeries(net, index=parcels.index, crs=parcels.crs, name="net_geometry"),
        area_m2=pd.Series(shapely.area(net), index=parcels.index, name="net_area_m2"),
        gross_m2=gross,
        removed_m2=pd.DataFrame({n: c.removed_m2 for n, c in cuts.items()}, index=parcels.index),
        notes=pd.DataFrame({n: c.note for n, c in cuts.items()}, index=parcels.index, dtype="object"),
    )


def constraint_reasons(study: Study, *, net: NetArea | None = None) -> pd.DataFrame:
    """One reason column per ``exclude`` constraint of the study's scenario, named ``c<i>_<kind>``.

    With a net area that subtracted something, ``min_area`` tests the net area, and a
    ``net_area`` column excludes parcels with nothing left.

    Parameters
    ----------
    study : Study
        The loaded study.
    net : NetArea, optional
        From :func:`net_area` (computed here when a subtract constraint needs it and it is not given).

    Returns
    -------
    pandas.DataFrame
        On the parcel index; ``""`` where the parcel passes.
    """
    constraints = study.scenario.constraints
    if net is None and any(_subtracts(k) for k in constraints):
        net = net_area(study)
    cols = []
    for i, k in enumerate(constraints):  # loop over constraints, not parcels
        name = f"c{i}_{k.kind}"
        if _subtracts(k):
            continue
        if k.kind == "min_area" and net is not None and net.subtracted:
            cols.append(min_area(study.parcels, min_area_m2=k.min_area_m2, net_area_m2=net.area_m2, name=name))
        else:
            cols.append(evaluate(k, study, name=name))
    if net is not None and net.subtracted:
        gone = net.area_m2.to_numpy() < SLIVER_M2
        text = np.where(gone, "no developable area left (" + net.removed_by.to_numpy(dtype=object) + ")", "")
        cols.append(pd.Series(text, index=study.parcels.index, name="net_area", dtype="object"))
    return pd.concat(cols, axis=1) if cols else pd.DataFrame(index=study.parcels.index)
