"""Job accessibility: gravity sums of industrial-zone workers with distance decay.

A parcel close to several large zones scores higher than one near a single small zone:
``access_i = sum_z workers_z * f(d_iz)``, with ``d_iz`` the planar distance in metres
from the parcel to the zone footprint and ``f`` a decay function.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan._numbers import check_number
from landplan.criteria._common import check_inputs, geoms
from landplan.criteria._frontier import (
    MAX_PARCELS_PER_CELL,
    frontier_distance,
    frontier_of,
    frontier_parts,
    grid_cells,
)
from landplan.errors import InputError
from landplan.model import ha

__all__ = ["decay_function", "gravity_access", "use_compiled", "zone_land_access"]

DECAYS = ("exponential", "gaussian", "cumulative")
#: parcel x zone pairs from which gravity's compiled loop (``criteria._kernels``) pays for
#: loading it: once it has run in the process, from ``KERNEL_PAIRS_WARM``; before, only from
#: ``KERNEL_PAIRS_COLD``, as importing numba and reading the loop from its cache takes 1-2 s (a
#: few s the first time on a machine) and the loop saves ~0.5 us a pair against GEOS
KERNEL_PAIRS_WARM, KERNEL_PAIRS_COLD = 100_000, 4_000_000
_PAIRS = 4_000_000  # parcel x zone distances held at once (32 MB; bounded memory for many zones)


def decay_function(kind: str, scale_m: float) -> Callable[[np.ndarray], np.ndarray]:
    """Distance-decay factory.

    ``exponential``: ``exp(-d / scale_m)``; ``gaussian``: ``exp(-0.5 (d / scale_m)^2)``;
    ``cumulative``: 1 within ``scale_m`` (inclusive), else 0.

    Parameters
    ----------
    kind : {'exponential', 'gaussian', 'cumulative'}
        The decay curve.
    scale_m : float
        Its distance scale, metres (> 0).

    Examples
    --------
    >>> float(decay_function("exponential", 1000)(np.array([1000.0]))[0])
    0.36787944117144233
    """
    scale_m = check_number(scale_m, "decay scale_m", gt=0)
    if kind == "exponential":
        return lambda d: np.exp(-d / scale_m)
    if kind == "gaussian":
        return lambda d: np.exp(-0.5 * (d / scale_m) ** 2)
    if kind == "cumulative":
        return lambda d: (d <= scale_m).astype("float64")
    msg = f"unknown decay {kind!r}; choose one of {DECAYS}"
    raise InputError(msg)


def gravity_access(
    parcels: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    workers: pd.Series,
    decay: str = "exponential",
    scale_m: float,
    name: str = "job_access",
) -> pd.Series:
    """Sum over zones of ``workers x decay(distance)`` for each parcel.

    Parameters
    ----------
    parcels, zones
        Same projected CRS, metres.
    workers
        Workers per zone, aligned on ``zones.index`` (missing counts are an error).
    decay, scale_m
        See :func:`decay_function`.
    name
        Name of the returned Series.

    Returns
    -------
    pandas.Series
        Weighted workers reachable, float64 on ``parcels.index``; each parcel's terms are
        summed in ascending order, so the result does not depend on the input order.
    """
    check_inputs(parcels, zones, what="gravity_access")
    w = pd.to_numeric(workers.reindex(zones.index), errors="coerce").to_numpy(dtype="float64")
    if not (np.isfinite(w) & (w >= 0)).all():
        bad = ", ".join(map(str, zones.index[~(np.isfinite(w) & (w >= 0))][:5]))
        msg = f"gravity_access: every zone needs a finite, non-negative worker count (zones {bad})"
        raise InputError(msg)
    f = decay_function(decay, scale_m)
    pg, zg = geoms(parcels), geoms(zones)
    out = np.empty(len(pg))
    for start, d in _distance_blocks(pg, zg):
        # sum each parcel's terms in ascending order: the same bits whatever the order of
        # the zones or the parcels in the input (a matrix product would not promise that)
        out[start : start + len(d)] = np.sort(f(d) * w[None, :], axis=1).sum(axis=1)
    out[shapely.is_missing(pg) | shapely.is_empty(pg)] = np.nan
    return pd.Series(out, index=parcels.index, name=name)


def use_compiled(pairs: int) -> bool:
    """Whether gravity's compiled loop pays for ``pairs`` parcel x zone distances in this process.

    Parameters
    ----------
    pairs : int
        Number of distances to compute.
    """
    kernels = sys.modules.get("landplan.criteria._kernels")  # loaded here already: no import cost
    loaded = bool(kernels is not None and kernels.LOADED)
    return pairs >= (KERNEL_PAIRS_WARM if loaded else KERNEL_PAIRS_COLD)


def _distance_blocks(
    pg: np.ndarray, zg: np.ndarray, *, compiled: bool | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Parcel x zone distances (0 where they touch, NaN to an empty zone), in blocks of parcels.

    Large studies use the compiled loop of ``criteria._kernels`` (where it pays for loading
    it: ``use_compiled``); smaller ones one GEOS distance a pair through the candidate runs of
    ``criteria._frontier``. Both give the bits of ``shapely.distance`` (tests).

    Parameters
    ----------
    pg, zg : numpy.ndarray
        Parcel and zone geometries.
    compiled : bool, optional
        Use the compiled loop (default: where it pays, :func:`use_compiled`).

    Yields
    ------
    tuple
        The block's first parcel and its (parcels, zones) distances; at most ``_PAIRS`` at once.
    """
    touch_parcel, touch_zone = shapely.STRtree(zg).query(pg, predicate="intersects")
    empty_zone = shapely.is_missing(zg) | shapely.is_empty(zg)
    if compiled is None:
        compiled = use_compiled(len(pg) * len(zg))
    if compiled:
        pa, pb, owner = frontier_parts(pg)
        zones = frontier_parts(zg)
        bounds = shapely.bounds(pg)
    else:
        frontiers = [frontier_of(zg[z : z + 1]) for z in range(len(zg))]
        cells = grid_cells(pg, per_cell=MAX_PARCELS_PER_CELL)  # a zone's frontier is short: large cells
    step = max(_PAIRS // max(len(zg), 1), 1)
    for start in range(0, len(pg), step):
        stop = min(start + step, len(pg))
        inside = (touch_parcel >= start) & (touch_parcel < stop)
        touching = np.zeros((stop - start, len(zg)), dtype=bool)
        touching[touch_parcel[inside] - start, touch_zone[inside]] = True
        if compiled:
            from landplan.criteria._kernels import pair_distances  # imports numba: only when used

            lo, hi = np.searchsorted(owner, [start, stop])
            parts = (pa[lo:hi], pb[lo:hi], owner[lo:hi] - start)
            d = pair_distances(parts, bounds[start:stop], zones, touching)
        else:
            d = np.zeros(touching.shape)
            for z, frontier in enumerate(frontiers):
                if len(frontier.geoms):
                    rows = np.flatnonzero(~touching[:, z] & (cells.of[start:stop] >= 0)) + start
                    d[rows - start, z] = frontier_distance(pg, cells, frontier, rows=rows)
        d[:, empty_zone] = np.nan  # an empty zone is at no distance (NaN, as shapely.distance says)
        yield start, d


def zone_land_access(
    zones: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    *,
    eligible: pd.Series,
    within_m: float,
    workers: pd.Series | None = None,
) -> pd.DataFrame:
    """Per zone: nearest eligible land, eligible area within ``within_m``, workers served.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Zone footprints, same projected CRS as the parcels.
    parcels : geopandas.GeoDataFrame
        The parcels.
    eligible : pandas.Series
        True for parcels that count as land for housing.
    within_m : float
        The reach from a zone, metres.
    workers : pandas.Series, optional
        Workers per zone, on the zone index.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``zones``: ``nearest_eligible_m``, ``eligible_parcels_within``,
        ``eligible_ha_within``, and when ``workers`` is given ``workers`` and
        ``workers_within`` (the zone's workers if eligible land lies within reach, else 0).
    """
    within_m = check_number(within_m, "zone_land_access: within_m", ge=0)
    check_inputs(zones, parcels, what="zone_land_access")
    ok = parcels.loc[eligible.reindex(parcels.index).fillna(False).to_numpy(dtype=bool)]
    out = pd.DataFrame(index=zones.index)
    zg = geoms(zones)
    if ok.empty:
        out["nearest_eligible_m"] = np.inf
        out["eligible_parcels_within"] = 0
        out["eligible_ha_within"] = 0.0
    else:
        tree = shapely.STRtree(geoms(ok))
        (zi, _pi), dist = tree.query_nearest(zg, return_distance=True, all_matches=False)
        nearest = np.full(len(zg), np.inf)
        nearest[zi] = dist
        left, right = tree.query(zg, predicate="dwithin", distance=within_m)
        area = shapely.area(geoms(ok))[right]
        order = np.lexsort((area, left))  # canonical summation order (input order must not matter)
        left, area = left[order], area[order]
        out["nearest_eligible_m"] = nearest
        out["eligible_parcels_within"] = np.bincount(left, minlength=len(zg))
        out["eligible_ha_within"] = ha(np.bincount(left, weights=area, minlength=len(zg)))
    if workers is not None:
        w = pd.to_numeric(workers.reindex(zones.index), errors="coerce")
        out["workers"] = w
        out["workers_within"] = np.where(out["nearest_eligible_m"] <= within_m, w, 0)
    return out
