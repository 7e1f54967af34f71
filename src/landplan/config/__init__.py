"""Scenario files (TOML) and rule packs, as frozen pydantic models: data only.

A scenario names its layers (paths relative to the scenario file), the criteria with
their value functions and weights, the constraints, the working CRS and the outputs.
:func:`load_scenario` turns every mistake into one :class:`~landplan.errors.ConfigError`
that names the file and the field path (``criteria[2].value.lower``).

Modules: :mod:`~landplan.config.rules` (rule packs), :mod:`~landplan.config.values` (value
functions), :mod:`~landplan.config.criteria` and :mod:`~landplan.config.constraints` (one spec
class per kind), :mod:`~landplan.config.layers` (layer and raster specs), :mod:`~landplan.config.settings`
(weighting, demand, allocation, output tables) and :mod:`~landplan.config.scenario` (the
scenario and reading it). This package re-exports them.
"""

from __future__ import annotations

from landplan.config._base import _Frozen, select_text
from landplan.config._errors import _format_errors, _format_loc
from landplan.config.constraints import (
    AttributeConstraint,
    ConstraintSpec,
    ExclusionLayerConstraint,
    IsolationConstraint,
    MinAreaConstraint,
    RasterConstraint,
)
from landplan.config.criteria import (
    AccessCriterion,
    AnyCriterionSpec,
    AreaCriterion,
    AttributeCriterion,
    CatchmentCriterion,
    CountCriterion,
    CoverageCriterion,
    CriterionSpec,
    DistanceCriterion,
    RasterCriterion,
    ReachableCriterion,
    TravelCriterion,
    TwoStepCriterion,
)
from landplan.config.layers import (
    POSTGIS_SCHEMES,
    JoinSpec,
    Layers,
    LayerSpec,
    ParcelLayerSpec,
    RasterSpec,
    ZoneLayerSpec,
)
from landplan.config.network import Metric, NetworkSpec, TravelMode
from landplan.config.rules import (
    ModeRules,
    RulePack,
    RulePackMeta,
    RuleValue,
    is_builtin_pack,
    load_rule_pack,
    rule_pack_file,
)
from landplan.config.scenario import NETWORK_KINDS, Scenario, load_scenario, read_toml, scenario_from_dict
from landplan.config.settings import (
    AggregationSpec,
    AllocationSpec,
    ComputeSpec,
    DemandSpec,
    FacilitiesSpec,
    OutputSpec,
    PhaseSpec,
    ScenarioMeta,
    SitesSpec,
    WeightingSpec,
)
from landplan.config.values import (
    AnyValueSpec,
    BandValue,
    CategoricalValue,
    FuzzyValue,
    GaussianValue,
    IdentityValue,
    LinearValue,
    LogisticValue,
    PowerValue,
    StepValue,
    ValueSpec,
)

__all__ = [
    "NETWORK_KINDS",
    "POSTGIS_SCHEMES",
    "AccessCriterion",
    "AggregationSpec",
    "AllocationSpec",
    "AnyCriterionSpec",
    "AnyValueSpec",
    "AreaCriterion",
    "AttributeConstraint",
    "AttributeCriterion",
    "BandValue",
    "CatchmentCriterion",
    "CategoricalValue",
    "ComputeSpec",
    "ConstraintSpec",
    "CountCriterion",
    "CoverageCriterion",
    "CriterionSpec",
    "DemandSpec",
    "DistanceCriterion",
    "ExclusionLayerConstraint",
    "FacilitiesSpec",
    "FuzzyValue",
    "GaussianValue",
    "IdentityValue",
    "IsolationConstraint",
    "JoinSpec",
    "LayerSpec",
    "Layers",
    "LinearValue",
    "LogisticValue",
    "Metric",
    "MinAreaConstraint",
    "ModeRules",
    "NetworkSpec",
    "OutputSpec",
    "ParcelLayerSpec",
    "PhaseSpec",
    "PowerValue",
    "RasterConstraint",
    "RasterCriterion",
    "RasterSpec",
    "ReachableCriterion",
    "RulePack",
    "RulePackMeta",
    "RuleValue",
    "Scenario",
    "ScenarioMeta",
    "SitesSpec",
    "StepValue",
    "TravelCriterion",
    "TravelMode",
    "TwoStepCriterion",
    "ValueSpec",
    "WeightingSpec",
    "ZoneLayerSpec",
    "_Frozen",
    "_format_errors",
    "_format_loc",
    "is_builtin_pack",
    "load_rule_pack",
    "load_scenario",
    "read_toml",
    "rule_pack_file",
    "scenario_from_dict",
    "select_text",
]
