"""Score cards: a readable explanation of one parcel's score and eligibility."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from landplan._messages import N_
from landplan.config import ConstraintSpec, IsolationConstraint, MinAreaConstraint
from landplan.errors import InputError
from landplan.model import ha

if TYPE_CHECKING:
    from landplan.model import Scores, Sites, Study

__all__ = ["ScoreCard", "describe_constraint", "explain"]

_MEMBERS_SHOWN = 30


def describe_constraint(k: ConstraintSpec, study: Study, *, lang: str = "en") -> str:
    """One line saying what a constraint requires.

    Parameters
    ----------
    k : ConstraintSpec
        A constraint of the scenario.
    study : Study
        The loaded study (its rule pack is named for isolation distances).
    lang : str, default "en"
        Output language: the constraint's ``labels`` for it replace its ``label`` (the text stays
        English; outputs translate it with :meth:`Translator.text`).

    Returns
    -------
    str
        The rule in words.
    """
    label = getattr(k, "labels", {}).get(lang)
    if label:  # a min_area constraint's words are its `source`
        k = k.model_copy(update={"source" if isinstance(k, MinAreaConstraint) else "label": label})
    if isinstance(k, IsolationConstraint) and k.mode != "subtract":  # only the study knows its rule pack
        return N_("outside the isolation distance of every zone in {layer} (by hazard class, rule pack {pack})").format(
            layer=repr(k.layer), pack=repr(study.rules.meta.name)
        )
    return k.describe()


@dataclass(frozen=True)
class ScoreCard:
    """Why a parcel (or a site, with its member parcels) scores and ranks as it does."""

    parcel_id: object
    rank: int | None
    score: float
    eligible: bool
    criteria: pd.DataFrame
    constraints: pd.DataFrame
    top_drivers: str
    aggregation: str = "weighted_sum"
    area: str = ""
    members: list[str] | None = None

    def to_text(self) -> str:
        """The score card as plain text."""
        rank = f"rank {self.rank}" if self.rank is not None else "not ranked (excluded)"
        unit = "Parcel" if self.members is None else "Site"
        lines = [f"{unit} {self.parcel_id}: score {self.score:.3f} ({self.aggregation}), {rank}"]
        if self.members is not None:
            shown = ", ".join(self.members[:_MEMBERS_SHOWN])
            more = f" and {len(self.members) - _MEMBERS_SHOWN} more" if len(self.members) > _MEMBERS_SHOWN else ""
            lines.append(f"Members: {len(self.members)} parcels: {shown}{more}")
        lines += [
            f"Top drivers: {self.top_drivers}",
            *([self.area] if self.area else []),
            "",
            "Criteria:",
        ]
        for _, r in self.criteria.iterrows():
            value = r["raw"]
            raw = (
                (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}") if isinstance(value, float) else str(value)
            )
            lines.append(
                f"  {r['label']:<40} raw {raw} {r['unit']:<14} value {r['value']:.3f}  "
                f"weight {r['weight']:.3f}  contribution {r['contribution']:+.3f}"
                + ("  (no data: outside the layer's extent, median value)" if r.get("no_data") else "")
            )
        lines += ["", "Constraints:"]
        for _, r in self.constraints.iterrows():
            status = (
                ("cut " if r["reason"] else "pass")
                if r.get("mode") == "subtract"
                else ("pass" if r["passed"] else "FAIL")
            )
            lines.append(f"  [{status}] {r['rule']}" + (f": {r['reason']}" if r["reason"] else ""))
        if self.constraints.empty:
            lines.append("  (none)")
        return "\n".join(lines)


def explain(study: Study, scores: Scores, parcel_id: Any, *, sites: Sites | None = None, lang: str = "en") -> ScoreCard:
    """Score card of one parcel, read from the scores (nothing is recomputed).

    Every criterion's raw value (with unit), 0..1 value, weight and contribution, and every
    constraint it passed or failed with the reason.

    Parameters
    ----------
    study : Study
        The loaded study (criterion labels and units, constraints).
    scores : Scores
        Its scores.
    parcel_id : object
        The parcel's id (text ids match numeric ids and the reverse), or a site's id.
    sites : Sites, optional
        With sites (``Result.sites``), the card lists the site's member parcels.
    lang : str, default "en"
        Output language: criterion and constraint ``labels``/``units`` for it are used (the
        card's own words stay English; documents translate them).

    Returns
    -------
    ScoreCard
        The parcel's card.

    Raises
    ------
    InputError
        If the parcel id is not in the scores.
    """
    index = scores.score.index
    if parcel_id not in index:
        # ids read from text may be strings while the index is numeric, or the reverse
        matches = [i for i in index if str(i) == str(parcel_id)]
        if not matches:
            msg = f"no parcel with id {parcel_id!r}; ids look like {list(index[:3])}"
            raise InputError(msg)
        parcel_id = matches[0]
    s = study.scenario
    crit = pd.DataFrame(
        [
            {
                "criterion": c.name,
                "label": c.labels.get(lang) or c.title,  # type: ignore[call-overload]
                "raw": scores.raw.at[parcel_id, c.name],
                "unit": c.units.get(lang) or c.unit_label,  # type: ignore[call-overload]
                "value": float(scores.values[c.name][parcel_id]),
                "weight": float(scores.weights[c.name]),
                "contribution": float(scores.contributions[c.name][parcel_id]),
                "no_data": bool(
                    scores.no_data is not None and c.name in scores.no_data and scores.no_data.at[parcel_id, c.name]
                ),
            }
            for c in s.criteria
        ]
    )
    cons = _constraint_rows(study, scores, parcel_id, lang)
    rank = scores.rank[parcel_id]
    return ScoreCard(
        parcel_id=parcel_id,
        rank=None if pd.isna(rank) else int(rank),
        score=float(scores.score[parcel_id]),
        eligible=bool(scores.eligible[parcel_id]),
        criteria=crit,
        constraints=cons,
        top_drivers=str(scores.top_drivers[parcel_id]),
        aggregation=scores.aggregation,
        area=_area_line(study, scores, parcel_id),
        members=None if sites is None else [str(p) for p in sites.of(parcel_id)],
    )


def _constraint_rows(study: Study, scores: Scores, parcel_id: Any, lang: str) -> pd.DataFrame:
    """One row per constraint: rule, kind, mode, passed, reason (a subtract constraint's note)."""
    reasons, net = scores.reasons, scores.net
    rows = []
    for i, k in enumerate(study.scenario.constraints):
        col, mode = f"c{i}_{k.kind}", getattr(k, "mode", "exclude")
        if mode == "subtract":
            note = str(net.notes.at[parcel_id, col]) if net is not None and col in net.notes else ""
            rows.append(
                {
                    "rule": describe_constraint(k, study, lang=lang),
                    "kind": k.kind,
                    "mode": mode,
                    "passed": True,
                    "reason": note,
                }
            )
        else:
            reason = reasons.at[parcel_id, col]
            rows.append(
                {
                    "rule": describe_constraint(k, study, lang=lang),
                    "kind": k.kind,
                    "mode": mode,
                    "passed": reason == "",
                    "reason": reason,
                }
            )
    if "net_area" in reasons.columns:
        reason = reasons.at[parcel_id, "net_area"]
        rule = N_("some developable area left after subtraction")
        rows.append({"rule": rule, "kind": "net_area", "mode": "exclude", "passed": reason == "", "reason": reason})
    return pd.DataFrame(rows, columns=["rule", "kind", "mode", "passed", "reason"])


def _area_line(study: Study, scores: Scores, parcel_id: Any) -> str:
    """Net developable area and the geometry the criteria were measured on (empty without subtraction)."""
    net = scores.net
    if net is None or not net.subtracted:
        return ""
    template = (
        N_(
            "Net developable area {net} ha of {gross} ha ({share} removed); criteria measured on the net parcel "
            "geometry"
        )
        if study.scenario.scenario.criteria_geometry == "net"
        else N_(
            "Net developable area {net} ha of {gross} ha ({share} removed); criteria measured on the whole parcel "
            "geometry"
        )
    )
    return template.format(
        net=f"{ha(net.area_m2[parcel_id]):.2f}",
        gross=f"{ha(net.gross_m2[parcel_id]):.2f}",
        share=f"{net.share_removed[parcel_id]:.0%}",
    )
