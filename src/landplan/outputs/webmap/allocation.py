"""The allocation layer: reserved parcels coloured by zone, with links to their zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

import geopandas as gpd

from landplan.outputs.style import ZONE_COLORS
from landplan.outputs.tables import allocation_layers
from landplan.outputs.webmap.base import esc, fmt, to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Allocation, Study

__all__ = ["allocation_layer", "allocation_text"]


def allocation_text(allocation: Allocation, study: Study) -> pd.Series:
    """``"<zone name>: <n> units"`` for every reserved parcel (the score cards' "Reserved for").

    A parcel split between zones (area-based allocation) or phases lists every piece, joined
    by ``"; "``, each with its reserved hectares (and phase) when only part of the parcel is
    reserved.

    Parameters
    ----------
    allocation : Allocation
        The allocation.
    study : Study
        The loaded study (zone display names from ``study.zone_names``).

    Returns
    -------
    pandas.Series
        Text by parcel id.
    """
    p = allocation.parcels
    text = p["zone"].map(study.zone_names.astype(str)) + ": " + p["units"].round(0).astype(int).astype(str) + " units"
    if "reserved_ha" in p:
        part = (p["reserved_ha"] < p["area_ha"] - 1e-9).to_numpy()
        text = text.where(~part, text + " on " + p["reserved_ha"].map(lambda v: f"{v:.2f}") + " ha")
    if "phase" in p:
        text = text + " (" + p["phase"].astype(str) + ")"
    if p.index.is_unique:
        return text
    return text.groupby(level=0, sort=False).agg("; ".join)


def allocation_layer(allocation: Allocation, study: Study) -> folium.FeatureGroup | list[folium.FeatureGroup]:
    """Reserved parcels (colour by zone, popup with units, capacity, commute, area) and their links.

    A phased plan gives one layer per phase (the first shown), so the layer control filters by phase.

    Parameters
    ----------
    allocation : Allocation
        The allocation.
    study : Study
        The loaded study (zone display names from ``study.zone_names``).

    Returns
    -------
    folium.FeatureGroup or list of folium.FeatureGroup
    """
    if "phase" in allocation.parcels:  # phased plan: one layer per phase, switched in the layer control
        return [
            _layer(allocation, study, phase=str(name), show=i == 0)
            for i, name in enumerate(dict.fromkeys(allocation.parcels["phase"].astype(str)))
        ]
    return _layer(allocation, study, phase=None, show=True)


def _layer(allocation: Allocation, study: Study, *, phase: str | None, show: bool) -> folium.FeatureGroup:
    """One allocation layer: every reserved piece, or those of one phase."""
    import folium

    from landplan.outputs.escape import html_text

    label = "Allocation (parcels by zone, links)" if phase is None else f"Allocation {html_text(phase)}"
    fg = folium.FeatureGroup(name=label, show=show)
    if phase is not None:
        keep = (allocation.parcels["phase"].astype(str) == phase).to_numpy()
        from dataclasses import replace

        allocation = replace(allocation, parcels=allocation.parcels.loc[keep])
    parts = allocation_layers(allocation, study)
    color = {str(z): ZONE_COLORS[i % len(ZONE_COLORS)] for i, z in enumerate(allocation.zones.index)}
    ap = parts["allocated_parcels"]
    pf = pd.DataFrame(index=ap.index)
    pf["parcel"] = esc(ap.index.to_series())
    pf["zone"] = esc(ap["zone"].map(study.zone_names.astype(str)))
    pf["units"] = fmt(ap["units"], "%.0f")
    pf["capacity"] = fmt(ap["capacity_units"], "%.0f")
    pf["commute_m"] = fmt(ap["commute_m"], "%.0f")
    pf["area_ha"] = fmt(ap["area_ha"], "%.2f")
    pf["reserved_ha"] = fmt(ap["reserved_ha"] if "reserved_ha" in ap else ap["area_ha"], "%.2f")
    pf["_color"] = [color[str(z)] for z in ap["zone"]]
    folium.GeoJson(
        to_wgs84(gpd.GeoDataFrame(pf, geometry=ap.geometry.to_numpy(), crs=ap.crs)).to_json(drop_id=True),
        style_function=lambda f: {
            "color": f["properties"]["_color"],
            "fillColor": f["properties"]["_color"],
            "weight": 2,
            "fillOpacity": 0.6,
            "className": "lp-allocated",
        },
        tooltip=folium.GeoJsonTooltip(fields=["parcel", "zone", "units"], aliases=["Parcel", "Reserved for", "Units"]),
        popup=folium.GeoJsonPopup(
            fields=["parcel", "zone", "units", "capacity", "commute_m", "area_ha", "reserved_ha"],
            aliases=[
                "Parcel",
                "Reserved for zone",
                "Units allocated",
                "Capacity of reserved land (units)",
                "Commute (m)",
                "Parcel area (ha)",
                "Reserved (ha)",
            ],
        ),
    ).add_to(fg)
    links = parts["links"]
    lf = pd.DataFrame({"_color": [color[str(z)] for z in links["zone"]]})
    folium.GeoJson(
        to_wgs84(gpd.GeoDataFrame(lf, geometry=links.geometry.to_numpy(), crs=links.crs)).to_json(drop_id=True),
        style_function=lambda f: {"color": f["properties"]["_color"], "weight": 1.5, "opacity": 0.8},
    ).add_to(fg)
    return fg
