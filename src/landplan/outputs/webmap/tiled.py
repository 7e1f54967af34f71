"""The map of many parcels: a page and its folder of vector tiles, card chunks and the bundled renderer.

Above ``[output] tiles_above`` parcels (50,000 by default) the interactive map is written by
:func:`save_tiled_map` instead of as one HTML file: ``map.html`` and ``map_files/`` (the name of the
page with ``_files``). The folder holds MapLibre GL JS (BSD-3-Clause, its licence beside it), the
landplan client scripts, the parcel tiles, the score-card chunks and the overview image (see
:mod:`landplan.outputs.webmap.tiles` for why they are scripts). Zones, isolation buffers, reserved
parcels, context layers (roads, water, boundaries) and the facility programme are small and travel
inside the page. The card chunks are in id order, so the first id of each (``id_fences``) is the
search box's whole index; ``tiled.js`` adds the small map's hover tooltips, id search and facility
layers (markers with ``programme.js``'s cards) on top of MapLibre.

The page is a constant template; the data object is :func:`~landplan.outputs.webmap.encode.js_data`
of values escaped with :func:`~landplan.outputs.escape.html_text`, as for the small map.
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.io import atomic_path
from landplan.outputs.escape import html_array, html_text, js_literal
from landplan.outputs.i18n import translator
from landplan.outputs.style import EXCLUDED_COLOR, ZONE_COLOR, score_classes
from landplan.outputs.webmap.base import to_wgs84
from landplan.outputs.webmap.client import CSS, ClientText, _class_labels, client_data, client_js
from landplan.outputs.webmap.encode import js_data
from landplan.outputs.webmap.tiles import CHUNK, TILE_ZOOM, chunk_slices, overview_image, write_chunks, write_tiles

if TYPE_CHECKING:
    from landplan.model import Allocation, Study

__all__ = ["TILES_ABOVE", "save_tiled_map"]

#: parcels above which ``run`` writes the tiled map (``[output] tiles_above``)
TILES_ABOVE = 50_000

#: data-object keys that hold one value per parcel (or per-chunk look-ups): they go into the chunks
_PER_PARCEL = ("ids", "names", "score", "rank", "cls", "eligible", "values", "raw", "contrib", "drivers")
_PER_CHUNK = ("reasons", "reason_of", "zones", "alloc")

TILED_CSS = """
html,body{margin:0;height:100%}#map{position:absolute;inset:0}
.landplan-tiles-legend{position:absolute;right:10px;bottom:24px;z-index:2;max-width:260px}
.landplan-right{position:absolute;right:10px;top:10px;z-index:2;display:flex;flex-direction:column;
 align-items:flex-end;gap:6px}
.landplan-layers{background:#fff;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px sans-serif}
.landplan-layers-toggle{border:0;background:#fff;font:bold 12px sans-serif;padding:6px 8px;cursor:pointer}
.landplan-layers-body{padding:4px 8px 8px}.landplan-layers-body label{display:block;white-space:nowrap}
.landplan-rank div{pointer-events:none}.landplan-tooltip{pointer-events:none}
.landplan-tooltip .maplibregl-popup-content{padding:4px 8px;font:12px sans-serif}
.maplibregl-marker.landplan-rank{pointer-events:none}
.landplan-search{position:absolute;left:50px;top:10px;z-index:2;background:#fff;border-radius:4px;padding:4px;
 box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px sans-serif;max-width:260px}
.landplan-search input{width:150px;font:12px sans-serif}.landplan-search button{font:12px sans-serif}
.landplan-search-note{color:#7a0177;margin-top:4px}
.landplan-tiles-whatif{border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)}
"""

_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{href}/maplibre-gl.css">
<style>{css}</style>
<script src="{href}/maplibre-gl.js"></script>
<script src="{href}/client.js"></script>
<script src="{href}/tiled.js"></script>
<script src="{href}/overview.js"></script>
</head><body><div id="map"></div>
<script>new LandplanTiles("map", {files_js}, /*data*/{data}/*end*/);</script>
</body></html>
"""


def _vendor(folder: Path) -> None:
    """MapLibre GL JS with its licence and the landplan scripts into the map's folder."""
    package = resources.files("landplan.outputs.webmap")
    for name in ("maplibre-gl.js", "maplibre-gl.css", "LICENSE-maplibre-gl.txt"):
        (folder / name).write_bytes((package / "vendor" / name).read_bytes())
    (folder / "tiled.js").write_bytes((package / "tiled.js").read_bytes())
    (folder / "client.js").write_text(client_js(), encoding="utf-8")


def _geojson(gdf: gpd.GeoDataFrame | None, *, tolerance_m: float = 0.0) -> dict[str, Any]:
    """A small layer as a GeoJSON object in EPSG:4326 (empty collection for None)."""
    if gdf is None or not len(gdf):
        return {"type": "FeatureCollection", "features": []}
    return dict(json.loads(to_wgs84(gdf, tolerance_m=tolerance_m, precision_deg=1e-6).to_json(drop_id=True)))


def _zones(study: Study | None, allocation: Allocation | None, lang: str) -> dict[str, Any]:
    """Zones with their (escaped) card fields, isolation buffers and field titles."""
    from landplan.outputs.webmap.zones import _zone_frame

    if study is None or study.zones is None or not len(study.zones):
        return {"zones": _geojson(None), "buffers": _geojson(None), "fields": [], "titles": []}
    zones = study.zones
    frame, titles = _zone_frame(study, zones, allocation, translator(lang))
    buffers = None
    if "isolation_m" in zones:
        buf = zones.geometry.buffer(zones["isolation_m"].to_numpy(), quad_segs=16)
        buffers = gpd.GeoDataFrame(geometry=buf.to_numpy(), crs=zones.crs)
    shapes = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=zones.geometry.to_numpy(), crs=zones.crs)
    return {
        "zones": _geojson(shapes),
        "buffers": _geojson(buffers),
        "fields": list(frame.columns),
        "titles": titles,
    }


def _context(study: Study | None) -> list[dict[str, Any]]:
    """Context layers (boundaries, water, roads) as GeoJSON, simplified to 5 m."""
    from landplan.outputs.webmap.context import context_frames

    if study is None:
        return []
    return [{"kind": kind, "data": _geojson(frame, tolerance_m=5.0)} for kind, frame in context_frames(study).items()]


def _best(ranked: gpd.GeoDataFrame, best: pd.Index) -> list[list[float]]:
    """``[rank, lon, lat]`` of each labelled parcel, best first (a point inside the parcel)."""
    rows = ranked.loc[best]
    if "rank" in rows:  # only ranked parcels carry a rank label
        rows = rows[rows["rank"].notna().to_numpy()]
    if not len(rows):
        return []
    pts = to_wgs84(gpd.GeoDataFrame(geometry=shapely.point_on_surface(rows.geometry.to_numpy()), crs=ranked.crs))
    xy = shapely.get_coordinates(pts.geometry.to_numpy())
    rank = rows["rank"].to_numpy(dtype="float64") if "rank" in rows else np.arange(1, len(rows) + 1)
    return [[int(r), round(float(x), 6), round(float(y), 6)] for r, (x, y) in zip(rank, xy, strict=True)]


def _messages(lang: str, top: int, context: Sequence[str], fac: Mapping[str, Any] | None) -> dict[str, Any]:
    """Texts of the tiled page besides the small map's messages (escaped); layer groups for the control."""
    tr = translator(lang)
    facilities: list[dict[str, Any]] = []  # the small map's two facility layers (existing ones hidden at first)
    if fac is not None and fac["land"]:
        facilities.append({"key": "fac-land", "title": html_text(tr("Reserved facility land")), "layers": []})
    if fac is not None and fac["existing"]:
        title = tr("Existing facilities: places left after the allocation")
        facilities.append({"key": "fac-existing", "title": html_text(title), "layers": [], "show": False})
    kinds = {"water": tr("Rivers and lakes"), "roads": tr("Main roads"), "boundaries": tr("Administrative boundaries")}
    groups = [
        ("overview", tr("Parcels (suitability score)"), ["overview", "parcels", "parcels-line", "parcels-hover"]),
        ("labels", tr("Top {n} parcels (rank labels)", n=top), []),
        ("reserved", tr("Reserved land"), ["reserved"]),
        ("zones", tr("Industrial zones and isolation buffers"), ["zones-fill", "zones-line", "buffers"]),
        *((kind, kinds[kind], [f"context{j}"]) for j, kind in enumerate(context)),
    ]
    return {
        "layers_title": html_text(tr("Layers")),
        "zoom_note": html_text(tr("Zoom in or click to see parcels; click a parcel for its score card.")),
        "groups": [*({"key": k, "title": html_text(t), "layers": ids} for k, t, ids in groups), *facilities],
        "search_placeholder": html_text(tr("Parcel id")),
        "search_button": html_text(tr("Find")),
        "search_none": html_text(tr("No parcel has this id:")),
        "what_if_zoom": html_text(tr("Zoom in to see the recomputed classes of the parcels.")),
    }


def _reserved_shapes(ranked: gpd.GeoDataFrame, text: ClientText) -> gpd.GeoDataFrame | None:
    """Outlines of the reserved parcels (a few hundred at most)."""
    if text.reserved is None or not len(text.reserved):
        return None
    ids = text.reserved.index.intersection(ranked.index, sort=False)
    return gpd.GeoDataFrame(geometry=ranked.geometry.loc[ids].boundary.to_numpy(), crs=ranked.crs)


def _chunks(
    ranked: gpd.GeoDataFrame,
    order: np.ndarray,
    points: np.ndarray,
    *,
    classes: Any,
    common: Mapping[str, Any],
    size: int,
) -> list[dict[str, Any]]:
    """The per-parcel part of the data object in id order (``order``), cut into chunks of ``size`` parcels.

    Each chunk also holds ``pt``: a point inside each parcel, ``[x, y, ...]`` in 1e-5 degrees from the
    page's ``pt_origin`` (where the search flies to), and ``fac_sites``: what its housing sites need built.
    """
    out = []
    for sl in chunk_slices(len(ranked), size):
        part = client_data(ranked.iloc[order[sl]], classes, best=ranked.index[:0], **common)
        chunk = {k: part[k] for k in (*_PER_PARCEL, *_PER_CHUNK) if k in part}
        chunk["pt"] = points[order[sl]].ravel().tolist()
        if "fac" in part:
            chunk["fac_sites"] = part["fac"]["sites"]
        out.append(chunk)
    return out


def _id_order(ranked: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Escaped ids (as the chunks hold them) and the ranking's positions sorted by them (code-point order).

    The chunks are written in this order, so the first id of each chunk (``id_fences``) tells which
    chunk holds an id: the search needs no second copy of the ids.
    """
    keys = np.asarray(html_array(ranked.index.to_series()), dtype=str)
    return keys, np.argsort(keys, kind="stable")


def _points(shapes: gpd.GeoDataFrame) -> tuple[list[float], np.ndarray]:
    """A point inside each parcel: origin ``[lon, lat]`` and integer offsets in 1e-5 degrees (about a metre)."""
    import pyproj

    xy = shapely.get_coordinates(shapely.point_on_surface(shapes.geometry.to_numpy()))
    lon, lat = pyproj.Transformer.from_crs(3857, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    ll = np.column_stack([lon, lat])
    origin = np.floor(ll.min(axis=0) * 1e3) / 1e3 if len(ll) else np.zeros(2)
    return [round(float(v), 3) for v in origin], np.round((ll - origin) * 1e5).astype("int64")


def _data(ranked: gpd.GeoDataFrame, classes: Any, common: Mapping[str, Any], best: pd.Index) -> dict[str, Any]:
    """The page's data object: everything but the per-parcel arrays (which go into the chunks)."""
    text: ClientText = common["text"]
    data = client_data(ranked.iloc[:0], classes, best=ranked.index[:0], **common)
    for key in (*_PER_PARCEL, *_PER_CHUNK, "order", "label_points"):
        data.pop(key, None)
    data["class_labels"] = _class_labels(ranked, classes, text.lang)
    data["best"] = _best(ranked, best)
    data["top"] = len(best)
    data["tile_zoom"] = TILE_ZOOM
    data["zone_color"] = ZONE_COLOR
    return data


def save_tiled_map(
    ranked: gpd.GeoDataFrame,
    path: Path | str,
    *,
    study: Study | None = None,
    allocation: Allocation | None = None,
    criteria: Sequence[str],
    weights: Mapping[str, float] | None,
    method: str = "weighted_sum",
    text: ClientText | None = None,
    best: pd.Index | None = None,
    classification: str = "quantiles",
    k: int = 5,
    title: str = "landplan",
    simplify_m: float = 1.0,
    chunk_size: int = CHUNK,
) -> int:
    """Write the tiled map: ``path`` (the page) and its folder ``<stem>_files`` beside it.

    Parameters
    ----------
    ranked : geopandas.GeoDataFrame
        The wide ranking in a projected CRS (``score``, ``rank``, ``eligible``, criterion columns).
    path : pathlib.Path or str
        The page to write (``map.html``); the folder ``map_files`` is replaced with it.
    study : Study, optional
        The loaded study: zones, isolation buffers and context layers (none drawn without it).
    allocation : Allocation, optional
        Adds demand to the zone cards (the reserved parcels come with ``text.reserved``).
    criteria : sequence of str
        Criterion names shown in the score cards.
    weights : Mapping[str, float] or None
        Normalised weights of the scoring.
    method : str, default "weighted_sum"
        Aggregation method of the scoring.
    text : ClientText, optional
        Language, criterion labels and units, parcel names and reserved parcels.
    best : pandas.Index, optional
        Ids of the parcels labelled with their rank, best first.
    classification : str, default "quantiles"
        Score classes: ``quantiles``, ``natural_breaks`` or ``equal_interval``.
    k : int, default 5
        Number of classes.
    title : str, default "landplan"
        Title of the page (data text: escaped here).
    simplify_m : float, default 1.0
        Simplification tolerance of the parcel outlines, metres.
    chunk_size : int, default CHUNK
        Parcels per score-card chunk (read on a click in their range).

    Returns
    -------
    int
        Size of the page and its folder in bytes.
    """
    path = Path(path)
    text = text or ClientText()
    best = best if best is not None else ranked.index[:0]
    classes, cls = _classes(ranked, classification, k)
    tr = translator(text.lang)
    legend = tr("Suitability score ({scheme})", scheme=tr(classification.replace("_", " ")))
    common = {"criteria": list(criteria), "weights": weights, "method": method, "text": text, "legend_title": legend}
    data = _data(ranked, classes, common, best)
    data["chunk"] = chunk_size
    files = path.stem + "_files"
    folder = Path(tempfile.mkdtemp(prefix=f".{files}-", dir=path.parent))
    try:
        fill = {"classes": classes, "common": common, "study": study, "allocation": allocation}
        _fill(folder, data, ranked, cls, simplify_m=simplify_m, **fill)
        page = _page(files, title=title, lang=text.lang, data=data)
        _publish(folder, path.parent / files)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return len(page.encode("utf-8")) + sum(f.stat().st_size for f in (path.parent / files).rglob("*") if f.is_file())


def _page(files: str, *, title: str, lang: str, data: Mapping[str, Any]) -> str:
    """The HTML page: the constant template with the folder's URL, the title and the data object filled in."""
    href = quote(files)  # a relative URL: any character of a file name is safe in it
    return _PAGE.format(
        lang=lang,
        title=html_text(title),
        href=html_text(href),
        files_js=js_literal(href),
        css=CSS + TILED_CSS,
        data=js_data(dict(data)),
    )


def _classes(ranked: gpd.GeoDataFrame, classification: str, k: int) -> tuple[Any, np.ndarray]:
    """Score classes of the eligible parcels and each parcel's class (-1: excluded), as the small map has them."""
    eligible = ranked["eligible"].to_numpy(dtype=bool) if "eligible" in ranked else np.ones(len(ranked), bool)
    score = ranked["score"].to_numpy(dtype="float64")
    classes = score_classes(score, eligible, scheme=classification, k=k)
    cls = np.clip(np.searchsorted(classes.bins, score, side="left"), 0, len(classes.bins) - 1)
    return classes, np.where(eligible & ~np.isnan(score), cls, -1)


def _fill(
    folder: Path,
    data: dict[str, Any],
    ranked: gpd.GeoDataFrame,
    cls: np.ndarray,
    *,
    classes: Any,
    common: Mapping[str, Any],
    study: Study | None,
    allocation: Allocation | None,
    simplify_m: float,
) -> None:
    """Tiles, card chunks, overview, renderer and scripts into ``folder``; overlays and the rest into ``data``."""
    text: ClientText = common["text"]
    geoms = ranked.geometry
    if simplify_m > 0 and ranked.crs is not None and not ranked.crs.is_geographic:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    shapes = gpd.GeoDataFrame(geometry=geoms.to_crs(3857).to_numpy(), crs=3857)  # one copy for tiles and overview
    del geoms
    keys, order = _id_order(ranked)
    positions = np.empty(len(ranked), dtype="int32")
    positions[order] = np.arange(len(ranked), dtype="int32")
    data["tile_keys"] = write_tiles(shapes, cls, folder, positions=positions)
    data["id_fences"] = keys[order][:: data["chunk"]].tolist()
    del keys, positions
    data["pt_origin"], points = _points(shapes)
    write_chunks(_chunks(ranked, order, points, classes=classes, common=common, size=data["chunk"]), folder)
    del points
    png, corners = overview_image(shapes, cls, classes, EXCLUDED_COLOR)
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    (folder / "overview.js").write_text(f'window.landplanOverview = "{url}";\n', encoding="ascii")
    data["overview"] = {"corners": corners}
    corners = gpd.GeoSeries([shapely.box(*shapes.total_bounds)], crs=3857).to_crs(4326)  # Mercator: exact
    data["bounds"] = [round(float(v), 7) for v in corners.total_bounds]
    zones = _zones(study, allocation, text.lang)
    data["zone_fields"], data["zone_titles"] = zones["fields"], zones["titles"]
    data["overlays"] = {
        "zones": zones["zones"],
        "buffers": zones["buffers"],
        "reserved": _geojson(_reserved_shapes(ranked, text)),
        "context": _context(study),
    }
    context = [c["kind"] for c in data["overlays"]["context"]]
    data.update(_messages(text.lang, len(data["best"]), context, data.get("fac")))
    _vendor(folder)


def _publish(folder: Path, target: Path) -> None:
    """Put a finished folder in place of ``target`` (the old one removed only once the new one is complete)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    folder.chmod(0o755)
    folder.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
