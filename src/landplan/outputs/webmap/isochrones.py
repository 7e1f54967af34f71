"""Isochrones on the map: 15 / 30 / 45-minute reach of each industrial zone along the roads.

One toggleable layer (off by default) per travel time, drawn from
:func:`landplan.network.reach.isochrones` (the road pieces from which a zone is reached within
the time, buffered; one dissolved, simplified outline per time), and a legend naming the times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import geopandas as gpd
import shapely

from landplan.network.reach import isochrones
from landplan.outputs.escape import html_text
from landplan.outputs.webmap.base import to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Study

__all__ = ["ISOCHRONE_COLORS", "fill_small_holes", "isochrone_layers"]

#: outlines are simplified to this tolerance, metres: a display layer (the reach itself is not
#: changed), whose buffered road pieces otherwise carry a vertex every few metres
SIMPLIFY_M = 15.0
#: holes smaller than this, m2, are filled: the blocks between reached roads are reached on foot
#: (a grid of streets otherwise draws every block as a hole: most of the layer's size)
FILL_HOLES_M2 = 500_000.0

#: fill colour by travel time, minutes (light to dark: farther is paler)
ISOCHRONE_COLORS = {15.0: "#08519c", 30.0: "#4292c6", 45.0: "#9ecae1"}


def fill_small_holes(geoms: gpd.GeoSeries, *, max_area_m2: float) -> gpd.GeoSeries:
    """The same (multi)polygons without their holes smaller than ``max_area_m2``.

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Polygons or multipolygons in a metric CRS.
    max_area_m2 : float
        Holes of a smaller area are filled.

    Returns
    -------
    geopandas.GeoSeries
        One geometry per input, same index and CRS.
    """
    parts, owner = shapely.get_parts(np.asarray(geoms.array, dtype=object), return_index=True)
    shells = shapely.get_exterior_ring(parts)
    rings, ring_owner = shapely.get_rings(parts, return_index=True)
    holes = np.ones(len(rings), dtype=bool)
    holes[np.searchsorted(ring_owner, np.arange(len(parts)))] = False  # the first ring of each part is its shell
    keep = holes & (shapely.area(shapely.polygons(rings)) >= max_area_m2)
    kept = [rings[keep & (ring_owner == i)] for i in range(len(parts))]  # a few reach outlines, not parcels
    polys = np.array([shapely.Polygon(shell, list(h)) for shell, h in zip(shells, kept, strict=True)], dtype=object)
    out = [shapely.union_all(polys[owner == i]) for i in range(len(geoms))]
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs)


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
    frame["geometry"] = fill_small_holes(frame.geometry, max_area_m2=FILL_HOLES_M2).simplify(SIMPLIFY_M)
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
