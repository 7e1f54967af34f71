"""The facility programme on the map: reserved facility land, existing facilities' places left, site needs.

Reads what the allocation's second stage kept (``Allocation.facilities``, ``facility_land``,
``facility_existing``; nothing is recomputed here) and writes it into the parcel map's data object
(key ``fac``) for ``programme.js``, which draws two layers and their cards in the browser:

- **reserved facility land**: one square marker per programme row that reserves land, in its
  kind's colour and letter, at a point inside its host parcel (rows sharing a host side by side);
  its card names the kind, the places (or sites) to build, the land in m², the housing site it
  serves, where it lies and the norm cited;
- **existing facilities, places left**: one round marker per existing facility of the
  programme's kinds; its card gives capacity, current load, new places absorbed and free places
  left; a full one is grey with a struck-out letter;

and the housing site's score card gains a table "what this site needs built". Every text is
escaped here with :func:`~landplan.outputs.escape.html_text`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landplan.outputs.escape import html_array, html_text
from landplan.outputs.i18n import Translator, translator
from landplan.outputs.site_needs import facility_kind_names
from landplan.outputs.style import FACILITY_KIND_COLORS, FACILITY_KIND_LETTERS
from landplan.outputs.webmap.base import to_wgs84

if TYPE_CHECKING:
    from landplan.model import Allocation, Study

__all__ = ["programme_data", "programme_layers"]

OTHER_COLOR = "#525252"


def _messages(tr: Translator) -> dict[str, str]:
    """Fixed texts of the facility layers and cards, translated and escaped."""
    msg = {
        "land_title": tr("Reserved land"),
        "existing_title": tr("Existing facility"),
        "places_to_build": tr("Places to build"),
        "sites_to_build": tr("Sites to build"),
        "land": tr("Land reserved"),
        "serves_site": tr("Housing site served"),
        "zone": tr("Industrial zone"),
        "where": tr("Where"),
        "from_site": tr("from the site"),
        "norm": tr("Norm"),
        "capacity": tr("Capacity (places)"),
        "load": tr("Current load"),
        "absorbed": tr("New places absorbed"),
        "free": tr("Free places left"),
        "full": tr("full"),
        "sites_served": tr("New housing sites within its radius"),
        "needs_title": tr("What this site needs built"),
        "kind": tr("Facility kind"),
        "needed": tr("Needed"),
        "absorbed_short": tr("Absorbed"),
        "to_build": tr("To build"),
        "land_short": tr("Land (m²)"),
        "legend_land": tr("Reserved facility land"),
        "legend_full": tr("existing facility, full"),
    }
    return {k: html_text(v) for k, v in msg.items()}


def _codes(values: pd.Series, table: list[str]) -> list[int]:
    """Positions of ``values`` in ``table`` (appending new values)."""
    out = []
    for v in values.astype(str):  # a few hundred rows at most per map (one per site and kind)
        if v not in table:
            table.append(v)
        out.append(table.index(v))
    return out


def _land_rows(allocation: Allocation, study: Study, kinds: list[str], words: list[str]) -> list[list[Any]]:
    """One row per reserved facility land point (see ``programme.js``)."""
    land = allocation.facility_land
    plan = allocation.facilities
    if land is None or plan is None or land.empty:
        return []
    wgs = to_wgs84(land)
    xy = np.column_stack([wgs.geometry.y.to_numpy(), wgs.geometry.x.to_numpy()]).round(6)
    rows = plan.loc[land.index]
    zones = rows["zone"].map(study.zone_names.set_axis(study.zone_names.index.astype(str)).astype(str))
    host_order = land.groupby("host", sort=False).cumcount().to_numpy()
    host_count = land.groupby("host", sort=False)["host"].transform("size").to_numpy()
    kind = _codes(rows["kind"], kinds)
    placement, norm = _codes(rows["placement"], words), _codes(rows["norm"], words)
    unit = (rows["unit"] == "sites").astype(int).tolist()
    site, host, zone = html_array(rows["site"]), html_array(rows["host"]), html_array(zones.fillna(rows["zone"]))
    to_build = rows["to_build"].round(0).astype(int).tolist()
    land_m2 = rows["land_m2"].round(0).astype(int).tolist()
    dist = [None if not np.isfinite(d) else round(float(d)) for d in rows["distance_m"].to_numpy(dtype=float)]
    lat, lon = xy[:, 0].tolist(), xy[:, 1].tolist()
    columns = [lat, lon, kind, to_build, unit, land_m2, site, zone, placement, host, dist, norm]
    return [list(r) for r in zip(*columns, host_order.tolist(), host_count.tolist(), strict=True)]


def _existing_rows(allocation: Allocation, kinds: list[str]) -> list[list[Any]]:
    """One row per existing facility: position, kind, name, capacity, load, absorbed, free, sites served."""
    ex = allocation.facility_existing
    if ex is None or ex.empty:
        return []
    wgs = to_wgs84(ex)
    pts = wgs.geometry.representative_point()
    kind = _codes(ex["kind"], kinds)
    names = html_array(ex["name"].where(ex["name"] != "", pd.Series(ex.index.astype(str), index=ex.index)))
    numbers = [
        [None if not np.isfinite(v) else round(float(v)) for v in ex[c].to_numpy(dtype=float)]
        for c in ("capacity", "load", "absorbed", "free", "sites_served")
    ]
    lat, lon = pts.y.round(6).tolist(), pts.x.round(6).tolist()
    return [list(r) for r in zip(lat, lon, kind, names.tolist(), *numbers, strict=True)]


def _site_rows(allocation: Allocation, kinds: list[str], words: list[str]) -> dict[str, list[list[Any]]]:
    """Per housing site (raw parcel id): kind, needed, absorbed, to build, unit, land, placement, host."""
    plan = allocation.facilities
    if plan is None or plan.empty:
        return {}
    rows = plan[plan["site"].astype(str) != ""]
    kind, unit, placement = _codes(rows["kind"], kinds), _codes(rows["unit"], words), _codes(rows["placement"], words)
    host = html_array(rows["host"])
    nums = [rows[c].round(0).astype(int).tolist() for c in ("needed", "absorbed", "to_build", "land_m2")]
    out: dict[str, list[list[Any]]] = {}
    for i, site in enumerate(rows["site"].astype(str)):
        out.setdefault(site, []).append([kind[i], nums[0][i], nums[1][i], nums[2][i], unit[i], nums[3][i]])
        out[site][-1] += [placement[i], host[i]]
    return out


def programme_data(allocation: Allocation | None, study: Study, *, lang: str = "en") -> dict[str, Any] | None:
    """The ``fac`` part of the parcel map's data object (None without a facility programme).

    Parameters
    ----------
    allocation : Allocation or None
        The allocation with its facility programme.
    study : Study
        The loaded study (zone display names).
    lang : {"en", "vi"}, default "en"
        Language of the texts.

    Returns
    -------
    dict or None
        ``kinds`` (key, name, colour, letter), ``words`` (placements, units, norms), ``land``,
        ``existing`` and ``sites`` (rows keyed by raw parcel id; :func:`~landplan.outputs.webmap.client.client_data`
        turns the keys into parcel positions) and ``msg``. Every text escaped.
    """
    if allocation is None or allocation.facilities is None:
        return None
    tr = translator(lang)
    names = facility_kind_names(tr)
    kinds: list[str] = []
    words: list[str] = []
    land = _land_rows(allocation, study, kinds, words)
    existing = _existing_rows(allocation, kinds)
    sites = _site_rows(allocation, kinds, words)
    return {
        "kinds": [
            {
                "name": html_text(names.get(k, k)),
                "color": FACILITY_KIND_COLORS.get(k, OTHER_COLOR),
                "letter": html_text(FACILITY_KIND_LETTERS.get(k, k[:1].upper())),
            }
            for k in kinds
        ],
        "words": [html_text(names.get(w, w)) for w in words],
        "land": land,
        "existing": existing,
        "sites": sites,
        "msg": _messages(tr),
    }


def programme_layers(lang: str = "en") -> list[Any]:
    """The two facility layers (drawn by the client) and the element that draws them.

    Add them after the parcel map's client (``window.landplan`` must exist).

    Parameters
    ----------
    lang : {"en", "vi"}, default "en"
        Language of the layer names.

    Returns
    -------
    list
        The reserved-land group (shown), the existing-facilities group (hidden at first) and the
        drawing element.
    """
    import folium
    from branca.element import MacroElement, Template

    tr = translator(lang)
    land = folium.FeatureGroup(name=html_text(tr("Reserved facility land")), show=True)
    existing = folium.FeatureGroup(
        name=html_text(tr("Existing facilities: places left after the allocation")), show=False
    )

    class LandplanFacilities(MacroElement):
        _template = Template(
            "{% macro script(this, kwargs) %}window.landplan.drawFacilities("
            "{{ this.land.get_name() }}, {{ this.existing.get_name() }});{% endmacro %}"
        )

        def __init__(self) -> None:
            super().__init__()
            self._name = "LandplanFacilities"
            self.land = land
            self.existing = existing

    return [land, existing, LandplanFacilities()]
