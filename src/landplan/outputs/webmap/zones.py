"""The industrial zones layer: outlines with name labels, a hover card with workers and demand, isolation buffers.

Zones are drawn below the parcels (the client keeps them at the back), so every parcel stays one click
away; hovering a zone where no parcel covers it shows its demand. The buffers are not interactive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.outputs.escape import html_text
from landplan.outputs.i18n import Translator, translator
from landplan.outputs.style import ZONE_COLOR
from landplan.outputs.webmap.base import esc, to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Allocation, Study

__all__ = ["zone_layer"]


def _numbers(tr: Translator, values: pd.Series, decimals: int = 0) -> np.ndarray:
    """Numbers formatted in the language, escaped (a loop over zones, a few dozen at most)."""
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    return np.array([html_text(tr.number(float(v), decimals=decimals)) for v in num], dtype=object)


def _zone_frame(
    study: Study, zones: gpd.GeoDataFrame, allocation: Allocation | None, tr: Translator
) -> tuple[pd.DataFrame, list[str]]:
    """Tooltip fields of every zone (escaped) and their translated titles."""
    zspec = study.scenario.layers.zones
    frame = pd.DataFrame(index=zones.index)
    titles = [tr("Industrial zone")]
    frame["zone"] = esc(study.zone_names.reindex(zones.index))
    if zspec is not None and zspec.workers_field:
        frame["workers"] = _numbers(tr, zones[zspec.workers_field])
        titles.append(tr("Workers"))
    if "hazard_class" in zones:
        frame["hazard_class"] = esc(zones["hazard_class"])
        titles.append(tr("Hazard class"))
    if "isolation_m" in zones:
        frame["isolation_m"] = _numbers(tr, zones["isolation_m"])
        titles.append(tr("Isolation distance (m)"))
    if allocation is not None:  # demand figures come with the allocation that computed them
        z = allocation.zones.reindex(zones.index)
        for col, title in (
            ("units_needed", tr("Demand (units)")),
            ("allocated_units", tr("Allocated (units)")),
            ("unmet_units", tr("Unmet demand (units)")),
        ):
            frame[col] = _numbers(tr, z[col])
            titles.append(title)
        if "workers" in frame and "workers_estimated" in z:  # estimated counts say so (issue 12)
            mark = html_text(" " + tr("(estimated)"))
            frame["workers"] = frame["workers"] + np.where(z["workers_estimated"].fillna(False), mark, "")
    return frame, [html_text(t) for t in titles]


def _labels(zw: gpd.GeoDataFrame) -> folium.GeoJson:
    """Zone names as permanent labels at a point inside each zone (not interactive)."""
    import folium
    from folium.utilities import JsCode

    pts = shapely.point_on_surface(zw.geometry.to_numpy())
    data = gpd.GeoDataFrame({"label": zw["zone"].to_numpy()}, geometry=pts, crs=4326)
    return folium.GeoJson(
        data.to_json(drop_id=True),
        marker=folium.CircleMarker(radius=0, opacity=0, fill_opacity=0, interactive=False),
        on_each_feature=JsCode(
            "function (feature, layer) { layer.bindTooltip(feature.properties.label, "
            "{permanent: true, direction: 'center', className: 'landplan-zone-label', interactive: false}); }"
        ),
        interactive=False,
    )


def zone_layer(
    study: Study, zones: gpd.GeoDataFrame, allocation: Allocation | None = None, *, lang: str = "en"
) -> folium.FeatureGroup:
    """Zones, their name labels and their isolation buffers as one layer group.

    Parameters
    ----------
    study : Study
        The loaded study; zone display names from ``study.zone_names``.
    zones : geopandas.GeoDataFrame
        The zones to draw (``study.zones``).
    allocation : Allocation, optional
        Adds each zone's units needed, allocated and unmet to its hover card.
    lang : {"en", "vi"}, default "en"
        Language of the texts and numbers.

    Returns
    -------
    folium.FeatureGroup
    """
    import folium

    tr = translator(lang)
    fg = folium.FeatureGroup(name=html_text(tr("Industrial zones and isolation buffers")), show=True)
    frame, titles = _zone_frame(study, zones, allocation, tr)
    zw = to_wgs84(gpd.GeoDataFrame(frame, geometry=zones.geometry.to_numpy(), crs=zones.crs))
    if "isolation_m" in zones:
        buf = zones.geometry.buffer(zones["isolation_m"].to_numpy(), quad_segs=16)
        bw = to_wgs84(gpd.GeoDataFrame(geometry=buf.to_numpy(), crs=zones.crs))
        folium.GeoJson(
            bw.to_json(drop_id=True),
            style_function=lambda _f: {
                "color": ZONE_COLOR,
                "weight": 1,
                "dashArray": "5 5",
                "fill": False,
                "className": "lp-zone-buffer",
            },
            interactive=False,
        ).add_to(fg)
    folium.GeoJson(
        zw.to_json(drop_id=True),
        style_function=lambda _f: {
            "color": ZONE_COLOR,
            "weight": 2,
            "fillColor": ZONE_COLOR,
            "fillOpacity": 0.3,
            "className": "lp-zone",
        },
        tooltip=folium.GeoJsonTooltip(fields=list(frame.columns), aliases=titles, sticky=True),
    ).add_to(fg)
    _labels(zw).add_to(fg)
    return fg
