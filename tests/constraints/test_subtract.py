"""Subtract-mode constraints: net developable area, checked by hand on 100 m squares.

Layout (metres from the grid origin, UTM 48N), one class III zone (300 m isolation, rule pack vn):

    P1  x -300..-200   570 m west of the zone: untouched
    P0  x    0.. 100   the zone's 300 m buffer begins at x = 70: 30 m x 100 m = 3,000 m2 removed
    P2  x  250.. 300   (50 m x 50 m) wholly within 300 m: nothing left, excluded
    Z   x  370.. 500, y -50..150
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import pyogrio
import shapely

import landplan
from conftest import CRS, X0, Y0, box, rank, scored
from landplan.constraints.subtract import cut_by, isolation_covers, net_geometry, polygonal
from landplan.errors import ConfigError, InputError

HEAD = """
[scenario]
name = "subtract"
crs = "EPSG:32648"
{extra}

[layers.parcels]
path = "parcels.gpkg"
id_field = "parcel_id"

[layers.zones]
path = "zones.gpkg"
id_field = "zone_id"
name_field = "name"
hazard_field = "hazard"

[[criteria]]
name = "size"
kind = "area"
weight = 1
value = {{ function = "identity" }}
"""


def _write(
    d: Path, body: str, *, extra: str = "", parcels: gpd.GeoDataFrame | None = None, zone: str = "KCN Thăng Long"
) -> Path:
    if parcels is None:
        parcels = gpd.GeoDataFrame(
            {"parcel_id": ["P0", "P1", "P2"]},
            geometry=[box(0, 0), box(-300, 0), box(250, 0, 50, 50)],
            crs=CRS,
        )
    parcels.to_file(d / "parcels.gpkg", engine="pyogrio")
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": [zone], "hazard": ["III"]}, geometry=[box(370, -50, 130, 200)], crs=CRS
    )
    zones.to_file(d / "zones.gpkg", engine="pyogrio")
    path = d / "scenario.toml"
    path.write_text(HEAD.format(extra=extra) + textwrap.dedent(body), encoding="utf-8")
    return path


ISOLATION_SUBTRACT = """
[[constraints]]
kind = "isolation"
mode = "subtract"
"""


def test_a_300_m_buffer_cutting_30_m_off_a_hectare_leaves_7000_m2(tmp_path):
    ranked = rank(_write(tmp_path, ISOLATION_SUBTRACT))
    p0 = ranked.loc["P0"]
    assert p0["net_area_m2"] == pytest.approx(7000.0, abs=0.01)  # the buffer is within 2 mm of x = 70
    assert p0["removed_share"] == pytest.approx(0.3, abs=1e-5)
    assert p0["removed_by"] == "0.30 ha within 300 m of KCN Thăng Long (class III)"
    assert bool(p0["eligible"])
    p1 = ranked.loc["P1"]
    assert p1["net_area_m2"] == 10_000.0
    assert p1["removed_share"] == 0.0
    assert p1["removed_by"] == ""
    p2 = ranked.loc["P2"]
    assert p2["net_area_m2"] == 0.0
    assert not p2["eligible"]
    assert p2["excluded_by"] == "no developable area left (0.25 ha within 300 m of KCN Thăng Long (class III))"


def test_exclude_mode_stays_the_default(tmp_path):
    ranked = rank(_write(tmp_path, '[[constraints]]\nkind = "isolation"\n'))
    assert not ranked.loc["P0", "eligible"]
    assert "net_area_m2" not in ranked.columns  # nothing subtracted: the table keeps its columns


def test_criteria_are_measured_on_the_net_geometry_or_the_whole_parcel(tmp_path):
    net = rank(_write(tmp_path, ISOLATION_SUBTRACT))
    assert net.loc["P0", "size_raw"] == pytest.approx(7000.0, abs=0.01)
    whole = rank(_write(tmp_path, ISOLATION_SUBTRACT, extra='criteria_geometry = "whole"'))
    assert whole.loc["P0", "size_raw"] == 10_000.0
    assert whole.loc["P0", "net_area_m2"] == pytest.approx(7000.0, abs=0.01)


def test_min_area_applies_to_the_net_area(tmp_path):
    body = ISOLATION_SUBTRACT + '\n[[constraints]]\nkind = "min_area"\nmin_area_m2 = 8000\n'
    ranked = rank(_write(tmp_path, body))
    assert not ranked.loc["P0", "eligible"]
    assert ranked.loc["P0", "excluded_by"] == "net area 7000 m2 below minimum 8000 m2"
    assert ranked.loc["P1", "eligible"]


def test_score_card_says_net_area_and_what_was_cut(tmp_path):
    study, scores = scored(_write(tmp_path, ISOLATION_SUBTRACT))
    text = landplan.explain(study, scores, "P0").to_text()
    assert "Net developable area 0.70 ha of 1.00 ha (30% removed); criteria measured on the net parcel geometry" in text
    assert "[cut ] the part of the parcel within the isolation distance" in text
    assert ": 0.30 ha within 300 m of KCN Thăng Long (class III)" in text


def test_net_geometry_is_written_to_geopackage_and_geoparquet(tmp_path):
    scenario = _write(tmp_path, ISOLATION_SUBTRACT)
    out = tmp_path / "out"
    landplan.run(scenario, out_dir=out, formats=["gpkg", "parquet", "csv"], write_map=True)
    layers = [name for name, _ in pyogrio.list_layers(out / "ranked.gpkg")]
    assert layers == ["ranking", "ranking_net", "layer_styles"]  # layer_styles: the QGIS style
    net = gpd.read_file(out / "ranked.gpkg", layer="ranking_net").set_index("parcel_id")
    assert net.loc["P0"].geometry.area == pytest.approx(7000.0, abs=0.01)
    assert net.loc["P0"].geometry.bounds[2] == pytest.approx(X0 + 70, abs=0.01)
    parquet = gpd.read_parquet(out / "ranked.parquet").set_index("parcel_id")
    assert parquet["net_geometry"].area["P0"] == pytest.approx(7000.0, abs=0.01)
    assert parquet.geometry.area["P0"] == 10_000.0
    csv = pd.read_csv(out / "ranked.csv").set_index("parcel_id")
    assert "net_geometry" not in csv.columns
    assert csv.loc["P0", "net_area_m2"] == pytest.approx(7000.0, abs=0.01)
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "Net developable area (after subtraction)" in html
    assert "lp-net" in html
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "net developable area: 2 parcels cut" in report
    assert "criteria measured on the net parcel geometry" in report


def _flood_raster(path: Path) -> None:
    """10 m cells over x -400..600, y -100..200; 1.0 in the 3 columns x 0..30, else 0."""
    import rasterio
    from rasterio.transform import from_origin

    values = np.zeros((30, 100), dtype="float32")
    values[:, 40:43] = 1.0  # columns of x = 0..30
    profile = {"driver": "GTiff", "width": 100, "height": 30, "count": 1, "dtype": "float32", "crs": CRS}
    transform = from_origin(X0 - 400, Y0 + 200, 10, 10)
    with rasterio.open(path, "w", transform=transform, **profile) as dst:
        dst.write(values, 1)


@pytest.mark.parametrize(
    ("rule", "words"),
    [('stat = "mean"\nmax = 0.5', "> 0.5"), ('stat = "share_above"\nthreshold = 0.5', "> 0.5")],
)
def test_raster_subtraction_removes_the_failing_cells(tmp_path, rule, words):
    _flood_raster(tmp_path / "flood.tif")
    body = f"""
    [rasters.flood]
    path = "flood.tif"

    [[constraints]]
    kind = "raster"
    raster = "flood"
    label = "flood depth"
    mode = "subtract"
    {rule}
    """
    ranked = rank(_write(tmp_path, textwrap.dedent(body).replace("\n    ", "\n")))
    assert ranked.loc["P0", "net_area_m2"] == pytest.approx(7000.0)
    assert ranked.loc["P0", "removed_by"] == f"0.30 ha with flood depth (cells {words})"
    assert ranked.loc["P1", "net_area_m2"] == 10_000.0
    assert ranked.loc["P2", "net_area_m2"] == 2500.0


def test_exclusion_layer_subtracts_the_overlap_with_its_buffer(tmp_path):
    water = gpd.GeoDataFrame({"name": ["Sông"]}, geometry=[box(-20, -100, 30, 300)], crs=CRS)
    water.to_file(tmp_path / "water.gpkg", engine="pyogrio")
    body = """
    [layers.water]
    path = "water.gpkg"

    [[constraints]]
    kind = "exclusion_layer"
    layer = "water"
    label = "river"
    buffer_m = 10
    mode = "subtract"
    """
    ranked = rank(_write(tmp_path, textwrap.dedent(body)))
    # water x -20..10 plus 10 m: the parcel loses x 0..20 (the buffer's corners lie outside it)
    assert ranked.loc["P0", "net_area_m2"] == pytest.approx(8000.0, abs=0.01)
    assert ranked.loc["P0", "removed_by"] == "0.20 ha overlapping river (+10 m)"


def test_subtracting_points_without_a_buffer_is_refused(tmp_path):
    stops = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 50, Y0 + 50)], crs=CRS)
    stops.to_file(tmp_path / "stops.gpkg", engine="pyogrio")
    body = '[layers.stops]\npath = "stops.gpkg"\n[[constraints]]\nkind = "exclusion_layer"\nlayer = "stops"\n'
    with pytest.raises(InputError, match=r"points or lines, which have no area to subtract; set `buffer_m`"):
        rank(_write(tmp_path, body + 'mode = "subtract"\n'))


def test_subtract_with_a_share_limit_on_a_raster_is_refused(tmp_path):
    _flood_raster(tmp_path / "flood.tif")
    body = '[rasters.flood]\npath = "flood.tif"\n[[constraints]]\nkind = "raster"\nraster = "flood"\n'
    body += 'stat = "share_above"\nthreshold = 0.5\nmax = 0.2\nmode = "subtract"\n'
    with pytest.raises(ConfigError, match=r"`max`/`min` \(limits on the share\) apply to mode = 'exclude' only"):
        landplan.load_scenario(_write(tmp_path, body))


def test_subtract_with_max_overlap_share_is_refused(tmp_path):
    body = '[layers.w]\npath = "zones.gpkg"\n[[constraints]]\nkind = "exclusion_layer"\nlayer = "w"\n'
    with pytest.raises(ConfigError, match="max_overlap_share` applies to mode = 'exclude' only"):
        landplan.load_scenario(_write(tmp_path, body + 'mode = "subtract"\nmax_overlap_share = 0.1\n'))


def test_allocation_counts_the_net_area(tmp_path):
    body = ISOLATION_SUBTRACT + textwrap.dedent(
        """
        [demand]
        share_needing_housing = 1.0
        share_already_housed = 0.0
        persons_per_unit = 1.0
        gfa_per_unit_m2 = 100.0
        buildable_share = 0.5
        floor_area_ratio = 2.0
        workers_per_ha = 100.0

        [allocation]
        max_commute_m = 2000
        """
    )
    result = landplan.pipeline.compute(_write(tmp_path, body))
    parcels = result.allocation.parcels
    # floor(7,000 m2 x 0.5 x 2 / 100 m2) = 70 units on P0 (not 100; the buffer is 2 mm short: 69.99...)
    assert parcels.loc["P0", "capacity_units"] == np.floor(result.scores.net.area_m2["P0"] / 100)
    assert parcels.loc["P0", "capacity_units"] in (69.0, 70.0)
    assert parcels.loc["P1", "capacity_units"] == 100.0
    assert parcels.loc["P0", "area_ha"] == pytest.approx(0.7, abs=1e-5)


# ---------------------------------------------------------------- invariants

boxes = st.tuples(st.floats(-300, 300), st.floats(-300, 300), st.floats(5, 200), st.floats(5, 200))


@settings(max_examples=60, deadline=None)
@given(parcels=st.lists(boxes, min_size=1, max_size=8), covers=st.lists(boxes, min_size=0, max_size=6))
def test_net_plus_removed_is_the_parcel(parcels, covers):
    pg = np.array([box(x, y, w, h) for x, y, w, h in parcels], dtype=object)
    cg = np.array([box(x, y, w, h) for x, y, w, h in covers], dtype=object)
    half = len(cg) // 2
    cuts = [cut_by(pg, cg[:half], what="a"), cut_by(pg, cg[half:], what="b")]
    net = net_geometry(pg, cuts)
    gross = shapely.area(pg)
    removed = shapely.area(shapely.intersection(pg, shapely.union_all(cg))) if len(cg) else np.zeros(len(pg))
    net_m2 = shapely.area(net)
    assert np.all(net_m2 <= gross + 1e-6)
    # what is left plus the union of the covers inside the parcel is the parcel (up to slivers)
    assert np.allclose(net_m2 + removed, gross, atol=0.02)
    # every cut removes no more than the parcel and at least its own part of the union
    for c in cuts:
        assert np.all(c.removed_m2 <= gross + 1e-6)
    assert np.all(cuts[0].removed_m2 + cuts[1].removed_m2 >= removed - 1e-6)
    left = ~shapely.is_empty(net)
    assert shapely.covers(shapely.buffer(pg[left], 1e-6), net[left]).all()


def test_isolation_covers_are_buffers_by_distance():
    zones = np.array([box(0, 0, 10, 10), box(100, 0, 10, 10)], dtype=object)
    out = isolation_covers(zones, np.array([0.0, 50.0]))
    assert shapely.equals(out[0], zones[0])
    # inscribed in the true offset, within 2 mm of it: at most 2 mm x its 354 m outline short
    true_m2 = 100 + 4 * 10 * 50 + np.pi * 50**2
    assert true_m2 - 0.002 * (40 + 2 * np.pi * 50) <= shapely.area(out[1]) <= true_m2
    with pytest.raises(InputError, match="no finite isolation distance"):
        isolation_covers(zones, np.array([np.nan, 1.0]))


def test_notes_list_each_zone_largest_first():
    parcel = np.array([box(0, 0)], dtype=object)
    covers = np.array([box(-10, 0, 30, 100), box(70, 0, 50, 100)], dtype=object)  # 20 m and 30 m of the parcel
    cut = cut_by(parcel, covers, what=np.array(["near A", "near B"], dtype=object))
    assert cut.note[0] == "0.30 ha near B, 0.20 ha near A"
    assert cut.removed_m2[0] == pytest.approx(5000.0)


def test_outside_the_region_of_regional_figures_warns_naming_them(tmp_path):
    far = gpd.GeoDataFrame(  # 1,000 km south of the grid: about 12 N, far from Hà Nội
        {"parcel_id": ["S0"]}, geometry=[shapely.box(X0, Y0 - 1e6, X0 + 100, Y0 - 1e6 + 100)], crs=CRS
    )
    report = landplan.validate(_write(tmp_path, "", parcels=far))
    texts = [str(f) for f in report.findings if "outside Hà Nội" in f.message]
    assert len(texts) == 1
    assert "share_needing_housing = 0.8, share_already_housed = 0.3, workers_per_ha = 120" in texts[0]
    assert texts[0].startswith("warning: parcels")
    extra = "\n[demand]\nworkers_per_ha = 90.0\nshare_already_housed = 0.1\nshare_needing_housing = 0.7\n"
    report = landplan.validate(_write(tmp_path, extra, parcels=far))
    assert not [f for f in report.findings if "outside Hà Nội" in f.message]
    near = landplan.validate(_write(tmp_path, ""))  # the grid lies in Hà Nội
    assert not [f for f in near.findings if "outside Hà Nội" in f.message]


@pytest.mark.slow
def test_demo_with_every_spatial_constraint_subtracting_runs_end_to_end(tmp_path):
    """Isolation, water (+30 m) and flood cells subtracted on the demo; map, files and allocation."""
    from landplan import datasets

    root = datasets.demo_scenario().parent.parent
    text = datasets.demo_scenario().read_text(encoding="utf-8").replace('"../data/', f'"{root.as_posix()}/data/')
    text = text.replace('# mode = "subtract"', 'mode = "subtract"')
    text = text.replace(
        'buffer_m = 30\nlabel = "rivers and lakes"', 'buffer_m = 30\nmode = "subtract"\nlabel = "rivers"'
    )
    text = text.replace('max = 0.2\nlabel = "flood depth > 0.5 m"', 'mode = "subtract"\nlabel = "flood depth"')
    assert text.count('mode = "subtract"') == 3
    path = tmp_path / "demo_net.toml"
    path.write_text(text, encoding="utf-8")
    whole = landplan.pipeline.compute(datasets.demo_scenario(), allocate=False)
    result = landplan.run(path, out_dir=tmp_path / "out")
    ranked = result.ranked
    assert ranked["eligible"].sum() > whole.ranked["eligible"].sum()  # partial exclusion keeps more land
    notes = ranked["removed_by"]
    for what in ("m of KCN", "overlapping rivers (+30 m)", "with flood depth (cells > 0.5)"):
        assert notes.str.contains(what, regex=False).any(), what
    eligible = ranked[ranked["eligible"]]
    assert (eligible["net_area_m2"] >= 5000).all()  # min_area on the net area
    assert (
        result.allocation.parcels["area_ha"] * 10_000
        <= ranked["net_area_m2"].reindex(result.allocation.parcels.index) + 1e-6
    ).all()
    assert "Net developable area (after subtraction)" in (tmp_path / "out" / "map.html").read_text(encoding="utf-8")


def test_polygonal_drops_lines_and_points_of_collections():
    square = box(0, 0)
    mixed = shapely.GeometryCollection(
        [square, shapely.LineString([(0, 0), (5, 5)]), shapely.MultiPolygon([box(200, 0)])]
    )
    lines = shapely.GeometryCollection([shapely.LineString([(0, 0), (5, 5)])])
    out = polygonal(np.array([square, mixed, lines], dtype=object))
    assert out[0] is square
    assert shapely.get_type_id(out[1]) == 6 and shapely.area(out[1]) == 20_000.0
    assert shapely.is_empty(out[2]) and shapely.get_type_id(out[2]) == 3


def test_cuts_do_not_depend_on_the_order_of_the_covers():
    parcels = np.array([box(0, 0), box(150, 0)], dtype=object)
    covers = np.array([box(-10, 0, 30, 100), box(70, 0, 100, 100), box(50, 50, 150, 20)], dtype=object)
    names = np.array(["A", "B", "C"], dtype=object)
    first = cut_by(parcels, covers, what=names)
    order = [2, 0, 1]
    second = cut_by(parcels, covers[order], what=names[order])
    assert first.note.tolist() == second.note.tolist()
    assert (
        shapely.to_wkb(net_geometry(parcels, [first])).tolist()
        == shapely.to_wkb(net_geometry(parcels, [second])).tolist()
    )


def test_removal_notes_reach_the_map_escaped(tmp_path):
    payload = "{{7*7}} <img src=x onerror=alert(1)>"
    scenario = _write(tmp_path, ISOLATION_SUBTRACT, zone=payload)
    out = tmp_path / "map.html"
    landplan.produce(scenario, {"map": out})  # map_html refuses to render a template opener
    html = out.read_text(encoding="utf-8")
    assert "<img src=x" not in html
    assert "{{7*7}}" not in html
