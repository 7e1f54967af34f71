"""Layer checks that collect every problem before anything is scored.

:func:`check_layer` looks at one layer for its role (empty layer, missing columns, ids,
null/empty geometries, geometry types, invalid polygons) and returns the findings;
invalid polygons are repaired explicitly with ``shapely.make_valid`` and counted.
:class:`ValidationReport` gathers findings from every layer; ``raise_for_errors``
raises one :class:`~landplan.errors.ValidationError` listing them all.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.errors import GeometryRepairedWarning, ValidationError

__all__ = [
    "Finding",
    "ValidationReport",
    "check_layer",
    "label_rows",
    "outside_extent",
    "outside_region",
    "repair_geometries",
]

Level = Literal["error", "warning", "info"]
GeometryKind = Literal["point", "line", "polygon", "polygon_or_point", "centroid", "any"]

_TYPES: dict[str, set[str]] = {
    "point": {"Point", "MultiPoint"},
    "line": {"LineString", "MultiLineString", "LinearRing"},
    "polygon": {"Polygon", "MultiPolygon"},
    "polygon_or_point": {"Polygon", "MultiPolygon", "Point", "MultiPoint"},
    "centroid": {"Point", "MultiPoint"},  # lines and polygons were replaced by their centroids when read
}
_TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    ],
    dtype=object,
)
_POLYGONIZE = (
    "polygonize the outlines (e.g. shapely.polygonize, or QGIS 'Lines to Polygons') so that 'inside' can be detected"
)


@dataclass(frozen=True)
class Finding:
    """One problem (or note) about one layer."""

    level: Level
    layer: str
    message: str
    source: str = ""
    field: str | None = None
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.layer}" + (f" ({self.source})" if self.source else "")
        col = f", field {self.field!r}" if self.field else ""
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"{self.level}: {where}{col}: {self.message}{fix}"


@dataclass
class ValidationReport:
    """Findings from every layer, plus counts of repaired geometries per layer."""

    findings: list[Finding] = field(default_factory=list)
    repaired: dict[str, int] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        """Findings that stop a run."""
        return [f for f in self.findings if f.level == "error"]

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def extend(self, findings: Sequence[Finding]) -> None:
        """Add findings."""
        self.findings.extend(findings)

    def to_text(self) -> str:
        """The report as plain text, one finding per line."""
        lines = [f"{name}: {n} features" for name, n in self.features.items()]
        lines += [str(f) for f in self.findings]
        errors, warns = len(self.errors), sum(f.level == "warning" for f in self.findings)
        lines.append(f"{errors} error(s), {warns} warning(s)")
        return "\n".join(lines)

    def raise_for_errors(self) -> None:
        """Raise one :class:`ValidationError` listing every error.

        The message's first line is the first error on its own (layer, file, field and
        fix); further errors follow on indented lines.

        Raises
        ------
        ValidationError
            If there is at least one error.
        """
        errors = self.errors
        if errors:
            # the first line stands alone (layer, file, field, fix); the others follow indented
            first = str(errors[0]).removeprefix("error: ")
            if len(errors) == 1:
                raise ValidationError(first)
            body = "\n  ".join(str(f) for f in errors[1:])
            msg = f"{first} [1 of {len(errors)} problems in the input layers; the others follow]\n  {body}"
            raise ValidationError(msg)


def repair_geometries(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Repair invalid polygons with ``shapely.make_valid(method="structure")``.

    Parameters
    ----------
    geometry : numpy.ndarray
        Shapely geometries (None allowed).

    Returns
    -------
    geometry : numpy.ndarray
        Geometries with the invalid ones replaced by their polygonal repair.
    repaired : numpy.ndarray
        Boolean mask of the geometries that were repaired.
    """
    invalid = ~shapely.is_valid(geometry) & ~shapely.is_missing(geometry)
    out = geometry.copy()
    if invalid.any():
        out[invalid] = shapely.make_valid(geometry[invalid], method="structure", keep_collapsed=False)
    return out, invalid


def _examples(values: Sequence[object], n: int = 5) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:n])
    return shown + (", ..." if len(values) > n else "")


def check_layer(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    source: str = "",
    geometry: GeometryKind = "any",
    id_field: str | None = None,
    required: Sequence[str] = (),
    drop_null_geometries: bool = False,
) -> tuple[gpd.GeoDataFrame, list[Finding], int]:
    """Check one layer for its role and repair invalid polygons.

    Parameters
    ----------
    gdf
        The layer as read.
    name
        Its role name in the scenario (``"parcels"``, ``"zones"``, ...).
    source
        File it came from, for messages.
    geometry
        Expected geometry family.
    id_field
        Column that must be present, non-null and unique.
    required
        Other columns the scenario refers to.
    drop_null_geometries
        Drop features with null/empty geometry with a warning (feature layers) instead
        of reporting an error (parcels, zones).

    Returns
    -------
    layer : geopandas.GeoDataFrame
        A new frame with repaired geometries (and null geometries dropped if asked).
    findings : list of Finding
    repaired : int
        Number of geometries repaired.
    """
    found: list[Finding] = []

    def add(level: Level, message: str, *, fld: str | None = None, fix: str = "") -> None:
        found.append(Finding(level, name, message, source=source, field=fld, fix=fix))

    if gdf.empty:
        add("error", "the layer is empty", fix="check the file, the layer name and any `where` filter")
        return gdf, found, 0
    _column_findings(gdf, [c for c in (id_field, *required) if c is not None], add=add)
    if id_field is not None and id_field in gdf.columns:
        _id_findings(gdf[id_field], id_field, add=add)
    out, geom = _missing_geometries(gdf, id_field=id_field, drop=drop_null_geometries, add=add)
    present = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    if geometry != "any" and present.any():
        add_type_findings(geom, present, out, geometry=geometry, id_field=id_field, add=add)
    nonfinite = _nonfinite_findings(geom, present, out, id_field=id_field, add=add)
    n_repaired = 0
    if geometry in {"polygon", "polygon_or_point", "any"}:
        # features with NaN/inf coordinates are errors already: not "repaired"
        repaired_geom, repaired = repair_geometries(np.where(nonfinite, np.array(None, dtype=object), geom))
        repaired_geom[nonfinite] = geom[nonfinite]
        if repaired.any():
            n = n_repaired = int(repaired.sum())
            _repair_findings(repaired_geom, repaired, out, id_field=id_field, add=add)
            warnings.warn(
                f"{name}: {n} invalid geometries repaired with make_valid", GeometryRepairedWarning, stacklevel=2
            )
            out = out.set_geometry(gpd.GeoSeries(repaired_geom, index=out.index, crs=out.crs))
    return out, found, n_repaired


def _column_findings(gdf: gpd.GeoDataFrame, wanted: Sequence[str], *, add: Callable[..., None]) -> None:
    """Report each column of ``wanted`` that the layer lacks, listing the columns it has."""
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    for col in wanted:
        if col not in gdf.columns:
            add(
                "error",
                f"missing column (columns are: {', '.join(columns)})",
                fld=col,
                fix="fix the field name in the scenario",
            )


def _id_findings(ids: pd.Series, id_field: str, *, add: Callable[..., None]) -> None:
    """Report null, blank and duplicated ids."""
    if ids.isna().any():
        add("error", f"{int(ids.isna().sum())} features have no id", fld=id_field, fix="give every feature an id")
    text = ids.astype("string")
    blank = ids.notna() & text.str.strip().eq("").fillna(False)
    if blank.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(blank.to_numpy())[:5])
        add(
            "error",
            f"{int(blank.sum())} features have a blank id ({', '.join(map(repr, ids[blank].unique()[:3]))}; "
            f"feature rows {rows}, counting from 0)",
            fld=id_field,
            fix="give every feature a non-blank id",
        )
    dupes = ids[ids.duplicated(keep=False) & ids.notna()]
    if len(dupes):
        values = sorted(dupes.astype(str).unique())
        add("error", f"{len(values)} duplicated ids: {_examples(values)}", fld=id_field, fix="make ids unique")


def _missing_geometries(
    gdf: gpd.GeoDataFrame, *, id_field: str | None, drop: bool, add: Callable[..., None]
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Report null/empty geometries: dropped with a warning when ``drop``, else an error.

    Returns
    -------
    layer : geopandas.GeoDataFrame
        ``gdf``, without the null/empty features when ``drop``.
    geometry : numpy.ndarray
        The geometries of ``layer``.
    """
    geom = np.asarray(gdf.geometry.array, dtype=object)
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    if not missing.any():
        return gdf, geom
    label = label_rows(gdf, missing, id_field)
    if drop:
        add("warning", f"{int(missing.sum())} features with null/empty geometry dropped ({label})")
        return gdf.loc[~missing], geom[~missing]
    add(
        "error",
        f"{int(missing.sum())} features with null or empty geometry ({label})",
        fix="remove them or draw them",
    )
    return gdf, geom


def _nonfinite_findings(
    geom: np.ndarray, present: np.ndarray, gdf: gpd.GeoDataFrame, *, id_field: str | None, add: Callable[..., None]
) -> np.ndarray:
    """Report features with NaN or infinite coordinates; returns their mask."""
    nonfinite = np.zeros(len(geom), dtype=bool)
    if present.any():
        coords, which = shapely.get_coordinates(geom[present], return_index=True)
        nonfinite[np.flatnonzero(present)[np.unique(which[~np.isfinite(coords).all(axis=1)])]] = True
        if nonfinite.any():
            add(
                "error",
                f"{int(nonfinite.sum())} features have NaN or infinite coordinates "
                f"({label_rows(gdf, nonfinite, id_field)})",
                fix="fix or remove their coordinates",
            )
    return nonfinite


def _repair_findings(
    repaired_geom: np.ndarray,
    repaired: np.ndarray,
    gdf: gpd.GeoDataFrame,
    *,
    id_field: str | None,
    add: Callable[..., None],
) -> None:
    """Report the repaired polygons, and those that the repair left empty."""
    still_bad = shapely.is_empty(repaired_geom[repaired]).sum()
    add(
        "warning",
        f"{int(repaired.sum())} invalid polygons repaired with shapely.make_valid(method='structure') "
        f"({label_rows(gdf, repaired, id_field)})",
        fix="fix them at the source to silence this",
    )
    if still_bad:
        add("error", f"{int(still_bad)} invalid polygons are empty after repair", fix="redraw them")


def add_type_findings(
    geom: np.ndarray,
    present: np.ndarray,
    gdf: gpd.GeoDataFrame,
    *,
    geometry: GeometryKind,
    id_field: str | None,
    add: Callable[..., None],
) -> None:
    """Report geometries whose type the layer's role does not allow, naming them.

    Parameters
    ----------
    geom : numpy.ndarray
        The layer's geometries.
    present : numpy.ndarray
        Boolean mask of non-missing, non-empty geometries.
    gdf : geopandas.GeoDataFrame
        The layer (for feature ids).
    geometry : GeometryKind
        The geometry kinds the layer's role allows.
    id_field : str or None
        Column naming the features in messages.
    add : callable
        Records a finding (the report's ``add``).
    """
    names = np.full(len(geom), "", dtype=object)
    names[present] = _TYPE_NAMES[shapely.get_type_id(geom[present])]
    wrong_mask = present & ~np.isin(names, sorted(_TYPES[geometry]))
    if not wrong_mask.any():
        return
    wrong = sorted(set(names[wrong_mask]))
    expected = geometry.replace("_or_", " or ")
    lines = bool(set(wrong) & _TYPES["line"]) and "polygon" in geometry
    fix = _POLYGONIZE if lines else f"use {expected} geometries for this layer (or give the layer another role)"
    add(
        "error",
        f"this layer must hold {expected} geometries but {int(wrong_mask.sum())} features are "
        f"{', '.join(wrong)} ({label_rows(gdf, wrong_mask, id_field)})",
        fix=fix,
    )


def label_rows(gdf: gpd.GeoDataFrame, mask: np.ndarray, id_field: str | None) -> str:
    """Name the features of ``mask``: by ``id_field`` values when present, else by row number.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer.
    mask : numpy.ndarray
        Boolean mask of the features to name.
    id_field : str or None
        Column of feature ids, if any.
    """
    if id_field is not None and id_field in gdf.columns:
        values = gdf.loc[mask, id_field].astype(str).tolist()
        return f"{id_field} {_examples(values)}"
    return f"rows {_examples(np.flatnonzero(mask).tolist())}"


def outside_extent(parcel_geoms: np.ndarray, feature_geoms: np.ndarray, *, radius_m: float = 0.0) -> np.ndarray:
    """Parcels lying wholly outside a layer's extent: the convex hull of its features plus ``radius_m``.

    A facility layer collected for part of the study area (bus stops of the urban core) says
    nothing about the parcels beyond it; those parcels are "no data", not "no facility".

    Parameters
    ----------
    parcel_geoms : numpy.ndarray
        Parcel geometries (working CRS, metres).
    feature_geoms : numpy.ndarray
        Every feature of the layer (same CRS).
    radius_m : float, default 0.0
        The criterion's search radius, metres.

    Returns
    -------
    numpy.ndarray
        Boolean per parcel: True where the parcel does not touch the extent.
    """
    coords = shapely.get_coordinates(np.asarray(feature_geoms, dtype=object))
    if len(coords) == 0:
        return np.ones(len(parcel_geoms), dtype=bool)
    extent = shapely.convex_hull(shapely.multipoints(coords))
    if radius_m > 0:
        extent = shapely.buffer(extent, radius_m, quad_segs=16)
    return ~shapely.intersects(np.asarray(parcel_geoms, dtype=object), extent)


def outside_region(parcels: gpd.GeoDataFrame, bbox: Sequence[float]) -> np.ndarray:
    """Parcels whose representative point lies outside a lon/lat box.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels with a CRS.
    bbox : sequence of float
        West, south, east, north in degrees (WGS 84).

    Returns
    -------
    numpy.ndarray
        Boolean per parcel.
    """
    if parcels.empty:
        return np.zeros(0, dtype=bool)
    points = gpd.GeoSeries(parcels.geometry.representative_point(), crs=parcels.crs).to_crs("EPSG:4326")
    xy = shapely.get_coordinates(points.to_numpy())
    west, south, east, north = bbox
    inside = (xy[:, 0] >= west) & (xy[:, 0] <= east) & (xy[:, 1] >= south) & (xy[:, 1] <= north)
    return ~inside
