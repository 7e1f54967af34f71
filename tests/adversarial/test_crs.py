"""CRS traps against the real CLI (issue 9): wrong declarations, swapped axes, stray features.

The scenario of ``tests/conftest.py`` lies near Hanoi (UTM 48N, EPSG:32648). Each case breaks
one CRS fact and checks: exit 2, one ``error:`` line naming the layer, the file, what is
wrong and the scenario key that fixes it (``crs``, ``lon_field``, ``lat_field``,
``misplaced_features``), no traceback, inputs unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import geopandas as gpd
import shapely

from adversarial.helpers import assert_bad_input, assert_nothing_left, run_cli, tree_hashes
from conftest import CRS, box


def edit(d: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in the scenario file."""
    path = d / "scenario.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def fails(d: Path, *must_name: str) -> None:
    before = tree_hashes(d)
    out = run_cli("rank", d / "scenario.toml", cwd=d)
    assert_bad_input(out, *must_name)
    assert_nothing_left(d, before)


def lonlat_facilities(d: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(d / "facilities.shp")  # written in EPSG:4326 by the fixture


def write_csv(d: Path, rows: list[tuple[str, float, float]], header: str = "fac_id,kind,name,lon,lat") -> None:
    lines = [header] + [f"{fid},school,Trường {fid},{x},{y}" for fid, x, y in rows]
    (d / "facilities.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    edit(d, 'path = "facilities.shp"', 'path = "facilities.csv"')


def csv_rows(d: Path) -> list[tuple[str, float, float]]:
    fac = lonlat_facilities(d)
    return [(f, g.x, g.y) for f, g in zip(fac["fac_id"], fac.geometry, strict=True)]


# ------------------------------------------------------------------ declarations


def test_lonlat_shapefile_declared_as_utm(scenario_dir):
    """Degrees declared as metres would put every facility 500 km away and zero a criterion."""
    for ext in ("prj", "cpg"):
        (scenario_dir / f"facilities.{ext}").unlink(missing_ok=True)
    edit(scenario_dir, 'path = "facilities.shp"', 'path = "facilities.shp"\ncrs = "EPSG:32648"')
    fails(scenario_dir, "facilities.shp", "EPSG:32648", "longitude/latitude degrees", 'crs = "EPSG:4326"')


def test_lonlat_shapefile_whose_prj_says_utm(scenario_dir):
    (scenario_dir / "facilities.prj").write_text(shapely_free_prj(32648), encoding="utf-8")
    fails(scenario_dir, "facilities.shp", "longitude/latitude degrees", "`crs")


def shapely_free_prj(epsg: int) -> str:
    import pyproj

    return pyproj.CRS.from_epsg(epsg).to_wkt("WKT1_ESRI")


def test_projected_geojson_without_crs_can_be_declared(scenario_dir):
    """A GeoJSON of UTM metres without crs member is read as WGS 84: say so, and let `crs` fix it."""
    zones = json.loads((scenario_dir / "zones.geojson").read_text(encoding="utf-8"))
    zones.pop("crs", None)
    (scenario_dir / "zones.geojson").write_text(json.dumps(zones), encoding="utf-8")
    fails(scenario_dir, "zones.geojson", "EPSG:4326", "metres?", "crs =", "RFC 7946")
    assert "swapped" not in run_cli("rank", scenario_dir / "scenario.toml").stderr
    edit(scenario_dir, 'path = "zones.geojson"', 'path = "zones.geojson"\ncrs = "EPSG:32648"')
    out = run_cli("rank", scenario_dir / "scenario.toml", cwd=scenario_dir)
    assert out.code == 0, out.stderr
    assert out.stdout.startswith("parcel_id,rank,score")
    assert "zone distance 0.38" in out.stdout  # P0 is 50 m from the zone, as the fixture built it


def test_declared_crs_contradicting_a_file_that_fits_its_own(scenario_dir):
    edit(scenario_dir, 'path = "water.fgb"', 'path = "water.fgb"\ncrs = "EPSG:4326"')
    fails(scenario_dir, "water.fgb", "says its CRS is EPSG:32648", "remove `crs`")


def test_declared_crs_that_is_not_a_crs(scenario_dir):
    edit(scenario_dir, 'path = "water.fgb"', 'path = "water.fgb"\ncrs = "EPSG:99999999"')
    fails(scenario_dir, "water.fgb", "`crs = 'EPSG:99999999'`", "EPSG:4326")


def test_shapefile_without_prj_and_no_declaration(scenario_dir):
    (scenario_dir / "facilities.prj").unlink()
    fails(scenario_dir, "facilities.shp", "no CRS", "crs =")


def test_geographic_working_crs_is_refused(scenario_dir):
    edit(scenario_dir, 'crs = "EPSG:32648"', 'crs = "EPSG:4326"')
    fails(scenario_dir, "scenario.crs", "not projected", "EPSG:32648")


def test_working_crs_far_from_the_data(scenario_dir):
    """UTM 31N covers 0..6 E: every parcel near Hanoi lies outside it."""
    edit(scenario_dir, 'crs = "EPSG:32648"', 'crs = "EPSG:32631"')
    fails(scenario_dir, "parcels", "outside the area of use", "EPSG:32631", "parcel_id 'P0'", "`crs`")


# ------------------------------------------------------------------ swapped axes in a CSV


def test_csv_with_every_row_swapped_names_the_keys(scenario_dir):
    write_csv(scenario_dir, [(f, y, x) for f, x, y in csv_rows(scenario_dir)])
    fails(scenario_dir, "facilities.csv", "every feature", 'lon_field = "lat"', 'lat_field = "lon"')


def test_csv_with_some_rows_swapped_names_those_lines(scenario_dir):
    rows = csv_rows(scenario_dir)
    f, x, y = rows[1]
    rows[1] = (f, y, x)
    write_csv(scenario_dir, rows)
    before = tree_hashes(scenario_dir)
    out = run_cli("rank", scenario_dir / "scenario.toml", cwd=scenario_dir)
    assert_bad_input(out, "facilities.csv", "lines 3", "swapped in those rows only")
    assert "swap the columns" not in out.stderr and "lon_field" not in out.stderr
    assert_nothing_left(scenario_dir, before)


def test_csv_with_misnamed_coordinate_columns(scenario_dir):
    write_csv(scenario_dir, csv_rows(scenario_dir), header="fac_id,kind,name,easting,northing")
    fails(scenario_dir, "facilities.csv", "lon_field", "lat_field")


def test_csv_declared_lon_field_that_does_not_exist(scenario_dir):
    write_csv(scenario_dir, csv_rows(scenario_dir))
    edit(scenario_dir, 'path = "facilities.csv"', 'path = "facilities.csv"\nlon_field = "long"')
    fails(scenario_dir, "facilities.csv", "lon_field", "lat_field")


# ------------------------------------------------------------------ stray features


def moved_parcel(d: Path, grid: gpd.GeoDataFrame, geom: shapely.Geometry, *, crs: str = CRS) -> None:
    parcels = grid.reset_index().to_crs(crs)
    parcels.loc[5, "geometry"] = geom
    parcels.to_file(d / "parcels.gpkg", layer="parcels", engine="pyogrio")


def test_one_parcel_in_the_south_atlantic_is_named_and_does_not_move_the_crs(scenario_dir, grid):
    edit(scenario_dir, 'crs = "EPSG:32648"\n', "")
    moved_parcel(scenario_dir, grid, shapely.box(-20, -30, -19.999, -29.999), crs="EPSG:4326")
    fails(scenario_dir, "parcels", "parcel_id 'P5'", "from the median centre", "misplaced_features")
    # as a warning the run goes on, in the zone of the other eight parcels
    edit(scenario_dir, 'name = "grid test"', 'name = "grid test"\nmisplaced_features = "warning"')
    (scenario_dir / "scenario.toml").write_text(
        (scenario_dir / "scenario.toml").read_text(encoding="utf-8") + "\n[output]\nreport = false\nmap = false\n",
        encoding="utf-8",
    )
    out = run_cli("run", scenario_dir / "scenario.toml", "-o", scenario_dir / "out", cwd=scenario_dir)
    assert out.code == 0, out.stderr
    assert "working CRS EPSG:32648" in out.stdout
    assert "parcel_id 'P5'" in out.stderr


def test_parcel_at_null_island_is_named(scenario_dir, grid):
    moved_parcel(scenario_dir, grid, shapely.Point(0, 0).buffer(0.0001), crs="EPSG:4326")
    fails(scenario_dir, "parcels", "parcel_id 'P5'", "(0, 0)")


def test_facility_at_null_island_is_named(scenario_dir):
    fac = lonlat_facilities(scenario_dir)
    fac.loc[2, "geometry"] = shapely.Point(0, 0)
    fac.to_file(scenario_dir / "facilities.shp", engine="pyogrio", encoding="UTF-8")
    fails(scenario_dir, "facilities", "fac_id 'F3'", "(0, 0)")


@pytest.mark.parametrize("dx_km", [300, 3000])
def test_zone_far_from_the_others_is_named(scenario_dir, dx_km):
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ["Z1", "Z2", "Z3", "Z4"],
            "name": ["A", "B", "C", "far"],
            "hazard": ["IV"] * 4,
            "workers": [10, 20, 30, 40],
        },
        geometry=[box(-150, 0, 100, 300), box(-400, 0), box(800, 0), box(dx_km * 1000, 0)],
        crs=CRS,
    )
    zones.to_file(scenario_dir / "zones.geojson", engine="pyogrio")
    fails(scenario_dir, "zones", "zone_id 'Z4'")


def test_csv_of_utm_metres_without_crs_names_the_key(scenario_dir):
    fac = lonlat_facilities(scenario_dir).to_crs(CRS)
    write_csv(scenario_dir, [(f, g.x, g.y) for f, g in zip(fac["fac_id"], fac.geometry, strict=True)])
    fails(scenario_dir, "facilities.csv", "EPSG:4326", "metres?", "crs =", "CSV")


def test_csv_of_degrees_declared_as_utm(scenario_dir):
    write_csv(scenario_dir, csv_rows(scenario_dir))
    edit(scenario_dir, 'path = "facilities.csv"', 'path = "facilities.csv"\ncrs = "EPSG:32648"')
    fails(scenario_dir, "facilities.csv", "longitude/latitude degrees", 'crs = "EPSG:4326"')


def test_lonlat_geojson_declared_as_utm(scenario_dir):
    lonlat_facilities(scenario_dir).to_file(scenario_dir / "facilities.geojson", engine="pyogrio")
    edit(scenario_dir, 'path = "facilities.shp"', 'path = "facilities.geojson"\ncrs = "EPSG:32648"')
    fails(scenario_dir, "facilities.geojson", "says its CRS is EPSG:4326", "EPSG:32648", "remove `crs`")
