"""Phased allocation and the scenario side of area-based allocation, on a layout checked by hand.

Two 4 ha parcels at 100 units/ha (density 0.5 x 2 / 100 m² per unit): A (x 300..500) is 224 m
from zone Z1 and 283 m from Z2; B (x 1,200..1,400) is about 1.1 km from both. Z1 operates
already (no year), Z2 opens in 2028, Z3 in 2035 (after the plan). Each zone has 300 workers,
so 300 units (3 ha) of demand.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

import geopandas as gpd

import landplan
from conftest import CRS, box
from landplan.allocation import OverReservationWarning, allocate
from landplan.allocation.phasing import zone_phases
from landplan.config import AllocationSpec, PhaseSpec
from landplan.errors import InputError

PHASES = [PhaseSpec(name="2021–2025", until=2025), PhaseSpec(name="2026–2030", until=2030)]


def _scenario(d: Path, *, allocation: str, parcels_extra: dict | None = None, year_field: str = "year_field") -> Path:
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], **(parcels_extra or {})},
        geometry=[box(300, 200, 200, 200), box(1200, 200, 200, 200)],
        crs=CRS,
    )
    parcels.to_file(d / "parcels.gpkg", layer="parcels", engine="pyogrio")
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ["Z1", "Z2", "Z3"],
            "name": ["KCN Một", "KCN Hai", "KCN Ba"],
            "workers": [300, 300, 300],
            "open_year": [None, 2028, 2035],
            "phase": ["", "2026–2030", "2026–2030"],
        },
        geometry=[box(0, 0), box(0, 600), box(0, 1500)],
        crs=CRS,
    )
    zones.to_file(d / "zones.gpkg", layer="zones", engine="pyogrio")
    text = textwrap.dedent(
        f"""
        [scenario]
        name = "phases"
        crs = "{CRS}"

        [layers.parcels]
        path = "parcels.gpkg"
        id_field = "parcel_id"

        [layers.zones]
        path = "zones.gpkg"
        id_field = "zone_id"
        name_field = "name"
        workers_field = "workers"
        {year_field} = "{"open_year" if year_field == "year_field" else "phase"}"

        [[criteria]]
        name = "zone_distance"
        kind = "distance"
        layer = "zones"
        weight = 1
        value = {{ function = "linear", lower = 0, upper = 2000, increasing = false }}

        [demand]
        share_needing_housing = 1.0
        share_already_housed = 0.0
        persons_per_unit = 1.0
        gfa_per_unit_m2 = 100.0
        buildable_share = 0.5
        floor_area_ratio = 2.0

        [allocation]
        max_commute_m = 2000
        commute_weight = 1
        suitability_weight = 0
        min_reserve_ha = 0.5
        {allocation}
        phases = [{{ name = "2021–2025", until = 2025 }}, {{ name = "2026–2030", until = 2030 }}]
        """
    )
    path = d / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(path: Path, **update: object):
    study = landplan.load_study(path)
    scores = landplan.score(study)
    spec = study.scenario.allocation or AllocationSpec()
    return allocate(study, scores, spec=spec.model_copy(update=update))


def test_phase_by_year_and_by_name(tmp_path):
    study = landplan.load_study(_scenario(tmp_path, allocation=""))
    zspec = study.scenario.layers.zones
    assert zone_phases(study.zones, zspec, PHASES).to_dict() == {
        "Z1": "2021–2025",
        "Z2": "2026–2030",
        "Z3": "after 2030",
    }
    by_name = zspec.model_copy(update={"year_field": None, "phase_field": "phase"})
    assert zone_phases(study.zones, by_name, PHASES).to_dict() == {
        "Z1": "2021–2025",
        "Z2": "2026–2030",
        "Z3": "2026–2030",
    }
    wrong = [PhaseSpec(name="early", until=2025), PhaseSpec(name="late", until=2030)]
    with pytest.raises(InputError, match=r"zones.gpkg \(layer zones\): field 'phase' has phases \['2026–2030'\]"):
        zone_phases(study.zones, by_name, wrong)
    with pytest.raises(InputError, match="set phase_field or year_field"):
        zone_phases(study.zones, zspec.model_copy(update={"year_field": None}), PHASES)


def test_area_phases_keep_earlier_reservations(tmp_path):
    a = _run(_scenario(tmp_path, allocation='unit = "area"'))
    p = a.parcels.reset_index()
    got = {(r.parcel_id, r.zone, r.phase): round(r.reserved_ha, 6) for r in p.itertuples()}
    # phase 1: Z1 takes 3 ha of A; phase 2: Z2 takes A's last 1 ha and 2 ha of B
    assert got == {("A", "Z1", "2021–2025"): 3.0, ("A", "Z2", "2026–2030"): 1.0, ("B", "Z2", "2026–2030"): 2.0}
    z = a.zones
    assert z["phase"].to_dict() == {"Z1": "2021–2025", "Z2": "2026–2030", "Z3": "after 2030"}
    assert z.loc["Z1", "allocated_units"] == pytest.approx(300) and z.loc["Z2", "allocated_units"] == pytest.approx(300)
    assert z.loc["Z3", "allocated_units"] == 0 and z.loc["Z3", "units_needed"] == pytest.approx(300)
    assert z.loc[["Z1", "Z2"], "over_reservation"].tolist() == pytest.approx([1.0, 1.0])
    s = a.phases
    assert list(s.index) == ["2021–2025", "2026–2030", "after 2030"]
    assert s.loc["2021–2025", "land_ha"] == pytest.approx(3.0) and s.loc["2026–2030", "land_ha"] == pytest.approx(3.0)
    assert s.loc["2026–2030", "land_left_ha"] == pytest.approx(2.0)
    assert s.loc["after 2030", "status"] == "opens after the plan"


def test_whole_phases_and_the_over_reservation_warning(tmp_path):
    with pytest.warns(OverReservationWarning, match=r"2 zones reserve more than 1.25x .*KCN Một \(1.33x\)"):
        a = _run(_scenario(tmp_path, allocation='unit = "whole"'))
    assert a.parcels[["zone", "phase"]].to_dict("index") == {
        "A": {"zone": "Z1", "phase": "2021–2025"},
        "B": {"zone": "Z2", "phase": "2026–2030"},
    }
    assert a.zones.loc["Z1", "land_ha"] == pytest.approx(4.0) and a.zones.loc["Z1", "land_used_ha"] == pytest.approx(3)
    assert a.info["warnings"] and "KCN Hai (1.33x)" in a.info["warnings"][0]


def test_the_land_budget_spans_the_phases(tmp_path):
    a = _run(_scenario(tmp_path, allocation='unit = "area"\nland_budget_ha = 4'))
    assert a.parcels["reserved_ha"].sum() == pytest.approx(4.0)
    assert a.zones.loc["Z2", "allocated_units"] == pytest.approx(100)  # A's last hectare; B is beyond the budget
    assert a.phases.loc["2026–2030", "unmet_units"] == pytest.approx(200)


def test_net_area_column_limits_the_land(tmp_path):
    # a net_area_m2 column (from subtract-mode constraints) caps each parcel's land: 1.5 ha of A, 4 ha of B
    path = _scenario(tmp_path, allocation='unit = "area"', parcels_extra={"net_area_m2": [15_000.0, 40_000.0]})
    a = _run(path, phases=[])
    reserved = a.parcels.groupby(level=0)["reserved_ha"].sum()
    assert reserved["A"] == pytest.approx(1.5)
    assert a.parcels["units"].sum() == pytest.approx(550)  # 150 + 400 units for 900 units of demand


def test_phased_run_is_deterministic_and_written(tmp_path):
    path = _scenario(tmp_path, allocation='unit = "area"')
    out = tmp_path / "out"
    result = landplan.run(path, out_dir=out)
    zones = pd.read_csv(out / "allocation_zones.csv", index_col=0)
    assert zones.loc["Z2", "phase"] == "2026–2030"
    parcels = pd.read_csv(out / "allocation_parcels.csv")
    assert set(parcels["phase"]) == {"2021–2025", "2026–2030"}
    assert "2026–2030" in (out / "report.html").read_text(encoding="utf-8")
    landplan.run(path, out_dir=tmp_path / "again")
    for name in ("allocation_parcels.csv", "allocation_zones.csv", "allocation.xlsx"):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert result.manifest["allocation"]["phases"][0]["phase"] == "2021–2025"


def test_a_phase_budget_caps_that_phase_only(tmp_path):
    path = _scenario(tmp_path, allocation='unit = "area"')
    phases = [
        PhaseSpec(name="2021–2025", until=2025, land_budget_ha=3.5),
        PhaseSpec(name="2026–2030", until=2030, land_budget_ha=1.5),
    ]
    a = _run(path, phases=phases)
    assert a.phases["land_ha"].tolist()[:2] == pytest.approx([3.0, 1.5])  # phase 1 needs only 3 ha
    assert a.zones.loc["Z2", "allocated_units"] == pytest.approx(150)


@pytest.mark.slow
def test_phased_demo_scenario():
    root = Path(__file__).resolve().parents[2]
    result = landplan.compute(root / "scenarios" / "hanoi_phased.toml")
    a = result.allocation
    assert a is not None and a.phases is not None
    assert list(a.phases.index) == ["2021-2025", "2026-2030"]
    assert a.phases.loc["2021-2025", "land_ha"] <= 250 + 1e-6 and a.phases.loc["2026-2030", "land_ha"] <= 100 + 1e-6
    z = a.zones
    assert z.loc["IZ12", "phase"] == "2026-2030" and z.loc["IZ12", "allocated_units"] > 0  # KCN Đông Anh, 2030
    assert z.loc["IZ01", "phase"] == "2021-2025"
    assert (z["over_reservation"].dropna() <= 1.25).all()
    per_parcel = a.parcels.groupby(level=0)["reserved_ha"].sum()
    assert (per_parcel <= a.parcels.groupby(level=0)["area_ha"].first() + 1e-6).all()
