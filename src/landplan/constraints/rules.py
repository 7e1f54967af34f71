"""Constraints: hard exclusions, each returning the reason per excluded parcel.

Every function returns a string Series on the parcel index: ``""`` for parcels the rule
keeps, and a short human reason for parcels it excludes. :func:`combine` joins them
into ``eligible`` and ``excluded_by`` columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan._numbers import check_number
from landplan.criteria._common import check_inputs, geoms
from landplan.criteria.coverage import covered_share, quad_segs_for
from landplan.errors import InputError

__all__ = ["attribute_filter", "combine", "exclusion_layer", "isolation", "min_area", "raster_rule"]


def _fmt(values: np.ndarray, fmt: str = "%.0f") -> np.ndarray:
    return np.char.mod(fmt, values.astype("float64")).astype(object)


def _reason(excluded: np.ndarray, text: np.ndarray | str, index: pd.Index, name: str) -> pd.Series:
    out = np.where(excluded, text, "")
    return pd.Series(out, index=index, name=name, dtype="object")


def isolation(
    parcels: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    distance_m: pd.Series,
    zone_label: pd.Series | None = None,
    name: str = "isolation",
) -> pd.Series:
    """Exclude parcels inside a zone or closer to it than its isolation distance.

    A parcel is excluded when its distance to a zone is smaller than that zone's
    ``distance_m`` (a parcel at exactly the distance is allowed), or when it overlaps the
    zone. The reason names the closest zone that excludes it.

    Parameters
    ----------
    parcels, zones
        Layers in the same projected CRS, in metres.
    distance_m
        Isolation distance per zone, aligned on ``zones.index`` (from the rule pack by
        hazard class).
    zone_label
        Text naming each zone in reasons (default: the zone index).
    name
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        Reason text per parcel, ``""`` where the parcel is kept.

    Raises
    ------
    InputError
        If a zone has no finite, non-negative isolation distance.

    Notes
    -----
    Lines (a railway) are measured by distance only: nothing is "inside" a line, so
    industrial zones must be polygons; the scenario's zones layer refuses outlines
    (see :func:`landplan.validation.check_layer`).
    """
    check_inputs(parcels, zones, what="isolation constraint")
    dist_m = pd.to_numeric(distance_m.reindex(zones.index), errors="coerce").to_numpy(dtype="float64")
    if not (np.isfinite(dist_m) & (dist_m >= 0)).all():
        msg = "isolation constraint: some zones have no finite isolation distance; give every zone a hazard class"
        raise InputError(msg)
    labels = (zone_label if zone_label is not None else zones.index.to_series()).astype(str).to_numpy(dtype=object)
    pg, zg = geoms(parcels), geoms(zones)
    tree = shapely.STRtree(zg)
    left, right = tree.query(pg, predicate="dwithin", distance=float(dist_m.max()))
    d = shapely.distance(pg[left], zg[right])
    overlap = shapely.area(shapely.intersection(pg[left], zg[right])) > 0
    hit = (d < dist_m[right]) | overlap
    left, right, d, overlap = left[hit], right[hit], d[hit], overlap[hit]
    # keep the closest violating zone per parcel
    order = np.lexsort((labels[right].astype(str), d, left))  # ties: by label, not input order
    left, right, d, overlap = left[order], right[order], d[order], overlap[order]
    first = np.unique(left, return_index=True)[1]
    left, right, d, overlap = left[first], right[first], d[first], overlap[first]
    text = np.where(
        overlap,
        "inside industrial zone " + labels[right],
        "within " + _fmt(dist_m[right]) + " m isolation distance of " + labels[right] + " (" + _fmt(d) + " m away)",
    )
    out = np.full(len(parcels), "", dtype=object)
    out[left] = text
    return pd.Series(out, index=parcels.index, name=name, dtype="object")


def min_area(
    parcels: gpd.GeoDataFrame,
    *,
    min_area_m2: float,
    net_area_m2: pd.Series | None = None,
    name: str = "min_area",
) -> pd.Series:
    """Exclude parcels smaller than ``min_area_m2`` (square metres, projected CRS).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels in a projected CRS.
    min_area_m2 : float
        Smallest allowed area, square metres.
    net_area_m2 : pandas.Series, optional
        Net developable area per parcel (after subtract constraints); tested instead of the
        parcel's area when given, and the reason says "net area".
    name : str, default 'min_area'
        Name of the returned reason Series.

    Raises
    ------
    InputError
        If ``min_area_m2`` is not a finite number > 0.
    """
    min_area_m2 = check_number(min_area_m2, "min_area_m2", gt=0)
    if net_area_m2 is None:
        area, what = parcels.geometry.area.to_numpy(), "area "
    else:
        area, what = net_area_m2.reindex(parcels.index).to_numpy(dtype="float64"), "net area "
    text = what + _fmt(area) + " m2 below minimum " + _fmt(np.array([min_area_m2]))[0] + " m2"
    return _reason(area < min_area_m2, text, parcels.index, name)


def attribute_filter(
    parcels: gpd.GeoDataFrame,
    field: str,
    *,
    not_in: Sequence[object] | None = None,
    in_: Sequence[object] | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    name: str | None = None,
) -> pd.Series:
    """Exclude parcels by a column: in ``not_in``, outside ``in_``, or outside [min, max].

    Missing values are excluded by ``in_``/``min_value``/``max_value`` (they cannot
    prove they pass) and kept by ``not_in``.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels with the column.
    field : str
        The column tested.
    not_in : sequence, optional
        Values that exclude a parcel.
    in_ : sequence, optional
        The only values allowed.
    min_value, max_value : float, optional
        Allowed range of a numeric column (inclusive).
    name : str, optional
        Name of the returned reason Series (default: ``field``).

    Raises
    ------
    InputError
        If the column does not exist, a bound is not a finite number, or a bound is used
        on a non-numeric column.
    """
    if min_value is not None:
        min_value = check_number(min_value, "min_value")
    if max_value is not None:
        max_value = check_number(max_value, "max_value")
    if field not in parcels.columns:
        msg = f"attribute constraint: parcels have no column {field!r}; columns: {sorted(map(str, parcels.columns))}"
        raise InputError(msg)
    col = parcels[field]
    text = np.full(len(parcels), "", dtype=object)
    shown = col.astype("string").fillna("<missing>").to_numpy(dtype=object)
    if not_in is not None:
        bad = col.isin(list(not_in)).to_numpy()
        text = np.where(bad & (text == ""), f"{field} = " + shown + " not allowed", text)
    if in_ is not None:
        bad = ~col.isin(list(in_)).to_numpy()
        text = np.where(bad & (text == ""), f"{field} = " + shown + " not in allowed list", text)
    if min_value is not None or max_value is not None:
        num = pd.to_numeric(col, errors="coerce")
        if num.isna().all() and col.notna().any():
            msg = f"attribute constraint: column {field!r} is not numeric; min/max need numbers"
            raise InputError(msg)
        a = num.to_numpy(dtype="float64")
        if min_value is not None:
            bad = ~(a >= min_value)
            text = np.where(bad & (text == ""), f"{field} = " + shown + f" below minimum {min_value:g}", text)
        if max_value is not None:
            bad = ~(a <= max_value)
            text = np.where(bad & (text == ""), f"{field} = " + shown + f" above maximum {max_value:g}", text)
    return pd.Series(text, index=parcels.index, name=name or f"attribute_{field}", dtype="object")


def exclusion_layer(
    parcels: gpd.GeoDataFrame,
    features: gpd.GeoDataFrame,
    *,
    buffer_m: float = 0.0,
    max_overlap_share: float = 0.0,
    label: str = "exclusion layer",
    name: str = "exclusion",
) -> pd.Series:
    """Exclude parcels overlapping an exclusion layer (water, heritage, flood zone...).

    Polygons (or any features with ``buffer_m > 0``, buffered first) exclude a parcel
    when the share of its area they cover exceeds ``max_overlap_share``. Points and
    lines without a buffer exclude the parcels they touch. Buffers are polygons within
    2 mm of the true offset (see :func:`landplan.criteria.coverage.quad_segs_for`).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels in a projected CRS.
    features : geopandas.GeoDataFrame
        The exclusion layer, same CRS.
    buffer_m : float, default 0.0
        Buffer around the features, metres.
    max_overlap_share : float, default 0.0
        Largest allowed share (0..1) of a parcel covered.
    label : str, default 'exclusion layer'
        How reasons name the layer.
    name : str, default 'exclusion'
        Name of the returned reason Series.

    Raises
    ------
    InputError
        If ``buffer_m`` is not a finite number >= 0 or ``max_overlap_share`` not in [0, 1).
    """
    buffer_m = check_number(buffer_m, "buffer_m", ge=0)
    max_overlap_share = check_number(max_overlap_share, "max_overlap_share", ge=0, lt=1)
    check_inputs(parcels, features, what=f"exclusion constraint ({label})")
    fg = geoms(features)
    if buffer_m > 0:
        fg = shapely.buffer(fg, buffer_m, quad_segs=quad_segs_for(buffer_m))
    polygonal = shapely.get_type_id(fg) >= 3  # Polygon (3), MultiPolygon (6), collections
    pg = geoms(parcels)
    share = covered_share(pg, fg[polygonal])
    excluded = share > max_overlap_share
    what = f"{label}" + (f" (+{buffer_m:g} m)" if buffer_m > 0 else "")
    text = "overlaps " + what + ": " + _fmt(share * 100, "%.1f") + " % of area"
    if (~polygonal).any():
        left, _ = shapely.STRtree(fg[~polygonal]).query(pg, predicate="intersects")
        touched = np.zeros(len(parcels), dtype=bool)
        touched[left] = True
        text = np.where(excluded, text, "touches " + what)
        excluded |= touched
    return _reason(excluded, text, parcels.index, name)


def combine(reasons: Sequence[pd.Series] | pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Combine per-rule reasons into ``eligible`` (bool) and ``excluded_by`` (text).

    ``excluded_by`` joins every rule's reason with ``"; "``; it is ``""`` for eligible parcels.

    Parameters
    ----------
    reasons : sequence of pandas.Series or pandas.DataFrame
        One reason per rule and parcel, ``""`` where it passes.
    index : pandas.Index
        The parcel index of the result.
    """
    frame = reasons if isinstance(reasons, pd.DataFrame) else pd.concat(list(reasons), axis=1)
    text = np.full(len(index), "", dtype=object)
    for col in frame.columns:  # loop over rules, not parcels
        part = frame[col].reindex(index).fillna("").to_numpy(dtype=object)
        text = np.where(part == "", text, np.where(text == "", part, text + "; " + part))
    return pd.DataFrame(
        {"eligible": text == "", "excluded_by": pd.Series(text, index=index, dtype="object")}, index=index
    )


def raster_rule(
    stat: pd.Series,
    *,
    stat_name: str,
    label: str,
    min_value: float | None = None,
    max_value: float | None = None,
    name: str = "raster",
) -> pd.Series:
    """Exclude parcels whose raster statistic lies above ``max_value`` or below ``min_value``.

    Parcels with no raster value (NaN: outside the raster or only nodata) are kept.

    Parameters
    ----------
    stat : pandas.Series
        The statistic per parcel (from :func:`landplan.criteria.raster_stat`).
    stat_name : str
        ``mean``, ``min``, ``max`` or ``share_above`` (shares are shown in percent).
    label : str
        What the raster measures, for the reason ("flood depth").
    min_value, max_value : float, optional
        Bounds; at least one should be given.
    name : str, default "raster"
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        Reason text on ``stat.index`` (``""`` = kept).
    """
    a = stat.to_numpy(dtype="float64")
    text = np.full(len(a), "", dtype=object)
    if stat_name == "share_above":
        shown = np.char.mod("%.0f", np.nan_to_num(a) * 100).astype(object)
        unit, fmt = " % of area", "{:.0%}"
        lead = f"{label}: "
    else:
        shown = np.char.mod("%.3g", np.nan_to_num(a)).astype(object)
        unit, fmt = "", "{:g}"
        lead = f"{label}: {stat_name} "
    if max_value is not None:
        bound = fmt.format(max_value)
        tail = f"{unit} (max {bound})" if stat_name == "share_above" else f" above {bound}"
        text = np.where(a > max_value, lead + shown + tail, text)
    if min_value is not None:
        bound = fmt.format(min_value)
        tail = f"{unit} (min {bound})" if stat_name == "share_above" else f" below {bound}"
        text = np.where((a < min_value) & (text == ""), lead + shown + tail, text)
    return pd.Series(text, index=stat.index, name=name, dtype="object")
