"""Scoring: value functions (raw -> 0..1), weights, weighted sum, ranks and explanations."""

from landplan.scoring.aggregate import explain_drivers, rank_eligible, weighted_sum
from landplan.scoring.value import apply_value, band, identity, linear, step

__all__ = [
    "apply_value",
    "band",
    "explain_drivers",
    "identity",
    "linear",
    "rank_eligible",
    "step",
    "weighted_sum",
]
