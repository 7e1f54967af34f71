"""One style for every output: score-class palettes, classification, colours and number formats.

The web map, the static map, the report and the terminal table all take their colours and
classes from here, so a parcel has the same class colour wherever it is shown.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "EXCLUDED_COLOR",
    "FACILITY_COLORS",
    "FACILITY_KIND_COLORS",
    "FACILITY_KIND_LETTERS",
    "PALETTES",
    "ZONE_COLOR",
    "ZONE_COLORS",
    "ScoreClasses",
    "class_palette",
    "classify",
    "fmt_number",
    "score_classes",
]

#: colour of excluded parcels
EXCLUDED_COLOR = "#9e9e9e"
PALETTES = {
    3: ["#d7191c", "#ffffbf", "#1a9641"],
    4: ["#d7191c", "#fdae61", "#a6d96a", "#1a9641"],
    5: ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"],
    6: ["#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850"],
    7: ["#d73027", "#fc8d59", "#fee08b", "#ffffbf", "#d9ef8b", "#91cf60", "#1a9850"],
}
# Red, orange, yellow and green mean scores (worst to best) and nothing else: facilities, zones and
# allocations use blues, purples, browns, teals and greys.
FACILITY_COLORS = ["#1f78b4", "#6a3d9a", "#8c510a", "#01665e", "#3f007d", "#08306b", "#543005", "#525252"]
#: colour and letter of each kind of facility the allocation reserves land for (issue 16)
FACILITY_KIND_COLORS = {
    "kindergarten": "#c51b7d",
    "primary_school": "#1f78b4",
    "secondary_school": "#08306b",
    "health_station": "#01665e",
    "market": "#8c510a",
    "cultural_house": "#6a3d9a",
    "sports_ground": "#35978f",
    "trade_union_institution": "#252525",
}
FACILITY_KIND_LETTERS = {
    "kindergarten": "K",
    "primary_school": "P",
    "secondary_school": "S",
    "health_station": "H",
    "market": "M",
    "cultural_house": "C",
    "sports_ground": "G",
    "trade_union_institution": "T",
}
#: colour of industrial zones and their isolation buffers
ZONE_COLOR = "#5e3c99"
#: colours of the zones an allocation serves (outlines of reserved parcels, links)
ZONE_COLORS = ["#08519c", "#6a3d9a", "#8c510a", "#01665e", "#3f007d", "#2171b5", "#543005", "#737373",
                "#35978f", "#762a83", "#08306b", "#252525"]  # fmt: skip


def class_palette(n_classes: int) -> list[str]:
    """Colours of ``n_classes`` score classes, worst (red) to best (green).

    Parameters
    ----------
    n_classes : int
        Number of classes (1 to 7).

    Returns
    -------
    list of str
        Hex colours.
    """
    if n_classes <= 1:
        return ["#1a9641"]
    return PALETTES.get(n_classes, PALETTES[5])[:n_classes]


def fmt_number(values: np.ndarray, *, decimals: int = 0) -> np.ndarray:
    """Numbers as text with a fixed number of decimals (NaN as ``nan``), vectorised.

    Parameters
    ----------
    values : numpy.ndarray
        Numbers.
    decimals : int, default 0
        Digits after the point.

    Returns
    -------
    numpy.ndarray
        Object array of strings.
    """
    return np.char.mod(f"%.{decimals}f", np.asarray(values, dtype="float64")).astype(object)


def classify(values: pd.Series, *, scheme: str = "quantiles", k: int = 5) -> np.ndarray:
    """Class upper bounds of ``values`` with mapclassify (quantiles, natural_breaks, equal_interval).

    Parameters
    ----------
    values : pandas.Series
        The values to classify; missing values are ignored.
    scheme : {"quantiles", "natural_breaks", "equal_interval"}, default "quantiles"
        Classification method (natural breaks: Fisher-Jenks, sampled above 5000 values).
    k : int, default 5
        Number of classes, lowered to the number of distinct values (at least 1).

    Returns
    -------
    numpy.ndarray
        Ascending float64 upper bounds, the last one at least the largest value; a single
        bound (the largest value, or 1.0 when there are no values) for one class.

    Raises
    ------
    ValueError
        If ``scheme`` is unknown (only checked when there are at least two classes).
    """
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


@dataclass(frozen=True)
class ScoreClasses:
    """Score classes of a set of parcels, as every map draws them.

    Attributes
    ----------
    bins : numpy.ndarray
        Class upper bounds (from :func:`classify` over the eligible parcels).
    palette : list of str
        One colour per class, worst to best.
    colors : numpy.ndarray
        Each parcel's colour (object array): its class colour, or :data:`EXCLUDED_COLOR`.
    labels : list of str
        One label per class, ``"0.12 – 0.34"`` (lowest eligible value to upper bound).
    """

    bins: np.ndarray
    palette: list[str]
    colors: np.ndarray
    labels: list[str]


def score_classes(
    values: np.ndarray,
    eligible: np.ndarray,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | np.ndarray | None = None,
) -> ScoreClasses:
    """Classify scores of the eligible parcels and colour every parcel (the one definition).

    Parameters
    ----------
    values : numpy.ndarray
        Scores, one per parcel.
    eligible : numpy.ndarray
        Boolean mask of eligible parcels; the others are coloured :data:`EXCLUDED_COLOR`.
    scheme : str, default "quantiles"
        ``quantiles``, ``natural_breaks`` or ``equal_interval`` (see :func:`classify`).
    k : int, default 5
        Number of classes.
    breaks : sequence of float, optional
        Fixed class upper bounds (the scenario's ``[output] breaks``) instead of ``scheme``: the same
        classes for every map, for comparing scenarios. The last bound is raised to the largest value.

    Returns
    -------
    ScoreClasses
        Bounds, palette, per-parcel colours and class labels.

    Examples
    --------
    >>> c = score_classes(np.array([0.1, 0.2, 0.3, 0.4, 0.9]), np.array([True, True, True, True, False]), k=2)
    >>> c.labels
    ['0.10 – 0.25', '0.25 – 0.40']
    >>> list(c.colors)
    ['#d7191c', '#d7191c', '#fdae61', '#fdae61', '#9e9e9e']
    """
    values = np.asarray(values, dtype="float64")
    eligible = np.asarray(eligible, dtype=bool)
    if breaks is not None and len(breaks):
        bins = np.array(breaks, dtype="float64")
        if eligible.any():
            bins[-1] = max(bins[-1], float(np.nanmax(values[eligible])))
    else:
        bins = classify(pd.Series(values[eligible]), scheme=scheme, k=k)
    palette = class_palette(len(bins))
    cls = np.clip(np.searchsorted(bins, values, side="left"), 0, len(bins) - 1)
    colors = np.where(eligible, np.array(palette, dtype=object)[cls], EXCLUDED_COLOR)
    lows = np.concatenate([[np.nanmin(values[eligible]) if eligible.any() else 0.0], bins[:-1]])
    labels = [f"{lo:.2f} – {hi:.2f}" for lo, hi in zip(lows, bins, strict=True)]
    return ScoreClasses(bins=bins, palette=palette, colors=colors, labels=labels)
