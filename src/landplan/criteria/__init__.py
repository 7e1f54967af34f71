"""Criteria: one function per measure, each returning a named Series on the parcel index.

All functions expect the parcels and the features in the same projected CRS, in metres
(the pipeline reprojects every layer once to the working CRS).
"""

from landplan.criteria.attribute import attribute, parcel_area
from landplan.criteria.coverage import coverage_share
from landplan.criteria.distance import count_within, nearest_distance

__all__ = ["attribute", "count_within", "coverage_share", "nearest_distance", "parcel_area"]
