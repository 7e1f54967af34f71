"""Honest data: facility layers covering part of the study area, and zones without worker counts.

Three 100 m parcels on a line (metres from the grid origin): A x 0..100, B x 200..300,
C x 5000..5100. Two bus stops at (50, 50) and (250, 250): their hull is the segment between
them, and with the 100 m radius it reaches A and B but not C.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd

import landplan
from conftest import CRS, box, pt, rank, scored
from landplan.scoring.score import neutral_outside
from landplan.validation import outside_extent

TOML = """
[scenario]
name = "coverage"
crs = "EPSG:32648"

[layers.parcels]
path = "parcels.gpkg"
id_field = "parcel_id"

[layers.stops]
path = "stops.gpkg"
geometry = "point"

[[criteria]]
name = "bus"
kind = "count"
layer = "stops"
radius_m = 100
weight = 1
value = {{ function = "linear", lower = 0, upper = 1 }}
{outside}

[[criteria]]
name = "size"
kind = "area"
weight = 1
value = {{ function = "identity" }}
"""


@pytest.fixture
def coverage_dir(tmp_path):
    parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"]}, geometry=[box(0, 0), box(200, 0), box(5000, 0)], crs=CRS)
    parcels.to_file(tmp_path / "parcels.gpkg", engine="pyogrio")
    stops = gpd.GeoDataFrame({"stop": ["S1", "S2"]}, geometry=[pt(50, 50), pt(250, 250)], crs=CRS)
    stops.to_file(tmp_path / "stops.gpkg", engine="pyogrio")
    return tmp_path


def _scenario(d, outside: str = ""):
    path = d / "scenario.toml"
    path.write_text(TOML.format(outside=outside), encoding="utf-8")
    return path


def test_parcels_outside_the_layer_extent_are_reported_naming_the_layer(coverage_dir):
    report = landplan.validate(_scenario(coverage_dir))
    found = [f for f in report.findings if f.layer == "stops"]
    assert len(found) == 1
    assert found[0].level == "warning"
    assert "1 of 3 parcels (33.3%) lie outside the layer's extent (convex hull of its features + 100 m)" in str(
        found[0]
    )
    assert "criteria ['bus']" in found[0].message
    assert 'set outside = "neutral"' in found[0].fix


def test_zero_measures_outside_parcels_as_they_are(coverage_dir):
    ranked = rank(_scenario(coverage_dir))
    assert ranked["bus_raw"].to_dict() == {"A": 1.0, "B": 0.0, "C": 0.0}
    assert ranked.loc["C", "bus_value"] == 0.0


def test_neutral_gives_outside_parcels_the_median_value_inside(coverage_dir):
    study, scores = scored(_scenario(coverage_dir, 'outside = "neutral"'))
    assert scores.values["bus"].to_dict() == {"A": 1.0, "B": 0.0, "C": 0.5}  # median of A and B
    assert scores.raw.loc["C", "bus"] == 0.0  # the raw count is what was measured
    assert scores.no_data is not None and scores.no_data["bus"].tolist() == [False, False, True]
    finding = next(f for f in study.report.findings if f.layer == "stops")
    assert finding.level == "info" and "treated as no data" in finding.message
    card = landplan.explain(study, scores, "C").to_text()
    assert "(no data: outside the layer's extent, median value)" in card
    assert "no data" not in landplan.explain(study, scores, "A").to_text()


def test_neutral_value_is_the_median_of_values_inside():
    values = pd.Series([0.2, 0.9, 0.4, 0.1], index=list("abcd"))
    outside = pd.Series([False, False, False, True], index=list("abcd"))
    out, mask = neutral_outside(values, outside)
    assert out.tolist() == [0.2, 0.9, 0.4, 0.4]
    assert mask.tolist() == [False, False, False, True]
    everywhere = neutral_outside(values, pd.Series(True, index=values.index))[0]
    assert everywhere.tolist() == [0.5] * 4  # no parcel inside: 0.5


def test_outside_extent_by_hand():
    parcels = np.array([box(0, 0), box(200, 0), box(5000, 0), box(-160, 0, 50, 50)], dtype=object)
    stops = np.array([pt(50, 50), pt(250, 250)], dtype=object)
    assert outside_extent(parcels, stops, radius_m=100).tolist() == [False, False, True, True]  # D: 160 m west of S1
    assert outside_extent(parcels, stops, radius_m=170).tolist() == [False, False, True, False]
    assert outside_extent(parcels, np.array([], dtype=object)).all()


def test_zone_without_worker_count_is_estimated_with_a_warning(scenario_dir):
    zones = gpd.read_file(scenario_dir / "zones.geojson")
    zones["workers"] = [float("nan")]
    zones.to_file(scenario_dir / "zones.gpkg", engine="pyogrio")
    path = scenario_dir / "scenario.toml"
    text = path.read_text(encoding="utf-8").replace('path = "zones.geojson"', 'path = "zones.gpkg"')
    text += textwrap.dedent(
        """
        [demand]
        workers_per_ha = 100.0

        [allocation]
        max_commute_m = 1000
        """
    )
    path.write_text(text, encoding="utf-8")
    from landplan.allocation import OverReservationWarning

    with pytest.warns(OverReservationWarning):  # 300 workers need less than one 0.5 ha piece
        result = landplan.pipeline.compute(path)
    found = [f for f in result.study.report.findings if f.layer == "zones"]
    assert [f.level for f in found] == ["warning"]
    assert "1 zones have no worker count (zone_id 'Z1')" in found[0].message
    zone = result.allocation.zones.loc["Z1"]
    assert bool(zone["workers_estimated"])
    assert zone["workers"] == pytest.approx(3.0 * 100)  # footprint 100 m x 300 m = 3 ha
