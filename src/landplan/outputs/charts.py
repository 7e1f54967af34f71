"""Charts for reports and notebooks: value functions and rank stability.

Every chart is drawn on an explicit Agg canvas (``matplotlib.figure.Figure`` +
``FigureCanvasAgg``), so pyplot's state and a notebook's backend are left alone, and text from
the data goes through :func:`~landplan.outputs.escape.mpl_text` (never parsed as mathtext).
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import numpy as np
import pandas as pd

from landplan.config import AnyValueSpec, CategoricalValue, StepValue
from landplan.outputs.escape import mpl_text
from landplan.scoring.sensitivity import SensitivityResult
from landplan.scoring.value import _x_range, from_spec

__all__ = ["plot_rank_intervals", "plot_value_function", "png_data_uri", "svg_markup"]

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def svg_markup(fig: Any) -> str:
    """Inline SVG of a Figure, identical across runs, without the comments repeating each text.

    matplotlib dates each SVG and salts its element ids with a random uuid unless told otherwise.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    """
    import matplotlib as mpl

    buf = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": "landplan"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return _COMMENT.sub("", text[text.index("<svg") :])


def png_data_uri(fig: Any, *, dpi: int = 110) -> str:
    """A Figure as a PNG ``data:`` URI, without the software stamp (identical across runs).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : int, default 110
        Resolution.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def plot_value_function(
    spec: AnyValueSpec, *, title: str = "", unit: str = "", ax: object | None = None, lang: str = "en"
) -> object:
    """Draw a value function as a small chart (matplotlib); returns the Figure.

    Save it with ``fig.savefig("chart.png")`` or ``"chart.svg"``. Categorical functions are
    drawn as bars.

    Parameters
    ----------
    spec : AnyValueSpec
        The value function of a criterion (maps raw values to 0..1).
    title : str, default ""
        Chart title; the function's name (``spec.function``) when empty.
    unit : str, default ""
        X-axis label (the raw value's unit, e.g. ``"m"``); ``"raw value"`` when empty. Not
        used for categorical functions.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new 3.6 x 2.4 inch figure (100 dpi) when ``None``.
    lang : {"en", "vi"}, default "en"
        Language of the axis labels.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure holding ``ax``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from landplan.outputs.i18n import translator

    tr = translator(lang)
    axes: Any
    fig: Any
    if ax is None:  # an explicit Agg canvas: pyplot state and the session's backend are left alone
        fig = Figure(figsize=(3.6, 2.4), dpi=100)
        FigureCanvasAgg(fig)
        axes = fig.add_subplot()
    else:
        axes = ax
        fig = axes.figure
    if isinstance(spec, CategoricalValue):
        axes.bar([mpl_text(k) for k in spec.values], list(spec.values.values()), color="#1a9641")
        axes.tick_params(axis="x", labelrotation=30, labelsize=7)
    else:
        lo, hi = _x_range(spec)
        x = pd.Series(np.linspace(lo, hi, 400))
        y = from_spec(spec)(x)
        axes.plot(x, y, color="#1a9641", drawstyle="steps-post" if isinstance(spec, StepValue) else "default")
        axes.set_xlabel(mpl_text(unit) if unit else tr("raw value"), fontsize=8)
    axes.set_ylim(-0.05, 1.05)
    axes.set_ylabel(tr("value (0..1)"), fontsize=8)
    axes.set_title(mpl_text(title) if title else spec.function, fontsize=9)
    axes.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_rank_intervals(result: SensitivityResult, *, n: int | None = None, lang: str = "en") -> Any:
    """Chart of the 5-95 % rank interval and median rank of the base top parcels (matplotlib Figure).

    Parameters
    ----------
    result : SensitivityResult
        Result of a weight sensitivity run; its ``parcels`` table gives the ranks.
    n : int, optional
        How many parcels to draw, best scenario rank first; ``result.top_k`` when ``None`` (or 0).
    lang : {"en", "vi"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (Agg canvas), one row per parcel, labelled with the parcel ids.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from landplan.outputs.i18n import translator

    tr = translator(lang)
    n = n or result.top_k
    top = result.parcels.sort_values("base_rank").head(n)
    # an explicit Agg canvas: pyplot state and the session's backend are left alone
    fig = Figure(figsize=(6, 0.25 * len(top) + 1.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    y = np.arange(len(top))[::-1]
    ax.hlines(y, top["rank_p05"], top["rank_p95"], color="#888888", linewidth=3)
    ax.plot(top["median_rank"], y, "o", color="#1a9641", label=tr("median rank"))
    ax.plot(top["base_rank"], y, "|", color="#d7191c", markersize=12, label=tr("scenario rank"))
    ax.set_yticks(y, [mpl_text(i) for i in top.index], fontsize=7)
    ax.set_xlabel(tr("rank (5–95 % interval over weight draws)"))
    ax.axvline(result.top_k + 0.5, color="#444444", linestyle=":", linewidth=1)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(
        tr("Rank stability: {runs} runs, top {k}", runs=result.summary.get("runs", ""), k=result.top_k), fontsize=9
    )
    fig.tight_layout()
    return fig
