"""The parcel layer: score classes, score-card popups, tooltips, legend, search and rank labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.outputs.escape import html_text
from landplan.outputs.style import EXCLUDED_COLOR, score_classes
from landplan.outputs.webmap.base import CANVAS_ABOVE, OSM_ATTRIBUTION, esc, fmt, new_map, to_wgs84

if TYPE_CHECKING:
    import folium

    from landplan.model import Scores

__all__ = ["parcel_map"]

_CARD_HEAD = (
    '<table style="font-size:11px;border-collapse:collapse;margin-top:4px">'
    "<tr><th align=left>criterion</th><th>raw</th><th>value</th><th>weight</th><th>contribution</th></tr>"
)


def legend(title: str, labels: list[str], colors: list[str]) -> Any:
    """A legend control naming each class (HTML, no external assets; every text escaped).

    Parameters
    ----------
    title : str
        Legend title.
    labels : list of str
        One label per class.
    colors : list of str
        One colour per class.

    Returns
    -------
    branca.element.MacroElement
    """
    from branca.element import MacroElement, Template

    class Legend(MacroElement):
        # a constant template; the (escaped) body is an attribute, seen by check_inert
        _template = Template("{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}")

        def __init__(self, body: str) -> None:
            super().__init__()
            self._name = "Legend"
            self.body = body

    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:12px;background:{html_text(c)};'
        f'border:1px solid #555;margin-right:6px"></span>{html_text(t)}</div>'
        for t, c in zip(labels, colors, strict=True)
    )
    return Legend(
        '<div class="landplan-legend" style="position:absolute;bottom:28px;left:10px;z-index:1000;'
        "background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;font:12px sans-serif;"
        f'box-shadow:0 1px 4px rgba(0,0,0,.3)"><b>{html_text(title)}</b>{rows}</div>'
    )


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


def _raw_text(raw: pd.Series) -> np.ndarray:
    """Raw criterion values as text: whole numbers from 1000 up, 4 significant digits below."""
    if not pd.api.types.is_numeric_dtype(raw):
        return esc(raw)
    a = raw.to_numpy(dtype="float64")
    return np.where(np.abs(a) >= 1000, fmt(a, "%.0f"), fmt(a, "%.4g")).astype(object)


def _card_rows(wgs: gpd.GeoDataFrame, criteria: list[str], texts: Mapping[str, Mapping[str, Any]]) -> Any:
    """The criterion rows of every score card (a loop over criteria, not parcels)."""
    labels, units, weights = texts["labels"], texts["units"], texts["weights"]
    rows: Any = ""
    for c in criteria:
        rows = rows + (
            f"<tr><td>{html_text(labels.get(c, c))}</td><td align=right>"
            + _raw_text(wgs[f"{c}_raw"])
            + f" {html_text(units.get(c, ''))}</td><td align=right>"
            + fmt(wgs[f"{c}_value"], "%.2f")
            + f"</td><td align=right>{weights.get(c, float('nan')):.3f}</td><td align=right>+"
            + fmt(wgs[f"{c}_contrib"], "%.3f")
            + "</td></tr>"
        )
    return rows


def _score_cards(wgs: gpd.GeoDataFrame, criteria: list[str], texts: Mapping[str, Mapping[str, Any]]) -> np.ndarray:
    """One HTML score card per parcel, built column-wise."""
    if not len(wgs):
        return np.array([], dtype=object)
    rank = wgs["rank"].astype("string").fillna("not ranked (excluded)").to_numpy(dtype=object) if "rank" in wgs else ""
    card = (
        '<div class="landplan-card"><b>Parcel '
        + esc(wgs.index.to_series())
        + "</b><br>Score <b>"
        + fmt(wgs["score"].fillna(np.nan), "%.3f")
        + "</b>, rank "
        + rank
        + _CARD_HEAD
        + _card_rows(wgs, criteria, texts)
        + "</table>"
    )
    if "excluded_by" in wgs:
        reasons = esc(wgs["excluded_by"])
        card = card + np.where(
            reasons == "",
            "<div>Constraints: all passed</div>",
            "<div style='color:#a00'>Excluded: " + reasons + "</div>",
        )
    if "top_drivers" in wgs:
        card = card + "<div>Top drivers: " + esc(wgs["top_drivers"]) + "</div>"
    if "allocated_to" in wgs:
        alloc = esc(wgs["allocated_to"])
        card = card + np.where(alloc == "", "", "<div><b>Reserved for " + alloc + "</b></div>")
    return np.asarray(card + "</div>", dtype=object)


def _compact_cards(wgs: gpd.GeoDataFrame, frame: pd.DataFrame) -> Any:
    """Short popups for large maps: id, score, rank, drivers and reasons."""
    return (
        "<b>Parcel "
        + frame["parcel_id"]
        + "</b><br>Score "
        + frame["score"]
        + ", rank "
        + frame["rank"]
        + "<br>"
        + (esc(wgs["top_drivers"]) if "top_drivers" in wgs else "")
        + ("<br>" + esc(wgs["excluded_by"]) if "excluded_by" in wgs else "")
    )


def _parcel_data(
    wgs: gpd.GeoDataFrame, colors: np.ndarray, cards: np.ndarray | None, *, column: str, large: bool
) -> gpd.GeoDataFrame:
    """The GeoJSON properties of every parcel: escaped id, rank, score, card, colour and CSS class."""
    frame = pd.DataFrame(index=wgs.index)
    frame["parcel_id"] = esc(wgs.index.to_series())
    frame["rank"] = wgs["rank"].astype("string").fillna("excluded").to_numpy(dtype=object) if "rank" in wgs else ""
    frame["score"] = fmt(wgs[column], "%.3f")
    frame["card"] = _compact_cards(wgs, frame) if cards is None else cards
    frame["_color"] = colors
    frame["_class"] = "" if large else "lp-parcel lp-p" + pd.Series(np.arange(len(wgs)), index=wgs.index).astype(str)
    return gpd.GeoDataFrame(frame, geometry=wgs.geometry.to_numpy(), crs=4326)


def _parcel_layer(data: gpd.GeoDataFrame, *, name: str, large: bool) -> folium.GeoJson:
    """The parcels as one GeoJSON layer, each coloured from its own ``_color`` property."""
    import folium

    style: dict[str, Any] = {"color": "#444444", "weight": 0.5, "fillOpacity": 0.75}
    common: dict[str, Any] = {
        "name": html_text(name),
        "tooltip": folium.GeoJsonTooltip(fields=["parcel_id", "rank", "score"], aliases=["Parcel", "Rank", "Score"]),
        "popup": folium.GeoJsonPopup(fields=["card"], labels=False, max_width=460),
    }
    if large:
        # folium's style_function becomes a JS switch over every feature id (quadratic for 100k
        # parcels); large maps colour each feature from its own properties instead
        from folium.utilities import JsCode

        on_each = JsCode(
            "function (feature, layer) { layer.setStyle({fillColor: feature.properties._color, color: '"
            + style["color"]
            + f"', weight: {style['weight']}, fillOpacity: {style['fillOpacity']}}}); }}"
        )
        return folium.GeoJson(data.drop(columns="_class").to_json(drop_id=True), on_each_feature=on_each, **common)
    return folium.GeoJson(
        data.to_json(drop_id=True),
        style_function=lambda f: {
            **style,
            "fillColor": f["properties"]["_color"],
            "className": f["properties"]["_class"],
        },
        highlight_function=lambda _f: {"weight": 2, "color": "#000000"},
        **common,
    )


def _rank_labels(best: gpd.GeoDataFrame, top: int) -> folium.FeatureGroup:
    """Rank badges on the best parcels (``best`` in EPSG:4326, best first)."""
    import folium
    import folium.plugins

    fg = folium.FeatureGroup(name=f"Top {top} parcels (rank labels)", show=True)
    pts = shapely.get_coordinates(shapely.point_on_surface(best.geometry.to_numpy()))
    rows = np.column_stack([pts[:, 1], pts[:, 0], best["rank"].astype(int).to_numpy(), esc(best.index.to_series())])
    callback = """function (row) {
        var icon = L.divIcon({className: 'landplan-rank', iconSize: [24, 16], iconAnchor: [12, 8],
            html: '<div style="background:#1a9641;color:#fff;border-radius:9px;padding:1px 5px;' +
                  'font:bold 11px sans-serif;text-align:center">' + row[2] + '</div>'});
        return L.marker(new L.LatLng(row[0], row[1]), {icon: icon}).bindTooltip('#' + row[2] + ' ' + row[3]);
    }"""
    folium.plugins.FastMarkerCluster(rows.tolist(), callback=callback, options={"disableClusteringAtZoom": 1}).add_to(
        fg
    )
    return fg


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


def _search_box(layer: folium.GeoJson) -> Any:
    """A search box for parcel ids, zooming to the parcel found."""
    import folium.plugins

    return folium.plugins.Search(
        layer=layer,
        search_label="parcel_id",
        placeholder="Parcel id",
        collapsed=False,
        geom_type="Polygon",
        search_zoom=17,
    )


def parcel_map(
    ranked: gpd.GeoDataFrame,
    *,
    column: str = "score",
    m: folium.Map | None = None,
    name: str = "Parcels (score)",
    tiles: str | None = "OpenStreetMap",
    classification: str = "quantiles",
    k: int = 5,
    criteria_labels: dict[str, str] | None = None,
    criteria_units: dict[str, str] | None = None,
    criteria: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    simplify_m: float = 1.0,
    top: int = 20,
    search: bool = True,
    scores: Scores | None = None,
) -> folium.Map:
    """Draw ranked parcels as score classes with score-card popups.

    Parameters
    ----------
    ranked : geopandas.GeoDataFrame
        The wide ranking (:func:`landplan.ranked_table`), any CRS (reprojected to EPSG:4326 here).
    column : str, default "score"
        Column to classify.
    m : folium.Map, optional
        Existing map to draw on (a new one fitted to the parcels when None).
    name : str
        Layer name in the layer control.
    tiles : str or None, default "OpenStreetMap"
        Base map for a new map: ``"OpenStreetMap"`` or None for no tiles.
    classification : str, default "quantiles"
        ``quantiles``, ``natural_breaks`` or ``equal_interval`` classes (mapclassify).
    k : int, default 5
        Number of classes.
    criteria_labels, criteria_units : dict, optional
        Human names and units of the criteria, for the score cards.
    criteria : sequence of str, optional
        Criterion names shown in the score cards (default: every criterion of the ranking).
    weights : Mapping[str, float], optional
        The normalised weights used by the scoring, shown in the score cards.
    simplify_m : float, default 1.0
        Simplification tolerance in metres before export (0 keeps every vertex).
    top : int, default 20
        Number of best parcels labelled with their rank.
    search : bool, default True
        Add a search box for parcel ids.
    scores : Scores, optional
        The scores of the ranking: the labelled parcels are ``scores.top(top)``.

    Returns
    -------
    folium.Map
    """
    large = len(ranked) > CANVAS_ABOVE
    # large maps: ~1 m coordinate precision and a compact popup keep the file loadable
    wgs = to_wgs84(
        ranked, tolerance_m=max(simplify_m, 2.0) if large else simplify_m, precision_deg=1e-5 if large else 1e-6
    )
    if m is None:
        m = _new_parcel_map(wgs, tiles)
    eligible = wgs["eligible"].to_numpy(dtype=bool) if "eligible" in wgs else np.ones(len(wgs), dtype=bool)
    classes = score_classes(wgs[column].to_numpy(dtype="float64"), eligible, scheme=classification, k=k)
    texts: dict[str, Mapping[str, Any]] = {
        "labels": criteria_labels or {},
        "units": criteria_units or {},
        "weights": dict(weights or {}),
    }
    cards = None if large else _score_cards(wgs, _criteria(ranked, criteria), texts)
    layer = _parcel_layer(_parcel_data(wgs, classes.colors, cards, column=column, large=large), name=name, large=large)
    layer.add_to(m)
    title = f"{column} ({classification.replace('_', ' ')})"
    legend(title, [*classes.labels, "excluded (see popup)"], [*classes.palette, EXCLUDED_COLOR]).add_to(m)
    if search:
        _search_box(layer).add_to(m)
    best = _best_ids(ranked, scores, top)
    if len(best):
        _rank_labels(wgs.loc[best], top).add_to(m)
    return m
