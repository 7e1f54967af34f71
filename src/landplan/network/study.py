"""The road network of a scenario, built once: graph, joined features, zone travel, findings.

:func:`study_network` reads the ``[network]`` spec and the rule pack (speeds and access of
the mode, the off-network walking speed), builds the graph, joins the parcels, the zones (by
their nearest road and their gates) and every layer a network criterion measures, and
measures each parcel's travel time and distance to every zone once (job access and the
allocation read them). Its findings: the largest connected share of the roads, dangling
ends, roads far from every parcel, and features beyond ``max_snap_m`` (naming their ids).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

import geopandas as gpd
import shapely

from landplan._messages import N_
from landplan.config import NetworkSpec, RulePack
from landplan.network.graph import RoadGraph, build_graph, oneway_direction, road_speeds_kmh
from landplan.network.travel import TravelGraph, travel_graph
from landplan.validation import Finding

__all__ = ["StudyNetwork", "network_findings", "study_network"]

_SHOW = 5  # ids named in a finding


@dataclass(frozen=True)
class StudyNetwork:
    """A scenario's road network, computed once and carried in the study.

    Attributes
    ----------
    spec : NetworkSpec
        The ``[network]`` table.
    graph : TravelGraph
        The graph with the parcels, zones and measured layers joined.
    off_speed_kmh : float
        Speed of the leg between a feature and its road.
    zone_time_s, zone_distance_m : pandas.DataFrame or None
        Parcels x zones: travel time (seconds) and shortest network distance (metres) from each
        parcel to each zone (NaN for a feature off the network, ``inf`` when unreachable).
    """

    spec: NetworkSpec
    graph: TravelGraph
    off_speed_kmh: float
    zone_time_s: pd.DataFrame | None = None
    zone_distance_m: pd.DataFrame | None = None

    @property
    def zone_minutes(self) -> pd.DataFrame | None:
        """Parcels x zones travel time in minutes."""
        return None if self.zone_time_s is None else self.zone_time_s / 60.0


def study_network(
    spec: NetworkSpec,
    roads: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    rules: RulePack,
    *,
    zones: str | None = "zones",
) -> StudyNetwork:
    """Build the network of a scenario and join its features.

    Parameters
    ----------
    spec : NetworkSpec
        The scenario's ``[network]`` table.
    roads : geopandas.GeoDataFrame
        The road layer in the working CRS.
    layers : Mapping[str, geopandas.GeoDataFrame]
        Layers to join (``parcels`` first of all); polygons also join wherever a road crosses or
        touches their outline (zone gates, parcel frontages).
    rules : RulePack
        Speeds and access of the mode, the off-network speed.
    zones : str or None, default 'zones'
        The layer whose travel time and distance from every parcel are measured once.

    Returns
    -------
    StudyNetwork
        Graph, joined features and the parcel-zone travel matrices.
    """
    mode = rules.mode(spec.mode)
    speeds = road_speeds_kmh(
        roads, mode, class_field=spec.class_field, speed_field=spec.speed_field, speed_table=spec.speed_kmh
    )
    oneway_col = roads[spec.oneway_field] if spec.oneway_field and mode.obeys_oneway else None
    road = build_graph(
        roads,
        speed_kmh=speeds,
        oneway=oneway_direction(oneway_col, len(roads)),
        node_at_crossings=spec.node_at_crossings,
    )
    off = spec.off_network_speed_kmh or rules.network_value("off_network_speed_kmh")
    graph = travel_graph(road, layers, max_snap_m=spec.max_snap_m, off_speed_kmh=off, footprint=tuple(layers))
    zt = zd = None
    if zones is not None and zones in layers and "parcels" in layers:
        p, z = graph.places["parcels"], graph.places[zones]
        zt = pd.DataFrame(graph.to_each(p.out_node, z.in_node, metric="time"), index=p.index, columns=z.index)
        zd = pd.DataFrame(graph.to_each(p.out_node, z.in_node, metric="distance"), index=p.index, columns=z.index)
    return StudyNetwork(spec=spec, graph=graph, off_speed_kmh=off, zone_time_s=zt, zone_distance_m=zd)


def _ids(index: pd.Index, mask: np.ndarray) -> str:
    chosen = index[mask]
    shown = ", ".join(map(str, chosen[:_SHOW]))
    return N_("{ids} and {n} more").format(ids=shown, n=len(chosen) - _SHOW) if len(chosen) > _SHOW else shown


def _road_findings(road: RoadGraph, roads: gpd.GeoDataFrame, layer: str) -> list[Finding]:
    usable = np.isfinite(road.forward_s) | np.isfinite(road.backward_s)
    u, v = road.edge_u[usable], road.edge_v[usable]
    n = road.n_nodes
    adj = coo_array((np.ones(len(u)), (u, v)), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    length = np.bincount(label[u], weights=road.length_m[usable], minlength=n)
    share = float(length.max() / length.sum()) if length.sum() > 0 else 0.0
    pairs = np.unique(np.sort(np.stack([road.edge_u, road.edge_v], axis=1), axis=1), axis=0)
    degree = np.bincount(pairs.ravel(), minlength=n)
    dangling = np.flatnonzero(degree == 1)
    out = [
        Finding(
            "info" if share >= 0.95 else "warning",
            layer,
            N_("the largest connected piece holds {share} of the usable road length ({n} pieces)").format(
                share=f"{share:.1%}", n=int((length > 0).sum())
            ),
            fix="" if share >= 0.95 else N_("join the pieces (shared vertices) or set node_at_crossings = true"),
        )
    ]
    if len(dangling):
        xy = road.node_xy[dangling[:_SHOW]]
        where = "; ".join(f"({x:.0f}, {y:.0f})" for x, y in xy)
        text = N_("{n} dangling road ends, e.g. at {where} (working CRS)").format(n=len(dangling), where=where)
        out.append(Finding("info", layer, text))
    return out


def network_findings(
    net: StudyNetwork, roads: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, *, layer: str, id_field: str | None = None
) -> list[Finding]:
    """Validation findings of a built network.

    Parameters
    ----------
    net : StudyNetwork
        The built network.
    roads : geopandas.GeoDataFrame
        The road layer (ids named in messages are its index).
    parcels : geopandas.GeoDataFrame
        The parcels (roads far from every parcel are noted).
    layer : str
        The road layer's scenario name.
    id_field : str, optional
        The road layer's id column (named in messages; else its row labels).

    Returns
    -------
    list of Finding
        Connectivity, dangling ends, far roads and features off the network.
    """
    out = _road_findings(net.graph.road, roads, layer)
    tree = shapely.STRtree(np.asarray(parcels.geometry.array, dtype=object))
    (ri, _pi), dist = tree.query_nearest(
        np.asarray(roads.geometry.array, dtype=object), return_distance=True, all_matches=False
    )
    far = np.zeros(len(roads), dtype=bool)
    far[ri[dist > net.spec.far_road_m]] = True
    if far.any():
        out.append(
            Finding(
                "info",
                layer,
                N_("{n} roads lie farther than {far} m from every parcel ({ids})").format(
                    n=int(far.sum()),
                    far=f"{net.spec.far_road_m:g}",
                    ids=_ids(pd.Index(roads[id_field]) if id_field in roads else roads.index, far),
                ),
                fix=N_("clip the road layer to the study area to save time"),
            )
        )
    for name, places in sorted(net.graph.places.items()):
        off = ~places.snapped
        if off.any():
            out.append(
                Finding(
                    "warning",
                    name,
                    N_(
                        "{n} features lie farther than max_snap_m = {snap} m from every road the {mode} mode may "
                        "use ({ids}); their network values are missing"
                    ).format(
                        n=int(off.sum()),
                        snap=f"{net.spec.max_snap_m:g}",
                        mode=net.spec.mode,
                        ids=_ids(places.index, off),
                    ),
                    fix=N_("raise [network] max_snap_m or add the missing roads"),
                )
            )
    return out
