"""The `landplan` CLI through typer's CliRunner: outputs, exit codes and messages."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from landplan.cli import app


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def scenario(scenario_dir):
    return str(scenario_dir / "scenario.toml")


def test_rank_csv_to_stdout(runner, scenario):
    r = runner.invoke(app, ["rank", scenario])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(io.StringIO(r.stdout))
    assert list(table["parcel_id"][:3]) == ["P4", "P1", "P7"]
    assert {"rank", "score", "eligible", "excluded_by", "top_drivers", "centroid_lon", "centroid_lat"} <= set(
        table.columns
    )
    assert len(table) == 9


def test_rank_top_to_file_and_formats(runner, scenario, tmp_path):
    out = tmp_path / "top.gpkg"
    r = runner.invoke(app, ["rank", scenario, "--top", "2", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "wrote 2 parcels" in r.stderr
    import geopandas as gpd

    back = gpd.read_file(out, layer="ranking")  # the file also holds its QGIS style (layer_styles)
    assert list(back["parcel_id"]) == ["P4", "P1"]
    r = runner.invoke(app, ["rank", scenario, "-o", str(tmp_path / "x.json"), "--format", "geojson"])
    assert r.exit_code == 0, r.output
    assert gpd.read_file(tmp_path / "x.json").crs.to_epsg() == 4326


def test_rank_refuses_overwrite_and_inputs(runner, scenario, scenario_dir, tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("keep")
    r = runner.invoke(app, ["rank", scenario, "-o", str(out)])
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and "--overwrite" in r.stderr
    assert out.read_text() == "keep"
    r = runner.invoke(app, ["rank", scenario, "-o", str(out), "--overwrite"])
    assert r.exit_code == 0 and out.read_text(encoding="utf-8-sig").startswith("parcel_id,")
    r = runner.invoke(app, ["rank", scenario, "-o", str(scenario_dir / "parcels.gpkg"), "--overwrite"])
    assert r.exit_code == 2 and "is an input of this run" in r.stderr


def test_bad_input_gives_one_line_error_and_exit_2(runner, scenario_dir):
    p = scenario_dir / "scenario.toml"
    p.write_text(p.read_text().replace("weight = 2", "weight = 0"))
    r = runner.invoke(app, ["rank", str(p)])
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: {p}: criteria[0].weight: weight must be > 0")
    assert "Traceback" not in r.output
    assert r.stdout == ""


def test_missing_layer_file(runner, scenario_dir):
    (scenario_dir / "water.fgb").unlink()
    r = runner.invoke(app, ["rank", str(scenario_dir / "scenario.toml")])
    assert r.exit_code == 2
    assert "water.fgb: file not found" in r.stderr


def test_validate_command(runner, scenario, scenario_dir):
    r = runner.invoke(app, ["validate", scenario])
    assert r.exit_code == 0, r.output
    assert "parcels: 9 features" in r.stdout and "0 error(s)" in r.stdout
    p = scenario_dir / "scenario.toml"
    p.write_text(p.read_text().replace('field = "price"', 'field = "prize"'))
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 2
    assert "field 'prize': missing column" in r.stdout


def test_map_command(runner, scenario, tmp_path):
    out = tmp_path / "m.html"
    r = runner.invoke(app, ["map", scenario, "-o", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    # folium embeds GeoJSON with JSON escapes; the browser decodes them to the same text
    assert json.dumps("KCN Thăng Long")[1:-1] in html
    assert "P4" in html and "Top 20 parcels" in html and "L.control.layers" in html
    assert "new LandplanMap(" in html and "tile.openstreetmap" not in html  # inline assets, no web tiles by default
    r = runner.invoke(app, ["map", scenario, "-o", str(out)])
    assert r.exit_code == 2 and "--overwrite" in r.stderr


def test_run_command_writes_everything(runner, scenario, tmp_path):
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", scenario, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "map.html",
        "project.qgz",
        "ranked.csv",
        "ranked.gpkg",
        "report.html",
        "report.pdf",
    ]
    assert "3 eligible" in r.stdout


def test_usage_errors_exit_2(runner, tmp_path):
    assert runner.invoke(app, ["rank", str(tmp_path / "missing.toml")]).exit_code == 2
    assert runner.invoke(app, ["nope"]).exit_code == 2
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.startswith("landplan ")


def test_verbose_logs_go_to_stderr(runner, scenario):
    r = runner.invoke(app, ["-v", "rank", scenario])
    assert r.exit_code == 0
    assert "working CRS" in r.stderr
    assert "working CRS" not in r.stdout


def test_weights_command_for_an_ahp_matrix(runner, tmp_path):
    ok = tmp_path / "ahp.toml"
    ok.write_text('criteria = ["a", "b", "c"]\nmatrix = [[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]]\n')
    r = runner.invoke(app, ["weights", str(ok)])
    assert r.exit_code == 0, r.output
    assert "a                        0.5714" in r.stdout and "CR = 0.0000" in r.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('criteria = ["a", "b", "c"]\nmatrix = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]\n')
    r = runner.invoke(app, ["weights", str(bad)])
    assert r.exit_code == 2
    assert "INCONSISTENT" in r.stdout and "most inconsistent comparison" in r.stderr


def test_weights_command_for_a_scenario(runner, scenario):
    r = runner.invoke(app, ["weights", scenario])
    assert r.exit_code == 0
    assert "method: direct" in r.stdout and "zone_distance            0.5000" in r.stdout


def test_explain_command(runner, scenario):
    r = runner.invoke(app, ["explain", scenario, "P0"])
    assert r.exit_code == 0, r.output
    assert "Parcel P0" in r.stdout and "not ranked (excluded)" in r.stdout and "[FAIL]" in r.stdout
    r = runner.invoke(app, ["explain", scenario, "nope"])
    assert r.exit_code == 2 and "no parcel with id 'nope'" in r.stderr


def test_explain_speaks_vietnamese(runner, scenario):
    from vi_text import english_words

    r = runner.invoke(app, ["explain", scenario, "P0", "--lang", "vi"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Thửa đất P0" in r.stdout and "không xếp hạng (bị loại)" in r.stdout and "không đạt" in r.stdout
    # P0 lies within the zone's isolation distance: the reason, written in English by the
    # constraint, reads in Vietnamese; the scenario's own English labels are data
    assert "nằm trong khoảng cách ly 100 m" in r.stdout, r.stdout
    labels = ["zone distance", "schools", "price", "zones", "landuse", "public", "lake", "vn", "KCN Thăng Long"]
    assert english_words(r.stdout, data=labels) == []


def test_sensitivity_command(runner, scenario, tmp_path):
    out = tmp_path / "sens"
    args = ["sensitivity", scenario, "--runs", "50", "--top", "2", "--seed", "3", "-o", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "One at a time" in r.stdout and "mean_top_k_overlap" in r.stdout
    expected = ["sensitivity.png", "sensitivity_oat.csv", "sensitivity_parcels.csv"]
    assert sorted(p.name for p in out.iterdir()) == expected
    first = (out / "sensitivity_parcels.csv").read_bytes()
    r = runner.invoke(app, [*args, "--overwrite"])
    assert r.exit_code == 0 and (out / "sensitivity_parcels.csv").read_bytes() == first  # same seed, same result


def test_usage_errors_are_one_line_with_a_hint(runner, scenario):
    r = runner.invoke(app, ["rank", scenario, "--top", "0"])
    assert r.exit_code == 2
    assert r.stderr == "error: --top must be >= 1 (got 0); see 'landplan rank --help'\n"
    assert r.stdout == ""


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbosity_options_before_or_after_the_command(runner, scenario, where):
    def argv(flag: str) -> list[str]:
        return [flag, "rank", scenario] if where == "before" else ["rank", scenario, flag]

    r = runner.invoke(app, argv("-v"))
    assert r.exit_code == 0
    assert "INFO landplan.load: working CRS" in r.stderr
    r = runner.invoke(app, argv("-vv"))
    assert "DEBUG " in r.stderr
    r = runner.invoke(app, argv("-q"))
    assert r.exit_code == 0 and "INFO" not in r.stderr
    r = runner.invoke(app, ["-v", "rank", scenario, "-q"])  # they add up: back to the default level
    assert "INFO" not in r.stderr


@pytest.fixture
def failing_command():
    """A command of the real app that hits an unexpected error (a bug, not bad input)."""
    from landplan.cli import command, handle_errors

    @command(name="boom")
    @handle_errors
    def boom() -> None:
        {}["missing key"]  # the bug under test

    yield "boom"
    app.registered_commands.pop()


def test_unexpected_error_traceback_only_with_v(runner, failing_command):
    r = runner.invoke(app, [failing_command])
    assert r.exit_code == 1
    assert "Traceback" not in r.stderr
    assert r.stderr == "error: unexpected KeyError: 'missing key' (run with -v for the traceback)\n"
    for argv in (["-v", failing_command], [failing_command, "-v"]):
        r = runner.invoke(app, argv)
        assert r.exit_code == 1
        assert "Traceback (most recent call last)" in r.stderr and "in boom" in r.stderr
        assert r.stderr.splitlines()[-1] == "error: unexpected KeyError: 'missing key' (traceback above)"


def test_every_help_text_keeps_its_brackets(runner):
    """Help texts are printed as written: ``[allocation]`` is not taken for rich markup."""
    import typer

    group = typer.main.get_command(app)
    checked = 0
    for name, cmd in group.commands.items():
        texts = [cmd.help or "", *(getattr(p, "help", None) or "" for p in cmd.params)]
        r = runner.invoke(app, [name, "--help"])
        assert r.exit_code == 0, r.output
        shown = " ".join(r.stdout.split())
        assert "<bool>" not in shown and "<int>" not in shown and "│" not in shown
        for text in texts:
            for bracket in re.findall(r"\[[^\]]*\]", text):
                assert " ".join(bracket.split()) in shown, (name, bracket)
                checked += 1
    assert checked >= 3  # [allocation], [output] classification, [allocation] solver


def test_one_line_joins_lines_and_escapes_control_characters():
    from landplan.cli import one_line

    assert one_line("2 problem(s) in the input layers:\n  a: bad\n  b: worse") == (
        "2 problem(s) in the input layers: a: bad; b: worse"
    )
    assert one_line("file\x1b[2Jname.toml: not found") == "file\\x1b[2Jname.toml: not found"
    assert one_line("first\nsecond") == "first; second"
