"""Size and load time of the offline HTML map for N synthetic scored parcels.

Usage::

    python benchmarks/map_size.py --sizes 10000 100000

Writes the maps to a temporary folder, prints file size, render time, and (when chromium and
playwright are available) the time until the parcels are drawn in headless chromium.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from run import make_data

from landplan.outputs.webmap import parcel_map, save_map


def scored(n: int) -> pd.DataFrame:
    """Synthetic 'ranked' parcels with the columns a real ranking has."""
    p = make_data(n)["parcels"]
    rng = np.random.default_rng(1)
    score = rng.uniform(0, 1, n)
    eligible = rng.uniform(0, 1, n) > 0.2
    r = p.copy()
    r["score"] = score
    order = np.argsort(-np.where(eligible, score, -1), kind="stable")
    rank = np.full(n, np.nan)
    rank[order[: eligible.sum()]] = np.arange(1, eligible.sum() + 1)
    r["rank"] = pd.array(rank, dtype="Int64")
    r["eligible"] = eligible
    r["excluded_by"] = np.where(eligible, "", "landuse = rice_protected not allowed")
    r["top_drivers"] = "distance 0.31, bus stops 0.12"
    for c in ("distance", "bus", "school"):
        r[f"{c}_raw"] = rng.uniform(0, 5000, n)
        r[f"{c}_value"] = rng.uniform(0, 1, n)
        r[f"{c}_contrib"] = r[f"{c}_value"] / 3
    return r


WEIGHTS = {"distance": 1 / 3, "bus": 1 / 3, "school": 1 / 3}


def load_seconds(path: Path) -> float | None:
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page()
        t = time.perf_counter()
        page.goto(path.as_uri(), timeout=600_000)
        page.wait_for_function(
            "() => document.querySelector('.leaflet-overlay-pane canvas, path.lp-parcel')", timeout=600_000
        )
        seconds = time.perf_counter() - t
        b.close()
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            r = scored(n)
            t = time.perf_counter()
            m = parcel_map(r, tiles=None, top=20, weights=WEIGHTS)
            path = Path(tmp) / f"map_{n}.html"
            size = save_map(m, path, offline=True, warn_bytes=10**12)
            render = time.perf_counter() - t
            rows.append({"parcels": n, "html_mb": size / 1e6, "render_s": render, "browser_load_s": load_seconds(path)})
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:,.1f}"))


if __name__ == "__main__":
    main()
