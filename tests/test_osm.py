"""OpenStreetMap input: tests/data/hanoi_tiny.osm (hand-written XML) and the same data as .osm.pbf.

The fixture lies on a 0.001-degree grid from (105.800 E, 21.030 N); grid (i, j) is
lon 105.800 + i/1000, lat 21.030 + j/1000. By hand:

- relation/300  amenity=school (multipolygon): outer (0,0)-(4,3), inner hole (1,1)-(2,2), isced:level=1
- way/101       amenity=marketplace, closed way (6,0)-(8,2)
- way/102       landuse=industrial, closed way (10,0)-(14,4), "Cụm công nghiệp Cầu Giấy"
- node/10       amenity=kindergarten (3,5); node/11 amenity=clinic + healthcare=centre (5,5);
  node/12       highway=bus_stop (7,5); node/13 amenity=school, isced:level=2 (9,5)
- roads: way/200 motorway oneway motorcycle=no (0,11)-(10,11); way/201 primary oneway (0,7)-(5,7)-(10,7);
  way/202 primary bridge layer=1 (3,6)-(3,10), crossing 201 without a shared node; way/203 residential
  (5,7)-(5,9), sharing node 21 (5,7) with 201; way/204 tertiary roundabout, closed (10,7)-(11,7)-(11,8)-(10,8);
  way/206 pedestrian foot=yes motor_vehicle=no access=destination (5,9)-(7,9)
- way/207 waterway=river (not a road); ways 110, 111: untagged rings of relation 300

Ways are written out of id order in the file (203, 201, 202, 200, ...).
"""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import geopandas as gpd
import shapely

import landplan
from landplan.cli import app
from landplan.config import load_scenario
from landplan.errors import ConfigError, LayerReadError
from landplan.io import read_layer
from landplan.io.osm import ROAD_COLUMNS, read_osm

DATA = Path(__file__).parent / "data"
XML = DATA / "hanoi_tiny.osm"
PBF = DATA / "hanoi_tiny.osm.pbf"
FACILITIES = {"amenity": ["school", "kindergarten", "clinic", "marketplace"], "landuse": ["industrial"]}


def grid(i: float, j: float) -> tuple[float, float]:
    return round(105.800 + i / 1000, 9), round(21.030 + j / 1000, 9)


def near(geom: shapely.Geometry, *points: tuple[float, float]) -> bool:
    """Vertices equal to ``points`` within 1e-9 degree (PBF stores whole 1e-7 degrees)."""
    xy = shapely.get_coordinates(geom)
    return xy.shape == (len(points), 2) and bool(np.allclose(xy, points, rtol=0, atol=1e-9))


@pytest.fixture(params=[XML, PBF], ids=["xml", "pbf"])
def osm_file(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_features_by_tag_filter(osm_file):
    gdf = read_osm(osm_file, tags=FACILITIES)
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf.columns) == ["osm_id", "name", "amenity", "landuse", "geometry"]
    assert list(gdf["osm_id"]) == ["node/10", "node/11", "node/13", "way/101", "way/102", "relation/300"]
    assert list(gdf["amenity"]) == ["kindergarten", "clinic", "school", "marketplace", None, "school"]
    assert list(gdf["landuse"]) == [None, None, None, None, "industrial", None]
    assert list(gdf["name"]) == [
        "Trường Mầm non Hoa Sen",
        "Trạm y tế phường Dịch Vọng",
        "Trường THCS Nghĩa Tân",
        "Chợ Cầu Giấy",
        "Cụm công nghiệp Cầu Giấy",
        "Trường Tiểu học Dịch Vọng",
    ]
    assert list(gdf.index) == list(range(6))
    kinds = list(gdf.geom_type)
    assert kinds[:3] == ["Point"] * 3 and kinds[3:] == ["MultiPolygon"] * 3
    assert near(gdf.geometry.iloc[0], grid(3, 5))
    # the school relation: a 4 x 3 outer ring with a 1 x 1 hole, in squared thousandths of a degree
    school = gdf.geometry.iloc[5]
    assert school.area * 1e6 == pytest.approx(12 - 1, abs=1e-6)
    assert len(school.geoms) == 1 and len(school.geoms[0].interiors) == 1
    assert gdf.geometry.iloc[4].area * 1e6 == pytest.approx(16, abs=1e-6)  # the industrial cluster, 4 x 4


def test_xml_and_pbf_read_the_same(osm_file):
    a = read_osm(XML, tags=FACILITIES, geometry="centroid", columns=["isced:level"])
    b = read_osm(PBF, tags=FACILITIES, geometry="centroid", columns=["isced:level"])
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")))
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-7).all()  # PBF stores 1e-7 degree


def test_centroids_are_points_on_the_ground(osm_file):
    gdf = read_osm(osm_file, tags={"amenity": ["school"]}, geometry="centroid", columns=["isced:level"])
    assert list(gdf["osm_id"]) == ["node/13", "relation/300"]
    assert list(gdf["isced:level"]) == ["2", "1"]  # THCS (lower secondary) and Tiểu học (primary)
    assert list(gdf.geom_type) == ["Point", "Point"]
    assert near(gdf.geometry.iloc[0], grid(9, 5))
    # outer 4 x 3 (centre (2, 1.5), area 12) minus hole 1 x 1 (centre (1.5, 1.5)): x = (24 - 1.5) / 11
    x, y = grid((12 * 2 - 1 * 1.5) / 11, 1.5)
    c = gdf.geometry.iloc[1]
    assert c.x == pytest.approx(x, abs=2e-7) and c.y == pytest.approx(y, abs=2e-7)  # within 2 cm


def test_road_network_lines(osm_file):
    roads = read_osm(osm_file, tags={"highway": True})
    assert list(roads.columns) == ["osm_id", *ROAD_COLUMNS, "geometry"]
    assert list(ROAD_COLUMNS) == [
        "highway", "oneway", "motorcycle", "motor_vehicle", "access", "foot", "maxspeed", "name", "bridge", "tunnel",
        "layer",
    ]  # fmt: skip
    # the bus stop node and the river are not roads; the roundabout is a (closed) line, not an area
    assert list(roads["osm_id"]) == ["way/200", "way/201", "way/202", "way/203", "way/204", "way/206"]
    assert set(roads.geom_type) == {"LineString"}
    r = roads.set_index("osm_id")
    assert r.loc["way/200", ["highway", "oneway", "motorcycle", "maxspeed"]].tolist() == [
        "motorway",
        "yes",
        "no",
        "100",
    ]
    assert r.loc["way/201", ["highway", "oneway", "name"]].tolist() == ["primary", "yes", "Đường Cầu Giấy"]
    assert r.loc["way/202", ["bridge", "layer", "tunnel"]].tolist() == ["yes", "1", None]
    assert r.loc["way/206", ["motor_vehicle", "foot", "access", "name"]].tolist() == ["no", "yes", "destination", None]
    assert r.loc["way/204", "geometry"].is_closed
    assert near(r.loc["way/201", "geometry"], grid(0, 7), grid(5, 7), grid(10, 7))


def test_roads_meet_only_at_shared_nodes(osm_file):
    r = read_osm(osm_file, tags={"highway": True}).set_index("osm_id").geometry
    vertices = {k: set(map(tuple, shapely.get_coordinates(g).tolist())) for k, g in r.items()}
    # residential 203 starts on node 21 of primary 201: the same coordinate, exactly
    shared = vertices["way/203"] & vertices["way/201"]
    assert len(shared) == 1 and near(shapely.points(list(shared)), grid(5, 7))
    # the bridge crosses the primary road but shares no node with it
    assert r["way/202"].crosses(r["way/201"])
    assert not vertices["way/202"] & vertices["way/201"]


def test_bus_stops_are_points_and_polygon_mode_skips_nodes(osm_file):
    stops = read_osm(osm_file, tags={"highway": ["bus_stop"], "public_transport": ["platform"]})
    assert list(stops["osm_id"]) == ["node/12"] and stops.geom_type.tolist() == ["Point"]
    areas = read_osm(osm_file, tags=FACILITIES, geometry="polygon")
    assert list(areas["osm_id"]) == ["way/101", "way/102", "relation/300"]
    nodes = read_osm(osm_file, tags=FACILITIES, geometry="point")
    assert list(nodes["osm_id"]) == ["node/10", "node/11", "node/13"]


def test_a_filter_key_outside_gdal_area_list_still_makes_areas(tmp_path):
    # healthcare is not in GDAL's closed_ways_are_polygons; a clinic drawn as a closed way is still an area
    text = XML.read_text(encoding="utf-8").replace(
        '<tag k="amenity" v="marketplace"/>', '<tag k="healthcare" v="clinic"/>'
    )
    path = tmp_path / "clinic.osm"
    path.write_text(text, encoding="utf-8")
    gdf = read_osm(path, tags={"healthcare": True})
    assert list(gdf["osm_id"]) == ["node/11", "way/101"]
    assert list(gdf.geom_type) == ["Point", "MultiPolygon"]


def _shuffled(order: list[int]) -> str:
    """The fixture with its ways in the given order (nodes first and relations last, as OSM requires)."""
    root = ET.parse(XML).getroot()
    ways = [e for e in root if e.tag == "way"]
    for e in ways:
        root.remove(e)
    first_rel = next(i for i, e in enumerate(root) if e.tag == "relation")
    for k, i in enumerate(order):
        root.insert(first_rel + k, ways[i])
    return ET.tostring(root, encoding="unicode")


_ALL = {"highway": True, "amenity": True, "landuse": True}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(list(range(11))))
def test_order_does_not_depend_on_the_file(tmp_path, order):
    path = tmp_path / "shuffled.osm"
    path.write_text(_shuffled(order), encoding="utf-8")
    expected = read_osm(XML, tags=_ALL)
    assert expected["osm_id"].tolist() == [
        "node/10", "node/11", "node/12", "node/13", "way/101", "way/102", "way/200", "way/201", "way/202", "way/203",
        "way/204", "way/206", "relation/300",
    ]  # fmt: skip
    got = read_osm(path, tags=_ALL)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected))


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"amenity=school": True}, 'write amenity = ["school"]'),
        ({"amenity": "school"}, 'give a list of values, amenity = ["school"]'),
        ({"amenity": []}, "non-empty list of texts"),
        ({"amenity": False}, "or amenity = true for any value"),
        ({"amenity": [3]}, "non-empty list of texts"),
        ({"shop *": True}, "is not an OSM tag key"),
        ({}, "non-empty table"),
    ],
)
def test_malformed_filters_are_input_errors(tags, message):
    with pytest.raises(LayerReadError, match=r"hanoi_tiny\.osm: ") as err:
        read_osm(XML, tags=tags)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_keys_sharing_a_column_are_refused():
    with pytest.raises(LayerReadError, match="'isced:level' and 'isced_level' would share the column"):
        read_osm(XML, tags={"amenity": ["school"]}, columns=["isced:level", "isced_level"])


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(LayerReadError, match=r"nowhere\.osm\.pbf: file not found"):
        read_osm(tmp_path / "nowhere.osm.pbf", tags={"highway": True})
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"\x00\x00\x00\x0dnot a protobuf at all" * 20)
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(PBF.read_bytes()[:700])
    broken_xml = tmp_path / "broken.osm"
    broken_xml.write_text(XML.read_text(encoding="utf-8")[:2000], encoding="utf-8")
    for bad in (garbage, truncated, broken_xml):
        expected = re.escape(f"{bad.name}: GDAL cannot read this file as OpenStreetMap")
        with pytest.raises(LayerReadError, match=expected) as err:
            read_osm(bad, tags={"highway": True})
        assert "\n" not in str(err.value)


def test_no_match_is_an_empty_frame_but_a_layer_error(osm_file):
    empty = read_osm(osm_file, tags={"amenity": ["university"]})
    assert empty.empty and list(empty.columns) == ["osm_id", "name", "amenity", "geometry"]
    assert empty.crs.to_epsg() == 4326
    with pytest.raises(LayerReadError, match=r"no feature matches osm = \{ amenity = \['university'\] \}"):
        read_layer(osm_file, osm={"amenity": ["university"]})


def test_read_layer_routes_osm_files(osm_file):
    gdf = read_layer(osm_file, osm={"landuse": ["industrial"]}, geometry="polygon")
    assert list(gdf["osm_id"]) == ["way/102"] and gdf.attrs["source"] == str(osm_file)
    with pytest.raises(LayerReadError, match="needs a tag filter"):
        read_layer(osm_file)
    with pytest.raises(LayerReadError, match="`layer` is not used for OpenStreetMap"):
        read_layer(osm_file, "points", osm={"landuse": True})
    both = read_layer(osm_file, where="name LIKE 'Trường%'", osm={"amenity": True}, geometry="centroid")
    assert list(both["osm_id"]) == ["node/10", "node/13", "relation/300"]


def test_centroid_for_any_layer(tmp_path):
    x, y = 580_000, 2_330_000
    shapes = [
        shapely.box(x, y, x + 100, y + 50),
        shapely.Point(x + 7, y + 7),
        shapely.LineString([(x, y), (x, y + 10)]),
    ]
    path = tmp_path / "s.gpkg"
    gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=shapes, crs=32648).to_file(path, engine="pyogrio")
    gdf = read_layer(path, geometry="centroid")
    assert gdf.geometry.tolist() == [
        shapely.Point(x + 50, y + 25),
        shapely.Point(x + 7, y + 7),
        shapely.Point(x, y + 5),
    ]


def test_nothing_is_written_beside_the_input_or_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "copy.osm.pbf"
    copy.write_bytes(PBF.read_bytes())
    read_osm(copy, tags={"highway": True, "amenity": True}, geometry="centroid")
    assert list(tmp_path.iterdir()) == [copy] and copy.read_bytes() == PBF.read_bytes()


# --- scenarios -----------------------------------------------------------------------------------------------

PARCELS = {  # lon/lat boxes of 0.0005 degree around the fixture; distances to the industrial cluster by hand
    "C": (105.8080, 21.0318),  # 0.0015 deg west of it: 155.9 m; THCS Nghĩa Tân node at ~303 m
    "B": (105.8018, 21.0340),  # 0.0077 deg west (800.1 m); the primary school's centroid at ~277 m
    "A": (105.8135, 21.0360),  # 0.0020 deg north (221.5 m); no school within 400 m
}

SCENARIO = textwrap.dedent(
    """
    [scenario]
    name = "OSM test"

    [layers.parcels]
    path = "parcels.geojson"
    id_field = "parcel_id"

    [layers.zones]
    path = "{osm}"
    osm = {{ landuse = ["industrial"] }}
    geometry = "polygon"
    id_field = "osm_id"
    name_field = "name"

    [layers.schools]
    path = "{osm}"
    osm = {{ amenity = ["school", "kindergarten"] }}
    osm_columns = ["isced:level"]
    geometry = "centroid"
    id_field = "osm_id"
    name_field = "name"

    [[criteria]]
    name = "zone_distance"
    kind = "distance"
    layer = "zones"
    weight = 1
    value = {{ function = "linear", lower = 0, upper = 2000, increasing = false }}

    [[criteria]]
    name = "schools"
    kind = "count"
    layer = "schools"
    select = {{ amenity = "school" }}
    radius_m = 400
    weight = 1
    value = {{ function = "step", mode = "at_least", thresholds = [1], values = [1.0] }}
    """
)


@pytest.fixture
def osm_scenario(tmp_path: Path) -> Path:
    boxes = [shapely.box(x, y, x + 0.0005, y + 0.0005) for x, y in PARCELS.values()]
    gpd.GeoDataFrame({"parcel_id": list(PARCELS)}, geometry=boxes, crs=4326).to_file(
        tmp_path / "parcels.geojson", engine="pyogrio"
    )
    (tmp_path / "scenario.toml").write_text(SCENARIO.format(osm=PBF.as_posix()), encoding="utf-8")
    return tmp_path / "scenario.toml"


def test_scenario_with_osm_layers_end_to_end(osm_scenario):
    r = CliRunner().invoke(app, ["rank", str(osm_scenario)])
    assert r.exit_code == 0, r.output
    from io import StringIO

    table = pd.read_csv(StringIO(r.stdout)).set_index("parcel_id")
    assert table["zone_distance_raw"].to_dict() == pytest.approx({"A": 221.5, "B": 800.1, "C": 155.9}, abs=2)
    assert table["schools_raw"].to_dict() == {"A": 0, "B": 1, "C": 1}  # B counts the relation's centroid
    assert list(table.index) == ["C", "B", "A"]


def test_scenario_osm_layer_that_matches_nothing_is_a_finding(osm_scenario):
    text = osm_scenario.read_text(encoding="utf-8").replace('["school", "kindergarten"]', '["university"]')
    osm_scenario.write_text(text, encoding="utf-8")
    report = landplan.validate(osm_scenario)
    errors = [f for f in report.errors if f.layer == "schools"]
    assert len(errors) == 1 and "no feature matches osm = { amenity = ['university'] }" in errors[0].message
    r = CliRunner().invoke(app, ["rank", str(osm_scenario)])
    assert r.exit_code == 2 and "schools" in r.output and "university" in r.output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('osm = { landuse = ["industrial"] }', 'osm = { "landuse=industrial" = true }', "is not an OSM tag key"),
        ('osm = { landuse = ["industrial"] }', 'osm = { landuse = "industrial" }', 'landuse = ["industrial"]'),
        ('osm = { landuse = ["industrial"] }\n', "", "is an OpenStreetMap file: say which features"),
        ('path = "parcels.geojson"', 'path = "parcels.geojson"\nosm = { landuse = true }', "are for OpenStreetMap"),
        ('amenity = ["school", "kindergarten"]', 'amenity = "school"', "layers.schools.osm: OSM tag amenity"),
        ('geometry = "centroid"', 'geometry = "centre"', "layers.schools.geometry: Input should be"),
    ],
)
def test_scenario_osm_settings_are_checked_when_read(osm_scenario, old, new, message):
    text = osm_scenario.read_text(encoding="utf-8")
    assert old in text
    osm_scenario.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"scenario\.toml") as err:
        load_scenario(osm_scenario)
    assert message in str(err.value)


def test_osm_ids_are_unique_and_sorted_numerically(tmp_path):
    # ids 9 and 10: numeric order, not text order ("node/10" < "node/9" as text)
    text = XML.read_text(encoding="utf-8").replace('<node id="13"', '<node id="9"')
    (tmp_path / "ids.osm").write_text(text, encoding="utf-8")
    gdf = read_osm(tmp_path / "ids.osm", tags={"amenity": ["school", "kindergarten"]}, geometry="point")
    assert list(gdf["osm_id"]) == ["node/9", "node/10"]
    assert np.unique(gdf["osm_id"]).size == len(gdf)


def test_the_readme_example_validates_on_the_fixture(tmp_path):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### OpenStreetMap") :]
    example = section[section.index("```toml\n") + 8 : section.index("```\n", section.index("```toml\n"))]
    assert example.count('path = "hanoi.osm.pbf"') == 5
    boxes = [shapely.box(x, y, x + 0.0005, y + 0.0005) for x, y in PARCELS.values()]
    gpd.GeoDataFrame({"parcel_id": list(PARCELS)}, geometry=boxes, crs=4326).to_file(
        tmp_path / "parcels.geojson", engine="pyogrio"
    )
    text = '[scenario]\nname = "readme"\n\n[layers.parcels]\npath = "parcels.geojson"\nid_field = "parcel_id"\n\n'
    text += example.replace("hanoi.osm.pbf", PBF.as_posix())
    (tmp_path / "scenario.toml").write_text(text, encoding="utf-8")
    report = landplan.validate(tmp_path / "scenario.toml")
    assert report.ok, report.to_text()
    assert report.features == {"parcels": 3, "zones": 1, "schools": 3, "health": 1, "markets": 1, "bus_stops": 1}


def test_a_way_cut_by_the_extract_edge_is_left_out_by_name(tmp_path, caplog):
    # nodes 61-63 of the marketplace way are not in the file (an extract cut through it)
    text = re.sub(r'  <node id="6[123]" [^\n]*\n', "", XML.read_text(encoding="utf-8"))
    path = tmp_path / "cut.osm"
    path.write_text(text, encoding="utf-8")
    gdf = read_osm(path, tags={"amenity": ["marketplace", "school"]})
    assert list(gdf["osm_id"]) == ["node/13", "relation/300"]
    assert gdf.attrs["warnings"] == [
        f"{path}: 1 OSM features left out: GDAL could not build their geometry (broken multipolygon rings or "
        "missing nodes: way/101); fix them in OSM or use a complete extract"
    ]
    assert "way/101" in caplog.text
    layer = read_layer(path, osm={"amenity": ["marketplace", "school"]})
    assert layer.attrs["warnings"] == gdf.attrs["warnings"]


def test_a_multipolygon_gdal_had_to_patch_is_reported(tmp_path):
    # the school's outer way is not closed: GDAL keeps the relation but its shape is wrong (only the hole)
    text = XML.read_text(encoding="utf-8")
    closed = '    <nd ref="4"/>\n    <nd ref="1"/>\n  </way>'
    assert text.count(closed) == 1
    path = tmp_path / "open.osm"
    path.write_text(text.replace(closed, '    <nd ref="4"/>\n  </way>'), encoding="utf-8")
    gdf = read_osm(path, tags={"amenity": ["school"]})
    assert list(gdf["osm_id"]) == ["node/13", "relation/300"]
    (note,) = gdf.attrs["warnings"]
    assert "GDAL reported 1 problems while assembling OSM geometries (Non closed ring detected (x1))" in note
    assert "some multipolygons may have a wrong shape" in note


def test_where_on_an_osm_column_as_in_the_readme(osm_file):
    primary = read_osm(
        osm_file,
        tags={"amenity": ["school"]},
        columns=["isced:level"],
        where="isced_level = '1' OR name LIKE 'Trường Tiểu học%'",
    )
    assert list(primary["osm_id"]) == ["relation/300"]
    with pytest.raises(LayerReadError, match="the filter is invalid"):
        read_osm(osm_file, tags={"amenity": ["school"]}, where="capacity > 10")  # not a column read


NETWORK = textwrap.dedent(
    """
    [layers.roads]
    path = "{osm}"
    osm = {{ highway = true }}
    id_field = "osm_id"

    [network]
    layer = "roads"
    mode = "walk"
    max_snap_m = 2000

    [[criteria]]
    name = "zone_walk"
    kind = "travel"
    layer = "zones"
    metric = "distance"
    weight = 1
    value = {{ function = "linear", lower = 0, upper = 5000, increasing = false }}
    """
)


def test_an_osm_extract_is_a_road_network(osm_scenario):
    """Roads read from the .osm.pbf with {highway = true} build the [network] (issues 11 and 13)."""
    text = osm_scenario.read_text(encoding="utf-8") + NETWORK.format(osm=PBF.as_posix())
    osm_scenario.write_text(text, encoding="utf-8")
    study = landplan.load_study(osm_scenario)
    assert study.network is not None
    scores = landplan.score(study)
    along = scores.raw["zone_walk"]
    straight = scores.raw["zone_distance"]
    # along the roads is never shorter than the straight line (both in metres, same parcels and zones)
    assert (along >= straight - 1e-6).all()
    assert along.notna().all()
    assert (along > straight + 1).any()  # the roads are not straight lines
