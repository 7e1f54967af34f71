"""Scenario files (TOML) and rule packs, as frozen pydantic models.

A scenario names its layers (paths relative to the scenario file), the criteria with
their value functions and weights, the constraints, the working CRS and the outputs.
:func:`load_scenario` turns every mistake into one :class:`~landplan.errors.ConfigError`
that names the file and the field path (``criteria[2].value.lower``).
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from landplan.errors import ConfigError, RulePackError

__all__ = [
    "AggregationSpec",
    "AllocationSpec",
    "AttributeConstraint",
    "BandValue",
    "CategoricalValue",
    "CriterionSpec",
    "DemandSpec",
    "ExclusionLayerConstraint",
    "FuzzyValue",
    "GaussianValue",
    "IdentityValue",
    "IsolationConstraint",
    "LayerSpec",
    "LinearValue",
    "LogisticValue",
    "MinAreaConstraint",
    "OutputSpec",
    "PowerValue",
    "RasterConstraint",
    "RasterSpec",
    "RulePack",
    "RuleValue",
    "Scenario",
    "StepValue",
    "WeightingSpec",
    "ZoneLayerSpec",
    "load_rule_pack",
    "load_scenario",
    "read_toml",
]


class _Frozen(BaseModel):
    # strict: no silent coercion ("2" is not a number); no inf/nan anywhere in a scenario
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- rule packs


class RuleValue(_Frozen):
    """One number from a regulation or source, with its citation."""

    value: float = Field(ge=0)
    source: str = Field(min_length=1)
    url: str | None = None
    verified: bool
    note: str = ""


class RulePackMeta(_Frozen):
    """Who the rule pack is for and when it was compiled."""

    name: str
    title: str
    country: str = ""
    compiled: str = ""
    note: str = ""


class RulePack(_Frozen):
    """Numbers from norms: isolation distances by hazard class and service radii."""

    meta: RulePackMeta
    isolation_distance_m: dict[str, RuleValue] = Field(default_factory=dict)
    service_radius_m: dict[str, RuleValue] = Field(default_factory=dict)
    housing: dict[str, RuleValue] = Field(default_factory=dict)
    path: str = ""

    def housing_value(self, key: str) -> float:
        """A housing parameter (persons per unit, floor area per unit, ...).

        Raises
        ------
        RulePackError
            If the pack lacks it.
        """
        try:
            return self.housing[key].value
        except KeyError:
            msg = f"rule pack {self.meta.name!r} has no housing value {key!r}; set it in the scenario or the pack"
            raise RulePackError(msg) from None

    def isolation_m(self, hazard_class: str) -> float:
        """Isolation distance in metres for a hazard class.

        Raises
        ------
        RulePackError
            If the class is not in the pack.
        """
        try:
            return self.isolation_distance_m[hazard_class].value
        except KeyError:
            known = sorted(self.isolation_distance_m)
            msg = (
                f"rule pack {self.meta.name!r} has no isolation distance for hazard class "
                f"{hazard_class!r}; known classes: {known}"
            )
            raise RulePackError(msg) from None

    def radius_m(self, service: str) -> float:
        """Service radius in metres for a service name.

        Raises
        ------
        RulePackError
            If the service is not in the pack.
        """
        try:
            return self.service_radius_m[service].value
        except KeyError:
            known = sorted(self.service_radius_m)
            msg = f"rule pack {self.meta.name!r} has no service radius for {service!r}; known: {known}"
            raise RulePackError(msg) from None


def load_rule_pack(name_or_path: str | Path, *, base: Path | None = None) -> RulePack:
    """Load a rule pack: a built-in name (``"vn"``) or a TOML file path.

    Parameters
    ----------
    name_or_path
        Built-in pack name or path to a TOML rule pack.
    base
        Directory relative paths are resolved against (the scenario's folder).

    Raises
    ------
    RulePackError
        If the pack is unknown, unreadable or malformed.
    """
    text_path = str(name_or_path)
    builtin = resources.files("landplan") / "rules" / f"{text_path}.toml"
    if "/" not in text_path and "\\" not in text_path and not text_path.endswith(".toml"):
        if not builtin.is_file():
            available = sorted(
                p.name.removesuffix(".toml")
                for p in (resources.files("landplan") / "rules").iterdir()
                if p.name.endswith(".toml")
            )
            msg = f"unknown rule pack {text_path!r}; built-in packs: {available}, or give a path to a .toml file"
            raise RulePackError(msg)
        label, raw = f"built-in rule pack {text_path!r}", builtin.read_text(encoding="utf-8")
    else:
        path = Path(text_path)
        if base is not None and not path.is_absolute():
            path = base / path
        if not path.is_file():
            msg = f"rule pack file {path} not found"
            raise RulePackError(msg)
        label, raw = str(path), path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{label}: not valid TOML ({exc})"
        raise RulePackError(msg) from exc
    try:
        return RulePack.model_validate({**data, "path": label})
    except pydantic.ValidationError as exc:
        msg = f"{label}: {_format_errors(exc)}"
        raise RulePackError(msg) from exc


# --------------------------------------------------------------------------- layers


class LayerSpec(_Frozen):
    """A vector layer of the scenario."""

    path: str = Field(min_length=1, description="file path, relative to the scenario file")
    layer: str | None = Field(default=None, description="layer name in a multi-layer source")
    where: str | None = Field(default=None, description="OGR SQL attribute filter")
    crs: str | None = Field(default=None, description="CRS to declare when the file has none")
    encoding: str | None = None
    lon_field: str | None = None
    lat_field: str | None = None
    id_field: str | None = Field(default=None, description="unique id column")
    name_field: str | None = None
    geometry: Literal["point", "line", "polygon", "polygon_or_point", "any"] = "any"


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


#: files beside a layer or raster that GDAL reads with it (same stem, these suffixes)
_SIDECARS = {
    ".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".fbn", ".fbx", ".ain", ".aih", ".atx",
    ".ixs", ".mxs", ".qmd", ".tfw", ".tifw", ".tiffw", ".wld", ".jgw", ".pgw", ".ovr", ".msk", ".rrd", ".aux",
}  # fmt: skip


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


# --------------------------------------------------------------------------- value functions


class LinearValue(_Frozen):
    """0 at ``lower`` and 1 at ``upper`` (or the reverse when ``increasing`` is false), clipped."""

    function: Literal["linear"]
    lower: float
    upper: float
    increasing: bool = True

    @model_validator(mode="after")
    def _check(self) -> LinearValue:
        if not self.lower < self.upper:
            msg = f"lower ({self.lower}) must be smaller than upper ({self.upper})"
            raise ValueError(msg)
        return self


class BandValue(_Frozen):
    """1 inside [``ideal_low``, ``ideal_high``], ramping linearly to 0 at ``lower`` and ``upper``."""

    function: Literal["band"]
    lower: float
    ideal_low: float
    ideal_high: float
    upper: float

    @model_validator(mode="after")
    def _check(self) -> BandValue:
        if not (self.lower <= self.ideal_low <= self.ideal_high <= self.upper and self.lower < self.upper):
            msg = (
                "band needs lower <= ideal_low <= ideal_high <= upper and lower < upper, got "
                f"{self.lower}, {self.ideal_low}, {self.ideal_high}, {self.upper}"
            )
            raise ValueError(msg)
        return self


class StepValue(_Frozen):
    """A step table: the value of the first threshold the raw value meets.

    With ``mode = "at_most"`` (distances), ``x <= thresholds[i]`` gives ``values[i]``,
    thresholds ascending; with ``"at_least"`` (counts), ``x >= thresholds[i]``,
    thresholds descending. Values that meet no threshold get ``otherwise``.
    """

    function: Literal["step"]
    thresholds: list[float] = Field(min_length=1)
    values: list[Annotated[float, Field(ge=0, le=1)]] = Field(min_length=1)
    otherwise: float = Field(default=0.0, ge=0, le=1)
    mode: Literal["at_most", "at_least"] = "at_most"

    @model_validator(mode="after")
    def _check(self) -> StepValue:
        if len(self.thresholds) != len(self.values):
            msg = f"thresholds ({len(self.thresholds)}) and values ({len(self.values)}) must have the same length"
            raise ValueError(msg)
        pairs = list(zip(self.thresholds, self.thresholds[1:], strict=False))
        ok = all(a < b for a, b in pairs) if self.mode == "at_most" else all(a > b for a, b in pairs)
        if not ok:
            order = "ascending" if self.mode == "at_most" else "descending"
            msg = f"thresholds must be strictly {order} for mode {self.mode!r}, got {self.thresholds}"
            raise ValueError(msg)
        return self


class IdentityValue(_Frozen):
    """The raw value itself, clipped to 0..1 (for shares such as coverage)."""

    function: Literal["identity"]


class PowerValue(_Frozen):
    """``((x - lower) / (upper - lower)) ** exponent`` clipped to 0..1 (reversed if not ``increasing``)."""

    function: Literal["power"]
    lower: float
    upper: float
    exponent: float = Field(gt=0)
    increasing: bool = True

    @model_validator(mode="after")
    def _check(self) -> PowerValue:
        if not self.lower < self.upper:
            msg = f"lower ({self.lower}) must be smaller than upper ({self.upper})"
            raise ValueError(msg)
        return self


class FuzzyValue(_Frozen):
    """Fuzzy membership (ArcGIS 'small'/'large'): ``1 / (1 + (x / midpoint) ** -spread)`` for large.

    ``fuzzy_large`` rises through 0.5 at ``midpoint``; ``fuzzy_small`` falls through 0.5 there.
    ``spread`` sets the steepness (> 0). Values <= 0 give 0 (large) or 1 (small).
    """

    function: Literal["fuzzy_small", "fuzzy_large"]
    midpoint: float = Field(gt=0)
    spread: float = Field(gt=0)


class GaussianValue(_Frozen):
    """1 at ``ideal``, ``exp(-0.5 * ((x - ideal) / spread) ** 2)`` around it (``spread`` > 0)."""

    function: Literal["gaussian"]
    ideal: float
    spread: float = Field(gt=0)


class LogisticValue(_Frozen):
    """Logistic growth (``increasing``) or decay through 0.5 at ``midpoint``; ``steepness`` > 0 per unit."""

    function: Literal["logistic"]
    midpoint: float
    steepness: float = Field(gt=0)
    increasing: bool = True


class CategoricalValue(_Frozen):
    """A value per category (land-use class -> value); others get ``default`` (None: no value)."""

    function: Literal["categorical"]
    values: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(min_length=1)
    default: float | None = Field(default=None, ge=0, le=1)


AnyValueSpec = (
    LinearValue
    | BandValue
    | StepValue
    | IdentityValue
    | PowerValue
    | FuzzyValue
    | GaussianValue
    | LogisticValue
    | CategoricalValue
)
ValueSpec = Annotated[AnyValueSpec, Field(discriminator="function")]


# --------------------------------------------------------------------------- criteria


class CriterionSpec(_Frozen):
    """One criterion: how to measure it, how to value it, its weight."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="identifier used in output columns")
    kind: Literal["distance", "count", "coverage", "attribute", "area", "raster", "access"]
    label: str = ""
    layer: str | None = None
    select: dict[str, str | int | float | list[str | int | float]] = Field(default_factory=dict)
    field: str | None = None
    radius_m: float | None = Field(default=None, gt=0)
    radius_rule: str | None = Field(default=None, description="service name in the rule pack")
    raster: str | None = Field(default=None, description="name of a [rasters] entry")
    stat: Literal["mean", "min", "max", "share_above"] = "mean"
    threshold: float | None = None
    decay: Literal["exponential", "gaussian", "cumulative"] = "exponential"
    scale_m: float | None = Field(default=None, gt=0, description="decay scale: e-folding, sigma or cut-off, metres")
    unit: str = ""
    weight: float | None = None
    value: ValueSpec

    @field_validator("weight")
    @classmethod
    def _positive_weight(cls, weight: float | None) -> float | None:
        if weight is not None and not (weight > 0 and math.isfinite(weight)):
            msg = (
                f"weight must be > 0, got {weight}; remove the criterion instead of "
                "giving it a zero or negative weight (use a decreasing value function to prefer low values)"
            )
            raise ValueError(msg)
        return weight

    @model_validator(mode="after")
    def _check(self) -> CriterionSpec:
        needs_layer = self.kind in {"distance", "count", "coverage"}
        if needs_layer and not self.layer:
            msg = f"a {self.kind!r} criterion needs `layer`"
            raise ValueError(msg)
        if self.kind in {"count", "coverage"} and (self.radius_m is None) == (self.radius_rule is None):
            msg = f"a {self.kind!r} criterion needs exactly one of `radius_m` or `radius_rule`"
            raise ValueError(msg)
        if self.kind == "attribute" and not self.field:
            msg = "an 'attribute' criterion needs `field` (a parcel column)"
            raise ValueError(msg)
        if self.kind == "raster":
            if not self.raster:
                msg = "a 'raster' criterion needs `raster` (a name under [rasters])"
                raise ValueError(msg)
            if (self.stat == "share_above") != (self.threshold is not None):
                msg = "`threshold` is needed with stat = 'share_above' and only then"
                raise ValueError(msg)
        if self.kind == "access" and self.scale_m is None:
            msg = "an 'access' criterion needs `scale_m` (decay scale in metres)"
            raise ValueError(msg)
        if isinstance(self.value, CategoricalValue) and self.kind != "attribute":
            msg = "a categorical value function applies to 'attribute' criteria only"
            raise ValueError(msg)
        return self

    @property
    def unit_label(self) -> str:
        """Unit of the raw value."""
        default = {"distance": "m", "count": "features", "coverage": "share", "area": "m2", "access": "workers"}
        return self.unit or default.get(self.kind, "")

    @property
    def title(self) -> str:
        """Human label (``label`` or the name)."""
        return self.label or self.name.replace("_", " ")


# --------------------------------------------------------------------------- constraints


class IsolationConstraint(_Frozen):
    """Exclude parcels inside a zone or within its isolation distance (by hazard class)."""

    kind: Literal["isolation"]
    layer: str = "zones"


class MinAreaConstraint(_Frozen):
    """Exclude parcels smaller than ``min_area_m2``."""

    kind: Literal["min_area"]
    min_area_m2: float = Field(gt=0)
    source: str = ""


class AttributeConstraint(_Frozen):
    """Exclude parcels by a column: values in ``not_in``, or outside ``in``, or failing min/max."""

    kind: Literal["attribute"]
    field: str
    not_in: list[str | int | float] | None = None
    in_: list[str | int | float] | None = Field(default=None, alias="in")
    min: float | None = None
    max: float | None = None
    label: str = ""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _check(self) -> AttributeConstraint:
        if all(v is None for v in (self.not_in, self.in_, self.min, self.max)):
            msg = "an attribute constraint needs one of `not_in`, `in`, `min`, `max`"
            raise ValueError(msg)
        return self


class ExclusionLayerConstraint(_Frozen):
    """Exclude parcels that overlap (or come within ``buffer_m`` of) a layer's features."""

    kind: Literal["exclusion_layer"]
    layer: str
    buffer_m: float = Field(default=0.0, ge=0)
    max_overlap_share: float = Field(default=0.0, ge=0, lt=1)
    label: str = ""


class RasterConstraint(_Frozen):
    """Exclude parcels by a raster statistic, e.g. share of area with flood depth > 0.5 m above 0.2."""

    kind: Literal["raster"]
    raster: str
    stat: Literal["mean", "min", "max", "share_above"] = "mean"
    threshold: float | None = None
    max: float | None = None
    min: float | None = None
    label: str = ""

    @model_validator(mode="after")
    def _check(self) -> RasterConstraint:
        if self.max is None and self.min is None:
            msg = "a raster constraint needs `max` or `min`"
            raise ValueError(msg)
        if (self.stat == "share_above") != (self.threshold is not None):
            msg = "`threshold` is needed with stat = 'share_above' and only then"
            raise ValueError(msg)
        return self


ConstraintSpec = Annotated[
    IsolationConstraint | MinAreaConstraint | AttributeConstraint | ExclusionLayerConstraint | RasterConstraint,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- scenario


class RasterSpec(_Frozen):
    """A single-band raster (any CRS GDAL knows)."""

    path: str = Field(min_length=1)
    band: int = Field(default=1, ge=1)
    unit: str = ""


def _parse_judgement(value: float | str) -> float:
    if isinstance(value, str):
        text = value.strip()
        if "/" in text:
            num, _, den = text.partition("/")
            return float(num) / float(den)
        return float(text)
    return float(value)


class WeightingSpec(_Frozen):
    """How weights are set: direct (per criterion), AHP pairwise matrix, or from a rank order."""

    method: Literal["direct", "ahp", "rank_order_centroid", "rank_sum"] = "direct"
    criteria: list[str] | None = Field(default=None, description="AHP: criterion names in matrix order")
    matrix: list[list[float]] | None = Field(default=None, description="AHP: Saaty 1-9 judgements; '1/3' allowed")
    order: list[str] | None = Field(default=None, description="rank methods: most important first")
    max_cr: float | None = Field(default=None, gt=0, description="AHP consistency-ratio limit (rule data default)")
    on_inconsistent: Literal["error", "warn"] = "error"

    @field_validator("matrix", mode="before")
    @classmethod
    def _fractions(cls, value: Any) -> Any:
        if isinstance(value, list):
            try:
                return [[_parse_judgement(v) for v in row] if isinstance(row, list) else row for row in value]
            except (ValueError, ZeroDivisionError) as exc:
                msg = f"matrix entries must be numbers or fractions like '1/3' ({exc})"
                raise ValueError(msg) from None
        return value

    @model_validator(mode="after")
    def _check(self) -> WeightingSpec:
        if self.method == "ahp" and (self.criteria is None or self.matrix is None):
            msg = "AHP weighting needs `criteria` and `matrix`"
            raise ValueError(msg)
        if self.method.startswith("rank_") and not self.order:
            msg = f"{self.method} weighting needs `order` (criterion names, most important first)"
            raise ValueError(msg)
        return self


class AggregationSpec(_Frozen):
    """How 0..1 values and weights combine into a score."""

    method: Literal["weighted_sum", "weighted_product", "topsis"] = "weighted_sum"


class DemandSpec(_Frozen):
    """Worker housing demand per zone; unset numbers come from the rule pack's [housing] table."""

    share_needing_housing: float | None = Field(default=None, ge=0, le=1)
    share_already_housed: float | None = Field(default=None, ge=0, le=1)
    persons_per_unit: float | None = Field(default=None, gt=0)
    gfa_per_unit_m2: float | None = Field(default=None, gt=0)
    buildable_share: float | None = Field(default=None, gt=0, le=1)
    floor_area_ratio: float | None = Field(default=None, gt=0)
    workers_per_ha: float | None = Field(default=None, gt=0)
    existing_housing_layer: str | None = Field(default=None, description="layer with existing worker housing")
    existing_units_field: str = "units"
    capacity_field: str | None = Field(default=None, description="parcel column with capacity in units")


class AllocationSpec(_Frozen):
    """Capacity-aware assignment of zone demand to parcels."""

    max_commute_m: float | None = Field(default=None, gt=0)
    commute_weight: float = Field(default=0.5, ge=0)
    suitability_weight: float = Field(default=0.5, ge=0)
    unmet_penalty: float = Field(default=10.0, gt=0, description="cost per unmet unit (>> per-unit costs of 0..1)")
    land_budget_ha: float | None = Field(default=None, gt=0)
    min_site_ha: float | None = Field(default=None, gt=0)
    max_sites: int | None = Field(default=None, ge=1)
    must_use: list[str] = Field(default_factory=list)
    must_not_use: list[str] = Field(default_factory=list)
    max_unmet_share: float | None = Field(default=None, ge=0, le=1, description="fairness: per-zone cap on unmet share")
    solver: Literal["milp", "greedy", "auto"] = "auto"
    time_limit_s: float = Field(default=60.0, gt=0)
    mip_gap: float = Field(default=0.01, ge=0, lt=1)
    auto_greedy_above: int = Field(default=200_000, ge=1, description="auto: greedy above this many parcel-zone pairs")

    @model_validator(mode="after")
    def _check(self) -> AllocationSpec:
        if both := sorted(set(self.must_use) & set(self.must_not_use)):
            msg = f"parcels {both} are in both must_use and must_not_use; remove them from one list"
            raise ValueError(msg)
        if self.commute_weight + self.suitability_weight <= 0:
            msg = "commute_weight + suitability_weight must be > 0"
            raise ValueError(msg)
        return self


class OutputSpec(_Frozen):
    """What `landplan run`/`demo` writes."""

    formats: list[Literal["csv", "gpkg", "geojson", "parquet"]] = ["csv", "gpkg"]
    map: bool = True
    top: int = Field(default=20, ge=1)
    classification: Literal["quantiles", "natural_breaks", "equal_interval"] = "quantiles"
    offline: bool = Field(default=False, description="self-contained map with no network request (no web tiles)")
    tile_url: str | None = Field(
        default=None,
        description="local tile server URL template for offline maps, e.g. http://gis.local/{z}/{x}/{y}.png",
    )
    report: bool = True
    cards: int = Field(default=10, ge=1, description="parcels with a score card in the report")
    sensitivity_runs: int = Field(default=500, ge=0, description="Monte-Carlo weight draws charted in the report")


class ScenarioMeta(_Frozen):
    """Name, description and global settings."""

    name: str
    description: str = ""
    crs: str | None = Field(default=None, description="working CRS in metres; estimated UTM when unset")
    rule_pack: str = "vn"
    top_drivers: int = Field(default=2, ge=1)
    misplaced_features: Literal["error", "warning"] = Field(
        default="error",
        description="features at (0, 0), far from the rest of their layer or outside the working CRS",
    )


class Scenario(_Frozen):
    """A whole scenario, with the folder its relative paths are resolved against."""

    scenario: ScenarioMeta
    layers: Layers
    rasters: dict[str, RasterSpec] = Field(default_factory=dict)
    criteria: list[CriterionSpec] = Field(min_length=1)
    constraints: list[ConstraintSpec] = Field(default_factory=list)
    weighting: WeightingSpec = Field(default_factory=WeightingSpec)
    aggregation: AggregationSpec = Field(default_factory=AggregationSpec)
    demand: DemandSpec = Field(default_factory=DemandSpec)
    allocation: AllocationSpec | None = None
    output: OutputSpec = Field(default_factory=OutputSpec)
    base_dir: Path = Field(default=Path(), exclude=True)
    source: str = Field(default="<memory>", exclude=True)

    @model_validator(mode="after")
    def _cross_check(self) -> Scenario:
        names = [c.name for c in self.criteria]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            msg = f"criterion names must be unique; repeated: {dupes}"
            raise ValueError(msg)
        layers = set(self.layers.names())
        w = self.weighting
        if w.method == "direct":
            if missing := [c.name for c in self.criteria if c.weight is None]:
                msg = f"direct weighting needs `weight` on every criterion; missing on {missing}"
                raise ValueError(msg)
        else:
            listed = w.criteria if w.method == "ahp" else w.order
            if sorted(listed or []) != sorted(names):
                msg = f"weighting.{'criteria' if w.method == 'ahp' else 'order'} must list each criterion once: {names}"
                raise ValueError(msg)
            if given := [c.name for c in self.criteria if c.weight is not None]:
                msg = f"criteria {given} have `weight` but weighting.method is {w.method!r}; remove one or the other"
                raise ValueError(msg)
        for i, c in enumerate(self.criteria):
            if c.raster is not None and c.raster not in self.rasters:
                msg = f"criteria[{i}] ({c.name}): raster {c.raster!r} is not declared under [rasters]"
                raise ValueError(msg)
            if c.kind == "access" and c.layer is None and self.layers.zones is None:
                msg = f"criteria[{i}] ({c.name}): an access criterion needs a [layers.zones] table"
                raise ValueError(msg)
            if c.layer is not None and c.layer not in layers:
                msg = (
                    f"criteria[{i}] ({c.name}): layer {c.layer!r} is not declared under [layers]; "
                    f"declared: {sorted(layers)}"
                )
                raise ValueError(msg)
        existing = self.demand.existing_housing_layer
        if existing is not None and existing not in layers:
            msg = f"demand.existing_housing_layer {existing!r} is not declared under [layers]"
            raise ValueError(msg)
        if self.allocation is not None and self.layers.zones is None:
            msg = "allocation needs a [layers.zones] table"
            raise ValueError(msg)
        for i, k in enumerate(self.constraints):
            if isinstance(k, RasterConstraint) and k.raster not in self.rasters:
                msg = f"constraints[{i}] (raster): raster {k.raster!r} is not declared under [rasters]"
                raise ValueError(msg)
            layer = getattr(k, "layer", None)
            if layer is not None and layer not in layers:
                msg = (
                    f"constraints[{i}] ({k.kind}): layer {layer!r} is not declared under [layers]; "
                    f"declared: {sorted(layers)}"
                )
                raise ValueError(msg)
            if isinstance(k, IsolationConstraint) and layer == "zones" and self.layers.zones is None:
                msg = f"constraints[{i}] (isolation) needs a [layers.zones] table"
                raise ValueError(msg)
        return self

    def layer_path(self, name: str) -> Path | str:
        """Absolute path of a layer's source (connection strings are returned as they are)."""
        spec = dict(self.layers.items())[name]
        if ":" in spec.path and not Path(spec.path).drive:  # PG:..., postgresql://...
            return spec.path
        path = Path(spec.path)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def raster_path(self, name: str) -> Path:
        """Absolute path of a raster."""
        path = Path(self.rasters[name].path)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def rule_pack_path(self) -> Path | None:
        """The rule pack's file, or ``None`` for a built-in pack (same rule as :func:`load_rule_pack`)."""
        text = self.scenario.rule_pack
        if "/" not in text and "\\" not in text and not text.endswith(".toml"):
            return None
        path = Path(text)
        return (path if path.is_absolute() else self.base_dir / path).resolve()

    def input_paths(self) -> list[Path]:
        """Every file the run reads (for output-path safety checks).

        The scenario, the rule pack file, every layer and raster file, and their
        sidecars: files with the same stem and a sidecar suffix (shapefile
        ``.shx``/``.dbf``/``.prj``/``.cpg``, world files) and files named after the whole
        file (``.aux.xml``, ``.shp.xml``, GeoPackage ``-wal``/``-shm``).
        """
        paths = [p for name in self.layers.names() if isinstance(p := self.layer_path(name), Path)]
        paths += [self.raster_path(name) for name in self.rasters]
        siblings: list[Path] = []
        for p in paths:
            if not p.parent.is_dir():
                continue
            stem, name = p.stem.lower(), p.name.lower()
            siblings += [
                q.resolve()
                for q in p.parent.iterdir()
                if (q.stem.lower() == stem and q.suffix.lower() in _SIDECARS) or q.name.lower().startswith(name)
            ]
        paths += siblings
        if (pack := self.rule_pack_path()) is not None:
            paths.append(pack)
        if self.source != "<memory>":
            paths.append(Path(self.source).resolve())
        return list(dict.fromkeys(paths))

    @property
    def weights(self) -> dict[str, float]:
        """Normalised weights by criterion name (they sum to 1), by the scenario's weighting method.

        Raises
        ------
        InputError
            If an AHP matrix is malformed or too inconsistent (see :mod:`landplan.scoring.weights`).
        """
        from landplan.scoring.weights import scenario_weights

        return scenario_weights(self).weights


_TAGS = {
    "linear",
    "band",
    "step",
    "identity",
    "power",
    "fuzzy_small",
    "fuzzy_large",
    "gaussian",
    "logistic",
    "categorical",
    "isolation",
    "min_area",
    "attribute",
    "exclusion_layer",
    "raster",
}


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _TAGS and i > 0 and (isinstance(loc[i - 1], int) or loc[i - 1] == "value"):
            continue  # discriminator tags pydantic inserts into the path
        elif part.startswith(("function-", "union[")):
            continue
        else:
            out += f".{part}" if out else part
    return out


def _format_errors(exc: pydantic.ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = _format_loc(tuple(err["loc"]))
        text = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            text = "unknown key (check the spelling; see the scenario reference in README)"
        elif err["type"] == "missing":
            text = "required key is missing"
        parts.append(f"{loc}: {text}" if loc else text)
    return "; ".join(parts)


def scenario_from_dict(data: dict[str, Any], *, base_dir: Path | None = None, source: str = "<memory>") -> Scenario:
    """Build a :class:`Scenario` from a parsed TOML/dict (paths relative to ``base_dir``).

    Raises
    ------
    ConfigError
        Naming ``source`` and every wrong field path.
    """
    try:
        return Scenario.model_validate({**data, "base_dir": base_dir or Path.cwd(), "source": source})
    except pydantic.ValidationError as exc:
        msg = f"{source}: {_format_errors(exc)}"
        raise ConfigError(msg) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a UTF-8 TOML file (scenario, AHP matrix) into a dict.

    Raises
    ------
    ConfigError
        If the file cannot be read, is not UTF-8 text or is not TOML (naming the file).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8"
        raise ConfigError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read the file ({exc.strerror})"
        raise ConfigError(msg) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML ({exc}); see the scenario reference in README"
        raise ConfigError(msg) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a TOML scenario file.

    Parameters
    ----------
    path
        The scenario file; layer paths inside it are relative to its folder.

    Returns
    -------
    Scenario
        Frozen, validated model.

    Raises
    ------
    ConfigError
        If the file is missing, not TOML, or any field is wrong (the message names the
        file and the field path).

    Examples
    --------
    >>> from landplan import datasets
    >>> s = load_scenario(datasets.demo_scenario())
    >>> s.scenario.name
    'Hanoi demo: social housing for industrial-zone workers'
    """
    path = Path(path)
    if not path.is_file():
        msg = f"scenario file {path} not found"
        raise ConfigError(msg)
    data = read_toml(path)
    return scenario_from_dict(data, base_dir=path.resolve().parent, source=str(path))
