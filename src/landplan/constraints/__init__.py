"""Constraints: hard exclusions, each returning the reason per excluded parcel.

:mod:`~landplan.constraints.rules` holds one function per rule on plain GeoDataFrames;
:mod:`~landplan.constraints.evaluate` applies a scenario's constraints to a loaded study.
"""

from landplan.constraints.evaluate import CUTTERS, EVALUATORS, constraint_reasons, evaluate, net_area
from landplan.constraints.rules import attribute_filter, combine, exclusion_layer, isolation, min_area, raster_rule

__all__ = [
    "CUTTERS",
    "EVALUATORS",
    "attribute_filter",
    "combine",
    "constraint_reasons",
    "evaluate",
    "exclusion_layer",
    "isolation",
    "min_area",
    "net_area",
    "raster_rule",
]
