"""Scoring: value functions (raw -> 0..1), weights, weighted sum, ranks and explanations."""

from landplan.scoring.aggregate import explain_drivers, rank_eligible, topsis, weighted_product, weighted_sum
from landplan.scoring.value import (
    apply_value,
    band,
    categorical,
    fuzzy_large,
    fuzzy_small,
    gaussian,
    identity,
    linear,
    logistic,
    power,
    step,
)
from landplan.scoring.weights import ahp, rank_order_centroid, rank_sum, scenario_weights

__all__ = [
    "ahp",
    "apply_value",
    "band",
    "categorical",
    "explain_drivers",
    "fuzzy_large",
    "fuzzy_small",
    "gaussian",
    "identity",
    "linear",
    "logistic",
    "power",
    "rank_eligible",
    "rank_order_centroid",
    "rank_sum",
    "scenario_weights",
    "step",
    "topsis",
    "weighted_product",
    "weighted_sum",
]
