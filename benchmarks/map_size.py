"""Size and load time of the offline HTML map: the demo, N synthetic parcels, and geopandas.explore as a peer.

Usage::

    python benchmarks/map_size.py                      # demo, 10,000 and 100,000 parcels
    python benchmarks/map_size.py --sizes 10000 --peer # also geopandas.explore() on the same parcels

Writes the maps to a temporary folder and prints one row per map: file size, render time, and (when
chromium and playwright are available) the time until the page is usable in headless chromium at
1400x900: every parcel drawn and the client ready (``window.landplan``). The peer loads its scripts from
CDNs, which the benchmark blocks, so only its size and render time are shown. The issue's targets: demo
<= 4 MB, 100,000 parcels <= 25 MB, each loading in <= 5 s.
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

#: a page is ready when the landplan client has styled every parcel and placed the rank labels
READY = """() => window.landplan && window.landplan.layers.length === window.landplan.n &&
    window.landplan.layers.every(l => l) && window.landplan.best !== undefined"""


def scored(n: int) -> pd.DataFrame:
    """Synthetic 'ranked' parcels with the columns a real ranking has (three criteria)."""
    p = make_data(n)["parcels"]
    rng = np.random.default_rng(1)
    eligible = rng.uniform(0, 1, n) > 0.2
    r = p.copy()
    for c in ("distance", "bus", "school"):
        r[f"{c}_raw"] = rng.uniform(0, 5000, n)
        r[f"{c}_value"] = rng.uniform(0, 1, n)
        r[f"{c}_contrib"] = r[f"{c}_value"] / 3
    r["score"] = r[[f"{c}_contrib" for c in ("distance", "bus", "school")]].sum(axis=1)
    order = np.argsort(-np.where(eligible, r["score"], -1), kind="stable")
    rank = np.full(n, np.nan)
    rank[order[: eligible.sum()]] = np.arange(1, eligible.sum() + 1)
    r["rank"] = pd.array(rank, dtype="Int64")
    r["eligible"] = eligible
    r["excluded_by"] = np.where(eligible, "", "landuse = rice_protected not allowed")
    r["top_drivers"] = "distance 0.31, bus stops 0.12"
    return r


WEIGHTS = {"distance": 1 / 3, "bus": 1 / 3, "school": 1 / 3}


def load_seconds(path: Path) -> float | None:
    """Seconds from navigation until the map is usable in headless chromium (None without a browser)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 1400, "height": 900})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        t = time.perf_counter()
        page.goto(path.as_uri(), timeout=600_000)
        page.wait_for_function(READY, timeout=600_000)
        seconds = time.perf_counter() - t
        b.close()
    return seconds


def demo_map(path: Path) -> int:
    """The bundled demo's offline map (allocation drawn), as ``landplan demo`` writes it."""
    import landplan
    from landplan.datasets import demo_scenario
    from landplan.outputs.webmap import scenario_map

    r = landplan.compute(demo_scenario())
    m = scenario_map(r.study, r.scores, ranked=r.ranked, allocation=r.allocation, offline=True)
    return save_map(m, path, offline=True, warn_bytes=10**12)


def peer_map(r: pd.DataFrame, path: Path) -> int:
    """geopandas.explore(): one folium popup table per parcel, assets from CDNs (blocked: size only matters)."""
    cols = ["score", "rank", "excluded_by", "top_drivers", *[c for c in r.columns if c.endswith("_value")], "geometry"]
    m = r[cols].assign(rank=r["rank"].astype("float64")).explore(column="score", tiles=None, popup=True)
    m.save(str(path))
    return path.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--no-demo", action="store_true", help="skip the demo map")
    ap.add_argument("--peer", action="store_true", help="also write geopandas.explore() maps of the same parcels")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_demo:
            t = time.perf_counter()
            path = Path(tmp) / "demo.html"
            size = demo_map(path)
            rows.append(("landplan (demo, 3,719 parcels)", size, time.perf_counter() - t, load_seconds(path)))
        for n in args.sizes:
            r = scored(n)
            t = time.perf_counter()
            path = Path(tmp) / f"map_{n}.html"
            size = save_map(parcel_map(r, tiles=None, top=20, weights=WEIGHTS), path, offline=True, warn_bytes=10**12)
            rows.append((f"landplan ({n:,} parcels)", size, time.perf_counter() - t, load_seconds(path)))
            if args.peer:
                t = time.perf_counter()
                path = Path(tmp) / f"peer_{n}.html"
                size = peer_map(r, path)
                # its scripts come from CDNs, which the benchmark blocks: size and render time only
                rows.append((f"geopandas.explore ({n:,} parcels)", size, time.perf_counter() - t, None))
    table = pd.DataFrame(rows, columns=["map", "html_mb", "render_s", "browser_load_s"])
    table["html_mb"] /= 1e6
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))


if __name__ == "__main__":
    main()
