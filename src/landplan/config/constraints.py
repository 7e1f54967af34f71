"""Constraint specs: which parcels are excluded, one class per ``kind`` (a discriminated union).

Each spec is data: it knows the columns it needs (:meth:`required_columns`) and how to say
what it requires in words (:meth:`describe`); evaluating it on layers is
:mod:`landplan.constraints`' job.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from landplan._messages import N_
from landplan.config._base import _Frozen

__all__ = [
    "SPATIAL_KINDS",
    "AttributeConstraint",
    "ConstraintSpec",
    "ExclusionLayerConstraint",
    "IsolationConstraint",
    "MinAreaConstraint",
    "RasterConstraint",
]


#: how a spatial constraint acts: ``exclude`` drops the whole parcel (the default, as before
#: modes existed); ``subtract`` removes only the constrained part and keeps the rest
Mode = Literal["exclude", "subtract"]


class _ConstraintBase(_Frozen):
    def required_columns(self) -> dict[str, list[str]]:
        """Columns this constraint reads, by layer name (none by default)."""
        return {}

    def describe(self) -> str:  # pragma: no cover - every kind overrides it
        """One line saying what the constraint requires."""
        raise NotImplementedError


class IsolationConstraint(_ConstraintBase):
    """Exclude parcels inside a zone or within its isolation distance (by hazard class)."""

    kind: Literal["isolation"]
    layer: str = "zones"
    mode: Mode = "exclude"

    def describe(self) -> str:
        """One line saying what the constraint requires."""
        if self.mode == "subtract":
            return N_("the part of the parcel within the isolation distance of a zone in {layer} is removed").format(
                layer=repr(self.layer)
            )
        return N_("outside the isolation distance of every zone in {layer} (by hazard class)").format(
            layer=repr(self.layer)
        )


class MinAreaConstraint(_ConstraintBase):
    """Exclude parcels smaller than ``min_area_m2`` (their net area, after ``subtract`` constraints)."""

    kind: Literal["min_area"]
    min_area_m2: float = Field(gt=0)
    source: str = ""
    labels: dict[Literal["en", "vi"], str] = Field(default_factory=dict, description="`source` per output language")

    def describe(self) -> str:
        """One line saying what the constraint requires."""
        if self.source:
            return N_("area at least {area} m2 ({source})").format(area=f"{self.min_area_m2:g}", source=self.source)
        return N_("area at least {area} m2").format(area=f"{self.min_area_m2:g}")


class AttributeConstraint(_ConstraintBase):
    """Exclude parcels by a column: values in ``not_in``, or outside ``in``, or failing min/max."""

    kind: Literal["attribute"]
    field: str
    not_in: list[str | int | float] | None = None
    in_: list[str | int | float] | None = Field(default=None, alias="in")
    min: float | None = None
    max: float | None = None
    label: str = ""
    labels: dict[Literal["en", "vi"], str] = Field(default_factory=dict, description="label per output language")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _check(self) -> AttributeConstraint:
        if all(v is None for v in (self.not_in, self.in_, self.min, self.max)):
            msg = "an attribute constraint needs one of `not_in`, `in`, `min`, `max`"
            raise ValueError(msg)
        return self

    def required_columns(self) -> dict[str, list[str]]:
        """Columns this constraint reads: its parcel ``field``."""
        return {"parcels": [self.field]}

    def describe(self) -> str:
        """One line saying what the constraint requires."""
        parts = []
        if self.not_in is not None:
            parts.append(N_("{field} not in {values}").format(field=self.field, values=self.not_in))
        if self.in_ is not None:
            parts.append(N_("{field} in {values}").format(field=self.field, values=self.in_))
        if self.min is not None:
            parts.append(f"{self.field} >= {self.min:g}")
        if self.max is not None:
            parts.append(f"{self.field} <= {self.max:g}")
        text = " and ".join(parts)  # field tests, as in the scenario
        return N_("{label}: {rule}").format(label=self.label, rule=text) if self.label else text


class ExclusionLayerConstraint(_ConstraintBase):
    """Exclude parcels that overlap (or come within ``buffer_m`` of) a layer's features."""

    kind: Literal["exclusion_layer"]
    layer: str
    buffer_m: float = Field(default=0.0, ge=0)
    max_overlap_share: float = Field(default=0.0, ge=0, lt=1)
    label: str = ""
    labels: dict[Literal["en", "vi"], str] = Field(default_factory=dict, description="label per output language")
    mode: Mode = "exclude"

    @model_validator(mode="after")
    def _check(self) -> ExclusionLayerConstraint:
        if self.mode == "subtract" and self.max_overlap_share > 0:
            msg = "`max_overlap_share` applies to mode = 'exclude' only; with 'subtract' the overlap is removed"
            raise ValueError(msg)
        return self

    def describe(self) -> str:
        """One line saying what the constraint requires."""
        what = self.label or self.layer
        if self.buffer_m:
            what = N_("{what} (+{buffer} m)").format(what=what, buffer=f"{self.buffer_m:g}")
        if self.mode == "subtract":
            return N_("the part of the parcel overlapping {what} is removed").format(what=what)
        return N_("overlap with {what} at most {share} of area").format(
            what=what, share=f"{self.max_overlap_share:.0%}"
        )


class RasterConstraint(_ConstraintBase):
    """Exclude parcels by a raster statistic, e.g. share of area with flood depth > 0.5 m above 0.2.

    With ``mode = "subtract"`` the test applies to each cell instead: cells above ``threshold``
    (``share_above``), or above ``max`` / below ``min`` (other stats), are removed from the parcel.
    """

    kind: Literal["raster"]
    raster: str
    stat: Literal["mean", "min", "max", "share_above"] = "mean"
    threshold: float | None = None
    max: float | None = None
    min: float | None = None
    label: str = ""
    labels: dict[Literal["en", "vi"], str] = Field(default_factory=dict, description="label per output language")
    mode: Mode = "exclude"

    @model_validator(mode="after")
    def _check(self) -> RasterConstraint:
        bounded = self.max is not None or self.min is not None
        if self.mode == "subtract" and self.stat == "share_above":
            if bounded:
                msg = (
                    "with mode = 'subtract' and stat = 'share_above' the cells above `threshold` are removed; "
                    "`max`/`min` (limits on the share) apply to mode = 'exclude' only"
                )
                raise ValueError(msg)
        elif not bounded:
            msg = "a raster constraint needs `max` or `min`"
            raise ValueError(msg)
        if (self.stat == "share_above") != (self.threshold is not None):
            msg = "`threshold` is needed with stat = 'share_above' and only then"
            raise ValueError(msg)
        return self

    def describe(self) -> str:
        """One line saying what the constraint requires."""
        if self.mode == "subtract":
            return N_("cells of {raster} {test} are removed").format(
                raster=self.label or self.raster, test=self.failing_cells()
            )
        stat = {"mean": N_("mean"), "min": N_("minimum"), "max": N_("maximum")}.get(self.stat, "")
        if self.threshold is not None:
            stat = N_("share above {threshold}").format(threshold=f"{self.threshold:g}")
        low = f">= {self.min:g}" if self.min is not None else ""
        high = f"<= {self.max:g}" if self.max is not None else ""
        bounds = " ".join(b for b in (low, high) if b)
        return N_("{raster}: {stat} {bounds}").format(raster=self.label or self.raster, stat=stat, bounds=bounds)

    def failing_cells(self) -> str:
        """The cell test of ``subtract`` mode, in words (``"> 0.5"``, ``"< 2 or > 10"``)."""
        if self.threshold is not None:
            return f"> {self.threshold:g}"
        parts = [f"< {self.min:g}" if self.min is not None else "", f"> {self.max:g}" if self.max is not None else ""]
        return " or ".join(p for p in parts if p)


#: constraint kinds that can subtract (spatial constraints); the others always exclude
SPATIAL_KINDS = ("isolation", "exclusion_layer", "raster")

ConstraintSpec = Annotated[
    IsolationConstraint | MinAreaConstraint | AttributeConstraint | ExclusionLayerConstraint | RasterConstraint,
    Field(discriminator="kind"),
]
