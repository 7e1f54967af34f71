"""Print maps for a dossier: A4 or A3, PDF or PNG, with a title block, legend, scale bar and north arrow.

The page is laid out in millimetres on a matplotlib figure the size of the paper (landscape):
the map frame on the left, a panel on the right with the title block (scenario, date, CRS, data
sources), the legend, the north arrow and the scale bar, and the attribution at the foot. The map
draws the context the scenario has (water and district polygons, road lines: any layer of the
study, by geometry and name, see :func:`context_layers`), the parcels in their score classes, the
industrial zones with their names, the reserved land, and the rank of the best parcels with
labels that never overlap (:func:`place_labels`).

Every word is translated (``[output] language``); text from data is drawn literally (see
:func:`landplan.outputs.escape.mpl_text`). The font is matplotlib's bundled DejaVu Sans, which has
every Vietnamese glyph, so the page looks the same on every machine. PDF and PNG carry no creation
date: the same inputs and date give the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from landplan.outputs.print_raster import raster_parcels

if TYPE_CHECKING:
    import geopandas as gpd

    from landplan.model import Allocation, Scores, Study
    from landplan.outputs.i18n import Translator

__all__ = ["PAPER_MM", "context_layers", "place_labels", "print_map", "save_print_map"]

#: landscape paper sizes (width, height) in millimetres
PAPER_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
_MM = 1 / 25.4
#: above this many parcels they are drawn as one raster image (rasterio.features.rasterize) instead of
#: one matplotlib patch each: a million patches take minutes and gigabytes, and are sub-pixel on paper
RASTER_PARCELS_ABOVE = 50_000
_WATER = re.compile(r"water|river|lake|pond|canal|song|sông|ho\b|hồ|kenh|kênh", re.IGNORECASE)
_BOUNDARY = re.compile(r"district|ward|commune|province|boundary|admin|quan|huyen|phuong|xa\b", re.IGNORECASE)


def context_layers(study: Study) -> dict[str, list[tuple[str, gpd.GeoDataFrame]]]:
    """The study's layers drawn as context, by role: ``water``, ``boundaries`` and ``roads``.

    Polygon layers whose name says water (``water``, ``river``, ``lake``, ``sông``, ``hồ``...) are
    water; polygon layers named as administrative units (``districts``, ``wards``...) are drawn as
    boundaries; every line layer is drawn as roads. Point layers (facilities) are left out of the
    print map, which stays readable at the scale of a district.

    Parameters
    ----------
    study : Study
        The loaded study.

    Returns
    -------
    dict
        Role -> list of (layer name, layer) pairs, in scenario order.
    """
    roles: dict[str, list[tuple[str, gpd.GeoDataFrame]]] = {"water": [], "boundaries": [], "roads": []}
    for name, _spec in study.scenario.layers.items():
        if name in {"parcels", "zones"}:
            continue
        layer = study.layer(name)
        if layer.empty:
            continue
        kinds = set(layer.geom_type.dropna().unique())
        if kinds <= {"LineString", "MultiLineString"}:
            roles["roads"].append((name, layer))
        elif kinds <= {"Polygon", "MultiPolygon"} and _WATER.search(name):
            roles["water"].append((name, layer))
        elif kinds <= {"Polygon", "MultiPolygon"} and _BOUNDARY.search(name):
            roles["boundaries"].append((name, layer))
    return roles


def _overlaps(box: Any, kept: list[Any]) -> bool:
    return any(box.overlaps(other) for other in kept)


def place_labels(
    ax: Any, points: np.ndarray, texts: list[str], *, fontsize: float = 6.5, avoid: list[Any] | None = None
) -> list[Any]:
    """Draw labels at points so that none overlaps another; the first labels have priority.

    Each label tries its point, then four offset positions with a leader line; a label that fits
    nowhere is left out (it is still in the ranked list). ``points`` come best first, so rank 1 is
    always drawn.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes in data coordinates (its limits already set).
    points : numpy.ndarray
        ``(n, 2)`` anchor coordinates, in priority order.
    texts : list of str
        One text per point.
    fontsize : float, default 6.5
        Label size in points.
    avoid : list of matplotlib.artist.Artist, optional
        Artists already drawn (zone names) that no label may cover.

    Returns
    -------
    list of matplotlib.text.Annotation
        The labels drawn, in priority order.
    """
    from matplotlib.text import Text

    renderer = ax.figure.canvas.get_renderer()
    offsets = [(0, 0)] + [
        (round(r * np.cos(a)), round(r * np.sin(a)))
        for r in (11, 18, 26)
        for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)
    ]
    kept_boxes: list[Any] = [a.get_window_extent(renderer) for a in avoid or []]
    drawn: list[Any] = []
    for (x, y), text in zip(points, texts, strict=True):  # top N labels only, never every parcel
        for dx, dy in offsets:
            label = ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=fontsize,
                ha="center",
                va="center",
                color="#ffffff",
                bbox={"boxstyle": "round,pad=0.2", "fc": "#1a9641", "ec": "#ffffff", "lw": 0.4},
                arrowprops={"arrowstyle": "-", "color": "#1a9641", "lw": 0.6} if (dx, dy) != (0, 0) else None,
                annotation_clip=True,
                zorder=9,
            )
            # the text and its box, not the leader line (which may cross other labels' points)
            label.update_positions(renderer)
            box = Text.get_window_extent(label, renderer).expanded(1.5, 1.4)
            if not _overlaps(box, kept_boxes):
                kept_boxes.append(box)
                drawn.append(label)
                break
            label.remove()
    return drawn


def _draw_context(ax: Any, study: Study) -> None:
    roles = context_layers(study)
    for _name, layer in roles["water"]:
        layer.plot(ax=ax, facecolor="#a6cee3", edgecolor="#6fa8c9", linewidth=0.3, zorder=1)
    for _name, layer in roles["roads"]:
        layer.plot(ax=ax, color="#8c8c8c", linewidth=0.6, zorder=2)
    for _name, layer in roles["boundaries"]:
        layer.boundary.plot(ax=ax, color="#444444", linewidth=0.7, linestyle="-.", zorder=5)


def _draw_zones(ax: Any, study: Study) -> list[Any]:
    """Zone footprints and one name label per zone; the labels (rank labels keep off them)."""
    from landplan.outputs.escape import mpl_text

    assert study.zones is not None
    study.zones.plot(ax=ax, facecolor="#5e3c99", alpha=0.5, edgecolor="#3f2868", linewidth=0.8, zorder=4)
    labels = []
    centres = study.zones.geometry.representative_point()
    for zid, c in zip(study.zones.index, centres, strict=True):  # one label per zone
        labels.append(
            ax.annotate(
                mpl_text(study.zone_names.get(zid, zid)),
                (c.x, c.y),
                fontsize=7,
                fontweight="bold",
                color="#3f2868",
                ha="center",
                va="bottom",
                xytext=(0, 6),
                textcoords="offset points",
                bbox={"boxstyle": "round,pad=0.15", "fc": "#ffffff", "ec": "none", "alpha": 0.75},
                zorder=8,
            )
        )
    return labels


def _draw_facility_land(ax: Any, allocation: Allocation, crs: Any, tr: Translator) -> list[Any]:
    """The reserved facility land (issue 16) as squares in their kind's colour; one legend handle per kind."""
    from matplotlib.lines import Line2D

    from landplan.outputs.site_needs import facility_kind_names
    from landplan.outputs.style import FACILITY_KIND_COLORS

    land = allocation.facility_land
    if land is None or land.empty:
        return []
    land = land.to_crs(crs) if crs is not None else land
    names = facility_kind_names(tr)
    handles = []
    for kind in sorted(set(land["kind"].astype(str))):  # a handful of kinds
        color = FACILITY_KIND_COLORS.get(kind, "#525252")
        pts = land.geometry[(land["kind"] == kind).to_numpy()]
        ax.scatter(pts.x, pts.y, s=9, marker="s", c=color, edgecolors="#ffffff", linewidths=0.3, zorder=7)
        label = f"{tr('Reserved facility land')}: {names.get(kind, kind)}"
        handles.append(Line2D([], [], linestyle="none", marker="s", markersize=5, color=color, label=label))
    return handles


def _draw_map(
    ax: Any,
    study: Study,
    ranked: gpd.GeoDataFrame,
    allocation: Allocation | None,
    *,
    classification: str,
    tr: Translator,
) -> tuple[list[Any], list[Any]]:
    """Context, parcels, zones with names, reserved land; the legend handles and the zone labels."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from landplan.outputs.style import EXCLUDED_COLOR, score_classes

    xmin, ymin, xmax, ymax = ranked.total_bounds
    if study.zones is not None and not study.zones.empty:  # the zones are part of the story: keep them in frame
        zx0, zy0, zx1, zy1 = study.zones.total_bounds
        xmin, ymin, xmax, ymax = min(xmin, zx0), min(ymin, zy0), max(xmax, zx1), max(ymax, zy1)
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    _draw_context(ax, study)
    zone_labels: list[Any] = []
    classes = score_classes(
        ranked["score"].to_numpy(dtype="float64"),
        ranked["eligible"].to_numpy(dtype=bool),
        scheme=classification,
        k=5,
        breaks=study.scenario.output.breaks,
    )
    if len(ranked) > RASTER_PARCELS_ABOVE:
        raster_parcels(ax, ranked, classes.colors, bounds=(xmin - pad, ymin - pad, xmax + pad, ymax + pad))
    else:
        ranked.plot(ax=ax, color=list(classes.colors), linewidth=0.1, edgecolor="#666666", zorder=3)
    eligible = ranked["eligible"].to_numpy(dtype=bool)
    low = float(ranked["score"].to_numpy(dtype="float64")[eligible].min()) if eligible.any() else 0.0
    lows = [low, *classes.bins[:-1]]
    handles: list[Any] = [
        Patch(
            facecolor=c,
            edgecolor="#555555",
            label=f"{tr('Score')} {tr.number(lo, decimals=2)} – {tr.number(hi, decimals=2)}",
        )
        for lo, hi, c in zip(lows, classes.bins, classes.palette, strict=True)
    ]
    handles.append(Patch(facecolor=EXCLUDED_COLOR, edgecolor="#555555", label=tr("Excluded")))
    if study.zones is not None:
        handles.append(Patch(facecolor="#5e3c99", alpha=0.5, label=tr("Industrial zone")))
        zone_labels = _draw_zones(ax, study)
    if allocation is not None and len(allocation.parcels):
        ranked.loc[allocation.parcels.index].boundary.plot(ax=ax, color="#000000", linewidth=0.9, zorder=6)
        handles.append(Patch(facecolor="none", edgecolor="#000000", label=tr("Reserved land")))
        handles += _draw_facility_land(ax, allocation, ranked.crs, tr)
    roles = context_layers(study)
    if roles["water"]:
        handles.append(Patch(facecolor="#a6cee3", edgecolor="#6fa8c9", label=tr("Water")))
    if roles["roads"]:
        handles.append(Line2D([], [], color="#8c8c8c", linewidth=1, label=tr("Roads")))
    if roles["boundaries"]:
        handles.append(
            Line2D([], [], color="#444444", linewidth=1, linestyle="-.", label=tr("Administrative boundary"))
        )
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    return handles, zone_labels


def _title_block(
    fig: Any, rect: tuple[float, float, float, float], study: Study, tr: Translator, *, date: str, crs: str
) -> None:
    """Scenario, date, CRS and data sources in the top of the right panel, wrapped to its width."""
    import textwrap

    from landplan.outputs.escape import mpl_text

    ax = fig.add_axes(rect)
    ax.set_axis_off()
    s = study.scenario
    sources = ", ".join(
        name if str(s.layer_path(name)).startswith(("postgresql:", "PG:")) else Path(str(s.layer_path(name))).name
        for name, _ in s.layers.items()
    )
    width_pt = rect[2] * fig.get_figwidth() * 72
    y = 1.0
    for text, size, weight in (
        (s.scenario.title_in(tr.lang), 11.0, "bold"),
        (f"{tr('Date')}: {date}", 7.5, "normal"),
        (f"{tr('Coordinate reference system')}: {crs}", 7.5, "normal"),
        (f"{tr('Data sources')}: {sources}", 7.0, "normal"),
    ):
        wrapped = textwrap.fill(text, width=max(20, int(width_pt / (0.55 * size))))
        ax.text(
            0.0, y, mpl_text(wrapped), fontsize=size, fontweight=weight, va="top", ha="left", transform=ax.transAxes
        )
        y -= (wrapped.count("\n") + 1) * size * 1.35 / (rect[3] * fig.get_figheight() * 72) + 0.04


def _today() -> str:
    """Today's date, or the date of ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    import datetime as dt
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    return dt.datetime.now(tz=dt.UTC).date().isoformat()


def _side_panel(fig: Any, px: float, panel: float, handles: list[Any], tr: Translator, *, n_ranks: int) -> None:
    """Legend, north arrow and the notes at the foot of the right panel."""
    legend_ax = fig.add_axes((px, 0.18, panel, 0.52))
    legend_ax.set_axis_off()
    legend_ax.legend(
        handles=handles,
        loc="upper left",
        fontsize=7.5,
        frameon=False,
        title=tr("Legend"),
        title_fontsize=8.5,
        alignment="left",
    )
    arrow_ax = fig.add_axes((px, 0.06, 0.05, 0.1))
    arrow_ax.set_axis_off()
    arrow_ax.annotate(
        tr("N"),
        xy=(0.5, 0.95),
        xytext=(0.5, 0.25),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5},
    )
    fig.text(
        px + 0.07,
        0.08,
        tr("Ranks of the {n} best parcels; labels that would overlap are left out.", n=n_ranks)
        + "\n"
        + tr(
            "Made with landplan. Map data: the scenario's layers; © OpenStreetMap contributors where OSM data appear."
        ),
        fontsize=6,
        color="#555555",
        va="bottom",
        wrap=True,
    )


def print_map(
    study: Study,
    scores: Scores,
    *,
    ranked: gpd.GeoDataFrame | None = None,
    allocation: Allocation | None = None,
    paper: str = "A3",
    classification: str = "quantiles",
    top: int = 20,
    lang: str = "en",
    date: str | None = None,
) -> Any:
    """Lay out a print map on an A4 or A3 landscape page; returns the matplotlib Figure.

    Parameters
    ----------
    study : Study
        The loaded study (context layers, zones, scenario name, CRS).
    scores : Scores
        Its scores.
    ranked : geopandas.GeoDataFrame, optional
        The wide ranking when already made (made here otherwise).
    allocation : Allocation, optional
        Reserved land, outlined in black.
    paper : {"A3", "A4"}, default "A3"
        Paper size (landscape).
    classification : str, default "quantiles"
        Score classes (as on the web map).
    top : int, default 20
        Best parcels labelled with their rank (labels that would overlap are left out, best first).
    lang : {"en", "vi"}, default "en"
        Language of every word on the page.
    date : str, optional
        Date printed in the title block (ISO format). Default: the ``SOURCE_DATE_EPOCH``
        environment variable when set (reproducible builds), else today.

    Returns
    -------
    matplotlib.figure.Figure
        The page on an Agg canvas, ``PAPER_MM[paper]`` in size.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib_scalebar.scalebar import ScaleBar

    from landplan.errors import InputError
    from landplan.io.tables import crs_label
    from landplan.outputs.i18n import translator
    from landplan.outputs.tables import ranked_table

    if paper not in PAPER_MM:
        raise InputError(f"paper {paper!r} is not available; use one of: {', '.join(PAPER_MM)}")
    tr = translator(lang)
    ranked = ranked if ranked is not None else ranked_table(study, scores)
    w_mm, h_mm = PAPER_MM[paper]
    fig = Figure(figsize=(w_mm * _MM, h_mm * _MM), dpi=150)
    FigureCanvasAgg(fig)
    m = 10 / w_mm, 10 / h_mm  # 10 mm margins
    panel = 0.24
    ax = fig.add_axes((m[0], m[1] + 0.04, 1 - panel - 2.5 * m[0], 1 - 2 * m[1] - 0.04))
    handles, zone_labels = _draw_map(ax, study, ranked, allocation, classification=classification, tr=tr)
    best = ranked.loc[scores.top(top)]
    pts = best.geometry.representative_point()
    place_labels(ax, np.column_stack([pts.x, pts.y]), [str(int(r)) for r in best["rank"]], avoid=zone_labels)
    ax.add_artist(ScaleBar(1.0, units="m", location="lower left", box_alpha=0.85, length_fraction=0.2))
    px = 1 - panel - m[0]
    _title_block(fig, (px, 0.72, panel, 0.26), study, tr, date=date or _today(), crs=crs_label(study.crs))
    _side_panel(fig, px, panel, handles, tr, n_ranks=len(best))
    return fig


def save_print_map(study: Study, scores: Scores, path: str | Path, **options: Any) -> Path:
    """Lay out and write the print map atomically (``.pdf`` or ``.png`` from the suffix).

    Parameters
    ----------
    study : Study
        The loaded study.
    scores : Scores
        Its scores.
    path : str or pathlib.Path
        Target file: ``.pdf`` (vector) or ``.png`` (300 dpi).
    **options
        Passed to :func:`print_map`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from landplan.errors import InputError
    from landplan.io import atomic_path

    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in {"pdf", "png"}:
        raise InputError(f"{target}: a print map is written as .pdf or .png (got {target.suffix or 'no suffix'!r})")
    fig = print_map(study, scores, **options)
    import matplotlib as mpl

    metadata: dict[str, Any] = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
    # TrueType fonts in the PDF: Vietnamese text stays text (searchable, copyable), not drawn glyphs
    with atomic_path(target) as tmp, mpl.rc_context({"pdf.fonttype": 42}):
        fig.savefig(tmp, format=fmt, dpi=300 if fmt == "png" else 150, metadata=metadata)
    return target
