"""landplan.allocation.pieces: a reserved piece is drawn as the strip of its parcel facing its zone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import shapely

from landplan.allocation.pieces import piece_geometries

CRS = "EPSG:32648"


def _frames(rows, parcels, zones):
    pieces = pd.DataFrame(rows, columns=["parcel_id", "zone", "area_ha", "reserved_ha"]).set_index("parcel_id")
    return (
        pieces,
        gpd.GeoSeries(list(parcels.values()), index=list(parcels), crs=CRS),
        gpd.GeoSeries(list(zones.values()), index=list(zones), crs=CRS),
    )


def test_a_piece_is_the_strip_facing_its_zone():
    # parcel 0..200 x 0..100 (2 ha); zone to the west; 0.5 ha reserved -> the strip x 0..50
    pieces, parcels, zones = _frames(
        [("A", "Z", 2.0, 0.5)], {"A": shapely.box(0, 0, 200, 100)}, {"Z": shapely.box(-300, 0, -200, 100)}
    )
    (g,) = piece_geometries(pieces, parcels, zones)
    assert g.area == pytest.approx(5_000, rel=1e-9)
    assert shapely.bounds(g) == pytest.approx([0, 0, 50, 100], abs=1e-6)


def test_two_pieces_of_one_parcel_do_not_overlap_and_whole_parcels_stay_whole():
    pieces, parcels, zones = _frames(
        [("A", "W", 2.0, 0.5), ("A", "E", 2.0, 1.0), ("B", "W", 1.0, 1.0)],
        {"A": shapely.box(0, 0, 200, 100), "B": shapely.box(0, 200, 100, 300)},
        {"W": shapely.box(-300, 0, -200, 100), "E": shapely.box(400, 0, 500, 100)},
    )
    west, east, whole = piece_geometries(pieces, parcels, zones)
    assert shapely.bounds(west) == pytest.approx([0, 0, 50, 100], abs=1e-6)
    assert shapely.bounds(east) == pytest.approx([100, 0, 200, 100], abs=1e-6)
    assert shapely.intersection(west, east).area == pytest.approx(0, abs=1e-6)
    assert whole.equals(parcels["B"])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_pieces_have_their_area_lie_in_their_parcel_and_never_overlap(seed):
    rng = np.random.default_rng(seed)
    n = 6
    x, y = rng.uniform(0, 2_000, n), rng.uniform(0, 2_000, n)
    w, h = rng.uniform(50, 300, n), rng.uniform(50, 300, n)
    parcels = {f"P{i}": shapely.box(x[i], y[i], x[i] + w[i], y[i] + h[i]) for i in range(n)}
    zones = {f"Z{j}": shapely.Point(rng.uniform(-3_000, 5_000, 2)).buffer(100) for j in range(3)}
    rows = []
    for i, (pid, g) in enumerate(parcels.items()):
        area_ha = g.area / 1e4
        shares = rng.dirichlet(np.ones(3)) * rng.uniform(0.3, 1.0)
        rows += [(pid, f"Z{j}", area_ha, area_ha * shares[j]) for j in range(1 + i % 3)]
    pieces, ps, zs = _frames(rows, parcels, zones)
    drawn = piece_geometries(pieces, ps, zs)
    np.testing.assert_allclose(shapely.area(drawn), pieces["reserved_ha"] * 1e4, rtol=1e-6, atol=1e-3)
    for pid, parcel in parcels.items():
        mine = drawn[(pieces.index == pid)]
        assert all(shapely.difference(m, parcel).area < 1e-6 for m in mine)
        assert shapely.union_all(mine).area == pytest.approx(sum(m.area for m in mine), rel=1e-6, abs=1e-3)
