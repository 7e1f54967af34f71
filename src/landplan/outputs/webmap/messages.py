"""Fixed texts of the browser client: the score card's words and the measuring tool's, translated and escaped."""

from __future__ import annotations

from landplan.outputs.escape import html_text
from landplan.outputs.i18n import translator

__all__ = ["client_messages", "measure_words"]


def client_messages(lang: str, method: str) -> dict[str, str]:
    """Every fixed text of the client, translated and escaped.

    Parameters
    ----------
    lang : {"en", "vi"}
        Language of the texts.
    method : str
        The scenario's aggregation method in words (named when what-if weights are unavailable).

    Returns
    -------
    dict
        Message key -> escaped text, as ``client.js`` reads them.
    """
    tr = translator(lang)
    msg = {
        "parcel": tr("Parcel"),
        "rank": tr("Rank"),
        "score": tr("Score"),
        "not_ranked": tr("not ranked (excluded)"),
        "criterion": tr("criterion"),
        "raw": tr("measured"),
        "value": tr("value 0–1"),
        "weight": tr("weight"),
        "contribution": tr("contribution"),
        "excluded": tr("Excluded"),
        "all_passed": tr("Constraints: all passed"),
        "top_drivers": tr("Top drivers"),
        "reserved_for": tr("Reserved for"),
        "units": tr("units"),
        "none": tr("none"),
        "what_if": tr("what-if"),
        "what_if_weights": tr("What-if weights"),
        "what_if_note": tr(
            "Scores, classes and ranks recomputed in the browser from these weights; the files keep the scenario's."
        ),
        "what_if_unavailable": tr(
            "What-if weights need the weighted sum or the weighted product; this scenario uses {method}.",
            method=method,
        ),
        "reset": tr("Reset"),
        "copy_toml": tr("Copy weights as TOML"),
        "excluded_legend": tr("excluded (see popup)"),
    }
    return {k: html_text(v) for k, v in msg.items()}


def measure_words(lang: str) -> dict[str, str]:
    """The measuring tool's English texts (leaflet-measure has no Vietnamese) -> the language's (escaped).

    Parameters
    ----------
    lang : {"en", "vi"}
        Language of the texts; English needs no replacement.

    Returns
    -------
    dict
        English text -> escaped text in ``lang`` (empty for English).
    """
    if lang == "en":
        return {}
    tr = translator(lang)
    words = {
        "Measure": tr("Measure"),
        "Measure distances and areas": tr("Measure distances and areas"),
        "Create a new measurement": tr("Create a new measurement"),
        "Start creating a measurement by adding points to the map": tr(
            "Start creating a measurement by adding points to the map"
        ),
        "Finish measurement": tr("Finish measurement"),
        "Last point": tr("Last point"),
        "Area": tr("Area"),
        "Perimeter": tr("Perimeter"),
        "Point location": tr("Point location"),
        "Area measurement": tr("Area measurement"),
        "Linear measurement": tr("Linear measurement"),
        "Path distance": tr("Path distance"),
        "Center on this area": tr("Center on this area"),
        "Center on this line": tr("Center on this line"),
        "Center on this location": tr("Center on this location"),
        "Cancel": tr("Cancel"),
        "Delete": tr("Delete"),
        # units written after the numbers
        "Sq Meters": "m²",
        "Meters": "m",
        "Kilometers": "km",
        "Hectares": "ha",
    }
    return {k: html_text(v) for k, v in words.items()}
