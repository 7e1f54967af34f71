"""OpenStreetMap readers side by side on one synthetic Hanoi-size extract (issues 11 and 13).

    .venv/bin/python benchmarks/osm_readers.py              # 400 x 400 grid: 363k nodes, 124k ways, 2k relations
    .venv/bin/python benchmarks/osm_readers.py --grid 800   # 1.45M nodes, 496k ways, 8k relations

The extract is written as OSM XML by this script (a jittered street grid with names, tagged POI
nodes, closed amenity/building ways, multipolygon relations with holes); when pyosmium is
installed it is also written as .osm.pbf and the peers run on it. Each reader and task runs in a
fresh subprocess; the table gives wall seconds, peak RSS (MB, whole process, imports included),
the feature counts and the total polygon area (m2, UTM 48N), which must agree between readers.

Tasks: ``roads`` = every highway way as a line with the road columns; ``facilities`` =
amenity in (school, kindergarten, clinic, marketplace) or landuse=industrial, as points and
(multi)polygons. landplan's reader (``landplan.io.osm.read_osm``, GDAL's OSM driver through
pyogrio) always runs; pyosmium (``osmium``), pyrosm and quackosm run when importable.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

AMENITIES = ["school", "kindergarten", "clinic", "marketplace"]
ROADS = ["highway", "oneway", "motorcycle", "motor_vehicle", "access", "foot", "maxspeed", "name", "bridge", "tunnel"]


def write_extract(path: Path, n: int) -> dict[str, int]:
    """A synthetic extract on an n x n jittered street grid near Hanoi, as OSM XML."""
    rng = np.random.default_rng(7)
    x0, y0, d = 105.70, 20.90, 0.0005
    nodes: list[str] = []
    ways: list[str] = []
    rels: list[str] = []

    def tag(k: str, v: str) -> str:
        return f'<tag k="{k}" v="{v}"/>'

    def node(x: float, y: float, tags: dict[str, str] | None = None) -> int:
        nid = len(nodes) + 1
        jx, jy = rng.uniform(-0.05, 0.05, 2)
        lon, lat = x0 + (x + jx) * d, y0 + (y + jy) * d
        body = "".join(tag(k, v) for k, v in (tags or {}).items())
        nodes.append(f'<node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}">{body}</node>')
        return nid

    def way(refs: list[int], tags: dict[str, str]) -> int:
        wid = len(ways) + 1
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        ways.append(f'<way id="{wid}">{nds}{"".join(tag(k, v) for k, v in tags.items())}</way>')
        return wid

    def square(x: float, y: float, s: float) -> list[int]:
        a, b, c, e = node(x, y), node(x + s, y), node(x + s, y + s), node(x, y + s)
        return [a, b, c, e, a]

    kinds = [*AMENITIES, "hospital", "cafe", "restaurant", "bank"]
    classes = ["primary", "secondary", "tertiary", "residential", "residential", "service", "motorway", "footway"]
    grid = [[node(i, j) for i in range(n)] for j in range(n)]
    for j in range(0, n, 2):
        for i in range(0, n, 3):
            node(i + 0.3, j + 0.3, {"amenity": kinds[(i * 7 + j) % 8], "name": f"Điểm {i}-{j}"})
    squares = [square(i + 0.1, j + 0.6, 0.2) for j in range(0, n, 2) for i in range(0, n, 2)]
    holes = [
        (square(i + 0.5, j + 0.5, 0.45), square(i + 0.6, j + 0.6, 0.1))
        for j in range(1, n - 2, 9)
        for i in range(1, n - 2, 9)
    ]
    k = 0
    for j in range(n):
        for i0 in range(0, n - 1, 4):
            k += 1
            t = {"highway": classes[k % 8], "name": f"Phố {j}-{i0}"}
            t |= {"oneway": "yes"} if k % 5 == 0 else {}
            t |= {"bridge": "yes", "layer": "1"} if k % 11 == 0 else {}
            way(grid[j][i0 : i0 + 5], t)
    for i in range(n):
        for j0 in range(0, n - 1, 4):
            k += 1
            way([grid[j][i] for j in range(j0, min(j0 + 5, n))], {"highway": classes[k % 8]})
    for m, refs in enumerate(squares):
        way(refs, {"building": "yes"} if m % 3 else {"amenity": kinds[m % 8], "building": "yes", "name": f"Toà {m}"})
    for r, (outer, inner) in enumerate(holes):
        o, i = way(outer, {}), way(inner, {})
        members = f'<member type="way" ref="{o}" role="outer"/><member type="way" ref="{i}" role="inner"/>'
        use = "industrial" if r % 2 else "residential"
        tags = tag("type", "multipolygon") + tag("landuse", use) + tag("name", f"KCN {r}")
        rels.append(f'<relation id="{r + 1}">{members}{tags}</relation>')
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="landplan benchmark">\n')
        for block in (nodes, ways, rels):
            f.write("\n".join(block) + "\n")
        f.write("</osm>\n")
    return {"nodes": len(nodes), "ways": len(ways), "relations": len(rels)}


def to_pbf(xml: Path, pbf: Path) -> bool:
    """The extract as .osm.pbf, written by pyosmium (False when it is not installed)."""
    try:
        import osmium
    except ImportError:
        return False
    writer = osmium.SimpleWriter(osmium.io.File(str(pbf), "pbf,add_metadata=false"), overwrite=True)
    for obj in osmium.FileProcessor(str(xml)):
        writer.add(obj)
    writer.close()
    return True


#: one reader and one task; prints "seconds rss_mb points lines polygons area_m2"
CHILD = textwrap.dedent(
    """
    import resource, sys, tempfile, time
    lib, task, path = sys.argv[1:4]
    AMEN = {amen!r}
    ROADS = {roads!r}
    t0 = time.perf_counter()
    pts = lines = polys = None
    if lib == "landplan (GDAL OSM driver)":
        from landplan.io.osm import read_osm
        if task == "roads":
            df = read_osm(path, tags={{"highway": True}})
        else:
            df = read_osm(path, tags={{"amenity": AMEN, "landuse": ["industrial"]}})
    elif lib == "pyosmium":
        import osmium, shapely, numpy as np, geopandas as gpd
        if task == "roads":
            fp = (osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY).with_locations()
                  .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)).with_filter(osmium.filter.KeyFilter("highway")))
            coords, offs, rows = [], [0], []
            for w in fp:
                coords += [(n.lon, n.lat) for n in w.nodes]
                offs.append(len(coords))
                rows.append([w.id] + [w.tags.get(k) for k in ROADS])
            idx = np.repeat(np.arange(len(rows)), np.diff(offs))
            df = gpd.GeoDataFrame(geometry=shapely.linestrings(np.array(coords), indices=idx), crs=4326)
        else:
            filt = osmium.filter.TagFilter(*[("amenity", a) for a in AMEN], ("landuse", "industrial"))
            fp = osmium.FileProcessor(path).with_areas(filt).with_filter(filt)
            f = osmium.geom.WKBFactory()
            wkb = [f.create_point(o) if o.is_node() else f.create_multipolygon(o)
                   for o in fp if o.is_node() or o.is_area()]
            df = gpd.GeoDataFrame(geometry=shapely.from_wkb(wkb), crs=4326)
    elif lib == "pyrosm":
        import pyrosm
        osm = pyrosm.OSM(path)
        if task == "roads":
            df = osm.get_data_by_custom_criteria(custom_filter={{"highway": True}}, filter_type="keep",
                                                 keep_nodes=False, keep_relations=False)
        else:
            df = osm.get_data_by_custom_criteria(custom_filter={{"amenity": AMEN, "landuse": ["industrial"]}},
                                                 filter_type="keep")
    elif lib == "quackosm":
        import quackosm
        tags = {{"highway": True}} if task == "roads" else {{"amenity": AMEN, "landuse": "industrial"}}
        df = quackosm.convert_pbf_to_geodataframe(path, tags_filter=tags, working_directory=tempfile.mkdtemp(),
                                                  verbosity_mode="silent")
    seconds = time.perf_counter() - t0
    kind = df.geom_type
    poly = df[kind.isin(["Polygon", "MultiPolygon"])]
    area = float(poly.to_crs(32648).area.sum()) if len(poly) else 0.0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_pts = int(kind.isin(["Point"]).sum())
    n_lines = int(kind.isin(["LineString", "MultiLineString"]).sum())
    print(f"{{seconds:.2f}} {{rss:.0f}} {{n_pts}} {{n_lines}} {{len(poly)}} {{area:.0f}}")
    """
).format(amen=AMENITIES, roads=ROADS)


def run(lib: str, task: str, path: Path) -> str:
    """One measurement in a fresh process (a failure is reported as its last line)."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, lib, task, str(path)], capture_output=True, text=True, check=False, timeout=900
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return f"failed: {last[:90]}"
    secs, rss, pts, lines, polys, area = proc.stdout.split()
    return f"{secs:>7} s {rss:>6} MB  points {pts:>6}  lines {lines:>7}  polygons {polys:>6}  area {int(area):>11,} m2"


def _importable(name: str) -> bool:
    proc = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, check=False)
    return proc.returncode == 0


def main() -> None:
    """Write the extract, run every available reader on it, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=400, help="street grid size n (n x n nodes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="landplan-osm-bench-") as tmp:
        xml, pbf = Path(tmp) / "synthetic.osm", Path(tmp) / "synthetic.osm.pbf"
        counts = write_extract(xml, args.grid)
        has_pbf = to_pbf(xml, pbf)
        sizes = f"XML {xml.stat().st_size / 1e6:.1f} MB" + (
            f", PBF {pbf.stat().st_size / 1e6:.1f} MB" if has_pbf else ""
        )
        print(
            f"extract: {counts['nodes']:,} nodes, {counts['ways']:,} ways, {counts['relations']:,} relations ({sizes})"
        )
        readers = [("landplan (GDAL OSM driver)", "pyogrio")] + [
            (lib, mod) for lib, mod in (("pyosmium", "osmium"), ("pyrosm", "pyrosm"), ("quackosm", "quackosm"))
        ]
        for lib, module in readers:
            if not _importable(module):
                print(f"{lib:27s} not installed (pip install {module} to compare)")
                continue
            formats = [("pbf", pbf)] if has_pbf else []
            if lib in {"landplan (GDAL OSM driver)", "pyosmium"}:
                formats.append(("xml", xml))  # pyrosm and quackosm read PBF only
            for fmt, path in formats:
                for task in ("roads", "facilities"):
                    print(f"{lib:27s} {fmt:3s} {task:10s} {run(lib, task, path)}", flush=True)


if __name__ == "__main__":
    main()
