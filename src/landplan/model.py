"""The typed objects a run carries forward.

A loaded :class:`Study`, its :class:`Scores`, an :class:`Allocation` and the :class:`Result` of
:func:`landplan.run`. They sit low in the house (above config, io, crs and validation): each
later stage takes them in and hands new ones on, and nothing downstream recomputes what they
hold. The wide ``<name>_raw/_value/_contrib`` ranking is made only when writing
(:func:`landplan.outputs.tables.ranked_table`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import pyproj

from landplan._units import ha, m2
from landplan.config import RulePack, Scenario
from landplan.errors import InputError
from landplan.io.raster import RasterData
from landplan.network.study import StudyNetwork
from landplan.validation import ValidationReport

__all__ = ["Allocation", "NetArea", "Result", "Scores", "Sites", "Study", "ha", "m2", "select_rows"]


@dataclass(frozen=True)
class Study:
    """A scenario's layers, read once, checked, and reprojected once to the working CRS.

    Attributes
    ----------
    scenario : Scenario
        The scenario as loaded (data only).
    crs : pyproj.CRS
        The working CRS (projected, metres).
    rules : RulePack
        The rule pack in force.
    parcels : geopandas.GeoDataFrame
        Candidate parcels indexed by parcel id.
    zones : geopandas.GeoDataFrame or None
        Industrial zones indexed by zone id, with ``footprint`` and, when the scenario gives
        hazard classes, ``hazard_class`` and ``isolation_m``.
    features : Mapping[str, geopandas.GeoDataFrame]
        Every other named layer (facilities, stops, water, existing housing, ...).
    rasters : Mapping[str, RasterData]
        The scenario's rasters, read once.
    report : ValidationReport
        Every finding of the checks (a loaded study has warnings at most).
    radius_m : Mapping[str, float]
        The service radius of each ``count``/``coverage`` criterion, resolved once (the
        criterion's ``radius_m`` or its rule-pack ``radius_rule``).
    zone_names : pandas.Series
        Display name of each zone (its ``name_field``, else its id), on the zone index.
    outside_extent : Mapping[str, pandas.Series]
        For each facility criterion (``distance``, ``count``, ``coverage``): True where a parcel
        lies wholly outside its layer's extent (convex hull + radius), computed once when loaded.
    network : StudyNetwork or None
        The ``[network]`` road graph with the parcels, zones and measured layers joined, and
        each parcel's travel time to each zone (built once, when loaded).
    """

    scenario: Scenario
    crs: pyproj.CRS
    rules: RulePack
    parcels: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame | None
    features: Mapping[str, gpd.GeoDataFrame]
    rasters: Mapping[str, RasterData]
    report: ValidationReport
    radius_m: Mapping[str, float] = field(default_factory=dict)
    zone_names: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))
    outside_extent: Mapping[str, pd.Series] = field(default_factory=dict)
    network: StudyNetwork | None = None

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """A layer by its scenario name: ``parcels``, ``zones`` or a feature layer.

        Parameters
        ----------
        name : str
            The layer's key under ``[layers]`` in the scenario.

        Returns
        -------
        geopandas.GeoDataFrame
            The layer in the working CRS.

        Raises
        ------
        InputError
            If the study has no such layer.
        """
        if name == "parcels":
            return self.parcels
        if name == "zones" and self.zones is not None:
            return self.zones
        if name in self.features:
            return self.features[name]
        msg = f"layer {name!r} is not loaded; layers: {self.layer_names}"
        raise InputError(msg)

    @property
    def layer_names(self) -> list[str]:
        """Names of every loaded layer."""
        return ["parcels", *(["zones"] if self.zones is not None else []), *self.features]

    def selection(self, layer: str, select: Mapping[str, Any]) -> gpd.GeoDataFrame:
        """Features of ``layer`` matching a criterion's ``select`` table.

        Parameters
        ----------
        layer : str
            Layer name.
        select : Mapping[str, Any]
            Column -> value or list of values (all must match); empty selects every feature.

        Returns
        -------
        geopandas.GeoDataFrame
            The matching rows.
        """
        return select_rows(self.layer(layer), select)

    def require_zones(self, what: str) -> gpd.GeoDataFrame:
        """The zones layer, or an :class:`InputError` saying that ``what`` needs it.

        Parameters
        ----------
        what : str
            The step that needs zones (for the message), e.g. ``"allocation"``.

        Returns
        -------
        geopandas.GeoDataFrame
            The zones, indexed by zone id.
        """
        if self.zones is None:
            msg = f"{what} needs a [layers.zones] table in the scenario"
            raise InputError(msg)
        return self.zones


@dataclass(frozen=True)
class NetArea:
    """Net developable area of every parcel: what remains after the ``subtract`` constraints.

    Computed once by :func:`landplan.constraints.net_area`; with no ``subtract`` constraint the
    net geometry *is* the parcel geometry (the same objects) and nothing is removed.

    Attributes
    ----------
    geometry : geopandas.GeoSeries
        Net geometry on the parcel index (empty where nothing is left), working CRS.
    area_m2 : pandas.Series
        ``net_area_m2``: area of the net geometry, square metres.
    gross_m2 : pandas.Series
        Area of the whole parcel, square metres.
    removed_m2 : pandas.DataFrame
        One column per ``subtract`` constraint (``c<i>_<kind>``): the parcel's area that
        constraint removes, square metres (overlaps between constraints count in each).
    notes : pandas.DataFrame
        Same columns: what was removed and why, e.g. ``"1.20 ha within 300 m of KCN Thăng Long
        (class III)"``; ``""`` where the constraint removes nothing.
    """

    geometry: gpd.GeoSeries
    area_m2: pd.Series
    gross_m2: pd.Series
    removed_m2: pd.DataFrame
    notes: pd.DataFrame

    @property
    def subtracted(self) -> bool:
        """Whether any ``subtract`` constraint applied (else net = whole)."""
        return len(self.removed_m2.columns) > 0

    @property
    def share_removed(self) -> pd.Series:
        """Share 0..1 of each parcel's area removed (0 for parcels without area)."""
        gross = self.gross_m2.to_numpy(dtype="float64")
        net = self.area_m2.to_numpy(dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(gross > 0, 1.0 - net / gross, 0.0)
        return pd.Series(np.clip(share, 0.0, 1.0), index=self.area_m2.index, name="removed_share")

    @property
    def removed_by(self) -> pd.Series:
        """Every constraint's note joined with ``"; "`` (``""`` where nothing was removed)."""
        text = np.full(len(self.notes), "", dtype=object)
        for col in self.notes.columns:  # loop over constraints, not parcels
            part = self.notes[col].to_numpy(dtype=object)
            text = np.where(part == "", text, np.where(text == "", part, text + "; " + part))
        return pd.Series(text, index=self.notes.index, name="removed_by", dtype="object")

    def measured(self, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``parcels`` with the net geometry where some is left (the whole parcel elsewhere).

        Parameters
        ----------
        parcels : geopandas.GeoDataFrame
            The study's parcels (same index).

        Returns
        -------
        geopandas.GeoDataFrame
            ``parcels`` itself when nothing was subtracted, else a copy with net geometries.
        """
        if not self.subtracted:
            return parcels
        net = self.geometry.reindex(parcels.index)
        gone = net.isna().to_numpy() | net.is_empty.to_numpy()
        geometry = np.where(gone, parcels.geometry.to_numpy(), net.to_numpy())
        out = parcels.copy()
        out[parcels.geometry.name] = gpd.GeoSeries(geometry, index=parcels.index, crs=parcels.crs)
        return out


@dataclass(frozen=True)
class Scores:
    """Everything :func:`landplan.score` computed, on the parcel index.

    Attributes
    ----------
    raw : pandas.DataFrame
        One column per criterion (by name): metres, counts, shares or the attribute's values.
    values : pandas.DataFrame
        One column per criterion: the value function's 0..1 value.
    contributions : pandas.DataFrame
        One column per criterion: its part of the score under the aggregation used (see
        :func:`landplan.scoring.aggregate.aggregate`).
    reasons : pandas.DataFrame
        One column per constraint (and per criterion without a value): the reason text, ``""``
        where the parcel passes.
    score : pandas.Series
        The aggregated score, 0..1.
    eligible : pandas.Series
        True where no constraint excludes the parcel.
    excluded_by : pandas.Series
        Every reason joined (``""`` for eligible parcels).
    rank : pandas.Series
        1 = best among eligible parcels (nullable integers; missing for excluded parcels).
    top_drivers : pandas.Series
        The criteria that count most for each parcel's score, as text.
    weights : Mapping[str, float]
        The normalised weights used, by criterion name.
    aggregation : str
        ``weighted_sum``, ``weighted_product`` or ``topsis``.
    order : pandas.Index
        Parcel ids in output order: eligible parcels by rank, then excluded ones by id.
    weighting : str
        How the weights were made: the scenario's method (``direct``, ``ahp``, ``rank_sum``,
        ...) or ``given`` when passed to :func:`landplan.score`.
    consistency : Mapping[str, float] or None
        For AHP: ``lambda_max``, ``ci``, ``ri``, ``cr`` and ``max_cr``.
    net : NetArea or None
        Net developable area after ``subtract`` constraints (None only for scores built by
        hand; :func:`landplan.score` always sets it).
    no_data : pandas.DataFrame or None
        One boolean column per criterion with ``outside = "neutral"``: True where the parcel
        lies outside the layer's extent and got the neutral value.
    """

    raw: pd.DataFrame
    values: pd.DataFrame
    contributions: pd.DataFrame
    reasons: pd.DataFrame
    score: pd.Series
    eligible: pd.Series
    excluded_by: pd.Series
    rank: pd.Series
    top_drivers: pd.Series
    weights: Mapping[str, float]
    aggregation: str
    order: pd.Index
    weighting: str = "given"
    consistency: Mapping[str, float] | None = None
    net: NetArea | None = None
    no_data: pd.DataFrame | None = None

    def top(self, n: int) -> pd.Index:
        """Ids of the ``n`` best eligible parcels, best first.

        Parameters
        ----------
        n : int
            How many parcels (fewer when fewer are eligible).

        Returns
        -------
        pandas.Index
            Parcel ids by rank.
        """
        rank = self.rank.reindex(self.order)
        return self.order[(rank.notna() & (rank <= n)).to_numpy(dtype=bool)]

    @property
    def criteria(self) -> list[str]:
        """Criterion names, in scenario order."""
        return [str(c) for c in self.values.columns]


@dataclass(frozen=True)
class Allocation:
    """Result of an allocation: per parcel, per zone, the demand model and how it was solved.

    Attributes
    ----------
    parcels : pandas.DataFrame
        One row per reserved piece (index: parcel id; a parcel serving several zones or phases
        has several rows) with ``zone``, ``phase`` (phased plans), ``units``, ``capacity_units``
        (of the reserved land), ``commute_m``, ``area_ha`` (the parcel), ``reserved_ha`` and
        ``score``.
    zones : pandas.DataFrame
        Per zone: ``phase`` (phased plans), demand (the demand model's columns), allocated and
        unmet units, commute statistics, ``land_ha`` (reserved), ``land_used_ha`` (what the
        allocated units need), ``over_reservation`` (their ratio), land within reach.
    method, status : str
        Solver used (``milp``/``greedy``) and its status.
    objective : float
        Objective value of the solution.
    gap : float or None
        MIP gap (None for the greedy method).
    seconds : float
        Solve time.
    pairs : int
        Parcel-zone pairs within reach.
    info : dict
        Parameters and their sources (rule pack or scenario), the commute reach, candidates,
        ``unit``, ``min_reserve_ha`` and ``warnings`` (text).
    phases : pandas.DataFrame or None
        Phased plans: one row per phase (zones, demand, allocated and unmet units, land
        reserved, land left, solver status).
    facilities : pandas.DataFrame or None
        The facility programme of the second stage (``[allocation.facilities]``): per housing
        site and facility kind, places needed, absorbed, to build, land reserved and where;
        one row per trade-union institution. None when not asked for.
    facility_land, facility_existing : geopandas.GeoDataFrame or None
        Where the programme's land lies and the existing facilities' places after it (see
        :class:`landplan.allocation.facility_result.FacilityPlan`). None without a programme.
    """

    parcels: pd.DataFrame
    zones: pd.DataFrame
    method: str
    status: str
    objective: float
    gap: float | None
    seconds: float
    pairs: int
    info: dict[str, Any] = field(default_factory=dict)
    phases: pd.DataFrame | None = None
    facilities: pd.DataFrame | None = None
    facility_land: gpd.GeoDataFrame | None = None
    facility_existing: gpd.GeoDataFrame | None = None

    def _land_ha(self) -> float:
        """Land reserved, ha (whole parcels before area-based allocation existed)."""
        col = "reserved_ha" if "reserved_ha" in self.parcels else "area_ha"
        return float(self.parcels[col].sum())

    def summary(self, *, timing: bool = True) -> str:
        """One readable line: solver, parcels, land, units allocated and unmet.

        Parameters
        ----------
        timing : bool, default True
            Include the solve time (left out of manifests, which must not change between runs).

        Returns
        -------
        str
            The summary.
        """
        z = self.zones
        gap = "n/a" if self.gap is None else f"{self.gap:.2%}"
        took = f"{self.seconds:.1f} s, " if timing else ""
        return (
            f"{self.method} ({self.status}, gap {gap}, {took}{self.pairs} parcel-zone pairs): "
            f"{self.parcels.index.nunique()} parcels, {self._land_ha():.1f} ha, "
            f"{z['allocated_units'].sum():,.0f} of {z['demand_units'].sum():,.0f} units allocated, "
            f"{z['unmet_units'].sum():,.0f} unmet"
        )


@dataclass(frozen=True)
class Sites:
    """Candidate sites assembled from small parcels (a scenario's ``[sites]`` table).

    With sites, the study that is scored and allocated holds one row per site (index: site
    id); this object keeps the parcels they were made of.

    Attributes
    ----------
    parcels : geopandas.GeoDataFrame
        The loaded parcels (index: parcel id), as read.
    members : pandas.DataFrame
        One row per parcel, sorted by parcel id: ``site_id`` (``<NA>`` outside a site),
        ``status`` (``site``, ``not_eligible``, ``group_below_min``,
        ``split_remainder_below_min``), ``eligible``, ``excluded_by`` (parcel constraints),
        ``area_m2`` and, with a ``group_field``, ``group``.
    summary : Mapping[str, Any]
        Counts and settings: parcels, eligible parcels, groups, groups split, sites, parcels
        dropped by status, sites larger than the maximum (single parcels), ``gap_m``, ...
    """

    parcels: gpd.GeoDataFrame
    members: pd.DataFrame
    summary: Mapping[str, Any] = field(default_factory=dict)

    def of(self, site_id: Any) -> pd.Index:
        """Parcel ids of one site, sorted.

        Parameters
        ----------
        site_id : object
            A site id (``S0001``).

        Returns
        -------
        pandas.Index
            Its member parcels.
        """
        return self.members.index[(self.members["site_id"] == site_id).to_numpy(dtype=bool, na_value=False)]


@dataclass(frozen=True)
class Result:
    """What :func:`landplan.run` produced.

    Attributes
    ----------
    study : Study
        The loaded scenario.
    scores : Scores
        Its scores.
    allocation : Allocation or None
        The allocation, when the scenario has an ``[allocation]`` table.
    sites : Sites or None
        With a ``[sites]`` table: the parcels the sites (the study's rows) were made of.
    ranked : geopandas.GeoDataFrame
        The wide ranking, as written (sorted by rank, then excluded parcels by id).
    outputs : dict
        Output key -> path of every file written (``schema.table`` for PostGIS tables).
    manifest : dict
        The run manifest (inputs with hashes, CRS, weights, versions, outputs).
    """

    study: Study
    scores: Scores
    ranked: gpd.GeoDataFrame
    allocation: Allocation | None = None
    outputs: dict[str, Path | str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    sites: Sites | None = None

    def top(self, n: int = 10) -> gpd.GeoDataFrame:
        """The ``n`` best eligible parcels as rows of the ranking.

        Parameters
        ----------
        n : int, default 10
            How many parcels.

        Returns
        -------
        geopandas.GeoDataFrame
            Rows of :attr:`ranked`, best first.
        """
        return self.ranked.loc[self.scores.top(n)]


def select_rows(gdf: gpd.GeoDataFrame, select: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Rows of ``gdf`` whose columns match every entry of ``select`` (the one definition).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any layer.
    select : Mapping[str, Any]
        Column -> value or list of values; a row matches when each column holds one of them.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows, in their order.
    """
    mask = np.ones(len(gdf), dtype=bool)
    for col, val in select.items():
        values = val if isinstance(val, list) else [val]
        mask &= gdf[col].isin(values).to_numpy()
    return gdf.loc[mask]
