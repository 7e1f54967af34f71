"""Hostile numbers, ids, geometries and files against the real CLI (issue 9: inputs).

Each case edits the small scenario of ``tests/conftest.py`` (a 3 x 3 grid of 100 m parcels,
one zone, facilities, a lake) in one hostile way and checks the promises: exit 2, one
``error:`` line naming the file, the key and the fix, no traceback, inputs unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import geopandas as gpd
import shapely

from adversarial.helpers import assert_bad_input, assert_nothing_left, run_cli, tree_hashes
from conftest import CRS, box, pt


def edit(d: Path, old: str, new: str) -> Path:
    """Replace ``old`` (which must occur) by ``new`` in the scenario file; return its path."""
    path = d / "scenario.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def rank_fails(d: Path, *must_name: str) -> None:
    """``landplan rank`` refuses the scenario with one line naming ``must_name``; nothing changes."""
    before = tree_hashes(d)
    out = run_cli("rank", d / "scenario.toml", cwd=d)
    assert_bad_input(out, *must_name)
    assert out.stdout == ""
    assert_nothing_left(d, before)


# ------------------------------------------------------------------ scenario numbers

SCENARIO_NUMBERS = [
    ("weight = 2", 'weight = "2"', "criteria[0].weight", "number"),
    ("weight = 2", "weight = inf", "criteria[0].weight", "finite"),
    ("weight = 2", "weight = nan", "criteria[0].weight", "finite"),
    ("weight = 2", "weight = -inf", "criteria[0].weight", "finite"),
    ("radius_m = 100", "radius_m = inf", "criteria[1].radius_m", "finite"),
    ("radius_m = 100", "radius_m = nan", "criteria[1].radius_m", "finite"),
    ("radius_m = 100", "radius_m = -5", "criteria[1].radius_m", "greater than 0"),
    ("radius_m = 100", 'radius_m = "100"', "criteria[1].radius_m", "number"),
    ("lower = 0, upper = 1000", "lower = -inf, upper = 1000", "criteria[0].value.lower", "finite"),
    ("lower = 0, upper = 1000", "lower = 0, upper = inf", "criteria[0].value.upper", "finite"),
    ("lower = 10, upper = 26", "lower = nan, upper = 26", "criteria[2].value.lower", "finite"),
    ("thresholds = [2, 1]", "thresholds = [inf, 1]", "criteria[1].value.thresholds", "finite"),
    ("values = [1.0, 0.5]", "values = [1.0, nan]", "criteria[1].value.values", "finite"),
    ('label = "lake"', 'label = "lake"\nbuffer_m = inf', "constraints[2].buffer_m", "finite"),
    ('label = "lake"', 'label = "lake"\nbuffer_m = "10"', "constraints[2].buffer_m", "number"),
    ('label = "lake"', 'label = "lake"\nmax_overlap_share = nan', "constraints[2].max_overlap_share", "finite"),
    ('name = "grid test"', 'name = "grid test"\ntop_drivers = 1.5', "scenario.top_drivers", "integer"),
    ('name = "grid test"', 'name = "grid test"\nmisplaced_features = "ignore"', "misplaced_features", "error"),
]


@pytest.mark.parametrize(("old", "new", "key", "says"), SCENARIO_NUMBERS, ids=[c[1] for c in SCENARIO_NUMBERS])
def test_non_finite_or_coerced_numbers_are_refused(scenario_dir, old, new, key, says):
    edit(scenario_dir, old, new)
    rank_fails(scenario_dir, "scenario.toml", key, says)


def test_isolation_min_area_string_is_not_coerced(scenario_dir):
    edit(scenario_dir, 'kind = "isolation"', 'kind = "min_area"\nmin_area_m2 = "100"')
    rank_fails(scenario_dir, "scenario.toml", "constraints[0].min_area_m2", "number")


def test_infinite_decay_scale_is_refused(scenario_dir):
    edit(
        scenario_dir,
        "[[constraints]]",
        '[[criteria]]\nname = "jobs"\nkind = "access"\nscale_m = inf\nweight = 1\n'
        'value = { function = "identity" }\n\n[[constraints]]',
    )
    rank_fails(scenario_dir, "scenario.toml", "criteria[3].scale_m", "finite")


def test_huge_weights_are_scaled_not_zeroed(scenario_dir):
    """Weights of 1e308 are valid and equal: their sum overflows, the normalised weights must not."""
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8")
    (scenario_dir / "scenario.toml").write_text(
        text.replace("weight = 2", "weight = 1e308").replace("weight = 1\n", "weight = 1e308\n"), encoding="utf-8"
    )
    out = run_cli("weights", scenario_dir / "scenario.toml", cwd=scenario_dir)
    assert out.code == 0, out.stderr
    assert out.stdout.count("0.333") == 3, out.stdout


# ------------------------------------------------------------------ ids


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_parcel_ids_are_named(scenario_dir, grid, blank):
    parcels = grid.reset_index()
    parcels.loc[4, "parcel_id"] = blank
    parcels.to_file(scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio")
    rank_fails(scenario_dir, "parcels.gpkg", "parcel_id", "blank id", "feature rows 4", "non-blank id")


def test_duplicate_zone_ids_are_named(scenario_dir):
    zones = gpd.read_file(scenario_dir / "zones.geojson")
    twice = gpd.GeoDataFrame(
        {**{c: list(zones[c]) * 2 for c in zones.columns if c != "geometry"}},
        geometry=[*zones.geometry, box(-400, 0, 100, 100)],
        crs=zones.crs,
    )
    twice.to_file(scenario_dir / "zones.geojson", engine="pyogrio")
    rank_fails(scenario_dir, "zones.geojson", "zone_id", "duplicated ids: 'Z1'", "make ids unique")


# ------------------------------------------------------------------ geometry roles


def test_zone_outlines_are_refused_with_the_polygonize_fix(scenario_dir):
    """An outline cannot contain a parcel: P0..P8 lie inside this ring and must not pass isolation."""
    ring = shapely.LineString(box(-150, -50, 600, 400).exterior.coords)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["KCN"], "hazard": ["IV"], "workers": [1000]}, geometry=[ring], crs=CRS
    )
    zones.to_file(scenario_dir / "zones.geojson", engine="pyogrio")
    rank_fails(scenario_dir, "zones", "zones.geojson", "LineString", "zone_id 'Z1'", "polygonize", "Lines to Polygons")


def test_point_parcels_are_refused(scenario_dir, grid):
    parcels = grid.reset_index()
    parcels.loc[2, "geometry"] = pt(250, 50)
    parcels.to_file(scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio")
    rank_fails(scenario_dir, "parcels.gpkg", "polygon", "Point", "parcel_id 'P2'")


def test_facility_with_nan_coordinates_is_named_not_dropped(scenario_dir):
    """A vertex of NaN survives in GeoParquet (a NaN point is read as an empty one: see below)."""
    fac = gpd.read_file(scenario_dir / "facilities.shp")
    with np.errstate(invalid="ignore"):
        fac.loc[1, "geometry"] = shapely.linestrings([[105.8, 21.0], [np.nan, np.nan]])
    fac.to_parquet(scenario_dir / "facilities.parquet")
    edit(scenario_dir, 'path = "facilities.shp"', 'path = "facilities.parquet"')
    rank_fails(scenario_dir, "facilities", "fac_id 'F2'", "NaN", "fix or remove their coordinates")


def test_facility_with_null_geometry_is_dropped_with_a_warning_naming_it(scenario_dir):
    fac = gpd.read_file(scenario_dir / "facilities.shp")
    fac.loc[1, "geometry"] = shapely.Point(np.nan, np.nan)  # written as a null shape by GDAL
    fac.to_file(scenario_dir / "facilities.shp", engine="pyogrio", encoding="UTF-8")
    out = run_cli("rank", scenario_dir / "scenario.toml", cwd=scenario_dir)
    assert out.code == 0, out.stderr
    assert "1 features with null/empty geometry dropped (fac_id 'F2')" in out.stderr


def test_parcel_with_a_coordinate_of_1e12_is_named(scenario_dir, grid):
    parcels = grid.reset_index()
    parcels.loc[7, "geometry"] = shapely.box(1e12, 1e12, 1e12 + 100, 1e12 + 100)
    parcels.to_file(scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio")
    rank_fails(scenario_dir, "parcels.gpkg", "parcel_id 'P7'", "cannot be placed on Earth", "crs")


# ------------------------------------------------------------------ weights and sensitivity files


def test_sensitivity_with_no_eligible_parcel(scenario_dir):
    edit(scenario_dir, 'not_in = ["rice_protected", "public"]', 'in = ["nothing"]')
    before = tree_hashes(scenario_dir)
    out = run_cli("sensitivity", scenario_dir / "scenario.toml", "--runs", "10", cwd=scenario_dir)
    assert_bad_input(out, "no eligible parcel", "relax the constraints")
    assert_nothing_left(scenario_dir, before)


def test_weights_on_a_file_that_is_not_toml(tmp_path):
    bad = tmp_path / "parcels.csv"
    bad.write_text("id,lon,lat\n1,105.8,21.0\n", encoding="utf-8")
    before = tree_hashes(tmp_path)
    out = run_cli("weights", bad, cwd=tmp_path)
    assert_bad_input(out, "parcels.csv", "not valid TOML")
    assert_nothing_left(tmp_path, before)


def test_weights_on_a_file_that_is_not_utf8(tmp_path):
    bad = tmp_path / "ahp.toml"
    bad.write_bytes(b'criteria = ["g\xe2\xd2n", "xa"]\n')  # "gần" in cp1258: not UTF-8
    before = tree_hashes(tmp_path)
    out = run_cli("weights", bad, cwd=tmp_path)
    assert_bad_input(out, "ahp.toml", "not UTF-8", "save the file as UTF-8")
    assert_nothing_left(tmp_path, before)


def test_weights_on_a_ragged_ahp_matrix(tmp_path):
    bad = tmp_path / "ahp.toml"
    bad.write_text('criteria = ["a", "b"]\nmatrix = [[1, 3], [0.333]]\n', encoding="utf-8")
    out = run_cli("weights", bad, cwd=tmp_path)
    assert_bad_input(out, "matrix")


@pytest.mark.parametrize("workers", [float("inf"), -5.0])  # an empty count (NaN) is estimated from area
def test_zone_worker_counts_must_be_finite(scenario_dir, workers):
    zones = gpd.read_file(scenario_dir / "zones.geojson")
    zones["workers"] = [workers]
    zones.to_file(scenario_dir / "zones.gpkg", engine="pyogrio")  # GeoJSON cannot hold NaN or inf
    edit(scenario_dir, 'path = "zones.geojson"', 'path = "zones.gpkg"')
    rank_fails(scenario_dir, "zones", "workers", "zone_id 'Z1'", "fill the worker counts")


def test_point_zone_with_infinite_area(scenario_dir):
    zones = gpd.read_file(scenario_dir / "zones.geojson")
    zones["area_ha"] = [float("inf")]
    zones["geometry"] = [pt(-100, 150)]
    zones.to_file(scenario_dir / "zones.gpkg", engine="pyogrio")
    edit(scenario_dir, 'path = "zones.geojson"', 'path = "zones.gpkg"')
    edit(scenario_dir, 'workers_field = "workers"', 'workers_field = "workers"\narea_ha_field = "area_ha"')
    rank_fails(scenario_dir, "zones", "area_ha", "zone_id 'Z1'", "hectares")
