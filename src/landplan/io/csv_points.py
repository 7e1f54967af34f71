"""CSV tables of points: longitude/latitude columns read into a GeoDataFrame."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio
import pyogrio.errors

from landplan.errors import LayerReadError

__all__ = ["compact_ranges"]


_LON_NAMES = ("lon", "lng", "long", "longitude", "x")
_LAT_NAMES = ("lat", "latitude", "y")


def _read_csv(
    path: Path,
    label: str,
    *,
    where: str | None,
    columns: Sequence[str] | None,
    lon: str | None,
    lat: str | None,
) -> gpd.GeoDataFrame:
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    except pd.errors.EmptyDataError:
        msg = f"{label}: the file is empty (no header line); export the table again with a header row"
        raise LayerReadError(msg) from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        msg = f"{label}: cannot read the CSV header ({exc}); save the file as UTF-8 CSV"
        raise LayerReadError(msg) from None
    lower = {c.lower(): c for c in header}
    lon = lon or next((lower[n] for n in _LON_NAMES if n in lower), None)
    lat = lat or next((lower[n] for n in _LAT_NAMES if n in lower), None)
    if lon is None or lat is None or lon not in header or lat not in header:
        msg = (
            f"{label}: no longitude/latitude columns found among {list(header)}; name them "
            "'lon' and 'lat' or set `lon_field`/`lat_field` for this layer"
        )
        raise LayerReadError(msg)
    try:
        gdf = pyogrio.read_dataframe(
            path,
            where=where,
            columns=list(columns) if columns is not None else None,
            X_POSSIBLE_NAMES=lon,
            Y_POSSIBLE_NAMES=lat,
            KEEP_GEOM_COLUMNS="YES",
            AUTODETECT_TYPE="YES",
        )
    except pyogrio.errors.DataLayerError as exc:
        msg = f"{label}: the filter where={where!r} is invalid ({exc})"
        raise LayerReadError(msg) from exc
    # GDAL tags CSV points as WGS 84 by assumption, not because the file says so: the
    # declaration (`crs`, EPSG:4326 by default) decides
    gdf = gdf.set_crs(None, allow_override=True)
    gdf.attrs["lon_lat"] = (lon, lat)
    bad = gdf.geometry.isna() | gdf.geometry.is_empty
    if bad.any():
        lines = (np.flatnonzero(bad.to_numpy()) + 2).tolist()  # 1-based, after the header line
        msg = (
            f"{label}: {len(lines)} rows have no usable {lon}/{lat} values (lines {compact_ranges(lines)}); "
            "fill or remove them"
        )
        raise LayerReadError(msg)
    return gdf


def compact_ranges(numbers: Sequence[int], *, limit: int = 8) -> str:
    """Plain, compact text for sorted integers: ``[3, 5, 6, 7, 9]`` -> ``"3, 5-7, 9"``.

    At most ``limit`` ranges are shown, then ``"... (N in all)"``.

    Parameters
    ----------
    numbers
        Integers in any order (repeats are ignored).
    limit
        Most ranges shown.
    """
    values = sorted({int(n) for n in numbers})
    if not values:
        return ""
    runs: list[tuple[int, int]] = []
    for n in values:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:limit]]
    more = f", ... ({len(values)} in all)" if len(runs) > limit else ""
    return ", ".join(parts) + more
