"""Criterion specs: what to measure for each parcel, one class per ``kind`` (a discriminated union).

Every kind shares a name, a label, a unit, a weight and a value function; each class adds only
the fields its kind uses and checks them. A spec is data: it knows the columns it needs
(:meth:`required_columns`) and how to say what it measures (:meth:`describe`); measuring is
:mod:`landplan.criteria`' job.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from landplan._messages import N_
from landplan.config._base import _Frozen, select_text
from landplan.config.values import CategoricalValue, ValueSpec

__all__ = [
    "AccessCriterion",
    "AreaCriterion",
    "AttributeCriterion",
    "CatchmentCriterion",
    "CountCriterion",
    "CoverageCriterion",
    "CriterionSpec",
    "DistanceCriterion",
    "RasterCriterion",
    "ReachableCriterion",
    "TravelCriterion",
    "TwoStepCriterion",
]

Selection = dict[str, str | int | float | list[str | int | float]]


class _CriterionBase(_Frozen):
    """What every criterion has: a name, a label, a unit, a weight and a value function."""

    #: unit of the raw value when ``unit`` is not given
    default_unit: ClassVar[str] = ""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="identifier used in output columns")
    label: str = ""
    unit: str = ""
    labels: dict[Literal["en", "vi"], str] = Field(
        default_factory=dict, description='label per output language, e.g. { vi = "..." }; else `label`'
    )
    units: dict[Literal["en", "vi"], str] = Field(
        default_factory=dict, description='unit per output language, e.g. { vi = "..." }; else `unit`'
    )
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
    def _check_value(self) -> _CriterionBase:
        if isinstance(self.value, CategoricalValue) and not isinstance(self, AttributeCriterion):
            msg = "a categorical value function applies to 'attribute' criteria only"
            raise ValueError(msg)
        return self

    @property
    def unit_label(self) -> str:
        """Unit of the raw value."""
        return self.unit or self.default_unit

    @property
    def title(self) -> str:
        """Human label (``label`` or the name)."""
        return self.label or self.name.replace("_", " ")

    def required_columns(self) -> dict[str, list[str]]:
        """Columns this criterion reads, by layer name (none by default)."""
        return {}

    def describe(self) -> str:  # pragma: no cover - every kind overrides it
        """One sentence saying what the criterion measures."""
        raise NotImplementedError


class _LayerCriterion(_CriterionBase):
    """A criterion measured against the (selected) features of a layer."""

    layer: str = Field(min_length=1, description="name of a [layers] entry")
    select: Selection = Field(default_factory=dict, description="column -> value(s) the features must have")
    outside: Literal["zero", "neutral"] = Field(
        default="zero",
        description=(
            "parcels wholly outside the layer's extent (convex hull + radius): 'zero' measures them as they "
            "are (usually the worst value); 'neutral' treats them as no data and gives them the median "
            "value of the parcels inside the extent"
        ),
    )

    def required_columns(self) -> dict[str, list[str]]:
        """Columns this criterion reads: the ``select`` columns of its layer."""
        return {self.layer: list(self.select)}

    def _features(self) -> str:
        chosen = select_text(self.select)
        return f"{self.layer}" + (f" ({chosen})" if chosen else "")


class _RadiusCriterion(_LayerCriterion):
    """A layer criterion with a search radius, given in metres or named in the rule pack."""

    radius_m: float | None = Field(default=None, gt=0)
    radius_rule: str | None = Field(default=None, description="service name in the rule pack")

    @model_validator(mode="after")
    def _one_radius(self) -> _RadiusCriterion:
        if (self.radius_m is None) == (self.radius_rule is None):
            msg = f"a {getattr(self, 'kind', '')!r} criterion needs exactly one of `radius_m` or `radius_rule`"
            raise ValueError(msg)
        return self

    def _radius(self) -> str:
        if self.radius_m is not None:
            return f"{self.radius_m:g} m"
        return f"the rule pack's {self.radius_rule!r} service radius"


class DistanceCriterion(_LayerCriterion):
    """Distance from the parcel to the nearest selected feature of ``layer``."""

    default_unit: ClassVar[str] = "m"
    kind: Literal["distance"]

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return f"distance to the nearest feature of {self._features()}"


class CountCriterion(_RadiusCriterion):
    """Number of selected features of ``layer`` within a radius of the parcel."""

    default_unit: ClassVar[str] = N_("features")
    kind: Literal["count"]

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return f"number of features of {self._features()} within {self._radius()}"


class CoverageCriterion(_RadiusCriterion):
    """Share of the parcel's area within a radius of any selected feature of ``layer``."""

    default_unit: ClassVar[str] = N_("share")
    kind: Literal["coverage"]

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return f"share of the parcel within {self._radius()} of a feature of {self._features()}"


class AttributeCriterion(_CriterionBase):
    """A parcel column, numeric or (with a categorical value function) a class."""

    kind: Literal["attribute"]
    field: str = Field(min_length=1, description="a parcel column")

    def required_columns(self) -> dict[str, list[str]]:
        """Columns this criterion reads: its parcel ``field``."""
        return {"parcels": [self.field]}

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return f"the parcel's {self.field!r} attribute"


class AreaCriterion(_CriterionBase):
    """The parcel's area."""

    default_unit: ClassVar[str] = "m2"
    kind: Literal["area"]

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return "the parcel's area"


class RasterCriterion(_CriterionBase):
    """A statistic of a raster over the parcel (mean, min, max or share above a threshold)."""

    kind: Literal["raster"]
    raster: str = Field(min_length=1, description="name of a [rasters] entry")
    stat: Literal["mean", "min", "max", "share_above"] = "mean"
    threshold: float | None = None

    @model_validator(mode="after")
    def _check(self) -> RasterCriterion:
        if (self.stat == "share_above") != (self.threshold is not None):
            msg = "`threshold` is needed with stat = 'share_above' and only then"
            raise ValueError(msg)
        return self

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        if self.stat == "share_above":
            return f"share of the parcel where raster {self.raster!r} is above {self.threshold:g}"
        return f"{self.stat} of raster {self.raster!r} over the parcel"


class AccessCriterion(_CriterionBase):
    """Workers of the zones reachable from the parcel, summed with a distance or travel-time decay.

    ``scale_m`` decays with the straight-line distance; ``scale_min`` with the travel time
    along the scenario's ``[network]`` (which it needs).
    """

    default_unit: ClassVar[str] = N_("workers")
    kind: Literal["access"]
    layer: str | None = Field(default=None, description="zone layer; the scenario's zones when unset")
    decay: Literal["exponential", "gaussian", "cumulative"] = "exponential"
    scale_m: float | None = Field(default=None, gt=0, description="decay scale: e-folding, sigma or cut-off, metres")
    scale_min: float | None = Field(default=None, gt=0, description="decay scale in minutes of network travel")

    @model_validator(mode="after")
    def _one_scale(self) -> AccessCriterion:
        if (self.scale_m is None) == (self.scale_min is None):
            msg = "an 'access' criterion needs exactly one of `scale_m` (straight line) or `scale_min` (network)"
            raise ValueError(msg)
        return self

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        scale = f"{self.scale_m:g} m" if self.scale_m is not None else f"{self.scale_min:g} min of network travel"
        return f"workers of {self.layer or 'zones'} within reach, weighted by {self.decay} decay with scale {scale}"


class _NetworkCriterion(_LayerCriterion):
    """A layer criterion measured along the scenario's ``[network]``: travel time or distance."""

    metric: Literal["time", "distance"] = "time"

    def _along(self) -> str:
        return "travel time" if self.metric == "time" else "network distance"


class _ThresholdCriterion(_NetworkCriterion):
    """A network criterion with a reach: ``within_min`` for time, ``within_m`` for distance."""

    within_min: float | None = Field(default=None, gt=0)
    within_m: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_threshold(self) -> _ThresholdCriterion:
        want = "within_min" if self.metric == "time" else "within_m"
        other = "within_m" if self.metric == "time" else "within_min"
        if getattr(self, want) is None or getattr(self, other) is not None:
            msg = f"a {getattr(self, 'kind', '')!r} criterion with metric = {self.metric!r} needs `{want}` (only)"
            raise ValueError(msg)
        return self

    @property
    def limit(self) -> float:
        """The reach in the graph's units: seconds (time) or metres (distance)."""
        return float(self.within_min) * 60.0 if self.within_min is not None else float(self.within_m or 0.0)

    def _reach(self) -> str:
        return f"{self.within_min:g} min" if self.within_min is not None else f"{self.within_m:g} m along the roads"


class TravelCriterion(_NetworkCriterion):
    """Travel time (minutes) or network distance (metres) from the parcel to the nearest feature."""

    kind: Literal["travel"]

    @property
    def unit_label(self) -> str:
        """Unit of the raw value."""
        return self.unit or ("min" if self.metric == "time" else "m")

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return f"{self._along()} to the nearest feature of {self._features()}"


class ReachableCriterion(_ThresholdCriterion):
    """Number of features reachable from the parcel within a travel time or network distance."""

    default_unit: ClassVar[str] = N_("features")
    kind: Literal["reachable"]

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return f"number of features of {self._features()} reachable within {self._reach()}"


class CatchmentCriterion(_ThresholdCriterion):
    """1 where the parcel lies in the network catchment of a feature (reached within the threshold), else 0."""

    default_unit: ClassVar[str] = N_("share")
    kind: Literal["catchment"]

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return f"1 if the parcel lies within {self._reach()} of a feature of {self._features()}, else 0"


class TwoStepCriterion(_ThresholdCriterion):
    """Capacity-aware access (two-step floating catchment, 2SFCA) to the features of ``layer``.

    Step 1: each facility's capacity divided by the future residents of the parcels within
    its catchment; step 2: each parcel sums the ratios of the facilities within its reach.
    Reported per ``per_residents`` residents.
    """

    default_unit: ClassVar[str] = N_("capacity per 1,000 residents")
    kind: Literal["two_step"]
    capacity_field: str | None = Field(default=None, description="facility column of capacity (seats, staff)")
    capacity_rule: str | None = Field(default=None, description="[facility_capacity] entry of the rule pack")
    population_field: str | None = Field(default=None, description="parcel column of residents (else derived)")
    per_residents: float = Field(default=1000.0, gt=0)

    @model_validator(mode="after")
    def _capacity(self) -> TwoStepCriterion:
        if self.capacity_field is None and self.capacity_rule is None:
            msg = "a 'two_step' criterion needs `capacity_field` or `capacity_rule` (or both: the rule fills gaps)"
            raise ValueError(msg)
        return self

    def required_columns(self) -> dict[str, list[str]]:
        """Columns this criterion reads: ``select`` and capacity columns, the parcels' population."""
        cols: dict[str, list[str]] = {
            self.layer: [*self.select, *([self.capacity_field] if self.capacity_field else [])]
        }
        if self.population_field:
            cols.setdefault("parcels", []).append(self.population_field)
        return cols

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return (
            f"capacity of {self._features()} per {self.per_residents:g} future residents within "
            f"{self._reach()} (two-step floating catchment)"
        )


AnyCriterionSpec = (
    DistanceCriterion
    | CountCriterion
    | CoverageCriterion
    | AttributeCriterion
    | AreaCriterion
    | RasterCriterion
    | AccessCriterion
    | TravelCriterion
    | ReachableCriterion
    | CatchmentCriterion
    | TwoStepCriterion
)
#: one criterion of a scenario, chosen by its ``kind``
CriterionSpec = Annotated[AnyCriterionSpec, Field(discriminator="kind")]
