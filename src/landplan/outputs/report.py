"""One-file HTML report of a run.

Inputs, validation, weights, value functions, the top parcels with their score cards, zone demand
and allocation, sensitivity, the map and the manifest.

Everything is inline (SVG charts, a PNG map, the interactive offline map in an ``iframe srcdoc``),
so the file can be mailed or archived and printed to PDF from a browser.

Data text is never template source: the template is a constant file of this package
(``templates/report.html.j2``, read with :mod:`importlib.resources`), and every value it prints
passes through one choke point, the environment's ``finalize`` hook, which applies
:func:`landplan.outputs.escape.html_text` (HTML-escaped, ``{`` ``}`` ``%`` as entities). The only values
printed as markup are landplan's own: the SVG charts (matplotlib escapes their text; their comments,
which repeat it, are removed) and the zone table, built from cells escaped the same way. Text from
data drawn by matplotlib goes through :func:`landplan.outputs.escape.mpl_text`. Charts are drawn on explicit
Agg canvases, never through pyplot, so a notebook's matplotlib backend is left alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd

    from landplan.model import Allocation, Scores, Sites, Study
    from landplan.outputs.i18n import Translator
    from landplan.scoring.sensitivity import SensitivityResult

__all__ = ["render_report", "template_source", "write_report", "write_report_pdf"]

#: the report template, a file of this package (read with importlib.resources)
TEMPLATE = "report.html.j2"
#: above this many parcels the report embeds only the static map (and the top-N table), not the
#: interactive one: a million parcels inline would make a report of hundreds of MB (issue 15)
REPORT_MAP_MAX_PARCELS = 50_000


def template_source() -> str:
    """The report's Jinja2 template, read from the installed package (``templates/report.html.j2``).

    Returns
    -------
    str
        The template text.
    """
    from importlib.resources import files

    return files("landplan.outputs").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")


def _finalize(value: Any) -> Any:
    """The report's choke point: every printed value, escaped (markup marked safe by landplan passes)."""
    from markupsafe import Markup

    from landplan.outputs.escape import html_text

    if isinstance(value, Markup):
        return value
    return Markup(html_text("" if value is None else value))


def _frame_html(frame: Any, *, css: str) -> str:
    """A table as HTML; every cell and label escaped by the choke point, floats as ``1,234.5``."""
    import pandas as pd

    from landplan.outputs.escape import html_array

    cells = pd.DataFrame(index=html_array(frame.index.to_series()))
    cells.index.name = _html_or_none(frame.index.name)
    for c in frame.columns:
        v = frame[c]
        digits = ",.2f" if c == "over_reservation" else ",.1f"
        text = v.map(lambda x, d=digits: format(x, d)) if pd.api.types.is_float_dtype(v) else v
        cells[_html_or_none(c)] = html_array(text)
    return cells.to_html(escape=False, classes=css, border=0)


def _allocation_notes(allocation: Allocation, tr: Translator) -> list[str]:
    """How land was allocated (area or whole parcels), and the allocation's warnings, as text."""
    unit = allocation.info.get("unit", "whole")
    if unit == "area":
        first = tr(
            "Land is reserved by area: each zone gets only the land its units need, in pieces of at least "
            "{ha} ha; a large parcel may serve several zones.",
            ha=tr.number(allocation.info.get("min_reserve_ha") or 0, decimals=2),
        )
    else:
        first = tr("Whole parcels are reserved: a parcel goes whole to one zone, even when the zone needs less of it.")
    notes = [first]
    if allocation.phases is not None:
        notes.append(tr("Phases are allocated in time order; land reserved in an earlier phase stays reserved."))
    return notes + [tr("Warning: {text}", text=w) for w in allocation.info.get("warnings", [])]


def _html_or_none(value: object) -> str | None:
    """:func:`landplan.outputs.escape.html_text` of a value, None kept."""
    from landplan.outputs.escape import html_text

    return None if value is None else html_text(value)


def _cards(
    study: Study,
    scores: Scores,
    top: int,
    tr: Translator,
    sites: Sites | None = None,
    *,
    allocation: Allocation | None = None,
) -> list[dict[str, Any]]:
    """Score cards of the ``top`` best parcels (``scores.top(top)``) as table markup."""
    from markupsafe import Markup

    from landplan.outputs.report_tables import card_tables, parcel_names
    from landplan.outputs.scorecard import explain
    from landplan.outputs.site_needs import site_needs_table
    from landplan.outputs.wording import criterion_title, drivers_text

    names = parcel_names(study)
    labels = {c.name: criterion_title(c, tr) for c in study.scenario.criteria}
    ids = scores.top(top)
    drivers = dict(
        zip(ids, drivers_text(scores, ids, labels, tr, top=study.scenario.scenario.top_drivers), strict=True)
    )
    cards = []
    for pid in ids:
        card = explain(study, scores, pid, sites=sites, lang=tr.lang)
        criteria_html, constraints_html = card_tables(card, tr)
        cards.append(
            {
                "rank": int(scores.rank[pid]),
                "parcel_id": pid,
                "name": None if names is None or names.get(pid) is None else str(names[pid]),
                "score_text": tr.number(float(scores.score[pid]), decimals=3),
                "top_drivers": drivers[pid],
                "criteria_html": Markup(criteria_html),
                "constraints_html": Markup(constraints_html),
                "members": ", ".join(card.members or []),
                "needs_html": Markup(site_needs_table(allocation.facilities if allocation else None, pid, tr)),
            }
        )
    return cards


def _sensitivity(sensitivity: SensitivityResult | None, tr: Translator) -> dict[str, Any]:
    """Template values of the sensitivity section (empty when there is none)."""
    from landplan.outputs.charts import plot_rank_intervals, png_data_uri

    if sensitivity is None:
        return {"sensitivity": None, "sensitivity_summary": "", "sensitivity_png": ""}
    s = sensitivity.summary
    summary = tr(
        "{runs} Monte-Carlo draws of the weights (seed {seed}): on average {mean} of the top {k} stay in the top {k}"
        " (at least {min}); {robust} of the top {k} stay in it in 90 % of the draws.",
        runs=tr.number(s.get("runs", 0)),
        seed=s.get("seed", ""),
        k=sensitivity.top_k,
        mean=tr.percent(float(s.get("mean_top_k_overlap", float("nan")))),
        min=tr.percent(float(s.get("min_top_k_overlap", float("nan")))),
        robust=tr.percent(float(s.get("share_of_top_k_robust_90", float("nan")))),
    )
    return {
        "sensitivity": sensitivity,
        "sensitivity_summary": summary,
        "sensitivity_png": png_data_uri(plot_rank_intervals(sensitivity, lang=tr.lang)),
    }


def _allocation_line(allocation: Allocation, tr: Translator) -> str:
    """The allocation in one translated sentence."""
    z = allocation.zones
    gap = "—" if allocation.gap is None else tr.percent(allocation.gap, decimals=2)
    return tr(
        "{parcels} parcels reserved, {land} ha; {allocated} of {demand} dwelling units allocated, {unmet} unmet"
        " (solver {method}: {status}, gap {gap}).",
        parcels=tr.number(len(allocation.parcels)),
        land=tr.number(float(allocation.parcels["area_ha"].sum()), decimals=1),
        allocated=tr.number(float(z["allocated_units"].sum())),
        demand=tr.number(float(z["demand_units"].sum())),
        unmet=tr.number(float(z["unmet_units"].sum())),
        method={"milp": "MILP (HiGHS)", "greedy": tr("greedy heuristic")}.get(allocation.method, allocation.method),
        status=tr.text(allocation.status),
        gap=gap,
    )


def _names(tr: Translator) -> dict[str, str]:
    """Translated names of the aggregation and weighting methods."""
    return {
        "weighted_sum": tr("weighted sum"),
        "weighted_product": tr("weighted product"),
        "topsis": "TOPSIS",
        "direct": tr("direct weights"),
        "ahp": "AHP",
        "rank_order_centroid": tr("rank order centroid"),
        "rank_sum": tr("rank sum"),
    }


def _maps(
    study: Study,
    scores: Scores,
    ranked: gpd.GeoDataFrame,
    allocation: Allocation | None,
    map_page: str | None,
    *,
    interactive_map: bool,
) -> dict[str, str]:
    """The static map as a PNG data URI and the offline interactive page ('' when not embedded)."""
    from landplan.outputs.charts import png_data_uri
    from landplan.outputs.print_map import print_map
    from landplan.outputs.webmap import map_html, scenario_map

    classification = study.scenario.output.classification
    out = study.scenario.output
    fig = print_map(
        study,
        scores,
        ranked=ranked,
        allocation=allocation,
        paper="A4",
        classification=classification,
        top=out.top,
        lang=out.language,
    )
    interactive = ""
    if interactive_map:
        interactive = map_page or map_html(
            scenario_map(
                study, scores, ranked=ranked, allocation=allocation, offline=True, classification=classification
            ),
            offline=True,
        )
    return {"map_png": png_data_uri(fig), "map_html": interactive}


def _is_demo(info: dict[str, Any]) -> bool:
    """Whether the run reads the bundled demo data (the 'illustrative data' notice is shown only then)."""
    from landplan import datasets
    from landplan.errors import LandplanError

    try:
        demo = datasets.data_dir().resolve()
    except LandplanError:
        return False
    paths = [Path(str(i.get("path", ""))) for i in info.get("inputs", [])]
    return any(p.is_absolute() and p.resolve().is_relative_to(demo) for p in paths)


def _toc(tr: Translator, *, allocation: bool, sensitivity: bool, facilities: bool = False) -> list[tuple[str, str]]:
    """Anchors and titles of the report's sections, in order."""
    entries = [("summary", tr("Summary"))]
    if allocation:
        entries += [("reserved", tr("Reserved land")), ("zones", tr("Zone demand and allocation"))]
        if facilities:
            entries.append(("facilities", tr("What each site needs built")))
    entries += [
        ("top", tr("Top parcels")),
        ("criteria", tr("Criteria, weights and value functions")),
        ("constraints", tr("Constraints")),
        ("norms", tr("Norms used")),
    ]
    if sensitivity:
        entries.append(("sensitivity", tr("Sensitivity of the ranking to the weights")))
    entries += [
        ("map", tr("Map")),
        ("inputs", tr("Inputs")),
        ("validation", tr("Validation")),
        ("manifest", tr("Run manifest")),
    ]
    return entries


def _context(study: Study, scores: Scores, allocation: Allocation | None, info: dict[str, Any]) -> dict[str, Any]:
    """Template values read from the study, scores and manifest (charts and tables included)."""
    from markupsafe import Markup

    from landplan.outputs.charts import plot_value_function, svg_markup
    from landplan.outputs.escape import mpl_text
    from landplan.outputs.i18n import finding_text, scenario_words, translator
    from landplan.outputs.report_tables import report_tables
    from landplan.outputs.scorecard import describe_constraint
    from landplan.outputs.wording import criterion_title, criterion_unit, net_lines

    s = study.scenario
    tr = translator(s.output.language, data=scenario_words(s, s.output.language))
    return {
        "s": s,
        "title": s.scenario.title_in(tr.lang),
        "description": s.scenario.description_in(tr.lang),
        "tr": tr,
        "lang": tr.lang,
        "num": lambda value, decimals=0: tr.number(float(value), decimals=decimals),
        "scores": scores,
        "ahp": scores.consistency,
        "manifest": info,
        "manifest_json": json.dumps(info, indent=2, ensure_ascii=False, default=str),
        "n_parcels": len(scores.score),
        "n_eligible": int(scores.eligible.sum()),
        "aggregation_name": _names(tr).get(s.aggregation.method, s.aggregation.method),
        "weighting_name": _names(tr).get(scores.weighting, scores.weighting),
        "allocation": allocation,
        "allocation_line": _allocation_line(allocation, tr) if allocation is not None else "",
        "is_demo": _is_demo(info),
        "findings": [
            {"css": {"warning": "warn"}.get(f.level, f.level), "text": finding_text(f, tr)}
            for f in study.report.findings
        ],
        "charts": [
            Markup(
                svg_markup(
                    plot_value_function(
                        c.value,
                        title=mpl_text(criterion_title(c, tr)),
                        unit=mpl_text(criterion_unit(c, tr)),
                        lang=tr.lang,
                    )
                )
            )
            for c in s.criteria
        ],
        "constraint_lines": [tr.text(describe_constraint(k, study, lang=tr.lang)) for k in s.constraints]
        + net_lines(study, scores, tr),
        **report_tables(study, scores, allocation, info, tr),
        "allocation_notes": _allocation_notes(allocation, tr) if allocation is not None else [],
        "phases_html": Markup(_frame_html(allocation.phases, css="zones"))
        if allocation is not None and allocation.phases is not None
        else "",
    }


def render_report(
    study: Study,
    scores: Scores,
    *,
    ranked: gpd.GeoDataFrame | None = None,
    allocation: Allocation | None = None,
    manifest: dict[str, Any] | None = None,
    sensitivity: SensitivityResult | None = None,
    top: int = 10,
    map_page: str | None = None,
    interactive_map: bool = True,
    sites: Sites | None = None,
    map_beside: str | None = None,
) -> str:
    """The report as one HTML string (see module docstring); the same inputs give the same bytes.

    Parameters
    ----------
    study : Study
        The loaded study.
    scores : Scores
        Its scores: weights used, values, reasons, ranks.
    ranked : geopandas.GeoDataFrame, optional
        The wide ranking when already made.
    allocation : Allocation, optional
        The allocation (zone table, reserved parcels on the maps).
    manifest : dict, optional
        The run manifest when already made (made here otherwise).
    sensitivity : SensitivityResult, optional
        Monte-Carlo rank stability, charted when given.
    top : int, default 10
        Score cards of the best ``top`` parcels.
    map_page : str, optional
        An offline HTML map page already rendered for this run (rendered here otherwise).
    interactive_map : bool, default True
        Embed the interactive map (never with more than ``REPORT_MAP_MAX_PARCELS`` parcels).
    sites : Sites, optional
        Sites assembled from parcels: score cards list each site's members.
    map_beside : str, optional
        File name of a map too large to embed (the tiled map), named in the map section.

    Returns
    -------
    str
        The HTML page.
    """
    import jinja2
    from markupsafe import Markup

    from landplan.outputs.manifest import manifest as make_manifest
    from landplan.outputs.report_tables import top_table
    from landplan.outputs.tables import ranked_table

    too_large = interactive_map and not map_beside and len(study.parcels) > REPORT_MAP_MAX_PARCELS
    ranked = ranked if ranked is not None else ranked_table(study, scores)
    info = manifest if manifest is not None else make_manifest(study, scores, allocation=allocation)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=_finalize)
    context = _context(study, scores, allocation, info)
    tr = context["tr"]
    return env.from_string(template_source()).render(
        **context,
        toc=_toc(
            tr,
            allocation=allocation is not None,
            sensitivity=sensitivity is not None,
            facilities=allocation is not None and allocation.facilities is not None,
        ),
        cards=_cards(study, scores, top, tr, sites, allocation=allocation),
        top_html=Markup(top_table(study, scores, top, tr)),
        **_sensitivity(sensitivity, tr),
        **_maps(study, scores, ranked, allocation, map_page, interactive_map=interactive_map and not too_large),
        map_too_large=too_large,
        map_beside={"n": tr.number(len(ranked), decimals=0), "file": map_beside} if map_beside else None,
    )


def write_report(path: str | Path, study: Study, scores: Scores, **options: Any) -> Path:
    """Render the report and write it atomically.

    Parameters
    ----------
    path : str or pathlib.Path
        Target HTML file.
    study : Study
        The loaded study.
    scores : Scores
        Its scores.
    **options
        Passed to :func:`render_report`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from landplan.io import atomic_path

    text = render_report(study, scores, **options)
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def write_report_pdf(path: str | Path, study: Study, scores: Scores, **options: Any) -> Path:
    """Render the report as a paginated A4 PDF (WeasyPrint) and write it atomically.

    The PDF is the HTML report laid out by its print style sheet: margins, page numbers, the
    table of contents with page numbers, table headers repeated on each page; the interactive
    map is left out (the static map stays). Fonts are the system's DejaVu Sans, which has every
    Vietnamese glyph. The same inputs give the same bytes (no creation date is written).

    Parameters
    ----------
    path : str or pathlib.Path
        Target PDF file.
    study : Study
        The loaded study.
    scores : Scores
        Its scores.
    **options
        Passed to :func:`render_report` (``interactive_map`` is always False).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    import logging

    import weasyprint

    from landplan.io import atomic_path

    text = render_report(study, scores, **{**options, "interactive_map": False})
    for name in ("weasyprint", "fontTools"):  # layout chatter, not findings
        logging.getLogger(name).setLevel(logging.ERROR)
    target = Path(path)
    with atomic_path(target) as tmp:
        weasyprint.HTML(string=text).write_pdf(tmp)
    return target
