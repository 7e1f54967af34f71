"""landplan.criteria.raster: zonal raster statistics, raster criteria and constraints."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import geopandas as gpd
import rasterio
from rasterio.transform import from_bounds

import landplan
from conftest import CRS, X0, Y0, box, rank
from landplan.criteria import raster_stat, read_raster
from landplan.errors import CRSError, InputError, LayerReadError
from landplan.io import scenario_inputs

NODATA = -9999.0


def write_tif(path, values, bounds, crs, nodata=NODATA):
    values = np.asarray(values, dtype="float32")
    rows, cols = values.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=rows,
        width=cols,
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_bounds(*bounds, cols, rows),
        nodata=nodata,
    ) as dst:
        dst.write(values, 1)
    return path


@pytest.fixture
def grid_raster(tmp_path):
    """3x3 raster of 100 m cells exactly over the parcel grid; top row first, one nodata cell.

    1 2 3        P6 P7 P8
    4 5 6   <->  P3 P4 P5
    7 8 -        P0 P1 P2
    """
    values = [[1, 2, 3], [4, 5, 6], [7, 8, NODATA]]
    return write_tif(tmp_path / "g.tif", values, (X0, Y0, X0 + 300, Y0 + 300), CRS)


def test_mean_min_max_by_hand(grid, grid_raster):
    r = read_raster(grid_raster)
    mean = raster_stat(grid, r, stat="mean")
    assert mean.drop("P2").tolist() == [7, 8, 4, 5, 6, 1, 2, 3]
    assert np.isnan(mean["P2"])  # only nodata under it
    straddle = gpd.GeoDataFrame(geometry=[box(50, 50, 100, 100), box(150, 0, 100, 100)], crs=CRS, index=["q", "h"])
    # q covers a quarter of the cells 7, 8, 4, 5; h covers half of 8 and half of nodata
    assert raster_stat(straddle, r, stat="mean").tolist() == [6.0, 8.0]
    assert raster_stat(straddle, r, stat="min").tolist() == [4.0, 8.0]
    assert raster_stat(straddle, r, stat="max").tolist() == [8.0, 8.0]
    # share of the valid area above 4.5: q has 7, 8, 5 above -> 0.75; h: 8 -> 1.0
    assert raster_stat(straddle, r, stat="share_above", threshold=4.5).tolist() == [0.75, 1.0]


def test_parcels_in_another_crs_are_transformed(grid, grid_raster):
    r = read_raster(grid_raster)
    wgs = grid.to_crs(4326)
    np.testing.assert_allclose(raster_stat(wgs, r).drop("P2"), [7, 8, 4, 5, 6, 1, 2, 3], atol=1e-3)


def test_raster_in_geographic_crs(tmp_path, grid):
    lon0, lat0, lon1, lat1 = grid.to_crs(4326).total_bounds
    pad = 0.01
    # left half 10, right half 20, split at the grid's west edge minus 0.005 deg -> grid lies in the right half
    split = lon0 - 0.005
    cols = 200
    xs = np.linspace(lon0 - pad, lon1 + pad, cols + 1)
    values = np.where((xs[:-1] + xs[1:]) / 2 < split, 10.0, 20.0)[None, :].repeat(50, axis=0)
    tif = write_tif(tmp_path / "geo.tif", values, (lon0 - pad, lat0 - pad, lon1 + pad, lat1 + pad), "EPSG:4326")
    r = read_raster(tif)
    assert r.crs.to_epsg() == 4326
    assert (raster_stat(grid, r) == 20.0).all()
    west = gpd.GeoDataFrame(geometry=[box(-700, 0)], crs=CRS, index=["w"])  # west of the split (~520 m)
    assert raster_stat(west, r)["w"] == 10.0


def test_parcels_outside_the_raster_are_nan_and_reported(grid_raster, caplog):
    far = gpd.GeoDataFrame(geometry=[box(5000, 5000), box(0, 0)], crs=CRS, index=["far", "in"])
    with caplog.at_level(logging.WARNING):
        out = raster_stat(far, read_raster(grid_raster))
    assert np.isnan(out["far"]) and out["in"] == 7
    assert "1 parcels have no valid raster cell" in caplog.text


def test_raster_errors(tmp_path, grid):
    with pytest.raises(LayerReadError, match="raster file not found"):
        read_raster(tmp_path / "nope.tif")
    no_crs = tmp_path / "nocrs.tif"
    with rasterio.open(
        no_crs,
        "w",
        driver="GTiff",
        height=2,
        width=2,
        count=1,
        dtype="float32",
        transform=from_bounds(0, 0, 2, 2, 2, 2),
    ) as dst:
        dst.write(np.ones((2, 2), dtype="float32"), 1)
    with pytest.raises(CRSError, match="no CRS"):
        read_raster(no_crs)
    with pytest.raises(InputError, match="threshold"):
        raster_stat(
            grid,
            read_raster(write_tif(tmp_path / "x.tif", [[1]], (X0, Y0, X0 + 300, Y0 + 300), CRS)),
            stat="share_above",
        )


def test_raster_criterion_and_constraint_in_a_scenario(scenario_dir, grid_raster):
    text = (scenario_dir / "scenario.toml").read_text()
    text = text.replace("[[criteria]]", f'[rasters.depth]\npath = "{grid_raster}"\nunit = "m"\n\n[[criteria]]', 1)
    text += (
        '\n[[criteria]]\nname = "depth"\nkind = "raster"\nraster = "depth"\nweight = 1\n'
        'value = { function = "linear", lower = 0, upper = 10, increasing = false }\n'
        '\n[[constraints]]\nkind = "raster"\nraster = "depth"\nstat = "share_above"\nthreshold = 4.5\nmax = 0.5\n'
        'label = "deep water"\n'
    )
    (scenario_dir / "scenario.toml").write_text(text)
    ranked = rank(scenario_dir / "scenario.toml")
    assert ranked.loc["P7", "depth_raw"] == 2 and ranked.loc["P7", "depth_value"] == pytest.approx(0.8)
    # P4 (depth 5) and P1 (depth 8) are deeper than 4.5 on all their area -> excluded
    assert ranked.loc["P4", "excluded_by"] == "deep water: 100 % of area (max 50%)"
    assert ranked.loc["P1", "excluded_by"] == "deep water: 100 % of area (max 50%)"
    assert ranked["rank"].dropna().index.tolist() == ["P7"]
    assert grid_raster in scenario_inputs(landplan.load_scenario(scenario_dir / "scenario.toml"))


@pytest.mark.parametrize("stat", ["mean", "min", "max"])
def test_fast_extract_equals_exactextracts_own_geopandas_path(tmp_path, stat):
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    rng = np.random.default_rng(11)
    values = rng.uniform(0, 10, (40, 50))
    values[5:9, 5:30] = NODATA
    tif = write_tif(tmp_path / "r.tif", values, (X0, Y0, X0 + 500, Y0 + 400), CRS)
    xy = rng.uniform(-50, 500, (300, 2))
    wh = rng.uniform(3, 120, (300, 2))
    parcels = gpd.GeoDataFrame(
        geometry=[box(x, y, w, h) for (x, y), (w, h) in zip(xy, wh, strict=True)],
        crs=CRS,
    )
    got = raster_stat(parcels, read_raster(tif), stat=stat)
    r = read_raster(tif)
    src = NumPyRasterSource(r.values, *r.bounds, nodata=np.nan, srs_wkt=r.crs.to_wkt())
    ref = exact_extract(src, parcels, [stat], output="pandas")[stat].to_numpy(dtype="float64")
    assert np.isnan(got).sum() > 0  # some parcels lie outside the raster
    np.testing.assert_array_equal(got.to_numpy(), ref)
