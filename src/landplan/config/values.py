"""Value functions: how a criterion's raw measure becomes a 0..1 value (discriminated on ``function``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from landplan.config._base import _Frozen

__all__ = [
    "AnyValueSpec",
    "BandValue",
    "CategoricalValue",
    "FuzzyValue",
    "GaussianValue",
    "IdentityValue",
    "LinearValue",
    "LogisticValue",
    "PowerValue",
    "StepValue",
    "ValueSpec",
]


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
