"""What a reserved housing site needs built: the facility programme's rows of one site, for score cards.

Shared by the report's score cards and the map (which builds the same table in the browser from
:mod:`landplan.outputs.webmap.programme`). Reads ``Allocation.facilities``; computes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from landplan.outputs.i18n import Translator

__all__ = ["facility_kind_names", "site_needs_table"]


def facility_kind_names(tr: Translator) -> dict[str, str]:
    """Human names of the facility kinds, placements and units of the programme, translated.

    Parameters
    ----------
    tr : Translator
        Language.

    Returns
    -------
    dict
        Name by programme value (``kindergarten``, ``nearby parcel``, ``places``...).
    """
    return {
        "kindergarten": tr("kindergarten"),
        "primary_school": tr("primary school"),
        "secondary_school": tr("lower-secondary school"),
        "health_station": tr("health station"),
        "market": tr("market"),
        "cultural_house": tr("cultural house"),
        "sports_ground": tr("sports ground"),
        "trade_union_institution": tr("trade-union institution"),
        "places": tr("places"),
        "sites": tr("sites"),
        "in site": tr("in site"),
        "nearby parcel": tr("nearby parcel"),
        "in site, displacing housing": tr("in site, displacing housing"),
        "unplaced": tr("unplaced"),
        "none needed": tr("none needed"),
    }


def site_needs_table(programme: pd.DataFrame | None, site: object, tr: Translator) -> str:
    """The table "what this site needs built" of one housing site ('' when it has no programme rows).

    Parameters
    ----------
    programme : pandas.DataFrame or None
        The facility programme (``Allocation.facilities``).
    site : object
        The parcel id of the housing site.
    tr : Translator
        Language.

    Returns
    -------
    str
        A heading and a table (kind, needed with its unit, absorbed, to build, land m², where);
        every text escaped.
    """
    from landplan.outputs.escape import html_text
    from landplan.outputs.html_tables import Column, html_table

    if programme is None:
        return ""
    rows = programme[programme["site"].astype(str) == str(site)].copy()
    if rows.empty:
        return ""
    words = facility_kind_names(tr)
    rows["kind"] = rows["kind"].map(lambda k: words.get(str(k), str(k)))
    rows["needed_text"] = [
        f"{tr.number(float(n))} {words.get(str(u), str(u))}" for n, u in zip(rows["needed"], rows["unit"], strict=True)
    ]
    built = rows["land_m2"] > 0
    rows["where"] = ""
    rows.loc[built, "where"] = (
        rows.loc[built, "placement"].map(lambda p: words.get(str(p), str(p)))
        + (" " + rows.loc[built, "host"].astype(str)).str.rstrip()
    )
    columns = [
        Column("kind", tr("Facility kind")),
        Column("needed_text", tr("Needed")),
        Column("absorbed", tr("Absorbed"), "int"),
        Column("to_build", tr("To build"), "int"),
        Column("land_m2", tr("Land (m²)"), "int"),
        Column("where", tr("Where")),
    ]
    head = f'<p class="muted"><b>{html_text(tr("What this site needs built"))}</b></p>'
    return head + html_table(rows, columns, tr, css="site-needs")
