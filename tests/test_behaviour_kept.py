"""The issue-10 rebuild kept behaviour: the demo run of this checkout against the one before it.

The oracle is the code itself at the last commit before the rebuild (``REFERENCE``), taken from
this clone's git history into a temporary worktree and run on the same demo scenario. The ranked
CSV and the allocation parcels must be byte-identical; the manifest may differ only where the
rebuild fixed something on purpose (it now records the aggregation, the resolved service radii
and the commute reach, and no longer the solve time).

Issue 12 changed one thing on purpose: the demo zones flag their estimated worker counts
(``wrk_est``, named by ``workers_estimated_field``), so ``workers_estimated`` in the zone table
(``allocation_zones.csv`` and the XLSX's ``zones`` sheet) is now true for the 8 estimated zones;
every other cell is unchanged. The reference cannot read that scenario key, so it runs a copy
of the scenario without it (same layers, absolute paths), and the manifests' scenario file and
hash differ.

Documented exception (issue 13): CSV outputs now start with a UTF-8 byte-order mark by default, so
that Excel on Vietnamese Windows opens them as UTF-8 (``[output] csv_bom``); a leading BOM is
stripped before the CSVs are compared. Every other byte must still be the same.

The demo now travels along the roads (issue 11: a ``[network]`` table, job access by travel time,
the commute in minutes), which changes its results on purpose; both runs use the demo's
straight-line variant: the lines marked ``# network`` removed and the ``# straight-line:`` lines
restored (``scripts/compare_network.py`` prints what the network changes).

Documented exception (issue 12, area-based allocation): the default ``[allocation] unit`` is now
``"area"`` (reserve only the land a zone needs), which changes the demo's allocation on purpose.
The old whole-parcel model stays available as ``unit = "whole"``: run with it, the allocation
tables hold the reference's columns with the reference's values (new columns -- ``reserved_ha``,
``land_used_ha``, ``over_reservation`` -- are added, so the files are compared column by column,
not byte for byte, and the XLSX is not compared), and the manifest differs only by the new
allocation keys (``unit``, ``min_reserve_ha``, ``warnings``).

Issue 14 (branch vi) gave the demo's name, description, criterion and constraint labels and units
Vietnamese words (``labels = { vi = ... }`` and alike) for ``--lang vi``; English outputs do not use
them, and the reference runs without those keys.

Documented exception (issue 15, exact discs): coverage by point facilities is now the exact share
inside the union of true circles (``criteria/_discs.py``) instead of inside buffered polygons that
lay up to 2 mm inside each circle. The demo's coverage columns (``kindergarten``,
``primary_school``, ``secondary_school``, ``market``: raw, value, contribution) and ``score``
therefore change by up to 2.3e-5 (measured; ``COVERAGE_ATOL`` allows 1e-4); every rank, every driver
text and every other cell is unchanged, so the ranked CSV is compared cell by cell: those columns
within the tolerance, all others as exact text. The allocation tables' ``score`` likewise, and the
manifest's allocation ``objective`` (a sum of scores, relative 1e-6) and ``gap`` (1e-6).

Issue 16 added ``[allocation.facilities]`` to the demo: a second stage that reads the allocation and
writes ``facility_programme.csv``, changing none of the compared files; both runs leave it out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
#: last commit before the architecture rebuild of issue 10
REFERENCE = "d87bb91db5a034387208044a54853e417cce7ae7"
SAME_BYTES: list[str] = []
#: issue 15: coverage criteria measured on exact circles (see the module docstring)
COVERAGE = ["kindergarten", "primary_school", "secondary_school", "market"]
TOLERANT = ["score", *(f"{c}_{part}" for c in COVERAGE for part in ("raw", "value", "contrib"))]
COVERAGE_ATOL = 1e-4
ALLOCATION_TABLES = ["allocation_parcels.csv", "allocation_zones.csv"]
#: zones whose worker counts are estimates (issue 12: the demo data now says so)
ESTIMATED = ["IZ02", "IZ03", "IZ04", "IZ05", "IZ06", "IZ07", "IZ08", "IZ09"]

pytestmark = pytest.mark.slow


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def reference_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or _git("cat-file", "-e", f"{REFERENCE}^{{commit}}").returncode != 0:
        pytest.skip(f"needs this repository's git history with commit {REFERENCE[:10]}")
    tree = tmp_path_factory.mktemp("reference") / "tree"
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", REFERENCE], capture_output=True, check=True
    ).stdout
    tree.mkdir()
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree / "src"


def _close_then_same(old: pd.DataFrame, new: pd.DataFrame, name: str) -> None:
    """``TOLERANT`` columns within ``COVERAGE_ATOL`` as numbers, every other cell the same text."""
    loose = [c for c in TOLERANT if c in old.columns]
    for c in loose:
        a, b = pd.to_numeric(old[c]).to_numpy(), pd.to_numeric(new[c]).to_numpy()
        assert abs(a - b).max() <= COVERAGE_ATOL, (name, c)
    pd.testing.assert_frame_equal(old.drop(columns=loose), new[old.columns].drop(columns=loose), obj=name)


def _ranked(before: Path, after: Path) -> None:
    """The ranked CSV: same rows, ranks, drivers and cells, coverage columns within the tolerance."""
    old = pd.read_csv(before / "ranked.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    new = pd.read_csv(after / "ranked.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(old.columns) == list(new.columns)
    assert set(COVERAGE) <= {c.removesuffix("_raw") for c in old.columns}
    _close_then_same(old, new, "ranked.csv")


def _tables(before: Path, after: Path) -> None:
    """The allocation tables hold the reference's columns with its values (new columns ignored),
    except ``workers_estimated``, now true for the estimated zones."""
    for name in ALLOCATION_TABLES:
        old = pd.read_csv(before / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        new = pd.read_csv(after / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if "workers_estimated" in new.columns:
            flagged = new.loc[new["workers_estimated"].str.lower() == "true", "zone_id"].tolist()
            assert flagged == ESTIMATED, name
            assert set(old["workers_estimated"].str.lower()) == {"false"}
            old, new = old.drop(columns="workers_estimated"), new.drop(columns="workers_estimated")
        _close_then_same(old, new, name)


def _straight_line(folder: Path, *, reference: bool) -> Path:
    """The demo scenario without its network lines, beside a link to the demo data.

    For the reference run, also without ``workers_estimated_field``, a key it does not know; for
    this checkout, with ``unit = "whole"`` (the allocation model of the reference).
    """
    out = []
    facilities = False  # inside the [allocation.facilities] table (issue 16), left out of both runs
    for line in (ROOT / "scenarios" / "hanoi_demo.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            facilities = line.strip() == "[allocation.facilities]"
        if facilities:
            continue
        if re.search(r"#\s*network\b", line) and not line.lstrip().startswith("#"):
            continue
        if reference and line.startswith("workers_estimated_field"):
            continue
        if reference and re.match(r"(labels|units|names|descriptions) = \{ vi = ", line):
            continue  # the scenario's Vietnamese words (issue 14), keys the reference does not know
        out.append(re.sub(r"^(\s*)# straight-line: ", r"\1", line))
        if not reference and line.strip() == "[allocation]":
            out.append('unit = "whole"')
    (folder / "scenarios").mkdir(parents=True, exist_ok=True)
    if not (folder / "data").exists():
        (folder / "data").symlink_to(ROOT / "data")
    path = folder / "scenarios" / "hanoi_demo.toml"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _run(src: Path, out: Path, scenario: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.run(
        [sys.executable, "-m", "landplan.cli", "run", str(scenario), "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_demo_outputs_unchanged_by_the_rebuild(reference_src: Path, tmp_path: Path) -> None:
    _run(reference_src, tmp_path / "before", _straight_line(tmp_path / "reference", reference=True))
    _run(ROOT / "src", tmp_path / "after", _straight_line(tmp_path / "now", reference=False))
    for name in SAME_BYTES:
        after_bytes = (tmp_path / "after" / name).read_bytes()
        after_bytes = after_bytes.removeprefix(b"\xef\xbb\xbf")  # the BOM added on purpose in issue 13
        assert (tmp_path / "before" / name).read_bytes() == after_bytes, name
    _ranked(tmp_path / "before", tmp_path / "after")
    _tables(tmp_path / "before", tmp_path / "after")
    before = json.loads((tmp_path / "before" / "manifest.json").read_text(encoding="utf-8"))
    after = json.loads((tmp_path / "after" / "manifest.json").read_text(encoding="utf-8"))
    for m in (before, after):
        for key in ("outputs", "output_sha256", "inputs", "scenario"):  # paths and hashes of files that hold paths
            m.pop(key)
        m["allocation"].pop("summary")
    assert after.pop("aggregation") == "weighted_sum"
    assert set(after.pop("service_radius_m")) == {"bus_stops", "kindergarten", "market", "primary_school",
                                                  "secondary_school"}  # fmt: skip
    assert after["allocation"].pop("max_commute_m") == 8000.0
    assert after["allocation"].pop("unit") == "whole"
    assert after["allocation"].pop("min_reserve_ha") is None
    assert isinstance(after["allocation"].pop("warnings"), list)
    assert before["allocation"].pop("seconds") > 0
    # issue 15 (exact discs): the MILP's objective sums the reserved parcels' scores, which moved by < 1e-4
    assert after["allocation"].pop("objective") == pytest.approx(before["allocation"].pop("objective"), rel=1e-6)
    assert after["allocation"].pop("gap") == pytest.approx(before["allocation"].pop("gap"), abs=1e-6)
    assert before == after
