"""nearest_distance through frontier segments: exactly shapely.distance on every geometry kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely

from conftest import CRS, X0, Y0, box, feats, pt
from landplan.criteria._frontier import _candidates, _runs, frontier_distance, frontier_of, grid_cells
from landplan.criteria.distance import frontier_segments, nearest_distance

xy = st.floats(-500, 1500, allow_nan=False)


@st.composite
def polygon_with_hole(draw):
    x, y = draw(xy), draw(xy)
    w, h = draw(st.floats(40, 900)), draw(st.floats(40, 900))
    f = draw(st.floats(0.1, 0.4))
    shell = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    hole = [(x + f * w, y + f * h), (x + (1 - f) * w, y + f * h), (x + (1 - f) * w, y + (1 - f) * h)]
    return shapely.Polygon(shell, [hole] if draw(st.booleans()) else [])


@st.composite
def line(draw):
    n = draw(st.integers(2, 6))
    return shapely.LineString([(draw(xy), draw(xy)) for _ in range(n)])


@st.composite
def geometry(draw, *, kinds=("point", "line", "polygon", "multipolygon", "multiline", "buffer")):
    kind = draw(st.sampled_from(kinds))
    if kind == "point":
        g = shapely.Point(draw(xy), draw(xy))
    elif kind == "line":
        g = draw(line())
    elif kind == "multiline":
        g = shapely.MultiLineString([draw(line()), draw(line())])
    elif kind == "polygon":
        g = draw(polygon_with_hole())
    elif kind == "buffer":
        g = shapely.buffer(
            shapely.Point(draw(xy), draw(xy)), draw(st.floats(1, 700)), quad_segs=draw(st.integers(1, 40))
        )
    else:
        a, b = draw(polygon_with_hole()), draw(polygon_with_hole())
        g = shapely.MultiPolygon([a, b]) if not a.intersects(b) else a
    return shapely.affinity.translate(g, X0, Y0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(geometry(), min_size=1, max_size=10),
    st.lists(geometry(kinds=("point", "line", "polygon", "multipolygon", "buffer")), min_size=1, max_size=10),
)
def test_nearest_distance_equals_brute_force_shapely(features, parcels):
    p = gpd.GeoDataFrame(geometry=parcels, crs=CRS, index=pd.Index([f"p{i}" for i in range(len(parcels))]))
    d = nearest_distance(p, gpd.GeoDataFrame(geometry=features, crs=CRS))
    brute = shapely.distance(np.array(parcels, dtype=object)[:, None], np.array(features, dtype=object)[None, :]).min(1)
    np.testing.assert_array_equal(d.to_numpy(), brute)  # the same bits, not just within 1e-9


def test_parcel_inside_a_hole_measures_to_the_hole_ring():
    ring = shapely.Polygon(
        [(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000)],
        [[(X0 + 300, Y0 + 300), (X0 + 700, Y0 + 300), (X0 + 700, Y0 + 700), (X0 + 300, Y0 + 700)]],
    )
    p = gpd.GeoDataFrame(geometry=[box(450, 450, 100, 100), box(100, 100, 50, 50), box(1100, 0, 10, 10)], crs=CRS)
    d = nearest_distance(p, gpd.GeoDataFrame(geometry=[ring], crs=CRS))
    assert d.tolist() == [150.0, 0.0, 100.0]  # in the hole; inside the ring; east of it


def test_point_parcels_and_empty_geometries():
    p = gpd.GeoDataFrame(geometry=[pt(0, 0), shapely.Point(), pt(30, 40)], crs=CRS)
    d = nearest_distance(p, feats(pt(0, 0), shapely.LineString([(X0 + 60, Y0), (X0 + 60, Y0 + 100)])))
    assert d.iloc[0] == 0.0 and np.isnan(d.iloc[1]) and d.iloc[2] == 30.0


def test_frontier_segments_are_the_edges_and_points():
    square = shapely.box(0, 0, 10, 10)
    segs = frontier_segments(np.array([square, shapely.Point(5, 5), None, shapely.MultiPoint([(1, 1), (2, 2)])]))
    kinds = shapely.get_type_id(segs)
    assert (kinds == 0).sum() == 3  # three points
    assert (kinds == 1).sum() == 4  # four edges of the square, 2 points each
    assert (shapely.get_num_coordinates(segs[kinds == 1]) == 2).all()
    assert shapely.length(segs[kinds == 1]).sum() == 40.0


def test_geometry_collection_parcel_is_measured_whole():
    gc = shapely.GeometryCollection([box(0, 0, 10, 10), pt(100, 0)])
    p = gpd.GeoDataFrame(geometry=[gc], crs=CRS)
    f = [pt(130, 0), box(-40, 0, 20, 10)]  # 30 m from the point, 20 m from the square
    d = nearest_distance(p, feats(*f))
    assert d.iloc[0] == 20.0 == min(shapely.distance(gc, g) for g in f)


@st.composite
def many_parcels(draw):
    """A jittered grid of up to 400 boxes (with a few points and lines among them), over many cells."""
    n = draw(st.integers(20, 20))
    w = draw(st.floats(5, 150))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    ij = np.column_stack(np.unravel_index(np.arange(n * n), (n, n))).astype(float) * 160.0 - 1000.0
    x = X0 + ij[:, 0] + rng.uniform(0, 150 - w, n * n)
    y = Y0 + ij[:, 1] + rng.uniform(0, 150 - w, n * n)
    g = shapely.box(x, y, x + w * rng.uniform(0.2, 1, n * n), y + w)
    g[::37] = shapely.points(x[::37], y[::37])
    g[::53] = shapely.linestrings(np.stack([np.column_stack([x, y]), np.column_stack([x + w, y + 3])], 1)[::53])
    return g


@settings(max_examples=60, deadline=None)
@given(
    many_parcels(),
    st.lists(geometry(), min_size=1, max_size=6),
    st.sampled_from([1, 4, 16, 1024]),
)
def test_frontier_distance_by_cells_equals_brute_force(parcels, features, per_cell):
    """Every parcel of many cells gets the same bits as shapely.distance, however the cells are cut."""
    fg = np.array(features, dtype=object)
    cells = grid_cells(parcels, per_cell=per_cell)
    rows = np.flatnonzero(~shapely.intersects(parcels[:, None], fg[None, :]).any(axis=1))
    got = frontier_distance(parcels, cells, frontier_of(fg), rows=rows)
    brute = shapely.distance(parcels[rows, None], fg[None, :]).min(axis=1)
    np.testing.assert_array_equal(got, brute)


def test_runs_start_at_the_nearest_segment_and_keep_the_ring_direction():
    """A ring's candidates become one run that starts at the segment nearest the cell and wraps round."""
    square = shapely.box(X0, Y0, X0 + 100, Y0 + 100)  # ring (100 0) (100 100) (0 100) (0 0) (100 0)
    fr = frontier_of(np.array([square]))
    far_west = np.array([box(-1000, 40, 10, 10)])
    cells = grid_cells(far_west, per_cell=1)
    cell, element, key = _candidates(cells.bounds, fr, shapely.STRtree(fr.geoms))
    runs = _runs(cell, element, key, fr)
    assert len(runs) == 1
    parts = shapely.get_parts(runs[0])
    first = shapely.get_coordinates(parts[0])
    # the west edge, from (0, 100) to (0, 0), comes first, in the ring's own direction
    assert first[:2].tolist() == [[X0, Y0 + 100], [X0, Y0]]
    assert float(shapely.distance(far_west[0], runs[0])) == float(shapely.distance(far_west[0], square)) == 990.0


def test_zero_length_line_and_repeated_vertex_are_measured():
    """A line of one repeated point, a ring with a repeated vertex (prepared dwithin misses 0-length lines)."""
    dot = shapely.LineString([(X0, Y0), (X0, Y0)])
    ring = shapely.Polygon([(X0 + 500, Y0), (X0 + 500, Y0), (X0 + 600, Y0), (X0 + 600, Y0 + 100), (X0 + 500, Y0 + 100)])
    parcels = np.array([box(-1000, 40, 10, 10), box(300, 0, 10, 10), box(-40, 0, 10, 10)], dtype=object)
    for features in ([dot], [dot, ring]):
        fg = np.array(features, dtype=object)
        got = frontier_distance(parcels, grid_cells(parcels, per_cell=1), frontier_of(fg), rows=np.arange(3))
        np.testing.assert_array_equal(got, shapely.distance(parcels[:, None], fg[None, :]).min(axis=1))
    assert got.tolist()[2] == 30.0  # 30 m west of the dot
