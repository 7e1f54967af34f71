"""Static PNG/SVG maps for reports and dossiers (matplotlib).

Score classes of the eligible parcels (same mapclassify classes as the web map), excluded parcels
grey, industrial zones, the allocation when given, a legend naming the classes, a scale bar
(matplotlib-scalebar), a north arrow and a title. Drawn in the working CRS (metres).

The figure is a plain :class:`matplotlib.figure.Figure` on an Agg canvas: pyplot's global state
and the session's backend (a notebook's, say) are never touched. Text from data (the scenario
name as title) is drawn literally, never parsed as mathtext (see :func:`landplan.outputs.escape.mpl_text`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import geopandas as gpd

    from landplan.model import Allocation, Scores, Study

__all__ = ["save_static_map", "static_map"]


def _draw_parcels(ax: Any, ranked: gpd.GeoDataFrame, classification: str, k: int) -> list[Any]:
    """Parcels in their score classes (excluded grey); the legend handles of the classes."""
    from matplotlib.patches import Patch

    from landplan.outputs.style import EXCLUDED_COLOR, score_classes

    classes = score_classes(
        ranked["score"].to_numpy(dtype="float64"), ranked["eligible"].to_numpy(dtype=bool), scheme=classification, k=k
    )
    ranked.plot(ax=ax, color=list(classes.colors), linewidth=0.1, edgecolor="#555555")
    handles = [
        Patch(facecolor=c, edgecolor="#555555", label=f"score {label}")
        for label, c in zip(classes.labels, classes.palette, strict=True)
    ]
    return [*handles, Patch(facecolor=EXCLUDED_COLOR, edgecolor="#555555", label="excluded")]


def _draw_zones(ax: Any, zones: gpd.GeoDataFrame) -> Any:
    """Zones and their dashed isolation buffers; their legend handle."""
    from matplotlib.patches import Patch

    zones.plot(ax=ax, facecolor="#5e3c99", alpha=0.45, edgecolor="#5e3c99", linewidth=0.8)
    if "isolation_m" in zones:
        zones.geometry.buffer(zones["isolation_m"].to_numpy()).boundary.plot(
            ax=ax, color="#5e3c99", linewidth=0.5, linestyle="--"
        )
    return Patch(facecolor="#5e3c99", alpha=0.45, label="industrial zone (dashed: isolation buffer)")


def _draw_ranks(ax: Any, best: gpd.GeoDataFrame) -> None:
    """Rank badges on the best parcels (``best``: rows of the ranking, best first)."""
    pts = best.geometry.representative_point()
    for (x, y), r in zip(np.column_stack([pts.x, pts.y]), best["rank"].astype(int), strict=True):  # top N only
        ax.annotate(
            str(r),
            (x, y),
            fontsize=6,
            ha="center",
            va="center",
            color="#ffffff",
            bbox={"boxstyle": "round,pad=0.2", "fc": "#1a9641", "ec": "none"},
        )


def _draw_furniture(ax: Any, handles: list[Any], classification: str) -> None:
    """Legend, scale bar and north arrow."""
    from matplotlib_scalebar.scalebar import ScaleBar

    ax.legend(
        handles=handles,
        loc="lower left",
        fontsize=7,
        framealpha=0.9,
        title=f"{classification.replace('_', ' ')} classes",
        title_fontsize=7,
    )
    ax.add_artist(ScaleBar(1.0, units="m", location="lower right", box_alpha=0.8))
    ax.annotate(
        "N",
        xy=(0.96, 0.95),
        xytext=(0.96, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5},
    )


def static_map(
    study: Study,
    scores: Scores,
    *,
    ranked: gpd.GeoDataFrame | None = None,
    classification: str = "quantiles",
    k: int = 5,
    top: int = 20,
    allocation: Allocation | None = None,
    title: str | None = None,
) -> Any:
    """Draw the ranked parcels as a static map; returns the matplotlib Figure (on an Agg canvas).

    Parameters
    ----------
    study : Study
        The loaded study (zones with their isolation buffers, the scenario name).
    scores : Scores
        Its scores.
    ranked : geopandas.GeoDataFrame, optional
        The wide ranking when already made (made here otherwise).
    classification : str, default "quantiles"
        Score classes: ``quantiles``, ``natural_breaks`` or ``equal_interval``.
    k : int, default 5
        Number of classes.
    top : int, default 20
        Best parcels labelled with their rank (``scores.top(top)``).
    allocation : Allocation, optional
        Reserved parcels are outlined in black.
    title : str, optional
        Map title (default: the scenario name).

    Returns
    -------
    matplotlib.figure.Figure
        The map on an Agg canvas.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from landplan.outputs.escape import mpl_text
    from landplan.outputs.tables import ranked_table

    ranked = ranked if ranked is not None else ranked_table(study, scores)
    fig = Figure(figsize=(10, 8.5), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    handles = _draw_parcels(ax, ranked, classification, k)
    if study.zones is not None:
        handles.append(_draw_zones(ax, study.zones))
    if allocation is not None and len(allocation.parcels):
        ranked.loc[allocation.parcels.index.unique()].boundary.plot(ax=ax, color="#000000", linewidth=0.9)
        handles.append(Patch(facecolor="none", edgecolor="#000000", label="reserved by the allocation"))
    _draw_ranks(ax, ranked.loc[scores.top(top)])
    _draw_furniture(ax, handles, classification)
    ax.set_title(mpl_text(title or study.scenario.scenario.name), fontsize=11)
    ax.set_axis_off()
    crs = ranked.crs.to_epsg() if ranked.crs is not None else None
    fig.text(0.01, 0.01, f"CRS EPSG:{crs}; landplan", fontsize=6, color="#555555")
    fig.tight_layout()
    return fig


def save_static_map(study: Study, scores: Scores, path: str | Path, **options: Any) -> Path:
    """Draw and write the static map atomically (format from the suffix: .png, .svg, .pdf).

    Parameters
    ----------
    study : Study
        The loaded study.
    scores : Scores
        Its scores.
    path : str or pathlib.Path
        Target file; its suffix gives the format.
    **options
        Passed to :func:`static_map`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from landplan.io import atomic_path

    fig = static_map(study, scores, **options)
    target = Path(path)
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format=target.suffix.lstrip(".") or "png")
    return target
