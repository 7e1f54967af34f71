"""The browser side of the parcel map: one compact data object and ``client.js``.

Score cards, tooltips, rank labels (decluttered on screen), the legend, the metric scale bar and the
what-if weight sliders are built in the browser from one data object per map (:func:`client_data`):
per-parcel arrays of ids, scores, ranks, classes and criterion values, with the translated texts.
Compared with one HTML card per parcel, this is what keeps a 100,000-parcel map loadable.

Every text in the data object passes :func:`~landplan.outputs.escape.html_text` here (ids, names,
reasons, labels, units, translated messages), so ``client.js`` may insert it as markup; the whole object
is embedded as a JavaScript literal whose strings are escaped as :func:`~landplan.outputs.escape.js_literal`
escapes them (:func:`js_data`), so no
``<``, ``{`` or ``%`` of the data appears in the page source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.outputs.escape import html_array, html_text
from landplan.outputs.i18n import translator
from landplan.outputs.style import EXCLUDED_COLOR
from landplan.outputs.webmap.encode import encode_polygons, js_data
from landplan.outputs.webmap.messages import client_messages, measure_words

if TYPE_CHECKING:
    import folium

    from landplan.outputs.style import ScoreClasses

__all__ = [
    "ClientText",
    "client_data",
    "client_element",
    "draw_element",
    "encode_polygons",
    "page_data",
    "ready_element",
]

#: aggregation methods the browser can recompute (TOPSIS needs the whole column: sliders are disabled)
WHAT_IF_METHODS = ("weighted_sum", "weighted_product")

CSS = """
.landplan-legend{background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;font:12px sans-serif;
 box-shadow:0 1px 4px rgba(0,0,0,.3);line-height:16px}
.landplan-swatch{display:inline-block;width:14px;height:12px;border:1px solid #555;margin-right:6px;vertical-align:-2px}
.landplan-rank div{background:#08306b;color:#fff;border-radius:8px;font:bold 11px/16px sans-serif;text-align:center;
 box-shadow:0 0 0 1px #fff}
.landplan-card table{font-size:11px;border-collapse:collapse;margin:4px 0}
.landplan-card th{text-align:left;border-bottom:1px solid #999;padding:1px 4px}
.landplan-card td{padding:1px 4px}
.landplan-card td.num,.landplan-whatif td.num{text-align:right;font-variant-numeric:tabular-nums}
.landplan-excluded{color:#7a0177}
.landplan-whatif{background:#fff;font:12px sans-serif;max-width:330px}
.landplan-whatif-toggle{border:0;background:#fff;font:bold 12px sans-serif;padding:6px 8px;cursor:pointer;width:100%;
 text-align:left}
.landplan-whatif-body{padding:4px 8px 8px;max-height:60vh;overflow:auto}
.landplan-whatif-label{max-width:150px}
.landplan-slider{width:110px}
.landplan-note{color:#333;font-style:italic;margin:4px 0}
.landplan-toml{width:100%;font:11px monospace}
.landplan-zone-label{background:rgba(255,255,255,.8);border:0;box-shadow:none;color:#3f007d;font:bold 11px sans-serif;
 padding:0 3px}
.landplan-zone-label:before{display:none}
.landplan-fac div,.landplan-fac-old div{box-sizing:border-box;width:18px;height:18px;font:bold 10px/16px sans-serif;
 text-align:center;color:#fff;border:1px solid #fff;box-shadow:0 0 2px #000}
.landplan-fac-old div{border-radius:9px;background:#fff;border:2px solid;line-height:14px}
.landplan-fac-full div{background:#bdbdbd;color:#252525;text-decoration:line-through;border:2px dashed #252525}
.lp-fac-far .landplan-fac div,.lp-fac-far .landplan-fac-old div{transform:scale(.4);color:transparent}
.landplan-fac-card table{font-size:11px;border-collapse:collapse;margin:4px 0}
.landplan-fac-card td{padding:1px 4px;vertical-align:top}
.landplan-fac-card td.num,.landplan-needs td.num{text-align:right;font-variant-numeric:tabular-nums}
.landplan-needs{font-size:11px;border-collapse:collapse;margin:4px 0}
.landplan-needs th{text-align:left;border-bottom:1px solid #999;padding:1px 4px}
.landplan-needs td{padding:1px 4px}
"""


@cache
def client_js() -> str:
    """The client script (``client.js`` and ``programme.js`` of this package).

    Returns
    -------
    str
        JavaScript source.
    """
    files = resources.files("landplan.outputs.webmap")
    return "".join((files / name).read_text(encoding="utf-8") for name in ("client.js", "programme.js"))


@dataclass(frozen=True)
class ClientText:
    """What the parcel map shows besides numbers: language, criterion names and units, parcel names.

    Attributes
    ----------
    lang : str
        ``"en"`` or ``"vi"``.
    labels, units : Mapping[str, str]
        Human name and unit of each criterion (data text: escaped here).
    names : pandas.Series or None
        Parcel names by id (``name_field``), shown beside ids.
    reserved : pandas.DataFrame or None
        Reserved parcels: ``zone`` (display name) and ``units`` by parcel id.
    facilities : Mapping or None
        The facility programme's data (:func:`~landplan.outputs.webmap.programme.programme_data`).
    words : Mapping[str, str] or None
        The scenario's own words in ``lang`` (``scenario_words``), for exclusion reasons.
    """

    lang: str = "en"
    labels: Mapping[str, str] | None = None
    units: Mapping[str, str] | None = None
    names: pd.Series | None = None
    reserved: pd.DataFrame | None = None
    facilities: Mapping[str, Any] | None = None
    words: Mapping[str, str] | None = None


def _numbers(values: Any, decimals: int) -> list[Any]:
    """Floats rounded for the page, NaN as null, whole numbers as integers (shorter JSON)."""
    a = np.round(np.asarray(values, dtype="float64"), decimals)
    out = a.astype(object)
    whole = np.isfinite(a) & (a == np.round(a)) & (np.abs(a) < 2**53)
    out[whole] = a[whole].astype("int64")
    out[~np.isfinite(a)] = None
    return out.tolist()


def _raw(values: pd.Series) -> list[Any]:
    """Measured values: 4 significant digits (numbers) or escaped text."""
    if not pd.api.types.is_numeric_dtype(values):
        return html_array(values).tolist()
    a = values.to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        digits = np.where(np.abs(a) > 0, 3 - np.floor(np.log10(np.abs(a))), 0)
    rounded = np.where(np.isfinite(a), np.round(a * 10.0**digits) / 10.0**digits, np.nan)
    return _numbers(rounded, 6)


def _order_key(index: pd.Index) -> list[int]:
    """Position of each id in the order that breaks score ties (the rule of ``rank_eligible``)."""
    ids = index.to_numpy()
    key = ids.astype(str) if ids.dtype == object else ids
    return np.argsort(np.argsort(key, kind="stable"), kind="stable").tolist()


def _label_points(wgs: gpd.GeoDataFrame, best: pd.Index) -> dict[str, list[float]]:
    """A point inside each labelled parcel, by position: ``{"12": [lat, lon]}``."""
    pos = wgs.index.get_indexer(best)
    pts = shapely.get_coordinates(shapely.point_on_surface(wgs.geometry.to_numpy()[pos]))
    return {str(p): [round(float(y), 6), round(float(x), 6)] for p, (x, y) in zip(pos, pts, strict=True)}


def _reasons(wgs: gpd.GeoDataFrame, text: ClientText) -> tuple[list[str], list[int]]:
    """Distinct exclusion reasons (translated, escaped) and each parcel's position in them (-1: none)."""
    if "excluded_by" not in wgs:
        return [], [-1] * len(wgs)
    raw = wgs["excluded_by"].astype(object).fillna("").astype(str)
    codes, uniques = pd.factorize(raw.where(raw != ""), sort=True)
    tr = translator(text.lang, data=text.words)
    return [html_text(tr.text(str(u))) for u in uniques], codes.tolist()


def _reserved(wgs: gpd.GeoDataFrame, reserved: pd.DataFrame | None) -> tuple[list[str], dict[str, list[Any]]]:
    """Zone names (escaped) and ``{position: [zone, units]}`` of the reserved parcels."""
    if reserved is None or not len(reserved):
        return [], {}
    zone_codes, zones = pd.factorize(reserved["zone"].astype(str), sort=True)
    pos = wgs.index.get_indexer(reserved.index)
    units = _numbers(reserved["units"].to_numpy(dtype="float64"), 0)
    alloc = {str(p): [int(z), u] for p, z, u in zip(pos, zone_codes, units, strict=True) if p >= 0}
    return [html_text(z) for z in zones], alloc


def _parcel_arrays(
    wgs: gpd.GeoDataFrame, classes: ScoreClasses, criteria: Sequence[str], text: ClientText
) -> dict[str, Any]:
    """Per-parcel arrays (by position in ``wgs``) and the criterion names of the data object."""
    labels, units = text.labels or {}, text.units or {}
    score = wgs["score"].to_numpy(dtype="float64")
    cls = np.clip(np.searchsorted(classes.bins, score, side="left"), 0, len(classes.bins) - 1)
    eligible = wgs["eligible"].to_numpy(dtype=bool) if "eligible" in wgs else np.ones(len(wgs), dtype=bool)
    eligible = eligible & ~np.isnan(score)
    reasons, reason_of = _reasons(wgs, text)
    zones, alloc = _reserved(wgs, text.reserved)
    rank = np.full(len(wgs), np.nan)
    if "rank" in wgs:
        rank = wgs["rank"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    names = text.names.reindex(wgs.index) if text.names is not None else None
    return {
        "ids": html_array(wgs.index.to_series()).tolist(),
        "names": html_array(names).tolist() if names is not None else None,
        "score": _numbers(score, 10),
        "rank": _numbers(rank, 0),
        "cls": np.where(eligible, cls, -1).tolist(),
        "eligible": eligible.astype(int).tolist(),
        "order": _order_key(wgs.index),
        "crit": [
            {"key": html_text(c), "label": html_text(labels.get(c, c)), "unit": html_text(units.get(c, ""))}
            for c in criteria
        ],
        "values": [_numbers(wgs[f"{c}_value"], 10) for c in criteria],
        "raw": [_raw(wgs[f"{c}_raw"]) for c in criteria],
        "reasons": reasons,
        "reason_of": reason_of,
        "zones": zones,
        "alloc": alloc,
    }


def _class_labels(wgs: gpd.GeoDataFrame, classes: ScoreClasses, lang: str) -> list[str]:
    """The classes' ranges as ``score_classes`` labels them, numbers per language (``"0,12 – 0,34"`` in Vietnamese)."""
    tr = translator(lang)
    score = wgs["score"].to_numpy(dtype="float64")
    eligible = wgs["eligible"].to_numpy(dtype=bool) if "eligible" in wgs else np.ones(len(wgs), dtype=bool)
    ok = score[eligible & ~np.isnan(score)]
    lows = [float(ok.min()) if ok.size else 0.0, *classes.bins[:-1].tolist()]
    return [
        html_text(f"{tr.number(lo, decimals=2)} – {tr.number(float(hi), decimals=2)}")
        for lo, hi in zip(lows, classes.bins, strict=True)
    ]


def _weight_settings(criteria: Sequence[str], weights: Mapping[str, float] | None, method: str) -> dict[str, Any]:
    """Weights of the scoring, the sliders' starting values (0.1-10, largest at 10) and whether they work."""
    w = dict(weights or {})
    wt = [float(w.get(c, np.nan)) for c in criteria]
    top_w = max((x for x in wt if np.isfinite(x)), default=1.0)
    return {
        "weights": [x if np.isfinite(x) else None for x in wt],
        "slider": [max(0.1, round(10 * x / top_w, 1)) if np.isfinite(x) else 1.0 for x in wt],
        "method": method,
        "what_if": method in WHAT_IF_METHODS and bool(criteria) and all(np.isfinite(wt)),
    }


def client_data(
    wgs: gpd.GeoDataFrame,
    classes: ScoreClasses,
    *,
    criteria: Sequence[str],
    weights: Mapping[str, float] | None,
    method: str,
    text: ClientText,
    best: pd.Index,
    legend_title: str,
    top_drivers: int = 2,
) -> dict[str, Any]:
    """The data object of one parcel map (every text escaped; see the module docstring).

    Parameters
    ----------
    wgs : geopandas.GeoDataFrame
        The wide ranking in EPSG:4326 (``score``, ``rank``, ``eligible``, ``<criterion>_raw``/``_value``...).
    classes : ScoreClasses
        The score classes drawn (their bounds are kept for the what-if weights).
    criteria : sequence of str
        Criterion names shown in the score cards, in scenario order.
    weights : Mapping[str, float] or None
        Normalised weights of the scoring (None: no what-if sliders).
    method : str
        Aggregation method of the scoring.
    text : ClientText
        Language, criterion labels and units, parcel names, reserved parcels.
    best : pandas.Index
        Ids of the parcels labelled with their rank.
    legend_title : str
        Title of the legend (escaped here).
    top_drivers : int, default 2
        Criteria named as top drivers.

    Returns
    -------
    dict
        JSON-ready data object read by ``client.js``.
    """
    data = {
        "lang": text.lang,
        "msg": client_messages(text.lang, method.replace("_", " ")),
        "measure": measure_words(text.lang),
        **_parcel_arrays(wgs, classes, criteria, text),
        **_weight_settings(criteria, weights, method),
        "bins": classes.bins.tolist(),
        "palette": list(classes.palette),
        "class_labels": _class_labels(wgs, classes, text.lang),
        "excluded_color": EXCLUDED_COLOR,
        "legend_title": html_text(legend_title),
        "top": len(best),
        "top_drivers": top_drivers,
        "label_points": _label_points(wgs, best),
        "large": False,
        "toml_note": html_text(
            translator(text.lang)(
                "what-if weights from the map: set each as weight = ... in its [[criteria]] table, "
                "or pass them to landplan.score(study, weights=...)"
            )
        ),
    }
    if text.facilities is not None:  # site needs keyed by parcel position, as every per-parcel value
        keys = list(text.facilities["sites"])
        at = pd.Index(wgs.index.astype(str)).get_indexer(keys)
        sites = {str(p): text.facilities["sites"][k] for k, p in zip(keys, at, strict=True) if p >= 0}
        data["fac"] = {**text.facilities, "sites": sites}
    if method != "weighted_sum":
        data["contrib"] = [_numbers(wgs[f"{c}_contrib"], 4) for c in criteria]
        data["drivers"] = html_array(wgs["top_drivers"]).tolist() if "top_drivers" in wgs else None
    return data


def client_element(data: Mapping[str, Any]) -> Any:
    """The element that defines ``window.landplan`` for a map (add it before the parcel layer).

    Parameters
    ----------
    data : Mapping
        The data object (:func:`client_data`).

    Returns
    -------
    branca.element.MacroElement
    """
    from branca.element import MacroElement, Template

    class LandplanClient(MacroElement):
        # constant template; script, CSS and data are attributes (seen by check_inert)
        _template = Template(
            "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>"
            "<script>{{ this.js }}</script>{% endmacro %}"
            "{% macro script(this, kwargs) %}"
            "new LandplanMap({{ this._parent.get_name() }}, /*data*/{{ this.data }}/*end*/);"
            "{% endmacro %}"
        )

        def __init__(self, payload: str) -> None:
            super().__init__()
            self._name = "LandplanClient"
            self.css = CSS
            self.js = client_js()
            self.data = payload

    payload = js_data(data)
    return LandplanClient(payload)


def draw_element(group: Any) -> Any:
    """The element that decodes the parcels into their (empty) group; add it right after the group.

    Parameters
    ----------
    group : folium.FeatureGroup
        The parcel group of the layer control.

    Returns
    -------
    branca.element.MacroElement
    """
    from branca.element import MacroElement, Template

    class LandplanDraw(MacroElement):
        _template = Template(
            "{% macro script(this, kwargs) %}window.landplan.draw({{ this.group.get_name() }});{% endmacro %}"
        )

        def __init__(self) -> None:
            super().__init__()
            self._name = "LandplanDraw"
            self.group = group

    return LandplanDraw()


def ready_element(labels: folium.FeatureGroup, back: Sequence[Any] = ()) -> Any:
    """The element that finishes the client once every layer exists (labels, legend, sliders, order).

    Parameters
    ----------
    labels : folium.FeatureGroup
        The (empty) group the rank labels are drawn into.
    back : sequence of folium elements
        Layers kept below the parcels (zones), so every parcel stays clickable.

    Returns
    -------
    branca.element.MacroElement
    """
    from branca.element import MacroElement, Template

    class LandplanReady(MacroElement):
        _template = Template(
            "{% macro script(this, kwargs) %}"
            "window.landplan.ready({{ this.labels.get_name() }}, ["
            "{% for b in this.back %}{{ b.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}]);"
            "{% endmacro %}"
        )

        def __init__(self) -> None:
            super().__init__()
            self._name = "LandplanReady"
            self.labels = labels
            self.back = list(back)

    return LandplanReady()


_PAYLOAD = re.compile(r"new LandplanMap\(\w+, /\*data\*/(.*?)/\*end\*/\);", re.DOTALL)


def page_data(page: str) -> dict[str, Any]:
    """The data object of a rendered map page (for tests and for tools reading a map back).

    Parameters
    ----------
    page : str
        An HTML page from :func:`~landplan.outputs.webmap.map_html`.

    Returns
    -------
    dict
        The object :func:`client_data` made.

    Raises
    ------
    ValueError
        If the page holds no landplan parcel map.
    """
    found = _PAYLOAD.search(page)
    if found is None:
        msg = "no landplan parcel map in this page"
        raise ValueError(msg)
    return dict(json.loads(found.group(1)))
