"""Sites from small parcels: adjacent eligible parcels merged into compact candidate sites.

:mod:`~landplan.sites.assemble` holds the array algorithm (adjacency, connected groups,
recursive principal-axis bisection, fragment repair); :mod:`~landplan.sites.frame` builds the
site frame (union geometry, attributes from members); :mod:`~landplan.sites.build` applies a
scenario's ``[sites]`` table to a loaded study.
"""

from landplan.sites.assemble import Partition, adjacency, partition
from landplan.sites.build import assemble_sites, parcel_eligibility, site_study
from landplan.sites.frame import MEMBER_COUNT, MEMBER_IDS, site_frame, union_by_label

__all__ = [
    "MEMBER_COUNT",
    "MEMBER_IDS",
    "Partition",
    "adjacency",
    "assemble_sites",
    "parcel_eligibility",
    "partition",
    "site_frame",
    "site_study",
    "union_by_label",
]
