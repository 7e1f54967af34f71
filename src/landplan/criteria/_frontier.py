"""Exact distances from many parcels to the frontiers of a few features, by grid cells of candidates.

The distance from a parcel to a polygon it does not touch is the distance between the parcel's
rings and the polygon's rings: a minimum over pairs of segments. GEOS finds it by brute force
over the pairs, skipping a segment whose bounding box is already farther than the best distance
so far, so what it costs depends on how soon it meets the nearest pair. Here the features'
frontiers are cut into their 2-point segments (and points), the parcels are grouped into square
grid cells, and for each cell:

- an upper bound ``U`` of the distance from any point of the cell's box to the frontier: the
  farthest corner of the box from the segment nearest the box's centre (the distance to a
  segment is convex, so its largest value over a box is at a corner);
- the candidates: every segment within ``U`` of the box (an STRtree ``dwithin`` query). A
  segment farther than ``U`` from the whole box is farther than that nearest one from every
  point of it, so it cannot hold the nearest point of any parcel in the cell;
- the candidates joined into runs of consecutive segments in their own direction, the run with
  the segment nearest the centre first and starting there, so GEOS's first pair is already
  near the answer and its bounding-box tests skip the rest.

Each parcel then needs one GEOS distance, runs first and the parcel second: GEOS walks the
first geometry's segments and tests each against the second's box, so a far run segment costs
one box test. The parcel polygon itself is measured, not its rings: making rings costs more than
GEOS's point-in-polygon test of the runs' first points. The segment pairs and their arithmetic
are GEOS's own (``segmentToSegment`` is symmetric), so the result has the same bits as
``shapely.distance`` to the whole feature (hypothesis tests). At 200,000 parcels and 10 buffered
zones (330 segments), CPU s: nearest zone ~0.4 against 0.85 for ``STRtree.query_nearest`` with
the rings; gravity access to the 10 zones 1.8 against 3.5 for ``shapely.distance`` to each zone
(DESIGN.md, "Scale"; large studies use the compiled loop of ``criteria._kernels`` instead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import shapely

from landplan.criteria._common import in_slices

__all__ = [
    "Cells",
    "Frontier",
    "frontier_distance",
    "frontier_of",
    "frontier_parts",
    "grid_cells",
    "pairwise_distance",
    "parcels_per_cell",
]

#: parcels per grid cell, in median parcel sizes: about two per frontier element, within these
#: bounds. 200,000 parcels, CPU s of the nearest distance by parcels a cell: to 10 zones (330
#: segments) 16: 1.21, 64: 0.74, 256: 0.55, 1,024: 0.54; to 6,666 points 16: 0.68, 64: 0.45,
#: 256: 0.50, 1,024: 0.69 (DESIGN.md, "Scale")
MIN_PARCELS_PER_CELL, MAX_PARCELS_PER_CELL = 16, 1024


def parcels_per_cell(n_parcels: int, n_elements: int) -> int:
    """About two parcels per frontier element in a cell, within the measured bounds.

    Parameters
    ----------
    n_parcels, n_elements : int
        How many parcels are measured, and against how many frontier elements.
    """
    return int(np.clip(2 * n_parcels // max(n_elements, 1), MIN_PARCELS_PER_CELL, MAX_PARCELS_PER_CELL))


@dataclass(frozen=True)
class Cells:
    """Square grid cells grouping parcels, each with the bounding box of its parcels.

    Attributes
    ----------
    of : numpy.ndarray
        Cell number of each parcel (int64), -1 for missing or empty geometries.
    bounds : numpy.ndarray
        (cells, 4) xmin, ymin, xmax, ymax of the union of each cell's parcels' boxes.
    """

    of: np.ndarray
    bounds: np.ndarray


def grid_cells(parcel_geoms: np.ndarray, *, per_cell: int) -> Cells:
    """Group parcels into square cells by the centre of their bounding boxes.

    The cell side is ``sqrt(per_cell)`` times the median parcel's side (the square root of its
    box's area), so a cell holds about ``per_cell`` parcels where they tile the ground; the
    choice changes the speed, never the distances (:func:`parcels_per_cell`).

    Parameters
    ----------
    parcel_geoms : numpy.ndarray
        Parcel geometries.
    per_cell : int
        The target number of parcels in a cell.

    Returns
    -------
    Cells
        The cell of each parcel and each cell's bounds.
    """
    b = shapely.bounds(parcel_geoms)
    ok = ~np.isnan(b).any(axis=1)
    of = np.full(len(parcel_geoms), -1, dtype="int64")
    if not ok.any():
        return Cells(of=of, bounds=np.empty((0, 4)))
    b_ok = b[ok]
    side = float(np.median(np.sqrt((b_ok[:, 2] - b_ok[:, 0]) * (b_ok[:, 3] - b_ok[:, 1]))))
    size = max(side * np.sqrt(per_cell), 1.0)
    mid = (b_ok[:, :2] + b_ok[:, 2:]) / 2
    ij = np.floor((mid - mid.min(axis=0)) / size).astype("int64")
    code = ij[:, 0] * (int(ij[:, 1].max()) + 1) + ij[:, 1]
    uniq, cell = np.unique(code, return_inverse=True)
    of[ok] = cell
    order = np.argsort(cell, kind="stable")
    starts = np.searchsorted(cell[order], np.arange(len(uniq)))
    sb = b_ok[order]
    bounds = np.column_stack(
        [
            np.minimum.reduceat(sb[:, 0], starts),
            np.minimum.reduceat(sb[:, 1], starts),
            np.maximum.reduceat(sb[:, 2], starts),
            np.maximum.reduceat(sb[:, 3], starts),
        ]
    )
    return Cells(of=of, bounds=bounds)


@dataclass(frozen=True)
class Frontier:
    """Features' frontiers cut into elements: 2-point segments of their lines and rings, and points.

    Attributes
    ----------
    geoms : numpy.ndarray
        The elements: 2-point LineStrings (original coordinates, original direction) and Points.
    a, b : numpy.ndarray
        (m, 2) first and last coordinates of each element (the same for a point).
    line : numpy.ndarray
        The line or ring each element belongs to (a point is a line of its own).
    pos : numpy.ndarray
        The element's position along its line.
    count : numpy.ndarray
        Per line, its number of elements.
    closed : numpy.ndarray
        Per line: its last element ends where its first begins (a ring).
    point : numpy.ndarray
        Per element: a point.
    """

    geoms: np.ndarray
    a: np.ndarray
    b: np.ndarray
    line: np.ndarray
    pos: np.ndarray
    count: np.ndarray
    closed: np.ndarray
    point: np.ndarray


def _points_and_lines(features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The features' points and their lines and rings (as LineStrings), each with its feature's position.

    Parameters
    ----------
    features : numpy.ndarray
        Any shapely geometries (missing and empty ones are skipped).
    """
    valid = np.flatnonzero(~shapely.is_missing(features))
    parts, at = shapely.get_parts(features[valid], return_index=True)
    parts, at2 = shapely.get_parts(parts, return_index=True)  # members of nested collections
    owner = valid[at[at2]]
    keep = ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    dims = shapely.get_dimensions(parts)
    rings, ring_of = shapely.get_parts(shapely.boundary(parts[dims == 2]), return_index=True)
    lines = np.concatenate([parts[dims == 1], rings])
    line_owner = np.concatenate([owner[dims == 1], owner[dims == 2][ring_of]])
    return parts[dims == 0], owner[dims == 0], lines, line_owner


def frontier_parts(features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each feature's frontier as segment ends (a point's are its own), grouped by feature.

    Parameters
    ----------
    features : numpy.ndarray
        Any shapely geometries (missing and empty ones have no element).

    Returns
    -------
    tuple of numpy.ndarray
        (m, 2) first ends, (m, 2) last ends, and the feature of each element, non-decreasing;
        within a feature, its points and then its lines' segments in their order.
    """
    # single polygons without holes (most parcels): their ring read straight from the polygon
    simple = np.flatnonzero((shapely.get_type_id(features) == 3) & (shapely.get_num_interior_rings(features) == 0))
    s_coords, s_at = shapely.get_coordinates(features[simple], return_index=True)
    s_same = s_at[:-1] == s_at[1:]
    rest = np.ones(len(features), dtype=bool)
    rest[simple] = False
    points, point_owner, lines, line_owner = _points_and_lines(features[rest])
    coords, line = shapely.get_coordinates(lines, return_index=True)
    same = line[:-1] == line[1:]
    pc = shapely.get_coordinates(points)
    a = np.concatenate([s_coords[:-1][s_same], pc, coords[:-1][same]])
    b = np.concatenate([s_coords[1:][s_same], pc, coords[1:][same]])
    others = np.flatnonzero(rest)
    owner = np.concatenate([simple[s_at[:-1][s_same]], others[point_owner], others[line_owner[line[:-1][same]]]])
    order = np.argsort(owner, kind="stable")
    return a[order], b[order], owner[order]


def frontier_of(features: np.ndarray) -> Frontier:
    """The frontier of features: a polygon's rings, a line, a point, cut into elements.

    Every ring or line is cut into its 2-point segments with the original coordinates (no new
    vertex, so distances to them are the same bits as to the feature).

    Parameters
    ----------
    features : numpy.ndarray
        Any shapely geometries (missing and empty ones are skipped).
    """
    points, _, lines, _ = _points_and_lines(features)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    same = owner[:-1] == owner[1:]
    a, b = coords[:-1][same], coords[1:][same]
    seg_line = owner[:-1][same]
    first = np.searchsorted(seg_line, seg_line, side="left")
    count = np.bincount(seg_line, minlength=len(lines))
    starts = np.searchsorted(owner, np.arange(len(lines)))
    ends = np.searchsorted(owner, np.arange(len(lines)), side="right") - 1
    closed = (coords[starts] == coords[ends]).all(axis=1)
    pc = shapely.get_coordinates(points)
    n_pts = len(points)
    return Frontier(
        geoms=np.concatenate([points, _segments(a, b)]),
        a=np.concatenate([pc, a]),
        b=np.concatenate([pc, b]),
        line=np.concatenate([np.arange(n_pts), n_pts + seg_line]),
        pos=np.concatenate([np.zeros(n_pts, dtype="int64"), np.arange(len(a)) - first]),
        count=np.concatenate([np.ones(n_pts, dtype="int64"), count]),
        closed=np.concatenate([np.zeros(n_pts, dtype=bool), closed]),
        point=np.concatenate([np.ones(n_pts, dtype=bool), np.zeros(len(a), dtype=bool)]),
    )


def _segments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """2-point LineStrings, and a Point where both ends are the same (a repeated vertex).

    GEOS's prepared ``dwithin`` misses a zero-length LineString (found by the hypothesis test),
    so the tree holds such an element as the point it is; runs keep it as a segment.

    Parameters
    ----------
    a, b : numpy.ndarray
        (m, 2) segment ends.
    """
    out = np.empty(len(a), dtype=object)
    same = (a == b).all(axis=1)
    out[same] = shapely.points(a[same])
    out[~same] = shapely.linestrings(np.stack([a[~same], b[~same]], axis=1))
    return out


def _collect(parts: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """One multi-part geometry per index, parts in the given order.

    Parameters
    ----------
    parts : numpy.ndarray
        LineStrings and Points.
    indices : numpy.ndarray
        The output geometry of each part, non-decreasing.
    """
    kinds = np.unique(shapely.get_type_id(parts))
    if np.array_equal(kinds, [1]):
        return shapely.multilinestrings(parts, indices=indices)
    if np.array_equal(kinds, [0]):
        return shapely.multipoints(parts, indices=indices)
    return shapely.geometrycollections(parts, indices=indices)


def _candidates(
    box: np.ndarray, frontier: Frontier, tree: shapely.STRtree
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell box, the elements that can be nearest to some point of it, and their distance to its centre.

    Parameters
    ----------
    box : numpy.ndarray
        (cells, 4) the cells' bounds.
    frontier : Frontier
        The elements.
    tree : shapely.STRtree
        Of ``frontier.geoms``.
    """
    centres = shapely.points((box[:, :2] + box[:, 2:]) / 2)
    _, nearest = tree.query_nearest(centres, all_matches=False)
    corners = shapely.points(box[:, [0, 1, 0, 3, 2, 1, 2, 3]].reshape(-1, 2))
    reach = shapely.distance(corners, np.repeat(frontier.geoms[nearest], 4)).reshape(-1, 4).max(axis=1)
    reach = reach * (1 + 1e-9) + 1e-6  # GEOS's dwithin rounds otherwise: a margin keeps the nearest in
    # a box of no width is a line or a point (``shapely.box`` would make an invalid polygon)
    boxes = shapely.envelope(shapely.linestrings(box.reshape(-1, 2, 2)))
    cell, element = tree.query(boxes, predicate="dwithin", distance=reach)
    return cell, element, shapely.distance(centres[cell], frontier.geoms[element])


def _runs(cell: np.ndarray, element: np.ndarray, key: np.ndarray, frontier: Frontier) -> np.ndarray:
    """Per cell, its candidates joined into runs of consecutive segments, the nearest run first.

    A run is a LineString through consecutive segments of one line or ring, in their own
    direction (so GEOS computes the same segment pairs, the same bits); the run holding the
    element nearest the cell's centre starts at that element (a ring's run goes on across its
    end), so GEOS's first pair is already close and its bounding-box tests skip the rest.

    Parameters
    ----------
    cell, element, key : numpy.ndarray
        Candidate pairs (cells numbered 0..k-1, each with at least one) and their distance to the cell's centre.
    frontier : Frontier
        The elements.
    """
    line = frontier.line[element]
    order = np.lexsort((element, key, line, cell))  # per (cell, line): its nearest element first
    cell, element, key, line = cell[order], element[order], key[order], line[order]
    head = np.r_[True, (cell[1:] != cell[:-1]) | (line[1:] != line[:-1])]
    group = np.cumsum(head) - 1
    near_pos, near_key = frontier.pos[element][head][group], key[head][group]
    n, pos = frontier.count[line], frontier.pos[element]
    shifted = np.where(
        frontier.closed[line], (pos - near_pos) % n, np.where(pos >= near_pos, pos - near_pos, pos - near_pos + n + 1)
    )
    order = np.lexsort((shifted, line, near_key, cell))
    cell, element, line, shifted = cell[order], element[order], line[order], shifted[order]
    new = np.r_[True, (cell[1:] != cell[:-1]) | (line[1:] != line[:-1]) | (shifted[1:] - shifted[:-1] != 1)]
    run = np.cumsum(new) - 1
    last = np.r_[new[1:], True]
    parts = np.empty(int(run[-1]) + 1, dtype=object)
    is_point = frontier.point[element[new]]
    parts[is_point] = shapely.points(frontier.a[element[new][is_point]])
    seg = ~frontier.point[element]
    # a run's coordinates: each segment's start, then the last segment's end
    line_run = np.cumsum(new & seg) - 1
    at = np.flatnonzero(seg)
    coords = np.empty((len(at) + int((last & seg).sum()), 2))
    slot = np.arange(len(at)) + line_run[at]
    coords[slot] = frontier.a[element[at]]
    ends = np.flatnonzero(last & seg)
    end_slot = np.searchsorted(at, ends) + line_run[ends] + 1
    coords[end_slot] = frontier.b[element[ends]]
    run_of = np.empty(len(coords), dtype="int64")
    run_of[slot], run_of[end_slot] = line_run[at], line_run[ends]
    parts[~is_point] = shapely.linestrings(coords, indices=run_of)
    return _collect(parts, cell[new])


def frontier_distance(parcel_geoms: np.ndarray, cells: Cells, frontier: Frontier, *, rows: np.ndarray) -> np.ndarray:
    """Exact distance from ``parcel_geoms[rows]`` to the nearest element of ``frontier``.

    Parameters
    ----------
    parcel_geoms : numpy.ndarray
        The parcels (any geometry); those measured must not touch the frontier's features.
    cells : Cells
        The parcels' grid cells (:func:`grid_cells`).
    frontier : Frontier
        The features' frontier (:func:`frontier_of`), not empty.
    rows : numpy.ndarray
        Positions of the parcels to measure; each must have a cell (``cells.of >= 0``).

    Returns
    -------
    numpy.ndarray
        float64 distances, one per row.
    """
    if not len(rows):
        return np.empty(0)
    tree = shapely.STRtree(frontier.geoms, node_capacity=2)
    # every cell's candidates (cheaper than finding the cells the rows use: the cells are few)
    cell, element, key = _candidates(cells.bounds, frontier, tree)
    return pairwise_distance(_runs(cell, element, key, frontier)[cells.of[rows]], parcel_geoms[rows])


def pairwise_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``shapely.distance(a, b)`` in slices on every core (shapely releases the GIL; same bits).

    Parameters
    ----------
    a, b : numpy.ndarray
        Geometries, the same length.
    """
    out = np.empty(len(a))

    def part(start: int, stop: int) -> None:
        out[start:stop] = shapely.distance(a[start:stop], b[start:stop])

    in_slices(part, len(a))
    return out
