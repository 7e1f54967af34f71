"""Hostile files and output paths: formula injection, links, pipes, inputs as outputs, locks, signals.

Every case runs the real CLI in a subprocess and checks the promise: exit code, one ``error:``
line naming what is wrong, no traceback, inputs unchanged, nothing left behind.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import geopandas as gpd

from adversarial.helpers import SRC, assert_bad_input, assert_nothing_left, run_cli, tree_hashes
from conftest import CRS

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
ALLOCATION = (
    "\n[demand]\nshare_needing_housing = 1.0\nshare_already_housed = 0.0\npersons_per_unit = 1.0\n"
    "gfa_per_unit_m2 = 100.0\nbuildable_share = 0.5\nfloor_area_ratio = 2.0\n"
    "\n[allocation]\nmax_commute_m = 1000\n"
)


def _inject(scenario_dir: Path, grid: gpd.GeoDataFrame, payload: str) -> Path:
    """The grid scenario with allocation, ``payload`` in a zone name, a parcel id and a parcel attribute."""
    parcels = grid.reset_index()
    parcels.loc[1, "parcel_id"] = payload + "P1"  # P1 is eligible, so it reaches the allocation tables
    parcels["note"] = [payload] * len(parcels)
    parcels.to_file(scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio")
    zones = gpd.read_file(scenario_dir / "zones.geojson")
    zones["name"] = [payload + "KCN"]
    zones.to_file(scenario_dir / "zones.geojson", engine="pyogrio")
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8") + ALLOCATION
    (scenario_dir / "scenario.toml").write_text(text, encoding="utf-8")
    return scenario_dir / "scenario.toml"


def _csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


@pytest.mark.parametrize("payload", PAYLOADS, ids=["hyperlink", "plus", "minus", "at", "tab", "cr"])
def test_formula_text_is_neutralised_in_every_table(scenario_dir, grid, tmp_path, payload):
    from openpyxl import load_workbook

    scenario = _inject(scenario_dir, grid, payload)
    out = tmp_path / "out"
    result = run_cli("run", scenario, "-o", out)
    assert result.code == 0, result.stderr
    tables = sorted(out.glob("*.csv"))
    assert {p.name for p in tables} >= {"ranked.csv", "allocation_parcels.csv", "allocation_zones.csv"}
    for table in tables:
        cells = _csv_cells(table)
        assert not [c for c in cells if c.startswith(TRIGGERS)], table.name
    ranked = _csv_cells(out / "ranked.csv")
    assert f"'{payload}P1" in ranked and f"'{payload}" in ranked  # the text is kept, only quoted
    assert any(c.startswith(f"'{payload}KCN") for c in _csv_cells(out / "allocation_zones.csv"))
    book = load_workbook(out / "allocation.xlsx")
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(TRIGGERS)]
    assert f"'{payload}KCN".replace("\r", "\n") in texts  # XML turns a carriage return into a newline
    # numbers stay numbers: the zone's unmet units (700) and parcel coordinates are numeric cells
    assert any(c.data_type == "n" and c.value == 700 for c in cells)


def test_negative_numbers_stay_numbers_in_csv(scenario_dir, grid, tmp_path):
    parcels = grid.reset_index()
    parcels["elevation_m"] = [-3.5, -1, 0, 2, -7, 1, 1, 1, 1]
    parcels.to_file(scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio")
    out = run_cli("rank", scenario_dir / "scenario.toml")
    assert out.code == 0, out.stderr
    table = pd.read_csv(pd.io.common.StringIO(out.stdout))
    assert table["elevation_m"].dtype.kind == "f"
    assert sorted(table["elevation_m"].tolist())[:2] == [-7.0, -3.5]


def test_rank_to_stdout_neutralises_formulas(scenario_dir, grid):
    parcels = grid.reset_index()
    parcels["landuse"] = parcels["landuse"].where(parcels["landuse"] != "vacant", "=1+1")
    parcels.to_file(scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio")
    out = run_cli("rank", scenario_dir / "scenario.toml")
    assert out.code == 0, out.stderr
    cells = [c for row in csv.reader(out.stdout.splitlines()) for c in row]
    assert "'=1+1" in cells and not [c for c in cells if c.startswith(TRIGGERS)]


# ------------------------------------------------------------------ output paths


def test_output_folder_is_a_fifo(scenario_dir, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    before = tree_hashes(scenario_dir)
    out = run_cli("run", scenario_dir / "scenario.toml", "-o", tmp_path / "pipe")
    assert_bad_input(out, "pipe", "not a folder")
    assert (tmp_path / "pipe").is_fifo()
    assert_nothing_left(scenario_dir, before)


def test_output_file_is_a_fifo_even_with_overwrite(scenario_dir, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    os.mkfifo(folder / "ranked.csv")
    out = run_cli("run", scenario_dir / "scenario.toml", "-o", folder, "--overwrite")
    assert_bad_input(out, "ranked.csv", "pipe")
    assert (folder / "ranked.csv").is_fifo()
    assert sorted(p.name for p in folder.iterdir()) == ["ranked.csv"]


def test_rank_output_is_a_fifo(scenario_dir, tmp_path):
    os.mkfifo(tmp_path / "ranked.csv")
    out = run_cli("rank", scenario_dir / "scenario.toml", "-o", tmp_path / "ranked.csv", "--overwrite")
    assert_bad_input(out, "ranked.csv", "pipe")
    assert (tmp_path / "ranked.csv").is_fifo()


def test_output_file_is_a_symlink(scenario_dir, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "map.html").symlink_to(victim)
    out = run_cli("run", scenario_dir / "scenario.toml", "-o", folder, "--overwrite")
    assert_bad_input(out, "map.html", "symbolic link")
    assert (folder / "map.html").is_symlink()
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in folder.iterdir()) == ["map.html"]


def test_rank_output_is_a_dangling_symlink(scenario_dir, tmp_path):
    link = tmp_path / "ranked.csv"
    link.symlink_to(tmp_path / "elsewhere.csv")
    out = run_cli("rank", scenario_dir / "scenario.toml", "-o", link, "--overwrite")
    assert_bad_input(out, "ranked.csv", "symbolic link")
    assert not (tmp_path / "elsewhere.csv").exists()


def test_output_under_a_regular_file_fails_before_any_work(scenario_dir, tmp_path):
    (tmp_path / "somefile.txt").write_text("x", encoding="utf-8")
    (scenario_dir / "water.fgb").write_bytes(b"not a layer")  # loading would fail with another error
    before = tree_hashes(tmp_path)
    out = run_cli("run", scenario_dir / "scenario.toml", "-o", tmp_path / "somefile.txt" / "out")
    assert_bad_input(out, "somefile.txt", "not a folder")
    assert_nothing_left(tmp_path, before)


def test_rank_output_under_a_regular_file(scenario_dir, tmp_path):
    (tmp_path / "somefile.txt").write_text("x", encoding="utf-8")
    (scenario_dir / "water.fgb").write_bytes(b"not a layer")
    out = run_cli("rank", scenario_dir / "scenario.toml", "-o", tmp_path / "somefile.txt" / "r.csv")
    assert_bad_input(out, "somefile.txt", "not a folder")


# ------------------------------------------------------------------ every file read is an input


def _with_rule_pack(scenario_dir: Path, name: str) -> Path:
    import landplan

    pack = Path(landplan.__file__).parent / "rules" / "vn.toml"
    (scenario_dir / name).parent.mkdir(parents=True, exist_ok=True)
    (scenario_dir / name).write_text(pack.read_text(encoding="utf-8"), encoding="utf-8")
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8")
    text = text.replace("[scenario]\n", f'[scenario]\nrule_pack = "{name}"\n', 1)
    (scenario_dir / "scenario.toml").write_text(text, encoding="utf-8")
    return scenario_dir / "scenario.toml"


def test_rank_onto_the_rule_pack_is_refused(scenario_dir):
    scenario = _with_rule_pack(scenario_dir, "mypack.toml")
    assert run_cli("validate", scenario).code == 0
    before = tree_hashes(scenario_dir)
    out = run_cli("rank", scenario, "-o", scenario_dir / "mypack.toml", "-f", "csv", "--overwrite")
    assert_bad_input(out, "mypack.toml", "input")
    assert_nothing_left(scenario_dir, before)


def test_run_onto_a_rule_pack_named_like_an_output_is_refused(scenario_dir):
    scenario = _with_rule_pack(scenario_dir, "out/manifest.json")
    before = tree_hashes(scenario_dir)
    out = run_cli("run", scenario, "-o", scenario_dir / "out", "--overwrite")
    assert_bad_input(out, "manifest.json", "input")
    assert_nothing_left(scenario_dir, before)


@pytest.mark.parametrize("sidecar", ["facilities.dbf", "facilities.cpg", "facilities.prj", "scenario.toml"])
def test_rank_onto_a_sidecar_or_the_scenario_is_refused(scenario_dir, sidecar):
    before = tree_hashes(scenario_dir)
    out = run_cli("rank", scenario_dir / "scenario.toml", "-o", scenario_dir / sidecar, "-f", "csv", "--overwrite")
    assert_bad_input(out, sidecar, "input")
    assert_nothing_left(scenario_dir, before)


# ------------------------------------------------------------------ bad input: one line, exit 2


def _replace_layer(scenario_dir: Path, old: str, new: str) -> Path:
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8").replace(old, new)
    (scenario_dir / "scenario.toml").write_text(text, encoding="utf-8")
    return scenario_dir / "scenario.toml"


def test_extra_layer_that_is_not_a_table(scenario_dir, tmp_path):
    scenario = _replace_layer(scenario_dir, "[layers.water]", "[layers]\nroads = 3\n\n[layers.water]")
    before = tree_hashes(scenario_dir)
    out = run_cli("run", scenario, "-o", tmp_path / "out")
    assert_bad_input(out, "scenario.toml", "layers.roads", "[layers.roads]")
    assert_nothing_left(scenario_dir, before)
    assert not (tmp_path / "out").exists()


def test_zero_byte_csv_layer(scenario_dir, tmp_path):
    scenario = _replace_layer(scenario_dir, "water.fgb", "water.csv")
    (scenario_dir / "water.csv").write_bytes(b"")
    before = tree_hashes(scenario_dir)
    out = run_cli("run", scenario, "-o", tmp_path / "out")
    assert_bad_input(out, "water.csv", "empty")
    assert_nothing_left(scenario_dir, before)
    assert not (tmp_path / "out").exists()


def test_csv_with_missing_coordinates_names_plain_line_numbers(scenario_dir, tmp_path):
    scenario = _replace_layer(scenario_dir, "water.fgb", "water.csv")
    rows = ["name,lon,lat", "a,105.8,21.05", "b,,", "c,105.81,21.05", "d,,", "e,,", "f,,"]
    (scenario_dir / "water.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = run_cli("run", scenario, "-o", tmp_path / "out")
    assert_bad_input(out, "water.csv", "lines 3, 5-7", "lon")
    assert "np." not in out.stderr and "int64" not in out.stderr
    assert not (tmp_path / "out").exists()


def test_parcels_layer_with_no_feature(scenario_dir, grid, tmp_path):
    grid.iloc[:0].reset_index().to_file(scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio")
    before = tree_hashes(scenario_dir)
    out = run_cli("run", scenario_dir / "scenario.toml", "-o", tmp_path / "out")
    assert_bad_input(out, "parcels", "empty")
    assert_nothing_left(scenario_dir, before)


def test_parcels_layer_with_only_null_geometries(scenario_dir, grid, tmp_path):
    frame = grid.reset_index().drop(columns="geometry")
    gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame)), crs=CRS).to_file(
        scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio"
    )
    before = tree_hashes(scenario_dir)
    out = run_cli("run", scenario_dir / "scenario.toml", "-o", tmp_path / "out")
    assert_bad_input(out, "parcels", "null or empty geometry", "P0")
    assert_nothing_left(scenario_dir, before)


def test_layer_file_that_is_not_a_vector_file(scenario_dir, tmp_path):
    (scenario_dir / "water.fgb").write_bytes(b"PK\x03\x04 this is not a FlatGeobuf")
    out = run_cli("run", scenario_dir / "scenario.toml", "-o", tmp_path / "out")
    assert_bad_input(out, "water.fgb", "cannot open")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ stale files, locks, signals


def test_stale_temp_files_of_earlier_runs_are_cleaned(scenario_dir, tmp_path):
    tmp_path = tmp_path / "area"
    folder = tmp_path / "out"
    folder.mkdir(parents=True)
    stale = [".ranked.ab12cd34.part.gpkg", ".ranked.ab12cd34.part.gpkg-journal", ".map.zz99yy88.part.html"]
    for name in stale:
        (folder / name).write_bytes(b"x" * 100)
    (folder / ".keep.part.txt").write_text("not ours", encoding="utf-8")  # no random part: not ours
    (tmp_path / ".out.landplan-dead1234.tmp").mkdir()  # staging folder of a killed run
    (tmp_path / ".out.landplan-dead1234.tmp" / "ranked.csv").write_text("half", encoding="utf-8")
    out = run_cli("run", scenario_dir / "scenario.toml", "-o", folder)
    assert out.code == 0, out.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert not set(stale) & set(names)
    assert ".keep.part.txt" in names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _start(*args: str | Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "landplan", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _wait_for(predicate, proc: subprocess.Popen[str], what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``predicate()`` (the run reached a state); fail if the run ended first."""
    for _ in range(30_000):
        if predicate():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.01)
    proc.kill()
    _, err = proc.communicate()
    pytest.fail(f"the run ended or hung before {what}: {err}")


def _big_scenario() -> Path:
    from landplan import datasets

    return Path(datasets.demo_scenario())


def _manifest_matches_files(folder: Path) -> dict[str, str]:
    import hashlib

    info = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for key, path in info["outputs"].items():
        digest = hashlib.sha256((folder / Path(path).name).read_bytes()).hexdigest()
        assert digest == info["output_sha256"][key], key
    return info


@pytest.mark.slow
def test_concurrent_run_into_the_same_folder_is_refused(scenario_dir, tmp_path):
    tmp_path = tmp_path / "area"
    tmp_path.mkdir()
    folder = tmp_path / "out"
    first = _start("run", _big_scenario(), "-o", folder)
    _wait_for(lambda: any(tmp_path.glob(".out.landplan-*.tmp")), first, "the first run took the folder")
    second = run_cli("run", scenario_dir / "scenario.toml", "-o", folder, "--overwrite")
    assert_bad_input(second, str(folder), "in use")
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    info = _manifest_matches_files(folder)
    assert info["scenario"]["name"] != "grid test"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_runs_of_different_scenarios_never_mix(scenario_dir, tmp_path):
    other = scenario_dir / "other.toml"
    other.write_text(
        (scenario_dir / "scenario.toml").read_text(encoding="utf-8").replace("grid test", "other test"),
        encoding="utf-8",
    )
    folder = tmp_path / "area" / "out"
    procs = [_start("run", s, "-o", folder, "--overwrite") for s in (scenario_dir / "scenario.toml", other)]
    results = [(p.communicate(timeout=300)[1], p.returncode) for p in procs]
    results = [(code, err) for err, code in results]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    for code, err in results:
        if code == 2:
            assert err.count("error:") == 1 and "in use" in err and "Traceback" not in err
    info = _manifest_matches_files(folder)
    assert info["scenario"]["name"] in {"grid test", "other test"}
    assert sorted(p.name for p in folder.parent.iterdir()) == ["out"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupted_run_leaves_no_partial_set(tmp_path, sig):
    folder = tmp_path / "out"
    proc = _start("run", _big_scenario(), "-o", folder)

    def writing() -> bool:
        return any(p.is_file() for stage in tmp_path.glob(".out.landplan-*.tmp") for p in stage.rglob("*"))

    _wait_for(writing, proc, "the run started writing")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == (143 if sig == signal.SIGTERM else 130), err
    assert [line for line in err.splitlines() if line.startswith("error:")] == ["error: interrupted"]
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no staging folder, no output folder, no part file
