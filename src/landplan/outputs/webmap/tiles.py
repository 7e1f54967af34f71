"""The files of a tiled parcel map: vector tiles, an overview image and the score-card data in chunks.

A map of more parcels than ``[output] tiles_above`` is not one HTML file: the parcels are vector
tiles (Mapbox Vector Tiles written by GDAL's MVT driver through pyogrio), drawn by the bundled
MapLibre GL JS, and the score-card data is split into chunks read only when a parcel is clicked.
Everything lives in one folder beside the page (``map_files/``), and the page opens from
``file://`` with no network request:

- Chromium refuses ``fetch`` and ``XMLHttpRequest`` of ``file://`` URLs, so neither a PMTiles archive
  (read with HTTP range requests) nor a folder of ``.pbf`` files can be read by the page. A
  ``<script>`` element may load a ``file://`` script, so every tile is a small script
  (``tiles/13/6510/3613.js``) calling ``landplanTile(key, base64)`` with GDAL's gzip-compressed
  tile; the page decompresses it with the browser's ``DecompressionStream`` and hands it to MapLibre
  through a custom protocol. Only the tiles in view are loaded.
- The tiles hold the parcel's position ``i`` in the card chunks (which are in id order) and its
  score class ``c`` (-1: excluded): the colour. The card (id, name, score, rank, every criterion's measured value, value
  0-1, weight and contribution, reasons, reservation) comes from the same data object as the small
  map (:func:`~landplan.outputs.webmap.client.client_data`), cut into chunks of :data:`CHUNK` parcels
  (``cards/12.js``, gzip + base64), so a click reads about a hundred kilobytes, not the whole table.
- Tiles are written at one zoom, :data:`TILE_ZOOM` (a 4,096-unit tile extent there is about 1.2 m
  at Hanoi's latitude), and over-zoomed by MapLibre; below it an overview image of the score
  classes (rasterised in Web Mercator) shows the whole area, and a click zooms in to the parcels.

Every file is written deterministically (GDAL's gzip streams carry no time stamp; chunks use
``mtime=0``), so the same run gives the same folder.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import geopandas as gpd
import shapely

if TYPE_CHECKING:
    from landplan.outputs.style import ScoreClasses

__all__ = ["CHUNK", "TILE_ZOOM", "chunk_slices", "overview_image", "write_chunks", "write_tiles"]

#: the zoom the parcel tiles are written at (MapLibre over-zooms them beyond)
TILE_ZOOM = 13
#: parcels per score-card chunk
CHUNK = 4096
#: largest side of the overview image, pixels
OVERVIEW_PX = 4096
#: most bounding-box cells tested when painting the overview (sets a coarser cell for large parcels)
CELL_BUDGET = 20_000_000
#: bounding-box cells tested at once (bounds the memory of painting)
PAINT_BLOCK = 1_000_000
_WEB_MERCATOR_HALF = 20037508.342789244


def _js_payload(call: str, key: str, raw: bytes) -> bytes:
    """``call("key","<base64>");`` as bytes (``key`` holds only digits and slashes)."""
    return f'{call}("{key}","'.encode("ascii") + base64.b64encode(raw) + b'");\n'


def write_tiles(
    parcels: gpd.GeoDataFrame,
    cls: np.ndarray,
    folder: Path,
    *,
    positions: np.ndarray | None = None,
    zoom: int = TILE_ZOOM,
) -> list[str]:
    """Parcel vector tiles (``i``, ``c``) at one zoom, each wrapped in a script, under ``folder/tiles``.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcel outlines in any CRS.
    cls : numpy.ndarray
        Score class of each parcel, -1 for excluded ones.
    folder : pathlib.Path
        The map's file folder (``map_files``).
    positions : numpy.ndarray, optional
        Each parcel's ``i``: its position in the score-card chunks (default: its row).
    zoom : int, default TILE_ZOOM
        Zoom of the tiles.

    Returns
    -------
    list of str
        Keys ``"z/x/y"`` of the tiles written, sorted.
    """
    import pyogrio

    frame = gpd.GeoDataFrame(
        {
            "i": np.arange(len(parcels), dtype="int32") if positions is None else np.asarray(positions, dtype="int32"),
            "c": np.asarray(cls, dtype="int16"),
        },
        geometry=parcels.geometry.to_numpy(),
        crs=parcels.crs,
    )
    keys = []
    with tempfile.TemporaryDirectory(prefix="landplan-tiles-") as tmp:
        out = Path(tmp) / "mvt"
        options = {
            "FORMAT": "DIRECTORY",
            "MINZOOM": str(zoom),
            "MAXZOOM": str(zoom),
            "COMPRESS": "YES",
            "MAX_SIZE": "20000000",  # never drop a parcel to keep a tile small
            "MAX_FEATURES": "10000000",
            "TEMPORARY_DB": str(Path(tmp) / "tmp.db"),
        }
        pyogrio.write_dataframe(frame, out, driver="MVT", layer="parcels", dataset_options=options)
        for pbf in sorted(out.glob("*/*/*.pbf")):
            key = "/".join(pbf.with_suffix("").parts[-3:])
            target = folder / "tiles" / (key + ".js")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_js_payload("landplanTile", key, pbf.read_bytes()))
            keys.append(key)
    return sorted(keys)


def write_chunks(data: list[dict[str, Any]], folder: Path) -> int:
    """Score-card data chunks as scripts ``cards/<k>.js`` calling ``landplanChunk(k, base64 gzip JSON)``.

    Parameters
    ----------
    data : list of dict
        One data object per chunk (per-parcel arrays by position within the chunk).
    folder : pathlib.Path
        The map's file folder.

    Returns
    -------
    int
        Number of chunks written.
    """
    (folder / "cards").mkdir(parents=True, exist_ok=True)
    for k, chunk in enumerate(data):
        text = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
        packed = gzip.compress(text, compresslevel=6, mtime=0)
        (folder / "cards" / f"{k}.js").write_bytes(_js_payload("landplanChunk", str(k), packed))
    return len(data)


def _mercator_bounds(merc: np.ndarray, ratio: float = 0.02) -> tuple[float, float, float, float]:
    """Bounds of geometries in EPSG:3857, widened by ``ratio`` of their size on each side."""
    minx, miny, maxx, maxy = shapely.total_bounds(merc)
    pad = ratio * max(maxx - minx, maxy - miny, 1.0)
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def _paint(
    geoms: np.ndarray, values: np.ndarray, origin: tuple[float, float, float], shape: tuple[int, int]
) -> np.ndarray:
    """A raster of ``values`` where each polygon covers a cell centre (and its inner point's cell); 0 elsewhere.

    Vectorised over blocks of polygons: every cell of each polygon's bounding box is listed
    (``np.repeat``), kept when the polygon contains its centre (``shapely.contains_xy``); the cell of
    ``point_on_surface`` is always kept, so a polygon smaller than a cell still shows. Where polygons
    share a cell the largest value wins (``np.maximum.at``: better classes on top, the same raster
    whatever the order).
    """
    x0, y0, size = origin
    height, width = shape
    raster = np.zeros(shape, dtype="uint8")
    values = np.asarray(values).astype("uint8")
    b = shapely.bounds(geoms)
    c0 = np.clip(np.floor((b[:, 0] - x0) / size - 0.5), 0, width - 1).astype("int64")
    c1 = np.clip(np.ceil((b[:, 2] - x0) / size - 0.5), 0, width - 1).astype("int64")
    r0 = np.clip(np.floor((y0 - b[:, 3]) / size - 0.5), 0, height - 1).astype("int64")
    r1 = np.clip(np.ceil((y0 - b[:, 1]) / size - 0.5), 0, height - 1).astype("int64")
    cells = (c1 - c0 + 1) * (r1 - r0 + 1)
    ends = np.searchsorted(np.cumsum(cells), np.arange(1, int(cells.sum()) // PAINT_BLOCK + 2) * PAINT_BLOCK)
    start = 0
    for end in [*np.unique(np.minimum(ends + 1, len(geoms))).tolist(), len(geoms)]:  # blocks of ~PAINT_BLOCK cells
        if end <= start:
            continue
        nc, nr = c1[start:end] - c0[start:end] + 1, r1[start:end] - r0[start:end] + 1
        owner = np.repeat(np.arange(start, end), nc * nr)
        k = np.arange(len(owner)) - np.repeat(np.cumsum(nc * nr) - nc * nr, nc * nr)
        col, row = c0[owner] + k % nc[owner - start], r0[owner] + k // nc[owner - start]
        inside = shapely.contains_xy(geoms[owner], x0 + (col + 0.5) * size, y0 - (row + 0.5) * size)
        np.maximum.at(raster, (row[inside], col[inside]), values[owner[inside]])
        start = end
    pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
    pc = np.clip(((pts[:, 0] - x0) / size).astype("int64"), 0, width - 1)
    pr = np.clip(((y0 - pts[:, 1]) / size).astype("int64"), 0, height - 1)
    np.maximum.at(raster, (pr, pc), values)
    return raster


def overview_image(
    parcels: gpd.GeoDataFrame, cls: np.ndarray, classes: ScoreClasses, excluded_color: str, *, max_px: int = OVERVIEW_PX
) -> tuple[bytes, list[list[float]]]:
    """A PNG of the score classes over the whole area (transparent elsewhere) and its corners.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcel outlines in any CRS.
    cls : numpy.ndarray
        Score class of each parcel, -1 for excluded ones.
    classes : ScoreClasses
        The classes (their palette).
    excluded_color : str
        Colour of excluded parcels (``#rrggbb``).
    max_px : int, default OVERVIEW_PX
        Largest side of the image, pixels.

    Returns
    -------
    tuple
        PNG bytes and the four corners ``[lon, lat]`` (top left, top right, bottom right, bottom left).
    """
    from PIL import Image

    import pyproj

    merc = parcels if parcels.crs is not None and parcels.crs.to_epsg() == 3857 else parcels.to_crs(3857)
    merc = merc.geometry.to_numpy()
    minx, miny, maxx, maxy = _mercator_bounds(merc)
    b = shapely.bounds(merc)
    covered = float(np.sum((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))) if len(merc) else 0.0
    # cells tested stay under CELL_BUDGET whatever the parcels' size against the area
    size = max((maxx - minx) / max_px, (maxy - miny) / max_px, np.sqrt(covered / CELL_BUDGET), 1e-6)
    width, height = max(1, int(np.ceil((maxx - minx) / size))), max(1, int(np.ceil((maxy - miny) / size)))
    raster = _paint(merc, np.asarray(cls) + 2, (minx, maxy, size), (height, width))
    colors = ["#000000", excluded_color, *classes.palette]
    palette = [int(h[k : k + 2], 16) for h in colors for k in (1, 3, 5)]
    img = Image.fromarray(raster, mode="P")
    img.putpalette(palette)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True, transparency=0)
    to_lonlat = pyproj.Transformer.from_crs(3857, 4326, always_xy=True)
    x1, y1 = minx, maxy - height * size
    x2, y2 = minx + width * size, maxy
    corners = [to_lonlat.transform(x, y) for x, y in ((x1, y2), (x2, y2), (x2, y1), (x1, y1))]
    return buf.getvalue(), [[round(lon, 7), round(lat, 7)] for lon, lat in corners]


def chunk_slices(n: int, size: int = CHUNK) -> list[slice]:
    """Positions of each chunk of ``n`` parcels.

    Parameters
    ----------
    n : int
        Number of parcels.
    size : int, default CHUNK
        Parcels per chunk.

    Returns
    -------
    list of slice
    """
    return [slice(a, min(a + size, n)) for a in range(0, n, size)]
