"""The scenario: the whole :class:`Scenario` and reading it from TOML.

:func:`load_scenario` turns every mistake into one :class:`~landplan.errors.ConfigError`
that names the file and the field path (``criteria[2].value.lower``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pydantic
from pydantic import Field, model_validator

from landplan.config._base import _Frozen
from landplan.config._errors import _format_errors
from landplan.config.constraints import ConstraintSpec, IsolationConstraint, RasterConstraint
from landplan.config.criteria import AccessCriterion, CriterionSpec
from landplan.config.layers import Layers, RasterSpec
from landplan.config.network import NetworkSpec
from landplan.config.rules import rule_pack_file
from landplan.config.settings import (
    AggregationSpec,
    AllocationSpec,
    ComputeSpec,
    DemandSpec,
    OutputSpec,
    ScenarioMeta,
    SitesSpec,
    WeightingSpec,
)
from landplan.errors import ConfigError

__all__ = [
    "NETWORK_KINDS",
    "Scenario",
    "load_scenario",
    "read_toml",
    "scenario_from_dict",
]


#: criterion kinds measured along the ``[network]``
NETWORK_KINDS = frozenset({"travel", "reachable", "catchment", "two_step"})


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
    network: NetworkSpec | None = None
    sites: SitesSpec | None = None
    output: OutputSpec = Field(default_factory=OutputSpec)
    compute: ComputeSpec = Field(default_factory=ComputeSpec)
    base_dir: Path = Field(default=Path(), exclude=True)
    source: str = Field(default="<memory>", exclude=True)

    @model_validator(mode="after")
    def _cross_check(self) -> Scenario:
        names = [c.name for c in self.criteria]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            msg = f"criterion names must be unique; repeated: {dupes}"
            raise ValueError(msg)
        self._check_weighting(names)
        self._check_criteria_refs()
        existing = self.demand.existing_housing_layer
        if existing is not None and existing not in self.layers.names():
            msg = f"demand.existing_housing_layer {existing!r} is not declared under [layers]"
            raise ValueError(msg)
        if self.allocation is not None and self.layers.zones is None:
            msg = "allocation needs a [layers.zones] table"
            raise ValueError(msg)
        self._check_constraint_refs()
        self._check_network()
        return self

    def _check_network(self) -> None:
        net = self.network
        if net is not None and net.layer not in self.layers.names():
            msg = f"network.layer {net.layer!r} is not declared under [layers]; declared: {sorted(self.layers.names())}"
            raise ValueError(msg)
        if net is None:
            needs = [c.name for c in self.criteria if c.kind in NETWORK_KINDS or getattr(c, "scale_min", None)]
            if needs:
                msg = f"criteria {needs} measure along roads; add a [network] table naming the road layer"
                raise ValueError(msg)
            if self.allocation is not None and self.allocation.max_commute_min is not None:
                msg = "allocation.max_commute_min needs a [network] table (or use max_commute_m)"
                raise ValueError(msg)

    def _check_weighting(self, names: list[str]) -> None:
        w = self.weighting
        if w.method == "direct":
            if missing := [c.name for c in self.criteria if c.weight is None]:
                msg = f"direct weighting needs `weight` on every criterion; missing on {missing}"
                raise ValueError(msg)
            return
        listed = w.criteria if w.method == "ahp" else w.order
        if sorted(listed or []) != sorted(names):
            msg = f"weighting.{'criteria' if w.method == 'ahp' else 'order'} must list each criterion once: {names}"
            raise ValueError(msg)
        if given := [c.name for c in self.criteria if c.weight is not None]:
            msg = f"criteria {given} have `weight` but weighting.method is {w.method!r}; remove one or the other"
            raise ValueError(msg)

    def _check_criteria_refs(self) -> None:
        layers = set(self.layers.names())
        for i, c in enumerate(self.criteria):
            raster: str | None = getattr(c, "raster", None)
            if raster is not None and raster not in self.rasters:
                msg = f"criteria[{i}] ({c.name}): raster {raster!r} is not declared under [rasters]"
                raise ValueError(msg)
            layer: str | None = getattr(c, "layer", None)
            if isinstance(c, AccessCriterion) and layer is None and self.layers.zones is None:
                msg = f"criteria[{i}] ({c.name}): an access criterion needs a [layers.zones] table"
                raise ValueError(msg)
            if layer is not None and layer not in layers:
                msg = (
                    f"criteria[{i}] ({c.name}): layer {layer!r} is not declared under [layers]; "
                    f"declared: {sorted(layers)}"
                )
                raise ValueError(msg)

    def _check_constraint_refs(self) -> None:
        layers = set(self.layers.names())
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

    def layer_path(self, name: str) -> Path | str:
        """Absolute path of a layer's source (connection strings are returned as they are).

        Parameters
        ----------
        name
            A layer name declared under ``[layers]``.
        """
        spec = dict(self.layers.items())[name]
        if ":" in spec.path and not Path(spec.path).drive:  # PG:..., postgresql://...
            return spec.path
        path = Path(spec.path)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def join_path(self, name: str) -> Path:
        """Absolute path of the table joined to a layer (``join = { path = ... }``).

        Parameters
        ----------
        name
            A layer name declared under ``[layers]`` that has a ``join``.
        """
        spec = dict(self.layers.items())[name].join
        if spec is None:
            msg = f"layers.{name} has no `join`"
            raise KeyError(msg)
        path = Path(spec.path)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def raster_path(self, name: str) -> Path:
        """Absolute path of a raster.

        Parameters
        ----------
        name
            A raster name declared under ``[rasters]``.
        """
        path = Path(self.rasters[name].path)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def rule_pack_path(self) -> Path | None:
        """The rule pack's file, or ``None`` for a built-in pack (same rule as :func:`load_rule_pack`)."""
        return rule_pack_file(self.scenario.rule_pack, base=self.base_dir)

    def required_columns(self) -> dict[str, list[str]]:
        """Columns each layer must have, by layer name (every declared layer is a key).

        The criteria's and constraints' own :meth:`required_columns`, the zone layer's
        hazard, workers, area and name fields, and every other layer's ``name_field``;
        each list without repeats, in first-seen order.
        """
        req: dict[str, list[str]] = {name: [] for name in self.layers.names()}
        for spec in [*self.criteria, *self.constraints]:
            for layer, columns in spec.required_columns().items():
                req.setdefault(layer, []).extend(columns)
        if self.network is not None:
            net = self.network
            req[net.layer].extend(f for f in (net.speed_field, net.oneway_field) if f is not None)
        z = self.layers.zones
        if z is not None:
            req["zones"].extend(
                f
                for f in (z.hazard_field, z.workers_field, z.workers_estimated_field, z.area_ha_field, z.name_field)
                if f is not None
            )
        for name, layer_spec in self.layers.items():
            if layer_spec.name_field and name != "zones":
                req[name].append(layer_spec.name_field)
        if self.sites is not None and self.sites.group_field is not None:
            req["parcels"].append(self.sites.group_field)
        return {k: list(dict.fromkeys(v)) for k, v in req.items()}


def scenario_from_dict(data: dict[str, Any], *, base_dir: Path | None = None, source: str = "<memory>") -> Scenario:
    """Build a :class:`Scenario` from a parsed TOML/dict (paths relative to ``base_dir``).

    Parameters
    ----------
    data
        The parsed scenario tables.
    base_dir
        Folder relative layer, raster and rule-pack paths are resolved against (default: the
        current folder).
    source
        Where ``data`` came from, named in error messages.

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

    Parameters
    ----------
    path
        The TOML file.

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
