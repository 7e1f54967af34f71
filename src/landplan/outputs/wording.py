"""Words the deliverables build from the scenario: criterion kinds, units, labels and top drivers, per language.

Config and scoring hold English (or the scenario's own words); these helpers give the planner-facing
documents (report, score cards, PDF) the run's language. Data text that no template knows (a label
the scenario wrote) comes back as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from landplan.config import CriterionSpec
    from landplan.model import Result, Scores, Study
    from landplan.outputs.i18n import Translator

__all__ = [
    "criterion_kind",
    "criterion_title",
    "criterion_unit",
    "drivers_text",
    "facility_norms",
    "net_lines",
    "rule_table_name",
]


def criterion_kind(kind: str, tr: Translator) -> str:
    """The name of a criterion kind in the run's language.

    Parameters
    ----------
    kind : str
        The ``kind`` of a criterion spec.
    tr : Translator
        Language.

    Returns
    -------
    str
        Its name (the kind itself when unknown).
    """
    names = {
        "distance": tr("distance"),
        "count": tr("count within a radius"),
        "coverage": tr("coverage"),
        "attribute": tr("attribute"),
        "area": tr("area"),
        "raster": tr("raster statistic"),
        "access": tr("job accessibility"),
        "travel": tr("travel time or distance"),
        "reachable": tr("reachable within a time"),
        "catchment": tr("in a catchment"),
        "two_step": tr("two-step floating catchment"),
    }
    return names.get(kind, kind)


def criterion_title(c: CriterionSpec, tr: Translator) -> str:
    """A criterion's label in the run's language (``labels`` of the scenario, else its ``label``).

    Parameters
    ----------
    c : CriterionSpec
        A criterion of the scenario.
    tr : Translator
        Language.

    Returns
    -------
    str
        The label.
    """
    return c.labels.get(tr.lang) or tr.text(c.title)


def criterion_unit(c: CriterionSpec, tr: Translator) -> str:
    """A criterion's unit in the run's language (``units`` of the scenario, else its unit).

    Parameters
    ----------
    c : CriterionSpec
        A criterion of the scenario.
    tr : Translator
        Language.

    Returns
    -------
    str
        The unit.
    """
    return c.units.get(tr.lang) or tr.text(c.unit_label)


def drivers_text(scores: Scores, ids: Any, labels: dict[str, str], tr: Translator, *, top: int) -> list[str]:
    """The criteria that add most to each parcel's score, in the run's language (``"bến xe buýt 0,21"``).

    :func:`landplan.scoring.aggregate.explain_drivers` (which writes the English ``top_drivers``
    column) with the labels of the run's language, and its numbers and "none" in that language.

    Parameters
    ----------
    scores : Scores
        The scores (contributions).
    ids : sequence
        Parcels to describe.
    labels : dict
        Criterion name -> label in the run's language.
    tr : Translator
        Language.
    top : int
        How many criteria to name.

    Returns
    -------
    list of str
        One text per id.
    """
    import pandas as pd

    from landplan.scoring.aggregate import explain_drivers

    ids = list(ids)
    if scores.aggregation == "weighted_product" or scores.contributions.empty or tr.lang == "en":
        return [tr.text(str(t)) for t in scores.top_drivers.reindex(ids)]
    text = pd.Series(explain_drivers(scores.contributions.loc[ids], labels, top=top).to_numpy(dtype=object))
    # explain_drivers writes "label 0.12, label 0.08": decimal commas, and "none" translated
    text = text.str.replace(r"(?<= )(-?\d+)\.(\d{2})(?=, |$)", r"\1,\2", regex=True)
    return text.where(text != "none", tr("none")).tolist()


def net_lines(study: Study, scores: Scores, tr: Translator) -> list[str]:
    """One line on the net developable area when subtract constraints removed land.

    Parameters
    ----------
    study : Study
        The loaded study.
    scores : Scores
        Its scores (the net area).
    tr : Translator
        Language.

    Returns
    -------
    list of str
        No line, or one.
    """
    net = scores.net
    if net is None or not net.subtracted:
        return []
    from landplan.model import ha

    values = {
        "cut": tr.number(int((net.share_removed > 0).sum())),
        "removed": tr.number(ha(net.gross_m2.sum() - net.area_m2.sum()), decimals=1),
        "total": tr.number(ha(net.gross_m2.sum()), decimals=1),
    }
    if study.scenario.scenario.criteria_geometry == "net":
        return [
            tr(
                "net developable area: {cut} parcels cut, {removed} ha removed of {total} ha; criteria measured on "
                "the net parcel geometry",
                **values,
            )
        ]
    return [
        tr(
            "net developable area: {cut} parcels cut, {removed} ha removed of {total} ha; criteria measured on "
            "the whole parcel geometry",
            **values,
        )
    ]


def facility_norms(study: Study, tr: Translator) -> dict[str, str]:
    """The sizing figures of each facility kind in words (citations are in the report's norms table).

    Parameters
    ----------
    study : Study
        The loaded study (its rule pack and ``[allocation.facilities]``).
    tr : Translator
        Language.

    Returns
    -------
    dict
        Facility kind -> ``"50 places per 1,000 residents; 12 m² per place; radius 300 m"``.
    """
    rules = study.rules
    kinds = set(rules.service_radius_m) | set(rules.facility)
    out: dict[str, str] = {}
    for kind in sorted(kinds):  # loop over facility kinds
        values = {k: rules.facility_value(kind, k) for k in ("places_per_1000", "m2_per_place", "min_site_m2")}
        n = {k: tr.number(v.value) for k, v in values.items() if v is not None}
        parts = [
            *([tr("{n} places per 1,000 residents", n=n["places_per_1000"])] if "places_per_1000" in n else []),
            *([tr("{n} m² per place", n=n["m2_per_place"])] if "m2_per_place" in n else []),
            *([tr("site at least {n} m²", n=n["min_site_m2"])] if "min_site_m2" in n else []),
        ]
        radius = rules.service_radius_m.get(kind)
        if radius is not None and parts:
            parts.append(tr("radius {n} m", n=tr.number(radius.value, decimals=0)))
        if parts:
            out[kind] = "; ".join(parts)
    spec = study.scenario.allocation.facilities if study.scenario.allocation is not None else None
    threshold_rule, site_rule = rules.trade_union.get("workers_threshold"), rules.trade_union.get("site_m2")
    threshold = (spec.workers_threshold if spec else None) or (threshold_rule.value if threshold_rule else None)
    site_m2 = (spec.site_m2 if spec else None) or (site_rule.value if site_rule else None)
    if threshold is not None and site_m2 is not None:
        out["trade_union_institution"] = tr(
            "zones of at least {workers} workers; site {site} m²",
            workers=tr.number(threshold),
            site=tr.number(site_m2),
        )
    return out


def rule_table_name(table: str, tr: Translator) -> str:
    """The name of a rule-pack table in the run's language.

    Parameters
    ----------
    table : str
        A table of the rule pack (``isolation_distance_m``, ``housing``, ...).
    tr : Translator
        Language.

    Returns
    -------
    str
        Its name (the table itself when unknown).
    """
    names = {
        "facility": tr("facility sizing"),
        "facility_capacity": tr("facility capacity"),
        "housing": tr("housing"),
        "isolation_distance_m": tr("isolation distance (m)"),
        "network": tr("road network"),
        "service_radius_m": tr("service radius (m)"),
        "trade_union": tr("trade-union institution"),
    }
    return names.get(table, table)


def translated_values(table: pd.DataFrame, result: Result, tr: Translator) -> pd.DataFrame:
    """A table's text values landplan wrote in English, in the run's language (for the XLSX files people read).

    ``excluded_by`` and ``removed_by`` (each distinct text once) and ``top_drivers`` (from the
    scores); other columns are data and stay as they are.

    Parameters
    ----------
    table : pandas.DataFrame
        A table about to be written (the wide ranking, allocation tables).
    result : Result
        The run (scores for the drivers, scenario for the labels).
    tr : Translator
        Language (with the scenario's words).

    Returns
    -------
    pandas.DataFrame
        A copy with those columns translated; the table itself in English.
    """
    if tr.lang == "en":
        return table
    out = table.copy()
    for column in ("excluded_by", "removed_by"):
        if column in out:
            text = out[column].astype(object).where(out[column].notna(), "").astype(str)
            local = {t: tr.text(t) for t in text.unique()}  # distinct texts, not parcels
            out[column] = text.map(local)
    if "top_drivers" in out and out.index.isin(result.scores.score.index).all():
        s = result.study.scenario
        labels = {c.name: tr.text(c.title) for c in s.criteria}
        out["top_drivers"] = drivers_text(result.scores, out.index, labels, tr, top=s.scenario.top_drivers)
    return out
