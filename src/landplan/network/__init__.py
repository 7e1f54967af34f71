"""Road networks: graphs from line layers, features snapped to roads, shortest paths.

:mod:`~landplan.network.graph` builds the graph (honest topology, costs per direction),
:mod:`~landplan.network.travel` joins features at the nearest point of the nearest road and
runs Dijkstra (scipy.sparse.csgraph), :mod:`~landplan.network.study` builds the network of a
scenario once, with its validation findings, and :mod:`~landplan.network.reach` turns edge
reach into isochrone polygons.
"""

from __future__ import annotations

from landplan.network.graph import RoadGraph, build_graph, oneway_direction, road_speeds_kmh
from landplan.network.travel import Places, TravelGraph, travel_graph

__all__ = [
    "Places",
    "RoadGraph",
    "TravelGraph",
    "build_graph",
    "oneway_direction",
    "road_speeds_kmh",
    "travel_graph",
]
