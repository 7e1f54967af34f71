"""``landplan validate``, ``weights`` and ``sensitivity``, and the library call behind ``sensitivity``."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import landplan
from landplan.cli import app
from landplan.errors import InputError
from landplan.scoring.sensitivity import monte_carlo, one_at_a_time, weight_sensitivity


@pytest.fixture
def scores(scenario_dir):
    return landplan.compute(scenario_dir / "scenario.toml", allocate=False).scores


def test_weight_sensitivity_is_both_analyses_on_the_eligible_parcels(scores):
    result = weight_sensitivity(scores, runs=50, seed=3, top_k=2, concentration=20.0, delta=0.1)
    values, w, ok = scores.values, scores.weights, scores.eligible
    pd.testing.assert_frame_equal(result.one_at_a_time, one_at_a_time(values, w, eligible=ok, delta=0.1, top_k=2))
    mc = monte_carlo(values, w, eligible=ok, runs=50, seed=3, top_k=2, concentration=20.0)
    pd.testing.assert_frame_equal(result.monte_carlo.parcels, mc.parcels)
    assert result.monte_carlo.summary == mc.summary
    # one row per criterion and direction; only eligible parcels are ranked
    assert list(result.one_at_a_time["criterion"]) == [n for n in w for _ in (0, 1)]
    assert list(result.one_at_a_time["change"]) == ["-10%", "+10%"] * len(w)
    assert set(result.monte_carlo.parcels.index) == set(scores.eligible.index[scores.eligible])
    # the base ranks of the Monte-Carlo table are the scenario's ranks
    base = result.monte_carlo.parcels["base_rank"]
    assert (base == scores.rank[base.index].astype(int)).all()


def test_weight_sensitivity_without_eligible_parcel_names_the_scenario(scores):
    none = type(scores)(**{**vars(scores), "eligible": scores.eligible & False})
    with pytest.raises(
        InputError, match=r"^my\.toml: no eligible parcel, so no ranking to test; relax the constraints"
    ):
        weight_sensitivity(none, source="my.toml")


def test_sensitivity_command_prints_and_writes_the_library_result(scenario_dir, scores, tmp_path):
    out = tmp_path / "sens"
    argv = ["sensitivity", str(scenario_dir / "scenario.toml"), "--runs", "40", "--top", "3", "-o", str(out)]
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 0, r.output
    expected = weight_sensitivity(scores, runs=40, top_k=3)
    assert r.stdout.startswith("One at a time:\n")
    assert expected.monte_carlo.to_text(n=3) in r.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "sensitivity.png",
        "sensitivity_oat.csv",
        "sensitivity_parcels.csv",
    ]
    oat = pd.read_csv(out / "sensitivity_oat.csv")
    assert list(oat["criterion"]) == list(expected.one_at_a_time["criterion"])
    parcels = pd.read_csv(out / "sensitivity_parcels.csv", index_col=0)
    assert list(parcels.index) == list(expected.monte_carlo.parcels.index)
    assert (out / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = CliRunner().invoke(app, argv)  # a second time: refused, nothing changed
    assert r.exit_code == 2 and "--overwrite" in r.stderr


def test_commands_are_listed_in_their_order():
    import typer

    group = typer.main.get_command(app)
    assert list(group.commands) == [
        "rank",
        "map",
        "report",
        "validate",
        "run",
        "demo",
        "allocate",
        "weights",
        "explain",
        "sensitivity",
        "compare",
    ]


def test_weights_of_a_scenario_and_of_an_ahp_file(scenario_dir, tmp_path):
    r = CliRunner().invoke(app, ["weights", str(scenario_dir / "scenario.toml")])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == "method: direct"
    assert "zone_distance" in r.stdout and "0.5000" in r.stdout  # 2 / (2 + 1 + 1)
    ahp = tmp_path / "ahp.toml"
    ahp.write_text('criteria = ["a", "b"]\nmatrix = [[1, 3], [0.3333333, 1]]\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["weights", str(ahp)])
    assert r.exit_code == 0, r.output
    assert "a                        0.7500" in r.stdout and "CR = 0.0000" in r.stdout
