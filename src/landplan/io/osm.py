"""OpenStreetMap extracts (``.osm.pbf`` and ``.osm`` XML) as GeoDataFrames in EPSG:4326.

:func:`read_osm` reads features chosen by a tag filter through GDAL's OSM driver (in the
pyogrio wheels, so no extra dependency; DESIGN.md has the measurement against pyosmium,
pyrosm and quackosm). It writes a private ``osmconf.ini`` for the read that asks GDAL for
exactly the tags needed as columns, filters while reading, and gives every feature a stable
``osm_id`` (``"node/123"``, ``"way/45"``, ``"relation/7"``); rows are sorted by it, so the
order does not depend on the order of the file.

Geometry follows OSM: tagged nodes are points, open ways are lines, closed ways with an area
tag (``amenity``, ``landuse``, ... or any filter key that is not linear) and multipolygon
relations are (multi)polygons assembled by GDAL. ``{"highway": True}`` alone means the road
network: one LineString per way, never split, with the columns in :data:`ROAD_COLUMNS`;
ways meet where they share an OSM node, that is, at exactly the same coordinate.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio
import pyogrio.errors
import shapely

from landplan.config.layers import OSM_SUFFIXES, check_osm_tags, is_osm_path
from landplan.errors import LayerReadError

__all__ = [
    "OSM_SUFFIXES",
    "ROAD_COLUMNS",
    "OsmGeometry",
    "OsmTags",
    "centroids",
    "check_osm_tags",
    "is_osm_path",
    "read_osm",
]

#: how features become geometries; see :func:`read_osm`
OsmGeometry = Literal["auto", "point", "line", "polygon", "polygon_or_point", "centroid"]

#: a tag filter: key -> accepted values, or ``True`` for any value
OsmTags = Mapping[str, Sequence[str] | bool]

#: columns of the road network (``read_osm(path, tags={"highway": True})``), after ``osm_id``
ROAD_COLUMNS = (
    "highway", "oneway", "motorcycle", "motor_vehicle", "access", "foot", "maxspeed", "name", "bridge", "tunnel",
    "layer",
)  # fmt: skip

#: keys whose closed ways are still lines (a roundabout, a fence, a ring railway)
_LINEAR_KEYS = frozenset({"highway", "railway", "waterway", "barrier", "aerialway", "power", "route", "junction"})

#: GDAL's own list (osmconf.ini shipped with GDAL 3.12): closed ways with these keys are areas
_AREA_KEYS = (
    "aeroway", "amenity", "boundary", "building", "craft", "geological", "historic", "landuse", "leisure", "military",
    "natural", "office", "place", "shop", "sport", "tourism", "highway=platform", "public_transport=platform",
)  # fmt: skip

_GDAL_LAYERS = {"node": "points", "way": "lines", "area": "multipolygons"}

#: the GDAL layers each geometry mode reads
_KINDS: dict[str, tuple[str, ...]] = {
    "auto": ("node", "way", "area"),
    "point": ("node",),
    "line": ("way",),
    "polygon": ("area",),
    "polygon_or_point": ("node", "area"),
    "centroid": ("node", "way", "area"),
}

logger = logging.getLogger(__name__)


def read_osm(
    path: str | os.PathLike[str],
    *,
    tags: OsmTags,
    geometry: OsmGeometry = "auto",
    columns: Sequence[str] = (),
    where: str | None = None,
) -> gpd.GeoDataFrame:
    """Read the features of an OpenStreetMap file that match a tag filter.

    Parameters
    ----------
    path
        A ``.osm.pbf`` or ``.osm`` (XML) file.
    tags
        Tag filter: a feature is kept when it has any of the keys with one of the listed
        values (``{"amenity": ["school"], "landuse": ["industrial"]}``), or with any value
        for a key given as ``True``. Values are compared exactly (OSM values are lower case).
    geometry
        ``"auto"``: nodes as points, open ways as lines, areas (closed ways with an area key,
        multipolygon relations) as multipolygons; but ``{"highway": True}`` alone gives the road
        lines only. ``"point"``: tagged nodes only. ``"line"``: ways as lines (closed ways as
        closed lines). ``"polygon"``: areas only. ``"polygon_or_point"``: nodes and areas.
        ``"centroid"``: nodes, and the centroid of every line and area (computed in the local
        UTM zone, not in degrees).
    columns
        More OSM keys to keep as columns (``["isced:level", "capacity", "operator"]``).
    where
        An OGR SQL filter ANDed with the tag filter; it may name the keys read (``name``, the
        filter keys, ``columns``), with ``:`` written as ``_``.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326 with a RangeIndex, sorted by ``osm_id`` (nodes, ways, relations, each by
        number). Columns: ``osm_id``, then ``name``, the filter keys and ``columns`` (tag values
        as text, missing as null), then ``geometry``. When ``"highway"`` is a filter key the
        columns after ``osm_id`` are :data:`ROAD_COLUMNS` first. An empty frame when nothing
        matches. Features GDAL cannot build a geometry for (a broken multipolygon) are left out
        with a logged warning naming them, also in ``attrs["warnings"]``.

    Raises
    ------
    LayerReadError
        If the file is missing or not OpenStreetMap, the filter is malformed, or two keys
        would share a column (``a:b`` and ``a_b``). The message is one line.
    """
    label = str(path)
    try:
        filt = check_osm_tags(tags)
        extra = check_osm_tags(dict.fromkeys(columns, True)) if columns else {}
    except ValueError as exc:
        raise LayerReadError(f"{label}: {exc}") from exc
    if geometry not in get_args(OsmGeometry):
        msg = f"{label}: geometry={geometry!r} is not one of {', '.join(get_args(OsmGeometry))}"
        raise LayerReadError(msg)
    if not Path(path).is_file():
        msg = (
            f"{label}: file not found; check the path (relative paths in a scenario are relative to the scenario file)"
        )
        raise LayerReadError(msg)
    keys = _output_keys(filt, extra)
    fields = _fields(keys, label)
    if geometry == "auto" and filt == {"highway": True}:
        geometry = "line"
    kinds = _KINDS[geometry]
    sql = _where_sql(filt, fields, where)
    with _gdal_osm_config(keys, filt, line_areas=geometry == "line", size_bytes=Path(path).stat().st_size) as options:
        notes: list[str] = []
        parts = [_read_kind(path, kind, label, fields=fields, sql=sql, options=options, notes=notes) for kind in kinds]
    gdf = _assemble(parts, keys, label, notes=notes)
    if geometry == "centroid":
        gdf = centroids(gdf)
    return gdf


def _output_keys(filt: dict[str, list[str] | bool], extra: dict[str, list[str] | bool]) -> list[str]:
    first = list(ROAD_COLUMNS) if "highway" in filt else ["name"]
    return list(dict.fromkeys([*first, *filt, *extra]))


def _fields(keys: Sequence[str], label: str) -> dict[str, str]:
    """GDAL's column name of each key (``:`` becomes ``_``), refusing two keys on one column."""
    fields = {k: k.replace(":", "_") for k in keys}
    seen: dict[str, str] = {}
    for key, name in fields.items():
        if name.lower() in seen:
            msg = f"{label}: OSM keys {seen[name.lower()]!r} and {key!r} would share the column {name!r}; keep one"
            raise LayerReadError(msg)
        seen[name.lower()] = key
    reserved = {"osm_id", "osm_way_id", "geometry", "z_order"} & {n.lower() for n in fields.values()}
    if reserved:
        msg = f"{label}: {sorted(reserved)} are landplan's own columns, not OSM keys to read; remove them"
        raise LayerReadError(msg)
    return fields


def _where_sql(filt: dict[str, list[str] | bool], fields: Mapping[str, str], where: str | None) -> str:
    """The tag filter in OGR SQL (identifiers double-quoted, values single-quoted with ``''``)."""
    terms = []
    for key, values in filt.items():
        ident = f'"{fields[key]}"'
        if values is True:
            terms.append(f"{ident} IS NOT NULL")
        else:
            assert isinstance(values, list)
            quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
            terms.append(f"{ident} IN ({quoted})")
    sql = " OR ".join(terms)
    return f"({sql}) AND ({where})" if where else sql


@contextmanager
def _gdal_osm_config(
    keys: Sequence[str], filt: Mapping[str, object], *, line_areas: bool, size_bytes: int
) -> Iterator[dict[str, str]]:
    """A private ``osmconf.ini`` asking for exactly ``keys``; GDAL's temporary index goes to the same folder.

    GDAL writes its node index to ``CPL_TMPDIR`` (the current folder when unset) once it passes
    ``MAX_TMPFILE_SIZE`` MB in memory; it is pointed at a temporary folder that is removed after.
    That in-memory size is GDAL's 100 MB for real extracts, but 10 x the file's size (at least
    1 MB) for small files: allocating 100 MB costs 0.3 s per layer read, more than a small file.
    """
    tmp_mb = max(1, min(100, math.ceil(size_bytes / 1e6 * 10)))
    area_keys = [*_AREA_KEYS, *(k for k in filt if k not in _LINEAR_KEYS and k not in _AREA_KEYS)]
    attributes = ",".join(keys)
    layer_text = f"osm_id=yes\nosm_version=no\nosm_timestamp=no\nosm_uid=no\nosm_user=no\nosm_changeset=no\nother_tags=no\nall_tags=no\nattributes={attributes}\n"  # noqa: E501
    text = (
        "[general]\n"
        f"closed_ways_are_polygons={'' if line_areas else ','.join(area_keys)}\n"
        + "".join(f"[{layer}]\n{layer_text}" for layer in ("points", "lines", "multipolygons"))
        + "".join(f"[{layer}]\nosm_id=yes\nother_tags=no\n" for layer in ("multilinestrings", "other_relations"))
    )
    with tempfile.TemporaryDirectory(prefix="landplan-osm-") as folder:
        conf = Path(folder) / "osmconf.ini"
        conf.write_text(text, encoding="utf-8")
        before = pyogrio.get_gdal_config_option("CPL_TMPDIR")
        pyogrio.set_gdal_config_options({"CPL_TMPDIR": folder})
        try:
            yield {"CONFIG_FILE": str(conf), "MAX_TMPFILE_SIZE": str(tmp_mb)}
        finally:
            pyogrio.set_gdal_config_options({"CPL_TMPDIR": before})


def _read_kind(
    path: str | os.PathLike[str],
    kind: str,
    label: str,
    *,
    fields: Mapping[str, str],
    sql: str,
    options: dict[str, str],
    notes: list[str],
) -> gpd.GeoDataFrame:
    """One GDAL OSM layer, filtered, with ``osm_id`` as ``type/number`` and OSM keys as column names.

    GDAL's warnings while reading (``Non closed ring detected``: a multipolygon it patched) go
    to ``notes``; they name no feature, so the caller reports them as a count.
    """
    layer = _GDAL_LAYERS[kind]
    try:
        # a geometry GDAL could not build arrives as invalid WKB: null, then left out by name in _assemble
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            raw = pyogrio.read_dataframe(path, layer=layer, where=sql, use_arrow=False, on_invalid="ignore", **options)
        notes += [str(w.message).split(".")[0] for w in caught if issubclass(w.category, RuntimeWarning)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FeatureError) as exc:
        text = " ".join(str(exc).split())
        msg = f"{label}: GDAL cannot read this file as OpenStreetMap ({text}); check it is a complete .osm.pbf or .osm"
        raise LayerReadError(msg) from exc
    except ValueError as exc:  # an invalid `where`
        text = " ".join(str(exc).split())
        msg = f"{label}: the filter is invalid ({text}); `where` may use name, the filter keys and `osm_columns`"
        raise LayerReadError(msg) from exc
    n = len(raw)
    ids = raw["osm_id"].to_numpy(dtype=object, na_value=None)
    if kind == "area":  # relations carry osm_id, closed ways osm_way_id
        rel = raw["osm_id"].notna().to_numpy()
        ids = np.where(rel, ids, raw["osm_way_id"].to_numpy(dtype=object, na_value=None))
        osm_type = np.where(rel, "relation", "way").astype(object)
        rank = np.where(rel, 2, 1)
    else:
        osm_type = np.full(n, "node" if kind == "node" else "way", dtype=object)
        rank = np.full(n, 0 if kind == "node" else 1)
    number = ids.astype(np.int64)
    data = {
        key: _text(raw[col]) if col in raw.columns else pd.Series([None] * n, dtype=object)
        for key, col in fields.items()
    }
    out = gpd.GeoDataFrame(data, geometry=np.asarray(raw.geometry.array, dtype=object), crs="EPSG:4326")
    out.insert(0, "osm_id", pd.Series(osm_type, dtype=object) + "/" + pd.Series(number.astype(str), dtype=object))
    out["_rank"] = rank.astype(np.int64)
    out["_number"] = number
    return out


def _text(values: pd.Series) -> pd.Series:
    """Tag values as object text with None for missing (the same whatever pandas' string dtype)."""
    arr = values.to_numpy(dtype=object, copy=True)
    arr[pd.isna(arr)] = None
    return pd.Series(arr, dtype=object)


def _assemble(
    parts: Sequence[gpd.GeoDataFrame], keys: Sequence[str], label: str, *, notes: Sequence[str]
) -> gpd.GeoDataFrame:
    """The parts in ``osm_id`` order; features without geometry left out, and both kinds of trouble reported."""
    left_out = []
    if notes:
        kinds = "; ".join(f"{text} (x{n})" for text, n in Counter(notes).most_common())
        text = (
            f"{label}: GDAL reported {len(notes)} problems while assembling OSM geometries ({kinds}); some "
            "multipolygons may have a wrong shape (typically relations cut by the extract's edge): use an "
            "extract with complete relations (osmium extract -s smart) or check these areas on the map"
        )
        logger.warning("%s", text)
        left_out.append(text)
    frames = [p for p in parts if len(p)]
    if not frames:
        empty = {"osm_id": pd.Series(dtype=object), **{k: pd.Series(dtype=object) for k in keys}}
        out = gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
        out.attrs["warnings"] = left_out
        return out
    gdf = pd.concat(frames, ignore_index=True)
    order = np.lexsort((gdf["_number"].to_numpy(), gdf["_rank"].to_numpy()))
    gdf = gdf.iloc[order].drop(columns=["_rank", "_number"])
    broken = shapely.is_missing(np.asarray(gdf.geometry.array, dtype=object))
    if broken.any():
        ids = gdf["osm_id"].to_numpy()[broken]
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        text = (
            f"{label}: {len(ids)} OSM features left out: GDAL could not build their geometry (broken "
            f"multipolygon rings or missing nodes: {shown}); fix them in OSM or use a complete extract"
        )
        logger.warning("%s", text)
        left_out.append(text)
        gdf = gdf[~broken]
    out = gpd.GeoDataFrame(gdf.reset_index(drop=True), geometry="geometry", crs="EPSG:4326")
    out.attrs["warnings"] = left_out
    return out


def centroids(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every line and polygon replaced by its centroid, computed in metres; points are kept.

    Parameters
    ----------
    gdf
        A layer with a CRS. A geographic one is projected to its UTM zone for the centroids
        and back, so an area's centroid is its centre on the ground, not in degrees.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and columns, with point geometries in the layer's CRS.
    """
    geom = np.asarray(gdf.geometry.array, dtype=object)
    todo = ~shapely.is_missing(geom) & (shapely.get_type_id(geom) != 0)
    if not todo.any():
        return gdf
    series = gpd.GeoSeries(geom[todo], crs=gdf.crs)
    if gdf.crs is not None and gdf.crs.is_geographic:
        utm = series.estimate_utm_crs()
        centre = series.to_crs(utm).centroid.to_crs(gdf.crs)
    else:
        centre = series.centroid
    out = geom.copy()
    out[todo] = np.asarray(centre.array, dtype=object)
    return gdf.set_geometry(gpd.GeoSeries(out, index=gdf.index, crs=gdf.crs))
