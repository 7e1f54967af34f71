"""The allocation layer: reserved parcels coloured by zone, with links to their zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

import geopandas as gpd

from landplan.outputs.escape import html_text
from landplan.outputs.i18n import translator
from landplan.outputs.style import ZONE_COLORS
from landplan.outputs.tables import allocation_layers
from landplan.outputs.webmap.base import to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Allocation, Study

__all__ = ["allocation_layer", "allocation_text", "reserved_parcels"]


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


def reserved_parcels(allocation: Allocation, study: Study) -> pd.DataFrame:
    """Zone display name and units of every reserved parcel (for the parcels' score cards).

    Parameters
    ----------
    allocation : Allocation
        The allocation.
    study : Study
        The loaded study (zone display names from ``study.zone_names``).

    Returns
    -------
    pandas.DataFrame
        ``zone`` and ``units`` by parcel id.
    """
    p = allocation.parcels
    return pd.DataFrame({"zone": p["zone"].map(study.zone_names.astype(str)), "units": p["units"]}, index=p.index)


def allocation_layer(
    allocation: Allocation, study: Study, *, lang: str = "en", phase: str | None = None
) -> folium.FeatureGroup:
    """Reserved parcels outlined in their zone's colour, and links to their zone (not interactive).

    The outlines and links take no clicks: a click on a reserved parcel opens its score card
    (which says which zone it is reserved for and how many units).

    Parameters
    ----------
    allocation : Allocation
        The allocation.
    study : Study
        The loaded study.
    lang : {"en", "vi"}, default "en"
        Language of the layer name.
    phase : str, optional
        Only the pieces reserved in this plan phase, as a layer of its own (hidden at first).

    Returns
    -------
    folium.FeatureGroup
    """
    import folium

    tr = translator(lang)
    name = (
        tr("Allocation (reserved parcels, links to zones)") if phase is None else tr("Allocation {phase}", phase=phase)
    )
    fg = folium.FeatureGroup(name=html_text(name), show=phase is None)
    if phase is not None:
        from dataclasses import replace

        keep = (allocation.parcels["phase"].astype(str) == phase).to_numpy()
        allocation = replace(allocation, parcels=allocation.parcels.loc[keep])
    parts = allocation_layers(allocation, study)
    color = {str(z): ZONE_COLORS[i % len(ZONE_COLORS)] for i, z in enumerate(allocation.zones.index)}
    ap = parts["allocated_parcels"]
    pf = pd.DataFrame({"_color": [color[str(z)] for z in ap["zone"]]}, index=ap.index)
    folium.GeoJson(
        to_wgs84(gpd.GeoDataFrame(pf, geometry=ap.geometry.to_numpy(), crs=ap.crs)).to_json(drop_id=True),
        style_function=lambda f: {
            "color": f["properties"]["_color"],
            "weight": 3,
            "fill": False,
            "className": "lp-allocated",
        },
        interactive=False,
    ).add_to(fg)
    links = parts["links"]
    lf = pd.DataFrame({"_color": [color[str(z)] for z in links["zone"]]})
    folium.GeoJson(
        to_wgs84(gpd.GeoDataFrame(lf, geometry=links.geometry.to_numpy(), crs=links.crs)).to_json(drop_id=True),
        style_function=lambda f: {
            "color": f["properties"]["_color"],
            "weight": 1.5,
            "opacity": 0.8,
            "dashArray": "4 3",
        },
        interactive=False,
    ).add_to(fg)
    return fg
