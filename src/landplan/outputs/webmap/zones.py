"""The industrial zones layer: outlines with name, workers and demand figures, isolation buffers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import geopandas as gpd

from landplan.outputs.webmap.base import esc, fmt, to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Allocation, Study

__all__ = ["zone_layer"]

ZONE_COLOR = "#5e3c99"


def _zone_frame(study: Study, zones: gpd.GeoDataFrame, allocation: Allocation | None) -> pd.DataFrame:
    """Tooltip fields of every zone, escaped: display name, workers, hazard, isolation, demand."""
    zspec = study.scenario.layers.zones
    frame = pd.DataFrame(index=zones.index)
    frame["zone"] = esc(study.zone_names.reindex(zones.index))
    if zspec is not None and zspec.workers_field:
        frame["workers"] = esc(zones[zspec.workers_field])
    for extra in ("hazard_class", "isolation_m", "footprint"):
        if extra in zones:
            frame[extra] = esc(zones[extra])
    if allocation is not None:  # demand figures come with the allocation that computed them
        z = allocation.zones.reindex(zones.index)
        for col in ("units_needed", "allocated_units", "unmet_units"):
            frame[col] = fmt(z[col], "%.0f")
        if "workers" in frame and "workers_estimated" in z:
            frame["workers"] = frame["workers"] + np.where(z["workers_estimated"].fillna(False), " (estimated)", "")
    frame["_class"] = "lp-zone"
    return frame


def zone_layer(study: Study, zones: gpd.GeoDataFrame, allocation: Allocation | None = None) -> folium.FeatureGroup:
    """Zones and their isolation buffers as one layer group.

    Parameters
    ----------
    study : Study
        The loaded study; zone display names from ``study.zone_names``.
    zones : geopandas.GeoDataFrame
        The zones to draw (``study.zones``).
    allocation : Allocation, optional
        Adds each zone's units needed, allocated and unmet to its tooltip.

    Returns
    -------
    folium.FeatureGroup
    """
    import folium

    fg = folium.FeatureGroup(name="Industrial zones and isolation buffers", show=True)
    frame = _zone_frame(study, zones, allocation)
    fields = [c for c in frame.columns if not c.startswith("_")]
    zw = to_wgs84(gpd.GeoDataFrame(frame, geometry=zones.geometry.to_numpy(), crs=zones.crs))
    folium.GeoJson(
        zw.to_json(drop_id=True),
        style_function=lambda f: {
            "color": ZONE_COLOR,
            "weight": 2,
            "fillColor": ZONE_COLOR,
            "fillOpacity": 0.35,
            "className": f["properties"]["_class"],
        },
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[f.replace("_", " ") for f in fields]),
    ).add_to(fg)
    if "isolation_m" in zones:
        buf = zones.geometry.buffer(zones["isolation_m"].to_numpy(), quad_segs=16)
        bw = to_wgs84(gpd.GeoDataFrame(frame[["zone", "isolation_m"]], geometry=buf.to_numpy(), crs=zones.crs))
        folium.GeoJson(
            bw.to_json(drop_id=True),
            style_function=lambda _f: {
                "color": ZONE_COLOR,
                "weight": 1,
                "dashArray": "5 5",
                "fillOpacity": 0.05,
                "className": "lp-zone-buffer",
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["zone", "isolation_m"], aliases=["Isolation buffer of", "Distance (m)"]
            ),
        ).add_to(fg)
    return fg
