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

import base64
import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd

    from landplan.model import Allocation, Scores, Sites, Study
    from landplan.scoring.sensitivity import SensitivityResult

__all__ = ["render_report", "template_source", "write_report"]

#: the report template, a file of this package (read with importlib.resources)
TEMPLATE = "report.html.j2"


_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def template_source() -> str:
    """The report's Jinja2 template, read from the installed package (``templates/report.html.j2``).

    Returns
    -------
    str
        The template text.
    """
    from importlib.resources import files

    return files("landplan.outputs").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")


def _svg(fig: Any) -> str:
    """Inline SVG of a Figure, identical across runs, without the comments repeating each text.

    matplotlib dates each SVG and salts its element ids with a random uuid unless told otherwise.
    """
    import matplotlib as mpl

    buf = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": "landplan"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return _COMMENT.sub("", text[text.index("<svg") :])


def _png_data_uri(fig: Any, *, dpi: int = 110) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _finalize(value: Any) -> Any:
    """The report's choke point: every printed value, escaped (markup marked safe by landplan passes)."""
    from markupsafe import Markup

    from landplan.outputs.escape import html_text

    if isinstance(value, Markup):
        return value
    return Markup(html_text("" if value is None else value))


def _zones_table(allocation: Allocation) -> str:
    """Zone demand and allocation as an HTML table; every cell escaped by the choke point."""
    import pandas as pd

    from landplan.outputs.escape import html_array

    cols = [
        c
        for c in (
            "name",
            "workers",
            "existing_units",
            "demand_units",
            "allocated_units",
            "unmet_units",
            "unmet_share",
            "mean_commute_m",
            "max_commute_m",
            "land_ha",
            "sites",
        )
        if c in allocation.zones
    ]
    zones = allocation.zones[cols]
    cells = pd.DataFrame(index=html_array(zones.index.to_series()))
    cells.index.name = _html_or_none(zones.index.name)
    for c in cols:
        v = zones[c]
        text = v.map(lambda x: f"{x:,.1f}") if pd.api.types.is_float_dtype(v) else v
        cells[c] = html_array(text)
    return cells.to_html(escape=False, classes="zones", border=0)


def _html_or_none(value: object) -> str | None:
    """:func:`landplan.outputs.escape.html_text` of a value, None kept."""
    from landplan.outputs.escape import html_text

    return None if value is None else html_text(value)


def _cards(study: Study, scores: Scores, top: int, sites: Sites | None = None) -> list[dict[str, Any]]:
    """Table rows and score-card text of the ``top`` best parcels (``scores.top(top)``)."""
    from landplan.model import ha
    from landplan.outputs.scorecard import explain

    return [
        {
            "rank": int(scores.rank[pid]),
            "parcel_id": pid,
            "score": float(scores.score[pid]),
            "area_ha": float(ha(study.parcels.geometry[pid].area)),
            "top_drivers": scores.top_drivers[pid],
            "text": explain(study, scores, pid, sites=sites).to_text(),
        }
        for pid in scores.top(top)
    ]


def _sensitivity(sensitivity: SensitivityResult | None) -> dict[str, Any]:
    """Template values of the sensitivity section (empty when there is none)."""
    from landplan.outputs.charts import plot_rank_intervals

    if sensitivity is None:
        return {"sensitivity": None, "sensitivity_summary": "", "sensitivity_png": ""}
    summary = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in sensitivity.summary.items())
    return {
        "sensitivity": sensitivity,
        "sensitivity_summary": summary,
        "sensitivity_png": _png_data_uri(plot_rank_intervals(sensitivity)),
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
    from landplan.outputs.static_map import static_map
    from landplan.outputs.webmap import map_html, scenario_map

    classification = study.scenario.output.classification
    fig = static_map(study, scores, ranked=ranked, classification=classification, allocation=allocation)
    interactive = ""
    if interactive_map:
        interactive = map_page or map_html(
            scenario_map(
                study, scores, ranked=ranked, allocation=allocation, offline=True, classification=classification
            ),
            offline=True,
        )
    return {"map_png": _png_data_uri(fig), "map_html": interactive}


def _context(study: Study, scores: Scores, allocation: Allocation | None, info: dict[str, Any]) -> dict[str, Any]:
    """Template values read from the study, scores and manifest (charts and tables included)."""
    from markupsafe import Markup

    from landplan.outputs.charts import plot_value_function
    from landplan.outputs.escape import mpl_text
    from landplan.outputs.scorecard import describe_constraint

    s = study.scenario
    return {
        "s": s,
        "scores": scores,
        "ahp": scores.consistency,
        "manifest": info,
        "manifest_json": json.dumps(info, indent=2, ensure_ascii=False, default=str),
        "n_parcels": len(scores.score),
        "n_eligible": int(scores.eligible.sum()),
        "allocation": allocation,
        "findings": [{"css": {"warning": "warn"}.get(f.level, f.level), "text": str(f)} for f in study.report.findings],
        "charts": [
            Markup(_svg(plot_value_function(c.value, title=mpl_text(c.title), unit=mpl_text(c.unit_label))))
            for c in s.criteria
        ],
        "constraint_lines": [describe_constraint(k, study) for k in s.constraints],
        "zones_html": Markup(_zones_table(allocation)) if allocation is not None else "",
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
        Embed the interactive map.
    sites : Sites, optional
        Sites assembled from parcels: score cards list each site's members.

    Returns
    -------
    str
        The HTML page.
    """
    import jinja2

    from landplan.outputs.manifest import manifest as make_manifest
    from landplan.outputs.tables import ranked_table

    ranked = ranked if ranked is not None else ranked_table(study, scores)
    info = manifest if manifest is not None else make_manifest(study, scores, allocation=allocation)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=_finalize)
    return env.from_string(template_source()).render(
        **_context(study, scores, allocation, info),
        cards=_cards(study, scores, top, sites),
        **_sensitivity(sensitivity),
        **_maps(study, scores, ranked, allocation, map_page, interactive_map=interactive_map),
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
