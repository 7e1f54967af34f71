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

from landplan.config._base import _Frozen, select_text
from landplan.config.values import CategoricalValue, ValueSpec

__all__ = [
    "AccessCriterion",
    "AreaCriterion",
    "AttributeCriterion",
    "CountCriterion",
    "CoverageCriterion",
    "CriterionSpec",
    "DistanceCriterion",
    "RasterCriterion",
]

Selection = dict[str, str | int | float | list[str | int | float]]


class _CriterionBase(_Frozen):
    """What every criterion has: a name, a label, a unit, a weight and a value function."""

    #: unit of the raw value when ``unit`` is not given
    default_unit: ClassVar[str] = ""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="identifier used in output columns")
    label: str = ""
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

    default_unit: ClassVar[str] = "features"
    kind: Literal["count"]

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return f"number of features of {self._features()} within {self._radius()}"


class CoverageCriterion(_RadiusCriterion):
    """Share of the parcel's area within a radius of any selected feature of ``layer``."""

    default_unit: ClassVar[str] = "share"
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
    """Workers of the zones reachable from the parcel, summed with a distance decay."""

    default_unit: ClassVar[str] = "workers"
    kind: Literal["access"]
    layer: str | None = Field(default=None, description="zone layer; the scenario's zones when unset")
    decay: Literal["exponential", "gaussian", "cumulative"] = "exponential"
    scale_m: float = Field(gt=0, description="decay scale: e-folding, sigma or cut-off, metres")

    def describe(self) -> str:
        """One sentence saying what the criterion measures."""
        return (
            f"workers of {self.layer or 'zones'} within reach, weighted by {self.decay} decay "
            f"with scale {self.scale_m:g} m"
        )


AnyCriterionSpec = (
    DistanceCriterion
    | CountCriterion
    | CoverageCriterion
    | AttributeCriterion
    | AreaCriterion
    | RasterCriterion
    | AccessCriterion
)
#: one criterion of a scenario, chosen by its ``kind``
CriterionSpec = Annotated[AnyCriterionSpec, Field(discriminator="kind")]
