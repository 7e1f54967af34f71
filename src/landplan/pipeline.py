"""The orchestrator: scenario -> layers -> validation -> criteria -> constraints -> score -> outputs.

The CLI, the notebook and the Python API all go through these functions:

- :func:`load_layers` reads every layer once, picks the working CRS, reprojects each
  layer once, and checks everything (raising one error that lists every problem);
- :func:`validate` does the same but returns the report instead of raising;
- :func:`score` computes criteria, constraints, values, weights and ranks;
- :func:`run` does all of it and writes the ranked list, the map and a manifest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import pyproj
import shapely

from landplan import constraints as cons
from landplan import criteria
from landplan.allocation import Allocation, allocate, allocation_layers
from landplan.config import (
    AttributeConstraint,
    CategoricalValue,
    CriterionSpec,
    ExclusionLayerConstraint,
    IsolationConstraint,
    LayerSpec,
    MinAreaConstraint,
    RasterConstraint,
    RulePack,
    Scenario,
    ZoneLayerSpec,
    load_rule_pack,
    load_scenario,
)
from landplan.criteria.raster import RasterData, read_raster
from landplan.crs import check_metric, estimate_working_crs, placement_problems, to_working_crs
from landplan.errors import InputError, LandplanError, ValidationError
from landplan.io import (
    atomic_path,
    check_output_path,
    crs_label,
    read_layer,
    scenario_inputs,
    spreadsheet_safe,
    write_csv,
    write_table,
)
from landplan.scoring.aggregate import aggregate, explain_drivers, normalise_weights, rank_eligible
from landplan.scoring.value import apply_value
from landplan.scoring.weights import scenario_weights
from landplan.validation import Finding, Level, ValidationReport, check_layer, label_rows

__all__ = ["Layers", "Result", "load_layers", "run", "score", "validate"]

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

#: allocation outputs: key -> file name (see write_allocation_file)
ALLOCATION_FILES = {
    "allocation_parcels": "allocation_parcels.csv",
    "allocation_zones": "allocation_zones.csv",
    "allocation_xlsx": "allocation.xlsx",
    "allocation_gpkg": "allocation.gpkg",
}


def _noop(_frac: float, _msg: str) -> None:
    return None


@dataclass(frozen=True)
class Layers:
    """Every layer of a scenario, read once and reprojected once to the working CRS.

    ``frames["parcels"]`` is indexed by the parcel id; ``frames["zones"]`` by the zone id
    and carries ``hazard_class``, ``isolation_m`` and ``footprint`` columns.
    """

    scenario: Scenario
    frames: dict[str, gpd.GeoDataFrame]
    crs: pyproj.CRS
    rules: RulePack
    report: ValidationReport
    rasters: dict[str, RasterData] = field(default_factory=dict)

    @property
    def parcels(self) -> gpd.GeoDataFrame:
        """The candidate parcels, indexed by parcel id."""
        return self.frames["parcels"]


@dataclass(frozen=True)
class Result:
    """What :func:`run` produced."""

    ranked: gpd.GeoDataFrame
    layers: Layers
    allocation: Allocation | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    def top(self, n: int = 10) -> gpd.GeoDataFrame:
        """The ``n`` best eligible parcels."""
        r = self.ranked
        return r[r["rank"].notna() & (r["rank"] <= n)].sort_values("rank")


# --------------------------------------------------------------------------- loading


def _as_scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))


def _required_columns(s: Scenario) -> dict[str, list[str]]:
    req: dict[str, list[str]] = {name: [] for name in s.layers.names()}
    for c in s.criteria:
        if c.kind == "attribute" and c.field:
            req["parcels"].append(c.field)
        layer = getattr(c, "layer", None)
        if layer is not None:
            req[layer].extend(getattr(c, "select", {}))
    for k in s.constraints:
        if isinstance(k, AttributeConstraint):
            req["parcels"].append(k.field)
    z = s.layers.zones
    if z is not None:
        req["zones"].extend(
            f for f in (z.hazard_field, z.workers_field, z.area_ha_field, z.name_field) if f is not None
        )
    for name, spec in s.layers.items():
        if spec.name_field and name != "zones":
            req[name].append(spec.name_field)
    return {k: list(dict.fromkeys(v)) for k, v in req.items()}


def _validate_and_load(
    scenario: Scenario | str | os.PathLike[str], *, progress: Progress | None = None
) -> tuple[Layers | None, ValidationReport]:
    s = _as_scenario(scenario)
    progress = progress or _noop
    report = ValidationReport()
    rules = load_rule_pack(s.scenario.rule_pack, base=s.base_dir)
    raw: dict[str, gpd.GeoDataFrame] = {}
    items = s.layers.items()
    for i, (name, spec) in enumerate(items):
        progress(i / max(len(items), 1) * 0.5, f"reading {name}")
        source = s.layer_path(name)
        try:
            raw[name] = read_layer(
                source,
                spec.layer,
                spec.where,
                crs=spec.crs,
                encoding=spec.encoding,
                lon_field=spec.lon_field,
                lat_field=spec.lat_field,
            )
        except LandplanError as exc:
            report.findings.append(Finding("error", name, str(exc)))
        else:
            report.extend([Finding("warning", name, text) for text in raw[name].attrs.pop("warnings", [])])
    rasters: dict[str, RasterData] = {}
    for name, rspec in s.rasters.items():
        try:
            rasters[name] = read_raster(s.raster_path(name), band=rspec.band)
        except LandplanError as exc:
            report.findings.append(Finding("error", f"rasters.{name}", str(exc)))
    for i, c in enumerate(s.criteria):
        if c.kind == "access" and (s.layers.zones is None or not s.layers.zones.workers_field):
            report.findings.append(
                Finding(
                    "error",
                    "zones",
                    f"criteria[{i}] ({c.name}): job access needs worker counts",
                    fix="set `workers_field` for the zones layer",
                )
            )
    if "parcels" not in raw:
        return None, report

    # one working CRS for the run
    try:
        crs = (
            check_metric(s.scenario.crs, what=f"{s.source}: scenario.crs")
            if s.scenario.crs
            else estimate_working_crs(raw["parcels"])
        )
    except LandplanError as exc:
        report.findings.append(Finding("error", "scenario", str(exc)))
        return None, report

    required = _required_columns(s)
    frames: dict[str, gpd.GeoDataFrame] = {}
    for i, (name, spec) in enumerate(items):
        if name not in raw:
            continue
        progress(0.5 + i / max(len(items), 1) * 0.5, f"checking {name}")
        gdf = raw[name]
        report.features[name] = len(gdf)
        is_core = name in {"parcels", "zones"}
        checked, found, n_repaired = check_layer(
            gdf,
            name=name,
            source=str(s.layer_path(name)),
            geometry=spec.geometry,
            id_field=spec.id_field,
            required=required[name],
            drop_null_geometries=not is_core,
        )
        report.extend(found)
        report.extend(_placement_findings(checked, name, spec, crs, level=s.scenario.misplaced_features))
        if n_repaired:
            report.repaired[name] = n_repaired
        try:
            frames[name] = to_working_crs(checked, crs, name=name)
        except LandplanError as exc:
            report.findings.append(Finding("error", name, str(exc)))
    _check_selections(s, frames, report)
    if "zones" in frames and s.layers.zones is not None:
        frames["zones"] = _prepare_zones(frames["zones"], s.layers.zones, rules, report, needs_hazard=_needs_hazard(s))
    if not report.ok:
        return None, report
    frames["parcels"] = frames["parcels"].set_index(s.layers.parcels.id_field, drop=True)
    progress(1.0, "layers ready")
    logger.info("working CRS: %s", crs_label(crs))
    return Layers(scenario=s, frames=frames, crs=crs, rules=rules, report=report, rasters=rasters), report


def _placement_findings(
    gdf: gpd.GeoDataFrame, name: str, spec: LayerSpec, crs: pyproj.CRS, *, level: Level
) -> list[Finding]:
    """Features that are impossible, at (0, 0), far from their layer or outside the working CRS."""
    if gdf.crs is None or gdf.empty:
        return []
    placement = placement_problems(gdf, working_crs=crs)
    out = []
    hint = '; or set `misplaced_features = "warning"` under [scenario]' if level == "error" else ""
    for mask, problem, fix in placement.messages(crs):
        always = mask is placement.impossible  # coordinates nothing can measure: always an error
        out.append(
            Finding(
                "error" if always else level,
                name,
                f"{int(mask.sum())} features {problem} ({label_rows(gdf, mask, spec.id_field)})",
                source=str(gdf.attrs.get("source", "")),
                fix=fix + ("" if always else hint),
            )
        )
    return out


def _needs_hazard(s: Scenario) -> bool:
    return any(isinstance(k, IsolationConstraint) for k in s.constraints)


def _check_selections(s: Scenario, frames: dict[str, gpd.GeoDataFrame], report: ValidationReport) -> None:
    for i, c in enumerate(s.criteria):
        layer, select = getattr(c, "layer", None), getattr(c, "select", None)
        if layer is None or layer not in frames or not select:
            continue
        gdf = frames[layer]
        if any(col not in gdf.columns for col in select):
            continue  # reported as a missing column already
        if _select(gdf, c).empty:
            report.findings.append(
                Finding(
                    "error",
                    layer,
                    f"criteria[{i}] ({c.name}): select={select} matches no feature",
                    fix="check the values in `select` against the layer",
                )
            )


def _prepare_zones(
    zones: gpd.GeoDataFrame, spec: ZoneLayerSpec, rules: RulePack, report: ValidationReport, *, needs_hazard: bool
) -> gpd.GeoDataFrame:
    if spec.id_field not in zones.columns or zones[spec.id_field].duplicated().any():
        return zones  # reported already
    out = zones.set_index(spec.id_field, drop=False)
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
            return out
        area_ha = pd.to_numeric(out[spec.area_ha_field], errors="coerce").to_numpy()
        bad = is_point & ~(np.isfinite(area_ha) & (area_ha > 0))
        if bad.any():
            ids = ", ".join(repr(str(i)) for i in out.index[bad][:5])
            report.findings.append(
                Finding(
                    "error",
                    "zones",
                    f"{int(bad.sum())} point zones have no finite, positive area ({spec.id_field} {ids})",
                    field=spec.area_ha_field,
                    fix="give every point zone its area in hectares, or draw it as a polygon",
                )
            )
            return out
        # a 64-gon whose area equals the zone's area (a circle's radius would give 0.16 % less)
        n = 64
        radius = np.sqrt(np.where(is_point, area_ha, 0) * 10_000 / (n / 2 * math.sin(2 * math.pi / n)))
        geom = geom.copy()
        geom[is_point] = shapely.buffer(geom[is_point], radius[is_point], quad_segs=n // 4)
        out = out.set_geometry(gpd.GeoSeries(geom, index=out.index, crs=out.crs))
    out["footprint"] = footprint
    if spec.workers_field is not None and spec.workers_field in out.columns:
        workers = pd.to_numeric(out[spec.workers_field], errors="coerce").to_numpy(dtype="float64")
        bad = ~(np.isfinite(workers) & (workers >= 0))
        if bad.any():
            ids = ", ".join(repr(str(i)) for i in out.index[bad][:5])
            report.findings.append(
                Finding(
                    "error",
                    "zones",
                    f"{int(bad.sum())} zones have no finite, non-negative worker count ({spec.id_field} {ids})",
                    field=spec.workers_field,
                    fix="fill the worker counts (0 if none)",
                )
            )
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
        return out
    known = set(rules.isolation_distance_m)
    unknown = sorted(set(hazard.dropna()) - known)
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
    if unknown:
        report.findings.append(
            Finding(
                "error",
                "zones",
                f"hazard classes {unknown} are not in rule pack {rules.meta.name!r} (known: {sorted(known)})",
                field=spec.hazard_field,
                fix="use a class from the rule pack",
            )
        )
        return out
    out["hazard_class"] = hazard
    out["isolation_m"] = hazard.map(lambda h: rules.isolation_m(h) if isinstance(h, str) else np.nan).astype("float64")
    return out


def validate(scenario: Scenario | str | os.PathLike[str]) -> ValidationReport:
    """Check a scenario's layers without scoring; every problem is in the report.

    Raises
    ------
    ConfigError
        If the scenario file itself is wrong (the layers cannot even be named).
    """
    _, report = _validate_and_load(scenario)
    return report


def load_layers(scenario: Scenario | str | os.PathLike[str], *, progress: Progress | None = None) -> Layers:
    """Read, reproject (once, to the working CRS) and check every layer of a scenario.

    Raises
    ------
    ValidationError
        Listing every problem found in every layer.
    ConfigError, RulePackError
        If the scenario or its rule pack is wrong.
    """
    layers, report = _validate_and_load(scenario, progress=progress)
    for finding in report.findings:
        if finding.level == "warning":  # dropped features, repairs, misplaced features: never silent
            logger.warning("%s", finding)
    report.raise_for_errors()
    if layers is None:  # pragma: no cover - errors were raised above
        msg = "layers could not be loaded"
        raise ValidationError(msg)
    return layers


# --------------------------------------------------------------------------- scoring


def _select(gdf: gpd.GeoDataFrame, c: CriterionSpec) -> gpd.GeoDataFrame:
    mask = np.ones(len(gdf), dtype=bool)
    for col, val in getattr(c, "select", {}).items():
        values = val if isinstance(val, list) else [val]
        mask &= gdf[col].isin(values).to_numpy()
    return gdf.loc[mask]


def criterion_raw(layers: Layers, c: CriterionSpec) -> pd.Series:
    """Raw value of one criterion for every parcel (metres, counts, shares, ...)."""
    parcels = layers.parcels
    name = f"{c.name}_raw"
    if c.kind == "area":
        return criteria.parcel_area(parcels, name=name)
    if c.kind == "attribute":
        assert c.field is not None
        if isinstance(c.value, CategoricalValue):
            return parcels[c.field].astype("string").rename(name)
        return criteria.attribute(parcels, c.field, name=name)
    if c.kind == "raster":
        assert c.raster is not None
        return criteria.raster_stat(parcels, layers.rasters[c.raster], stat=c.stat, threshold=c.threshold, name=name)
    if c.kind == "access":
        zones = layers.frames[c.layer or "zones"]
        zspec = layers.scenario.layers.zones
        assert zspec is not None and zspec.workers_field is not None and c.scale_m is not None
        return criteria.gravity_access(
            parcels, zones, workers=zones[zspec.workers_field], decay=c.decay, scale_m=c.scale_m, name=name
        )
    assert c.layer is not None
    features = _select(layers.frames[c.layer], c)
    if c.kind == "distance":
        return criteria.nearest_distance(parcels, features, name=name)
    radius = c.radius_m if c.radius_m is not None else layers.rules.radius_m(str(c.radius_rule))
    if c.kind == "count":
        return criteria.count_within(parcels, features, radius_m=radius, name=name).astype("float64")
    return criteria.coverage_share(parcels, features, radius_m=radius, name=name)


def constraint_reasons(layers: Layers) -> pd.DataFrame:
    """One reason column per constraint of the scenario (``""`` = kept)."""
    parcels = layers.parcels
    cols: list[pd.Series] = []
    for i, k in enumerate(layers.scenario.constraints):
        name = f"c{i}_{k.kind}"
        if isinstance(k, IsolationConstraint):
            zones = layers.frames[k.layer]
            zspec = layers.scenario.layers.zones
            label_field = zspec.name_field if zspec is not None and zspec.name_field else None
            labels = zones[label_field] if label_field else zones.index.to_series()
            hazard = zones["hazard_class"].astype(str)
            zone_label = labels.astype(str) + " (class " + hazard + ")"
            cols.append(
                cons.isolation(parcels, zones, distance_m=zones["isolation_m"], zone_label=zone_label, name=name)
            )
        elif isinstance(k, MinAreaConstraint):
            cols.append(cons.min_area(parcels, min_area_m2=k.min_area_m2, name=name))
        elif isinstance(k, AttributeConstraint):
            cols.append(
                cons.attribute_filter(
                    parcels, k.field, not_in=k.not_in, in_=k.in_, min_value=k.min, max_value=k.max, name=name
                )
            )
        elif isinstance(k, RasterConstraint):
            cols.append(raster_reasons(layers, k, name=name))
        elif isinstance(k, ExclusionLayerConstraint):
            cols.append(
                cons.exclusion_layer(
                    parcels,
                    layers.frames[k.layer],
                    buffer_m=k.buffer_m,
                    max_overlap_share=k.max_overlap_share,
                    label=k.label or k.layer,
                    name=name,
                )
            )
    if not cols:
        return pd.DataFrame(index=parcels.index)
    return pd.concat(cols, axis=1)


def raster_reasons(layers: Layers, k: RasterConstraint, *, name: str) -> pd.Series:
    """Reasons from a raster constraint (parcels with no raster value are kept, and reported)."""
    parcels = layers.parcels
    stat = criteria.raster_stat(parcels, layers.rasters[k.raster], stat=k.stat, threshold=k.threshold)
    a = stat.to_numpy()
    what = k.label or k.raster
    text = np.full(len(a), "", dtype=object)
    if k.stat == "share_above":
        shown = np.char.mod("%.0f", np.nan_to_num(a) * 100).astype(object)
        if k.max is not None:
            text = np.where(a > k.max, f"{what}: " + shown + f" % of area (max {k.max:.0%})", text)
        if k.min is not None:
            text = np.where((a < k.min) & (text == ""), f"{what}: " + shown + f" % of area (min {k.min:.0%})", text)
    else:
        shown = np.char.mod("%.3g", np.nan_to_num(a)).astype(object)
        if k.max is not None:
            text = np.where(a > k.max, f"{what}: {k.stat} " + shown + f" above {k.max:g}", text)
        if k.min is not None:
            text = np.where((a < k.min) & (text == ""), f"{what}: {k.stat} " + shown + f" below {k.min:g}", text)
    return pd.Series(text, index=parcels.index, name=name, dtype="object")


def score(
    layers: Layers | Scenario | str | os.PathLike[str],
    *,
    weights: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """Score and rank every parcel of a scenario.

    Parameters
    ----------
    layers
        Loaded :class:`Layers` (fastest when scoring several times), or a scenario.
    weights
        Weights by criterion name to use instead of the scenario's (they are normalised;
        zero or negative weights are rejected). Handy to compare rankings.
    progress
        Optional callback ``f(fraction, message)``.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by parcel id, sorted by rank (eligible parcels first, then excluded ones
        by id), with ``rank`` (nullable int), ``score``, ``eligible``, ``excluded_by``,
        ``top_drivers``, ``area_m2``, then per criterion ``<name>_raw``, ``<name>_value``
        and ``<name>_contrib``, then the parcel's own columns and geometry, in the
        working CRS. Contributions follow the aggregation method (see
        :func:`landplan.scoring.aggregate.aggregate`): they sum to the score (weighted sum,
        TOPSIS) or to ln(score) (weighted product, log-contributions).

    Raises
    ------
    InputError
        For unknown criterion names or non-positive weights.
    """
    progress = progress or _noop
    if not isinstance(layers, Layers):
        layers = load_layers(layers)
    s = layers.scenario
    specs = s.criteria
    if weights is not None:
        unknown = sorted(set(weights) - {c.name for c in specs})
        if unknown:
            msg = f"weights for unknown criteria {unknown}; criteria are {[c.name for c in specs]}"
            raise InputError(msg)
        missing = [c.name for c in specs if c.name not in weights]
        if missing:
            msg = f"weights must be given for every criterion; missing {missing}"
            raise InputError(msg)
    w = normalise_weights(weights if weights is not None else scenario_weights(s).weights)
    parcels = layers.parcels
    raw: dict[str, pd.Series] = {}
    values: dict[str, pd.Series] = {}
    for i, c in enumerate(specs):
        progress(i / (len(specs) + 1), f"criterion {c.name}")
        raw[c.name] = criterion_raw(layers, c)
        values[c.name] = apply_value(raw[c.name], c.value).rename(c.name)
    progress(len(specs) / (len(specs) + 1), "constraints")
    value_frame = pd.DataFrame(values, index=parcels.index)
    weight_map = {str(k): float(v) for k, v in w.items()}

    reasons = constraint_reasons(layers)
    missing_value = value_frame.isna()
    if missing_value.to_numpy().any():
        miss = pd.DataFrame(
            {f"missing_{c}": np.where(missing_value[c], f"no value for {c}", "") for c in value_frame.columns},
            index=parcels.index,
        )
        reasons = pd.concat([reasons, miss], axis=1)
    status = cons.combine(reasons, parcels.index)
    method = s.aggregation.method
    total, contrib = aggregate(value_frame, weight_map, method=method, reference=status["eligible"])
    rank = rank_eligible(total, status["eligible"])
    labels = {c.name: c.title for c in specs}

    out = pd.DataFrame(index=parcels.index)
    out["rank"] = rank
    out["score"] = total
    out["eligible"] = status["eligible"]
    out["excluded_by"] = status["excluded_by"]
    out["top_drivers"] = explain_drivers(contrib, labels, top=s.scenario.top_drivers, log=method == "weighted_product")
    out["area_m2"] = parcels.geometry.area
    for c in specs:
        out[f"{c.name}_raw"] = raw[c.name]
        out[f"{c.name}_value"] = value_frame[c.name]
        out[f"{c.name}_contrib"] = contrib[c.name]
    own = [col for col in parcels.columns if col != parcels.geometry.name and col not in out.columns]
    out = pd.concat([out, parcels[own]], axis=1)
    ranked = gpd.GeoDataFrame(out, geometry=parcels.geometry, crs=parcels.crs)
    ranked.index.name = parcels.index.name

    # eligible by rank, then excluded by parcel id (stable and deterministic)
    key = ranked["rank"].to_numpy(dtype="float64", na_value=np.inf)
    ids = ranked.index.to_numpy()
    order = np.lexsort((ids.astype(str) if ids.dtype == object else ids, key))
    ranked = ranked.iloc[order]
    ranked.attrs = {
        "weights": w.to_dict(),
        "crs": crs_label(layers.crs),
        "scenario": s.scenario.name,
        "aggregation": s.aggregation.method,
    }
    progress(1.0, "scored")
    return ranked


# --------------------------------------------------------------------------- run


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest(layers: Layers, ranked: gpd.GeoDataFrame) -> dict[str, Any]:
    """A JSON-able record of the run: inputs with hashes, CRS, rule pack, weights, versions."""
    import folium

    s = layers.scenario
    inputs = []
    for name in s.layers.names():
        p = s.layer_path(name)
        entry: dict[str, Any] = {"layer": name, "path": str(p)}
        if isinstance(p, Path) and p.is_file():
            entry["sha256"] = _sha256(p)
        entry["features"] = layers.report.features.get(name)
        inputs.append(entry)
    for name in s.rasters:
        p = s.raster_path(name)
        inputs.append(
            {"layer": f"raster {name}", "path": str(p), "sha256": _sha256(p) if p.is_file() else None, "features": None}
        )
    return {
        "scenario": {
            "name": s.scenario.name,
            "file": s.source,
            "sha256": _sha256(Path(s.source)) if Path(s.source).is_file() else None,
        },
        "working_crs": crs_label(layers.crs),
        "rule_pack": {"name": layers.rules.meta.name, "source": layers.rules.path},
        "weights": ranked.attrs.get("weights", scenario_weights(s).weights),
        "inputs": inputs,
        "parcels": len(ranked),
        "eligible": int(ranked["eligible"].sum()),
        "repaired_geometries": layers.report.repaired,
        "versions": {
            "landplan": _version(),
            "python": platform.python_version(),
            "geopandas": gpd.__version__,
            "shapely": shapely.__version__,
            "pyproj": pyproj.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "folium": folium.__version__,
        },
    }


def _version() -> str:
    from landplan import __version__

    return __version__


def plan_outputs(
    s: Scenario, out_dir: str | os.PathLike[str], *, formats: list[str], write_map: bool
) -> dict[str, Path]:
    """The files :func:`run` writes into ``out_dir``, by key (``ranked_csv``, ``map``, ..., ``manifest`` last)."""
    from landplan.io import FORMATS

    out = Path(out_dir)
    targets = {f"ranked_{fmt}": out / f"ranked{FORMATS[fmt]}" for fmt in formats}
    if s.allocation is not None:
        targets.update({key: out / name for key, name in ALLOCATION_FILES.items()})
    if write_map:
        targets["map"] = out / "map.html"
    if s.output.report:
        targets["report"] = out / "report.html"
    targets["manifest"] = out / "manifest.json"
    return targets


def run(
    scenario: Scenario | str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    formats: list[str] | None = None,
    write_map: bool | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Result:
    """Run the whole pipeline and (when ``out_dir`` is given) write its outputs.

    Writes ``ranked.<fmt>`` for each format, the allocation tables, ``map.html``,
    ``report.html`` and ``manifest.json`` (with the sha256 of every output) into
    ``out_dir``. Every output path is checked before any work: existing files are
    refused unless ``overwrite``; inputs, links, pipes and paths under a file always.
    The folder is locked for the run (a concurrent run into it fails), and all files
    are written into a staging folder beside it and moved in together only when every
    one of them succeeded: a failed or interrupted run leaves the folder as it was.

    Returns
    -------
    Result

    Raises
    ------
    OutputExistsError
        If an output is refused or the folder is in use by another run.
    """
    from landplan.io import output_folder

    s = _as_scenario(scenario)
    formats = formats or list(s.output.formats)
    write_map = s.output.map if write_map is None else write_map
    if out_dir is None:
        return _compute(s, progress=progress or _noop)
    targets = plan_outputs(s, out_dir, formats=formats, write_map=write_map)
    inputs = scenario_inputs(s)
    for path in targets.values():  # refuse before doing any work
        check_output_path(path, inputs=inputs, overwrite=overwrite)
    with output_folder(out_dir) as folder:
        for path in targets.values():  # again, now that no other run can write here
            check_output_path(path, inputs=inputs, overwrite=overwrite)
        result = _compute(s, progress=progress or _noop)
        staged = {key: folder.path(path.name) for key, path in targets.items()}
        _write_outputs(result, staged, progress=progress or _noop)
        info = dict(result.manifest)
        info["outputs"] = {k: str(v) for k, v in targets.items() if k != "manifest"}
        info["output_sha256"] = {k: _sha256(p) for k, p in staged.items() if k != "manifest"}
        staged["manifest"].write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    progress = progress or _noop
    progress(1.0, "done")
    outputs = dict(targets)
    return Result(
        ranked=result.ranked, layers=result.layers, allocation=result.allocation, outputs=outputs, manifest=info
    )


def _compute(s: Scenario, *, progress: Progress) -> Result:
    layers = load_layers(s, progress=lambda f, m: progress(0.4 * f, m))
    ranked = score(layers, progress=lambda f, m: progress(0.4 + 0.3 * f, m))
    alloc = None
    if s.allocation is not None:
        progress(0.7, "allocating")
        alloc = allocate(layers, ranked)
    info = manifest(layers, ranked)
    if alloc is not None:
        info["allocation"] = {
            "summary": alloc.summary(),
            "method": alloc.method,
            "status": alloc.status,
            "objective": alloc.objective,
            "gap": alloc.gap,
            "seconds": round(alloc.seconds, 2),
            "parameters": alloc.info.get("params", {}),
        }
    return Result(ranked=ranked, layers=layers, allocation=alloc, manifest=info)


def _write_outputs(result: Result, staged: dict[str, Path], *, progress: Progress) -> None:
    """Write every output but the manifest to its (staging) path."""
    layers, ranked, alloc = result.layers, result.ranked, result.allocation
    s = layers.scenario
    for key, path in staged.items():
        if key.startswith("ranked_"):
            progress(0.85, f"writing {path.name}")
            write_table(ranked, path, format=key.removeprefix("ranked_"), overwrite=True)
        elif key.startswith("allocation_"):
            assert alloc is not None
            write_allocation_file(alloc, layers, key, path, overwrite=True, inputs=[])
        elif key == "map":
            progress(0.9, "writing map")
            from landplan.mapping import save_map, scenario_map

            m = scenario_map(
                ranked,
                layers,
                top=s.output.top,
                allocation=alloc,
                offline=s.output.offline,
                classification=s.output.classification,
            )
            save_map(m, path, offline=s.output.offline)
        elif key == "report":
            progress(0.95, "writing report")
            from landplan.report import write_report

            write_report(path, layers, ranked, allocation=alloc, top=min(s.output.top, 10))


def _freeze_xlsx_timestamps(path: Path) -> None:
    """Make an XLSX byte-identical across runs: fixed zip entry times and document dates."""
    import io
    import re
    import zipfile

    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            fixed = (
                re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
                if name == "docProps/core.xml"
                else data
            )
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, fixed)
    path.write_bytes(buf.getvalue())


def write_allocation_file(
    alloc: Allocation, layers: Layers, key: str, path: Path, *, overwrite: bool, inputs: list[Path]
) -> Path:
    """Write one allocation output (``allocation_parcels``/``_zones`` CSV, ``_xlsx``, ``_gpkg``) atomically."""
    check_output_path(path, inputs=inputs, overwrite=overwrite)
    with atomic_path(path) as tmp:
        if key == "allocation_parcels":
            write_csv(alloc.parcels, tmp)
        elif key == "allocation_zones":
            write_csv(alloc.zones, tmp)
        elif key == "allocation_xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                spreadsheet_safe(alloc.zones).to_excel(xl, sheet_name="zones")
                spreadsheet_safe(alloc.parcels).to_excel(xl, sheet_name="parcels")
            _freeze_xlsx_timestamps(tmp)
        elif key == "allocation_gpkg":
            for name, gdf in allocation_layers(alloc, layers).items():
                gdf.reset_index().to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        else:  # pragma: no cover - keys are fixed above
            msg = f"unknown allocation output {key}"
            raise ValueError(msg)
    return path
