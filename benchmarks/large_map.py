"""Size, write time and load time of the tiled map (map.html + map_files/) at 100,000 and 1,000,000 parcels.

Usage::

    python benchmarks/large_map.py                  # 100,000 and 1,000,000 parcels
    python benchmarks/large_map.py --sizes 100000   # one size

Each size runs in its own subprocess (peak RSS belongs to it). The ranking is the synthetic one of
``map_size.py`` (three criteria, 20 % excluded). For each size: the files (page, tiles, card chunks,
overview, renderer), the write time (wall and CPU seconds of the process, GDAL's threads included),
peak RSS (``data MB``: the peak before the map is written, i.e. of making
the synthetic ranking), and in headless chromium (1400x900, opened from ``file://``, no network): the time until
the first render is complete (MapLibre ``idle`` after ``load``: overview, zones, labels drawn), and
the time from a mouse click on a parcel at zoom 16 to its score card (its tiles and its card chunk
read then), from moving the mouse onto it to its tooltip, and from typing an id of an unread chunk
into the search box (Enter) to its card (the flight to the parcel, at most 2 s, included); and what
what-if weights cost there: reading every chunk's values, one weighted sum and one ranking in the
page (the probe), and a mouse click on a slider until the new colours are drawn (the first move
reads every chunk, the next does not). The
issue's target: 1,000,000 parcels open in <= 10 s and take <= 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))


def folder_sizes(page: Path) -> dict[str, float]:
    """MB of the page and of each part of its folder."""
    files = page.parent / (page.stem + "_files")
    part = {"tiles": 0, "cards": 0, "overview": 0, "renderer": 0}
    for f in files.rglob("*"):
        if f.is_file():
            top = f.relative_to(files).parts[0]
            key = top if top in part else "overview" if f.name == "overview.js" else "renderer"
            part[key] += f.stat().st_size
    out = {k: v / 1e6 for k, v in part.items()}
    out["page"] = page.stat().st_size / 1e6
    out["total"] = sum(out.values())
    return out


def browser_times(page: Path) -> dict[str, float]:
    """Seconds to the first complete render and from a click on a parcel to its card."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        pg = b.new_page(viewport={"width": 1400, "height": 900})
        pg.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:")) else r.abort()
        )
        t0 = time.perf_counter()
        pg.goto(page.as_uri())
        pg.wait_for_function("() => window.landplan && window.landplan.ready", timeout=120_000, polling=50)
        load = time.perf_counter() - t0
        best = pg.evaluate("() => window.landplan.d.best[0]")
        pg.evaluate("(b) => window.landplan.map.jumpTo({center: [b[1], b[2]], zoom: 16})", best)
        pg.wait_for_function("() => window.landplan.map.loaded() && window.landplan.map.areTilesLoaded()")
        pg.wait_for_timeout(200)
        x, y = pg.evaluate("(b) => { const p = window.landplan.map.project([b[1], b[2]]); return [p.x, p.y]; }", best)
        t1 = time.perf_counter()
        pg.mouse.click(x, y)
        card = pg.wait_for_selector(".maplibregl-popup .landplan-card", timeout=60_000)
        click = time.perf_counter() - t1
        hover = _hover(pg, x, y, card.get_attribute("data-pid"))
        t3 = time.perf_counter()  # an id whose chunk is not read yet (the last one), typed into the search box
        pid = pg.evaluate("() => window.landplan.d.id_fences[window.landplan.d.id_fences.length - 1]")
        pg.locator(".landplan-search input").fill(pid)
        pg.keyboard.press("Enter")
        pg.wait_for_selector(f'.maplibregl-popup .landplan-card[data-pid="{pid}"]', timeout=60_000)
        search = time.perf_counter() - t3
        moves = _slider_moves(pg)
        probe = pg.evaluate(WHAT_IF_PROBE)
        b.close()
    return {"load_s": load, "click_s": click, "hover_s": hover, "search_s": search, **moves, **probe}


def _slider_moves(pg: Any) -> dict[str, float]:
    """Seconds from a mouse click on a what-if slider to the new colours drawn: the first (every chunk
    read) and the next (arithmetic, ranking and recolouring only)."""
    pg.evaluate("() => { if (window.landplan.open) { window.landplan.open.remove(); } }")
    pg.locator(".landplan-whatif-toggle").click()
    out = {}
    for key, at in (("first_move_s", 0.2), ("next_move_s", 0.6)):
        box = pg.locator(".landplan-slider").first.bounding_box()  # the panel widens with its note
        done = pg.evaluate("() => window.landplan.recoloured || 0") + 1
        t = time.perf_counter()
        pg.mouse.click(box["x"] + at * box["width"], box["y"] + box["height"] / 2)
        pg.wait_for_function("(n) => window.landplan.drawn >= n", arg=done, timeout=120_000, polling=20)
        out[key] = time.perf_counter() - t
    return out


#: the parts of a what-if recompute in the browser, timed apart: read every card chunk's 0-1 values
#: into typed arrays (chunks dropped once read), then one weighted sum and one ranking (sort of the
#: eligible parcels by score, ties by id order) over every parcel
WHAT_IF_PROBE = """async () => {
  const lp = window.landplan, d = lp.d, size = d.chunk, nChunks = d.id_fences.length, k = d.crit.length;
  const t0 = performance.now();
  let n = 0;
  const values = d.crit.map(() => new Float64Array(nChunks * size)), eligible = new Uint8Array(nChunks * size);
  for (let c = 0; c < nChunks; c++) {
    const chunk = await lp.chunk(c);
    for (let j = 0; j < k; j++) {
      const v = chunk.values[j];
      for (let i = 0; i < v.length; i++) { values[j][c * size + i] = v[i] === null ? NaN : v[i]; }
    }
    for (let i = 0; i < chunk.ids.length; i++) { eligible[c * size + i] = chunk.eligible[i]; }
    n += chunk.ids.length;
    delete lp.chunks[c];
  }
  const read = performance.now() - t0;
  const t1 = performance.now(), w = d.weights, score = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < k; j++) { s += values[j][i] * w[j]; } score[i] = s; }
  const sum = performance.now() - t1;
  const t2 = performance.now(), idx = [];
  for (let i = 0; i < n; i++) { if (eligible[i] && !isNaN(score[i])) { idx.push(i); } }
  idx.sort((a, b) => (score[b] - score[a]) || (a - b));
  const rank = performance.now() - t2;
  return { read_all_s: read / 1000, sum_s: sum / 1000, rank_s: rank / 1000 };
}"""


def _hover(pg: Any, x: float, y: float, pid: str) -> float:
    """Seconds from the mouse moving onto a parcel (of a chunk read once) to its tooltip."""
    pg.evaluate("() => window.landplan.open.remove()")
    pg.locator(".landplan-tiles-legend").hover()  # off the map: no tooltip
    pg.wait_for_function("() => !document.querySelector('.landplan-tooltip')")
    t = time.perf_counter()
    pg.mouse.move(x, y)
    pg.wait_for_function(
        "(pid) => { const t = document.querySelector('.landplan-tooltip'); return t && t.innerText.includes(pid); }",
        arg=pid,
        polling=10,
    )
    return time.perf_counter() - t


def run_size(n: int) -> dict[str, Any]:
    """Write and open one map (call in a fresh process)."""
    from map_size import WEIGHTS, scored

    from landplan.outputs.webmap import save_tiled_map
    from landplan.outputs.webmap.client import ClientText

    ranked = scored(n)
    best = ranked["rank"].dropna().sort_values().index[:20]
    data_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory(prefix="landplan-large-map-") as tmp:
        page = Path(tmp) / "map.html"
        w0, c0 = time.perf_counter(), time.process_time()
        save_tiled_map(ranked, page, criteria=list(WEIGHTS), weights=WEIGHTS, best=best, text=ClientText())
        row: dict[str, Any] = {"n": n, "write_s": time.perf_counter() - w0, "write_cpu_s": time.process_time() - c0}
        row["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        row["data_rss_mb"] = data_rss
        row.update(folder_sizes(page))
        row["files"] = sum(1 for f in page.parent.rglob("*") if f.is_file())
        row.update(browser_times(page))
    row["load_avg"] = os.getloadavg()[0]
    return row


def main() -> None:
    """Run every size in a subprocess and print one table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_size(args.one)))
        return
    rows = []
    for n in args.sizes:
        done = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    head = (
        f"{'parcels':>10} {'write s':>8} {'cpu s':>7} {'data MB':>7} {'RSS MB':>7} {'total MB':>9} "
        f"{'tiles':>6} {'cards':>6} "
        f"{'overv.':>6} {'render.':>7} {'files':>6} {'load s':>7} {'click s':>7} {'hover s':>7} {'search s':>8} "
        f"{'all chunks s':>12} {'sum s':>6} {'rank s':>6} {'1st move s':>10} {'move s':>6} {'loadavg':>7}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['n']:>10,} {r['write_s']:>8.1f} {r['write_cpu_s']:>7.1f} {r['data_rss_mb']:>7.0f} {r['rss_mb']:>7.0f} "
            f"{r['total']:>9.1f} "
            f"{r['tiles']:>6.1f} {r['cards']:>6.1f} {r['overview']:>6.1f} {r['renderer']:>7.1f} {r['files']:>6} "
            f"{r['load_s']:>7.2f} {r['click_s']:>7.2f} {r['hover_s']:>7.2f} {r['search_s']:>8.2f} "
            f"{r['read_all_s']:>12.2f} {r['sum_s']:>6.3f} {r['rank_s']:>6.3f} "
            f"{r['first_move_s']:>10.2f} {r['next_move_s']:>6.2f} {r['load_avg']:>7.1f}"
        )
    print("targets: 1,000,000 parcels <= 150 MB, first render <= 10 s in headless chromium")


if __name__ == "__main__":
    main()
