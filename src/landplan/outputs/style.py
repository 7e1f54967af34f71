"""One style for every output: score-class palettes, classification, colours and number formats.

The web map, the static map, the report and the terminal table all take their colours and
classes from here, so a parcel has the same class colour wherever it is shown.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = [
    "EXCLUDED_COLOR",
    "FACILITY_COLORS",
    "PALETTES",
    "ZONE_COLORS",
    "class_palette",
    "classify",
    "fmt_number",
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
FACILITY_COLORS = ["#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928", "#a6cee3", "#fb9a99"]
ZONE_COLORS = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999",
                "#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3"]  # fmt: skip


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
