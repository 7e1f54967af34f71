"""Facility layers: one per distinct (layer, select) of the criteria, with service-radius circles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

import geopandas as gpd
import shapely

from landplan.outputs.escape import html_text, js_literal
from landplan.outputs.i18n import translator
from landplan.outputs.style import FACILITY_COLORS
from landplan.outputs.webmap.base import esc, to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Study

__all__ = ["facility_layers"]

#: the marker letter of a facility whose title names one of these words
LETTERS = {
    "kindergarten": "K",
    "primary": "P",
    "secondary": "S",
    "health": "H",
    "hospital": "H",
    "market": "M",
    "bus": "B",
    "road": "R",
}


def _marker_callback(color: str, letter: str) -> str:
    """JavaScript making a round lettered marker; letter and colour enter only as escaped literals."""
    return (
        "function (row) { var icon = L.divIcon({className: 'landplan-fac', iconSize: [16, 16], html: "
        "'<div style=\"background:' + "
        + js_literal(html_text(color))
        + " + ';color:#fff;border-radius:8px;width:16px;height:16px;"
        "font:bold 10px/16px sans-serif;text-align:center\">' + " + js_literal(html_text(letter)) + " + '</div>'});"
        " return L.marker(new L.LatLng(row[0], row[1]), {icon: icon}).bindTooltip(row[2]); }"
    )


def _features(fg: folium.FeatureGroup, wgs: gpd.GeoDataFrame, labels: np.ndarray, color: str, letter: str) -> None:
    """Points as clustered lettered markers, other geometries as outlines, onto ``fg``."""
    import folium
    import folium.plugins

    geom = np.asarray(wgs.geometry.array, dtype=object)
    is_point = shapely.get_type_id(geom) == 0
    if is_point.any():
        xy = shapely.get_coordinates(geom[is_point])
        rows = np.column_stack([xy[:, 1], xy[:, 0], labels[is_point]]).tolist()
        folium.plugins.FastMarkerCluster(rows, callback=_marker_callback(color, letter)).add_to(fg)
    if (~is_point).any():
        other = gpd.GeoDataFrame({"label": labels[~is_point]}, geometry=geom[~is_point], crs=4326)
        folium.GeoJson(
            other.to_json(drop_id=True),
            style_function=lambda _f: {"color": color, "weight": 2, "fillOpacity": 0.2},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fg)


def facility_layer(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    color: str,
    letter: str,
    label_field: str | None,
    radius_m: float | None,
    lang: str = "en",
) -> list[folium.FeatureGroup]:
    """One facility layer (hidden at first) and, with ``radius_m``, its service-radius circles.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The facilities, in the working CRS (metres).
    name : str
        Layer title (escaped here).
    color, letter : str
        Marker colour and letter.
    label_field : str or None
        Column naming each facility in its tooltip (default: the layer title).
    radius_m : float or None
        Service radius, metres.
    lang : {"en", "vi"}, default "en"
        Language of the service-radius layer name.

    Returns
    -------
    list of folium.FeatureGroup
    """
    import folium

    wgs = to_wgs84(gdf)
    named = bool(label_field) and label_field in wgs
    labels = esc(wgs[label_field]) if named else np.full(len(wgs), html_text(name), dtype=object)
    fg = folium.FeatureGroup(name=html_text(name), show=False)
    _features(fg, wgs, labels, color, letter)
    groups = [fg]
    if radius_m is not None:
        circles = gpd.GeoDataFrame(geometry=gdf.geometry.buffer(radius_m, quad_segs=8).to_numpy(), crs=gdf.crs)
        tr = translator(lang)
        title = tr("{name}: service radius {radius} m", name=name, radius=tr.number(radius_m))
        sr = folium.FeatureGroup(name=html_text(title), show=False)
        folium.GeoJson(
            to_wgs84(circles).to_json(drop_id=True),
            style_function=lambda _f: {"color": color, "weight": 1, "fillOpacity": 0.06, "dashArray": "3 3"},
            interactive=False,
        ).add_to(sr)
        groups.append(sr)
    return groups


def _distinct_layers(study: Study) -> Iterator[tuple[int, Any, str, dict[str, Any]]]:
    """``(criterion position, criterion, layer key, select)`` of each distinct facility selection."""
    seen: set[tuple[str, str]] = set()
    for i, c in enumerate(study.scenario.criteria):
        layer = getattr(c, "layer", None)
        select = getattr(c, "select", None) or {}
        if layer is None or layer == "zones":
            continue
        key = (layer, repr(sorted(select.items())))
        if key not in seen:
            seen.add(key)
            yield i, c, layer, select


def _kind_names(lang: str) -> dict[str, str]:
    """Human, translated names of the usual facility kinds and layer keys."""
    tr = translator(lang)
    return {
        "kindergarten": tr("Kindergartens"),
        "primary_school": tr("Primary schools"),
        "secondary_school": tr("Secondary schools"),
        "health_station": tr("Health stations"),
        "hospital": tr("Hospitals"),
        "market": tr("Markets"),
        "bus_stops": tr("Bus stops"),
        "bus_stop": tr("Bus stops"),
        "roads": tr("Main roads"),
        "main_roads": tr("Main roads"),
        "existing_housing": tr("Existing worker housing"),
        "facilities": tr("Facilities"),
    }


def facility_layers(study: Study, *, lang: str = "en") -> list[folium.FeatureGroup]:
    """Every facility layer the criteria measure to, with the criteria's resolved service radii.

    Parameters
    ----------
    study : Study
        The loaded study (layers, selections, ``radius_m``).
    lang : {"en", "vi"}, default "en"
        Language of the layer names (known kinds such as ``primary_school`` are translated; other
        values are shown as written).

    Returns
    -------
    list of folium.FeatureGroup
    """
    specs = dict(study.scenario.layers.items())
    known = _kind_names(lang)
    groups: list[folium.FeatureGroup] = []
    for i, c, layer, select in _distinct_layers(study):
        values = [str(v) for val in select.values() for v in (val if isinstance(val, list) else [val])]
        raw = layer.replace("_", " ") + (": " + ", ".join(values) if values else "")
        letter = next((v for k, v in LETTERS.items() if k in raw.lower()), raw[:1].upper())
        shown = [known.get(v, v) for v in values] or [known.get(layer, layer)]  # data text is shown as written
        chosen = study.selection(layer, select)
        if not (shapely.get_type_id(np.asarray(chosen.geometry.array, dtype=object)) == 0).any():
            continue  # lines and polygons (roads, water) are drawn as context (webmap.context)
        groups += facility_layer(
            chosen,
            name=", ".join(shown),
            color=FACILITY_COLORS[i % len(FACILITY_COLORS)],
            letter=letter,
            label_field=specs[layer].name_field,
            radius_m=study.radius_m.get(c.name),
            lang=lang,
        )
    return groups
