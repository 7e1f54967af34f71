"""Industrial zones made ready for measuring: footprints, worker counts and hazard classes.

:func:`prepare_zones` indexes the zones by id, gives point zones a footprint (a 64-gon whose
area is the zone's area), checks worker counts, and turns hazard classes into isolation
distances from the rule pack. Problems become findings; nothing is raised.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.config import RulePack, ZoneLayerSpec
from landplan.model import m2
from landplan.validation import Finding, ValidationReport

__all__ = ["prepare_zones", "zone_names"]

#: sides of the polygon standing for a point zone's footprint
FOOTPRINT_SIDES = 64


def prepare_zones(
    zones: gpd.GeoDataFrame,
    spec: ZoneLayerSpec,
    rules: RulePack,
    report: ValidationReport,
    *,
    needs_hazard: bool,
    needs_workers: bool = False,
) -> gpd.GeoDataFrame:
    """Index zones by id and add ``footprint``, ``hazard_class`` and ``isolation_m``.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The checked zones layer in the working CRS.
    spec : ZoneLayerSpec
        Its scenario entry (id, name, workers, area and hazard fields).
    rules : RulePack
        The rule pack giving isolation distances by hazard class.
    report : ValidationReport
        Findings are appended here.
    needs_hazard : bool
        Whether an isolation constraint needs a hazard class per zone.
    needs_workers : bool, default False
        Whether a criterion (job access) needs a worker count for every zone; otherwise empty
        counts are left for demand to estimate from the zone's area (a warning).

    Returns
    -------
    geopandas.GeoDataFrame
        The zones indexed by id (the id column kept), with the new columns where they could be
        derived.
    """
    if spec.id_field not in zones.columns or zones[spec.id_field].duplicated().any():
        return zones  # reported already
    out = zones.set_index(spec.id_field, drop=False)
    with_footprint = _footprints(out, spec, report)
    if with_footprint is None:
        return out
    out = with_footprint
    _check_workers(out, spec, report, needs_counts=needs_workers)
    hazard = _hazard_classes(out, spec, rules, report, needs_hazard=needs_hazard)
    if hazard is not None:
        out["hazard_class"] = hazard
        out["isolation_m"] = hazard.map(lambda h: rules.isolation_m(h) if isinstance(h, str) else np.nan).astype(
            "float64"
        )
    return out


def zone_names(zones: gpd.GeoDataFrame, spec: ZoneLayerSpec) -> pd.Series:
    """Display name of each zone: its ``name_field``, else its id.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Zones indexed by id.
    spec : ZoneLayerSpec
        Its scenario entry.

    Returns
    -------
    pandas.Series
        Strings on the zone index, named ``zone_name``.
    """
    names = zones[spec.name_field] if spec.name_field and spec.name_field in zones else zones.index.to_series()
    return names.astype("string").fillna(zones.index.to_series().astype("string")).rename("zone_name")


def _footprints(out: gpd.GeoDataFrame, spec: ZoneLayerSpec, report: ValidationReport) -> gpd.GeoDataFrame | None:
    """Point zones become 64-gons of the zone's area; None when that area is missing."""
    geom = np.asarray(out.geometry.array, dtype=object)
    is_point = np.isin(shapely.get_type_id(geom), [0, 4])
    footprint = np.where(is_point, "derived: disc of the zone area around its point", "polygon from source")
    if is_point.any():
        if spec.area_ha_field is None or spec.area_ha_field not in out.columns:
            report.findings.append(
                Finding(
                    "error",
                    "zones",
                    f"{int(is_point.sum())} zones are points; a footprint needs their area",
                    fix="set `area_ha_field` (area in hectares) for the zones layer, or use polygons",
                )
            )
            return None
        area_ha = pd.to_numeric(out[spec.area_ha_field], errors="coerce").to_numpy()
        bad = is_point & ~(np.isfinite(area_ha) & (area_ha > 0))
        if bad.any():
            report.findings.append(
                Finding(
                    "error",
                    "zones",
                    f"{int(bad.sum())} point zones have no finite, positive area ({spec.id_field} {_ids(out, bad)})",
                    field=spec.area_ha_field,
                    fix="give every point zone its area in hectares, or draw it as a polygon",
                )
            )
            return None
        # a 64-gon whose area equals the zone's area (a circle's radius would give 0.16 % less)
        n = FOOTPRINT_SIDES
        radius = np.sqrt(m2(np.where(is_point, area_ha, 0)) / (n / 2 * math.sin(2 * math.pi / n)))
        geom = geom.copy()
        geom[is_point] = shapely.buffer(geom[is_point], radius[is_point], quad_segs=n // 4)
        out = out.set_geometry(gpd.GeoSeries(geom, index=out.index, crs=out.crs))
    out["footprint"] = footprint
    return out


def _check_workers(out: gpd.GeoDataFrame, spec: ZoneLayerSpec, report: ValidationReport, *, needs_counts: bool) -> None:
    """Worker counts: empty ones are estimated from area (a warning) unless a criterion needs real counts."""
    if spec.workers_field is None or spec.workers_field not in out.columns:
        return
    column = out[spec.workers_field]
    empty = (column.isna() | column.astype("string").str.strip().eq("").fillna(False)).to_numpy(dtype=bool)
    workers = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64")
    bad = ~(np.isfinite(workers) & (workers >= 0))
    if not needs_counts:
        bad &= ~empty
        if empty.any():
            report.findings.append(
                Finding(
                    "warning",
                    "zones",
                    f"{int(empty.sum())} zones have no worker count ({spec.id_field} {_ids(out, empty)}); demand "
                    "estimates them as area_ha x workers_per_ha and flags them workers_estimated",
                    field=spec.workers_field,
                    fix="fill the counts where they are known",
                )
            )
    if bad.any():
        report.findings.append(
            Finding(
                "error",
                "zones",
                f"{int(bad.sum())} zones have no finite, non-negative worker count ({spec.id_field} {_ids(out, bad)})",
                field=spec.workers_field,
                fix="fill the worker counts (0 if none)",
            )
        )


def _hazard_classes(
    out: gpd.GeoDataFrame, spec: ZoneLayerSpec, rules: RulePack, report: ValidationReport, *, needs_hazard: bool
) -> pd.Series | None:
    """Hazard class per zone (stripped text, defaults filled), or None when there is none to use."""
    if spec.hazard_field is not None and spec.hazard_field in out.columns:
        hazard = out[spec.hazard_field].astype("string").str.strip()
        if spec.default_hazard_class is not None:
            hazard = hazard.fillna(spec.default_hazard_class).replace("", spec.default_hazard_class)
    elif spec.default_hazard_class is not None:
        hazard = pd.Series(spec.default_hazard_class, index=out.index, dtype="string")
    else:
        if needs_hazard:
            report.findings.append(
                Finding(
                    "error",
                    "zones",
                    "the isolation constraint needs a hazard class per zone",
                    fix="set `hazard_field` or `default_hazard_class` for the zones layer",
                )
            )
        return None
    known = set(rules.isolation_distance_m)
    if hazard.isna().any() and needs_hazard:
        report.findings.append(
            Finding(
                "error",
                "zones",
                f"{int(hazard.isna().sum())} zones have no hazard class",
                field=spec.hazard_field,
                fix="fill the field or set `default_hazard_class`",
            )
        )
    if unknown := sorted(set(hazard.dropna()) - known):
        report.findings.append(
            Finding(
                "error",
                "zones",
                f"hazard classes {unknown} are not in rule pack {rules.meta.name!r} (known: {sorted(known)})",
                field=spec.hazard_field,
                fix="use a class from the rule pack",
            )
        )
        return None
    return hazard


def _ids(out: gpd.GeoDataFrame, mask: np.ndarray) -> str:
    return ", ".join(repr(str(i)) for i in out.index[mask][:5])
