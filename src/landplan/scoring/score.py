"""Scoring a loaded study: criteria -> values -> constraints -> aggregation -> ranks.

:func:`score` returns :class:`~landplan.model.Scores`; explanations, maps, reports and the
allocation read it and never recompute it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from landplan.constraints import combine, constraint_reasons, net_area
from landplan.criteria.measure import measure
from landplan.errors import InputError
from landplan.model import NetArea, Scores, Study
from landplan.scoring.aggregate import aggregate, explain_drivers, normalise_weights, rank_eligible
from landplan.scoring.value import apply_value
from landplan.scoring.weights import scenario_weights

__all__ = ["Measured", "check_weights", "criterion_values", "neutral_outside", "parcel_measures", "score"]


def _noop(_frac: float, _msg: str) -> None:
    return None


def check_weights(weights: Mapping[str, float], names: list[str]) -> None:
    """Refuse weights that do not name every criterion exactly.

    Parameters
    ----------
    weights : Mapping[str, float]
        Weight per criterion name.
    names : list of str
        The scenario's criterion names.

    Raises
    ------
    InputError
        For unknown or missing criterion names.
    """
    if unknown := sorted(set(weights) - set(names)):
        msg = f"weights for unknown criteria {unknown}; criteria are {names}"
        raise InputError(msg)
    if missing := [n for n in names if n not in weights]:
        msg = f"weights must be given for every criterion; missing {missing}"
        raise InputError(msg)


def score(
    study: Study,
    *,
    weights: Mapping[str, float] | None = None,
    progress: Callable[[float, str], None] | None = None,
    measured: Measured | None = None,
) -> Scores:
    """Score and rank every parcel of a study.

    Parameters
    ----------
    study : Study
        From :func:`landplan.load_study` (load once, score as often as needed).
    weights : Mapping[str, float], optional
        Weights by criterion name instead of the scenario's (normalised; zero or negative
        weights are refused). Handy to compare rankings.
    progress : callable, optional
        ``f(fraction, message)``.
    measured : Measured, optional
        The per-parcel part already computed (e.g. partition by partition by
        :mod:`landplan.engine`), on the study's parcel index; :func:`parcel_measures` when not given.

    Returns
    -------
    Scores
        Raw values, 0..1 values, contributions (consistent with the aggregation, see
        :func:`landplan.scoring.aggregate.aggregate`), one reason column per constraint, the
        score, eligibility, ranks, top drivers and the weights used.

    Raises
    ------
    InputError
        For unknown or missing criterion names or non-positive weights.
    """
    progress = progress or _noop
    s = study.scenario
    names = [c.name for c in s.criteria]
    weighting, consistency = "given", None
    if weights is not None:
        check_weights(weights, names)
    else:
        made = scenario_weights(s)
        weights, weighting = made.weights, made.method
        if made.ahp is not None:
            a = made.ahp
            consistency = {"lambda_max": a.lambda_max, "ci": a.ci, "ri": a.ri, "cr": a.cr, "max_cr": a.max_cr}
    w = normalise_weights(weights)
    index = study.parcels.index
    parts = measured if measured is not None else parcel_measures(study, progress=progress)
    value_frame, no_data = criterion_values(study, parts.raw)
    progress(len(names) / (len(names) + 1), "constraints")
    reasons = _with_missing_values(parts.reasons, value_frame)
    status = combine(reasons, index)
    method = s.aggregation.method
    weight_map = {str(k): float(v) for k, v in w.items()}
    total, contrib = aggregate(value_frame, weight_map, method=method, reference=status["eligible"])
    rank = rank_eligible(total, status["eligible"])
    labels = {c.name: c.title for c in s.criteria}
    drivers = explain_drivers(contrib, labels, top=s.scenario.top_drivers, log=method == "weighted_product")
    progress(1.0, "scored")
    return Scores(
        raw=parts.raw,
        values=value_frame,
        contributions=contrib,
        reasons=reasons,
        score=total.rename("score"),
        eligible=status["eligible"].rename("eligible"),
        excluded_by=status["excluded_by"].rename("excluded_by"),
        rank=rank.rename("rank"),
        top_drivers=drivers.rename("top_drivers"),
        weights=weight_map,
        aggregation=method,
        order=_output_order(rank),
        weighting=weighting,
        consistency=consistency,
        net=parts.net,
        no_data=no_data,
    )


@dataclasses.dataclass(frozen=True)
class Measured:
    """What scoring computes parcel by parcel, each parcel on its own (so partitions can compute it).

    Attributes
    ----------
    net : NetArea
        Net developable area.
    raw : pandas.DataFrame
        Raw value of every criterion (one column each).
    reasons : pandas.DataFrame
        One reason column per ``exclude`` constraint (``""`` = kept).
    """

    net: NetArea
    raw: pd.DataFrame
    reasons: pd.DataFrame


def parcel_measures(
    study: Study,
    *,
    criteria: list[str] | None = None,
    net: NetArea | None = None,
    constraints: bool = True,
    progress: Callable[[float, str], None] | None = None,
) -> Measured:
    """Net area, raw criterion values and constraint reasons: the per-parcel part of :func:`score`.

    Criteria are measured on the net geometry when the scenario says so (``criteria_geometry
    = "net"``, the default) and a subtract constraint removed something; parcels with nothing left
    are measured whole (they are excluded anyway).

    Parameters
    ----------
    study : Study
        The loaded study (or a partition of its parcels with the features they need).
    criteria : list of str, optional
        Only these criteria (default: all, in the scenario's order).
    net : NetArea, optional
        The net area already computed on these parcels.
    constraints : bool, default True
        Evaluate the constraints (else ``reasons`` has no column).
    progress : callable, optional
        ``f(fraction, message)``.

    Returns
    -------
    Measured
        On the study's parcel index.
    """
    progress = progress or _noop
    s = study.scenario
    if net is None:
        progress(0.0, "net developable area")
        net = net_area(study)
    measured = study
    if s.scenario.criteria_geometry == "net" and net.subtracted:
        measured = dataclasses.replace(study, parcels=net.measured(study.parcels))
    raw: dict[str, pd.Series] = {}
    chosen = [c for c in s.criteria if criteria is None or c.name in criteria]
    for i, c in enumerate(chosen):  # loop over criteria, not parcels
        progress(i / (len(s.criteria) + 1), f"criterion {c.name}")
        raw[c.name] = measure(c, measured)
    index = study.parcels.index
    reasons = constraint_reasons(study, net=net) if constraints else pd.DataFrame(index=index)
    return Measured(net=net, raw=pd.DataFrame(raw, index=index), reasons=reasons)


def criterion_values(study: Study, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """0..1 values of every criterion from its raw values, over all parcels at once.

    Parcels outside a layer's extent get the median value of the parcels inside it when the
    criterion says ``outside = "neutral"`` (a statistic of all parcels: never per partition).

    Parameters
    ----------
    study : Study
        The loaded study.
    raw : pandas.DataFrame
        Raw values on the study's parcel index (from :func:`parcel_measures`).

    Returns
    -------
    values : pandas.DataFrame
        0..1 values.
    no_data : pandas.DataFrame or None
        True where a ``neutral`` criterion had no data (None when no criterion has such parcels).
    """
    index = study.parcels.index
    values: dict[str, pd.Series] = {}
    no_data: dict[str, pd.Series] = {}
    for c in study.scenario.criteria:  # loop over criteria, not parcels
        values[c.name] = apply_value(raw[c.name], c.value).rename(c.name)
        if getattr(c, "outside", "zero") == "neutral" and c.name in study.outside_extent:
            values[c.name], no_data[c.name] = neutral_outside(values[c.name], study.outside_extent[c.name])
    frame = pd.DataFrame(no_data, index=index, dtype=bool) if no_data else None
    return pd.DataFrame(values, index=index), frame


def neutral_outside(values: pd.Series, outside: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Give parcels outside a layer's extent the median value of the parcels inside it.

    "No data" must neither reward nor punish a parcel against its peers: the median of the
    values measured where the layer has data is the typical value (0.5 when no parcel is
    inside the extent).

    Parameters
    ----------
    values : pandas.Series
        A criterion's 0..1 values on the parcel index.
    outside : pandas.Series
        True where the parcel lies wholly outside the layer's extent.

    Returns
    -------
    values : pandas.Series
        With the neutral value outside.
    outside : pandas.Series
        The mask, aligned on ``values.index``.
    """
    mask = outside.reindex(values.index).fillna(False).astype(bool)
    inside = values[~mask].dropna()
    neutral = float(inside.median()) if len(inside) else 0.5
    return values.where(~mask, neutral).astype("float64"), mask


def _with_missing_values(reasons: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Add a ``missing_<criterion>`` reason where a criterion has no value."""
    missing = values.isna()
    if not missing.to_numpy().any():
        return reasons
    miss = pd.DataFrame(
        {f"missing_{c}": np.where(missing[c], f"no value for {c}", "") for c in values.columns}, index=values.index
    )
    return pd.concat([reasons, miss], axis=1)


def _output_order(rank: pd.Series) -> pd.Index:
    """Eligible parcels by rank, then excluded ones by parcel id (stable and deterministic)."""
    key = rank.to_numpy(dtype="float64", na_value=np.inf)
    ids = rank.index.to_numpy()
    order = np.lexsort((ids.astype(str) if ids.dtype == object else ids, key))
    return rank.index[order]
