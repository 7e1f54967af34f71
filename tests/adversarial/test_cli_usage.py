"""Careless command lines: each gives exit 2 and ONE ``error:`` line with a hint, never a boxed usage.

Every case runs the real ``python -m landplan`` in a subprocess (``run_cli``) and checks: exit 2,
exactly one line on stderr that starts with ``error:``, names what is wrong and ends with where to
read the usage, no box-drawing characters (typer's rich panels), no traceback, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adversarial.helpers import Outcome, assert_bad_input, assert_nothing_left, run_cli, tree_hashes

BOX = set("│╭╮╰╯─┌┐└┘")
COMMANDS = ["rank", "map", "report", "validate", "run", "demo", "allocate", "weights", "explain", "sensitivity"]


def assert_usage_error(out: Outcome, *must_name: str, command: str) -> None:
    """Exit 2, stderr is exactly one ``error:`` line naming ``must_name`` with a ``--help`` hint."""
    assert_bad_input(out, *must_name)
    assert out.stderr.splitlines() == out.error_lines, out.stderr  # nothing but the one line
    assert not BOX & set(out.stderr), out.stderr
    assert out.error_lines[0].endswith(f"; see '{command} --help'"), out.error_lines[0]
    assert out.stdout == ""


@pytest.fixture
def scenario(scenario_dir: Path) -> Path:
    return scenario_dir / "scenario.toml"


# (arguments after the scenario, strings the error line must name, command for the hint)
WITH_SCENARIO = [
    (["rank", "{s}", "--top", "0"], ["--top must be >= 1 (got 0)"], "landplan rank"),
    (["rank", "{s}", "--top", "-5"], ["--top must be >= 1 (got -5)"], "landplan rank"),
    (["rank", "{s}", "--top", "abc"], ["--top", "integer"], "landplan rank"),
    (["rank", "{s}", "--format", "xyz"], ["--format", "csv, gpkg, geojson, parquet", "'xyz'"], "landplan rank"),
    (["rank", "{s}", "--format", "gpkg"], ["--format", "only CSV can go to stdout", "--output"], "landplan rank"),
    (["rank", "{s}", "--topp", "3"], ["no such option --topp", "--top"], "landplan rank"),
    (["rank", "{s}", "-o"], ["-o", "requires an argument"], "landplan rank"),
    (["rank", "{s}", "extra"], ["too many arguments", "extra"], "landplan rank"),
    (["rank", "{s}", "--top", "0", "-v"], ["--top must be >= 1"], "landplan rank"),
    (["allocate", "{s}", "--solver", "cplex"], ["--solver", "milp, greedy, auto", "'cplex'"], "landplan allocate"),
    (["map", "{s}"], ["missing option --output"], "landplan map"),
    (
        ["map", "{s}", "-o", "{tmp}/m.html", "--classification", "jenks"],
        ["--classification", "quantiles", "'jenks'"],
        "landplan map",
    ),
    (["map", "{s}", "-o", "{tmp}/m.html", "--top", "0"], ["--top must be >= 1"], "landplan map"),
    (
        ["report", "{s}", "-o", "{tmp}/r.html", "--sensitivity-runs", "-1"],
        ["--sensitivity-runs", ">= 0"],
        "landplan report",
    ),
    (
        ["sensitivity", "{s}", "--delta", "1.5"],
        ["--delta must be between 0.01 and 0.99 (got 1.5)"],
        "landplan sensitivity",
    ),
    (["sensitivity", "{s}", "--runs", "0"], ["--runs must be >= 1"], "landplan sensitivity"),
    (["sensitivity", "{s}", "--concentration", "nan"], ["--concentration must be >= 0.01"], "landplan sensitivity"),
    (["explain", "{s}"], ["missing argument PARCEL_ID"], "landplan explain"),
    (["run", "{s}"], ["missing option --output"], "landplan run"),
]


@pytest.mark.parametrize(
    ("argv", "names", "command"), WITH_SCENARIO, ids=[" ".join(c[0][:1] + c[0][2:]) for c in WITH_SCENARIO]
)
def test_bad_option_gives_one_line(scenario, tmp_path, argv, names, command):
    folder = scenario.parent
    before = tree_hashes(folder)
    out_dir = tmp_path / "outputs"
    out_dir.mkdir()
    args = [a.format(s=scenario, tmp=out_dir) for a in argv]
    out = run_cli(*args, cwd=tmp_path)
    assert_usage_error(out, *names, command=command)
    assert_nothing_left(folder, before)
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("command", ["rank", "map", "report", "validate", "run", "allocate", "explain", "sensitivity"])
def test_missing_scenario_argument(tmp_path, command):
    out = run_cli(command, cwd=tmp_path)
    assert_usage_error(out, "missing argument SCENARIO", command=f"landplan {command}")


def test_scenario_file_that_does_not_exist(tmp_path):
    out = run_cli("rank", "nope.toml", cwd=tmp_path)
    assert_usage_error(out, "nope.toml", "no such file", command="landplan rank")


def test_scenario_that_is_a_folder(tmp_path):
    (tmp_path / "scn.toml").mkdir()
    out = run_cli("validate", "scn.toml", cwd=tmp_path)
    assert_usage_error(out, "scn.toml", "not a regular file", command="landplan validate")


def test_weights_file_that_does_not_exist(tmp_path):
    out = run_cli("weights", "ahp.toml", cwd=tmp_path)
    assert_usage_error(out, "FILE", "ahp.toml", "no such file", command="landplan weights")


def test_unknown_command(tmp_path):
    out = run_cli("rnak", "s.toml", cwd=tmp_path)
    assert_usage_error(out, "no such command 'rnak'", command="landplan")


def test_unknown_global_option(tmp_path):
    out = run_cli("--colour", "rank", cwd=tmp_path)
    assert_usage_error(out, "no such option --colour", command="landplan")


def test_control_characters_in_a_file_name_stay_on_one_line(tmp_path):
    """An escape sequence or newline in an argument is shown escaped, never sent to the terminal."""
    out = run_cli("rank", "evil\x1b[2J\nerror: fake.toml", cwd=tmp_path)
    assert_usage_error(out, "no such file", r"evil\x1b[2J\nerror: fake.toml", command="landplan rank")
    assert "\x1b" not in out.stderr


def test_weights_on_a_non_utf8_file(tmp_path):
    path = tmp_path / "w.toml"
    path.write_bytes('criteria = ["Đông Anh", "Sóc Sơn"]\n'.encode("cp1258"))
    before = tree_hashes(tmp_path)
    out = run_cli("weights", path, cwd=tmp_path)
    assert_bad_input(out, "w.toml", "not UTF-8", "save the file as UTF-8")
    assert out.stderr.splitlines() == out.error_lines
    assert_nothing_left(tmp_path, before)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("criteria = [a, b]\n", ["not valid TOML"]),
        ("\x00\x01binary", ["not valid TOML"]),
        ("weighting = 3\n", ["expected `criteria` and `matrix`", "not a table"]),
        ('criteria = ["a", "b"]\n', ["expected `criteria` and `matrix`", "matrix"]),
        (
            'criteria = ["a", "b"]\nmatrix = [[1, 2], [0.5]]\n',
            ["AHP matrix must be a square table", "2 x 2", "rows of unequal length"],
        ),
    ],
    ids=["not-toml", "binary", "weighting-not-a-table", "no-matrix", "ragged-matrix"],
)
def test_weights_on_a_bad_ahp_file(tmp_path, text, names):
    path = tmp_path / "w.toml"
    path.write_text(text, encoding="utf-8")
    out = run_cli("weights", path, cwd=tmp_path)
    assert_bad_input(out, "w.toml", *names)
    assert out.stderr.splitlines() == out.error_lines


def test_sensitivity_with_no_eligible_parcel(scenario, tmp_path):
    """Every parcel excluded: one line that says so and how to fix it, no chart written."""
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text + '\n[[constraints]]\nkind = "min_area"\nmin_area_m2 = 1e9\n', encoding="utf-8")
    out = run_cli("sensitivity", scenario, "-o", tmp_path / "sens", cwd=tmp_path)
    assert_bad_input(out, "scenario.toml", "no eligible parcel", "constraints")
    assert not (tmp_path / "sens").exists()


def test_several_validation_problems_stay_one_line(scenario, tmp_path):
    """A library message listing several problems is joined onto the one ``error:`` line."""
    text = scenario.read_text(encoding="utf-8").replace('field = "price"', 'field = "prize"')
    text = text.replace('field = "landuse"', 'field = "land_use"')
    scenario.write_text(text, encoding="utf-8")
    out = run_cli("rank", scenario, cwd=tmp_path)
    assert_bad_input(out, "prize", "land_use")
    assert out.stderr.splitlines() == out.error_lines


def test_outputs_are_checked_before_the_layers_are_read(scenario, tmp_path):
    """``sensitivity -o`` onto existing outputs fails at once, even when a layer is broken."""
    sens = tmp_path / "sens"
    sens.mkdir()
    (sens / "sensitivity.png").write_bytes(b"keep")
    (scenario.parent / "parcels.gpkg").write_bytes(b"not a geopackage")
    before = tree_hashes(tmp_path)
    out = run_cli("sensitivity", scenario, "-o", sens, cwd=tmp_path)
    assert_bad_input(out, "sensitivity.png", "--overwrite")
    assert_nothing_left(tmp_path, before)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_plain_and_keeps_its_brackets(command):
    """``--help``: no rich boxes, no ``<bool>``/``<int>`` metavars, ``[allocation]`` not eaten as markup."""
    out = run_cli(command, "--help")
    assert out.code == 0, out.stderr
    assert not BOX & set(out.stdout), out.stdout
    for typename in ("<bool>", "<int>", "<float>", "<path>", "<str>", "<file>", "{"):
        assert typename not in out.stdout, (typename, out.stdout)
    assert out.stdout.startswith(f"Usage: landplan {command} [OPTIONS]")
    assert "-v, --verbose" in out.stdout and "-q, --quiet" in out.stdout
    if command == "allocate":
        assert "(needs an [allocation] table)" in " ".join(out.stdout.split())


def test_validate_with_errors_ends_with_one_error_line(scenario, tmp_path):
    """``validate`` prints its report on stdout and still says on stderr, once, that it failed."""
    scenario.write_text(scenario.read_text(encoding="utf-8").replace('field = "price"', 'field = "prize"'))
    out = run_cli("validate", scenario, cwd=tmp_path)
    assert_bad_input(out, "scenario.toml", "1 error(s)", "prize")
    assert "field 'prize': missing column" in out.stdout
