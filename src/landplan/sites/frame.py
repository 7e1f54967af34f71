"""The site frame: one row per site, with the union of its members and their attributes.

A site is a candidate unit like a parcel. Its geometry is the union of its members (a
MultiPolygon when they are joined across a lane), so every geometric criterion (distance,
coverage, count, raster, area, access) and every spatial constraint is measured on the site
itself. Parcel attributes are carried up from the members: numbers as the area-weighted mean
of the members that have a value (the scenario's ``capacity_field`` as the sum), any other
value (text, categories, the group) as the value of the largest member (ties: the lowest
parcel id).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

__all__ = ["MEMBER_COUNT", "MEMBER_IDS", "site_frame", "site_ids", "union_by_label"]

#: site column: how many parcels the site is made of
MEMBER_COUNT = "n_parcels"
#: site column: its parcel ids, sorted, joined with ``;``
MEMBER_IDS = "member_ids"
#: sites tried with a coverage union before deciding that the data are not a clean coverage
_PROBE_SITES = 200


def site_ids(n: int, *, prefix: str = "S") -> np.ndarray:
    """Site ids ``S0001``, ``S0002``, ... (at least four digits, more when needed).

    Parameters
    ----------
    n : int
        Number of sites.
    prefix : str, default "S"
        Text before the number.

    Returns
    -------
    numpy.ndarray
        ``n`` ids (object array of str).
    """
    width = max(4, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def union_by_label(geoms: np.ndarray, label: np.ndarray, n: int, *, grid_m: float = 0.01) -> np.ndarray:
    """Union of the geometries of each label ``0..n-1`` (vectorised by member count).

    Members are laid out in a padded table per bucket of sites with the same member count and
    united with ``shapely.coverage_union_all(table, axis=1)``: one call per distinct count, never
    one per site. A coverage union needs neighbours to share their vertices exactly, so member
    coordinates are first rounded to ``grid_m`` (1 cm: parcels whose common edge differs in the
    last bits then match); it is then about five times faster than a full union. Sites GEOS
    refuses (a vertex of one parcel in the middle of its neighbour's edge: a T-junction) are
    dissolved with ``buffer(0)`` of the collection of their members as given (about twice as
    fast as ``union_all``). Any result that is invalid or whose area differs from the sum of
    its members' (overlapping parcels) is united again with ``shapely.union_all``. When more
    than half of the first 200 or more sites needed the dissolve, the data are not a clean
    coverage and the remaining sites are dissolved directly.

    Parameters
    ----------
    geoms : numpy.ndarray
        Shapely geometries.
    label : numpy.ndarray
        Label per geometry (``-1``: left out).
    n : int
        Number of labels.
    grid_m : float, default 0.01
        Grid the coordinates are rounded to before the coverage union (CRS units, metres).

    Returns
    -------
    numpy.ndarray
        ``n`` geometries.
    """
    out = np.empty(n, dtype=object)
    keep = np.flatnonzero(label >= 0)
    order = keep[np.argsort(label[keep], kind="stable")]
    members = geoms[order]
    snapped = shapely.transform(members, lambda xy: np.round(xy / grid_m) * grid_m)
    count = np.bincount(label[order], minlength=n)
    start = np.r_[0, np.cumsum(count)[:-1]]
    snapped_area = np.bincount(label[order], shapely.area(snapped), minlength=n)
    member_area = np.bincount(label[order], shapely.area(members), minlength=n)
    tried = failed = 0
    for c in np.unique(count[count > 0]):
        sites = np.flatnonzero(count == c)
        table = start[sites][:, None] + np.arange(c)[None, :]
        if tried >= _PROBE_SITES and failed > tried / 2:  # unclean data: coverage unions rarely work
            geoms_c, dissolved = _dissolve(members[table]), np.ones(len(sites), dtype=bool)
        else:
            geoms_c, dissolved = _coverage_union(snapped[table], members[table])
        bad = _wrong(geoms_c, np.where(dissolved, member_area[sites], snapped_area[sites]))
        if (retry := bad & ~dissolved).any():  # an invalid coverage union: dissolve instead
            geoms_c[retry] = _dissolve(members[table[retry]])
            bad[retry] = _wrong(geoms_c[retry], member_area[sites[retry]])
        tried, failed = tried + len(sites), failed + int((dissolved | retry).sum())
        if bad.any():  # overlapping members, or a result that lost or gained area
            geoms_c[bad] = shapely.union_all(members[table[bad]], axis=1)
        out[sites] = geoms_c
    return out


def _try_coverage(snapped: np.ndarray) -> np.ndarray | None:
    try:
        return np.asarray(shapely.coverage_union_all(snapped, axis=1))
    except shapely.errors.GEOSException:  # not a clean coverage (T-junction, overlap)
        return None


def _wrong(geoms: np.ndarray, expected_m2: np.ndarray) -> np.ndarray:
    """Invalid results, or results whose area is not the sum of their members'."""
    return ~shapely.is_valid(geoms) | ~np.isclose(shapely.area(geoms), expected_m2, rtol=1e-9, atol=1e-6)


def _dissolve(members: np.ndarray) -> np.ndarray:
    """``buffer(0)`` of each row's members as one collection (a union through the buffer noder)."""
    return np.asarray(shapely.buffer(shapely.geometrycollections(members), 0.0))


def _coverage_union(snapped: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coverage union of each row, and which rows were dissolved instead because GEOS refused them.

    A refused table is halved: a half that passes is kept; a refused half is halved again,
    unless both halves were refused (mostly unclean data), then both are dissolved at once.
    A few bad sites thus cost a few extra calls, and unclean data about one extra pass.
    """
    out = _try_coverage(snapped)
    if out is not None:
        return out, np.zeros(len(snapped), dtype=bool)
    if len(snapped) == 1:
        return _dissolve(members), np.ones(1, dtype=bool)
    half = len(snapped) // 2
    halves = [(slice(None, half), _try_coverage(snapped[:half])), (slice(half, None), _try_coverage(snapped[half:]))]
    if all(done is None for _, done in halves):
        return _dissolve(members), np.ones(len(snapped), dtype=bool)
    geoms, full = [], []
    for part, done in halves:
        if done is None:
            g, f = _coverage_union(snapped[part], members[part])
        else:
            g, f = done, np.zeros(len(done), dtype=bool)
        geoms.append(g)
        full.append(f)
    return np.concatenate(geoms), np.concatenate(full)


def _largest_member(label: np.ndarray, area: np.ndarray, n: int) -> np.ndarray:
    """Position of each label's largest member (ties: the first position)."""
    pos = np.arange(len(label))
    keep = label >= 0
    order = np.lexsort((pos[keep], -area[keep], label[keep]))
    lab = label[keep][order]
    head = np.diff(lab, prepend=-1) != 0
    out = np.empty(n, dtype=np.int64)
    out[lab[head]] = pos[keep][order][head]
    return out


def _joined_ids(index: pd.Index, label: np.ndarray, n: int) -> np.ndarray:
    """Each label's member ids (in parcel order) joined with ``;`` (one join per site)."""
    keep = np.flatnonzero(label >= 0)
    order = keep[np.argsort(label[keep], kind="stable")]
    ids = np.asarray(index.astype(str).to_numpy(dtype=object)[order]).tolist()
    ends = np.cumsum(np.bincount(label[order], minlength=n)).tolist()
    starts = [0, *ends][:n]
    return np.array([";".join(ids[a:b]) for a, b in zip(starts, ends, strict=True)], dtype=object)


def _numeric(values: pd.Series, label: np.ndarray, area: np.ndarray, n: int, *, total: bool) -> np.ndarray:
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    keep = (label >= 0) & np.isfinite(v)
    if total:
        s = np.bincount(label[keep], v[keep], minlength=n)
        has = np.bincount(label[keep], minlength=n) > 0
        return np.where(has, s, np.nan)
    weight = np.bincount(label[keep], area[keep], minlength=n)
    s = np.bincount(label[keep], area[keep] * v[keep], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, s / weight, np.nan)


def site_frame(
    parcels: gpd.GeoDataFrame,
    label: np.ndarray,
    *,
    prefix: str = "S",
    sum_columns: tuple[str, ...] = (),
    index_name: str = "site_id",
) -> gpd.GeoDataFrame:
    """One row per site: id, member count and ids, union geometry, attributes from members.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels in canonical (parcel id) order, as passed to the partition.
    label : numpy.ndarray
        Site number per parcel (``0..n-1``, numbered by first member), ``-1`` outside sites.
    prefix : str, default "S"
        Site id prefix.
    sum_columns : tuple of str, default ()
        Numeric columns summed over members (capacities) instead of area-weighted.
    index_name : str, default "site_id"
        Name of the index.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by site id in label order, in the parcels' CRS.
    """
    n = int(label.max(initial=-1) + 1)
    geoms = parcels.geometry.to_numpy()
    area = shapely.area(geoms)
    ids = pd.Index(site_ids(n, prefix=prefix), name=index_name)
    data: dict[str, object] = {}
    largest = _largest_member(label, area, n)
    geom_col = parcels.geometry.name
    for col in parcels.columns:
        if col == geom_col or col in (MEMBER_COUNT, MEMBER_IDS):
            continue
        values = parcels[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            data[col] = _numeric(values, label, area, n, total=col in sum_columns)
        else:
            data[col] = values.to_numpy()[largest] if n else values.to_numpy()[:0]
    data[MEMBER_COUNT] = np.bincount(label[label >= 0], minlength=n).astype(np.int64)
    data[MEMBER_IDS] = _joined_ids(parcels.index, label, n)
    frame = pd.DataFrame(data, index=ids)
    return gpd.GeoDataFrame(frame, geometry=union_by_label(geoms, label, n), crs=parcels.crs)
