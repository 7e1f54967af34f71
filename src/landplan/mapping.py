"""Interactive folium maps of the ranked parcels, zones, facilities and allocation.

:func:`parcel_map` draws a ranked GeoDataFrame: score classes (mapclassify) with a legend naming
them, excluded parcels grey with their reason, popups with the parcel's score card, tooltips,
the top N labelled with their rank, and a search box for parcel ids. :func:`scenario_map` adds
the industrial zones with their isolation buffers and demand figures, the facility layers
(clustered markers, a distinct symbol per type, service-radius circles on demand), the
allocation, base layers, and the map controls. ``offline=True`` inlines every asset so the HTML
file makes no network request.

Data text never reaches a template engine or the page as markup. folium compiles each element's
rendered output again as a Jinja2 template, so every text taken from the data (ids, attribute
values, layer keys, ``select`` values, zone and facility names, criterion labels and units, the
scenario name) passes through the choke point of :mod:`landplan._escape` on its way in:
:func:`~landplan._escape.html_text` for HTML (escaped, with ``{`` ``}`` ``%`` as entities) and
:func:`~landplan._escape.js_literal` for JavaScript source. :func:`map_html` then checks the whole
element tree with :func:`~landplan._escape.check_inert` and refuses to render if any template
opener (``{{``, ``{%``, ``{#``) is present outside folium's own templates.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan._escape import check_inert, html_array, html_text, js_literal
from landplan.errors import InputError

if TYPE_CHECKING:
    import folium

    from landplan.allocation import Allocation
    from landplan.pipeline import Layers

__all__ = ["MapSizeWarning", "map_html", "parcel_map", "save_map", "scenario_map"]

logger = logging.getLogger(__name__)

OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
_EXCLUDED_COLOR = "#9e9e9e"
_PALETTES = {
    3: ["#d7191c", "#ffffbf", "#1a9641"],
    4: ["#d7191c", "#fdae61", "#a6d96a", "#1a9641"],
    5: ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"],
    6: ["#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850"],
    7: ["#d73027", "#fc8d59", "#fee08b", "#ffffbf", "#d9ef8b", "#91cf60", "#1a9850"],
}
_FACILITY_COLORS = ["#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928", "#a6cee3", "#fb9a99"]
_ZONE_COLORS = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999",
                "#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3"]  # fmt: skip
# a transparent 1x1 PNG: the "no tiles" base layer (no request is made)
_BLANK_TILE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
#: parcels above which paths are drawn on a canvas instead of SVG (much faster, no DOM node per parcel)
CANVAS_ABOVE = 20_000
#: size above which saving a map warns (bytes)
SIZE_WARNING_BYTES = 60_000_000


class MapSizeWarning(UserWarning):
    """The HTML map is large enough to load slowly in a browser."""


def _esc(values: pd.Series | pd.Index) -> np.ndarray:
    """Text of a Series for the page (missing values as empty strings): the choke point, see module docstring."""
    return html_array(values)


def _to_wgs84(gdf: gpd.GeoDataFrame, *, tolerance_m: float = 0.0, precision_deg: float = 1e-6) -> gpd.GeoDataFrame:
    g = gdf
    if tolerance_m > 0 and g.crs is not None and not g.crs.is_geographic:
        g = g.set_geometry(g.geometry.simplify(tolerance_m, preserve_topology=True))
    g = g.to_crs(4326)
    return g.set_geometry(shapely.set_precision(np.asarray(g.geometry.array, dtype=object), precision_deg), crs=4326)


def classify(values: pd.Series, *, scheme: str = "quantiles", k: int = 5) -> np.ndarray:
    """Class upper bounds of ``values`` with mapclassify (quantiles, natural_breaks, equal_interval)."""
    import mapclassify

    v = values.dropna().to_numpy(dtype="float64")
    k = max(1, min(k, len(np.unique(v)))) if v.size else 1
    if v.size == 0 or k == 1:
        top = float(v.max()) if v.size else 1.0
        return np.array([top])
    if scheme == "quantiles":
        bins = mapclassify.Quantiles(v, k=k).bins
    elif scheme == "natural_breaks":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Numba not installed")  # only slower, still exact
            if v.size > 5000:
                bins = mapclassify.FisherJenksSampled(v, k=k, pct=5000 / v.size).bins
            else:
                bins = mapclassify.FisherJenks(v, k=k).bins
    elif scheme == "equal_interval":
        bins = mapclassify.EqualInterval(v, k=k).bins
    else:
        msg = f"unknown classification {scheme!r}; choose quantiles, natural_breaks or equal_interval"
        raise ValueError(msg)
    bins = np.asarray(bins, dtype="float64")
    bins[-1] = max(bins[-1], float(v.max()))
    return bins


def _legend(title: str, labels: list[str], colors: list[str]) -> Any:
    """A legend control naming each class (HTML, no external assets)."""
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
    """Criterion names of a ranking: ``given``, else the weights used by the scoring.

    Only names with their ``_raw``, ``_value`` and ``_contrib`` columns are kept; parcel
    attributes that merely end in ``_raw`` are never mistaken for criteria.
    """
    names = list(given) if given is not None else list(ranked.attrs.get("weights", {}))
    cols = set(ranked.columns)
    return [c for c in names if {f"{c}_raw", f"{c}_value", f"{c}_contrib"} <= cols]


def _score_cards(
    wgs: gpd.GeoDataFrame,
    criteria: list[str],
    labels: dict[str, str],
    units: dict[str, str],
    weights: dict[str, float],
) -> np.ndarray:
    """One HTML score card per parcel (built column-wise: a loop over criteria, not parcels)."""
    n = len(wgs)
    pid = _esc(wgs.index.to_series())
    rank = wgs["rank"].astype("string").fillna("not ranked (excluded)").to_numpy(dtype=object) if "rank" in wgs else ""
    score = np.char.mod("%.3f", wgs["score"].fillna(np.nan).to_numpy(dtype="float64")).astype(object)
    card = (
        '<div class="landplan-card"><b>Parcel '
        + pid
        + "</b><br>Score <b>"
        + score
        + "</b>, rank "
        + rank
        + '<table style="font-size:11px;border-collapse:collapse;margin-top:4px">'
        "<tr><th align=left>criterion</th><th>raw</th><th>value</th><th>weight</th><th>contribution</th></tr>"
    )
    for c in criteria:
        raw = wgs[f"{c}_raw"]
        if pd.api.types.is_numeric_dtype(raw):
            a = raw.to_numpy(dtype="float64")
            raw_txt = np.where(np.abs(a) >= 1000, np.char.mod("%.0f", a), np.char.mod("%.4g", a)).astype(object)
        else:
            raw_txt = _esc(raw)
        row = (
            f"<tr><td>{html_text(labels.get(c, c))}</td><td align=right>"
            + raw_txt
            + f" {html_text(units.get(c, ''))}</td><td align=right>"
            + np.char.mod("%.2f", wgs[f"{c}_value"].to_numpy(dtype="float64")).astype(object)
            + f"</td><td align=right>{weights.get(c, float('nan')):.3f}</td><td align=right>+"
            + np.char.mod("%.3f", wgs[f"{c}_contrib"].to_numpy(dtype="float64")).astype(object)
            + "</td></tr>"
        )
        card = card + row
    card = card + "</table>"
    if "excluded_by" in wgs:
        reasons = _esc(wgs["excluded_by"])
        card = card + np.where(
            reasons == "",
            "<div>Constraints: all passed</div>",
            "<div style='color:#a00'>Excluded: " + reasons + "</div>",
        )
    if "top_drivers" in wgs:
        card = card + "<div>Top drivers: " + _esc(wgs["top_drivers"]) + "</div>"
    if "allocated_to" in wgs:
        alloc = _esc(wgs["allocated_to"])
        card = card + np.where(alloc == "", "", "<div><b>Reserved for " + alloc + "</b></div>")
    return np.asarray(card + "</div>", dtype=object) if n else np.array([], dtype=object)


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
    simplify_m: float = 1.0,
    top: int = 20,
    search: bool = True,
) -> folium.Map:
    """Draw ranked parcels as score classes with score-card popups.

    Parameters
    ----------
    ranked
        Output of :func:`landplan.score` (any CRS; reprojected to EPSG:4326 here).
    column
        Column to classify (the score).
    m
        Existing map to draw on (a new one fitted to the parcels when None).
    name
        Layer name in the layer control.
    tiles
        Base map for a new map: ``"OpenStreetMap"`` or None for no tiles.
    classification, k
        ``quantiles``, ``natural_breaks`` or ``equal_interval`` classes (mapclassify), ``k`` classes.
    criteria_labels, criteria_units
        Human names and units of the criteria, for the score cards.
    criteria
        Criterion names shown in the score cards (default: those of ``ranked.attrs["weights"]``,
        the weights the scoring used).
    simplify_m
        Simplification tolerance in metres before export (0 keeps every vertex).
    top
        Number of best parcels labelled with their rank.
    search
        Add a search box for parcel ids.

    Returns
    -------
    folium.Map
    """
    import folium
    import folium.plugins

    large = len(ranked) > CANVAS_ABOVE
    # large maps: ~1 m coordinate precision and a compact popup keep the file loadable
    wgs = _to_wgs84(
        ranked, tolerance_m=max(simplify_m, 2.0) if large else simplify_m, precision_deg=1e-5 if large else 1e-6
    )
    if m is None:
        m = folium.Map(tiles=None, control_scale=True, prefer_canvas=len(wgs) > CANVAS_ABOVE)
        if tiles:
            folium.TileLayer(tiles, name="OpenStreetMap", attr=OSM_ATTRIBUTION).add_to(m)
        minx, miny, maxx, maxy = wgs.total_bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])

    eligible = wgs["eligible"].to_numpy(dtype=bool) if "eligible" in wgs else np.ones(len(wgs), dtype=bool)
    bins = classify(wgs.loc[eligible, column], scheme=classification, k=k)
    palette = _PALETTES.get(len(bins), _PALETTES[5])[: len(bins)] if len(bins) > 1 else ["#1a9641"]
    values = wgs[column].to_numpy(dtype="float64")
    cls = np.clip(np.searchsorted(bins, values, side="left"), 0, len(bins) - 1)
    colors = np.where(eligible, np.array(palette, dtype=object)[cls], _EXCLUDED_COLOR)
    lows = np.concatenate([[np.nanmin(values[eligible]) if eligible.any() else 0.0], bins[:-1]])
    labels = [f"{lo:.2f} – {hi:.2f}" for lo, hi in zip(lows, bins, strict=True)] + ["excluded (see popup)"]

    weights = ranked.attrs.get("weights", {})
    frame = pd.DataFrame(index=wgs.index)
    frame["parcel_id"] = _esc(wgs.index.to_series())
    frame["rank"] = wgs["rank"].astype("string").fillna("excluded").to_numpy(dtype=object) if "rank" in wgs else ""
    frame["score"] = np.char.mod("%.3f", values).astype(object)
    if large:
        frame["card"] = (
            "<b>Parcel "
            + frame["parcel_id"]
            + "</b><br>Score "
            + frame["score"]
            + ", rank "
            + frame["rank"]
            + "<br>"
            + (_esc(wgs["top_drivers"]) if "top_drivers" in wgs else "")
            + ("<br>" + _esc(wgs["excluded_by"]) if "excluded_by" in wgs else "")
        )
    else:
        frame["card"] = _score_cards(
            wgs, _criteria(ranked, criteria), criteria_labels or {}, criteria_units or {}, weights
        )
    frame["_color"] = colors
    frame["_class"] = "" if large else "lp-parcel lp-p" + pd.Series(np.arange(len(wgs)), index=wgs.index).astype(str)
    data = gpd.GeoDataFrame(frame, geometry=wgs.geometry.to_numpy(), crs=4326)
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
        layer = folium.GeoJson(data.drop(columns="_class").to_json(drop_id=True), on_each_feature=on_each, **common)
    else:
        layer = folium.GeoJson(
            data.to_json(drop_id=True),
            style_function=lambda f: {
                **style,
                "fillColor": f["properties"]["_color"],
                "className": f["properties"]["_class"],
            },
            highlight_function=lambda _f: {"weight": 2, "color": "#000000"},
            **common,
        )
    layer.add_to(m)
    _legend(f"{column} ({classification.replace('_', ' ')})", labels, [*palette, _EXCLUDED_COLOR]).add_to(m)
    if search:
        folium.plugins.Search(
            layer=layer,
            search_label="parcel_id",
            placeholder="Parcel id",
            collapsed=False,
            geom_type="Polygon",
            search_zoom=17,
        ).add_to(m)

    best = wgs[wgs["rank"].notna() & (wgs["rank"] <= top)] if "rank" in wgs else wgs.iloc[:0]
    if len(best):
        fg = folium.FeatureGroup(name=f"Top {top} parcels (rank labels)", show=True)
        pts = shapely.get_coordinates(shapely.point_on_surface(best.geometry.to_numpy()))
        rows = np.column_stack(
            [pts[:, 1], pts[:, 0], best["rank"].astype(int).to_numpy(), _esc(best.index.to_series())]
        ).tolist()
        callback = """function (row) {
            var icon = L.divIcon({className: 'landplan-rank', iconSize: [24, 16], iconAnchor: [12, 8],
                html: '<div style="background:#1a9641;color:#fff;border-radius:9px;padding:1px 5px;' +
                      'font:bold 11px sans-serif;text-align:center">' + row[2] + '</div>'});
            return L.marker(new L.LatLng(row[0], row[1]), {icon: icon}).bindTooltip('#' + row[2] + ' ' + row[3]);
        }"""
        folium.plugins.FastMarkerCluster(rows, callback=callback, options={"disableClusteringAtZoom": 1}).add_to(fg)
        fg.add_to(m)
    return m


def _facility_layer(
    gdf: gpd.GeoDataFrame, *, name: str, color: str, letter: str, label_field: str | None, radius_m: float | None
) -> list[folium.FeatureGroup]:
    import folium
    import folium.plugins

    groups = []
    wgs = _to_wgs84(gdf)
    geom = np.asarray(wgs.geometry.array, dtype=object)
    labels = (
        _esc(wgs[label_field])
        if label_field and label_field in wgs
        else np.full(len(wgs), html_text(name), dtype=object)
    )
    is_point = shapely.get_type_id(geom) == 0
    fg = folium.FeatureGroup(name=html_text(name), show=False)
    if is_point.any():
        xy = shapely.get_coordinates(geom[is_point])
        rows = np.column_stack([xy[:, 1], xy[:, 0], labels[is_point]]).tolist()
        # the letter and colour enter the JavaScript source only as escaped string literals
        callback = (
            "function (row) { var icon = L.divIcon({className: 'landplan-fac', iconSize: [16, 16], html: "
            "'<div style=\"background:' + "
            + js_literal(html_text(color))
            + " + ';color:#fff;border-radius:8px;width:16px;height:16px;"
            "font:bold 10px/16px sans-serif;text-align:center\">' + " + js_literal(html_text(letter)) + " + '</div>'});"
            " return L.marker(new L.LatLng(row[0], row[1]), {icon: icon}).bindTooltip(row[2]); }"
        )
        folium.plugins.FastMarkerCluster(rows, callback=callback).add_to(fg)
    if (~is_point).any():
        other = gpd.GeoDataFrame({"label": labels[~is_point]}, geometry=geom[~is_point], crs=4326)
        folium.GeoJson(
            other.to_json(drop_id=True),
            style_function=lambda _f: {"color": color, "weight": 2, "fillOpacity": 0.2},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fg)
    groups.append(fg)
    if radius_m is not None:
        circles = gpd.GeoDataFrame(geometry=gdf.geometry.buffer(radius_m, quad_segs=8).to_numpy(), crs=gdf.crs)
        sr = folium.FeatureGroup(name=html_text(f"{name}: service radius {radius_m:,.0f} m"), show=False)
        folium.GeoJson(
            _to_wgs84(circles).to_json(drop_id=True),
            style_function=lambda _f: {"color": color, "weight": 1, "fillOpacity": 0.08},
        ).add_to(sr)
        groups.append(sr)
    return groups


def _zone_layer(layers: Layers, allocation: Allocation | None) -> folium.FeatureGroup:
    import folium

    from landplan.demand import layers_demand

    s = layers.scenario
    zspec = s.layers.zones
    zones = layers.frames["zones"]
    assert zspec is not None
    fg = folium.FeatureGroup(name="Industrial zones and isolation buffers", show=True)
    frame = pd.DataFrame(index=zones.index)
    frame["zone"] = _esc(zones[zspec.name_field] if zspec.name_field else zones.index.to_series())
    if zspec.workers_field:
        frame["workers"] = _esc(zones[zspec.workers_field])
    for extra in ("hazard_class", "isolation_m", "footprint"):
        if extra in zones:
            frame[extra] = _esc(zones[extra])
    try:
        demand, _ = layers_demand(layers)
    except InputError as exc:  # zones without workers or area, no housing rules: the map shows no demand
        logger.info("no demand figures on the map: %s", exc)
    else:
        frame["units_needed"] = np.char.mod("%.0f", demand["units_needed"].reindex(zones.index).to_numpy()).astype(
            object
        )
    if allocation is not None:
        z = allocation.zones.reindex(zones.index)
        frame["allocated_units"] = np.char.mod("%.0f", z["allocated_units"].to_numpy()).astype(object)
        frame["unmet_units"] = np.char.mod("%.0f", z["unmet_units"].to_numpy()).astype(object)
    frame["_class"] = "lp-zone"
    fields = [c for c in frame.columns if not c.startswith("_")]
    zw = _to_wgs84(gpd.GeoDataFrame(frame, geometry=zones.geometry.to_numpy(), crs=zones.crs))
    folium.GeoJson(
        zw.to_json(drop_id=True),
        style_function=lambda f: {
            "color": "#5e3c99",
            "weight": 2,
            "fillColor": "#5e3c99",
            "fillOpacity": 0.35,
            "className": f["properties"]["_class"],
        },
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[f.replace("_", " ") for f in fields]),
    ).add_to(fg)
    if "isolation_m" in zones:
        buf = zones.geometry.buffer(zones["isolation_m"].to_numpy(), quad_segs=16)
        bw = _to_wgs84(gpd.GeoDataFrame(frame[["zone", "isolation_m"]], geometry=buf.to_numpy(), crs=zones.crs))
        folium.GeoJson(
            bw.to_json(drop_id=True),
            style_function=lambda _f: {
                "color": "#5e3c99",
                "weight": 1,
                "dashArray": "5 5",
                "fillOpacity": 0.05,
                "className": "lp-zone-buffer",
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["zone", "isolation_m"], aliases=["Isolation buffer of", "Distance (m)"]
            ),
        ).add_to(fg)
    return fg


def _allocation_layer(allocation: Allocation, layers: Layers) -> folium.FeatureGroup:
    import folium

    from landplan.allocation import allocation_layers

    fg = folium.FeatureGroup(name="Allocation (parcels by zone, links)", show=True)
    parts = allocation_layers(allocation, layers)
    color = {str(z): _ZONE_COLORS[i % len(_ZONE_COLORS)] for i, z in enumerate(allocation.zones.index)}
    zspec = layers.scenario.layers.zones
    names = layers.frames["zones"][zspec.name_field].astype(str) if zspec and zspec.name_field else None
    ap = parts["allocated_parcels"]
    pf = pd.DataFrame(index=ap.index)
    pf["parcel"] = _esc(ap.index.to_series())
    zone_names = ap["zone"].map(names) if names is not None else ap["zone"].astype(str)
    pf["zone"] = _esc(zone_names)
    pf["units"] = np.char.mod("%.0f", ap["units"].to_numpy()).astype(object)
    pf["capacity"] = np.char.mod("%.0f", ap["capacity_units"].to_numpy()).astype(object)
    pf["commute_m"] = np.char.mod("%.0f", ap["commute_m"].to_numpy()).astype(object)
    pf["area_ha"] = np.char.mod("%.2f", ap["area_ha"].to_numpy()).astype(object)
    pf["_color"] = [color[str(z)] for z in ap["zone"]]
    folium.GeoJson(
        _to_wgs84(gpd.GeoDataFrame(pf, geometry=ap.geometry.to_numpy(), crs=ap.crs)).to_json(drop_id=True),
        style_function=lambda f: {
            "color": f["properties"]["_color"],
            "fillColor": f["properties"]["_color"],
            "weight": 2,
            "fillOpacity": 0.6,
            "className": "lp-allocated",
        },
        tooltip=folium.GeoJsonTooltip(fields=["parcel", "zone", "units"], aliases=["Parcel", "Reserved for", "Units"]),
        popup=folium.GeoJsonPopup(
            fields=["parcel", "zone", "units", "capacity", "commute_m", "area_ha"],
            aliases=["Parcel", "Reserved for zone", "Units allocated", "Capacity (units)", "Commute (m)", "Area (ha)"],
        ),
    ).add_to(fg)
    links = parts["links"]
    lf = pd.DataFrame({"_color": [color[str(z)] for z in links["zone"]]})
    folium.GeoJson(
        _to_wgs84(gpd.GeoDataFrame(lf, geometry=links.geometry.to_numpy(), crs=links.crs)).to_json(drop_id=True),
        style_function=lambda f: {"color": f["properties"]["_color"], "weight": 1.5, "opacity": 0.8},
    ).add_to(fg)
    return fg


def scenario_map(
    ranked: gpd.GeoDataFrame,
    layers: Layers,
    *,
    top: int = 20,
    tiles: str | None = "OpenStreetMap",
    allocation: Allocation | None = None,
    offline: bool = False,
    classification: str = "quantiles",
    simplify_m: float = 1.0,
    tile_url: str | None = None,
) -> folium.Map:
    """Full map of a scored scenario.

    Parameters
    ----------
    ranked
        Output of :func:`landplan.score` for ``layers``.
    layers
        The loaded scenario layers (zones, facility layers).
    top
        Number of best parcels labelled with their rank.
    tiles
        ``"OpenStreetMap"`` to offer OpenStreetMap, a light basemap and satellite imagery, or None
        for the "no tiles" base only (always the case offline).
    allocation
        An allocation to draw: parcels coloured by zone, lines to their zone, demand on zones.
    offline
        Draw no web tiles (save with :func:`save_map` ``offline=True`` to inline the assets).
    classification
        Score classes: ``quantiles``, ``natural_breaks`` or ``equal_interval``.
    simplify_m
        Simplification tolerance for parcel outlines, metres.
    tile_url
        A tile URL template of a local tile server (``http://gis.local/{z}/{x}/{y}.png``), offered
        as a base layer also offline.

    Returns
    -------
    folium.Map
    """
    import folium
    import folium.plugins

    s = layers.scenario
    tile_url = _checked_tile_url(tile_url or s.output.tile_url)
    wgs_bounds = ranked.to_crs(4326).total_bounds
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=len(ranked) > CANVAS_ABOVE)
    m.fit_bounds([[wgs_bounds[1], wgs_bounds[0]], [wgs_bounds[3], wgs_bounds[2]]])
    if tiles and not offline:
        import xyzservices.providers as xyz

        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr=OSM_ATTRIBUTION).add_to(m)
        for provider, label in (
            (xyz.Esri.WorldGrayCanvas, "Light (Esri gray)"),
            (xyz.Esri.WorldImagery, "Satellite (Esri)"),
        ):
            folium.TileLayer(provider.build_url(), name=label, attr=provider.html_attribution, show=False).add_to(m)
    if tile_url:
        folium.TileLayer(tile_url, name="Local tiles", attr="local tile server", show=bool(offline)).add_to(m)
    folium.TileLayer(
        _BLANK_TILE, name="No tiles", attr="landplan", show=bool((offline or not tiles) and not tile_url)
    ).add_to(m)

    labels = {c.name: c.title for c in s.criteria}
    units = {c.name: c.unit_label for c in s.criteria}
    used = list(ranked.attrs.get("weights") or [c.name for c in s.criteria])
    shown = ranked
    if allocation is not None:
        zspec = s.layers.zones
        names = layers.frames["zones"][zspec.name_field].astype(str) if zspec and zspec.name_field else None
        zone = allocation.parcels["zone"]
        text = (
            (zone.map(names) if names is not None else zone.astype(str))
            + ": "
            + allocation.parcels["units"].round(0).astype(int).astype(str)
            + " units"
        )
        shown = ranked.assign(allocated_to=text.reindex(ranked.index).fillna(""))
    parcel_map(
        shown,
        m=m,
        classification=classification,
        criteria_labels=labels,
        criteria_units=units,
        criteria=used,
        top=top,
        simplify_m=simplify_m,
    )

    if "zones" in layers.frames and s.layers.zones is not None:
        _zone_layer(layers, allocation).add_to(m)

    seen: set[tuple[str, str]] = set()
    letters = {
        "kindergarten": "K",
        "primary": "P",
        "secondary": "S",
        "health": "H",
        "hospital": "H",
        "market": "M",
        "bus": "B",
        "road": "R",
    }
    for i, c in enumerate(s.criteria):
        layer, select = getattr(c, "layer", None), getattr(c, "select", {})
        if layer is None or layer == "zones":
            continue
        key = (layer, repr(sorted(select.items())))
        if key in seen:
            continue
        seen.add(key)
        from landplan.pipeline import _select

        values = [str(v) for val in select.values() for v in (val if isinstance(val, list) else [val])]
        title = layer.replace("_", " ") + (": " + ", ".join(values) if values else "")
        letter = next((v for k, v in letters.items() if k in title.lower()), title[:1].upper())
        radius_m, radius_rule = getattr(c, "radius_m", None), getattr(c, "radius_rule", None)
        radius = radius_m if radius_m is not None else (layers.rules.radius_m(radius_rule) if radius_rule else None)
        spec = dict(s.layers.items())[layer]
        for fg in _facility_layer(
            _select(layers.frames[layer], c),
            name=title,
            color=_FACILITY_COLORS[i % len(_FACILITY_COLORS)],
            letter=letter,
            label_field=spec.name_field,
            radius_m=radius,
        ):
            fg.add_to(m)

    if allocation is not None:
        _allocation_layer(allocation, layers).add_to(m)

    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.MiniMap(
        tile_layer=folium.TileLayer(_BLANK_TILE, attr="landplan") if offline or not tiles else "OpenStreetMap",
        toggle_display=True,
    ).add_to(m)
    folium.plugins.MeasureControl(
        primary_length_unit="meters", secondary_length_unit="kilometers", primary_area_unit="hectares"
    ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


_TILE_URL = re.compile(r"[^{}]*(\{[a-z0-9_-]+\}[^{}]*)*")


def _checked_tile_url(url: str | None) -> str | None:
    """A tile URL template whose only braces are Leaflet placeholders such as ``{z}``.

    Raises
    ------
    InputError
        For any other brace (the URL is JavaScript source to folium's templates).
    """
    if url is None or _TILE_URL.fullmatch(url):
        return url
    msg = (
        f"output.tile_url {url!r}: braces may only enclose a Leaflet placeholder such as {{z}}, {{x}}, "
        "{y} or {s}; fix the URL template"
    )
    raise InputError(msg)


def map_html(m: folium.Map, *, offline: bool = False) -> str:
    """The map rendered as one HTML page (assets inlined when ``offline``).

    Raises
    ------
    landplan._escape.TemplateSyntaxInData
        If template syntax from data reached the map (see module docstring); nothing is rendered.
    """
    from landplan._assets import inline_assets

    check_inert(m.get_root())
    text = str(m.get_root().render())
    return inline_assets(text) if offline else text


def save_map(m: folium.Map, path: Any, *, offline: bool = False, warn_bytes: int = SIZE_WARNING_BYTES) -> int:
    """Render and write a map (atomically); warn with :class:`MapSizeWarning` above ``warn_bytes``.

    Returns
    -------
    int
        Size of the file in bytes.
    """
    from landplan.io import atomic_path

    text = map_html(m, offline=offline).encode("utf-8")
    if len(text) > warn_bytes:
        warnings.warn(
            f"the map is {len(text) / 1e6:.0f} MB and may load slowly; raise simplify_m, map fewer parcels "
            "(e.g. only eligible ones) or split the area",
            MapSizeWarning,
            stacklevel=2,
        )
    with atomic_path(path) as tmp:
        tmp.write_bytes(text)
    return len(text)
