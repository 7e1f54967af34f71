"""Interactive folium maps of the ranked parcels, zones, facilities and allocation.

One module per layer builder: :mod:`~landplan.outputs.webmap.parcels` (:func:`parcel_map`: score
classes with a legend naming them, excluded parcels grey with their reason, score-card popups,
tooltips, the top N labelled with their rank, a search box for parcel ids),
:mod:`~landplan.outputs.webmap.zones` (industrial zones with their isolation buffers and demand
figures), :mod:`~landplan.outputs.webmap.facilities` (clustered markers, a distinct symbol per
type, service-radius circles), :mod:`~landplan.outputs.webmap.allocation`,
:mod:`~landplan.outputs.webmap.programme` (reserved facility land, existing facilities' places left), and
:mod:`~landplan.outputs.webmap.base` (the map, base layers, controls, rendering and saving).
:func:`scenario_map` composes them. ``offline=True`` inlines every asset so the HTML file makes
no network request. The same map renders to the same bytes on every run (see :func:`map_html`).

Data text never reaches a template engine or the page as markup. folium compiles each element's
rendered output again as a Jinja2 template, so every text taken from the data (ids, attribute
values, layer keys, ``select`` values, zone and facility names, criterion labels and units, the
scenario name) passes through the choke point of :mod:`landplan.outputs.escape` on its way in:
:func:`~landplan.outputs.escape.html_text` for HTML (escaped, with ``{`` ``}`` ``%`` as entities) and
:func:`~landplan.outputs.escape.js_literal` for JavaScript source. :func:`map_html` then checks the whole
element tree with :func:`~landplan.outputs.escape.check_inert` and refuses to render if any template
opener (``{{``, ``{%``, ``{#``) is present outside folium's own templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from landplan.outputs.i18n import scenario_words, translator
from landplan.outputs.tables import ranked_table
from landplan.outputs.webmap.allocation import allocation_layer, allocation_text, reserved_parcels
from landplan.outputs.webmap.base import (
    MapSizeWarning,
    add_base_layers,
    add_controls,
    checked_tile_url,
    map_html,
    new_map,
    save_map,
    save_page,
)
from landplan.outputs.webmap.client import ClientText, page_data, ready_element
from landplan.outputs.webmap.context import context_layers
from landplan.outputs.webmap.facilities import facility_layers
from landplan.outputs.webmap.isochrones import isochrone_layers
from landplan.outputs.webmap.net import net_layer
from landplan.outputs.webmap.parcels import parcel_map
from landplan.outputs.webmap.programme import programme_data, programme_layers
from landplan.outputs.webmap.sites import member_layer
from landplan.outputs.webmap.tiled import TILES_ABOVE, save_tiled_map
from landplan.outputs.webmap.zones import zone_layer

if TYPE_CHECKING:
    import folium
    import pandas as pd

    import geopandas as gpd

    from landplan.model import Allocation, Scores, Sites, Study

__all__ = [
    "TILES_ABOVE",
    "MapSizeWarning",
    "allocation_text",
    "map_html",
    "page_data",
    "parcel_map",
    "save_map",
    "save_page",
    "save_tiled_map",
    "scenario_map",
    "scenario_tiled_map",
]


def scenario_map(
    study: Study,
    scores: Scores,
    *,
    ranked: gpd.GeoDataFrame | None = None,
    top: int = 20,
    tiles: str | None = "OpenStreetMap",
    allocation: Allocation | None = None,
    offline: bool = False,
    classification: str = "quantiles",
    simplify_m: float = 1.0,
    tile_url: str | None = None,
    lang: str | None = None,
    sites: Sites | None = None,
) -> folium.Map:
    """Full map of a scored scenario: context, parcels, zones, facilities, allocation, what-if weights.

    Parameters
    ----------
    study : Study
        The loaded study (zones, facility and context layers, resolved service radii).
    scores : Scores
        Its scores.
    ranked : geopandas.GeoDataFrame, optional
        The wide ranking of ``scores`` when already made (made here otherwise).
    top : int, default 20
        Number of best parcels labelled with their rank (``scores.top(top)``).
    tiles : str or None, default "OpenStreetMap"
        ``"OpenStreetMap"``: OSM, light and satellite bases; None: "no tiles" only (as offline).
    allocation : Allocation, optional
        An allocation to draw: reserved parcels outlined by zone, links to their zone, demand on zones.
    offline : bool, default False
        Draw no web tiles (save with :func:`save_map` ``offline=True`` to inline the assets).
    classification : str, default "quantiles"
        Score classes: ``quantiles``, ``natural_breaks`` or ``equal_interval``.
    simplify_m : float, default 1.0
        Simplification tolerance for parcel outlines, metres.
    tile_url : str, optional
        A local tile server's URL template (``http://gis.local/{z}/{x}/{y}.png``), also offline.
    lang : {"en", "vi"}, optional
        Language of every text and number (default: the scenario's ``[output] language``).
    sites : Sites, optional
        Sites assembled from parcels (``Result.sites``): members drawn as dashed outlines.

    Returns
    -------
    folium.Map
    """
    s = study.scenario
    lang = lang or s.output.language
    ranked = ranked if ranked is not None else ranked_table(study, scores)
    m = new_map(ranked.to_crs(4326).total_bounds, n_parcels=len(ranked))
    add_base_layers(
        m, tiles=tiles, offline=offline, tile_url=checked_tile_url(tile_url or s.output.tile_url), lang=lang
    )
    for group in context_layers(study, lang=lang):
        group.add_to(m)
    text = _client_text(study, allocation, lang)
    words = dict(text.words or {})
    parcel_map(
        ranked,
        m=m,
        classification=classification,
        criteria=scores.criteria,
        top=top,
        simplify_m=simplify_m,
        scores=scores,
        text=text,
        finish=False,
    )
    _land_layers(m, scores, sites, top=top, simplify_m=simplify_m, lang=lang, words=words)
    ready_element(cast("Any", m)._landplan_labels, _overlays(m, study, allocation, lang)).add_to(m)
    add_controls(m, web_tiles=bool(tiles) and not offline, lang=lang)
    return m


def _client_text(study: Study, allocation: Allocation | None, lang: str) -> ClientText:
    """Language, criterion labels and units (the scenario's own words in ``lang``), names, reserved parcels."""
    s = study.scenario
    words = scenario_words(s, lang)
    tr = translator(lang, data=words)
    return ClientText(
        lang=lang,
        labels={c.name: tr.text(c.title) for c in s.criteria},
        units={c.name: tr.text(c.unit_label) for c in s.criteria},
        names=_parcel_names(study),
        reserved=reserved_parcels(allocation, study) if allocation is not None else None,
        facilities=programme_data(allocation, study, lang=lang),
        words=words,
    )


def scenario_tiled_map(
    study: Study,
    scores: Scores,
    path: Any,
    *,
    ranked: gpd.GeoDataFrame | None = None,
    top: int = 20,
    allocation: Allocation | None = None,
    classification: str = "quantiles",
    lang: str | None = None,
) -> int:
    """The map of a scored scenario with many parcels: ``path`` and its folder of vector tiles.

    The same parcels, classes, score cards, tooltips, id search, what-if weights, zones, context,
    reserved parcels and facility layers as :func:`scenario_map`, drawn by MapLibre GL JS from
    vector tiles (see :mod:`landplan.outputs.webmap.tiled`).

    Parameters
    ----------
    study : Study
        The loaded study.
    scores : Scores
        Its scores.
    path : str or pathlib.Path
        The page to write (``map.html``; the folder ``map_files`` is written beside it).
    ranked : geopandas.GeoDataFrame, optional
        The wide ranking of ``scores`` when already made.
    top : int, default 20
        Number of best parcels labelled with their rank.
    allocation : Allocation, optional
        Reserved parcels outlined and named in their cards; demand on the zone cards.
    classification : str, default "quantiles"
        Score classes: ``quantiles``, ``natural_breaks`` or ``equal_interval``.
    lang : {"en", "vi"}, optional
        Language (default: the scenario's ``[output] language``).

    Returns
    -------
    int
        Size of the page and its folder in bytes.
    """
    s = study.scenario
    lang = lang or s.output.language
    ranked = ranked if ranked is not None else ranked_table(study, scores)
    text = _client_text(study, allocation, lang)
    return save_tiled_map(
        ranked,
        path,
        study=study,
        allocation=allocation,
        criteria=scores.criteria,
        weights=scores.weights,
        method=scores.aggregation,
        text=text,
        best=scores.top(top).intersection(ranked.index, sort=False),
        classification=classification,
        title=s.scenario.name,
    )


def _land_layers(
    m: folium.Map,
    scores: Scores,
    sites: Sites | None,
    *,
    top: int,
    simplify_m: float,
    lang: str,
    words: dict[str, str] | None = None,
) -> None:
    """Net developable area of cut parcels and the member parcels of sites (issue 12), when there are any."""
    if scores.net is not None and scores.net.subtracted:
        net_layer(scores.net, simplify_m=simplify_m, lang=lang, words=words).add_to(m)
    if sites is not None:
        member_layer(sites, scores, top=top, simplify_m=simplify_m, lang=lang).add_to(m)


def _overlays(m: folium.Map, study: Study, allocation: Allocation | None, lang: str) -> list[folium.FeatureGroup]:
    """Zones, facilities and the allocation onto ``m``; returns the layers kept below the parcels."""
    back = []
    if study.zones is not None:
        zones = zone_layer(study, study.zones, allocation, lang=lang)
        zones.add_to(m)
        back.append(zones)
    for group in facility_layers(study, lang=lang):
        group.add_to(m)
    if allocation is not None:
        allocation_layer(allocation, study, lang=lang).add_to(m)
        for phase in _phases(allocation):  # one more layer per plan phase, hidden at first
            allocation_layer(allocation, study, lang=lang, phase=phase).add_to(m)
        if allocation.facilities is not None:  # reserved facility land, existing facilities' places left
            for element in programme_layers(lang):
                element.add_to(m)
    for element in isochrone_layers(study, lang=lang):  # with a [network]: zone reach in 15/30/45 min
        element.add_to(m)
    return back


def _phases(allocation: Allocation) -> list[str]:
    """The plan phases of an allocation that reserve something (none for an unphased plan)."""
    if allocation.phases is None or "phase" not in allocation.parcels:
        return []
    return list(dict.fromkeys(allocation.parcels["phase"].astype(str)))


def _parcel_names(study: Study) -> pd.Series | None:
    """Parcel names by id when the parcel layer has a ``name_field``."""
    field = study.scenario.layers.parcels.name_field
    if field and field in study.parcels:
        return study.parcels[field]
    return None
