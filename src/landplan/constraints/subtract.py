"""Subtract-mode constraints: remove the constrained part of a parcel instead of the parcel.

A spatial constraint in ``mode = "subtract"`` gives, for every parcel, the part it removes (a
:class:`Cut`): its intersection with the union of the constraint's polygons (isolation buffers,
buffered exclusion features, polygonised raster cells) and a note saying how much was removed
and why. :func:`net_geometry` takes the parcels minus the union of every cut, in vectorised
shapely calls (STRtree pairs, one ``intersection``, one ``union_all(..., axis=1)`` per bucket of
piece counts, one ``difference``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import pyproj
import shapely

from landplan.criteria.coverage import quad_segs_for
from landplan.errors import InputError
from landplan.io.raster import RasterData

__all__ = ["SLIVER_M2", "Cut", "cut_by", "failing_cells", "isolation_covers", "net_geometry", "polygonal"]

#: net areas below this (square metres) are rounding slivers: the parcel has nothing left
SLIVER_M2 = 0.01


@dataclass(frozen=True)
class Cut:
    """What one subtract constraint removes from each parcel.

    Attributes
    ----------
    removed : numpy.ndarray
        Per parcel, the removed part (a polygonal geometry) or ``None`` where nothing is removed.
    removed_m2 : numpy.ndarray
        Its area, square metres (0 where nothing is removed).
    note : numpy.ndarray
        Per parcel, e.g. ``"0.30 ha within 300 m of KCN Thăng Long (class III)"``; ``""`` where
        nothing is removed.
    """

    removed: np.ndarray
    removed_m2: np.ndarray
    note: np.ndarray


def _ha_text(area_m2: np.ndarray) -> np.ndarray:
    return np.char.mod("%.2f", np.asarray(area_m2, dtype="float64") / 10_000.0).astype(object) + " ha"


def _union_by_parcel(left: np.ndarray, pieces: np.ndarray, n: int) -> np.ndarray:
    """Union of the pieces of each parcel (``left`` = parcel position of each piece); None where none."""
    out = np.full(n, None, dtype=object)
    if len(left) == 0:
        return out
    b = shapely.bounds(pieces)
    order = np.lexsort((b[:, 3], b[:, 2], b[:, 1], b[:, 0], left))  # canonical order: input order does not matter
    left, pieces = left[order], pieces[order]
    ids, starts, counts = np.unique(left, return_index=True, return_counts=True)
    row_of_piece = np.repeat(np.arange(len(ids)), counts)
    col_of_piece = np.arange(len(left)) - np.repeat(starts, counts)
    bucket = np.ceil(np.log2(counts)).astype(int)  # powers of two keep the padded tables small
    for b_ in np.unique(bucket):  # loop over buckets, not parcels
        rows = np.flatnonzero(bucket == b_)
        width = int(counts[rows].max())
        if width == 1:
            out[ids[rows]] = pieces[starts[rows]]
            continue
        table = np.full((len(rows), width), None, dtype=object)
        position = np.full(len(ids), -1)
        position[rows] = np.arange(len(rows))
        sel = position[row_of_piece] >= 0
        table[position[row_of_piece[sel]], col_of_piece[sel]] = pieces[sel]
        out[ids[rows]] = shapely.union_all(table, axis=1)
    return out


def _join_by_parcel(left: np.ndarray, text: np.ndarray, n: int) -> np.ndarray:
    """Join the texts of each parcel with ``", "`` in the given order (loops over ranks, not parcels)."""
    out = np.full(n, "", dtype=object)
    if len(left) == 0:
        return out
    order = np.argsort(left, kind="stable")
    left, text = left[order], text[order]
    _, starts, counts = np.unique(left, return_index=True, return_counts=True)
    rank = np.arange(len(left)) - np.repeat(starts, counts)
    for r in range(int(counts.max())):
        at = rank == r
        first = out[left[at]] == ""
        out[left[at]] = np.where(first, text[at], out[left[at]] + ", " + text[at])
    return out


def cut_by(
    parcel_geoms: np.ndarray,
    covers: np.ndarray,
    *,
    what: str | np.ndarray,
) -> Cut:
    """The part of each parcel inside the union of ``covers``, and a note naming it.

    Parameters
    ----------
    parcel_geoms : numpy.ndarray
        Parcel polygons (working CRS, metres).
    covers : numpy.ndarray
        Polygons to remove (same CRS).
    what : str or numpy.ndarray
        How a note names the covers: one text for all (``"overlapping water"``: the note gives the
        area of the union), or one text per cover (``"within 300 m of KCN A (class III)"``: the note
        lists each cover that cuts the parcel with the area it covers, largest first).

    Returns
    -------
    Cut
        Removed part, its area and the note, per parcel.
    """
    n = len(parcel_geoms)
    covers = np.asarray(covers, dtype=object)
    if len(covers) == 0 or n == 0:
        return Cut(np.full(n, None, dtype=object), np.zeros(n), np.full(n, "", dtype=object))
    left, right = shapely.STRtree(covers).query(parcel_geoms, predicate="intersects")
    pieces = shapely.intersection(parcel_geoms[left], covers[right])
    piece_m2 = shapely.area(pieces)
    keep = piece_m2 > 0  # touching along an edge removes nothing
    left, right, pieces, piece_m2 = left[keep], right[keep], pieces[keep], piece_m2[keep]
    removed = _union_by_parcel(left, pieces, n)
    removed_m2 = np.zeros(n)
    has = np.flatnonzero(shapely.is_geometry(removed))
    removed_m2[has] = shapely.area(removed[has])
    if isinstance(what, str):
        note = np.where(removed_m2 > 0, _ha_text(removed_m2) + " " + what, "").astype(object)
        return Cut(removed, removed_m2, note)
    labels = np.asarray(what, dtype=object)[right].astype(str)
    order = np.lexsort((labels, -piece_m2, left))  # per parcel: largest first, ties by label
    text = (_ha_text(piece_m2[order]) + " " + labels[order]).astype(object)
    return Cut(removed, removed_m2, _join_by_parcel(left[order], text, n))


def isolation_covers(zone_geoms: np.ndarray, distance_m: np.ndarray) -> np.ndarray:
    """Each zone with its isolation distance around it (the area to remove).

    Buffers are polygons inscribed in the true offset, within 2 mm of it (see
    :func:`landplan.criteria.coverage.quad_segs_for`), one segment count per distinct distance.

    Parameters
    ----------
    zone_geoms : numpy.ndarray
        Zone polygons.
    distance_m : numpy.ndarray
        Isolation distance per zone, metres (finite, >= 0).

    Returns
    -------
    numpy.ndarray
        One polygon per zone.
    """
    dist = np.asarray(distance_m, dtype="float64")
    if not (np.isfinite(dist) & (dist >= 0)).all():
        msg = "isolation constraint: some zones have no finite isolation distance; give every zone a hazard class"
        raise InputError(msg)
    out = np.array(zone_geoms, dtype=object, copy=True)
    for d in np.unique(dist[dist > 0]):  # loop over distinct distances (hazard classes)
        at = dist == d
        out[at] = shapely.buffer(zone_geoms[at], d, quad_segs=quad_segs_for(float(d)))
    return out


def failing_cells(
    raster: RasterData,
    *,
    to_crs: pyproj.CRS,
    within: tuple[float, float, float, float] | None = None,
    threshold: float | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
) -> np.ndarray:
    """Polygons of the raster cells that fail a cell test, in ``to_crs``.

    A cell fails when its value is above ``threshold`` or ``max_value``, or below ``min_value``;
    nodata cells never fail (as parcels with no raster value are kept in ``exclude`` mode).
    Failing cells are polygonised with GDAL (:func:`rasterio.features.shapes`: adjacent cells
    merge into one polygon along cell edges) and reprojected vertex by vertex.

    Parameters
    ----------
    raster : RasterData
        The raster, read once.
    to_crs : pyproj.CRS
        The working CRS of the result.
    within : tuple of float, optional
        ``(xmin, ymin, xmax, ymax)`` in ``to_crs``: only cells under this box are polygonised.
    threshold, min_value, max_value : float, optional
        The cell test (``threshold`` for ``share_above`` rules, else the bounds).

    Returns
    -------
    numpy.ndarray
        Polygons (possibly none).
    """
    from rasterio.features import shapes
    from rasterio.transform import from_bounds
    from rasterio.windows import from_bounds as window_from_bounds

    values = raster.values
    rows, cols = raster.shape
    transform = from_bounds(*raster.bounds, cols, rows)
    row0, col0 = 0, 0
    if within is not None:
        box = pyproj.Transformer.from_crs(to_crs, raster.crs, always_xy=True).transform_bounds(*within)
        win = window_from_bounds(*box, transform=transform).round_offsets().round_lengths()
        row0, col0 = max(int(win.row_off) - 1, 0), max(int(win.col_off) - 1, 0)
        row1, col1 = min(int(win.row_off + win.height) + 2, rows), min(int(win.col_off + win.width) + 2, cols)
        if row1 <= row0 or col1 <= col0:
            return np.array([], dtype=object)
        values = values[row0:row1, col0:col1]
        transform = transform * transform.translation(col0, row0)
    fail = np.zeros(values.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        for bound, above in ((threshold, True), (max_value, True), (min_value, False)):
            if bound is not None:
                fail |= (values > bound) if above else (values < bound)
    if not fail.any():
        return np.array([], dtype=object)
    polys = [shapely.geometry.shape(g) for g, _ in shapes(fail.astype("uint8"), mask=fail, transform=transform)]
    geoms = np.array(polys, dtype=object)
    if not raster.crs.equals(to_crs):
        t = pyproj.Transformer.from_crs(raster.crs, to_crs, always_xy=True)
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    return geoms


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Only the polygons of each geometry: collections (from overlays or repairs) lose their lines and points.

    Parameters
    ----------
    geoms : numpy.ndarray
        Geometries; polygons and multipolygons are returned as they are.

    Returns
    -------
    numpy.ndarray
        Polygons or multipolygons (empty where a collection held no polygon).
    """
    out = np.array(geoms, dtype=object, copy=True)
    mixed = np.flatnonzero(shapely.get_type_id(out) == 7)  # GeometryCollection
    if len(mixed) == 0:
        return out
    parts, owner = shapely.get_parts(out[mixed], return_index=True)
    area = shapely.get_type_id(parts) >= 3
    polys, sub = shapely.get_parts(parts[area], return_index=True)  # multipolygons into polygons
    owner = owner[area][sub]
    merged = np.full(len(mixed), None, dtype=object)
    if len(polys):
        ids, dense = np.unique(owner, return_inverse=True)
        merged[ids] = shapely.multipolygons(polys, indices=dense)
    merged[shapely.is_missing(merged)] = shapely.Polygon()
    out[mixed] = merged
    return out


def net_geometry(parcel_geoms: np.ndarray, cuts: list[Cut]) -> np.ndarray:
    """The parcels minus everything the cuts remove (untouched parcels are returned as they are).

    Parameters
    ----------
    parcel_geoms : numpy.ndarray
        Parcel polygons.
    cuts : list of Cut
        One per subtract constraint.

    Returns
    -------
    numpy.ndarray
        Net geometry per parcel (empty polygons where nothing is left).
    """
    if not cuts:
        return parcel_geoms
    stack = np.stack([c.removed for c in cuts], axis=1)  # parcels x constraints
    touched = shapely.is_geometry(stack).any(axis=1)
    net = np.array(parcel_geoms, dtype=object, copy=True)
    rows = np.flatnonzero(touched)
    if len(rows):
        removed = shapely.union_all(stack[rows], axis=1)
        net[rows] = polygonal(shapely.difference(parcel_geoms[rows], removed))
        gone = shapely.area(net[rows]) < SLIVER_M2
        net[rows[gone]] = shapely.Polygon()
    return net
