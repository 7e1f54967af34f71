"""The map itself: a folium Map with base layers and controls, rendering and saving.

Rendering is deterministic: folium gives every element a random ``uuid4`` id (which names its
JavaScript variable); :func:`map_html` renumbers every element of the tree in a fixed walk
order before rendering, so the same map gives the same bytes on every run. It also checks the
tree with :func:`~landplan.outputs.escape.check_inert` (see :mod:`landplan.outputs.webmap`).
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.errors import InputError
from landplan.outputs.escape import check_inert, html_array, html_text
from landplan.outputs.i18n import translator

if TYPE_CHECKING:
    import folium

__all__ = ["MapSizeWarning", "add_controls", "map_html", "new_map", "number_elements", "save_map", "save_page"]

OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
# a transparent 1x1 PNG: the "no tiles" base layer (no request is made)
BLANK_TILE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
#: parcels above which paths are drawn on a canvas instead of SVG (much faster, no DOM node per parcel)
CANVAS_ABOVE = 20_000
#: size above which saving a map warns (bytes)
SIZE_WARNING_BYTES = 60_000_000


class MapSizeWarning(UserWarning):
    """The HTML map is large enough to load slowly in a browser."""


def esc(values: pd.Series | pd.Index) -> np.ndarray:
    """Text of a Series for the page (missing values as empty strings): the escaping choke point.

    Parameters
    ----------
    values : pandas.Series or pandas.Index
        Any values.

    Returns
    -------
    numpy.ndarray
        :func:`~landplan.outputs.escape.html_text` of each value, as an object array.
    """
    return html_array(values)


def fmt(values: Any, spec: str) -> np.ndarray:
    """Numbers formatted with a printf ``spec`` (``"%.0f"``), as an object array of strings.

    Parameters
    ----------
    values : array-like
        Numbers.
    spec : str
        A printf format for one float.

    Returns
    -------
    numpy.ndarray
        Object array of strings.
    """
    return np.char.mod(spec, np.asarray(values, dtype="float64")).astype(object)


def to_wgs84(gdf: gpd.GeoDataFrame, *, tolerance_m: float = 0.0, precision_deg: float = 1e-6) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326, simplified and snapped to a grid.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any layer.
    tolerance_m : float, default 0.0
        Simplification tolerance in metres (applied in a projected CRS only; 0 keeps every vertex).
    precision_deg : float, default 1e-6
        Coordinate grid in degrees (1e-6 is about 0.1 m).

    Returns
    -------
    geopandas.GeoDataFrame
    """
    g = gdf
    if tolerance_m > 0 and g.crs is not None and not g.crs.is_geographic:
        g = g.set_geometry(g.geometry.simplify(tolerance_m, preserve_topology=True))
    g = g.to_crs(4326)
    return g.set_geometry(shapely.set_precision(np.asarray(g.geometry.array, dtype=object), precision_deg), crs=4326)


def new_map(bounds_wgs84: np.ndarray, *, n_parcels: int) -> folium.Map:
    """An empty map fitted to a bounding box; canvas paths for large maps.

    Parameters
    ----------
    bounds_wgs84 : numpy.ndarray
        ``(minx, miny, maxx, maxy)`` in degrees.
    n_parcels : int
        Number of parcels to be drawn (above :data:`CANVAS_ABOVE`, paths go on a canvas).

    Returns
    -------
    folium.Map
    """
    import folium

    # the metric scale bar is added by the client (metric only, clear of the legend)
    m = folium.Map(tiles=None, control_scale=False, prefer_canvas=n_parcels > CANVAS_ABOVE)
    minx, miny, maxx, maxy = bounds_wgs84
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def add_base_layers(m: folium.Map, *, tiles: str | None, offline: bool, tile_url: str | None, lang: str = "en") -> None:
    """Base layers: OpenStreetMap, a light basemap and imagery (online), a local tile server, no tiles.

    Parameters
    ----------
    m : folium.Map
        The map.
    tiles : str or None
        ``"OpenStreetMap"`` to offer the web basemaps, None for none.
    offline : bool
        Draw no web tiles.
    tile_url : str or None
        A checked local tile URL template (see :func:`checked_tile_url`).
    lang : {"en", "vi"}, default "en"
        Language of the layer names.
    """
    import folium

    tr = translator(lang)
    if tiles and not offline:
        import xyzservices.providers as xyz

        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr=OSM_ATTRIBUTION).add_to(m)
        for provider, label in (
            (xyz.Esri.WorldGrayCanvas, tr("Light (Esri gray)")),
            (xyz.Esri.WorldImagery, tr("Satellite (Esri)")),
        ):
            folium.TileLayer(
                provider.build_url(), name=html_text(label), attr=provider.html_attribution, show=False
            ).add_to(m)
    if tile_url:
        folium.TileLayer(
            tile_url, name=html_text(tr("Local tiles")), attr="local tile server", show=bool(offline)
        ).add_to(m)
    folium.TileLayer(
        BLANK_TILE, name=html_text(tr("No tiles")), attr="landplan", show=bool((offline or not tiles) and not tile_url)
    ).add_to(m)


def add_controls(m: folium.Map, *, web_tiles: bool, lang: str = "en") -> None:
    """Full screen, mini map (with web tiles only), measuring tool and the collapsed layer control.

    Parameters
    ----------
    m : folium.Map
        The map.
    web_tiles : bool
        Web tiles are drawn: add a mini map showing OpenStreetMap (without them it would be blank).
    lang : {"en", "vi"}, default "en"
        Number format of the measuring tool (its texts are replaced by ``client.js``).
    """
    import folium
    import folium.plugins

    folium.plugins.Fullscreen().add_to(m)
    if web_tiles:
        folium.plugins.MiniMap(tile_layer="OpenStreetMap", toggle_display=True, minimized=True).add_to(m)
    folium.plugins.MeasureControl(
        position="topleft",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="hectares",
        **({"decPoint": ",", "thousandsSep": "."} if lang == "vi" else {}),
    ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)


_TILE_URL = re.compile(r"[^{}]*(\{[a-z0-9_-]+\}[^{}]*)*")


def checked_tile_url(url: str | None) -> str | None:
    """A tile URL template whose only braces are Leaflet placeholders such as ``{z}``.

    Parameters
    ----------
    url : str or None
        The template (None passes).

    Returns
    -------
    str or None
        ``url`` unchanged.

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


def _walk(root: Any) -> list[Any]:
    """Every element of a tree once, depth first over element-valued attributes, then children."""
    from branca.element import Element

    seen: set[int] = set()
    stack, order = [root], []
    while stack:
        element = stack.pop()
        if id(element) in seen:
            continue
        seen.add(id(element))
        order.append(element)
        nested = [v for k, v in vars(element).items() if k != "_parent" and isinstance(v, Element)]
        nested += list(getattr(element, "_children", {}).values())
        stack.extend(reversed(nested))
    return order


_NUMBERED = re.compile(r"\d{5}")  # a folium uuid4 id is 32 hex digits, never 5


def number_elements(root: Any) -> int:
    """Give every element of a folium/branca tree a deterministic id, in a fixed walk order.

    folium names each element's JavaScript variable ``<name>_<id>`` with a random ``uuid4`` id;
    this replaces each id by a counter (``"00000"``, ``"00001"``, ...) in depth-first order over
    element-valued attributes (tooltips, popups, a mini map's tile layer) and children, so the
    same map renders to the same bytes. Elements already numbered keep their number (folium keys
    what it adds while rendering by those names, so renumbering would duplicate it); elements
    added since are numbered after them.

    Parameters
    ----------
    root : branca.element.Element
        A folium Map or its Figure.

    Returns
    -------
    int
        Number of elements newly numbered.
    """
    elements = _walk(root)
    taken = [int(e._id) for e in elements if _NUMBERED.fullmatch(str(e._id))]
    fresh = [e for e in elements if not _NUMBERED.fullmatch(str(e._id))]
    start = max(taken, default=-1) + 1
    for i, element in enumerate(fresh):
        element._id = f"{start + i:05d}"
    return len(fresh)


def map_html(m: folium.Map, *, offline: bool = False) -> str:
    """The map rendered as one HTML page (assets inlined when ``offline``), identical across runs.

    The map is left as it was: rendering it again gives the same page.

    Parameters
    ----------
    m : folium.Map
        The map.
    offline : bool, default False
        Inline every asset (no network request when opened).

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    landplan.outputs.escape.TemplateSyntaxInData
        If template syntax from data reached the map (see :mod:`landplan.outputs.escape`); nothing is rendered.
    """
    from landplan.outputs._assets import inline_assets

    root = m.get_root()
    check_inert(root)
    number_elements(root)
    # folium adds elements (each layer's "addTo" line) while rendering; keep the tree as it was,
    # so rendering the same map again gives the same page
    children = [(e, e._children.copy()) for e in _walk(root) if hasattr(e, "_children")]
    try:
        text = str(root.render())
    finally:
        for element, kept in children:
            element._children = kept
    return inline_assets(text) if offline else text


def save_map(m: folium.Map, path: Any, *, offline: bool = False, warn_bytes: int = SIZE_WARNING_BYTES) -> int:
    """Render and write a map (atomically); warn with :class:`MapSizeWarning` above ``warn_bytes``.

    Parameters
    ----------
    m : folium.Map
        The map.
    path : str or pathlib.Path
        Target HTML file.
    offline : bool, default False
        Inline every asset (no network request when opened).
    warn_bytes : int
        Size above which a :class:`MapSizeWarning` is given.

    Returns
    -------
    int
        Size of the file in bytes.
    """
    return save_page(map_html(m, offline=offline), path, warn_bytes=warn_bytes)


def save_page(page: str, path: Any, *, warn_bytes: int = SIZE_WARNING_BYTES) -> int:
    """Write a rendered map page atomically; warn with :class:`MapSizeWarning` above ``warn_bytes``.

    Parameters
    ----------
    page : str
        The HTML page (from :func:`map_html`).
    path : str or pathlib.Path
        Target HTML file.
    warn_bytes : int
        Size above which a :class:`MapSizeWarning` is given.

    Returns
    -------
    int
        Size of the file in bytes.
    """
    from landplan.io import atomic_path

    text = page.encode("utf-8")
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
