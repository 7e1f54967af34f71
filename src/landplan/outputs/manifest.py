"""The run manifest: a JSON-able record of inputs (with hashes), CRS, rules, weights and versions."""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import pyproj
import shapely

from landplan.errors import redact
from landplan.io import crs_label
from landplan.model import Allocation, Scores, Sites, Study

__all__ = ["manifest", "sha256"]


def sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks; of a folder, over its files' names and digests.

    Parameters
    ----------
    path : pathlib.Path
        The file (or a partitioned output folder).

    Returns
    -------
    str
        The hex digest.
    """
    h = hashlib.sha256()
    if path.is_dir():
        for part in sorted(p for p in path.iterdir() if p.is_file()):
            h.update(f"{part.name}\0{sha256(part)}\n".encode())
        return h.hexdigest()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest(
    study: Study, scores: Scores, *, allocation: Allocation | None = None, sites: Sites | None = None
) -> dict[str, Any]:
    """A JSON-able record of the run: inputs with hashes, CRS, rule pack, weights, radii, versions.

    Parameters
    ----------
    study : Study
        The loaded study.
    scores : Scores
        Its scores (the weights used, counts).
    allocation : Allocation, optional
        The allocation, recorded with its solver facts and parameters.
    sites : Sites, optional
        Sites assembled from parcels, recorded with their counts (sites, groups split,
        parcels dropped by reason).

    Returns
    -------
    dict
        Keys ``scenario``, ``working_crs``, ``rule_pack``, ``weights``, ``aggregation``,
        ``service_radius_m``, ``inputs``, ``parcels``, ``eligible``, ``repaired_geometries``,
        ``versions`` and, with an allocation, ``allocation``; with sites, ``sites`` (and
        ``parcels``/``eligible`` count sites).
    """
    s = study.scenario
    source = Path(s.source)
    info: dict[str, Any] = {
        "scenario": {
            "name": s.scenario.name,
            "file": s.source,
            "sha256": sha256(source) if source.is_file() else None,
        },
        "working_crs": crs_label(study.crs),
        "rule_pack": {"name": study.rules.meta.name, "source": study.rules.path},
        "weights": dict(scores.weights),
        "aggregation": scores.aggregation,
        "service_radius_m": dict(study.radius_m),
        "inputs": _inputs(study),
        "parcels": len(scores.score),
        "eligible": int(scores.eligible.sum()),
        "repaired_geometries": study.report.repaired,
        "versions": _versions(),
    }
    if sites is not None:
        info["sites"] = dict(sites.summary)
    if allocation is not None:
        info["allocation"] = {
            "summary": allocation.summary(timing=False),
            "method": allocation.method,
            "status": allocation.status,
            "objective": allocation.objective,
            "gap": allocation.gap,
            "max_commute_m": allocation.info.get("max_commute_m"),
            "parameters": allocation.info.get("params", {}),
            "unit": allocation.info.get("unit"),
            "min_reserve_ha": allocation.info.get("min_reserve_ha"),
            "warnings": allocation.info.get("warnings", []),
        }
        if "max_commute_min" in allocation.info:  # commute along the [network]
            info["allocation"]["max_commute_min"] = allocation.info["max_commute_min"]
        if allocation.phases is not None:
            info["allocation"]["phases"] = allocation.phases.reset_index().to_dict(orient="records")
    if study.network is not None:
        net = study.network.spec
        info["network"] = {"layer": net.layer, "mode": net.mode, "off_network_speed_kmh": study.network.off_speed_kmh}
    return info


def _inputs(study: Study) -> list[dict[str, Any]]:
    s = study.scenario
    inputs: list[dict[str, Any]] = []
    for name in s.layers.names():
        p = s.layer_path(name)
        spec = dict(s.layers.items())[name]
        entry: dict[str, Any] = {"layer": name, "path": redact(str(p))}
        if spec.table is not None or spec.sql is not None:
            entry["table" if spec.table is not None else "sql"] = spec.table or spec.sql
        entry["sha256"] = sha256(p) if isinstance(p, Path) and (p.is_file() or p.is_dir()) else None
        entry["features"] = study.report.features.get(name)
        inputs.append(entry)
    for name, spec in s.layers.items():
        if spec.join is not None:  # an attribute table joined to the layer is an input too
            p = s.join_path(name)
            inputs.append(
                {
                    "layer": f"join {name}",
                    "path": str(p),
                    "sha256": sha256(p) if p.is_file() else None,
                    "features": None,
                }
            )
    for name in s.rasters:
        p = s.raster_path(name)
        inputs.append(
            {"layer": f"raster {name}", "path": str(p), "sha256": sha256(p) if p.is_file() else None, "features": None}
        )
    return inputs


def _versions() -> dict[str, str]:
    import folium

    from landplan import __version__

    return {
        "landplan": __version__,
        "python": platform.python_version(),
        "geopandas": gpd.__version__,
        "shapely": shapely.__version__,
        "pyproj": pyproj.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "folium": folium.__version__,
    }
