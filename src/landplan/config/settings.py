"""Scenario settings tables: weighting, aggregation, demand, allocation, outputs and the scenario header."""

from __future__ import annotations

import itertools
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from landplan.config._base import _Frozen

__all__ = [
    "AggregationSpec",
    "AllocationSpec",
    "ComputeSpec",
    "DemandSpec",
    "FacilitiesSpec",
    "OutputSpec",
    "PhaseSpec",
    "ScenarioMeta",
    "SitesSpec",
    "WeightingSpec",
]


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


class PhaseSpec(_Frozen):
    """One plan phase: zones opening up to ``until`` (a year, inclusive) get housing in it."""

    name: str = Field(min_length=1, description='label, e.g. "2021-2025"')
    until: int = Field(description="last year of the phase (zones opening in or before it belong here)")
    land_budget_ha: float | None = Field(
        default=None, gt=0, description="land this phase may reserve (within [allocation] land_budget_ha, if set)"
    )


class FacilitiesSpec(_Frozen):
    """Second stage of the allocation: social infrastructure and trade-union institutions (issue 16)."""

    layer: str | None = Field(default=None, description="layer of existing facilities (points or polygons)")
    kind_field: str = Field(default="kind", description="facility kind column (kindergarten, primary_school, ...)")
    capacity_field: str | None = Field(default=None, description="places of each existing facility")
    load_field: str | None = Field(default=None, description="places already taken at each existing facility")
    default_load_share: float = Field(
        default=1.0, ge=0, le=1, description="share of capacity taken where the load is unknown (1: full)"
    )
    population_layer: str | None = Field(
        default=None, description="existing residents (points/polygons) who compete for the free places"
    )
    population_field: str = Field(default="population", description="residents of each population feature")
    kinds: list[str] | None = Field(default=None, description="facility kinds to plan (default: every rule-pack kind)")
    trade_union: bool = Field(default=True, description="reserve trade-union institution sites for large zones")
    workers_threshold: float | None = Field(default=None, gt=0, description="instead of the rule pack's")
    site_m2: float | None = Field(default=None, gt=0, description="trade-union site land instead of the rule pack's")
    method: Literal["second_stage", "joint"] = Field(
        default="second_stage",
        description="second_stage: facilities after the housing; joint: one MILP for housing and facility land",
    )
    hosts_per_site: int = Field(
        default=3, ge=1, description="joint: parcels that may hold a site's facility land (itself + nearest)"
    )
    service: Literal["straight", "network"] = Field(
        default="straight", description="service areas in straight lines or along the [network] roads"
    )
    service_minutes: dict[str, float] = Field(
        default_factory=dict, description="network: travel-time limit (minutes) per kind instead of its radius"
    )
    population_raster: str | None = Field(
        default=None, description="raster (under [rasters]) of existing residents per cell, summed in each catchment"
    )
    unserved_penalty_per_m2: float = Field(
        default=1.0, gt=0, description="joint: cost per m2 of facility land the norm requires but the plan leaves out"
    )


class AllocationSpec(_Frozen):
    """Capacity-aware assignment of zone demand to parcels."""

    unit: Literal["area", "whole"] = Field(
        default="area",
        description="reserve only the land a zone needs (area) or whole parcels (whole)",
    )
    min_reserve_ha: float | None = Field(
        default=None,
        ge=0,
        description="area mode: smallest piece of a parcel reserved for one zone (rule pack default)",
    )
    phases: list[PhaseSpec] = Field(
        default_factory=list, description="plan phases in time order; zones need a phase_field or year_field"
    )

    max_commute_m: float | None = Field(default=None, gt=0)
    max_commute_min: float | None = Field(
        default=None, gt=0, description="longest commute along the [network], minutes (rule pack when unset)"
    )
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
    facilities: FacilitiesSpec | None = Field(
        default=None, description="second stage: land for schools, clinics, markets and trade-union institutions"
    )

    @model_validator(mode="after")
    def _check(self) -> AllocationSpec:
        if both := sorted(set(self.must_use) & set(self.must_not_use)):
            msg = f"parcels {both} are in both must_use and must_not_use; remove them from one list"
            raise ValueError(msg)
        if self.commute_weight + self.suitability_weight <= 0:
            msg = "commute_weight + suitability_weight must be > 0"
            raise ValueError(msg)
        names = [p.name for p in self.phases]
        if len(set(names)) < len(names):
            msg = f"phases: names must be unique, got {names}"
            raise ValueError(msg)
        years = [p.until for p in self.phases]
        if years != sorted(set(years)):
            msg = f"phases: `until` years must increase strictly, got {years}; list the phases in time order"
            raise ValueError(msg)
        return self


class SitesSpec(_Frozen):
    """Candidate sites assembled from adjacent eligible parcels (``[sites]``).

    Eligible parcels that touch, or lie within ``gap_m`` of each other (across a lane), form
    connected groups (only within one value of ``group_field`` when set). A group between
    ``min_site_ha`` and ``max_site_ha`` is one site; a larger group is split into compact
    sites by recursive bisection along its principal axis; smaller groups are dropped and
    counted. See README "Sites from small parcels".
    """

    min_site_ha: float = Field(gt=0, description="smallest site kept, hectares")
    max_site_ha: float = Field(gt=0, description="groups larger than this are split, hectares")
    gap_m: float = Field(default=0.0, ge=0, le=100, description="parcels this close (metres) are adjacent")
    group_field: str | None = Field(default=None, description="parcel column sites never cross (commune, owner)")
    id_prefix: str = Field(default="S", pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")

    @model_validator(mode="after")
    def _check(self) -> SitesSpec:
        if self.max_site_ha < 2 * self.min_site_ha:
            msg = (
                f"max_site_ha ({self.max_site_ha:g}) must be at least twice min_site_ha ({self.min_site_ha:g}), "
                "so that every large group can be split into sites within the range"
            )
            raise ValueError(msg)
        return self


class OutputSpec(_Frozen):
    """What `landplan run`/`demo` writes."""

    formats: list[Literal["csv", "gpkg", "geojson", "parquet", "xlsx"]] = ["csv", "gpkg"]  # noqa: RUF012 - pydantic copies field defaults
    csv_bom: bool = Field(
        default=True, description="start CSV files with a UTF-8 byte-order mark, so Excel reads them as UTF-8"
    )
    map: bool = True
    top: int = Field(default=20, ge=1)
    classification: Literal["quantiles", "natural_breaks", "equal_interval"] = "quantiles"
    assets: Literal["inline", "cdn"] = Field(
        default="inline",
        description='map scripts inlined ("inline": one self-contained file, no network request, no web tiles) '
        'or loaded from CDNs with web basemaps ("cdn")',
    )
    offline: bool | None = Field(
        default=None,
        description='older spelling of assets: true is assets = "inline", false is assets = "cdn"',
    )
    tile_url: str | None = Field(
        default=None,
        description="local tile server URL template for offline maps, e.g. http://gis.local/{z}/{x}/{y}.png",
    )
    tiles_above: int = Field(
        default=50_000,
        ge=0,
        description="parcels above which the interactive map is vector tiles (map.html + map_files/) and the "
        "report embeds only the static map",
    )
    report: bool = True
    pdf: bool = Field(default=True, description="also write the report as a paginated PDF (report.pdf)")
    breaks: list[float] | None = Field(
        default=None,
        description="fixed score class upper bounds (ascending, 0..1) for every map, instead of `classification`",
    )
    paper: Literal["A4", "A3"] = Field(default="A3", description="paper size of the print map (landscape)")
    cards: int = Field(default=10, ge=1, description="parcels with a score card in the report")
    sensitivity_runs: int = Field(default=500, ge=0, description="Monte-Carlo weight draws charted in the report")
    language: Literal["en", "vi"] = Field(
        default="en", description="language of the map, report, static map and table headers (en or vi)"
    )

    @field_validator("breaks")
    @classmethod
    def _ascending_breaks(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (not v or any(b <= a for a, b in itertools.pairwise(v)) or v[0] < 0 or v[-1] > 1):
            msg = "breaks must be a non-empty ascending list of score bounds in 0..1, e.g. [0.2, 0.4, 0.6, 0.8, 1.0]"
            raise ValueError(msg)
        return v

    @model_validator(mode="before")
    @classmethod
    def _offline_is_assets(cls, data: Any) -> Any:
        """``offline = true/false`` (older spelling) sets ``assets`` unless ``assets`` is given."""
        if isinstance(data, dict) and data.get("offline") is not None and "assets" not in data:
            return {**data, "assets": "inline" if data["offline"] else "cdn"}
        return data

    @property
    def inline_assets(self) -> bool:
        """True when the map is one self-contained file making no network request."""
        return self.assets == "inline"


class ScenarioMeta(_Frozen):
    """Name, description and global settings."""

    def title_in(self, lang: str) -> str:
        """The scenario's name in an output language (``names``, else ``name``).

        Parameters
        ----------
        lang : str
            Language code.

        Returns
        -------
        str
            The name.
        """
        return self.names.get(lang, self.name)  # type: ignore[call-overload]

    def description_in(self, lang: str) -> str:
        """The scenario's description in an output language (``descriptions``, else ``description``).

        Parameters
        ----------
        lang : str
            Language code.

        Returns
        -------
        str
            The description.
        """
        return self.descriptions.get(lang, self.description)  # type: ignore[call-overload]

    name: str
    description: str = ""
    names: dict[Literal["en", "vi"], str] = Field(
        default_factory=dict, description='name per output language, e.g. { vi = "..." }; else `name`'
    )
    descriptions: dict[Literal["en", "vi"], str] = Field(
        default_factory=dict, description="description per output language; else `description`"
    )
    crs: str | None = Field(default=None, description="working CRS in metres; estimated UTM when unset")
    rule_pack: str = "vn"
    top_drivers: int = Field(default=2, ge=1)
    criteria_geometry: Literal["net", "whole"] = Field(
        default="net",
        description="measure criteria on the net developable geometry (after subtract constraints) or the whole parcel",
    )
    misplaced_features: Literal["error", "warning"] = Field(
        default="error",
        description="features at (0, 0), far from the rest of their layer or outside the working CRS",
    )


class ComputeSpec(_Frozen):
    """Where scoring runs: in this process, or on a dask cluster in spatially sorted partitions."""

    engine: Literal["in-memory", "dask"] = Field(
        default="in-memory", description="in-memory (one process) or dask (partitions on a distributed cluster)"
    )
    scheduler: str | None = Field(
        default=None, description="address of an existing dask scheduler (tcp://host:8786); else a local cluster"
    )
    workers: int = Field(default=2, ge=1, description="local cluster: worker processes")
    threads_per_worker: int = Field(default=1, ge=1, description="local cluster: threads per worker")
    memory_limit_gb: float | None = Field(
        default=None, gt=0, description="local cluster: memory limit per worker, GB (dask's share of RAM when unset)"
    )
    partition_parcels: int = Field(default=100_000, ge=1, description="parcels per partition")
    partitioned_output: bool = Field(
        default=False, description="write ranked GeoParquet as a folder of parts (one per partition)"
    )

    @field_validator("scheduler")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"(tcp|tls|inproc|ucx)://\S+", v):
            msg = f"scheduler must be an address like tcp://host:8786, not {v!r}"
            raise ValueError(msg)
        return v
