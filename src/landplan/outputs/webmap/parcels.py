"""The parcel layer: score classes, a search box and the client that draws cards, labels, legend and sliders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

import geopandas as gpd

from landplan.outputs.escape import html_text
from landplan.outputs.i18n import translator
from landplan.outputs.style import score_classes
from landplan.outputs.webmap.base import CANVAS_ABOVE, OSM_ATTRIBUTION, new_map, to_wgs84
from landplan.outputs.webmap.client import (
    ClientText,
    client_data,
    client_element,
    draw_element,
    encode_polygons,
    ready_element,
)

if TYPE_CHECKING:
    import folium

    from landplan.model import Scores

__all__ = ["parcel_map"]


def _criteria(ranked: gpd.GeoDataFrame, given: Sequence[str] | None) -> list[str]:
    """Criterion names of a ranking: ``given``, else every name with a ``_contrib`` column.

    Only names with their ``_raw``, ``_value`` and ``_contrib`` columns are kept; parcel
    attributes that merely end in ``_raw`` are never mistaken for criteria.
    """
    if given is not None:
        names = list(given)
    else:
        names = [c.removesuffix("_contrib") for c in ranked.columns if c.endswith("_contrib")]
    cols = set(ranked.columns)
    return [c for c in names if {f"{c}_raw", f"{c}_value", f"{c}_contrib"} <= cols]


def _parcel_layer(name: str) -> folium.FeatureGroup:
    """The (empty) parcel group: ``client.js`` decodes the parcels from the data object into it.

    Each parcel's feature there carries only its position ``i`` and its escaped id (for the search
    box); style, card and tooltip come from ``window.landplan``.
    """
    import folium

    return folium.FeatureGroup(name=html_text(name), show=True)


def _best_ids(ranked: gpd.GeoDataFrame, scores: Scores | None, top: int) -> pd.Index:
    """Ids of the parcels labelled with their rank, best first: ``scores.top(top)``.

    Without the scores (a ranking read back from a file) the ``top`` lowest values of the
    ranking's ``rank`` column stand in for them.
    """
    if scores is not None:
        return scores.top(top).intersection(ranked.index, sort=False)
    if "rank" not in ranked:
        return ranked.index[:0]
    return ranked["rank"].dropna().sort_values(kind="stable").index[:top]


def _new_parcel_map(wgs: gpd.GeoDataFrame, tiles: str | None) -> folium.Map:
    """A new map fitted to the parcels, with OpenStreetMap tiles when ``tiles`` names them."""
    import folium

    m = new_map(wgs.total_bounds, n_parcels=len(wgs))
    if tiles:
        folium.TileLayer(tiles, name="OpenStreetMap", attr=OSM_ATTRIBUTION).add_to(m)
    return m


def _search_box(layer: folium.FeatureGroup, placeholder: str) -> Any:
    """A search box for parcel ids, zooming to the parcel found."""
    import folium.plugins

    return folium.plugins.Search(
        layer=layer,
        search_label="parcel_id",
        placeholder=html_text(placeholder),
        collapsed=True,
        geom_type="Polygon",
        search_zoom=17,
    )


def _data(
    wgs: gpd.GeoDataFrame,
    *,
    classification: str,
    k: int,
    criteria: list[str],
    weights: Mapping[str, float] | None,
    method: str,
    text: ClientText,
    best: pd.Index,
) -> dict[str, Any]:
    """Score classes of the eligible parcels and the client's data object."""
    tr = translator(text.lang)
    eligible = wgs["eligible"].to_numpy(dtype=bool) if "eligible" in wgs else np.ones(len(wgs), dtype=bool)
    classes = score_classes(wgs["score"].to_numpy(dtype="float64"), eligible, scheme=classification, k=k)
    scheme = {
        "quantiles": tr("quantiles"),
        "natural_breaks": tr("natural breaks"),
        "equal_interval": tr("equal interval"),
    }
    return client_data(
        wgs,
        classes,
        criteria=criteria,
        weights=weights,
        method=method,
        text=text,
        best=best,
        legend_title=tr("Suitability score ({scheme})", scheme=scheme.get(classification, classification)),
    )


def _add_layers(m: folium.Map, wgs: gpd.GeoDataFrame, *, search: bool, top: int, lang: str) -> folium.FeatureGroup:
    """The parcel layer, its search box and the (empty) rank-label group onto ``m``; returns the group."""
    import folium

    tr = translator(lang)
    layer = _parcel_layer(tr("Parcels (suitability score)"))
    layer.add_to(m)
    draw_element(layer).add_to(m)
    if search:
        _search_box(layer, tr("Parcel id")).add_to(m)
    labels = folium.FeatureGroup(name=html_text(tr("Top {n} parcels (rank labels)", n=top)), show=True)
    labels.add_to(m)
    cast("Any", m)._landplan_labels = labels  # read by scenario_map, which finishes the client after its layers
    return labels


def parcel_map(
    ranked: gpd.GeoDataFrame,
    *,
    m: folium.Map | None = None,
    tiles: str | None = "OpenStreetMap",
    classification: str = "quantiles",
    k: int = 5,
    criteria: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    simplify_m: float = 1.0,
    top: int = 20,
    search: bool = True,
    scores: Scores | None = None,
    aggregation: str | None = None,
    text: ClientText | None = None,
    finish: bool = True,
) -> folium.Map:
    """Draw ranked parcels as score classes; score cards, labels and what-if weights built in the browser.

    Parameters
    ----------
    ranked : geopandas.GeoDataFrame
        The wide ranking (:func:`landplan.ranked_table`), any CRS (reprojected to EPSG:4326 here).
    m : folium.Map, optional
        Existing map to draw on (a new one fitted to the parcels when None).
    tiles : str or None, default "OpenStreetMap"
        Base map for a new map: ``"OpenStreetMap"`` or None for no tiles.
    classification : str, default "quantiles"
        ``quantiles``, ``natural_breaks`` or ``equal_interval`` classes (mapclassify).
    k : int, default 5
        Number of classes.
    criteria : sequence of str, optional
        Criterion names shown in the score cards (default: every criterion of the ranking).
    weights : Mapping[str, float], optional
        Normalised weights of the scoring (score cards; start of the what-if sliders).
    simplify_m : float, default 1.0
        Simplification tolerance in metres before export (0 keeps every vertex).
    top : int, default 20
        Number of best parcels labelled with their rank.
    search : bool, default True
        Add a search box for parcel ids.
    scores : Scores, optional
        The scores: labelled parcels ``scores.top(top)``, default weights and aggregation.
    aggregation : str, optional
        Aggregation method (default ``scores.aggregation``, else ``"weighted_sum"``).
    text : ClientText, optional
        Language, criterion labels and units, parcel names and reserved parcels.
    finish : bool, default True
        Finish the client now (``scenario_map`` finishes it after its other layers).

    Returns
    -------
    folium.Map
    """
    large = len(ranked) > CANVAS_ABOVE  # large maps: ~1 m coordinate precision keeps the file loadable
    wgs = to_wgs84(ranked, tolerance_m=max(simplify_m, 2.0 * large), precision_deg=1e-5 if large else 1e-6)
    m = m if m is not None else _new_parcel_map(wgs, tiles)
    text = text or ClientText()
    best = _best_ids(ranked, scores, top)
    data = _data(
        wgs,
        classification=classification,
        k=k,
        criteria=_criteria(ranked, criteria),
        weights=weights if weights is not None else (scores.weights if scores is not None else None),
        method=aggregation or (scores.aggregation if scores is not None else "weighted_sum"),
        text=text,
        best=best,
    )
    data["large"] = large
    data["geom"] = encode_polygons(wgs.geometry.to_numpy(), step_deg=1e-5 if large else 1e-6)
    client_element(data).add_to(m)
    labels = _add_layers(m, wgs, search=search, top=top, lang=text.lang)
    if finish:
        ready_element(labels).add_to(m)
    return m
