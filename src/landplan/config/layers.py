"""Layer and raster specs: where the scenario's inputs are and which columns mean what."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from landplan.config._base import _Frozen
from landplan.errors import redact

__all__ = ["POSTGIS_SCHEMES", "LayerSpec", "Layers", "ParcelLayerSpec", "RasterSpec", "ZoneLayerSpec"]


#: schemes of a PostGIS source (``path = "postgresql://user@host:port/db"``)
POSTGIS_SCHEMES = ("postgresql://", "postgres://")


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
    id_field: str | None = Field(default=None, description="unique id column")
    name_field: str | None = None
    geometry: Literal["point", "line", "polygon", "polygon_or_point", "any"] = "any"

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
    area_ha_field: str | None = Field(
        default=None, description="area in hectares, used to derive a disc footprint for point zones"
    )
    geometry: Literal["polygon", "point", "polygon_or_point"] = "polygon_or_point"


class Layers(_Frozen):
    """The scenario's layers: ``parcels`` is required, ``zones`` usual, others any name."""

    model_config = ConfigDict(frozen=True, extra="allow", strict=True, allow_inf_nan=False)

    parcels: ParcelLayerSpec
    zones: ZoneLayerSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _extra_are_layers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for k, v in data.items():
                if not isinstance(v, dict | LayerSpec):
                    msg = f"layers.{k} must be a table: write [layers.{k}] with at least `path = ...` (got {v!r})"
                    raise ValueError(msg)  # pydantic reports it as a ConfigError naming the scenario file
            return {
                k: (LayerSpec.model_validate(v) if k not in {"parcels", "zones"} and isinstance(v, dict) else v)
                for k, v in data.items()
            }
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
