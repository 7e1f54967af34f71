"""The report's tables: formatted per language, every cell escaped, no NaN or None shown.

Each table is built from the typed run objects (``Study``, ``Scores``, ``Allocation``, the rule pack)
and rendered by :func:`landplan.outputs.html_tables.html_table`: headers through the translator,
numbers with the language's separators (``1.234,5`` in Vietnamese), shares as percentages,
missing values as an em dash, and every data text through
:func:`landplan.outputs.escape.html_text`. Columns that a run does not have (names, net area,
commute minutes, phases) are left out rather than shown empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from landplan.outputs.html_tables import Column, html_table
from landplan.outputs.site_needs import facility_kind_names

if TYPE_CHECKING:
    from landplan.config.rules import RulePack
    from landplan.model import Allocation, Scores, Study
    from landplan.outputs.i18n import Translator
    from landplan.outputs.scorecard import ScoreCard

__all__ = [
    "Column",
    "card_tables",
    "criteria_table",
    "html_table",
    "norm_rows",
    "report_tables",
    "reserved_table",
    "top_table",
    "zones_table",
]


def parcel_names(study: Study) -> pd.Series | None:
    """Display names of the parcels (their layer's ``name_field``), or None when not set.

    Parameters
    ----------
    study : Study
        The loaded study.

    Returns
    -------
    pandas.Series or None
        Names on the parcel index.
    """
    field = study.scenario.layers.parcels.name_field
    if field is None or field not in study.parcels:
        return None
    return study.parcels[field].astype("string")


def zones_table(allocation: Allocation, study: Study, tr: Translator) -> str:
    """Zone demand and allocation, one row per zone.

    Parameters
    ----------
    allocation : Allocation
        The allocation.
    study : Study
        The study (zone names).
    tr : Translator
        Language.

    Returns
    -------
    str
        Table markup.
    """
    zones = allocation.zones.copy()
    zones.insert(0, "zone_name", study.zone_names.reindex(zones.index))
    columns = [
        Column("index", tr("Zone id")),
        Column("zone_name", tr("Industrial zone")),
        Column("phase", tr("Phase")),
        Column("workers", tr("Workers"), "int"),
        Column("workers_estimated", tr("Workers estimated")),
        Column("existing_units", tr("Existing units"), "int"),
        Column("demand_units", tr("Units needed"), "int"),
        Column("allocated_units", tr("Units allocated"), "int"),
        Column("unmet_units", tr("Units unmet"), "int"),
        Column("unmet_share", tr("Unmet share"), "share"),
        Column("mean_commute_min", tr("Mean commute (min)"), "float"),
        Column("max_commute_min", tr("Longest commute (min)"), "float"),
        Column("mean_commute_m", tr("Mean commute (m)"), "int"),
        Column("max_commute_m", tr("Longest commute (m)"), "int"),
        Column("land_ha", tr("Land reserved (ha)"), "float", 2),
        Column("over_reservation", tr("Reserved / needed"), "float", 2),
        Column("sites", tr("Parcels or sites"), "int"),
    ]
    return html_table(zones, columns, tr, css="zones")


def reserved_table(allocation: Allocation, study: Study, tr: Translator) -> str:
    """The reserved parcels (or sites): id, name, area, zone, units and commute, by zone then id.

    Parameters
    ----------
    allocation : Allocation
        The allocation.
    study : Study
        The study (parcel and zone names).
    tr : Translator
        Language.

    Returns
    -------
    str
        Table markup.
    """
    parcels = allocation.parcels.copy()
    names = parcel_names(study)
    if names is not None:
        parcels.insert(0, "parcel_name", names.reindex(parcels.index))
    parcels["zone_name"] = parcels["zone"].map(study.zone_names)
    order = parcels.assign(_id=parcels.index.astype(str)).sort_values(["zone", "_id"], kind="stable").index
    columns = [
        Column("index", tr("Parcel")),
        Column("parcel_name", tr("Name")),
        Column("zone_name", tr("Industrial zone")),
        Column("phase", tr("Phase")),
        Column("net_area_ha", tr("Net area (ha)"), "float", 2),
        Column("area_ha", tr("Area (ha)"), "float", 2),
        Column("reserved_ha", tr("Reserved (ha)"), "float", 2),
        Column("units", tr("Units"), "int"),
        Column("commute_min", tr("Commute (min)"), "float"),
        Column("commute_m", tr("Commute (m)"), "int"),
        Column("score", tr("Score"), "float", 3),
    ]
    return html_table(parcels.loc[order], columns, tr, css="reserved")


def facilities_table(allocation: Allocation, tr: Translator, *, study: Study | None = None) -> str:
    """What each housing site needs built: totals by kind, then the sites' rows with something to build.

    Parameters
    ----------
    allocation : Allocation
        The allocation with its facility programme (``allocation.facilities``).
    tr : Translator
        Language.
    study : Study, optional
        The study: its rule pack's figures in words replace the English ``norm`` column.

    Returns
    -------
    str
        Table markup (empty when the allocation has no programme).
    """
    plan = allocation.facilities
    if plan is None:
        return ""
    numbers = ["needed", "absorbed", "to_build", "land_m2", "units_displaced"]
    unplaced = plan["placement"] == "unplaced"
    placed = plan.assign(land_m2=plan["land_m2"].where(~unplaced, 0.0), unplaced=unplaced.astype(int))
    totals = placed.groupby("kind", sort=True)[[*numbers, "unplaced"]].sum()
    cols = [
        Column("needed", tr("Needed"), "int"),
        Column("absorbed", tr("Absorbed by existing facilities"), "int"),
        Column("to_build", tr("To build"), "int"),
        Column("land_m2", tr("Land reserved (m²)"), "int"),
        Column("units_displaced", tr("Housing units displaced"), "int"),
    ]
    total_cols = [Column("index", tr("Facility kind")), *cols, Column("unplaced", tr("Unplaced (no land)"), "int")]
    words = facility_kind_names(tr)
    totals.index = totals.index.map(lambda k: words.get(str(k), str(k)))
    total_html = html_table(totals, total_cols, tr, css="facility-totals")
    rows = plan[plan["to_build"] > 0].copy()
    if study is not None:
        from landplan.outputs.wording import facility_norms

        norms = facility_norms(study, tr)
        rows["norm"] = [norms.get(str(k), tr.text(str(t))) for k, t in zip(rows["kind"], rows["norm"], strict=True)]
    for column in ("kind", "unit", "placement"):
        rows[column] = rows[column].map(lambda k: words.get(str(k), str(k)))
    site_cols = [
        Column("site", tr("Site")),
        Column("zone", tr("Industrial zone")),
        Column("kind", tr("Facility kind")),
        Column("unit", tr("Unit")),
        *cols[:4],
        Column("placement", tr("Where")),
        Column("host", tr("Parcel")),
        Column("norm", tr("Norm")),
    ]
    return total_html + html_table(rows, site_cols, tr, css="facilities")


def card_tables(card: ScoreCard, tr: Translator) -> tuple[str, str]:
    """A score card as two tables: its criteria and its constraints.

    Parameters
    ----------
    card : ScoreCard
        The parcel's score card.
    tr : Translator
        Language.

    Returns
    -------
    tuple of str
        Criteria table markup, constraints table markup ('' when the scenario has none).
    """
    criteria = card.criteria.copy()
    criteria["raw_text"] = [
        value if not isinstance(value, float) else tr.number(value, decimals=0 if abs(value) >= 1000 else 2)
        for value in criteria["raw"]
    ]
    criteria[["label", "unit"]] = criteria[["label", "unit"]].map(lambda t: tr.text(str(t)))
    columns = [
        Column("label", tr("Criterion")),
        Column("raw_text", tr("Measured")),
        Column("unit", tr("Unit")),
        Column("value", tr("Value (0–1)"), "float", 3),
        Column("weight", tr("Weight"), "float", 3),
        Column("contribution", tr("Contribution"), "float", 3),
    ]
    crit = html_table(criteria, columns, tr, css="card")
    if card.constraints.empty:
        return crit, ""
    cons = card.constraints.copy()
    cons["status"] = [tr("pass") if ok else tr("fail") for ok in cons["passed"]]
    cons[["rule", "reason"]] = cons[["rule", "reason"]].map(lambda t: tr.text(str(t)))
    cons_cols = [Column("rule", tr("Constraint")), Column("status", tr("Result")), Column("reason", tr("Reason"))]
    return crit, html_table(cons, cons_cols, tr, css="card")


def norm_rows(rules: RulePack, *, lang: str = "en") -> pd.DataFrame:
    """Every number of the rule pack with its table, citation and verified flag.

    Tables are the pack's fields that map names to cited values, so a table added to the pack
    appears here without a change.

    Parameters
    ----------
    rules : RulePack
        The rule pack used by the run.
    lang : str, default "en"
        Language of the citations: ``source_vi`` for ``vi`` where the pack gives it.

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``key``, ``value``, ``source``, ``verified``; sorted by table and key.
    """
    import pandas as pd

    from landplan.config.rules import RuleValue

    rows = []
    for table in sorted(type(rules).model_fields):
        entries = getattr(rules, table)
        if not isinstance(entries, dict):
            continue
        for key in sorted(entries):
            v = entries[key]
            nested = v.items() if isinstance(v, dict) else [("", v)]  # [facility.<kind>.<param>]
            for sub, w in sorted(nested):
                if isinstance(w, RuleValue):
                    name = f"{key}.{sub}" if sub else key
                    source = (w.source_vi or w.source) if lang == "vi" else w.source
                    rows.append(
                        {"table": table, "key": name, "value": w.value, "source": source, "verified": w.verified}
                    )
    return pd.DataFrame(rows, columns=["table", "key", "value", "source", "verified"])


def top_table(study: Study, scores: Scores, top: int, tr: Translator) -> str:
    """The ``top`` best parcels as a table: rank, id, name, score, area, drivers.

    Parameters
    ----------
    study : Study
        The loaded study (areas, names).
    scores : Scores
        Its scores.
    top : int
        How many parcels (``scores.top(top)``).
    tr : Translator
        Language.

    Returns
    -------
    str
        Table markup.
    """
    from landplan.model import ha
    from landplan.outputs.wording import criterion_title, drivers_text

    ids = scores.top(top)
    labels = {c.name: criterion_title(c, tr) for c in study.scenario.criteria}
    frame = pd.DataFrame(
        {
            "rank": scores.rank.reindex(ids).astype(float),
            "score": scores.score.reindex(ids),
            "area_ha": ha(study.parcels.geometry.reindex(ids).area),
            "top_drivers": drivers_text(scores, ids, labels, tr, top=study.scenario.scenario.top_drivers),
        },
        index=ids,
    )
    names = parcel_names(study)
    if names is not None:
        frame.insert(1, "name", names.reindex(ids))
    columns = [
        Column("rank", tr("Rank"), "int"),
        Column("index", tr("Parcel")),
        Column("name", tr("Name")),
        Column("score", tr("Score"), "float", 3),
        Column("area_ha", tr("Area (ha)"), "float", 2),
        Column("top_drivers", tr("Top drivers")),
    ]
    return html_table(frame, columns, tr)


def criteria_table(study: Study, scores: Scores, tr: Translator) -> str:
    """The criteria with their kind, source, unit and the weight the scoring used.

    Parameters
    ----------
    study : Study
        The loaded study (its scenario's criteria).
    scores : Scores
        Its scores (the weights used).
    tr : Translator
        Language.

    Returns
    -------
    str
        Table markup (class ``criteria``).
    """
    from landplan.outputs.wording import criterion_kind, criterion_title, criterion_unit

    s = study.scenario
    frame = pd.DataFrame(
        {
            "title": [criterion_title(c, tr) for c in s.criteria],
            "kind": [criterion_kind(c.kind, tr) for c in s.criteria],
            "source": [
                getattr(c, "layer", None) or getattr(c, "field", None) or getattr(c, "raster", None) or ""
                for c in s.criteria
            ],
            "unit": [criterion_unit(c, tr) for c in s.criteria],
            "weight": [scores.weights[c.name] for c in s.criteria],
        }
    )
    columns = [
        Column("title", tr("Criterion")),
        Column("kind", tr("Kind")),
        Column("source", tr("Layer or field")),
        Column("unit", tr("Unit")),
        Column("weight", tr("Weight"), "float", 3),
    ]
    return html_table(frame, columns, tr, css="criteria")


def report_tables(
    study: Study, scores: Scores, allocation: Allocation | None, info: dict[str, Any], tr: Translator
) -> dict[str, Any]:
    """The report's tables as markup, by template key.

    Parameters
    ----------
    study : Study
        The loaded study.
    scores : Scores
        Its scores.
    allocation : Allocation or None
        The allocation (zone and reserved-land tables when given).
    info : dict
        The run manifest (its inputs).
    tr : Translator
        Language.

    Returns
    -------
    dict
        ``criteria_html``, ``norms_html``, ``inputs_html``, ``zones_html``, ``reserved_html``,
        ``facilities_html``.
    """
    import pandas as pd
    from markupsafe import Markup

    from landplan.outputs.wording import rule_table_name

    norms = norm_rows(study.rules, lang=tr.lang).assign(table=lambda f: [rule_table_name(t, tr) for t in f["table"]])
    norm_cols = [
        Column("table", tr("Table")),
        Column("key", tr("Item")),
        Column("value", tr("Value"), "float", 2),
        Column("source", tr("Source")),
        Column("verified", tr("Verified")),
    ]
    inputs = pd.DataFrame(info.get("inputs", []), columns=["layer", "path", "features", "sha256"])
    inputs["layer"] = [tr("raster {name}", name=t[7:]) if str(t).startswith("raster ") else t for t in inputs["layer"]]
    input_cols = [
        Column("layer", tr("Layer")),
        Column("path", tr("Path")),
        Column("features", tr("Features"), "int"),
        Column("sha256", "SHA-256"),
    ]
    return {
        "criteria_html": Markup(criteria_table(study, scores, tr)),
        "norms_html": Markup(html_table(norms, norm_cols, tr, css="norms")),
        "inputs_html": Markup(html_table(inputs, input_cols, tr, css="inputs")),
        "zones_html": Markup(zones_table(allocation, study, tr)) if allocation is not None else "",
        "reserved_html": Markup(reserved_table(allocation, study, tr)) if allocation is not None else "",
        "facilities_html": Markup(facilities_table(allocation, tr, study=study)) if allocation is not None else "",
    }
