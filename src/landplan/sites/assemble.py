"""Sites from small parcels: adjacency, connected groups, compact splitting (arrays in, labels out).

:func:`partition` works on plain arrays in a canonical order (the caller sorts parcels by id), so
the same parcels in any row order give the same sites, bit for bit:

1. **Adjacency.** One STRtree query of the parcels' boxes grown by ``gap_m``; candidate pairs
   within one group are tested with ``intersects`` (touching) when ``gap_m`` is 0, else
   ``dwithin(gap_m)`` (across a lane). Connected components come from
   :func:`scipy.sparse.csgraph.connected_components`.
2. **Split.** A group larger than ``max_m2`` gets ``k = ceil(area / max_m2)`` parts and is
   bisected recursively: members (by bounding-box centre) are projected on the group's area-weighted
   principal axis and cut where the cumulative area reaches ``k1 / k`` of the total
   (``k1 = k // 2``); each half goes on with ``k1`` and ``k - k1`` parts. All groups of one
   level are cut together with grouped numpy sums (a loop over levels, never over parcels).
3. **Repair.** A cut can leave a part in pieces (a bend, a lane): parts are re-split into
   connected pieces; pieces still larger than ``max_m2`` are bisected again; pieces smaller
   than ``min_m2`` join their smallest neighbouring piece when the sum stays within
   ``max_m2`` (rounds of non-conflicting merges); what remains below ``min_m2`` is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

import shapely

__all__ = ["DROP_SPLIT_REMAINDER", "DROP_TOO_SMALL", "Partition", "adjacency", "partition"]

#: status of parcels whose whole connected group is smaller than the minimum
DROP_TOO_SMALL = "group_below_min"
#: status of parcels left over by a split, with no neighbour to join within the maximum
DROP_SPLIT_REMAINDER = "split_remainder_below_min"

_MAX_ROUNDS = 64


@dataclass(frozen=True)
class Partition:
    """Site label of every parcel (canonical order), and why the others have none.

    Attributes
    ----------
    label : numpy.ndarray
        Site number per parcel, ``0..n_sites-1`` numbered by each site's first parcel; ``-1``
        for parcels in no site.
    status : numpy.ndarray
        ``"site"``, :data:`DROP_TOO_SMALL` or :data:`DROP_SPLIT_REMAINDER` per parcel.
    n_groups : int
        Connected groups of adjacent parcels (within a group value).
    n_split : int
        Groups larger than the maximum that were split.
    """

    label: np.ndarray
    status: np.ndarray
    n_groups: int
    n_split: int


def adjacency(
    geoms: np.ndarray, *, gap_m: float, group: np.ndarray | None = None, bounds: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of parcels that touch or lie within ``gap_m`` of each other.

    Candidates come from one STRtree query of the parcels' bounding boxes grown by ``gap_m``;
    only pairs with ``i < j`` in the same group are then tested exactly with the vectorised
    ``shapely.dwithin`` (``shapely.intersects`` for ``gap_m = 0``). This is about 2.5 times
    faster than the tree's own ``dwithin`` predicate, which tests every pair twice and before
    the group filter.

    Parameters
    ----------
    geoms : numpy.ndarray
        Parcel polygons (shapely), in a projected CRS in metres.
    gap_m : float
        Largest gap, metres, still counted as adjacent (0: touching or overlapping only).
    group : numpy.ndarray, optional
        Integer group code per parcel; pairs across groups are left out.
    bounds : numpy.ndarray, optional
        ``shapely.bounds(geoms)`` when already computed.

    Returns
    -------
    tuple of numpy.ndarray
        ``left`` and ``right`` positions, sorted by ``(left, right)``.
    """
    b = shapely.bounds(geoms) if bounds is None else bounds
    tree = shapely.STRtree(geoms)
    left, right = tree.query(shapely.box(b[:, 0] - gap_m, b[:, 1] - gap_m, b[:, 2] + gap_m, b[:, 3] + gap_m))
    keep = left < right
    if group is not None:
        keep &= group[left] == group[right]
    left, right = left[keep], right[keep]
    if gap_m > 0:
        hit = shapely.dwithin(geoms[left], geoms[right], gap_m)
    else:
        hit = shapely.intersects(geoms[left], geoms[right])
    left, right = left[hit], right[hit]
    order = np.lexsort((right, left))
    return left[order].astype(np.int64), right[order].astype(np.int64)


def _components(n: int, left: np.ndarray, right: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Connected pieces of each label (edges only inside a label), numbered by first member."""
    same = label[left] == label[right]
    graph = sp.coo_matrix((np.ones(int(same.sum()), dtype=np.int8), (left[same], right[same])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    return _renumber(comp)


def _renumber(label: np.ndarray) -> np.ndarray:
    """Labels ``0..m-1`` in order of each label's first position (``-1`` kept)."""
    out = np.full(len(label), -1, dtype=np.int64)
    valid = label >= 0
    if not valid.any():
        return out
    _, first, inverse = np.unique(label[valid], return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    out[valid] = rank[inverse]
    return out


def _bisect(label: np.ndarray, parts: np.ndarray, xy: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Cut every label with ``parts > 1`` recursively into ``parts`` pieces of near-equal area."""
    label = label.copy()
    parts = parts.copy()
    for _ in range(_MAX_ROUNDS):
        m = parts.max(initial=1)
        if m <= 1:
            break
        cut = parts[label] > 1
        lab = label[cut]
        pos = np.flatnonzero(cut)
        a = area[cut]
        total = np.bincount(lab, a, minlength=len(parts))
        weighted = np.stack([np.bincount(lab, a * xy[cut, d], minlength=len(parts)) for d in (0, 1)], axis=1)
        mean = weighted / np.where(total > 0, total, 1.0)[:, None]
        dx, dy = (xy[cut] - mean[lab]).T
        sxx = np.bincount(lab, a * dx * dx, minlength=len(parts))
        syy = np.bincount(lab, a * dy * dy, minlength=len(parts))
        sxy = np.bincount(lab, a * dx * dy, minlength=len(parts))
        theta = 0.5 * np.arctan2(2 * sxy, sxx - syy)  # principal axis; isotropic -> x axis
        proj = dx * np.cos(theta[lab]) + dy * np.sin(theta[lab])
        order = np.lexsort((pos, proj, lab))
        lab_o, a_o = lab[order], a[order]
        csum = np.cumsum(a_o)
        first_idx = np.r_[0, np.flatnonzero(np.diff(lab_o)) + 1]
        sizes = np.diff(np.r_[first_idx, len(lab_o)])
        before = np.repeat(np.r_[0.0, csum][first_idx], sizes)
        mid = csum - before - a_o / 2  # area before each member plus half its own
        k = parts[lab_o]
        first = mid < total[lab_o] * (k // 2) / k
        first[first_idx] = True  # both halves keep at least one member
        first[first_idx + sizes - 1] = False
        new = len(parts)
        ids = lab_o[first_idx]
        second_id = np.full(len(parts), -1, dtype=np.int64)
        second_id[ids] = new + np.arange(len(ids))
        moved = pos[order][~first]
        label[moved] = second_id[label[moved]]
        k2 = parts[ids] - parts[ids] // 2
        parts[ids] = parts[ids] // 2
        parts = np.r_[parts, k2]
    return label


def _merge_fragments(
    label: np.ndarray, left: np.ndarray, right: np.ndarray, area: np.ndarray, *, min_m2: float, max_m2: float
) -> np.ndarray:
    """Join pieces below ``min_m2`` to their smallest neighbour while the sum stays <= ``max_m2``."""
    label = _renumber(label)
    for _ in range(_MAX_ROUNDS):
        piece_area = np.bincount(label, area)
        small = piece_area < min_m2
        a, b = label[left], label[right]
        cross = a != b
        src = np.r_[a[cross], b[cross]]
        dst = np.r_[b[cross], a[cross]]
        ok = small[src] & (piece_area[src] + piece_area[dst] <= max_m2)
        src, dst = src[ok], dst[ok]
        if len(src) == 0:
            break
        order = np.lexsort((dst, piece_area[dst], src))  # per source: smallest neighbour, then lowest label
        src, dst = src[order], dst[order]
        head = np.diff(src, prepend=-1) != 0
        src, dst = src[head], dst[head]
        target = np.full(len(piece_area), -1, dtype=np.int64)
        target[src] = dst
        # a target must stay put this round, unless two pieces chose each other (the lower label stays)
        stays = (target[dst] < 0) | ((target[dst] == src) & (dst < src))
        src, dst = src[stays], dst[stays]
        order = np.lexsort((src, dst))  # each target takes its lowest-label source this round
        src, dst = src[order], dst[order]
        head = np.diff(dst, prepend=-1) != 0
        src, dst = src[head], dst[head]
        if len(src) == 0:
            break
        remap = np.arange(len(piece_area))
        remap[src] = dst
        label = _renumber(remap[label])
    return label


def partition(
    xy: np.ndarray,
    area: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    *,
    min_m2: float,
    max_m2: float,
) -> Partition:
    """Assign parcels to compact sites between ``min_m2`` and ``max_m2``.

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` parcel positions (bounding-box centres), metres, in canonical (parcel id) order.
    area : numpy.ndarray
        Parcel areas, m2.
    left, right : numpy.ndarray
        Adjacent pairs (from :func:`adjacency`).
    min_m2, max_m2 : float
        Smallest and largest site area, m2 (``max_m2 >= 2 * min_m2``). A single parcel larger
        than ``max_m2`` stays one site.

    Returns
    -------
    Partition
        Site label and status per parcel.
    """
    n = len(area)
    group = _components(n, left, right, np.zeros(n, dtype=np.int64))
    n_groups = int(group.max(initial=-1) + 1)
    group_area = np.bincount(group, area, minlength=n_groups)
    label = group
    n_split = int(((group_area > max_m2) & (np.bincount(group, minlength=n_groups) > 1)).sum())
    for _ in range(_MAX_ROUNDS):
        piece_area = np.bincount(label, area)
        count = np.bincount(label)
        parts = np.where((piece_area > max_m2) & (count > 1), np.ceil(piece_area / max_m2), 1).astype(np.int64)
        if parts.max(initial=1) <= 1:
            break
        label = _components(n, left, right, _bisect(label, parts, xy, area))
    label = _merge_fragments(label, left, right, area, min_m2=min_m2, max_m2=max_m2)
    keep = np.bincount(label, area)[label] >= min_m2
    status = np.where(keep, "site", np.where(group_area[group] < min_m2, DROP_TOO_SMALL, DROP_SPLIT_REMAINDER))
    return Partition(
        label=_renumber(np.where(keep, label, -1)),
        status=status.astype(object),
        n_groups=n_groups,
        n_split=n_split,
    )
