"""Site assembly on grids whose sites can be drawn by hand, and invariants on random parcel maps.

The 4 x 4 grid has 50 m x 50 m parcels (0.25 ha) with ids P00..P15 row by row from the
south-west corner::

    P12 P13 P14 P15     y 150..200
    P08 P09 P10 P11     y 100..150
    P04 P05 P06 P07     y  50..100
    P00 P01 P02 P03     y   0.. 50
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import CRS, X0, Y0

import geopandas as gpd
import shapely

from landplan.errors import InputError
from landplan.sites import adjacency, assemble_sites, union_by_label
from landplan.sites.assemble import DROP_SPLIT_REMAINDER, DROP_TOO_SMALL, partition


def cell(x: float, y: float, w: float = 50.0, h: float = 50.0) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def grid4(**columns: list[object]) -> gpd.GeoDataFrame:
    cells = [cell(x, y) for y in (0, 50, 100, 150) for x in (0, 50, 100, 150)]
    ids = pd.Index([f"P{i:02d}" for i in range(16)], name="parcel_id")
    return gpd.GeoDataFrame(dict(columns), index=ids, geometry=cells, crs=CRS)


def members(sites: gpd.GeoDataFrame) -> dict[str, list[str]]:
    return {sid: ids.split(";") for sid, ids in sites["member_ids"].items()}


def test_grid_splits_into_two_halves_of_two_hectares() -> None:
    # 4 ha in one group, max 2 ha: k = 2 parts; the square is isotropic, so the cut is
    # across the x axis at half the area: the two west columns and the two east columns
    sites, mem, summary = assemble_sites(grid4(), min_site_ha=1, max_site_ha=2)
    assert members(sites) == {
        "S0001": ["P00", "P01", "P04", "P05", "P08", "P09", "P12", "P13"],
        "S0002": ["P02", "P03", "P06", "P07", "P10", "P11", "P14", "P15"],
    }
    assert sites.geometry.area.tolist() == [20_000.0, 20_000.0]
    assert sites.geometry.bounds["minx"].tolist() == [X0, X0 + 100]
    assert sites["n_parcels"].tolist() == [8, 8]
    assert mem["site_id"].tolist() == ["S0001", "S0001", "S0002", "S0002"] * 4
    assert summary["groups"] == 1 and summary["groups_split"] == 1 and summary["dropped"] == {}


def test_grid_into_quadrants_of_one_hectare() -> None:
    # max 1 ha: k = 4; first cut west/east (x), then each 2 x 4 half is longer in y: south/north
    sites, _, _ = assemble_sites(grid4(), min_site_ha=0.5, max_site_ha=1)
    assert members(sites) == {
        "S0001": ["P00", "P01", "P04", "P05"],
        "S0002": ["P02", "P03", "P06", "P07"],
        "S0003": ["P08", "P09", "P12", "P13"],
        "S0004": ["P10", "P11", "P14", "P15"],
    }


def test_group_within_range_is_one_site_and_small_group_is_dropped() -> None:
    grid = grid4()
    kept = grid.drop(index=["P02", "P06", "P10", "P14"])  # a 50 m street: west 2 ha, east 1 ha
    sites, mem, summary = assemble_sites(kept, min_site_ha=1.5, max_site_ha=3)
    assert members(sites) == {"S0001": ["P00", "P01", "P04", "P05", "P08", "P09", "P12", "P13"]}
    assert mem.loc[["P03", "P07", "P11", "P15"], "status"].tolist() == [DROP_TOO_SMALL] * 4
    assert mem.loc[["P03", "P07", "P11", "P15"], "site_id"].isna().all()
    assert summary["dropped"] == {DROP_TOO_SMALL: 4}


@pytest.mark.parametrize(("gap_m", "expected"), [(8.0, 1), (4.0, 0), (6.0, 1), (0.0, 0)])
def test_lane_gap_joins_only_within_gap_m(gap_m: float, expected: int) -> None:
    # two 1 ha blocks of 2 x 2 parcels, 6 m apart across a lane; each alone is below 1.5 ha
    west = [cell(x, y) for y in (0, 50) for x in (0, 50)]
    east = [cell(x, y) for y in (0, 50) for x in (106, 156)]
    parcels = gpd.GeoDataFrame(
        index=pd.Index([f"W{i}" for i in range(4)] + [f"E{i}" for i in range(4)]), geometry=west + east, crs=CRS
    )
    sites, mem, _ = assemble_sites(parcels, min_site_ha=1.5, max_site_ha=3, gap_m=gap_m)
    assert len(sites) == expected
    if expected:
        assert sites["n_parcels"].tolist() == [8]
        assert sites.geometry.iloc[0].geom_type == "MultiPolygon"  # the lane is not part of the site
        assert sites.geometry.area.iloc[0] == pytest.approx(20_000.0)
    else:
        assert set(mem["status"]) == {DROP_TOO_SMALL}


def test_groups_never_mix() -> None:
    # rows alternate between two owners: same-owner rows never touch, so each row (1 ha) is a site
    owner = ["A"] * 4 + ["B"] * 4 + ["A"] * 4 + ["B"] * 4
    sites, mem, _ = assemble_sites(grid4(owner=owner), min_site_ha=1, max_site_ha=2, group_field="owner")
    assert members(sites) == {
        "S0001": ["P00", "P01", "P02", "P03"],
        "S0002": ["P04", "P05", "P06", "P07"],
        "S0003": ["P08", "P09", "P10", "P11"],
        "S0004": ["P12", "P13", "P14", "P15"],
    }
    assert sites["owner"].tolist() == ["A", "B", "A", "B"]
    assert (mem.groupby("site_id")["group"].nunique() == 1).all()


def test_attributes_are_area_weighted_capacity_summed_text_from_the_largest_member() -> None:
    parcels = gpd.GeoDataFrame(
        {"price": [10.0, 40.0], "units": [100, 50], "landuse": ["vacant", "garden"]},
        index=pd.Index(["A", "B"], name="parcel_id"),
        geometry=[cell(0, 0, 100, 100), cell(100, 0, 100, 50)],  # 1 ha and 0.5 ha
        crs=CRS,
    )
    sites, _, _ = assemble_sites(parcels, min_site_ha=1, max_site_ha=2, sum_columns=("units",))
    assert sites["price"].iloc[0] == pytest.approx((10 * 1 + 40 * 0.5) / 1.5)
    assert sites["units"].iloc[0] == 150
    assert sites["landuse"].iloc[0] == "vacant"
    assert sites["member_ids"].iloc[0] == "A;B"


def test_single_parcel_above_max_stays_a_site_and_is_counted() -> None:
    parcels = gpd.GeoDataFrame(index=pd.Index(["big"]), geometry=[cell(0, 0, 300, 300)], crs=CRS)  # 9 ha
    sites, _, summary = assemble_sites(parcels, min_site_ha=1, max_site_ha=2)
    assert len(sites) == 1 and summary["sites_over_max_single_parcel"] == 1


def test_split_remainder_joins_a_neighbour_or_is_dropped() -> None:
    # an L of 0.25 ha parcels: a 4 x 2 bar (2 ha) and one parcel sticking out north (0.25 ha)
    cells = [cell(x, y) for y in (0, 50) for x in (0, 50, 100, 150)] + [cell(0, 100)]
    parcels = gpd.GeoDataFrame(index=pd.Index([f"P{i}" for i in range(9)]), geometry=cells, crs=CRS)
    sites, mem, _ = assemble_sites(parcels, min_site_ha=0.5, max_site_ha=1.2)
    area = sites.geometry.area.to_numpy()
    assert area.min() >= 5_000 and area.max() <= 12_000
    assert mem["site_id"].notna().sum() + (mem["status"] == DROP_SPLIT_REMAINDER).sum() == 9


def test_refusals() -> None:
    grid = grid4()
    with pytest.raises(InputError, match="group_field"):
        assemble_sites(grid, min_site_ha=1, max_site_ha=2, group_field="owner")
    with pytest.raises(InputError, match="twice"):
        assemble_sites(grid, min_site_ha=1, max_site_ha=1.5)
    with pytest.raises(InputError, match="not unique"):
        assemble_sites(pd.concat([grid, grid]), min_site_ha=1, max_site_ha=2)


def test_union_by_label_matches_per_site_union() -> None:
    g = np.array([cell(0, 0), cell(50, 0), cell(0, 50), cell(200, 0), cell(300, 0)])
    label = np.array([0, 0, 0, 1, -1])
    out = union_by_label(g, label, 2)
    assert out[0].equals(shapely.union_all(g[:3])) and out[1].equals(g[3])


def test_union_by_label_falls_back_to_a_full_union() -> None:
    # site 0: a T-junction (the corner of the small parcel lies mid-edge of the big one), which
    # GEOS's coverage union refuses; site 1: overlapping parcels (not a coverage at all);
    # site 2: a clean coverage whose shared edge differs in the last bits (snapped to 1 cm)
    g = np.array(
        [
            cell(0, 0, 100, 100),
            cell(100, 0, 50, 50),
            cell(300, 0, 60, 60),
            cell(340, 0, 60, 60),
            cell(500, 0, 50, 50),
            shapely.box(X0 + 550 + 1e-9, Y0, X0 + 600, Y0 + 50),
        ]
    )
    out = union_by_label(g, np.array([0, 0, 1, 1, 2, 2]), 3)
    assert shapely.is_valid(out).all()
    assert shapely.area(out).tolist() == pytest.approx([12_500.0, 6_000.0, 5_000.0])
    assert out[0].geom_type == out[1].geom_type == out[2].geom_type == "Polygon"


def test_union_by_label_on_unclean_data_dissolves_every_site() -> None:
    # 300 sites, each a T-junction: after 200 refused sites the rest are dissolved directly
    g = np.array([p for i in range(300) for p in (cell(400 * i, 0, 100, 100), cell(400 * i + 100, 0, 50, 50))])
    out = union_by_label(g, np.repeat(np.arange(300), 2), 300)
    assert shapely.is_valid(out).all()
    assert shapely.area(out).tolist() == pytest.approx([12_500.0] * 300)
    assert shapely.equals(out, shapely.union_all(g.reshape(300, 2), axis=1)).all()


# ------------------------------------------------------------------- invariants on random maps


@st.composite
def parcel_maps(draw: st.DrawFn) -> tuple[gpd.GeoDataFrame, float, float, float]:
    """Random blocks of small parcels with lanes; a random subset removed; min/max/gap."""
    nx_, ny = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    widths = draw(st.lists(st.integers(10, 40), min_size=nx_, max_size=nx_))
    heights = draw(st.lists(st.integers(10, 40), min_size=ny, max_size=ny))
    lanes_x = draw(st.lists(st.sampled_from([0, 0, 5]), min_size=nx_, max_size=nx_))
    lanes_y = draw(st.lists(st.sampled_from([0, 0, 5]), min_size=ny, max_size=ny))
    xs = np.cumsum([0, *(w + g for w, g in zip(widths, lanes_x, strict=True))])[:-1]
    ys = np.cumsum([0, *(h + g for h, g in zip(heights, lanes_y, strict=True))])[:-1]
    cells = [cell(x, y, w, h) for y, h in zip(ys, heights, strict=True) for x, w in zip(xs, widths, strict=True)]
    keep = draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells)))
    owner = draw(st.lists(st.sampled_from(["a", "b"]), min_size=len(cells), max_size=len(cells)))
    frame = gpd.GeoDataFrame(
        {"owner": owner, "price": np.arange(len(cells), dtype=float)},
        index=pd.Index([f"P{i:03d}" for i in range(len(cells))], name="parcel_id"),
        geometry=cells,
        crs=CRS,
    ).loc[np.asarray(keep, dtype=bool) | (np.arange(len(cells)) == 0)]
    min_ha = draw(st.sampled_from([0.05, 0.1, 0.2]))
    max_ha = min_ha * draw(st.sampled_from([2.0, 3.0, 5.0]))
    return frame, min_ha, max_ha, draw(st.sampled_from([0.0, 6.0]))


def _oracle_groups(parcels: gpd.GeoDataFrame, gap_m: float, group: str | None) -> dict[str, float]:
    """Area of each parcel's connected group by brute force (every pair) and networkx."""
    g = nx.Graph()
    ids, geoms = list(parcels.index), list(parcels.geometry)
    g.add_nodes_from(ids)
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            same = group is None or parcels[group].iloc[i] == parcels[group].iloc[j]
            if same and geoms[i].distance(geoms[j]) <= gap_m:
                g.add_edge(ids[i], ids[j])
    out = {}
    for comp in nx.connected_components(g):
        total = sum(parcels.geometry.loc[list(comp)].area)
        out.update(dict.fromkeys(comp, total))
    return out


@settings(max_examples=60, deadline=None)
@given(parcel_maps(), st.randoms(use_true_random=False), st.booleans())
def test_sites_are_connected_within_range_and_order_free(case, rnd, by_owner) -> None:  # type: ignore[no-untyped-def]
    parcels, min_ha, max_ha, gap_m = case
    group = "owner" if by_owner else None
    sites, mem, summary = assemble_sites(
        parcels, min_site_ha=min_ha, max_site_ha=max_ha, gap_m=gap_m, group_field=group
    )
    order = list(range(len(parcels)))
    rnd.shuffle(order)
    again, mem2, summary2 = assemble_sites(
        parcels.iloc[order], min_site_ha=min_ha, max_site_ha=max_ha, gap_m=gap_m, group_field=group
    )
    # same sites, byte for byte, whatever the row order
    pd.testing.assert_frame_equal(sites.drop(columns="geometry"), again.drop(columns="geometry"))
    assert shapely.to_wkb(sites.geometry.to_numpy()).tolist() == shapely.to_wkb(again.geometry.to_numpy()).tolist()
    pd.testing.assert_frame_equal(mem, mem2)
    assert summary == summary2
    # every site within [min, max] (a single parcel above max is the only exception)
    area = sites.geometry.area.to_numpy()
    assert (area >= min_ha * 10_000 - 1e-6).all()
    assert ((area <= max_ha * 10_000 + 1e-6) | (sites["n_parcels"].to_numpy() == 1)).all()
    # every site is connected through adjacent parcels of one group
    in_site = mem["site_id"].notna()
    geoms = parcels.geometry.reindex(mem.index)
    for sid, ids in mem.index[in_site].groupby(mem.loc[in_site, "site_id"]).items():
        g = nx.Graph()
        g.add_nodes_from(ids)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if geoms[a].distance(geoms[b]) <= gap_m:
                    g.add_edge(a, b)
        assert nx.is_connected(g), sid
        if group:
            assert parcels.loc[list(ids), group].nunique() == 1
    # every parcel out of a site says why, and "group below min" is exactly what brute force finds
    group_area = _oracle_groups(parcels, gap_m, group)
    small = mem["status"] == DROP_TOO_SMALL
    assert small.to_dict() == {p: group_area[p] < min_ha * 10_000 for p in mem.index}
    assert set(mem.loc[~in_site, "status"]) <= {DROP_TOO_SMALL, DROP_SPLIT_REMAINDER}
    # a group within range is exactly one site
    for p in mem.index[in_site]:
        if group_area[p] <= max_ha * 10_000:
            site = mem.at[p, "site_id"]
            assert area[sites.index.get_loc(site)] == pytest.approx(group_area[p])


def test_adjacency_pairs_match_brute_force() -> None:
    parcels = grid4().drop(index=["P05", "P06"])
    geoms = parcels.geometry.to_numpy()
    left, right = adjacency(geoms, gap_m=0.0)
    brute = {(i, j) for i in range(len(geoms)) for j in range(i + 1, len(geoms)) if geoms[i].intersects(geoms[j])}
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == brute


def test_partition_of_nothing() -> None:
    part = partition(
        np.zeros((0, 2)), np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), min_m2=1, max_m2=2
    )
    assert len(part.label) == 0 and part.n_groups == 0
