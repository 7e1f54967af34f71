"""Compact encodings for the browser: parcel outlines as integer arrays, the data object as a safe JS literal."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

import shapely

from landplan.outputs.escape import js_literal

__all__ = ["encode_polygons", "js_data"]


def encode_polygons(geoms: np.ndarray, *, step_deg: float) -> dict[str, Any]:
    """Polygons as flat integer arrays (a few bytes a vertex), decoded by ``client.js``.

    Coordinates are counted in ``step_deg`` from the lower-left corner of all parcels; within a
    ring each vertex is stored as the difference to the one before (the first one in full); the
    closing vertex is dropped (Leaflet closes rings). ``polys`` counts each parcel's polygons,
    ``rings`` each polygon's rings, ``points`` each ring's vertices.

    Parameters
    ----------
    geoms : numpy.ndarray
        Polygons or multipolygons in EPSG:4326, one per parcel.
    step_deg : float
        Coordinate step in degrees (1e-6 is about 0.1 m).

    Returns
    -------
    dict
        ``origin``, ``step``, ``polys``, ``rings``, ``points`` and ``xy`` (JSON-ready).
    """
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, vertex_of = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(vertex_of, minlength=len(rings))
    last = np.cumsum(counts) - 1
    keep = np.ones(len(xy), dtype=bool)
    keep[last[counts > 1]] = False  # the closing vertex
    xy, vertex_of = xy[keep], vertex_of[keep]
    origin = xy.min(axis=0) if len(xy) else np.zeros(2)
    q = np.round((xy - origin) / step_deg).astype("int64")
    d = q.copy()
    d[1:] -= q[:-1]
    first = np.r_[True, vertex_of[1:] != vertex_of[:-1]] if len(q) else np.zeros(0, dtype=bool)
    d[first] = q[first]
    return {
        "origin": [float(origin[0]), float(origin[1])],
        "step": step_deg,
        "polys": np.bincount(part_of, minlength=len(geoms)).tolist(),
        "rings": np.bincount(ring_of, minlength=len(parts)).tolist(),
        "points": np.bincount(vertex_of, minlength=len(rings)).tolist(),
        "xy": d.ravel().tolist(),
    }


def js_data(value: Any) -> str:
    r"""JSON text of the data object as a JavaScript literal holding no template or HTML syntax.

    Strings are written as :func:`~landplan.outputs.escape.js_literal` writes them (``{`` ``}`` ``%``
    ``<`` ``>`` ``&`` ``'`` ``/`` as ``\uXXXX``); structural braces stay (JSON never puts ``{{``, ``{%``
    or ``{#`` outside a string). Lists are written in one ``json.dumps`` each, not item by item.

    Parameters
    ----------
    value : dict, list, str, number, bool or None
        The data object or a part of it.

    Returns
    -------
    str
        JavaScript (and JSON) source.
    """
    if isinstance(value, dict):
        return "{" + ",".join(js_literal(k) + ":" + js_data(v) for k, v in value.items()) + "}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        return "[" + ",".join(js_data(v) for v in value) + "]"
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_JS_ESCAPES)


_JS_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "{}%<>&'/\u2028\u2029"}
