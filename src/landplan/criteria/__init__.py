"""Criteria: one function per measure, each returning a named Series on the parcel index.

All functions expect the parcels and the features in the same projected CRS, in metres
(the pipeline reprojects every layer once to the working CRS).
"""

from landplan.criteria.access import gravity_access, zone_land_access
from landplan.criteria.attribute import attribute, parcel_area
from landplan.criteria.coverage import coverage_share
from landplan.criteria.distance import count_within, nearest_distance
from landplan.criteria.raster import raster_stat, read_raster

__all__ = [
    "attribute",
    "count_within",
    "coverage_share",
    "gravity_access",
    "nearest_distance",
    "parcel_area",
    "raster_stat",
    "read_raster",
    "zone_land_access",
]
