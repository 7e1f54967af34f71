"""landplan.criteria._discs: the exact share of a polygon inside a union of equal discs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shapely

from landplan.criteria._discs import disc_union_share

X, Y = 580_000.0, 2_330_000.0  # UTM-sized coordinates, as real data
OFFSET = np.array([X, Y])


def share(geom: shapely.Geometry, *centres: tuple[float, float], r: float) -> float:
    """The share of one parcel (coordinates relative to X, Y)."""
    g = shapely.transform(geom, lambda c: c + OFFSET)
    return float(disc_union_share(np.array([g]), np.array(centres, dtype=float) + OFFSET, r)[0])


def lens_area(d: float, r: float) -> float:
    """Area common to two discs of radius r whose centres are d apart."""
    return 2 * r * r * math.acos(d / (2 * r)) - d / 2 * math.sqrt(4 * r * r - d * d)


def test_by_hand():
    square = shapely.box(0, 0, 10, 10)
    assert share(square, (5, 5), r=5) == pytest.approx(math.pi / 4, abs=1e-12)  # tangent to all 4 edges
    assert share(square, (0, 5), r=2) == pytest.approx(math.pi * 2 / 100, abs=1e-12)  # half disc on an edge
    assert share(square, (0, 0), r=2) == pytest.approx(math.pi / 100, abs=1e-12)  # quarter disc at a corner
    assert share(square, (5, 5), r=7.08) == 1.0  # corners at 7.07 m: inside one disc
    assert share(square, (20, 20), r=5) == 0.0
    assert share(square, (-3, 5), r=4) == pytest.approx((16 * math.acos(3 / 4) - 3 * math.sqrt(7)) / 100, abs=1e-12)
    # two overlapping discs inside a big parcel: the union, the lens counted once
    big = shapely.box(-100, -100, 100, 100)
    union = 2 * math.pi * 25 - lens_area(6, 5)
    assert share(big, (0, 0), (6, 0), r=5) == pytest.approx(union / 40_000, abs=1e-14)
    # a hole: the disc's part over the hole does not count
    holed = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(4, 4), (6, 4), (6, 6), (4, 6)]])
    assert share(holed, (5, 5), r=1) == 0.0
    assert share(holed, (5, 5), r=2) == pytest.approx((math.pi * 4 - 4) / 96, abs=1e-12)


def test_empty_missing_and_non_polygons_get_zero():
    geoms = np.array([None, shapely.Polygon(), shapely.Point(X, Y), shapely.box(X, Y, X + 1, Y + 1)])
    out = disc_union_share(geoms, np.array([[X, Y]]), 10.0)
    assert out.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert disc_union_share(geoms, np.empty((0, 2)), 10.0).tolist() == [0.0] * 4


@st.composite
def grid_cases(draw):
    """Parcels and centres on a metre grid: vertices on circles, tangents and shared points are common."""
    n = draw(st.integers(1, 6))
    parcels = []
    for _ in range(n):
        x, y = draw(st.integers(0, 20)), draw(st.integers(0, 20))
        w, h = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        g = shapely.box(x, y, x + w, y + h)
        kind = draw(st.sampled_from(["box", "hole", "multi", "triangle"]))
        if kind == "hole" and w > 2 and h > 2:
            g = g.difference(shapely.box(x + 1, y + 1, x + w - 1, y + h - 1))
        elif kind == "multi":
            g = shapely.union_all([g, shapely.box(x + w + 2, y, x + w + 5, y + 3)])
        elif kind == "triangle":
            g = shapely.Polygon([(x, y), (x + w, y), (x, y + h)])
        parcels.append(g)
    centres = draw(st.lists(st.tuples(st.integers(-3, 25), st.integers(-3, 25)), min_size=1, max_size=8))
    r = draw(st.sampled_from([1.0, 2.0, 2.5, 3.0, 5.0, 7.0]))
    return parcels, centres, r


@settings(max_examples=150, deadline=None)
@given(grid_cases())
def test_matches_polygon_bounds(case):
    parcels, centres, r = case
    pg = np.array([shapely.transform(p, lambda c: c + OFFSET) for p in parcels])
    xy = np.array(centres, dtype=float) + OFFSET
    got = disc_union_share(pg, xy, r)
    # oracle: the exact share lies between the union of inscribed and of circumscribed polygons
    q = 512
    inner = shapely.union_all(shapely.buffer(shapely.points(xy), r, quad_segs=q))
    outer = shapely.union_all(shapely.buffer(shapely.points(xy), r / math.cos(math.pi / (4 * q)), quad_segs=q))
    area = shapely.area(pg)
    low = shapely.area(shapely.intersection(pg, inner)) / area
    high = shapely.area(shapely.intersection(pg, outer)) / area
    assert np.all(low - 1e-9 <= got) and np.all(got <= high + 1e-9), (got, low, high)
    # the same bits whatever the order of the centres (duplicates included)
    again = disc_union_share(pg, np.concatenate([xy[::-1], xy[:1]]), r)
    assert np.array_equal(got, again)
