"""Shared options of the CLI: choices from the scenario model, range checks, one place each."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from landplan.cli import CLASSIFICATIONS, FORMATS, SOLVERS, app
from landplan.cli.options import at_least, between, existing_file, one_of
from landplan.config import AllocationSpec, OutputSpec

COMMANDS = typer.main.get_command(app).commands


def _param(command: str, option: str):
    return next(p for p in COMMANDS[command].params if option in p.opts)


def test_choices_are_the_scenario_models_literals():
    assert set(FORMATS) == {"csv", "gpkg", "geojson", "parquet", "xlsx"}
    assert set(SOLVERS) == {"milp", "greedy", "auto"}
    assert set(CLASSIFICATIONS) == {"quantiles", "natural_breaks", "equal_interval"}
    for fmt in FORMATS:  # each choice of the CLI is a value the scenario accepts
        assert OutputSpec(formats=[fmt]).formats == [fmt]
    for solver in SOLVERS:
        assert AllocationSpec(solver=solver).solver == solver
    for scheme in CLASSIFICATIONS:
        assert OutputSpec(classification=scheme).classification == scheme


@pytest.mark.parametrize(
    ("command", "option", "choices"),
    [("rank", "--format", FORMATS), ("map", "--classification", CLASSIFICATIONS), ("allocate", "--solver", SOLVERS)],
)
def test_choice_options_accept_each_choice_and_refuse_others(command, option, choices):
    param = _param(command, option)
    for choice in choices:
        assert param.callback(None, param, choice) == choice
    assert param.callback(None, param, None) is None  # not given: the scenario's setting
    with pytest.raises(typer.BadParameter, match=rf"{option} must be one of {', '.join(choices)} \(got 'nope'\)"):
        param.callback(None, param, "nope")
    shown = " ".join(CliRunner().invoke(app, [command, "--help"]).stdout.split())
    assert ", ".join(choices) in shown


@pytest.mark.parametrize(
    ("command", "option", "good", "bad", "message"),
    [
        ("rank", "--top", 1, 0, "--top must be >= 1 (got 0)"),
        ("report", "--sensitivity-runs", 0, -1, "--sensitivity-runs must be >= 0 (got -1)"),
        ("sensitivity", "--concentration", 0.01, 0.001, "--concentration must be >= 0.01 (got 0.001)"),
        ("sensitivity", "--delta", 0.99, 1.0, "--delta must be between 0.01 and 0.99 (got 1)"),
        ("sensitivity", "--delta", 0.01, float("nan"), "--delta must be between 0.01 and 0.99 (got nan)"),
    ],
)
def test_range_checks_name_the_option_and_the_bound(command, option, good, bad, message):
    param = _param(command, option)
    assert param.callback(None, param, good) == good
    with pytest.raises(typer.BadParameter) as info:
        param.callback(None, param, bad)
    assert info.value.message == message


def test_every_top_option_refuses_zero():
    tops = [(name, p) for name, cmd in COMMANDS.items() for p in cmd.params if "--top" in p.opts]
    assert {name for name, _ in tops} == {"rank", "map", "report", "sensitivity", "compare"}
    for _, param in tops:
        with pytest.raises(typer.BadParameter, match="--top must be >= 1"):
            param.callback(None, param, 0)


def test_check_factories_work_on_any_parameter():
    param = typer.main.get_command(app).commands["sensitivity"].params[0]  # SCENARIO
    assert at_least(2)(None, param, 2) == 2
    assert between(0, 1)(None, param, None) is None
    with pytest.raises(typer.BadParameter, match="SCENARIO must be one of a, b"):
        one_of(["a", "b"])(None, param, "c")


def test_existing_file_refuses_missing_folders_and_passes_files(tmp_path):
    param = COMMANDS["weights"].params[0]  # FILE
    f = tmp_path / "w.toml"
    f.write_text("x = 1\n", encoding="utf-8")
    assert existing_file(None, param, f) == f
    assert existing_file(None, param, None) is None
    with pytest.raises(typer.BadParameter, match=r"FILE: .*nothere.toml: no such file"):
        existing_file(None, param, tmp_path / "nothere.toml")
    with pytest.raises(typer.BadParameter, match="is not a regular file"):
        existing_file(None, param, tmp_path)
    with pytest.raises(typer.BadParameter, match=r"\\x1b"):  # control characters escaped in the message
        existing_file(None, param, Path(tmp_path / "a\x1bb.toml"))
