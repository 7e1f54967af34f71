"""Sites for a loaded study: parcel eligibility -> adjacency -> partition -> the site study.

:func:`assemble_sites` works on any GeoDataFrame of parcels; :func:`site_study` applies a
scenario's ``[sites]`` table: it evaluates the parcel constraints (every constraint but
``min_area``, which applies to the sites), assembles the eligible parcels, and returns a
:class:`~landplan.model.Study` whose rows are the sites, to be scored, ranked, explained and
allocated like parcels, with the :class:`~landplan.model.Sites` that keeps the members.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.config import SitesSpec
from landplan.constraints import combine, evaluate
from landplan.errors import InputError
from landplan.model import Sites, Study, ha, m2
from landplan.sites.assemble import adjacency, partition
from landplan.sites.frame import site_frame

__all__ = ["assemble_sites", "parcel_eligibility", "site_study"]

logger = logging.getLogger(__name__)

#: status of parcels excluded by a parcel constraint
NOT_ELIGIBLE = "not_eligible"


def _group_codes(values: pd.Series) -> np.ndarray:
    """Integer code per group value (missing values form one group of their own)."""
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64)


def assemble_sites(
    parcels: gpd.GeoDataFrame,
    *,
    min_site_ha: float,
    max_site_ha: float,
    gap_m: float = 0.0,
    group_field: str | None = None,
    id_prefix: str = "S",
    sum_columns: tuple[str, ...] = (),
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]]:
    """Merge adjacent parcels into compact sites between ``min_site_ha`` and ``max_site_ha``.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        The parcels to assemble (usually the eligible ones), indexed by unique parcel id, in a
        projected CRS in metres. Row order does not matter: parcels are taken in id order.
    min_site_ha, max_site_ha : float
        Site size range, hectares (``max_site_ha >= 2 * min_site_ha``).
    gap_m : float, default 0
        Parcels closer than this (metres, e.g. across a lane) are adjacent; 0: touching only.
    group_field : str, optional
        Column whose values sites never mix (commune, land-use class, owner).
    id_prefix : str, default "S"
        Site ids are ``<prefix>0001``... in order of each site's lowest parcel id.
    sum_columns : tuple of str, default ()
        Numeric columns summed over members (capacities); other numbers are area-weighted.

    Returns
    -------
    tuple
        ``(sites, members, summary)``: the site GeoDataFrame (see
        :func:`landplan.sites.frame.site_frame`), one row per parcel in id order with
        ``site_id``, ``status``, ``area_m2`` (and ``group``), and the counts.

    Raises
    ------
    InputError
        For duplicate parcel ids, a missing group column or sizes out of order.
    """
    if not parcels.index.is_unique:
        msg = "parcels: parcel ids are not unique; sites need one row per parcel id"
        raise InputError(msg)
    if group_field is not None and group_field not in parcels.columns:
        msg = f"parcels: no column {group_field!r} for [sites] group_field; name an existing column"
        raise InputError(msg)
    if max_site_ha < 2 * min_site_ha:
        msg = f"[sites] max_site_ha ({max_site_ha:g}) must be at least twice min_site_ha ({min_site_ha:g})"
        raise InputError(msg)
    ordered = parcels.iloc[parcels.index.argsort()]
    geoms = ordered.geometry.to_numpy()
    area = shapely.area(geoms)
    bounds = shapely.bounds(geoms)
    group = _group_codes(ordered[group_field]) if group_field is not None else None
    left, right = adjacency(geoms, gap_m=gap_m, group=group, bounds=bounds)
    xy = (bounds[:, :2] + bounds[:, 2:]) / 2
    part = partition(xy, area, left, right, min_m2=m2(min_site_ha), max_m2=m2(max_site_ha))
    sites = site_frame(ordered, part.label, prefix=id_prefix, sum_columns=sum_columns)
    with_none = np.array([*sites.index, None], dtype=object)  # label -1 -> None
    site_id = pd.array(with_none[part.label], dtype="string")
    members = pd.DataFrame({"site_id": site_id, "status": part.status, "area_m2": area}, index=ordered.index)
    if group_field is not None:
        members["group"] = ordered[group_field].to_numpy()
    site_area = sites.geometry.area.to_numpy()
    summary: dict[str, Any] = {
        "min_site_ha": min_site_ha,
        "max_site_ha": max_site_ha,
        "gap_m": gap_m,
        "group_field": group_field,
        "parcels_assembled": len(ordered),
        "adjacent_pairs": len(left),
        "groups": part.n_groups,
        "groups_split": part.n_split,
        "sites": len(sites),
        "sites_over_max_single_parcel": int((site_area > m2(max_site_ha)).sum()),
        "site_ha": round(float(ha(site_area.sum())), 4),
        "dropped": {k: int(v) for k, v in sorted(members["status"].value_counts().items()) if k != "site"},
    }
    return sites, members, summary


def parcel_eligibility(study: Study) -> pd.DataFrame:
    """Eligibility of each parcel under the constraints that apply to parcels (all but ``min_area``).

    Parameters
    ----------
    study : Study
        The loaded parcel study.

    Returns
    -------
    pandas.DataFrame
        ``eligible`` and ``excluded_by`` on the parcel index.
    """
    index = study.parcels.index
    cols = [
        evaluate(k, study, name=f"c{i}_{k.kind}")
        for i, k in enumerate(study.scenario.constraints)
        if k.kind != "min_area"
    ]
    return combine(cols, index) if cols else pd.DataFrame({"eligible": True, "excluded_by": ""}, index=index)


def site_study(study: Study, spec: SitesSpec | None = None) -> tuple[Study, Sites]:
    """The study of sites assembled from a parcel study's eligible parcels.

    Parameters
    ----------
    study : Study
        The loaded parcel study.
    spec : SitesSpec, optional
        Site settings instead of the scenario's ``[sites]`` table.

    Returns
    -------
    tuple of Study and Sites
        A study whose ``parcels`` are the sites (index ``site_id``), and the members.

    Raises
    ------
    InputError
        If neither ``spec`` nor the scenario has a ``[sites]`` table.
    """
    spec = spec or study.scenario.sites
    if spec is None:
        msg = f"{study.scenario.source}: site assembly needs a [sites] table (min_site_ha, max_site_ha)"
        raise InputError(msg)
    status = parcel_eligibility(study)
    eligible = study.parcels.loc[status["eligible"].to_numpy(dtype=bool)]
    capacity = study.scenario.demand.capacity_field
    sites, members, summary = assemble_sites(
        eligible,
        min_site_ha=spec.min_site_ha,
        max_site_ha=spec.max_site_ha,
        gap_m=spec.gap_m,
        group_field=spec.group_field,
        id_prefix=spec.id_prefix,
        sum_columns=(capacity,) if capacity else (),
    )
    everyone = status.join(members, how="left")
    everyone["status"] = everyone["status"].fillna(NOT_ELIGIBLE)
    everyone["area_m2"] = study.parcels.geometry.area
    everyone["site_id"] = everyone["site_id"].astype("string")
    everyone = everyone.iloc[everyone.index.argsort()]
    summary = {"parcels": len(study.parcels), "parcels_eligible": len(eligible), **summary}
    summary["dropped"] = {NOT_ELIGIBLE: len(study.parcels) - len(eligible), **summary["dropped"]}
    logger.info(
        "sites: %d sites of %g-%g ha from %d eligible parcels (%d groups, %d split); parcels dropped: %s",
        len(sites),
        spec.min_site_ha,
        spec.max_site_ha,
        len(eligible),
        summary["groups"],
        summary["groups_split"],
        summary["dropped"],
    )
    if over := summary["sites_over_max_single_parcel"]:
        logger.warning(
            "sites: %d single parcels are larger than max_site_ha (%g ha) and stay whole", over, spec.max_site_ha
        )
    if not len(sites):
        logger.warning("sites: no site of at least %g ha could be assembled; nothing will rank", spec.min_site_ha)
    columns = ["site_id", "status", "eligible", "excluded_by", "area_m2"]
    members_out = everyone[[*columns, *(["group"] if "group" in everyone else [])]]
    return dataclasses.replace(study, parcels=sites), Sites(parcels=study.parcels, members=members_out, summary=summary)
