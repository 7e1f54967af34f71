"""Layer and raster specs: where the scenario's inputs are and which columns mean what."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from landplan.config._base import _Frozen
from landplan.errors import redact

__all__ = [
    "OSM_SUFFIXES", "POSTGIS_SCHEMES", "JoinSpec", "LayerSpec", "Layers", "ParcelLayerSpec", "RasterSpec",
    "ZoneLayerSpec", "check_osm_tags", "is_osm_path",
]  # fmt: skip

#: schemes of a PostGIS source (``path = "postgresql://user@host:port/db"``)
POSTGIS_SCHEMES = ("postgresql://", "postgres://")

#: file names read as OpenStreetMap (GDAL's OSM driver): ``.osm`` XML and ``.osm.pbf``
OSM_SUFFIXES = (".osm", ".pbf")

_OSM_KEY = re.compile(r"[A-Za-z0-9_]+(?::[A-Za-z0-9_]+)*")
_OSM_EXAMPLE = 'osm = { amenity = ["school", "kindergarten"] } or osm = { highway = true }'


def is_osm_path(source: object) -> bool:
    """Whether a path names an OpenStreetMap file (``.osm``, ``.osm.pbf`` or ``.pbf``).

    Parameters
    ----------
    source
        A path or data source string.

    Returns
    -------
    bool
        True for the suffixes GDAL's OSM driver reads.
    """
    return str(source).lower().endswith(OSM_SUFFIXES)


def check_osm_tags(tags: object) -> dict[str, list[str] | bool]:
    """Check an OpenStreetMap tag filter; every problem has its fix in the message.

    Parameters
    ----------
    tags
        ``{key: [values] or True}``, e.g. ``{"amenity": ["school", "kindergarten"]}``.

    Returns
    -------
    dict
        The same filter, keys in their given order, values as lists of texts (repeats
        dropped) or ``True``.

    Raises
    ------
    ValueError
        If the filter is empty, a key is not an OSM key (``"amenity=school"``, spaces, ``*``),
        or a value is neither ``true`` nor a non-empty list of texts.
    """
    if not isinstance(tags, Mapping) or not tags:
        msg = f"the OSM tag filter must be a non-empty table of key = [values] or key = true, like {_OSM_EXAMPLE}"
        raise ValueError(msg)
    out: dict[str, list[str] | bool] = {}
    for key, values in tags.items():
        if not isinstance(key, str) or not _OSM_KEY.fullmatch(key):
            k, eq, v = str(key).partition("=")
            fix = f'; write {k.strip()} = ["{v.strip()}"]' if eq else ""
            msg = f"{key!r} is not an OSM tag key (letters, digits, _ and : only, like amenity or isced:level){fix}"
            raise ValueError(msg)
        if values is True:
            out[key] = True
        elif isinstance(values, str):
            msg = f'OSM tag {key}: give a list of values, {key} = ["{values}"], or {key} = true for any value'
            raise ValueError(msg)
        elif isinstance(values, Sequence) and values and all(isinstance(v, str) and v.strip() for v in values):
            out[key] = list(dict.fromkeys(values))
        else:
            msg = (
                f"OSM tag {key}: {values!r} is not a filter; give a non-empty list of texts "
                f'({key} = ["..."]) or {key} = true for any value'
            )
            raise ValueError(msg)
    return out


class JoinSpec(_Frozen):
    """A table (CSV or XLSX sheet) whose fields join a layer's features by a key column.

    Every feature keeps its place; table fields are added. Duplicate keys in the table are an
    error (which row?), features without a row and rows without a feature are reported.
    """

    path: str = Field(min_length=1, description="CSV or XLSX file, relative to the scenario file")
    on: str = Field(min_length=1, description="key column, in the layer and in the table")
    table_on: str | None = Field(default=None, description="key column of the table when named differently")
    sheet: str | None = Field(default=None, description="sheet of an XLSX file (the first by default)")
    fields: list[str] | None = Field(default=None, description="table fields to add (all by default)")


class LayerSpec(_Frozen):
    """A vector layer of the scenario.

    ``path`` is a file (relative to the scenario file), a GDAL data source string
    (``WFS:https://...``, ``OAPIF:https://...``) or a PostGIS database
    (``postgresql://user@host:port/db``) with ``table`` or ``sql``.
    """

    path: str = Field(
        min_length=1, description="file path (relative to the scenario file), WFS:/OAPIF: or postgresql://"
    )
    layer: str | None = Field(default=None, description="layer name in a multi-layer source")
    table: str | None = Field(default=None, min_length=1, description="PostGIS table or view: `name` or `schema.name`")
    sql: str | None = Field(default=None, min_length=1, description="PostGIS query returning one geometry column")
    where: str | None = Field(default=None, description="OGR SQL attribute filter")
    crs: str | None = Field(default=None, description="CRS to declare when the file has none")
    encoding: str | None = None
    lon_field: str | None = None
    lat_field: str | None = None
    sheet: str | None = Field(default=None, description="sheet of an XLSX layer (the first by default)")
    join: JoinSpec | None = Field(default=None, description="attribute table joined by a key column")
    id_field: str | None = Field(default=None, description="unique id column")
    name_field: str | None = None
    geometry: Literal["point", "line", "polygon", "polygon_or_point", "centroid", "any"] = Field(
        default="any", description="expected geometry; 'centroid' turns lines and polygons into their centroids"
    )
    osm: dict[str, list[str] | bool] | None = Field(
        default=None, description="OpenStreetMap tag filter for a .osm.pbf/.osm path: key = [values] or key = true"
    )
    osm_columns: list[str] = Field(default_factory=list, description="more OSM keys to keep as columns")

    @field_validator("osm", mode="before")
    @classmethod
    def _osm_filter(cls, value: Any) -> Any:
        return None if value is None else check_osm_tags(value)

    @field_validator("osm_columns", mode="before")
    @classmethod
    def _osm_keys(cls, value: Any) -> Any:
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            check_osm_tags(dict.fromkeys(value, True))
        return value

    @model_validator(mode="after")
    def _osm_needs_osm_file(self) -> LayerSpec:
        if is_osm_path(self.path) and self.osm is None:
            msg = f"{self.path!r} is an OpenStreetMap file: say which features to take with {_OSM_EXAMPLE}"
            raise ValueError(msg)
        if not is_osm_path(self.path) and (self.osm is not None or self.osm_columns):
            msg = f"`osm` and `osm_columns` are for OpenStreetMap files (.osm.pbf, .osm), not {self.path!r}"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _database_keys(self) -> LayerSpec:
        if self.path.lower().startswith(POSTGIS_SCHEMES):
            if (self.table is None) == (self.sql is None):
                msg = 'a postgresql:// layer needs exactly one of `table = "schema.name"` or `sql = "SELECT ..."`'
                raise ValueError(msg)
            if self.layer is not None:
                msg = 'a postgresql:// layer names its table with `table = "schema.name"`, not `layer`'
                raise ValueError(msg)
        elif self.table is not None or self.sql is not None:
            msg = '`table` and `sql` are for PostGIS layers (path = "postgresql://user@host:port/db")'
            raise ValueError(msg)
        return self

    @property
    def is_postgis(self) -> bool:
        """Whether the layer comes from a PostGIS database."""
        return self.path.lower().startswith(POSTGIS_SCHEMES)

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (redact(value) if name == "path" and isinstance(value, str) else value)


class ParcelLayerSpec(LayerSpec):
    """The candidate parcels: polygons with a unique id."""

    id_field: str = Field(min_length=1)
    geometry: Literal["polygon"] = "polygon"


class ZoneLayerSpec(LayerSpec):
    """Industrial zones: polygons, or points with an area to derive a disc footprint.

    Lines (zone outlines) are refused: a parcel inside an outline could not be told
    from one outside it. Point zones get a footprint: a 64-gon centred on the point
    whose area equals ``area_ha_field`` hectares.
    """

    id_field: str = Field(min_length=1)
    hazard_field: str | None = None
    default_hazard_class: str | None = None
    workers_field: str | None = None
    workers_estimated_field: str | None = Field(
        default=None,
        description="column marking worker counts that are estimates (1/true/yes); empty counts are always estimates",
    )
    phase_field: str | None = Field(default=None, description="plan phase of each zone (a name of [allocation] phases)")
    year_field: str | None = Field(default=None, description="opening year of each zone (phased allocation)")
    area_ha_field: str | None = Field(
        default=None, description="area in hectares, used to derive a disc footprint for point zones"
    )
    geometry: Literal["polygon", "point", "polygon_or_point"] = "polygon_or_point"


class Layers(_Frozen):
    """The scenario's layers: ``parcels`` is required, ``zones`` usual, others any name."""

    model_config = ConfigDict(frozen=True, extra="allow", strict=True, allow_inf_nan=False)

    parcels: ParcelLayerSpec
    zones: ZoneLayerSpec | None = None
    # the other layers, validated by pydantic so that errors say `layers.<name>.<field>`
    __pydantic_extra__: dict[str, LayerSpec] = Field(init=False)

    @model_validator(mode="before")
    @classmethod
    def _extra_are_layers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for k, v in data.items():
                if not isinstance(v, dict | LayerSpec):
                    msg = f"layers.{k} must be a table: write [layers.{k}] with at least `path = ...` (got {v!r})"
                    raise ValueError(msg)  # pydantic reports it as a ConfigError naming the scenario file
        return data

    def items(self) -> list[tuple[str, LayerSpec]]:
        """All declared layers as ``(name, spec)`` pairs, parcels first."""
        out: list[tuple[str, LayerSpec]] = [("parcels", self.parcels)]
        if self.zones is not None:
            out.append(("zones", self.zones))
        for name, spec in (self.model_extra or {}).items():
            if not isinstance(spec, LayerSpec):
                msg = f"layers.{name} must be a table with at least `path`"
                raise TypeError(msg)
            out.append((name, spec))
        return out

    def names(self) -> list[str]:
        """Names of all declared layers."""
        return [name for name, _ in self.items()]


class RasterSpec(_Frozen):
    """A single-band raster (any CRS GDAL knows)."""

    path: str = Field(min_length=1)
    band: int = Field(default=1, ge=1)
    unit: str = ""
