"""Rule packs: numbers from norms (isolation distances, service radii, housing), with citations."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pydantic
from pydantic import Field, model_validator

from landplan.config._base import _Frozen
from landplan.config._errors import _format_errors
from landplan.errors import RulePackError

__all__ = [
    "ModeRules",
    "RulePack",
    "RulePackMeta",
    "RuleValue",
    "is_builtin_pack",
    "load_rule_pack",
    "rule_pack_file",
]


class RuleValue(_Frozen):
    """One number from a regulation or source, with its citation."""

    value: float = Field(ge=0)
    source: str = Field(min_length=1)
    source_vi: str = Field(default="", description="the citation in Vietnamese, for Vietnamese documents")
    url: str | None = None
    verified: bool
    note: str = ""
    regional: bool = Field(
        default=False, description="true when the figure describes the pack's [meta] region only (not the country)"
    )


class RulePackMeta(_Frozen):
    """Who the rule pack is for, the region its regional figures describe, and when it was compiled."""

    name: str
    title: str
    country: str = ""
    compiled: str = ""
    note: str = ""
    region: str = Field(default="", description="the region the pack's `regional` figures describe, e.g. 'Hà Nội'")
    region_bbox: list[float] | None = Field(
        default=None,
        min_length=4,
        max_length=4,
        description="the region's extent: west, south, east, north in degrees (WGS 84)",
    )
    region_source: str = ""

    @model_validator(mode="after")
    def _check_region(self) -> RulePackMeta:
        if self.region_bbox is not None:
            west, south, east, north = self.region_bbox
            if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
                msg = "meta.region_bbox must be [west, south, east, north] in degrees with west < east, south < north"
                raise ValueError(msg)
            if not self.region:
                msg = "meta.region_bbox needs meta.region (the region's name)"
                raise ValueError(msg)
        return self


class ModeRules(_Frozen):
    """How one travel mode uses the roads: speeds by road class, closed classes, access tags.

    The speeds and the closures usually come from different sources, so each has its own
    citation and ``verified`` flag.
    """

    speeds_kmh: dict[str, float] = Field(description="road class (OSM `highway`) -> typical speed, km/h")
    other_kmh: float = Field(gt=0, description="speed on a class the table does not list")
    closed_classes: list[str] = Field(default_factory=list, description="road classes the mode may not use")
    access_tags: list[str] = Field(default_factory=list, description="OSM access columns, most specific first")
    obeys_oneway: bool = True
    source: str = Field(min_length=1)
    url: str | None = None
    verified: bool
    note: str = ""
    closed_source: str = ""
    closed_url: str | None = None
    closed_verified: bool = False

    def speed_kmh(self, road_class: str) -> float:
        """Speed on a road class: 0 when closed to the mode, the table's, else ``other_kmh``.

        Parameters
        ----------
        road_class : str
            The road's class (OSM ``highway`` value).
        """
        if road_class in self.closed_classes:
            return 0.0
        return self.speeds_kmh.get(road_class, self.other_kmh)


class RulePack(_Frozen):
    """Numbers from norms: isolation distances by hazard class and service radii."""

    meta: RulePackMeta
    isolation_distance_m: dict[str, RuleValue] = Field(default_factory=dict)
    service_radius_m: dict[str, RuleValue] = Field(default_factory=dict)
    housing: dict[str, RuleValue] = Field(default_factory=dict)
    network: dict[str, RuleValue] = Field(default_factory=dict)
    network_mode: dict[str, ModeRules] = Field(default_factory=dict)
    facility_capacity: dict[str, RuleValue] = Field(default_factory=dict)
    facility: dict[str, dict[str, RuleValue]] = Field(
        default_factory=dict,
        description="per facility kind: places_per_1000, m2_per_place, min_site_m2, default_capacity",
    )
    trade_union: dict[str, RuleValue] = Field(
        default_factory=dict, description="trade-union institutions: workers_threshold, site_m2, ..."
    )
    path: str = ""

    def regional_figures(self) -> dict[str, RuleValue]:
        """Figures that describe the pack's region only, by ``table.key`` (e.g. ``housing.workers_per_ha``)."""
        tables = {"isolation_distance_m": self.isolation_distance_m, "service_radius_m": self.service_radius_m}
        tables["housing"] = self.housing
        return {f"{t}.{k}": v for t, values in tables.items() for k, v in values.items() if v.regional}

    def network_value(self, key: str) -> float:
        """A network parameter (``off_network_speed_kmh``, ...).

        Parameters
        ----------
        key
            Name in the pack's ``[network]`` table.

        Raises
        ------
        RulePackError
            If the pack lacks it.
        """
        try:
            return self.network[key].value
        except KeyError:
            msg = f"rule pack {self.meta.name!r} has no network value {key!r}; set it in the scenario or the pack"
            raise RulePackError(msg) from None

    def mode(self, mode: str) -> ModeRules:
        """Speeds and access rules of a travel mode.

        Parameters
        ----------
        mode
            ``walk``, ``motorbike`` or ``car`` (a key of ``[network_mode]``).

        Raises
        ------
        RulePackError
            If the pack has no rules for the mode.
        """
        try:
            return self.network_mode[mode]
        except KeyError:
            msg = f"rule pack {self.meta.name!r} has no [network_mode.{mode}] table; known: {sorted(self.network_mode)}"
            raise RulePackError(msg) from None

    def capacity(self, service: str) -> float:
        """Default capacity of a facility of a service (seats, staff, ...) for 2SFCA.

        Parameters
        ----------
        service
            A key of ``[facility_capacity]``.

        Raises
        ------
        RulePackError
            If the pack has no such service.
        """
        try:
            return self.facility_capacity[service].value
        except KeyError:
            known = sorted(self.facility_capacity)
            msg = f"rule pack {self.meta.name!r} has no facility capacity for {service!r}; known: {known}"
            raise RulePackError(msg) from None

    def housing_value(self, key: str) -> float:
        """A housing parameter (persons per unit, floor area per unit, ...).

        Parameters
        ----------
        key
            Name in the pack's ``[housing]`` table, e.g. ``"persons_per_unit"``.

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

    def facility_value(self, kind: str, key: str) -> RuleValue | None:
        """A social-infrastructure norm of one facility kind, or None when the pack has none.

        Parameters
        ----------
        kind
            Facility kind, a key of ``[facility]`` (e.g. ``"kindergarten"``).
        key
            ``places_per_1000``, ``m2_per_place``, ``min_site_m2`` or ``default_capacity``.
        """
        return self.facility.get(kind, {}).get(key)

    def isolation_m(self, hazard_class: str) -> float:
        """Isolation distance in metres for a hazard class.

        Parameters
        ----------
        hazard_class
            Hazard class of a zone, a key of ``[isolation_distance_m]``.

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

        Parameters
        ----------
        service
            Service name, a key of ``[service_radius_m]``.

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


def is_builtin_pack(name_or_path: str | Path) -> bool:
    """Whether a rule-pack reference names a built-in pack (no path separator, no ``.toml``).

    Parameters
    ----------
    name_or_path
        The scenario's ``rule_pack`` value.
    """
    text = str(name_or_path)
    return "/" not in text and "\\" not in text and not text.endswith(".toml")


def rule_pack_file(name_or_path: str | Path, *, base: Path) -> Path | None:
    """The rule pack's file, or ``None`` for a built-in pack (path arithmetic only).

    Parameters
    ----------
    name_or_path
        The scenario's ``rule_pack`` value.
    base
        Directory relative paths are resolved against (the scenario's folder).
    """
    if is_builtin_pack(name_or_path):
        return None
    path = Path(name_or_path)
    return (path if path.is_absolute() else base / path).resolve()


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
    if is_builtin_pack(text_path):
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
