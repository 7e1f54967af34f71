"""The net developable area: what ``subtract`` constraints leave of each parcel, drawn over the parcels."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.constraints.subtract import polygonal
from landplan.model import ha
from landplan.outputs.webmap.base import esc, fmt

if TYPE_CHECKING:
    import folium

    from landplan.model import NetArea

__all__ = ["NET_COLOR", "net_layer"]

NET_COLOR = "#1a9850"


def net_layer(
    net: NetArea, *, simplify_m: float = 1.0, lang: str = "en", words: dict[str, str] | None = None
) -> folium.FeatureGroup:
    """Net geometry of the parcels that lost part of their area, with what was removed and why.

    Parameters
    ----------
    net : NetArea
        From :func:`landplan.constraints.net_area` (``scores.net``).
    simplify_m : float, default 1.0
        Simplification tolerance of the outlines, metres.
    lang : {"en", "vi"}, default "en"
        Language of the layer name and of the reasons.
    words : dict, optional
        The scenario's own words in ``lang`` (:func:`landplan.outputs.i18n.scenario_words`).

    Returns
    -------
    folium.FeatureGroup
        Green outlines (dashed) of the net areas; tooltips give net area, share removed and the
        reasons (escaped).
    """
    import folium

    cut = (net.share_removed > 0).to_numpy() & ~net.geometry.is_empty.to_numpy()
    index = net.area_m2.index[cut]
    frame = pd.DataFrame(index=index)
    frame["parcel"] = esc(index.to_series())
    frame["net_ha"] = fmt(ha(net.area_m2[cut].to_numpy()), "%.2f")
    frame["removed"] = np.char.mod("%.0f %%", 100 * net.share_removed[cut].to_numpy()).astype(object)
    from landplan.outputs.escape import html_text
    from landplan.outputs.i18n import translator

    tr = translator(lang, data=words)
    why = net.removed_by[cut].astype(str)
    local = {t: tr.text(t) for t in why.unique()}  # distinct notes, not parcels
    frame["why"] = esc(why.map(local))

    name = html_text(translator(lang)("Net developable area (after subtraction)"))
    fg = folium.FeatureGroup(name=name, show=True)
    if len(frame):
        # cell-stair outlines (polygonised rasters) have rings touching at corners, which reprojection
        # can make cross: simplify in metres, reproject, repair, then snap to the 1e-6 degree grid
        geometry = net.geometry[cut].simplify(simplify_m, preserve_topology=True).to_crs(4326)
        fixed = polygonal(shapely.make_valid(np.asarray(geometry.array, dtype=object)))
        data = gpd.GeoDataFrame(frame, geometry=shapely.set_precision(fixed, 1e-6), crs=4326)
        folium.GeoJson(
            data.to_json(drop_id=True),
            style_function=lambda _f: {
                "color": NET_COLOR,
                "weight": 1.5,
                "dashArray": "4 3",
                "fillColor": NET_COLOR,
                "fillOpacity": 0.15,
                "className": "lp-net",
            },
            interactive=False,  # the score card says the net area and what removed the rest
        ).add_to(fg)
    return fg
