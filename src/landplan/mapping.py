"""Interactive folium maps of the ranked parcels, zones and facilities.

:func:`parcel_map` draws a ranked GeoDataFrame (score choropleth, excluded parcels
grey with their reason, popups with the score breakdown); :func:`scenario_map` adds
the scenario's industrial zones with their isolation buffers, the facility layers used
by the criteria, the top parcels with their rank, and a layer control.
Every text taken from the data is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

if TYPE_CHECKING:
    import folium

    from landplan.allocation import Allocation
    from landplan.pipeline import Layers

__all__ = ["parcel_map", "scenario_map"]

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
_EXCLUDED_COLOR = "#9e9e9e"
_PALETTE = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]  # low .. high score
_FACILITY_COLORS = ["#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928", "#a6cee3", "#fb9a99"]


def _escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """HTML-escape every text column (names and ids come from user data)."""
    out = df.copy()
    for col in out.columns:
        if col == "geometry":
            continue
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.astype("string").fillna("").map(html.escape).astype(object)
    return out


def _to_wgs84(gdf: gpd.GeoDataFrame, *, tolerance_m: float = 0.0) -> gpd.GeoDataFrame:
    g = gdf
    if tolerance_m > 0 and g.crs is not None and not g.crs.is_geographic:
        g = g.set_geometry(g.geometry.simplify(tolerance_m, preserve_topology=True))
    g = g.to_crs(4326)
    return g.set_geometry(shapely.set_precision(np.asarray(g.geometry.array, dtype=object), 1e-6), crs=4326)


def _breaks(values: pd.Series, k: int = 5) -> np.ndarray:
    """Quantile class breaks of eligible scores (k classes)."""
    v = values.dropna().to_numpy()
    if v.size == 0:
        return np.linspace(0, 1, k + 1)
    qs = np.quantile(v, np.linspace(0, 1, k + 1))
    return np.maximum.accumulate(qs)


def parcel_map(
    ranked: gpd.GeoDataFrame,
    *,
    column: str = "score",
    m: folium.Map | None = None,
    name: str = "Parcels (score)",
    tiles: str | None = "OpenStreetMap",
    criteria_labels: dict[str, str] | None = None,
    simplify_m: float = 1.0,
) -> folium.Map:
    """Draw ranked parcels as a score choropleth with popups showing the score breakdown.

    Parameters
    ----------
    ranked
        Output of :func:`landplan.score` (any CRS; reprojected to EPSG:4326 here).
    column
        Column to colour by.
    m
        Existing map to draw on (a new one fitted to the parcels when None).
    name
        Layer name in the layer control.
    tiles
        folium tile name, or None for no base map.
    criteria_labels
        Human names of criteria by name, for the popup.
    simplify_m
        Simplification tolerance in metres before export (0 to keep every vertex).

    Returns
    -------
    folium.Map
    """
    import branca
    import folium

    wgs = _to_wgs84(ranked, tolerance_m=simplify_m)
    if m is None:
        minx, miny, maxx, maxy = wgs.total_bounds
        m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
        if tiles:
            folium.TileLayer(tiles, name="OpenStreetMap", attr=OSM_ATTRIBUTION).add_to(m)
        m.fit_bounds([[miny, minx], [maxy, maxx]])

    eligible = wgs["eligible"].to_numpy(dtype=bool) if "eligible" in wgs else np.ones(len(wgs), dtype=bool)
    breaks = _breaks(wgs.loc[eligible, column])
    cmap = branca.colormap.StepColormap(
        _PALETTE,
        index=list(breaks),
        vmin=float(breaks[0]),
        vmax=float(breaks[-1]),
        caption=f"{column} (quantile classes of eligible parcels; grey = excluded)",
    )
    cls = np.clip(
        np.searchsorted(breaks, wgs[column].to_numpy(dtype="float64"), side="right") - 1, 0, len(_PALETTE) - 1
    )
    colors = np.where(eligible, np.array(_PALETTE, dtype=object)[cls], _EXCLUDED_COLOR)

    crit = [c.removesuffix("_raw") for c in wgs.columns if c.endswith("_raw")]
    labels = criteria_labels or {}
    frame = pd.DataFrame(index=wgs.index)
    frame["parcel_id"] = wgs.index.astype(str)
    frame["rank"] = wgs["rank"].astype("string").fillna("excluded") if "rank" in wgs else ""
    frame["score"] = wgs[column].round(3).astype("string").fillna("")
    if "excluded_by" in wgs:
        frame["excluded_by"] = wgs["excluded_by"].replace("", "-")
    if "top_drivers" in wgs:
        frame["top_drivers"] = wgs["top_drivers"]
    aliases = ["Parcel", "Rank", "Score", "Excluded by", "Top drivers"][: len(frame.columns)]
    for c in crit:
        title = labels.get(c, c)
        frame[f"{c}__b"] = (
            wgs[f"{c}_raw"].round(2).astype("string").fillna("n/a")
            + " -> "
            + wgs[f"{c}_value"].round(2).astype("string").fillna("n/a")
            + " (+"
            + wgs[f"{c}_contrib"].round(3).astype("string").fillna("0")
            + ")"
        )
        aliases.append(f"{title}: raw -> value (contribution)")
    frame = _escape_frame(frame)
    frame["_color"] = colors
    data = gpd.GeoDataFrame(frame, geometry=wgs.geometry.to_numpy(), crs=4326)
    fields = [c for c in frame.columns if c != "_color"]
    folium.GeoJson(
        data.to_json(drop_id=True),
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["_color"],
            "color": "#444444",
            "weight": 0.4,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda _f: {"weight": 2, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["parcel_id", "rank", "score"], aliases=["Parcel", "Rank", "Score"]),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, max_width=420),
    ).add_to(m)
    cmap.add_to(m)
    return m


def _point_layer(gdf: gpd.GeoDataFrame, *, name: str, color: str, label_field: str | None) -> folium.FeatureGroup:
    import folium

    fg = folium.FeatureGroup(name=name, show=False)
    wgs = _to_wgs84(gdf)
    labels = wgs[label_field].astype("string").fillna("") if label_field and label_field in wgs else None
    frame = pd.DataFrame({"label": labels if labels is not None else name}, index=wgs.index)
    frame = _escape_frame(frame)
    geom = np.asarray(wgs.geometry.array, dtype=object)
    is_point = shapely.get_type_id(geom) == 0
    if is_point.any():
        pts = gpd.GeoDataFrame(frame[is_point], geometry=geom[is_point], crs=4326)
        folium.GeoJson(
            pts.to_json(drop_id=True),
            marker=folium.CircleMarker(radius=3, color=color, fill=True, fill_opacity=0.9, weight=1),
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fg)
    if (~is_point).any():
        other = gpd.GeoDataFrame(frame[~is_point], geometry=geom[~is_point], crs=4326)
        folium.GeoJson(
            other.to_json(drop_id=True),
            style_function=lambda _f: {"color": color, "weight": 2, "fillOpacity": 0.2},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(fg)
    return fg


def scenario_map(
    ranked: gpd.GeoDataFrame,
    layers: Layers,
    *,
    top: int = 20,
    tiles: str | None = "OpenStreetMap",
    allocation: Allocation | None = None,
) -> folium.Map:
    """Full map of a scored scenario: parcels, zones with isolation buffers, facilities, top N.

    Parameters
    ----------
    ranked
        Output of :func:`landplan.score` for ``layers``.
    layers
        The loaded scenario layers (zones and facility layers are drawn from them).
    top
        Number of best parcels to mark with their rank.
    tiles
        Base map tiles (None for none).
    allocation
        An allocation to draw: parcels coloured by zone, lines from each zone to its parcels,
        and demand figures on the zones.

    Returns
    -------
    folium.Map
    """
    import folium

    s = layers.scenario
    labels = {c.name: c.title for c in s.criteria}
    m = parcel_map(ranked, tiles=tiles, criteria_labels=labels)

    zones = layers.frames.get("zones")
    zspec = s.layers.zones
    if zones is not None and zspec is not None:
        fg = folium.FeatureGroup(name="Industrial zones", show=True)
        cols: dict[str, str] = {"zone": zspec.id_field}
        if zspec.name_field:
            cols["name"] = zspec.name_field
        if zspec.workers_field:
            cols["workers"] = zspec.workers_field
        for extra in ("hazard_class", "isolation_m", "footprint"):
            if extra in zones:
                cols[extra] = extra
        frame = _escape_frame(pd.DataFrame({k: zones[v].astype("string") for k, v in cols.items()}, index=zones.index))
        zw = _to_wgs84(gpd.GeoDataFrame(frame, geometry=zones.geometry.to_numpy(), crs=zones.crs))
        folium.GeoJson(
            zw.to_json(drop_id=True),
            style_function=lambda _f: {"color": "#5e3c99", "weight": 2, "fillColor": "#5e3c99", "fillOpacity": 0.35},
            tooltip=folium.GeoJsonTooltip(fields=list(cols), aliases=list(cols)),
        ).add_to(fg)
        if "isolation_m" in zones:
            buf = zones.geometry.buffer(zones["isolation_m"].to_numpy(), quad_segs=16)
            bw = _to_wgs84(gpd.GeoDataFrame(frame, geometry=buf.to_numpy(), crs=zones.crs))
            folium.GeoJson(
                bw.to_json(drop_id=True),
                style_function=lambda _f: {"color": "#5e3c99", "weight": 1, "dashArray": "5 5", "fillOpacity": 0.05},
                tooltip=folium.GeoJsonTooltip(
                    fields=["name" if "name" in cols else "zone", "isolation_m"],
                    aliases=["Isolation buffer of", "Distance (m)"],
                ),
            ).add_to(fg)
        fg.add_to(m)

    seen: set[tuple[str, str]] = set()
    for i, c in enumerate(s.criteria):
        if c.layer is None or c.layer == "zones":
            continue
        key = (c.layer, repr(sorted(c.select.items())))
        if key in seen:
            continue
        seen.add(key)
        from landplan.pipeline import _select

        feats = _select(layers.frames[c.layer], c)
        spec = dict(s.layers.items())[c.layer]
        values = [str(v) for val in c.select.values() for v in (val if isinstance(val, list) else [val])]
        title = c.layer.replace("_", " ") + (": " + ", ".join(values) if values else "")
        _point_layer(
            feats,
            name=title,
            color=_FACILITY_COLORS[i % len(_FACILITY_COLORS)],
            label_field=spec.name_field,
        ).add_to(m)

    if allocation is not None:
        _allocation_layer(allocation, layers).add_to(m)

    best = ranked[ranked["rank"].notna() & (ranked["rank"] <= top)]
    if len(best):
        fg = folium.FeatureGroup(name=f"Top {top} parcels", show=True)
        pts = best.geometry.representative_point().to_crs(4326)
        ranks = best["rank"].astype(int).to_numpy()
        ids = [html.escape(str(i)) for i in best.index]
        for (x, y), rank, pid in zip(
            shapely.get_coordinates(np.asarray(pts.array, dtype=object)), ranks, ids, strict=True
        ):
            folium.Marker(
                [y, x],
                icon=folium.DivIcon(
                    html=f'<div class="landplan-rank" style="background:#1a9641;color:#fff;border-radius:9px;'
                    f'padding:1px 5px;font:bold 11px sans-serif;white-space:nowrap">{int(rank)}</div>',
                    icon_size=(24, 16),
                    icon_anchor=(12, 8),
                ),
                tooltip=f"#{int(rank)} {pid}",
            ).add_to(fg)
        fg.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


_ZONE_COLORS = [
    "#e41a1c",
    "#377eb8",
    "#4daf4a",
    "#984ea3",
    "#ff7f00",
    "#a65628",
    "#f781bf",
    "#999999",
    "#66c2a5",
    "#fc8d62",
    "#8da0cb",
    "#e78ac3",
]


def _allocation_layer(allocation: Allocation, layers: Layers) -> folium.FeatureGroup:
    import folium

    from landplan.allocation import allocation_layers

    fg = folium.FeatureGroup(name="Allocation (parcels by zone, links, demand)", show=True)
    parts = allocation_layers(allocation, layers)
    zone_ids = list(allocation.zones.index.astype(str))
    color = {z: _ZONE_COLORS[i % len(_ZONE_COLORS)] for i, z in enumerate(zone_ids)}
    zspec = layers.scenario.layers.zones
    names = layers.frames["zones"][zspec.name_field].astype(str) if zspec and zspec.name_field else None

    zt = parts["zones"]
    zf = pd.DataFrame(index=zt.index)
    zf["zone"] = (names.reindex(zt.index) if names is not None else zt.index.to_series()).astype(str)
    for col in ("demand_units", "allocated_units", "unmet_units", "land_ha", "sites"):
        zf[col] = zt[col].round(1).astype(str)
    zf["unmet_share"] = (zt["unmet_share"] * 100).round(0).astype(int).astype(str) + " %"
    zf["mean_commute_m"] = zt["mean_commute_m"].round(0).astype(str)
    zf = _escape_frame(zf)
    zf["_color"] = [color[str(z)] for z in zt.index]
    folium.GeoJson(
        _to_wgs84(gpd.GeoDataFrame(zf, geometry=zt.geometry.to_numpy(), crs=zt.crs)).to_json(drop_id=True),
        style_function=lambda f: {"color": f["properties"]["_color"], "weight": 3, "fillOpacity": 0.0},
        tooltip=folium.GeoJsonTooltip(
            fields=[
                "zone",
                "demand_units",
                "allocated_units",
                "unmet_units",
                "unmet_share",
                "land_ha",
                "sites",
                "mean_commute_m",
            ],
            aliases=[
                "Zone",
                "Demand (units)",
                "Allocated",
                "Unmet",
                "Unmet share",
                "Land (ha)",
                "Sites",
                "Mean commute (m)",
            ],
        ),
    ).add_to(fg)

    ap = parts["allocated_parcels"]
    pf = pd.DataFrame(index=ap.index)
    pf["parcel"] = ap.index.astype(str)
    pf["zone"] = ap["zone"].astype(str).map(dict(zip(zt.index.astype(str), zf["zone"], strict=True)))
    pf["units"] = ap["units"].round(0).astype(int).astype(str)
    pf["capacity"] = ap["capacity_units"].round(0).astype(int).astype(str)
    pf["commute_m"] = ap["commute_m"].round(0).astype(int).astype(str)
    pf["area_ha"] = ap["area_ha"].round(2).astype(str)
    pf = _escape_frame(pf)
    pf["_color"] = [color[str(z)] for z in ap["zone"]]
    folium.GeoJson(
        _to_wgs84(gpd.GeoDataFrame(pf, geometry=ap.geometry.to_numpy(), crs=ap.crs)).to_json(drop_id=True),
        style_function=lambda f: {
            "color": f["properties"]["_color"],
            "fillColor": f["properties"]["_color"],
            "weight": 2,
            "fillOpacity": 0.6,
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


def map_html(m: folium.Map) -> str:
    """The map rendered as a standalone HTML string."""
    out: Any = m.get_root().render()
    return str(out)
