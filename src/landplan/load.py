"""Reading a scenario into a :class:`~landplan.model.Study`.

Every layer is read once, checked, and reprojected once to the working CRS.

:func:`load_study` raises one :class:`~landplan.errors.ValidationError` listing every problem;
:func:`validate` returns the same findings without raising. Defaults that depend on the rule
pack (service radii) are resolved here, once, and carried in the study.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

import geopandas as gpd
import pyproj

from landplan._messages import N_
from landplan.config import NETWORK_KINDS, LayerSpec, RulePack, Scenario, load_rule_pack, load_scenario
from landplan.crs import check_metric, estimate_working_crs, placement_problems, to_working_crs
from landplan.errors import LandplanError, ValidationError, redact
from landplan.io import crs_label, read_layer
from landplan.io.raster import RasterData, read_raster
from landplan.io.sheets import join_table, read_table
from landplan.model import Study, select_rows
from landplan.network.study import StudyNetwork, network_findings, study_network
from landplan.validation import (
    Finding,
    Level,
    ValidationReport,
    check_layer,
    label_rows,
    outside_extent,
    outside_region,
)
from landplan.zones import prepare_zones, zone_names

__all__ = ["Progress", "as_scenario", "load_study", "validate"]

logger = logging.getLogger(__name__)

#: progress callback ``f(fraction, message)``
Progress = Callable[[float, str], None]


def _noop(_frac: float, _msg: str) -> None:
    return None


def as_scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    """A loaded scenario, reading the file when given a path.

    Parameters
    ----------
    scenario : Scenario, str or os.PathLike
        A scenario or the path of its TOML file.

    Returns
    -------
    Scenario
        The scenario.
    """
    return scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))


def validate(scenario: Scenario | str | os.PathLike[str]) -> ValidationReport:
    """Check a scenario's layers without scoring; every problem is in the report.

    Parameters
    ----------
    scenario : Scenario, str or os.PathLike
        The scenario or its TOML file.

    Returns
    -------
    ValidationReport
        Every finding of every layer.

    Raises
    ------
    ConfigError
        If the scenario file itself is wrong (the layers cannot even be named).
    """
    _, report = _study_and_report(as_scenario(scenario), _noop)
    return report


def load_study(scenario: Scenario | str | os.PathLike[str], *, progress: Progress | None = None) -> Study:
    """Read, check and reproject (once, to the working CRS) every layer of a scenario.

    Parameters
    ----------
    scenario : Scenario, str or os.PathLike
        The scenario or its TOML file.
    progress : callable, optional
        ``f(fraction, message)`` called as layers are read and checked.

    Returns
    -------
    Study
        The loaded layers, working CRS, rule pack, rasters and findings.

    Raises
    ------
    ValidationError
        Listing every problem found in every layer.
    ConfigError, RulePackError
        If the scenario or its rule pack is wrong.
    """
    study, report = _study_and_report(as_scenario(scenario), progress or _noop)
    for finding in report.findings:
        if finding.level == "warning":  # dropped features, repairs, misplaced features: never silent
            logger.warning("%s", finding)
    report.raise_for_errors()
    if study is None:  # pragma: no cover - errors were raised above
        msg = "layers could not be loaded"
        raise ValidationError(msg)
    return study


def _study_and_report(s: Scenario, progress: Progress) -> tuple[Study | None, ValidationReport]:
    report = ValidationReport()
    rules = load_rule_pack(s.scenario.rule_pack, base=s.base_dir)
    raw = _read_layers(s, report, progress)
    rasters = _read_rasters(s, report)
    _check_access_needs(s, report)
    if "parcels" not in raw:
        return None, report
    try:
        crs = (
            check_metric(s.scenario.crs, what=f"{s.source}: scenario.crs")
            if s.scenario.crs
            else estimate_working_crs(raw["parcels"])
        )
    except LandplanError as exc:
        report.findings.append(Finding("error", "scenario", str(exc)))
        return None, report
    frames = _check_layers(s, raw, crs, report, progress)
    _check_selections(s, frames, report)
    zones = None
    zspec = s.layers.zones
    if "zones" in frames and zspec is not None:
        needs_workers = any(c.kind == "access" for c in s.criteria)
        zones = prepare_zones(
            frames.pop("zones"), zspec, rules, report, needs_hazard=_needs_hazard(s), needs_workers=needs_workers
        )
    if not report.ok:
        return None, report
    parcels = frames.pop("parcels").set_index(s.layers.parcels.id_field, drop=True)
    radii = _service_radii(s, rules)
    outside = _extent_checks(s, parcels, {**frames, **({"zones": zones} if zones is not None else {})}, radii, report)
    report.extend(_region_findings(s, rules, parcels))
    network = _network(s, rules, parcels=parcels, zones=zones, frames=frames, report=report)
    if not report.ok:
        return None, report
    progress(1.0, "layers ready")
    logger.info("working CRS: %s", crs_label(crs))
    study = Study(
        scenario=s,
        crs=crs,
        rules=rules,
        parcels=parcels,
        zones=zones,
        features=frames,
        rasters=rasters,
        report=report,
        radius_m=radii,
        zone_names=zone_names(zones, zspec) if zones is not None and zspec is not None else _no_names(),
        outside_extent=outside,
        network=network,
    )
    return study, report


def _network(
    s: Scenario,
    rules: RulePack,
    *,
    parcels: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None,
    frames: dict[str, gpd.GeoDataFrame],
    report: ValidationReport,
) -> StudyNetwork | None:
    """The scenario's road network with parcels, zones and the measured layers joined (once)."""
    spec = s.network
    if spec is None:
        return None
    roads = frames[spec.layer]
    joined = {"parcels": parcels, **({"zones": zones} if zones is not None else {})}
    for c in s.criteria:
        layer = getattr(c, "layer", None)
        if c.kind in NETWORK_KINDS and layer is not None and layer not in joined:
            joined[layer] = frames[layer]
    fac = s.allocation.facilities if s.allocation is not None else None
    if fac is not None and fac.service == "network" and fac.layer in frames and fac.layer not in joined:
        joined[fac.layer] = frames[fac.layer]  # facility service areas along the roads (issue 16)
    try:
        net = study_network(spec, roads, joined, rules)
    except LandplanError as exc:
        report.findings.append(Finding("error", spec.layer, f"[network]: {exc}"))
        return None
    id_field = dict(s.layers.items())[spec.layer].id_field
    report.extend(network_findings(net, roads, parcels, layer=spec.layer, id_field=id_field))
    return net


def _no_names() -> pd.Series:
    return pd.Series(dtype="string", name="zone_name")


def _read_layers(s: Scenario, report: ValidationReport, progress: Progress) -> dict[str, gpd.GeoDataFrame]:
    raw: dict[str, gpd.GeoDataFrame] = {}
    items = s.layers.items()
    for i, (name, spec) in enumerate(items):
        progress(i / max(len(items), 1) * 0.5, f"reading {name}")
        try:
            raw[name] = read_layer(
                s.layer_path(name),
                spec.layer,
                spec.where,
                crs=spec.crs,
                encoding=spec.encoding,
                lon_field=spec.lon_field,
                lat_field=spec.lat_field,
                osm=spec.osm,
                osm_columns=spec.osm_columns,
                geometry=spec.geometry,
                sheet=spec.sheet,
                table=spec.table,
                sql=spec.sql,
            )
        except LandplanError as exc:
            report.findings.append(Finding("error", name, str(exc)))
        else:
            report.extend([Finding("warning", name, text) for text in raw[name].attrs.pop("warnings", [])])
            if spec.join is not None:
                _join(s, name, raw, report)
    return raw


def _join(s: Scenario, name: str, raw: dict[str, gpd.GeoDataFrame], report: ValidationReport) -> None:
    """Join the layer's attribute table (``join = {...}``); problems become findings on the layer."""
    spec = dict(s.layers.items())[name].join
    if spec is None:  # pragma: no cover - checked by the caller
        return
    path = s.join_path(name)
    label = f"{path} (join of layers.{name})"
    try:
        table = read_table(path, label, sheet=spec.sheet)
    except LandplanError as exc:
        report.findings.append(Finding("error", name, str(exc)))
        return
    gdf = raw[name]
    joined, found = join_table(
        gdf, table, on=spec.on, table_on=spec.table_on, fields=spec.fields, label=f"join of {path.name}"
    )
    joined.attrs.update({k: v for k, v in gdf.attrs.items() if k not in joined.attrs})
    raw[name] = joined
    for level, text, fix in found.problems:
        report.findings.append(
            Finding("error" if level == "error" else "warning", name, text, source=str(path), fix=fix)
        )


def _read_rasters(s: Scenario, report: ValidationReport) -> dict[str, RasterData]:
    rasters: dict[str, RasterData] = {}
    for name, rspec in s.rasters.items():
        try:
            rasters[name] = read_raster(s.raster_path(name), band=rspec.band)
        except LandplanError as exc:
            report.findings.append(Finding("error", f"rasters.{name}", str(exc)))
    return rasters


def _check_access_needs(s: Scenario, report: ValidationReport) -> None:
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


def _check_layers(
    s: Scenario,
    raw: dict[str, gpd.GeoDataFrame],
    crs: pyproj.CRS,
    report: ValidationReport,
    progress: Progress,
) -> dict[str, gpd.GeoDataFrame]:
    """Check each read layer for its role and reproject it to the working CRS."""
    required = s.required_columns()
    frames: dict[str, gpd.GeoDataFrame] = {}
    items = s.layers.items()
    for i, (name, spec) in enumerate(items):
        if name not in raw:
            continue
        progress(0.5 + i / max(len(items), 1) * 0.5, f"checking {name}")
        report.features[name] = len(raw[name])
        checked, found, n_repaired = check_layer(
            raw[name],
            name=name,
            source=redact(str(s.layer_path(name))),
            geometry=spec.geometry,
            id_field=spec.id_field,
            required=required.get(name, []),
            drop_null_geometries=name not in {"parcels", "zones"},
        )
        report.extend(found)
        report.extend(_placement_findings(checked, name, spec, crs, level=s.scenario.misplaced_features))
        if n_repaired:
            report.repaired[name] = n_repaired
        try:
            frames[name] = to_working_crs(checked, crs, name=name)
        except LandplanError as exc:
            report.findings.append(Finding("error", name, str(exc)))
    return frames


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
    return any(k.kind == "isolation" for k in s.constraints)


def _check_selections(s: Scenario, frames: dict[str, gpd.GeoDataFrame], report: ValidationReport) -> None:
    for i, c in enumerate(s.criteria):
        layer = getattr(c, "layer", None)
        select = getattr(c, "select", None) or {}
        if layer is None or layer not in frames or not select:
            continue
        gdf = frames[layer]
        if any(col not in gdf.columns for col in select):
            continue  # reported as a missing column already
        if select_rows(gdf, select).empty:
            report.findings.append(
                Finding(
                    "error",
                    layer,
                    f"criteria[{i}] ({c.name}): select={select} matches no feature",
                    fix="check the values in `select` against the layer",
                )
            )


def _service_radii(s: Scenario, rules: RulePack) -> dict[str, float]:
    """The service radius of each count/coverage criterion: its ``radius_m`` or its rule."""
    radii: dict[str, float] = {}
    for c in s.criteria:
        radius = getattr(c, "radius_m", None)
        rule = getattr(c, "radius_rule", None)
        if radius is not None:
            radii[c.name] = float(radius)
        elif rule is not None:
            radii[c.name] = rules.radius_m(str(rule))
    return radii


def _extent_checks(
    s: Scenario,
    parcels: gpd.GeoDataFrame,
    frames: dict[str, gpd.GeoDataFrame],
    radii: dict[str, float],
    report: ValidationReport,
) -> dict[str, pd.Series]:
    """Parcels outside each facility layer's extent (hull + radius), with a finding naming the layer.

    ``count`` and ``coverage`` criteria are checked always (their radius is the reach of the data);
    ``distance`` criteria when they say ``outside = "neutral"`` (a nearest distance needs no radius,
    so only the scenario can say the layer is partial). One finding per layer, radius and
    treatment: a warning when the parcels outside are measured as they are (``outside = "zero"``),
    a note when they are treated as no data.
    """
    out: dict[str, pd.Series] = {}
    groups: dict[tuple[str, float, str], list[str]] = {}
    for c in s.criteria:  # loop over criteria, not parcels
        mode, layer = getattr(c, "outside", None), getattr(c, "layer", None)
        if mode is None or layer not in frames or (c.kind == "distance" and mode != "neutral"):
            continue
        radius = radii.get(c.name, 0.0)
        mask = outside_extent(parcels.geometry.to_numpy(), frames[layer].geometry.dropna().to_numpy(), radius_m=radius)
        out[c.name] = pd.Series(mask, index=parcels.index, name=c.name)
        if mask.any():
            groups.setdefault((str(layer), radius, str(mode)), []).append(c.name)
    for (layer, radius, mode), names in groups.items():
        n, total = int(out[names[0]].sum()), len(parcels)
        treated = (
            N_("they are treated as no data (the median value of the parcels inside)")
            if mode == "neutral"
            else N_("they are measured as they are, so they likely score low for lack of data")
        )
        fix = N_('if the layer covers only part of the study area, set outside = "neutral" on the criterion')
        report.findings.append(
            Finding(
                "info" if mode == "neutral" else "warning",
                layer,
                N_(
                    "{n} of {total} parcels ({share}) lie outside the layer's extent (convex hull of its features + "
                    "{radius} m) for criteria {names}; {treated}"
                ).format(
                    n=n, total=total, share=f"{n / total:.1%}", radius=f"{radius:g}", names=names, treated=treated
                ),
                fix="" if mode == "neutral" else fix,
            )
        )
    return out


def _region_findings(s: Scenario, rules: RulePack, parcels: gpd.GeoDataFrame) -> list[Finding]:
    """A warning naming the rule pack's regional figures in use when parcels lie outside its region."""
    bbox = rules.meta.region_bbox
    used = {k: v for k, v in rules.regional_figures().items() if not _set_in_scenario(s, k)}
    if bbox is None or not used or parcels.crs is None:
        return []
    mask = outside_region(parcels, bbox)
    if not mask.any():
        return []
    figures = ", ".join(f"{k.split('.', 1)[1]} = {v.value:g}" for k, v in used.items())
    n, total = int(mask.sum()), len(mask)
    return [
        Finding(
            "warning",
            "parcels",
            N_(
                "{n} of {total} parcels ({share}) lie outside {region} ({bbox}), the region whose figures rule pack "
                "{pack} gives: {figures}"
            ).format(
                n=n,
                total=total,
                share=f"{n / total:.1%}",
                region=rules.meta.region,
                bbox=", ".join(f"{b:g}" for b in bbox),
                pack=repr(rules.meta.name),
                figures=figures,
            ),
            fix=N_("set these figures for your region under [demand] in the scenario (or use a rule pack for it)"),
        )
    ]


def _set_in_scenario(s: Scenario, key: str) -> bool:
    table, _, name = key.partition(".")
    return table == "housing" and getattr(s.demand, name, None) is not None
