"""Two scenarios side by side: rank shifts, top-N overlap, Kendall's tau, eligibility and allocation changes.

:func:`compare` reads two computed runs (:class:`~landplan.model.Result`; nothing is recomputed) over the
same candidate parcels (matched by id) and returns a :class:`Comparison`; :func:`write_comparison` writes
its tables (CSV), a side-by-side map with the same class breaks for both (PNG) and one HTML page that
puts them together, in the scenario's language.

Kendall's tau-b is computed by :func:`scipy.stats.kendalltau` on the scores of the parcels eligible in
both runs; the top-N overlap is the share of scenario A's top N that is also in scenario B's top N.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from landplan.model import Result

__all__ = ["Comparison", "compare", "write_comparison"]

COMPARISON_FILES = {
    "parcels": "compare_parcels.csv",
    "zones": "compare_zones.csv",
    "map": "compare_map.png",
    "page": "compare.html",
}


@dataclass(frozen=True)
class Comparison:
    """What changed from scenario A to scenario B.

    Attributes
    ----------
    names : tuple of str
        The two scenarios' names.
    parcels : pandas.DataFrame
        Per parcel in both runs (index: parcel id): ``rank_a``, ``rank_b``, ``rank_shift`` (a - b:
        positive is better in B), ``score_a``, ``score_b``, ``eligible_a``, ``eligible_b``, ``change``
        (``entered``, ``left``, ``both``, ``neither``) and ``reason`` (what excludes it where it is not
        eligible). Sorted by rank in B, then id.
    zones : pandas.DataFrame
        Per zone, allocated units and reserved land in A and B and their differences (empty without
        allocations).
    summary : dict
        ``parcels``, ``only_a``, ``only_b`` (ids in one run only), ``top_n``, ``top_n_overlap``,
        ``kendall_tau``, ``kendall_p``, ``entered``, ``left``.
    """

    names: tuple[str, str]
    parcels: pd.DataFrame
    zones: pd.DataFrame
    summary: dict[str, Any]


def _parcel_table(a: Result, b: Result) -> tuple[pd.DataFrame, int, int]:
    ra, rb = a.ranked, b.ranked
    ids = ra.index.intersection(rb.index)
    ids = pd.Index(sorted(ids, key=str), name=ra.index.name)
    t = pd.DataFrame(index=ids)
    for side, r in (("a", ra), ("b", rb)):
        t[f"rank_{side}"] = r["rank"].reindex(ids).astype("Float64")
        t[f"score_{side}"] = r["score"].reindex(ids).astype("float64")
        t[f"eligible_{side}"] = r["eligible"].reindex(ids).astype(bool)
        t[f"excluded_by_{side}"] = r["excluded_by"].reindex(ids).astype("string").fillna("")
    t["rank_shift"] = t["rank_a"] - t["rank_b"]
    ea, eb = t["eligible_a"].to_numpy(), t["eligible_b"].to_numpy()
    t["change"] = np.select([ea & eb, ~ea & eb, ea & ~eb], ["both", "entered", "left"], "neither")
    t["reason"] = np.where(ea & ~eb, t["excluded_by_b"], np.where(~ea & eb, t["excluded_by_a"], ""))
    t = t.drop(columns=["excluded_by_a", "excluded_by_b"])
    order = t.assign(_r=t["rank_b"].fillna(np.inf).astype(float), _id=t.index.astype(str)).sort_values(
        ["_r", "_id"], kind="stable"
    )
    cols = ["rank_a", "rank_b", "rank_shift", "score_a", "score_b", "eligible_a", "eligible_b", "change", "reason"]
    return t.loc[order.index, cols], len(ra.index.difference(rb.index)), len(rb.index.difference(ra.index))


def _zone_table(a: Result, b: Result) -> pd.DataFrame:
    if a.allocation is None or b.allocation is None:
        return pd.DataFrame()
    za, zb = a.allocation.zones, b.allocation.zones
    ids = za.index.union(zb.index)
    t = pd.DataFrame(index=ids)
    for col in ("allocated_units", "land_ha"):
        if col in za and col in zb:
            t[f"{col}_a"] = za[col].reindex(ids).astype(float)
            t[f"{col}_b"] = zb[col].reindex(ids).astype(float)
            t[f"{col}_change"] = t[f"{col}_b"] - t[f"{col}_a"]
    return t


def compare(a: Result, b: Result, *, top_n: int = 20) -> Comparison:
    """Compare two computed runs over the same candidate parcels.

    Parameters
    ----------
    a, b : Result
        The two runs (:func:`landplan.compute`); parcels are matched by id.
    top_n : int, default 20
        Size of the top list whose overlap is measured.

    Returns
    -------
    Comparison
        Per-parcel changes, per-zone allocation changes and the summary figures.

    Raises
    ------
    InputError
        If the two runs share no parcel id.
    """
    from scipy.stats import kendalltau

    from landplan._numbers import check_number
    from landplan.errors import InputError

    top_n = int(check_number(top_n, "top_n", ge=1))
    parcels, only_a, only_b = _parcel_table(a, b)
    if parcels.empty:
        raise InputError("the two scenarios share no parcel id: compare runs over the same candidate parcels")
    both = parcels[parcels["change"] == "both"]
    tau, p = (np.nan, np.nan)
    if len(both) >= 2:
        res = kendalltau(both["score_a"].to_numpy(), both["score_b"].to_numpy())
        tau, p = float(res.statistic), float(res.pvalue)
    top_a, top_b = set(a.scores.top(top_n)), set(b.scores.top(top_n))
    summary = {
        "parcels": len(parcels),
        "only_a": only_a,
        "only_b": only_b,
        "top_n": top_n,
        "top_n_overlap": len(top_a & top_b) / max(1, len(top_a)),
        "kendall_tau": tau,
        "kendall_p": p,
        "entered": int((parcels["change"] == "entered").sum()),
        "left": int((parcels["change"] == "left").sum()),
    }
    names = (a.study.scenario.scenario.name, b.study.scenario.scenario.name)
    return Comparison(names=names, parcels=parcels, zones=_zone_table(a, b), summary=summary)


def _shared_breaks(a: Result, b: Result) -> np.ndarray:
    """Class breaks for both maps: the scenario's fixed ``breaks``, else classes of both runs' eligible scores."""
    from landplan.outputs.style import classify

    fixed = a.study.scenario.output.breaks
    if fixed:
        return np.asarray(fixed, dtype="float64")
    scores = pd.concat([a.ranked.loc[a.ranked["eligible"], "score"], b.ranked.loc[b.ranked["eligible"], "score"]])
    return classify(scores, scheme=a.study.scenario.output.classification, k=5)


def side_by_side(a: Result, b: Result, *, lang: str = "en") -> Any:
    """Both rankings on two panels with the same class breaks and the same extent (matplotlib Figure).

    Parameters
    ----------
    a, b : Result
        The two runs.
    lang : {"en", "vi"}, default "en"
        Language of the legend.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels on an Agg canvas.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from landplan.outputs.escape import mpl_text
    from landplan.outputs.i18n import translator
    from landplan.outputs.style import EXCLUDED_COLOR, score_classes

    tr = translator(lang)
    bins = _shared_breaks(a, b)
    fig = Figure(figsize=(14, 7), dpi=110)
    FigureCanvasAgg(fig)
    bounds = np.vstack([a.ranked.total_bounds, b.ranked.total_bounds])
    extent = (*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
    for i, r in enumerate((a, b)):
        ax = fig.add_subplot(1, 2, i + 1)
        classes = score_classes(
            r.ranked["score"].to_numpy(dtype="float64"), r.ranked["eligible"].to_numpy(dtype=bool), breaks=bins
        )
        r.ranked.plot(ax=ax, color=list(classes.colors), linewidth=0.1, edgecolor="#666666")
        if r.study.zones is not None:
            r.study.zones.plot(ax=ax, facecolor="#5e3c99", alpha=0.5, edgecolor="#3f2868", linewidth=0.6)
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
        ax.set_axis_off()
        ax.set_title(mpl_text(r.study.scenario.scenario.title_in(tr.lang)), fontsize=10)
    handles = [
        Patch(facecolor=c, label=f"{tr('Score')} ≤ {tr.number(hi, decimals=2)}")
        for c, hi in zip(classes.palette, bins, strict=True)
    ]
    handles.append(Patch(facecolor=EXCLUDED_COLOR, label=tr("Excluded")))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    return fig


def _page(c: Comparison, map_uri: str, lang: str) -> str:
    """The comparison as one HTML page: summary, zones, parcels that changed; every text escaped."""
    from landplan.outputs.escape import html_text
    from landplan.outputs.html_tables import Column, html_table
    from landplan.outputs.i18n import translator

    tr = translator(lang)
    s = c.summary
    facts = [
        (tr("Parcels in both scenarios"), tr.number(s["parcels"])),
        (tr("Parcels in one scenario only"), tr.number(s["only_a"] + s["only_b"])),
        (tr("Top {n} overlap", n=s["top_n"]), tr.percent(s["top_n_overlap"])),
        (tr("Kendall's tau (scores of parcels eligible in both)"), tr.number(s["kendall_tau"], decimals=3)),
        (tr("Parcels entering eligibility"), tr.number(s["entered"])),
        (tr("Parcels leaving eligibility"), tr.number(s["left"])),
    ]
    facts_html = "".join(f"<tr><th>{html_text(k)}</th><td class=num>{html_text(v)}</td></tr>" for k, v in facts)
    changed = c.parcels[(c.parcels["change"].isin(["entered", "left"])) | (c.parcels["rank_shift"].abs() > 0)]
    parcel_cols = [
        Column("index", tr("Parcel")),
        Column("rank_a", "A: " + tr("Rank"), "int"),
        Column("rank_b", "B: " + tr("Rank"), "int"),
        Column("rank_shift", tr("Rank shift"), "int"),
        Column("score_a", "A: " + tr("Score"), "float", 3),
        Column("score_b", "B: " + tr("Score"), "float", 3),
        Column("change", tr("Eligibility")),
        Column("reason", tr("Reason")),
    ]
    changed = changed.assign(change=changed["change"].map(_change_names(tr)))
    zone_cols = [
        Column("index", tr("Zone id")),
        Column("allocated_units_a", "A: " + tr("Units allocated"), "int"),
        Column("allocated_units_b", "B: " + tr("Units allocated"), "int"),
        Column("allocated_units_change", tr("Change in units"), "int"),
        Column("land_ha_a", "A: " + tr("Land reserved (ha)"), "float", 2),
        Column("land_ha_b", "B: " + tr("Land reserved (ha)"), "float", 2),
        Column("land_ha_change", tr("Change in land (ha)"), "float", 2),
    ]
    title = tr("Scenario comparison")
    parts = [
        f'<!DOCTYPE html><html lang="{html_text(lang)}"><head><meta charset="utf-8"><title>{html_text(title)}</title>',
        "<style>body{font:14px/1.45 'DejaVu Sans',system-ui,sans-serif;margin:2em auto;max-width:1200px}"
        "table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}"
        "td.num{text-align:right}img{max-width:100%}</style></head><body>",
        f"<h1>{html_text(title)}</h1><p>A: {html_text(c.names[0])}<br>B: {html_text(c.names[1])}</p>",
        f"<table>{facts_html}</table>",
        f"<h2>{html_text(tr('Map'))}</h2><img alt='{html_text(tr('Map'))}' src='{map_uri}'>",
    ]
    if not c.zones.empty:
        parts.append(f"<h2>{html_text(tr('Allocation by zone'))}</h2>{html_table(c.zones, zone_cols, tr)}")
    parts.append(f"<h2>{html_text(tr('Parcels that changed'))}</h2>{html_table(changed, parcel_cols, tr)}")
    parts.append("</body></html>")
    return "".join(parts)


def _change_names(tr: Any) -> dict[str, str]:
    return {
        "entered": tr("entered (eligible in B only)"),
        "left": tr("left (eligible in A only)"),
        "both": tr("eligible in both"),
        "neither": tr("excluded in both"),
    }


def write_comparison(
    a: Result, b: Result, out_dir: str | Path, *, top_n: int = 20, overwrite: bool = False
) -> dict[str, Path]:
    """Compare two runs and write the tables, the side-by-side map and the page into a folder.

    Parameters
    ----------
    a, b : Result
        The two runs.
    out_dir : str or pathlib.Path
        Output folder (created when missing).
    top_n : int, default 20
        Size of the top list compared.
    overwrite : bool, default False
        Replace existing files.

    Returns
    -------
    dict of str to pathlib.Path
        The files written, by key (``parcels``, ``zones``, ``map``, ``page``).
    """
    import base64
    import io

    from landplan.io import atomic_path, check_output_path, write_csv

    folder = Path(out_dir)
    targets = {key: folder / name for key, name in COMPARISON_FILES.items()}
    for path in targets.values():
        check_output_path(path, overwrite=overwrite)
    c = compare(a, b, top_n=top_n)
    lang = a.study.scenario.output.language
    folder.mkdir(parents=True, exist_ok=True)
    png = io.BytesIO()
    side_by_side(a, b, lang=lang).savefig(png, format="png", metadata={"Software": None})
    with atomic_path(targets["parcels"]) as tmp:
        write_csv(c.parcels.reset_index(), tmp, index=False)
    with atomic_path(targets["zones"]) as tmp:
        write_csv(c.zones.rename_axis("zone").reset_index(), tmp, index=False)
    with atomic_path(targets["map"]) as tmp:
        tmp.write_bytes(png.getvalue())
    uri = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")
    with atomic_path(targets["page"]) as tmp:
        tmp.write_text(_page(c, uri, lang), encoding="utf-8")
    return targets
