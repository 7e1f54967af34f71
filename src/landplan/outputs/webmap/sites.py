"""The site-members layer: outlines of the parcels each candidate site is made of."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import geopandas as gpd

from landplan.outputs.webmap.base import esc, to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Scores, Sites

__all__ = ["MAX_MEMBERS_DRAWN", "member_layer"]

#: above this many member parcels only the members of the ``top`` sites are drawn
MAX_MEMBERS_DRAWN = 20_000
MEMBER_COLOR = "#333333"


def member_layer(
    sites: Sites, scores: Scores, *, top: int = 20, simplify_m: float = 1.0, lang: str = "en"
) -> folium.FeatureGroup:
    """Member parcels of the sites, thin dashed outlines with their parcel and site ids.

    Parameters
    ----------
    sites : Sites
        The assembled sites (``Result.sites``).
    scores : Scores
        The sites' scores (ranks for the tooltip and for choosing the ``top`` sites).
    top : int, default 20
        Sites whose members are drawn when there are more than :data:`MAX_MEMBERS_DRAWN`.
    simplify_m : float, default 1.0
        Simplification tolerance for outlines, metres.
    lang : {"en", "vi"}, default "en"
        Language of the layer name.

    Returns
    -------
    folium.FeatureGroup
    """
    import folium

    from landplan.outputs.escape import html_text
    from landplan.outputs.i18n import translator

    tr = translator(lang)
    m = sites.members
    in_site = m["site_id"].notna().to_numpy(dtype=bool)
    name = html_text(tr("Site members (parcels)"))
    if in_site.sum() > MAX_MEMBERS_DRAWN:
        best = set(scores.top(top))
        in_site &= m["site_id"].isin(best).to_numpy(dtype=bool)
        name = html_text(tr("Site members (parcels of the top {n} sites)", n=top))
    chosen = m.loc[in_site]
    rank = scores.rank.reindex(chosen["site_id"].astype(object).to_numpy())
    frame = pd.DataFrame(
        {
            "parcel": esc(chosen.index.to_series()),
            "site": esc(chosen["site_id"]),
            "site_rank": np.where(rank.isna(), "", rank.astype("Float64").map("{:.0f}".format, na_action="ignore")),
        },
        index=chosen.index,
    )
    geoms = sites.parcels.geometry.reindex(chosen.index)
    gdf = to_wgs84(gpd.GeoDataFrame(frame, geometry=geoms.to_numpy(), crs=sites.parcels.crs), tolerance_m=simplify_m)
    fg = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(
        gdf.to_json(drop_id=True),
        style_function=lambda _f: {
            "color": MEMBER_COLOR,
            "weight": 0.8,
            "dashArray": "3 3",
            "fillOpacity": 0.0,
            "className": "lp-site-member",
        },
        interactive=False,  # a click opens the site's score card, which lists its members
    ).add_to(fg)
    return fg
