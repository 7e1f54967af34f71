"""Isochrones on the map: 15 / 30 / 45-minute reach of each industrial zone along the roads.

One toggleable layer (off by default) per travel time, drawn from
:func:`landplan.network.reach.isochrones` (the road pieces from which a zone is reached within
the time, buffered; one dissolved, simplified outline per time), and a legend naming the times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd

from landplan.network.reach import isochrones
from landplan.outputs.escape import html_text
from landplan.outputs.webmap.base import to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Study

__all__ = ["ISOCHRONE_COLORS", "isochrone_layers"]

#: outlines are simplified to this tolerance, metres: a display layer (the reach itself is not
#: changed), whose buffered road pieces otherwise carry a vertex every few metres
SIMPLIFY_M = 15.0

#: fill colour by travel time, minutes (light to dark: farther is paler)
ISOCHRONE_COLORS = {15.0: "#08519c", 30.0: "#4292c6", 45.0: "#9ecae1"}


def _legend(minutes: list[float], mode: str, tr: Any) -> Any:
    from branca.element import MacroElement, Template

    class IsochroneLegend(MacroElement):
        # a constant template; the (escaped) body is an attribute, seen by check_inert
        _template = Template("{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}")

        def __init__(self, body: str) -> None:
            super().__init__()
            self._name = "IsochroneLegend"
            self.body = body

    title = html_text(tr("Zone reach by {mode} (layers)", mode=tr(mode)))
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:12px;background:{ISOCHRONE_COLORS.get(m, "#999")};'
        f'opacity:.6;border:1px solid #555;margin-right:6px"></span>{html_text(tr("{m} min", m=tr.number(m)))}</div>'
        for m in minutes
    )
    return IsochroneLegend(
        '<div class="landplan-isochrone-legend" style="position:absolute;bottom:28px;right:10px;z-index:1000;'
        "background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;font:12px sans-serif;"
        f'box-shadow:0 1px 4px rgba(0,0,0,.3)"><b>{title}</b>{rows}</div>'
    )


def isochrone_layers(study: Study, *, minutes: tuple[float, ...] = (15.0, 30.0, 45.0), lang: str = "en") -> list[Any]:
    """Feature groups (one per travel time, hidden at first) and their legend; empty without a network.

    Parameters
    ----------
    study : Study
        The loaded study with its ``network`` and zones.
    lang : {"en", "vi"}, default "en"
        Language of the layer names and legend.
    minutes : tuple of float, default (15, 30, 45)
        The travel times drawn.

    Returns
    -------
    list
        ``folium.FeatureGroup`` per travel time, then the legend element.
    """
    from landplan.outputs.i18n import translator

    tr = translator(lang)
    import folium

    net = study.network
    if net is None or study.zones is None or "zones" not in net.graph.places:
        return []
    _ids, mins, polys = isochrones(net.graph, "zones", minutes=minutes)
    # the layer is not interactive, so one outline per travel time: the union of the zones' reach
    frame = gpd.GeoDataFrame({"minutes": mins}, geometry=polys, crs=study.crs)
    frame = frame.dissolve(by="minutes", as_index=False, sort=True)
    frame["geometry"] = frame.geometry.simplify(SIMPLIFY_M)
    out: list[Any] = []
    for m in sorted(minutes):
        part = frame[frame["minutes"] == m]
        if part.empty:
            continue
        color = ISOCHRONE_COLORS.get(m, "#999999")
        name = html_text(tr("Zone reach within {m} min", m=tr.number(m)))
        group: folium.FeatureGroup = folium.FeatureGroup(name=name, show=False)
        folium.GeoJson(
            to_wgs84(part).to_json(drop_id=True),
            style_function=lambda _f, c=color: {"color": c, "fillColor": c, "weight": 1, "fillOpacity": 0.25},
            interactive=False,  # a click goes through to the parcels below
        ).add_to(group)
        out.append(group)
    if out:
        out.append(_legend(sorted(minutes), net.spec.mode, tr))
    return out
