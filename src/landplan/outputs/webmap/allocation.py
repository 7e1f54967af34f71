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
    return (
        allocation.parcels["zone"].map(study.zone_names.astype(str))
        + ": "
        + allocation.parcels["units"].round(0).astype(int).astype(str)
        + " units"
    )


def allocation_layer(allocation: Allocation, study: Study) -> folium.FeatureGroup:
    """Reserved parcels (colour by zone, popup with units, capacity, commute, area) and their links.

    Parameters
    ----------
    allocation : Allocation
        The allocation.
    study : Study
        The loaded study (zone display names from ``study.zone_names``).

    Returns
    -------
    folium.FeatureGroup
    """
    import folium

    fg = folium.FeatureGroup(name="Allocation (parcels by zone, links)", show=True)
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
            fields=["parcel", "zone", "units", "capacity", "commute_m", "area_ha"],
            aliases=["Parcel", "Reserved for zone", "Units allocated", "Capacity (units)", "Commute (m)", "Area (ha)"],
        ),
    ).add_to(fg)
    links = parts["links"]
    lf = pd.DataFrame({"_color": [color[str(z)] for z in links["zone"]]})
    folium.GeoJson(
        to_wgs84(gpd.GeoDataFrame(lf, geometry=links.geometry.to_numpy(), crs=links.crs)).to_json(drop_id=True),
        style_function=lambda f: {"color": f["properties"]["_color"], "weight": 1.5, "opacity": 0.8},
    ).add_to(fg)
    return fg
