"""Scoring a study on a dask cluster: Hilbert-sorted parcel partitions, each with the features it needs.

The per-parcel part of scoring (:func:`landplan.scoring.score.parcel_measures`: net area, raw criterion
values, constraint reasons) depends only on each parcel and the feature layers, so it is computed
partition by partition on the workers with the in-memory functions themselves. Everything that needs
all parcels (value functions, ``neutral`` medians, aggregation, ranks) then runs once on the gathered
raw values, in memory, exactly as the in-memory engine does: the results are the same bits.

What each partition receives:

- its parcels (contiguous along a Hilbert curve of the parcels' box centres, so a partition is
  compact and its halo small);
- the study without parcels, broadcast once to every worker (zones, rasters, feature layers);
- feature layers used only by ``count``/``coverage`` criteria and ``exclusion_layer`` constraints
  trimmed to a halo: the rows whose box lies within the largest radius (or buffer) of the
  partition's box. Layers read by ``distance`` or ``access`` criteria, isolation rules or anything
  else are taken whole (a nearest feature can be anywhere).

Network criteria (``travel``, ``reachable``, ``catchment``, ``two_step``, access by travel time)
are measured on the client on the whole study: they read the road graph built when the study was
loaded. A ``raster`` constraint in ``subtract`` mode is cut on the client too (its cells are
polygonised over the parcels' extent, merged with their neighbours: a partition's window would cut
other polygons).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd

from landplan.config import NETWORK_KINDS, ComputeSpec
from landplan.constraints import net_area
from landplan.errors import InputError
from landplan.model import NetArea, Scores, Study
from landplan.scoring.score import Measured, parcel_measures, score

__all__ = ["cluster_client", "halo_radii", "hilbert_order", "score_partitioned"]

Progress = Callable[[float, str], None]


def _noop(_frac: float, _msg: str) -> None:
    return None


@contextmanager
def cluster_client(spec: ComputeSpec) -> Iterator[Any]:
    """A ``distributed`` client: to ``spec.scheduler``, else to a local cluster started and closed here.

    The local cluster listens on 127.0.0.1 only (its HTTP status page on a free port), and runs ``spec.workers``
    processes of ``spec.threads_per_worker`` threads with ``spec.memory_limit_gb`` each.

    Parameters
    ----------
    spec : ComputeSpec
        The scenario's ``[compute]`` table.

    Yields
    ------
    distributed.Client
        Closed (with its local cluster) on exit.

    Raises
    ------
    InputError
        If the scheduler cannot be reached or dask is not installed.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the extra is installed in CI
        msg = "[compute] engine = 'dask' needs dask-geopandas and distributed: pip install 'landplan[dask]'"
        raise InputError(msg) from None
    if spec.scheduler is not None:
        try:
            client = Client(spec.scheduler, timeout="10s")
        except OSError as exc:
            msg = f"[compute] scheduler {spec.scheduler}: cannot connect ({exc}); start it or remove `scheduler`"
            raise InputError(msg) from None
        with client:
            yield client
        return
    memory = f"{spec.memory_limit_gb}GB" if spec.memory_limit_gb is not None else "auto"
    with (
        LocalCluster(
            n_workers=spec.workers,
            threads_per_worker=spec.threads_per_worker,
            memory_limit=memory,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            processes=True,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def hilbert_order(parcels: gpd.GeoDataFrame, *, level: int = 16) -> np.ndarray:
    """Positions of the parcels along a Hilbert curve of their box centres (ties by position).

    Uses dask-geopandas' Hilbert distance (the one ``spatial_shuffle`` sorts by), computed in this
    process; empty geometries go last.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        The parcels.
    level : int, default 16
        Precision of the curve (1-16).

    Returns
    -------
    numpy.ndarray
        A permutation of ``range(len(parcels))``.
    """
    import dask_geopandas

    n = len(parcels)
    geom = parcels.geometry
    empty = (geom.isna() | geom.is_empty).to_numpy()
    key = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    if (~empty).any():
        solid = gpd.GeoDataFrame(geometry=geom[~empty].reset_index(drop=True))
        parts = max(1, len(solid) // 500_000)
        dgdf = dask_geopandas.from_geopandas(solid, npartitions=parts, sort=False)
        dist = dgdf.hilbert_distance(total_bounds=solid.total_bounds, level=level).compute(scheduler="sync")
        key[~empty] = dist.to_numpy(dtype=np.int64)
    return np.lexsort((np.arange(n), key))


def halo_radii(study: Study) -> dict[str, float]:
    """Feature layers a partition may trim to a halo, with the halo's width in metres.

    A layer qualifies when only ``count``/``coverage`` criteria (their radius) and
    ``exclusion_layer`` constraints (their buffer) read it; the width is the largest of those.

    Parameters
    ----------
    study : Study
        The loaded study.

    Returns
    -------
    dict of str to float
        Layer name -> halo width, metres.
    """
    s = study.scenario
    radius: dict[str, float] = {}
    whole: set[str] = {"zones", "parcels"}
    for c in s.criteria:
        layer = getattr(c, "layer", None)
        if layer is None:
            continue
        if c.kind in {"count", "coverage"}:
            radius[layer] = max(radius.get(layer, 0.0), float(study.radius_m[c.name]))
        else:
            whole.add(layer)
    for k in s.constraints:
        layer = getattr(k, "layer", None)
        if layer is None:
            continue
        if k.kind == "exclusion_layer":
            radius[layer] = max(radius.get(layer, 0.0), float(k.buffer_m))
        else:
            whole.add(layer)
    for name in (s.demand.existing_housing_layer, s.network.layer if s.network else None):
        if name is not None:
            whole.add(name)
    return {k: v for k, v in radius.items() if k not in whole and k in study.features}


def _halo_layer(layer: gpd.GeoDataFrame, box: np.ndarray, width_m: float, keep: list[np.ndarray]) -> gpd.GeoDataFrame:
    """Rows of ``layer`` whose box lies within ``width_m`` of ``box``, plus the rows at ``keep``."""
    b = layer.geometry.bounds.to_numpy()
    near = (
        (b[:, 0] <= box[2] + width_m)
        & (b[:, 2] >= box[0] - width_m)
        & (b[:, 1] <= box[3] + width_m)
        & (b[:, 3] >= box[1] - width_m)
    )
    for positions in keep:
        near[positions] = True
    return layer.iloc[np.flatnonzero(near)]


def _first_selected(study: Study, layer: str) -> list[np.ndarray]:
    """Position of the first row of each selection of ``layer`` (so no selection comes out empty)."""
    full = study.features[layer]
    out = [np.arange(min(1, len(full)))]
    for c in study.scenario.criteria:
        if getattr(c, "layer", None) == layer and c.kind in {"count", "coverage"}:
            chosen = full.index.isin(study.selection(layer, c.select).index)
            out.append(np.flatnonzero(chosen)[:1])
    return out


def _measure_part(
    base: Study, parcels: gpd.GeoDataFrame, net: NetArea | None, criteria: list[str], radii: dict[str, float]
) -> Measured:
    """The per-parcel part of scoring on one partition (runs on a worker)."""
    box = parcels.geometry.total_bounds
    features = dict(base.features)
    for layer, width in radii.items():
        features[layer] = _halo_layer(base.features[layer], box, width, _first_selected(base, layer))
    study = dataclasses.replace(base, parcels=parcels, features=features)
    return parcel_measures(study, criteria=criteria, net=net)


def _take_net(net: NetArea, positions: np.ndarray) -> NetArea:
    return NetArea(
        geometry=net.geometry.iloc[positions],
        area_m2=net.area_m2.iloc[positions],
        gross_m2=net.gross_m2.iloc[positions],
        removed_m2=net.removed_m2.iloc[positions],
        notes=net.notes.iloc[positions],
    )


def _concat(parts: list[Measured], undo: np.ndarray) -> Measured:
    """Partitions' results back in the study's parcel order (``undo`` inverts the Hilbert order)."""

    def cat(frames: list[Any]) -> Any:
        return pd.concat(frames).iloc[undo]

    nets = [p.net for p in parts]
    net = NetArea(
        geometry=cat([n.geometry for n in nets]),
        area_m2=cat([n.area_m2 for n in nets]),
        gross_m2=cat([n.gross_m2 for n in nets]),
        removed_m2=cat([n.removed_m2 for n in nets]),
        notes=cat([n.notes for n in nets]),
    )
    return Measured(net=net, raw=cat([p.raw for p in parts]), reasons=cat([p.reasons for p in parts]))


def _client_side(study: Study) -> tuple[list[str], bool]:
    """Criteria measured on the client (road network), and whether the net area is cut there."""
    s = study.scenario
    network = [c.name for c in s.criteria if c.kind in NETWORK_KINDS or getattr(c, "scale_min", None) is not None]
    raster_cut = any(k.kind == "raster" and getattr(k, "mode", "exclude") == "subtract" for k in s.constraints)
    return network, raster_cut


def score_partitioned(study: Study, *, client: Any = None, progress: Progress | None = None) -> Scores:
    """Score a study on a dask cluster, partition by partition: the same results as :func:`score`.

    Parameters
    ----------
    study : Study
        The loaded study (its ``[compute]`` table says where and in what partitions).
    client : distributed.Client, optional
        A connected client (default: one from :func:`cluster_client`, closed afterwards).
    progress : callable, optional
        ``f(fraction, message)``.

    Returns
    -------
    Scores
        Identical to the in-memory engine's.
    """
    progress = progress or _noop
    if client is None:
        with cluster_client(study.scenario.compute) as own:
            return score_partitioned(study, client=own, progress=progress)
    parts = _measure_on_cluster(study, client, progress)
    network, _ = _client_side(study)
    if network:
        progress(0.8, "network criteria")
        more = parcel_measures(study, criteria=network, net=parts.net, constraints=False)
        raw = pd.concat([parts.raw, more.raw], axis=1)[[c.name for c in study.scenario.criteria]]
        parts = Measured(net=parts.net, raw=raw, reasons=parts.reasons)
    return score(study, measured=parts, progress=lambda f, m: progress(0.9 + 0.1 * f, m))


def _measure_on_cluster(study: Study, client: Any, progress: Progress) -> Measured:
    """Net area, raw values and reasons of every parcel, computed in partitions on the cluster."""
    from distributed import as_completed

    spec = study.scenario.compute
    network, raster_cut = _client_side(study)
    criteria = [c.name for c in study.scenario.criteria if c.name not in network]
    progress(0.0, "sorting parcels along a Hilbert curve")
    order = hilbert_order(study.parcels)
    undo = np.empty_like(order)
    undo[order] = np.arange(len(order))
    net = net_area(study) if raster_cut else None
    base = dataclasses.replace(study, parcels=study.parcels.iloc[:0], network=None, outside_extent={})
    [base_future] = client.scatter([base], broadcast=True)
    radii = halo_radii(study)
    bounds = list(range(0, len(order), spec.partition_parcels)) or [0]
    chunks = [order[a : a + spec.partition_parcels] for a in bounds]
    results: dict[Any, int] = {}
    out: list[Measured | None] = [None] * len(chunks)
    window = 2 * max(1, len(client.scheduler_info().get("workers", {})) or spec.workers)

    def submit(i: int) -> Any:
        pos = chunks[i]
        part_net = _take_net(net, pos) if net is not None else None
        [parcels] = client.scatter([study.parcels.iloc[pos]], hash=False)  # data, not part of the task graph
        fut = client.submit(_measure_part, base_future, parcels, part_net, criteria, radii, pure=False)
        results[fut] = i
        return fut

    pending = as_completed([submit(i) for i in range(min(window, len(chunks)))])
    following, done = min(window, len(chunks)), 0
    for fut in pending:
        out[results.pop(fut)] = fut.result()
        done += 1
        progress(0.8 * done / len(chunks), f"partition {done}/{len(chunks)}")
        if following < len(chunks):
            pending.add(submit(following))
            following += 1
    return _concat([p for p in out if p is not None], undo)
