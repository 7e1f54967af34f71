"""Score cards: a readable explanation of one parcel's score and eligibility."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from landplan.config import (
    AttributeConstraint,
    ConstraintSpec,
    ExclusionLayerConstraint,
    IsolationConstraint,
    MinAreaConstraint,
    RasterConstraint,
)
from landplan.errors import InputError
from landplan.scoring.weights import scenario_weights

if TYPE_CHECKING:
    import geopandas as gpd

    from landplan.pipeline import Layers

__all__ = ["ScoreCard", "describe_constraint", "explain"]


def describe_constraint(k: ConstraintSpec, layers: Layers) -> str:
    """One line saying what a constraint requires."""
    if isinstance(k, IsolationConstraint):
        return (
            f"outside the isolation distance of every zone in {k.layer!r} "
            f"(by hazard class, rule pack {layers.rules.meta.name!r})"
        )
    if isinstance(k, MinAreaConstraint):
        return f"area at least {k.min_area_m2:g} m2" + (f" ({k.source})" if k.source else "")
    if isinstance(k, AttributeConstraint):
        parts = []
        if k.not_in is not None:
            parts.append(f"{k.field} not in {k.not_in}")
        if k.in_ is not None:
            parts.append(f"{k.field} in {k.in_}")
        if k.min is not None:
            parts.append(f"{k.field} >= {k.min:g}")
        if k.max is not None:
            parts.append(f"{k.field} <= {k.max:g}")
        return " and ".join(parts)
    if isinstance(k, ExclusionLayerConstraint):
        buf = f" (+{k.buffer_m:g} m)" if k.buffer_m else ""
        return f"overlap with {k.label or k.layer}{buf} at most {k.max_overlap_share:.0%} of area"
    assert isinstance(k, RasterConstraint)
    stat = k.stat + (f" > {k.threshold:g}" if k.threshold is not None else "")
    bounds = " and ".join(
        b for b in (f">= {k.min:g}" if k.min is not None else "", f"<= {k.max:g}" if k.max is not None else "") if b
    )
    return f"{k.label or k.raster}: {stat} {bounds}"


@dataclass(frozen=True)
class ScoreCard:
    """Why a parcel scores and ranks as it does."""

    parcel_id: object
    rank: int | None
    score: float
    eligible: bool
    criteria: pd.DataFrame
    constraints: pd.DataFrame
    top_drivers: str
    aggregation: str = "weighted_sum"

    def to_text(self) -> str:
        """The score card as plain text."""
        rank = f"rank {self.rank}" if self.rank is not None else "not ranked (excluded)"
        lines = [
            f"Parcel {self.parcel_id}: score {self.score:.3f} ({self.aggregation}), {rank}",
            f"Top drivers: {self.top_drivers}",
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
            )
        lines += ["", "Constraints:"]
        for _, r in self.constraints.iterrows():
            status = "pass" if r["passed"] else "FAIL"
            lines.append(f"  [{status}] {r['rule']}" + (f": {r['reason']}" if r["reason"] else ""))
        if self.constraints.empty:
            lines.append("  (none)")
        return "\n".join(lines)


def explain(layers: Layers, ranked: gpd.GeoDataFrame, parcel_id: object) -> ScoreCard:
    """Score card of one parcel.

    Every criterion's raw value (with unit), 0..1 value, weight and contribution, and every
    constraint it passed or failed with the reason.

    Raises
    ------
    InputError
        If the parcel id is not in the ranking.
    """
    from landplan.pipeline import constraint_reasons

    if parcel_id not in ranked.index:
        # ids read from text may be strings while the index is numeric, or the reverse
        matches = [i for i in ranked.index if str(i) == str(parcel_id)]
        if not matches:
            msg = f"no parcel with id {parcel_id!r}; ids look like {list(ranked.index[:3])}"
            raise InputError(msg)
        parcel_id = matches[0]
    row = ranked.loc[parcel_id]
    s = layers.scenario
    weights = ranked.attrs.get("weights") or scenario_weights(s).weights
    crit = pd.DataFrame(
        [
            {
                "criterion": c.name,
                "label": c.title,
                "raw": row[f"{c.name}_raw"],
                "unit": c.unit_label,
                "value": float(row[f"{c.name}_value"]),
                "weight": float(weights[c.name]),
                "contribution": float(row[f"{c.name}_contrib"]),
            }
            for c in s.criteria
        ]
    )
    one = dataclasses.replace(layers, frames={**layers.frames, "parcels": layers.parcels.loc[[parcel_id]]})
    reasons = constraint_reasons(one)
    cons = pd.DataFrame(
        [
            {
                "rule": describe_constraint(k, layers),
                "kind": k.kind,
                "passed": reasons.iloc[0, i] == "",
                "reason": reasons.iloc[0, i],
            }
            for i, k in enumerate(s.constraints)
        ],
        columns=["rule", "kind", "passed", "reason"],
    )
    rank = None if pd.isna(row["rank"]) else int(row["rank"])
    return ScoreCard(
        parcel_id=parcel_id,
        rank=rank,
        score=float(row["score"]),
        eligible=bool(row["eligible"]),
        criteria=crit,
        constraints=cons,
        top_drivers=str(row["top_drivers"]),
        aggregation=str(ranked.attrs.get("aggregation", s.aggregation.method)),
    )
