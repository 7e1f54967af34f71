"""Generate the ILLUSTRATIVE Hanoi demo dataset bundled in ``data/shapefiles/``.

What is real and what is not (see ``data/shapefiles/README.md``):

- **real public facts**: the names, districts, status and areas (ha) of Hanoi's industrial
  zones, their approximate locations (+- ~2-3 km), and two worker counts;
- **derived**: zone footprints are discs (64-gons) with the zone's area around its point;
- **estimated**: workers where no count is public = area_ha x 110 workers/ha (flagged per zone in
  ``wrk_est`` = 1 and ``wrk_src``; the demo scenario names ``wrk_est`` as ``workers_estimated_field``);
- **synthetic**: parcels, facilities, bus stops, existing-housing split, the water bodies and the
  two rasters; the main roads roughly follow real corridors through a few approximate waypoints;
  hazard classes are illustrative.

Method. Everything is built in UTM 48N (EPSG:32648) from one seeded ``numpy`` generator:

1. zones: a 64-gon (``quad_segs=16``) per zone whose radius is chosen so that the polygon has
   exactly ``area_ha``; the script stops if two footprints would overlap;
2. water: the Red River (800 m) and Đuống (400 m) as buffered polylines, lakes as discs;
3. parcels: around every operating zone, cells of a 250 m block grid 1.5-9 km from its centre
   are sampled (420 per zone, the union of all clusters is kept); each cell holds one rectangle of
   60-240 m sides placed at random inside it (8 % are smaller squares rotated by up to 15 degrees,
   still inside the cell), so parcels never overlap each other; those touching a zone footprint or
   water are dropped. Land use is drawn from fixed shares and the price falls with distance from
   Hoàn Kiếm (lognormal noise). Ids run north to south, then west to east;
4. facilities: "village centres" are drawn among the parcels with gamma-distributed weights, and
   each kind gets one facility per N parcels, scattered (sd 350 m) around weighted village
   centres, so some parcels are well served and others are not; names use real commune names of
   the nearest zone;
5. roads through approximate waypoints, bus stops every 400-700 m along them;
5b. a road network (``roads``) for travel along the roads: a jittered ~1 km street grid over the
   study area (residential, every fourth line tertiary), the main corridors (trunk/primary), both
   cut wherever they meet water, and bridges over the Red River and the Đuống at the real
   crossings (approximate coordinates, placed across the demo river where it passes them), joined
   to the nearest bank street. Every line is noded at its crossings, so lines share their
   junction vertices (at-grade junctions); bridges touch the banks only at their ends. It draws
   from its own seeded generator, so the other layers are unchanged;
6. rasters (flood depth, slope) from smoothed seeded noise (needs scipy and rasterio).

Outputs are written as UTF-8 shapefiles (``.cpg``) in EPSG:4326 with coordinates snapped to
1e-7 degrees and a fixed DBF date, so two runs with the same seed give byte-identical files.
The script reads no input files.

Usage::

    python scripts/make_demo_data.py [--out data/shapefiles] [--seed 20261124]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

WORK_CRS = "EPSG:32648"
DBF_DATE = "2026-11-24"  # fixed DBF header date: byte-identical output
WORKERS_PER_HA = 110  # illustrative density for zones without a public worker count
CITY_CENTRE = (105.854, 21.028)  # Hoàn Kiếm lake, lon/lat

PORTAL = "iipvietnam.vn (national industrial-investment portal), Hanoi KCN listing 2025"
# name, district, status, area_ha, area source, lat, lon, workers (None = estimate), workers source, hazard
ZONES = [
    (
        "KCN Thăng Long",
        "Đông Anh",
        "operating",
        274.0,
        PORTAL,
        21.13,
        105.77,
        60000,
        "public: ~60,000 workers (2017), Sumitomo Corp. release 20170223",
        "III",
    ),
    ("KCN Nội Bài", "Sóc Sơn", "operating", 115.0, PORTAL, 21.23, 105.84, None, "", "III"),
    ("KCN Bắc Thăng Long", "Đông Anh", "operating", 300.0, "estimated (not retrieved)", 21.14, 105.80, None, "", "III"),
    ("KCN Quang Minh", "Mê Linh", "operating", 344.0, PORTAL, 21.19, 105.76, None, "", "II"),
    ("KCN Sài Đồng B", "Long Biên", "operating", 97.11, PORTAL, 21.03, 105.91, None, "", "IV"),
    (
        "KCN Nam Thăng Long",
        "Bắc Từ Liêm",
        "operating",
        30.0,
        "estimated (not retrieved)",
        21.09,
        105.77,
        None,
        "",
        "IV",
    ),
    ("KCN Hà Nội–Đài Tư", "Long Biên", "operating", 40.0, PORTAL, 21.04, 105.90, None, "", "IV"),
    ("KCN Phú Nghĩa", "Chương Mỹ", "operating", 170.0, PORTAL, 20.94, 105.67, None, "", "III"),
    ("KCN Thạch Thất–Quốc Oai", "Thạch Thất", "operating", 155.0, PORTAL, 21.01, 105.62, None, "", "III"),
    (
        "Khu CNC Hòa Lạc",
        "Thạch Thất",
        "operating",
        1586.0,
        "master plan, oananews.org/node/17379",
        21.01,
        105.52,
        14500,
        "public: ~14,500 skilled workers (2024), SGGP",
        "IV",
    ),
    (
        "KCN hỗ trợ Nam Hà Nội",
        "Phú Xuyên",
        "under construction",
        488.0,
        "planned, hanoitimes.vn",
        20.68,
        105.92,
        0,
        "not operating (under construction)",
        "III",
    ),
]

# existing worker housing (lat, lon approximate): 4 projects with 22,420 design places, 8,388 completed
# (vietdata.vn); the split of completed places between projects is ILLUSTRATIVE. Units = places / 3.
EXISTING_HOUSING = [
    ("Nhà ở công nhân Kim Chung", 21.125, 105.78, 3000),
    ("Nhà ở công nhân Phú Nghĩa", 20.935, 105.66, 2400),
    ("Nhà ở công nhân Meiko", 21.02, 105.635, 1788),
    ("Nhà ở công nhân Young Fast", 21.005, 105.61, 1200),
]
PERSONS_PER_UNIT = 3

# approximate corridors (lat, lon waypoints); ILLUSTRATIVE
ROADS = [
    (
        "QL3 (Hà Nội – Sóc Sơn)",
        "national",
        [(21.05, 105.86), (21.10, 105.85), (21.16, 105.84), (21.23, 105.85), (21.28, 105.84)],
    ),
    ("Võ Văn Kiệt – Nội Bài", "national", [(21.07, 105.81), (21.12, 105.80), (21.17, 105.80), (21.21, 105.80)]),
    ("Đường Mê Linh", "provincial", [(21.12, 105.80), (21.16, 105.77), (21.19, 105.74), (21.22, 105.70)]),
    ("QL32 (Hà Nội – Sơn Tây)", "national", [(21.04, 105.78), (21.06, 105.72), (21.09, 105.64), (21.13, 105.52)]),
    (
        "Đại lộ Thăng Long",
        "national",
        [(21.00, 105.80), (21.00, 105.72), (21.01, 105.63), (21.01, 105.53), (21.00, 105.48)],
    ),
    ("QL6 (Hà Đông – Chương Mỹ)", "national", [(20.97, 105.78), (20.95, 105.72), (20.93, 105.67), (20.90, 105.60)]),
    ("QL1A (Pháp Vân – Phú Xuyên)", "national", [(20.96, 105.84), (20.88, 105.86), (20.78, 105.89), (20.68, 105.91)]),
    ("QL5 (Long Biên – Sài Đồng)", "national", [(21.04, 105.87), (21.03, 105.91), (21.01, 105.96), (20.99, 106.02)]),
    (
        "Vành đai 3",
        "ring",
        [
            (21.12, 105.79),
            (21.07, 105.78),
            (21.00, 105.79),
            (20.97, 105.83),
            (20.99, 105.89),
            (21.05, 105.92),
            (21.12, 105.89),
            (21.14, 105.82),
        ],
    ),
]

# river crossings (name, river, lat, lon, highway, extra OSM-style tags); APPROXIMATE coordinates
# of the real bridges. Thanh Trì is part of the Ring Road 3 expressway (no motorbikes); Long Biên
# carries motorbikes, bicycles and pedestrians only (no cars).
BRIDGES = [
    ("Cầu Thăng Long", "Sông Hồng", 21.100, 105.785, "trunk", {}),
    ("Cầu Nhật Tân", "Sông Hồng", 21.085, 105.818, "trunk", {}),
    ("Cầu Long Biên", "Sông Hồng", 21.043, 105.859, "primary", {"motorcar": "no"}),
    ("Cầu Chương Dương", "Sông Hồng", 21.036, 105.862, "primary", {}),
    ("Cầu Vĩnh Tuy", "Sông Hồng", 20.999, 105.880, "trunk", {}),
    ("Cầu Thanh Trì", "Sông Hồng", 20.985, 105.898, "motorway", {}),
    ("Cầu Đuống", "Sông Đuống", 21.081, 105.906, "primary", {}),
    ("Cầu Phù Đổng", "Sông Đuống", 21.072, 105.955, "trunk", {}),
]
STREET_SPACING_M = 1000.0
ROAD_CLASS = {"national": "trunk", "provincial": "primary", "ring": "trunk"}

# water bodies (lat, lon), half-widths in metres; ILLUSTRATIVE
RIVERS = [
    (
        "Sông Hồng",
        400.0,
        [
            (21.17, 105.62),
            (21.13, 105.70),
            (21.09, 105.76),
            (21.07, 105.80),
            (21.05, 105.84),
            (21.03, 105.86),
            (20.99, 105.88),
            (20.95, 105.89),
            (20.85, 105.93),
            (20.75, 105.95),
            (20.68, 105.97),
        ],
    ),
    ("Sông Đuống", 200.0, [(21.08, 105.88), (21.09, 105.93), (21.08, 105.98), (21.07, 106.03)]),
]
LAKES = [
    ("Hồ Tây", 21.055, 105.818, 1100.0),
    ("Hồ Đồng Mô", 21.06, 105.47, 1400.0),
    ("Hồ Quan Sơn", 20.65, 105.73, 900.0),
    ("Đầm Vân Trì", 21.155, 105.79, 450.0),
    ("Hồ Kim Chung", 21.115, 105.765, 250.0),
]

# real communes/wards (pre-2025) near each operating zone, used to name synthetic facilities
COMMUNES = {
    "IZ01": ["xã Kim Chung", "xã Hải Bối", "xã Võng La", "xã Đại Mạch"],
    "IZ02": ["xã Quang Tiến", "xã Mai Đình", "xã Phù Lỗ", "xã Phú Minh"],
    "IZ03": ["xã Vân Nội", "xã Tiên Dương", "xã Nam Hồng", "xã Uy Nỗ"],
    "IZ04": ["thị trấn Quang Minh", "thị trấn Chi Đông", "xã Tiền Phong", "xã Thạch Đà", "xã Tráng Việt"],
    "IZ05": ["phường Sài Đồng", "phường Thạch Bàn", "phường Việt Hưng", "phường Phúc Đồng"],
    "IZ06": ["phường Thụy Phương", "phường Thượng Cát", "phường Đông Ngạc", "phường Liên Mạc"],
    "IZ07": ["phường Phúc Lợi", "phường Giang Biên", "phường Cự Khối"],
    "IZ08": ["xã Phú Nghĩa", "xã Trường Yên", "xã Đông Phương Yên", "xã Ngọc Hòa"],
    "IZ09": ["xã Phùng Xá", "xã Bình Phú", "xã Thạch Xá", "xã Ngọc Mỹ"],
    "IZ10": ["xã Thạch Hòa", "xã Tân Xã", "xã Hạ Bằng", "xã Bình Yên", "xã Đông Xuân"],
}
FACILITY_KINDS = {  # kind: (parcels per facility, name template; {u} = commune unit, {c} = commune name)
    "kindergarten": (40, "Trường Mầm non {c}"),
    "primary_school": (60, "Trường Tiểu học {c}"),
    "secondary_school": (100, "Trường THCS {c}"),
    "health_station": (80, "Trạm Y tế {u} {c}"),
    "market": (70, "Chợ {c}"),
}
HOSPITAL_NAME = "Bệnh viện Đa khoa {c}"
N_HOSPITALS = 8
LANDUSE = (["agricultural", "vacant", "residential", "rice_protected", "public"], [0.45, 0.20, 0.15, 0.12, 0.08])
NOTES = ["Đất công ích xã", "Đất nông nghiệp xen kẹt", "Gần đường liên xã", "Đất bãi ven sông", "Khu tái định cư cũ"]


def to_utm(lat: np.ndarray | float, lon: np.ndarray | float) -> np.ndarray:
    """Project lat/lon to UTM 48N; returns an (n, 2) array of x, y."""
    pts = gpd.GeoSeries(gpd.points_from_xy(np.atleast_1d(lon), np.atleast_1d(lat)), crs=4326).to_crs(WORK_CRS)
    return shapely.get_coordinates(np.asarray(pts.array))


def line_utm(waypoints: list[tuple[float, float]]) -> shapely.LineString:
    """A polyline through (lat, lon) waypoints, in UTM."""
    lat, lon = np.array(waypoints).T
    return shapely.LineString(to_utm(lat, lon))


def zone_layer() -> gpd.GeoDataFrame:
    """The industrial zones with exact-area disc footprints.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per entry of ``ZONES`` (``IZ01``...), in UTM 48N.

    Raises
    ------
    ValueError
        If two footprints overlap. They do not with the points above: the closest pair, Sài Đồng B
        and Hà Nội–Đài Tư, are about 1.5 km apart for radii of 0.56 km and 0.36 km, so no centre
        had to be nudged.
    """
    rows = []
    for i, (name, district, status, area, area_src, lat, lon, public_workers, public_src, hazard) in enumerate(
        ZONES, start=1
    ):
        workers, wrk_src = public_workers, public_src
        if workers is None:
            workers, wrk_src = (
                round(area * WORKERS_PER_HA),
                f"estimated: area_ha x {WORKERS_PER_HA} workers/ha (illustrative)",
            )
        rows.append(
            {
                "zone_id": f"IZ{i:02d}",
                "name": name,
                "district": district,
                "status": status,
                "area_ha": area,
                "area_src": area_src,
                "workers": int(workers),
                "wrk_src": wrk_src,
                "wrk_est": int(
                    public_workers is None
                ),  # 1: the count is an estimate (scenario: workers_estimated_field)
                "hazard": hazard,
                "geom_src": "derived: disc of area_ha around approximate public location",
                "lat": lat,
                "lon": lon,
            }
        )
    df = pd.DataFrame(rows)
    centres = shapely.points(to_utm(df["lat"].to_numpy(), df["lon"].to_numpy()))
    n = 64  # a 64-gon with exactly the zone's area
    radius = np.sqrt(df["area_ha"].to_numpy() * 10_000 / (n / 2 * math.sin(2 * math.pi / n)))
    discs = shapely.buffer(centres, radius, quad_segs=n // 4)
    left, right = shapely.STRtree(discs).query(discs, predicate="intersects")
    if (clash := left < right).any():
        pairs = [f"{df['name'][a]} / {df['name'][b]}" for a, b in zip(left[clash], right[clash], strict=True)]
        msg = f"zone footprints overlap, move a centre: {pairs}"
        raise ValueError(msg)
    return gpd.GeoDataFrame(df.drop(columns=["lat", "lon"]), geometry=discs, crs=WORK_CRS)


# Zones of the 2030 plan (phased demo, industrial_zones_2030): opening years, and two announced zones.
# (sources in data/shapefiles/README.md; DBF text fields hold at most 254 bytes)
OPEN_YEARS = {"IZ11": (2025, "announced: phase 1 (76.92 ha) listed as operating in Dec 2025; later stages not dated")}
ASSUMED_2030 = "assumed: no opening year announced; approved for 2021-2025, zoning plan due by 2025"
# name, district, area_ha, lat, lon (portal points), workers (None = estimate), workers source, hazard
PLANNED_ZONES = [
    ("KCN Đông Anh", "Đông Anh", 299.45, 21.1796, 105.8718, None, "", "III"),
    (
        "KCN Phụng Hiệp",
        "Thường Tín",
        174.88,
        20.8061,
        105.8761,
        8000,
        "announced: about 8,000 workers expected (Hanoi Times, zoning task)",
        "III",
    ),
]


def zone_layer_2030(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The demo zones plus two announced zones, each with an opening year and where it comes from.

    Operating zones have no year (they need housing now); the announced zones get 2030, which is
    **assumed**: the city approved them for 2021-2025 and their zoning plans were due by 2025, but no
    opening year was announced.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        :func:`zone_layer`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zones`` with ``open_year`` and ``year_src``, then ``IZ12``, ``IZ13`` (disc footprints).
    """
    out = zones.copy()
    out["open_year"] = [OPEN_YEARS.get(z, (None, ""))[0] for z in out["zone_id"]]
    out["year_src"] = [OPEN_YEARS.get(z, (None, "operating: no year, housing needed now"))[1] for z in out["zone_id"]]
    rows = []
    for i, (name, district, area, lat, lon, public, public_src, hazard) in enumerate(PLANNED_ZONES, start=len(out) + 1):
        workers, wrk_src = public, public_src
        if workers is None:
            workers, wrk_src = round(area * WORKERS_PER_HA), f"estimated: area_ha x {WORKERS_PER_HA} workers/ha"
        x, y = to_utm(lat, lon)[0]
        radius = math.sqrt(area * 10_000 / (32 * math.sin(2 * math.pi / 64)))
        rows.append(
            {
                "zone_id": f"IZ{i:02d}",
                "name": name,
                "district": district,
                "status": "planned",
                "area_ha": area,
                "area_src": PORTAL,
                "workers": int(workers),
                "wrk_src": wrk_src,
                "hazard": hazard,
                "geom_src": "derived: disc of area_ha around the portal's point",
                "open_year": 2030,
                "year_src": ASSUMED_2030,
                "geometry": shapely.buffer(shapely.Point(x, y), radius, quad_segs=16),
            }
        )
    planned = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)
    combined = pd.concat([out, planned], ignore_index=True)
    combined["open_year"] = combined["open_year"].astype("Int64")
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=WORK_CRS)


def water_layer() -> gpd.GeoDataFrame:
    """Rivers as buffered corridors and lakes as discs."""
    names, kinds, geoms = [], [], []
    for name, half_width, pts in RIVERS:
        names.append(name)
        kinds.append("river")
        geoms.append(shapely.buffer(line_utm(pts), half_width, quad_segs=8))
    for name, lat, lon, r in LAKES:
        names.append(name)
        kinds.append("lake")
        geoms.append(shapely.buffer(shapely.Point(to_utm(lat, lon)[0]), r, quad_segs=16))
    return gpd.GeoDataFrame({"name": names, "kind": kinds}, geometry=geoms, crs=WORK_CRS)


def parcel_layer(rng: np.random.Generator, zones: gpd.GeoDataFrame, water: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Synthetic parcels on a jittered 250 m block grid, 1.5-9 km around operating zones.

    Parameters
    ----------
    rng : numpy.random.Generator
        The seeded generator shared by all layers.
    zones, water : geopandas.GeoDataFrame
        Layers in UTM 48N; parcels touching either are dropped.

    Returns
    -------
    geopandas.GeoDataFrame
        ``parcel_id``, ``district``, ``landuse``, ``price_mvnd``, ``synthetic``, ``note`` in UTM 48N.
        The 1.5 km minimum holds for a parcel's own cluster only: clusters of nearby zones overlap,
        so some parcels lie closer to a neighbouring zone (which exercises the isolation constraint).
    """
    cell = 250.0
    operating = zones[zones["status"] == "operating"]
    centres = shapely.get_coordinates(operating.geometry.centroid.to_numpy())
    keys: set[tuple[int, int]] = set()
    for cx, cy in centres:  # loop over ~10 zones
        gx, gy = np.meshgrid(np.arange(-36, 37), np.arange(-36, 37))
        d = np.hypot(gx * cell, gy * cell)
        ok = (d >= 1500) & (d <= 9000)
        cand = np.column_stack([gx[ok], gy[ok]]) + np.round(np.array([cx, cy]) / cell).astype(int)
        pick = rng.choice(len(cand), size=min(420, len(cand)), replace=False)
        keys.update(map(tuple, cand[np.sort(pick)].tolist()))
    ij = np.array(sorted(keys), dtype=float)
    n = len(ij)
    w = rng.uniform(60, 240, n)
    h = rng.uniform(60, 240, n)
    x0 = ij[:, 0] * cell + rng.uniform(0, 1, n) * (cell - w)
    y0 = ij[:, 1] * cell + rng.uniform(0, 1, n) * (cell - h)
    geoms = shapely.box(x0, y0, x0 + w, y0 + h)
    # a few slightly rotated parcels, kept inside their cell (shrunk first)
    rot = rng.uniform(0, 1, n) < 0.08
    angle = rng.uniform(-15, 15, n)
    small = shapely.box(ij[:, 0] * cell + 50, ij[:, 1] * cell + 50, ij[:, 0] * cell + 200, ij[:, 1] * cell + 200)
    rotated = [shapely.affinity.rotate(g, a, origin="centroid") for g, a in zip(small[rot], angle[rot], strict=True)]
    geoms[rot] = rotated
    blockers = np.concatenate([zones.geometry.to_numpy(), water.geometry.to_numpy()])
    hit, _ = shapely.STRtree(blockers).query(geoms, predicate="intersects")
    keep = np.ones(n, dtype=bool)
    keep[hit] = False
    geoms = geoms[keep]
    n = len(geoms)

    pts = shapely.centroid(geoms)
    nearest = shapely.STRtree(operating.geometry.to_numpy()).query_nearest(pts, all_matches=False)[1]
    district = operating["district"].to_numpy()[nearest]
    landuse = rng.choice(LANDUSE[0], size=n, p=LANDUSE[1])
    centre = to_utm(CITY_CENTRE[1], CITY_CENTRE[0])[0]
    dist_km = np.hypot(*(shapely.get_coordinates(pts) - centre).T) / 1000
    price = np.clip(5 + 55 * np.exp(-dist_km / 10) * rng.lognormal(0, 0.25, n), 5, 60).round(2)
    note = np.full(n, "", dtype=object)
    with_note = rng.choice(n, size=5, replace=False)
    note[with_note] = NOTES
    order = np.lexsort((shapely.get_coordinates(pts)[:, 0], -shapely.get_coordinates(pts)[:, 1]))
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i:05d}" for i in range(1, n + 1)],
            "district": district[order],
            "landuse": landuse[order],
            "price_mvnd": price[order],
            "synthetic": np.ones(n, dtype="int32"),
            "note": note[order],
        },
        geometry=geoms[order],
        crs=WORK_CRS,
    )


def village_communes(villages: np.ndarray, zones: gpd.GeoDataFrame) -> list[str]:
    """Give each village centre a real commune name from the list of its nearest operating zone.

    Parameters
    ----------
    villages : numpy.ndarray
        (n, 2) village-centre coordinates in UTM 48N.
    zones : geopandas.GeoDataFrame
        The zone layer (UTM 48N), with ``zone_id`` and ``status``.

    Returns
    -------
    list of str
        One commune ("xã Kim Chung", "phường Sài Đồng", ...) per village; the villages of one zone
        cycle through that zone's communes in order, so the naming needs no random draws.
    """
    operating = zones[zones["status"] == "operating"]
    near = shapely.STRtree(operating.geometry.to_numpy()).query_nearest(shapely.points(villages), all_matches=False)[1]
    zone_ids = operating["zone_id"].to_numpy()[near]
    rank = pd.Series(zone_ids).groupby(zone_ids).cumcount().to_numpy()
    return [COMMUNES[z][k % len(COMMUNES[z])] for z, k in zip(zone_ids, rank, strict=True)]


def split_commune(commune: str) -> tuple[str, str]:
    """Split "thị trấn Quang Minh" into ("thị trấn", "Quang Minh") and "xã Kim Chung" into ("xã", "Kim Chung")."""
    for unit in ("thị trấn", "phường", "xã"):
        if commune.startswith(unit + " "):
            return unit, commune.removeprefix(unit + " ")
    msg = f"commune {commune!r} does not start with a known unit"
    raise ValueError(msg)


def facility_layer(
    rng: np.random.Generator, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, water: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Synthetic facilities clustered around 'village centres' drawn among the parcels.

    Parameters
    ----------
    rng : numpy.random.Generator
        The seeded generator shared by all layers.
    parcels, zones, water : geopandas.GeoDataFrame
        Layers in UTM 48N; facilities falling in water are dropped.

    Returns
    -------
    geopandas.GeoDataFrame
        ``fac_id``, ``kind``, ``name`` and point geometry in UTM 48N. Names are "<kind> <commune>",
        numbered from the second facility of the same kind in the same commune ("Chợ Phú Nghĩa 2").
    """
    xy = shapely.get_coordinates(parcels.geometry.centroid.to_numpy())
    n_centres = max(len(parcels) // 25, 10)
    villages = xy[np.sort(rng.choice(len(xy), size=n_centres, replace=False))]
    weight = rng.gamma(0.8, 1.0, n_centres)  # uneven: some villages well served, some not
    weight /= weight.sum()
    kinds, templates, village_idx, points = [], [], [], []
    for kind, (per, template) in FACILITY_KINDS.items():
        count = len(parcels) // per
        at = rng.choice(n_centres, size=count, p=weight)
        points.append(villages[at] + rng.normal(0, 350, (count, 2)))
        kinds += [kind] * count
        templates += [template] * count
        village_idx.append(at)
    at = rng.choice(n_centres, size=N_HOSPITALS, replace=False)
    points.append(villages[at] + rng.normal(0, 200, (N_HOSPITALS, 2)))
    kinds += ["hospital"] * N_HOSPITALS
    templates += [HOSPITAL_NAME] * N_HOSPITALS
    village_idx.append(at)

    geoms = shapely.points(np.vstack(points))
    wet = np.zeros(len(geoms), dtype=bool)
    wet[shapely.STRtree(water.geometry.to_numpy()).query(geoms, predicate="within")[0]] = True
    communes = village_communes(villages, zones)
    names = []
    for template, v in zip(templates, np.concatenate(village_idx), strict=True):
        unit, commune = split_commune(communes[v])
        names.append(template.format(u=unit, c=commune))
    frame = pd.DataFrame({"kind": kinds, "name": names})[~wet].reset_index(drop=True)
    number = frame.groupby("name").cumcount() + 1
    frame["name"] = frame["name"].where(number == 1, frame["name"] + " " + number.astype(str))
    frame.insert(0, "fac_id", [f"F{i:04d}" for i in range(1, len(frame) + 1)])
    return gpd.GeoDataFrame(frame, geometry=geoms[~wet], crs=WORK_CRS)


def road_and_stop_layers(rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Main roads through approximate waypoints, and bus stops every ~400-700 m along them."""
    lines = [line_utm(pts) for _, _, pts in ROADS]
    roads = gpd.GeoDataFrame(
        {
            "road_id": [f"R{i:02d}" for i in range(1, len(ROADS) + 1)],
            "name": [r[0] for r in ROADS],
            "class": [r[1] for r in ROADS],
        },
        geometry=lines,
        crs=WORK_CRS,
    )
    stop_road, stop_pos = [], []
    for i, line in enumerate(lines):  # loop over 9 roads
        gaps = rng.uniform(400, 700, int(line.length // 400) + 1)
        pos = np.cumsum(gaps)
        pos = pos[pos < line.length]
        stop_road += [i] * len(pos)
        stop_pos.append(pos)
    road_idx = np.array(stop_road)
    pts = shapely.line_interpolate_point(np.array(lines, dtype=object)[road_idx], np.concatenate(stop_pos))
    xy = shapely.get_coordinates(pts) + rng.normal(0, 15, (len(pts), 2))
    stops = gpd.GeoDataFrame(
        {
            "stop_id": [f"B{i:04d}" for i in range(1, len(pts) + 1)],
            "name": [f"Điểm dừng {ROADS[r][0].split(' (')[0]} số {k + 1}" for k, r in enumerate(road_idx)],
        },
        geometry=shapely.points(xy),
        crs=WORK_CRS,
    )
    return roads, stops


def _street_grid(rng: np.random.Generator, bounds: np.ndarray) -> tuple[list[shapely.LineString], list[str]]:
    """A jittered street lattice over ``bounds``: one 2-point line per block side."""
    x0, y0, x1, y1 = bounds
    xs = np.arange(x0, x1 + STREET_SPACING_M, STREET_SPACING_M)
    ys = np.arange(y0, y1 + STREET_SPACING_M, STREET_SPACING_M)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx, gy], axis=-1) + rng.uniform(-150, 150, (len(ys), len(xs), 2))
    a = np.concatenate([pts[:, :-1].reshape(-1, 2), pts[:-1, :].reshape(-1, 2)])
    b = np.concatenate([pts[:, 1:].reshape(-1, 2), pts[1:, :].reshape(-1, 2)])
    row = np.concatenate([np.repeat(np.arange(len(ys)), len(xs) - 1), np.tile(np.arange(len(xs)), len(ys) - 1)])
    cls = np.where(row % 4 == 0, "tertiary", "residential")
    return list(shapely.linestrings(np.stack([a, b], axis=1))), list(cls)


def _bridges(water: gpd.GeoDataFrame, streets: np.ndarray) -> gpd.GeoDataFrame:
    """Each bridge across the demo river where it passes the real crossing, with approach links."""
    wet = water.geometry.union_all()
    ends = shapely.get_coordinates(streets)
    rows = []
    for name, river, lat, lon, highway, tags in BRIDGES:  # 8 bridges
        half = next(w for n, w, _ in RIVERS if n == river)
        centre = line_utm(next(p for n, _, p in RIVERS if n == river))
        at = centre.project(shapely.Point(to_utm(lat, lon)[0]))
        p0, p1 = (np.array(centre.interpolate(at + d).coords[0]) for d in (-50.0, 50.0))
        normal = np.array([-(p1 - p0)[1], (p1 - p0)[0]]) / np.hypot(*(p1 - p0))
        mid = (p0 + p1) / 2
        for_line = []
        for side in (-1.0, 1.0):
            end = mid + side * normal * (half + 200.0)
            order = np.argsort(np.hypot(*(ends - end).T), kind="stable")
            link = next(
                shapely.LineString([end, ends[k]])
                for k in order
                if not shapely.intersects(shapely.LineString([end, ends[k]]), wet)
            )
            for_line.append(link)
        deck = shapely.LineString([for_line[0].coords[0], for_line[1].coords[0]])
        line = shapely.LineString([for_line[0].coords[1], *deck.coords, for_line[1].coords[1]])
        rows.append({"name": name + " (approximate)", "highway": highway, "bridge": "yes", **tags, "geometry": line})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)


def road_network_layer(
    rng: np.random.Generator, parcels: gpd.GeoDataFrame, water: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The ILLUSTRATIVE road network: street grid, corridors, bridges; noded at every crossing."""
    bounds = np.array(parcels.total_bounds) + np.array([-3000.0, -3000.0, 3000.0, 3000.0])
    grid, grid_cls = _street_grid(rng, bounds)
    wet = water.geometry.union_all()
    streets = np.array(grid, dtype=object)
    dry = ~shapely.intersects(streets, wet)
    corridors = shapely.difference(np.array([line_utm(p) for _, _, p in ROADS], dtype=object), wet)
    land = gpd.GeoDataFrame(
        {
            "name": [""] * int(dry.sum()) + [r[0] for r in ROADS],
            "highway": list(np.array(grid_cls)[dry]) + [ROAD_CLASS[r[1]] for r in ROADS],
        },
        geometry=[*streets[dry], *corridors],
        crs=WORK_CRS,
    )
    bridges = _bridges(water, streets[dry])
    # node the land roads at every crossing (at-grade junctions): pieces keep their source's tags
    pieces = shapely.get_parts(shapely.node(shapely.MultiLineString(list(shapely.get_parts(land.geometry.to_numpy())))))
    mid = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    which, src = shapely.STRtree(land.geometry.to_numpy()).query_nearest(mid, all_matches=False)
    source = np.empty(len(pieces), dtype=int)
    source[which] = src
    noded = land.iloc[source].reset_index(drop=True).set_geometry(pieces)
    out = pd.concat([noded, bridges], ignore_index=True)
    for col in ("bridge", "motorcar"):
        out[col] = out[col].where(out[col].notna(), None)
    out["oneway"] = "no"
    out.insert(0, "road_id", [f"N{i:05d}" for i in range(1, len(out) + 1)])
    return out[["road_id", "name", "highway", "oneway", "bridge", "motorcar", "geometry"]]


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Spatially correlated noise in about -1..1 (gaussian-filtered white noise)."""
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(rng.standard_normal(shape), sigma=sigma)
    return field / (np.abs(field).max() or 1.0)


def flood_raster(
    rng: np.random.Generator, water: gpd.GeoDataFrame, bounds: tuple[float, float, float, float]
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """ILLUSTRATIVE flood depth (m) on a 100 m grid in UTM 48N: deep near rivers, patchy lowlands.

    Cells of permanent water are nodata (-9999).
    """
    res = 100.0
    xmin, ymin, xmax, ymax = (
        np.floor(bounds[0] / res) * res,
        np.floor(bounds[1] / res) * res,
        np.ceil(bounds[2] / res) * res,
        np.ceil(bounds[3] / res) * res,
    )
    cols, rows = int((xmax - xmin) / res), int((ymax - ymin) / res)
    xs = xmin + res * (np.arange(cols) + 0.5)
    ys = ymax - res * (np.arange(rows) + 0.5)
    centres = shapely.points(*np.meshgrid(xs, ys))
    rivers = water[water["kind"] == "river"].geometry.union_all()
    d = shapely.distance(centres, rivers)
    depth = 1.6 * np.exp(-d / 1200) + 0.6 * _smooth_noise(rng, (rows, cols), 12) - 0.25
    depth = np.clip(depth, 0, None).round(2).astype("float32")
    wet = shapely.contains_xy(water.geometry.union_all(), *np.meshgrid(xs, ys))
    depth[wet] = -9999.0
    return depth, (xmin, ymin, xmax, ymax)


def slope_raster(
    rng: np.random.Generator, bounds_lonlat: tuple[float, float, float, float]
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """ILLUSTRATIVE slope (degrees) from a synthetic DEM on a 0.001 degree grid in EPSG:4326.

    The DEM rises to the west (towards the Ba Vì hills) with rolling noise; slope comes
    from its gradient with cell sizes in metres.
    """
    res = 0.001
    lon0, lat0, lon1, lat1 = (np.floor(b / res) * res for b in bounds_lonlat)
    lon1, lat1 = lon1 + res, lat1 + res
    cols, rows = round((lon1 - lon0) / res), round((lat1 - lat0) / res)
    lon = lon0 + res * (np.arange(cols) + 0.5)
    lat = lat1 - res * (np.arange(rows) + 0.5)
    lon_g, _lat_g = np.meshgrid(lon, lat)
    hills = np.clip(105.62 - lon_g, 0, None) * 2500  # metres of rise west of 105.62 E
    dem = 8 + hills + 25 * _smooth_noise(rng, (rows, cols), 6) * (1 + hills / 100)
    dy = res * 111_320.0
    dx = res * 111_320.0 * np.cos(np.radians(lat))[:, None]
    gy, gx = np.gradient(dem)
    slope = np.degrees(np.arctan(np.hypot(gx / dx, gy / dy))).round(2).astype("float32")
    return slope, (lon0, lat0, lon1, lat1)


def write_raster(values: np.ndarray, bounds: tuple[float, float, float, float], crs: str, path: Path) -> None:
    """Write a single-band float32 GeoTIFF (deflate) with nodata -9999."""
    import rasterio
    from rasterio.transform import from_bounds

    rows, cols = values.shape
    profile = {
        "driver": "GTiff",
        "height": rows,
        "width": cols,
        "count": 1,
        "dtype": "float32",
        "crs": crs,
        "transform": from_bounds(*bounds, cols, rows),
        "nodata": -9999.0,
        "compress": "deflate",
        "predictor": 3,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)


def existing_housing_layer() -> gpd.GeoDataFrame:
    """Existing worker-housing projects as points (completed places split illustratively)."""
    lat = np.array([h[1] for h in EXISTING_HOUSING])
    lon = np.array([h[2] for h in EXISTING_HOUSING])
    places = np.array([h[3] for h in EXISTING_HOUSING])
    return gpd.GeoDataFrame(
        {
            "house_id": [f"H{i}" for i in range(1, len(EXISTING_HOUSING) + 1)],
            "name": [h[0] for h in EXISTING_HOUSING],
            "places": places,
            "units": places // PERSONS_PER_UNIT,
            "src": "8,388 completed places in 4 projects (vietdata.vn); split illustrative",
        },
        geometry=shapely.points(to_utm(lat, lon)),
        crs=WORK_CRS,
    )


def write(gdf: gpd.GeoDataFrame, out: Path, name: str) -> None:
    """Write one layer as a UTF-8 shapefile in EPSG:4326 with fixed precision and DBF date."""
    wgs = gdf.to_crs(4326)
    wgs = wgs.set_geometry(shapely.set_precision(wgs.geometry.to_numpy(), 1e-7), crs=4326)
    wgs.to_file(
        out / f"{name}.shp", engine="pyogrio", encoding="UTF-8", layer_options={"DBF_DATE_LAST_UPDATE": DBF_DATE}
    )


def main(argv: list[str] | None = None) -> None:
    """Build every layer and write it to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "shapefiles")
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    zones = zone_layer()
    water = water_layer()
    parcels = parcel_layer(rng, zones, water)
    facilities = facility_layer(rng, parcels, zones, water)
    roads, stops = road_and_stop_layers(rng)
    for name, gdf in [
        ("industrial_zones", zones),
        ("parcels", parcels),
        ("facilities", facilities),
        ("bus_stops", stops),
        ("main_roads", roads),
        ("water", water),
        ("existing_housing", existing_housing_layer()),
        ("roads", road_network_layer(np.random.default_rng([args.seed, 11]), parcels, water)),
        ("industrial_zones_2030", zone_layer_2030(zones)),
    ]:
        write(gdf, args.out, name)
        print(f"{name:<18} {len(gdf):>6} features -> {args.out / (name + '.shp')}")
    xmin, ymin, xmax, ymax = parcels.total_bounds
    margin = 2000.0
    depth, dbounds = flood_raster(rng, water, (xmin - margin, ymin - margin, xmax + margin, ymax + margin))
    write_raster(depth, dbounds, WORK_CRS, args.out / "flood_depth.tif")
    print(f"flood_depth.tif    {depth.shape[1]} x {depth.shape[0]} cells (100 m, EPSG:32648)")
    lon0, lat0, lon1, lat1 = parcels.to_crs(4326).total_bounds
    slope, sbounds = slope_raster(rng, (lon0 - 0.02, lat0 - 0.02, lon1 + 0.02, lat1 + 0.02))
    write_raster(slope, sbounds, "EPSG:4326", args.out / "slope.tif")
    print(f"slope.tif          {slope.shape[1]} x {slope.shape[0]} cells (0.001 deg, EPSG:4326)")


if __name__ == "__main__":
    main()
