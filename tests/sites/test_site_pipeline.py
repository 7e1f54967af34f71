"""Sites end to end: scenario TOML with [sites] -> scored, explained, allocated sites -> files.

The conftest grid scenario with its parcels replaced by a 4 x 4 grid of 50 m parcels (0.25 ha)
at x 100..300, y 200..400 (all vacant, price 10), so that with ``min_site_ha = 1`` and
``max_site_ha = 2`` the two sites are the west half S0001 (x 100..200) and the east half S0002.

By hand: the zone's east edge is at x = -50, so S0001 is 150 m and S0002 250 m from it
(values 0.85 and 0.75, weight 2); school F2 (250, 250) lies in S0002 and 50 m from S0001, both
within the 100 m radius (count 1 -> 0.5, weight 1; F1 at (50, 50) is 158 m away); price 10 -> 1
(weight 1). Scores: S0001 (2 x 0.85 + 0.5 + 1) / 4 = 0.8, S0002 (2 x 0.75 + 0.5 + 1) / 4 = 0.75.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import CRS, box

import geopandas as gpd
import pyogrio

from landplan.cli import app
from landplan.errors import ConfigError
from landplan.outputs.scorecard import explain
from landplan.pipeline import compute, run

WEST = ["P00", "P01", "P04", "P05", "P08", "P09", "P12", "P13"]

SITES = "\n[sites]\nmin_site_ha = 1\nmax_site_ha = 2\n"
MIN_AREA = '\n[[constraints]]\nkind = "min_area"\nmin_area_m2 = 15000\n'


def _grid(order: list[int] | None = None) -> gpd.GeoDataFrame:
    cells = [box(100 + x, 200 + y, 50, 50) for y in (0, 50, 100, 150) for x in (0, 50, 100, 150)]
    frame = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i:02d}" for i in range(16)], "landuse": ["vacant"] * 16, "price": [10.0] * 16},
        geometry=cells,
        crs=CRS,
    )
    return frame.iloc[order] if order is not None else frame


@pytest.fixture
def sites_scenario(alloc_scenario: Path) -> Path:
    d = alloc_scenario.parent
    _grid().to_file(d / "parcels.gpkg", layer="parcels", engine="pyogrio")
    text = alloc_scenario.read_text(encoding="utf-8")
    (d / "scenario.toml").write_text(text.replace("\n[demand]", MIN_AREA + "\n[demand]") + SITES, encoding="utf-8")
    return d / "scenario.toml"


def test_sites_are_scored_by_hand_and_min_area_applies_to_sites(sites_scenario: Path) -> None:
    r = compute(sites_scenario)
    assert r.sites is not None
    assert list(r.study.parcels.index) == ["S0001", "S0002"]
    assert r.study.parcels.index.name == "site_id"
    assert r.sites.of("S0001").tolist() == WEST
    # 0.25 ha parcels would all fail min_area 15,000 m2; the 2 ha sites pass it
    assert r.scores.eligible.tolist() == [True, True]
    assert r.scores.raw.loc["S0001", "zone_distance"] == pytest.approx(150.0)
    assert r.scores.raw["schools"].tolist() == [1, 1]
    assert r.scores.score.to_dict() == pytest.approx({"S0001": 0.8, "S0002": 0.75})
    assert r.ranked.index.tolist() == ["S0001", "S0002"]
    assert r.ranked["member_ids"].loc["S0001"] == ";".join(WEST)
    assert r.manifest["sites"]["sites"] == 2 and r.manifest["sites"]["dropped"] == {"not_eligible": 0}
    assert r.allocation is not None
    assert set(r.allocation.parcels.index) <= {"S0001", "S0002"}


def test_score_card_lists_the_members(sites_scenario: Path) -> None:
    r = compute(sites_scenario, allocate=False)
    card = explain(r.study, r.scores, "S0001", sites=r.sites)
    assert card.members == WEST
    assert "8 parcels: P00, P01" in card.to_text()


def test_run_writes_site_files_byte_identical_for_any_row_order(sites_scenario: Path, tmp_path: Path) -> None:
    first = run(sites_scenario, out_dir=tmp_path / "a")
    members = pd.read_csv(first.outputs["site_members"], index_col="parcel_id")
    assert members["site_id"].value_counts().to_dict() == {"S0001": 8, "S0002": 8}
    assert members.loc["P00", "site_rank"] == 1 and members.loc["P03", "site_rank"] == 2
    layers = dict(pyogrio.list_layers(first.outputs["sites_gpkg"]))
    assert set(layers) == {"sites", "members"}
    sites = gpd.read_file(first.outputs["sites_gpkg"], layer="sites")
    assert sites["site_id"].tolist() == ["S0001", "S0002"] and sites.area.round(6).tolist() == [20_000.0] * 2
    manifest = json.loads(first.outputs["manifest"].read_text(encoding="utf-8"))
    assert manifest["sites"]["groups_split"] == 1
    html = first.outputs["map"].read_text(encoding="utf-8")
    assert "Site members" in html
    # the same parcels in reverse row order: the same files, byte for byte
    _grid(list(range(15, -1, -1))).to_file(sites_scenario.parent / "parcels.gpkg", layer="parcels", engine="pyogrio")
    second = run(sites_scenario, out_dir=tmp_path / "b")
    for key in ("ranked_csv", "site_members", "allocation_parcels"):
        assert first.outputs[key].read_bytes() == second.outputs[key].read_bytes(), key


def test_cli_run_with_sites(sites_scenario: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["run", str(sites_scenario), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "site_members.csv").is_file() and (tmp_path / "out" / "sites.gpkg").is_file()


def test_bad_sites_table_names_the_field(sites_scenario: Path) -> None:
    text = sites_scenario.read_text(encoding="utf-8").replace("max_site_ha = 2", "max_site_ha = 1.5")
    sites_scenario.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sites.*twice min_site_ha"):
        compute(sites_scenario)


def test_missing_group_column_is_an_input_error(sites_scenario: Path) -> None:
    from landplan.errors import InputError

    text = sites_scenario.read_text(encoding="utf-8") + 'group_field = "commune"\n'
    sites_scenario.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="commune"):
        compute(sites_scenario)
