"""The tiled map of many parcels: tiles, card chunks, overview, determinism, escaping, and its place in `run`."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

import landplan
from conftest import CRS
from landplan.outputs.escape import html_text
from landplan.outputs.style import score_classes
from landplan.outputs.webmap import save_tiled_map
from landplan.outputs.webmap.client import ClientText

NASTY = "<img src=x onerror=alert(1)>{{7*7}}"


def ranking(n: int, *, side_m: float = 400.0) -> gpd.GeoDataFrame:
    """``n`` square parcels on a grid of ``side_m`` cells near Hanoi, scored by hand: score = value of ``a``."""
    k = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x, y = 580_000 + (i % k) * side_m, 2_320_000 + (i // k) * side_m
    score = (i % 97) / 96.0
    eligible = i % 5 != 0
    frame = gpd.GeoDataFrame(
        {
            "a_raw": i * 10.0,
            "a_value": score,
            "a_contrib": score,
            "score": score,
            "eligible": eligible,
            "excluded_by": np.where(eligible, "", "landuse"),
        },
        geometry=shapely.box(x, y, x + 0.6 * side_m, y + 0.6 * side_m),
        crs=CRS,
        index=pd.Index([f"P{j}" for j in i], name="parcel_id"),
    )
    order = frame.index[eligible][np.argsort(-score[eligible], kind="stable")]
    frame["rank"] = pd.array([pd.NA] * n, dtype="Int64")
    frame.loc[order, "rank"] = np.arange(1, len(order) + 1)
    frame.loc["P1", "a_raw"] = 10.0
    return frame


def write(ranked: gpd.GeoDataFrame, folder: Path, **kw: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "map.html"
    best = ranked["rank"].dropna().sort_values().index[:3]
    save_tiled_map(ranked, path, criteria=["a"], weights={"a": 1.0}, best=best, **kw)
    return path


def payload(js: Path) -> bytes:
    """The gzip bytes a tile or chunk script hands to the page."""
    text = js.read_text(encoding="ascii")
    return base64.b64decode(re.search(r'"([A-Za-z0-9+/=]+)"\);\s*$', text).group(1))


def page_data(page: Path) -> dict:
    text = page.read_text(encoding="utf-8")
    return json.loads(re.search(r"/\*data\*/(.*)/\*end\*/", text, re.DOTALL).group(1))


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[gpd.GeoDataFrame, Path]:
    ranked = ranking(900)
    return ranked, write(ranked, tmp_path_factory.mktemp("tiled"))


def test_every_parcel_is_in_the_tiles_where_it_is_with_its_class(written, tmp_path):
    ranked, page = written
    data = page_data(page)
    files = page.parent / "map_files"
    tiles = sorted(files.glob("tiles/*/*/*.js"))
    assert [str(p.relative_to(files / "tiles").with_suffix("")) for p in tiles] == data["tile_keys"]
    assert len(tiles) > 1  # 12 km across at zoom 13: several tiles
    classes = score_classes(ranked["score"].to_numpy(), ranked["eligible"].to_numpy(), scheme="quantiles", k=5)
    frames = []
    for js in tiles:
        key = js.relative_to(files / "tiles").with_suffix("")
        pbf = (tmp_path / key).with_suffix(".pbf")  # GDAL places a tile by its z/x/y.pbf path
        pbf.parent.mkdir(parents=True, exist_ok=True)
        pbf.write_bytes(gzip.decompress(payload(js)))
        frames.append(gpd.read_file(pbf, engine="pyogrio", layer="parcels").to_crs(3857))
    found = pd.concat(frames)
    # a tile feature's i is the parcel's position in the card chunks: its id there
    (chunk,) = [json.loads(gzip.decompress(payload(files / "cards" / "0.js")))]
    row = ranked.index.get_indexer(np.asarray(chunk["ids"])[found["i"].to_numpy()])
    # each piece of a parcel in a tile lies inside that parcel (within the 1.2 m tile grid)
    merc = ranked.to_crs(3857).geometry.to_numpy()
    inside = shapely.contains(shapely.buffer(merc[row], 3.0), found.geometry.to_numpy())
    assert inside.all()
    assert set(row) == set(range(len(ranked)))
    cls = pd.Series(found["c"].to_numpy(), index=row).groupby(level=0).first().sort_index().to_numpy()
    expected = np.clip(np.searchsorted(classes.bins, ranked["score"].to_numpy(), side="left"), 0, 4)
    assert (cls == np.where(ranked["eligible"], expected, -1)).all()


def test_card_chunks_hold_each_parcel_in_id_order_with_a_point_inside_it(tmp_path):
    ranked = ranking(900)
    page = write(ranked, tmp_path, chunk_size=256)
    files = page.parent / "map_files"
    data = page_data(page)
    assert data["chunk"] == 256
    assert sorted(p.name for p in (files / "cards").glob("*.js")) == ["0.js", "1.js", "2.js", "3.js"]
    chunks = [json.loads(gzip.decompress(payload(files / "cards" / f"{k}.js"))) for k in range(4)]
    assert [len(c["ids"]) for c in chunks] == [256, 256, 256, 132]
    ids = [pid for c in chunks for pid in c["ids"]]
    assert ids == sorted(f"P{i}" for i in range(900))  # "P0", "P1", "P10", "P100", "P101", ...
    assert ids[:4] == ["P0", "P1", "P10", "P100"]
    # the first id of each chunk tells the search which chunk to read
    assert data["id_fences"] == [c["ids"][0] for c in chunks]
    at = {pid: (k, j) for k, c in enumerate(chunks) for j, pid in enumerate(c["ids"])}
    assert np.allclose([chunks[k]["score"][j] for k, j in map(at.get, ranked.index)], ranked["score"].to_numpy())
    best = ranked.index[int(np.argmax(ranked["score"].where(ranked["eligible"], -1)))]  # P96: score 1, eligible
    assert best == "P96" and chunks[at["P96"][0]]["rank"][at["P96"][1]] == 1
    assert chunks[0]["raw"][0][1] == 10.0 and chunks[at["P899"][0]]["raw"][0][at["P899"][1]] == 8990.0
    # reasons are looked up within their chunk: P0 and P10 are excluded, P1 is not
    assert chunks[0]["reasons"] == ["landuse"] and chunks[0]["reason_of"][:3] == [0, -1, 0]
    # each parcel's point (1e-5 degrees from the origin) lies inside it, within a metre or two
    o = data["pt_origin"]
    lonlat = np.array([[o[0] + c["pt"][2 * j] / 1e5, o[1] + c["pt"][2 * j + 1] / 1e5] for c in chunks
                       for j in range(len(c["ids"]))])  # fmt: skip
    pts = gpd.GeoSeries(gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs=4326).to_crs(CRS).to_numpy()
    shapes = ranked.geometry.loc[ids].to_numpy()
    assert shapely.contains(shapely.buffer(shapes, 2.0), pts).all()
    assert data["best"][0][0] == 1 and len(data["best"]) == 3
    assert data["what_if"] is True  # a weighted sum: the sliders recompute it in the page


def test_the_same_map_gives_the_same_files(written, tmp_path):
    ranked, page = written
    again = write(ranked, tmp_path / "again")
    a, b = page.parent / "map_files", again.parent / "map_files"
    names = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert page.read_bytes() == again.read_bytes()


def test_data_text_never_reaches_the_page_or_scripts_raw(tmp_path):
    ranked = ranking(30).rename(index={"P3": NASTY})
    names = pd.Series([NASTY] * 30, index=ranked.index)
    page = write(ranked, tmp_path, text=ClientText(names=names, labels={"a": NASTY}), title=NASTY)
    files = [page, *(p for p in (tmp_path / "map_files").rglob("*.js"))]
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert "<img" not in text and "7*7}}" not in text
    chunk = json.loads(gzip.decompress(payload(tmp_path / "map_files" / "cards" / "0.js")))
    assert chunk["ids"][0] == html_text(NASTY) and chunk["names"][0] == html_text(NASTY)  # "&" sorts first
    assert page_data(page)["crit"][0]["label"] == html_text(NASTY)


def test_a_second_write_replaces_the_folder_and_leaves_no_temporary_files(tmp_path):
    page = write(ranking(50), tmp_path)
    write(ranking(40), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html", "map_files"]
    chunk = json.loads(gzip.decompress(payload(tmp_path / "map_files" / "cards" / "0.js")))
    assert len(chunk["ids"]) == 40
    assert page.exists()


def test_run_writes_the_tiled_map_above_the_threshold_and_the_report_names_it(scenario_factory, tmp_path):
    path = scenario_factory(output={"tiles_above": 5, "pdf": False})
    landplan.run(path, out_dir=tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "map_files" / "maplibre-gl.js").exists()
    assert (out / "map_files" / "LICENSE-maplibre-gl.txt").read_text().startswith("Copyright (c) 2023, MapLibre")
    data = page_data(out / "map.html")
    assert data["zone_fields"][0] == "zone" and data["overlays"]["zones"]["features"][0]["properties"]["zone"] == (
        "KCN Thăng Long"
    )
    assert [c["kind"] for c in data["overlays"]["context"]] == ["water"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<iframe" not in report
    assert "The interactive map of 9 parcels is map.html beside this report" in report


def test_run_keeps_the_one_file_map_at_or_below_the_threshold(scenario_factory, tmp_path):
    path = scenario_factory(output={"tiles_above": 9, "pdf": False})
    landplan.run(path, out_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "map_files").exists()
    assert "<iframe" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_the_overview_paints_cells_whose_centre_a_parcel_covers_and_the_best_class_on_top():
    from landplan.outputs.webmap.tiles import _paint

    geoms = np.array(
        [
            shapely.box(0, 0, 4, 4),  # cells 0-3 x rows 6-9 (origin top left at y = 10)
            shapely.box(2, 2, 6, 6),  # overlaps the first on cells 2-3, rows 6-7
            shapely.box(8.2, 8.2, 8.4, 8.4),  # smaller than a cell: its own cell (8, row 1) still shows
        ]
    )
    raster = _paint(geoms, np.array([3, 5, 2]), (0.0, 10.0, 1.0), (10, 10))
    expected = np.zeros((10, 10), dtype="uint8")
    expected[6:10, 0:4] = 3
    expected[4:8, 2:6] = 5
    expected[1, 8] = 2
    assert (raster == expected).all()
    # the same raster whatever the order of the parcels
    assert (_paint(geoms[::-1], np.array([2, 5, 3]), (0.0, 10.0, 1.0), (10, 10)) == expected).all()


def test_painting_in_blocks_gives_the_same_overview(monkeypatch):
    from landplan.outputs.webmap import tiles

    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 90, 300), rng.uniform(0, 90, 300)
    geoms = shapely.box(x, y, x + rng.uniform(0.1, 9, 300), y + rng.uniform(0.1, 9, 300))
    values = rng.integers(1, 7, 300)
    whole = tiles._paint(geoms, values, (0.0, 100.0, 1.0), (100, 100))
    monkeypatch.setattr(tiles, "PAINT_BLOCK", 7)
    assert (tiles._paint(geoms, values, (0.0, 100.0, 1.0), (100, 100)) == whole).all()
    # brute force: a cell holds the largest value of the boxes covering its centre or holding their inner point
    cx, cy = np.meshgrid(np.arange(100) + 0.5, 100 - (np.arange(100) + 0.5))
    cover = shapely.contains_xy(geoms[:, None, None], cx[None], cy[None])
    pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
    own = (np.floor(pts[:, 0])[:, None, None] == cx[None] - 0.5) & (
        np.floor(100 - pts[:, 1])[:, None, None] == 99.5 - cy[None]
    )
    assert (whole == np.where(cover | own, values[:, None, None], 0).max(axis=0)).all()
