"""Scenario and rule-pack loading: every mistake names the file and the field path."""

from __future__ import annotations

import re

import pytest

import landplan
from conftest import SCENARIO_TOML
from landplan.config import load_rule_pack, load_scenario
from landplan.errors import ConfigError, RulePackError
from landplan.scoring.weights import scenario_weights


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_loads_the_grid_scenario(scenario_dir):
    s = load_scenario(scenario_dir / "scenario.toml")
    assert [c.name for c in s.criteria] == ["zone_distance", "schools", "price"]
    assert scenario_weights(s).weights == {"zone_distance": 0.5, "schools": 0.25, "price": 0.25}
    assert s.layer_path("parcels") == (scenario_dir / "parcels.gpkg").resolve()
    assert s.layers.names() == ["parcels", "zones", "facilities", "water"]
    with pytest.raises(Exception, match="frozen"):
        s.scenario.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('name = "grid test"', 'name = "grid test"\ncolour = "red"', "scenario.colour: unknown key"),
        ("weight = 2", "weight = 0", "criteria[0].weight"),
        ("weight = 2", "weight = -1", "weight must be > 0"),
        ("weight = 2", 'weight = "heavy"', "criteria[0].weight: Input should be a valid number"),
        ("lower = 0, upper = 1000", "lower = 1000, upper = 10", "criteria[0].value: lower (1000.0) must be smaller"),
        ('layer = "zones"\nweight', 'layer = "zonez"\nweight', "layer 'zonez' is not declared"),
        ('function = "linear"', 'function = "cubic"', "criteria[0].value"),
        ("radius_m = 100", "", "criteria[1]: a 'count' criterion needs exactly one of"),
        ('kind = "isolation"', 'kind = "isolate"', "constraints[0]"),
        ('path = "parcels.gpkg"\n', "", "layers.parcels.path: required key is missing"),
        # kind-specific keys: named with the kind that needs (or does not know) them
        ('layer = "zones"\nweight', "weight", "criteria[0].layer: a 'distance' criterion needs `layer`"),
        ('field = "price"\n', "", "criteria[2].field: an 'attribute' criterion needs `field` (a parcel column)"),
        (
            "radius_m = 100",
            "radius_m = 100\ndecay = 'gaussian'",
            "`decay` is not a key of a 'count'",
        ),
        ('field = "price"\n', 'field = "price"\nradius_m = 5\n', "criteria[2].radius_m: `radius_m` is not a key of an"),
        ('kind = "distance"', 'kind = "distant"', "criteria[0].kind: Input should be 'distance', 'count',"),
        ('kind = "distance"\n', "", "criteria[0].kind: required key is missing"),
        ('kind = "isolation"', 'kind = "isolate"', "constraints[0].kind: Input should be 'isolation', 'min_area',"),
    ],
)
def test_mistakes_name_file_and_field(tmp_path, old, new, expected):
    assert old in SCENARIO_TOML
    p = write(tmp_path, SCENARIO_TOML.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_scenario(p)
    text = str(info.value)
    assert str(p) in text
    assert expected in text, text


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(write(tmp_path, "[scenario\nname="))
    with pytest.raises(ConfigError, match="not found"):
        load_scenario(tmp_path / "nope.toml")


def test_duplicate_criterion_names(tmp_path):
    text = SCENARIO_TOML.replace('name = "schools"', 'name = "price"')
    with pytest.raises(ConfigError, match=re.escape("repeated: ['price']")):
        load_scenario(write(tmp_path, text))


def test_builtin_rule_pack_values_have_citations():
    pack = load_rule_pack("vn")
    assert pack.isolation_m("I") == 1000
    assert [pack.isolation_m(c) for c in ("II", "III", "IV", "V")] == [500, 300, 100, 50]
    assert pack.radius_m("kindergarten") == 300
    for group in (pack.isolation_distance_m, pack.service_radius_m):
        for key, rule in group.items():
            assert rule.source, key
            assert isinstance(rule.verified, bool)
    assert not pack.service_radius_m["bus_stop"].verified
    with pytest.raises(RulePackError, match="known classes"):
        pack.isolation_m("VI")


def test_rule_pack_errors(tmp_path):
    with pytest.raises(RulePackError, match="built-in packs"):
        load_rule_pack("xx")
    bad = write(tmp_path, '[meta]\nname = "x"\ntitle = "t"\n[service_radius_m.a]\nvalue = 3\n', "pack.toml")
    with pytest.raises(RulePackError, match=r"service_radius_m.a.source: required key is missing"):
        load_rule_pack(bad)
    write(
        tmp_path,
        '[meta]\nname = "x"\ntitle = "t"\n[service_radius_m.a]\nvalue = 3\nsource = "s"\nverified = false\n',
        "ok.toml",
    )
    assert load_rule_pack("ok.toml", base=tmp_path).radius_m("a") == 3


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("weight = 2", 'weight = "2"', "criteria[0].weight: Input should be a valid number"),
        ("weight = 2", "weight = inf", "criteria[0].weight: Input should be a finite number"),
        ("radius_m = 100", "radius_m = nan", "criteria[1].radius_m: Input should be a finite number"),
        ("lower = 0, upper = 1000", "lower = 0, upper = inf", "criteria[0].value.upper: Input should be a finite"),
        ('label = "lake"', 'label = "lake"\nbuffer_m = inf', "constraints[2].buffer_m: Input should be a finite"),
        ('name = "grid test"', 'name = "grid test"\ntop_drivers = "3"', "scenario.top_drivers: Input should be"),
        ('name = "grid test"', 'name = "grid test"\ntop_drivers = 2.0', "scenario.top_drivers: Input should be"),
    ],
)
def test_numbers_are_strict_and_finite(tmp_path, old, new, expected):
    assert old in SCENARIO_TOML
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_scenario(write(tmp_path, SCENARIO_TOML.replace(old, new, 1)))


def test_zones_refuse_an_any_geometry_role(tmp_path):
    text = SCENARIO_TOML.replace('path = "zones.geojson"', 'path = "zones.geojson"\ngeometry = "line"')
    with pytest.raises(ConfigError, match=r"layers.zones.geometry"):
        load_scenario(write(tmp_path, text))


def test_non_utf8_scenario_names_the_file(tmp_path):
    p = tmp_path / "s.toml"
    p.write_bytes(SCENARIO_TOML.replace("grid test", "Th\xe2ng Long").encode("cp1258"))
    with pytest.raises(ConfigError, match=r"s.toml: not UTF-8 text .*save the file as UTF-8"):
        load_scenario(p)


def test_each_criterion_kind_is_its_own_class_with_only_its_keys(scenario_dir):
    from landplan.config import AttributeCriterion, CountCriterion, DistanceCriterion

    s = load_scenario(scenario_dir / "scenario.toml")
    assert [type(c) for c in s.criteria] == [DistanceCriterion, CountCriterion, AttributeCriterion]
    assert not hasattr(s.criteria[2], "layer")
    assert s.criteria[0].unit_label == "m" and s.criteria[1].unit_label == "features" and s.criteria[2].unit_label == ""


def test_specs_say_what_they_measure_and_which_columns_they_need(scenario_dir):
    s = load_scenario(scenario_dir / "scenario.toml")
    assert [c.describe() for c in s.criteria] == [
        "distance to the nearest feature of zones",
        "number of features of facilities (kind = school) within 100 m",
        "the parcel's 'price' attribute",
    ]
    assert [c.required_columns() for c in s.criteria] == [
        {"zones": []},
        {"facilities": ["kind"]},
        {"parcels": ["price"]},
    ]
    assert [k.describe() for k in s.constraints] == [
        "outside the isolation distance of every zone in 'zones' (by hazard class)",
        "landuse not in ['rice_protected', 'public']",
        "overlap with lake at most 0% of area",
    ]
    assert [k.required_columns() for k in s.constraints] == [{}, {"parcels": ["landuse"]}, {}]


def test_scenario_required_columns_merge_criteria_constraints_and_zone_fields(scenario_dir):
    s = load_scenario(scenario_dir / "scenario.toml")
    zones = s.layers.zones
    assert zones is not None
    zone_fields = [f for f in (zones.hazard_field, zones.workers_field, zones.area_ha_field, zones.name_field) if f]
    assert s.required_columns() == {
        "parcels": ["price", "landuse"],
        "zones": zone_fields,
        "facilities": ["kind", "name"],
        "water": [],
    }


def test_contradictory_lists_are_a_config_error(alloc_scenario):
    alloc_scenario.write_text(alloc_scenario.read_text() + 'must_use = ["P1"]\nmust_not_use = ["P1"]\n')
    with pytest.raises(ConfigError, match=r"allocation: parcels \['P1'\] are in both must_use and must_not_use"):
        landplan.load_scenario(alloc_scenario)


def test_scenario_factory_writes_the_grid_scenario_and_its_variants(scenario_factory):
    """The test fixture itself: TOML that reads back as the data it was given, overrides deep-merged."""
    import tomllib

    from conftest import SCENARIO

    path = scenario_factory(scenario={"crs": None, "name": 'a "quoted" ü'}, aggregation={"method": "topsis"})
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["scenario"] == {"name": 'a "quoted" ü'}
    assert data["aggregation"] == {"method": "topsis"}
    assert data["criteria"] == SCENARIO["criteria"] and data["layers"] == SCENARIO["layers"]
    assert load_scenario(scenario_factory()).criteria[1].value.thresholds == [2, 1]
