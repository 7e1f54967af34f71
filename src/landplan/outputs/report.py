"""One-file HTML report of a run.

Inputs, validation, weights, value functions, the top parcels with their score cards, zone demand
and allocation, sensitivity, the map and the manifest.

Everything is inline (SVG charts, a PNG map, the interactive offline map in an ``iframe srcdoc``),
so the file can be mailed or archived and printed to PDF from a browser.

Data text is never template source: the template below is a constant, and every value it prints
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

    from landplan.model import Allocation, Scores, Study
    from landplan.scoring.sensitivity import SensitivityResult

__all__ = ["render_report", "write_report"]

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>landplan report: {{ s.scenario.name }}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #1a9641; padding-bottom: 2px; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 8px; } .charts div { width: 340px; }
.warn { color: #a60; } .error { color: #b00; } .muted { color: #666; font-size: 12px; }
.card { border: 1px solid #ddd; padding: 6px 10px; margin: 8px 0; break-inside: avoid; }
iframe { width: 100%; height: 640px; border: 1px solid #ccc; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 11px; }
@media print { iframe { display: none; } .page { break-before: page; } body { margin: 0; max-width: none; } }
</style></head><body>
<h1>{{ s.scenario.name }}</h1>
<p>{{ s.scenario.description }}</p>
<p class="muted">Scenario file {{ s.source }} · working CRS {{ manifest.working_crs }} · rule pack
{{ manifest.rule_pack.name }} · landplan {{ manifest.versions.landplan }}</p>

<h2>Summary</h2>
<ul>
<li>{{ n_parcels }} candidate parcels, {{ n_eligible }} eligible, {{ n_parcels - n_eligible }} excluded.</li>
<li>Aggregation: {{ s.aggregation.method.replace('_', ' ') }}; weighting: {{ scores.weighting.replace('_', ' ') }}.</li>
{% if allocation %}<li>Allocation: {{ allocation.summary() }}</li>{% endif %}
</ul>

<h2>Inputs</h2>
<table><tr><th>layer</th><th>path</th><th>features</th><th>sha256</th></tr>
{% for i in manifest.inputs %}<tr><td>{{ i.layer }}</td><td>{{ i.path }}</td><td class="num">{{ i.features }}</td>
<td><code>{{ i.sha256 or '' }}</code></td></tr>{% endfor %}</table>

<h2>Validation</h2>
{% if findings %}<ul>{% for f in findings %}<li class="{{ f.css }}">{{ f.text }}</li>{% endfor %}</ul>
{% else %}<p>No problem found in any layer.</p>{% endif %}

<h2>Criteria, weights and value functions</h2>
<table><tr><th>criterion</th><th>kind</th><th>layer / field</th><th>unit</th><th>weight</th></tr>
{% for c in s.criteria %}<tr><td>{{ c.title }}</td><td>{{ c.kind }}</td>
<td>{{ c.layer|default(none) or c.field|default(none) or c.raster|default(none) or '' }}</td>
<td>{{ c.unit_label }}</td><td class="num">{{ '%.3f' % scores.weights[c.name] }}</td></tr>{% endfor %}</table>
<p class="muted">Weights as used by the scoring (normalised to sum 1).</p>
{% if ahp %}<p>AHP: λmax = {{ '%.4f' % ahp.lambda_max }}, CI = {{ '%.4f' % ahp.ci }},
RI = {{ '%.2f' % ahp.ri }}, CR = {{ '%.4f' % ahp.cr }}
(limit {{ '%.2f' % ahp.max_cr }}).</p>{% endif %}
<div class="charts">{% for svg in charts %}<div>{{ svg | safe }}</div>{% endfor %}</div>

<h2>Constraints</h2>
<ul>{% for line in constraint_lines %}<li>{{ line }}</li>{% endfor %}</ul>

<h2 class="page">Top {{ cards | length }} parcels</h2>
<table><tr><th>rank</th><th>parcel</th><th>score</th><th>area (ha)</th><th>top drivers</th></tr>
{% for c in cards %}<tr><td class="num">{{ c.rank }}</td><td>{{ c.parcel_id }}</td>
<td class="num">{{ "%.3f" % c.score }}</td>
<td class="num">{{ '%.2f' % c.area_ha }}</td><td>{{ c.top_drivers }}</td></tr>{% endfor %}</table>
{% for c in cards %}<div class="card"><pre>{{ c.text }}</pre></div>{% endfor %}

{% if zones_html %}<h2 class="page">Zone demand and allocation</h2>{{ zones_html | safe }}{% endif %}
{% if sensitivity %}<h2>Sensitivity of the ranking to the weights</h2>
<p>{{ sensitivity_summary }}</p><img alt="rank intervals" src="{{ sensitivity_png }}" style="max-width:100%">{% endif %}

<h2 class="page">Map</h2>
<img alt="static map" src="{{ map_png }}" style="max-width:100%">
{% if map_html %}<p class="muted">Interactive map (offline, no network needed):</p>
<iframe title="interactive map" srcdoc="{{ map_html }}"></iframe>{% endif %}

<h2 class="page">Run manifest</h2><pre>{{ manifest_json }}</pre>
<p class="muted">Illustrative data must not be used for planning decisions; see the data README.
Map data credits: © OpenStreetMap contributors where OSM data or tiles appear.</p>
</body></html>
"""


_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _svg(fig: Any) -> str:
    """Inline SVG of a Figure, without the comments in which matplotlib repeats each text."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return _COMMENT.sub("", text[text.index("<svg") :])


def _png_data_uri(fig: Any, *, dpi: int = 110) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
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
) -> str:
    """The report as one HTML string (see module docstring).

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

    Returns
    -------
    str
        The HTML page.
    """
    import jinja2
    from markupsafe import Markup

    from landplan.model import ha
    from landplan.outputs.charts import plot_rank_intervals, plot_value_function
    from landplan.outputs.escape import mpl_text
    from landplan.outputs.manifest import manifest as make_manifest
    from landplan.outputs.scorecard import describe_constraint, explain
    from landplan.outputs.static_map import static_map
    from landplan.outputs.tables import ranked_table
    from landplan.outputs.webmap import map_html, scenario_map

    s = study.scenario
    ranked = ranked if ranked is not None else ranked_table(study, scores)
    info = manifest if manifest is not None else make_manifest(study, scores, allocation=allocation)
    charts = [
        Markup(_svg(plot_value_function(c.value, title=mpl_text(c.title), unit=mpl_text(c.unit_label))))
        for c in s.criteria
    ]
    cards = [
        {
            "rank": int(scores.rank[pid]),
            "parcel_id": pid,
            "score": float(scores.score[pid]),
            "area_ha": float(ha(study.parcels.geometry[pid].area)),
            "top_drivers": scores.top_drivers[pid],
            "text": explain(study, scores, pid).to_text(),
        }
        for pid in scores.top(top)  # the top N only
    ]
    zones_html = Markup(_zones_table(allocation)) if allocation is not None else ""
    fig = static_map(study, scores, ranked=ranked, classification=s.output.classification, allocation=allocation)
    interactive = ""
    if interactive_map:
        interactive = map_page or map_html(
            scenario_map(
                study,
                scores,
                ranked=ranked,
                allocation=allocation,
                offline=True,
                classification=s.output.classification,
            ),
            offline=True,
        )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=_finalize)
    return env.from_string(_TEMPLATE).render(
        s=s,
        scores=scores,
        ahp=scores.consistency,
        manifest=info,
        manifest_json=json.dumps(info, indent=2, ensure_ascii=False, default=str),
        n_parcels=len(scores.score),
        n_eligible=int(scores.eligible.sum()),
        allocation=allocation,
        findings=[{"css": {"warning": "warn"}.get(f.level, f.level), "text": str(f)} for f in study.report.findings],
        charts=charts,
        constraint_lines=[describe_constraint(k, study) for k in s.constraints],
        cards=cards,
        zones_html=zones_html,
        sensitivity=sensitivity,
        sensitivity_summary=(
            ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in sensitivity.summary.items())
            if sensitivity
            else ""
        ),
        sensitivity_png=_png_data_uri(plot_rank_intervals(sensitivity)) if sensitivity else "",
        map_png=_png_data_uri(fig),
        map_html=interactive,
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
