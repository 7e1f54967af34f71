"""Geographic context without base tiles: district boundaries, main roads and water from the scenario's layers.

An offline map has no web tiles, so it draws what the scenario has: every line layer as roads, polygon
layers named like water (``water``, ``river``, ``lake``...) filled blue, other polygon layers (districts,
communes, boundaries) as outlines. Context is drawn below the parcels and takes no clicks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import geopandas as gpd
import shapely

from landplan.outputs.escape import html_text
from landplan.outputs.i18n import translator
from landplan.outputs.webmap.base import to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Study

__all__ = ["context_frames", "context_layers"]

WATER_WORDS = ("water", "river", "lake", "pond", "canal", "song", "ho_", "nuoc")
BOUNDARY_WORDS = ("district", "commune", "ward", "boundary", "admin", "province", "huyen", "quan", "xa_")
STYLES: dict[str, dict[str, Any]] = {
    "water": {"color": "#4a90c2", "weight": 1, "fillColor": "#a6cee3", "fillOpacity": 0.7},
    "roads": {"color": "#7f7f7f", "weight": 2, "opacity": 0.9},
    "boundaries": {"color": "#4d4d4d", "weight": 1.5, "dashArray": "6 4", "fill": False},
}


def _kind(name: str, geom: np.ndarray) -> str | None:
    """``water``, ``roads``, ``boundaries`` or None (points, or nothing to draw)."""
    types = shapely.get_type_id(geom)
    lines = np.isin(types, (1, 2, 5)).any()
    polygons = np.isin(types, (3, 6)).any()
    key = name.lower()
    if polygons and any(w in key for w in WATER_WORDS):
        return "water"
    if lines and not polygons:
        return "roads"
    if polygons and any(w in key for w in BOUNDARY_WORDS):
        return "boundaries"
    return None


def context_frames(study: Study) -> dict[str, gpd.GeoDataFrame]:
    """The study's context layers merged by kind: ``boundaries``, ``water``, ``roads`` (those present).

    Parameters
    ----------
    study : Study
        The loaded study; every layer but parcels and zones is considered.

    Returns
    -------
    dict
        One GeoDataFrame (geometry only, the study's CRS) per kind found, in drawing order.
    """
    found: dict[str, list[gpd.GeoDataFrame]] = {"boundaries": [], "water": [], "roads": []}
    for name in study.layer_names:
        if name in {"parcels", "zones"}:
            continue
        gdf = study.layer(name)
        if not len(gdf):
            continue
        kind = _kind(name, np.asarray(gdf.geometry.array, dtype=object))
        if kind is not None:
            found[kind].append(gdf[[gdf.geometry.name]])
    return {
        kind: gpd.GeoDataFrame(
            geometry=np.concatenate([np.asarray(f.geometry.array, dtype=object) for f in frames]), crs=frames[0].crs
        )
        for kind, frames in found.items()
        if frames
    }


def _one_feature(gdf: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """All of a kind's shapes as one feature: roads joined into the fewest lines, others collected.

    Context takes no clicks, so per-feature JSON (one object per road segment: 1.9 MB of the demo's
    7,726 segments) buys nothing.
    """
    parts = shapely.get_parts(np.asarray(gdf.geometry.array, dtype=object))
    if kind == "roads":
        one = shapely.line_merge(shapely.multilinestrings(parts[shapely.get_type_id(parts) == 1]))
    else:
        one = shapely.geometrycollections(parts)
    return gpd.GeoDataFrame(geometry=[one], crs=gdf.crs)


def context_layers(study: Study, *, lang: str = "en", simplify_m: float = 5.0) -> list[folium.FeatureGroup]:
    """Context layers of a study, each a group in the layer control (shown, not interactive).

    Parameters
    ----------
    study : Study
        The loaded study; every layer but parcels and zones is considered.
    lang : {"en", "vi"}, default "en"
        Language of the layer names.
    simplify_m : float, default 5.0
        Simplification tolerance, metres (context needs no survey precision).

    Returns
    -------
    list of folium.FeatureGroup
        Boundaries first, then water, then roads (drawing order).
    """
    import folium

    tr = translator(lang)
    titles = {"water": tr("Rivers and lakes"), "roads": tr("Main roads"), "boundaries": tr("Administrative boundaries")}
    groups = []
    for kind, merged in context_frames(study).items():
        style = STYLES[kind]
        fg = folium.FeatureGroup(name=html_text(titles[kind]), show=True)
        folium.GeoJson(
            _one_feature(to_wgs84(merged, tolerance_m=simplify_m, precision_deg=1e-5), kind).to_json(drop_id=True),
            style_function=lambda _f, style=style: dict(style),
            interactive=False,
        ).add_to(fg)
        groups.append(fg)
    return groups
