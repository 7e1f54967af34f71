"""Site outputs: the site-members table and the sites GeoPackage (sites and their member parcels).

With a ``[sites]`` table the ranked list, the allocation, the map and the report are about
sites; these files say which parcels make each site, and what became of every other parcel
(not eligible, in a group below the minimum, left over by a split).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import geopandas as gpd

from landplan.io import atomic_path, write_csv
from landplan.model import Scores, Sites, Study

__all__ = ["SITE_FILES", "member_table", "site_layers", "write_site_file"]

#: site outputs: key -> file name (see write_site_file)
SITE_FILES = {
    "site_members": "site_members.csv",
    "sites_gpkg": "sites.gpkg",
}


def member_table(sites: Sites, scores: Scores) -> pd.DataFrame:
    """One row per parcel: its site, the site's rank and score, its status and parcel reasons.

    Parameters
    ----------
    sites : Sites
        The assembled sites (members).
    scores : Scores
        The sites' scores.

    Returns
    -------
    pandas.DataFrame
        Indexed by parcel id (sorted), columns ``site_id``, ``site_rank``, ``site_score``,
        ``site_eligible``, ``status``, ``eligible`` (the parcel), ``excluded_by`` (the
        parcel's reasons), ``area_m2`` (and ``group``).
    """
    m = sites.members
    sid = m["site_id"]
    out = pd.DataFrame({"site_id": sid}, index=m.index)
    out["site_rank"] = scores.rank.reindex(sid.fillna("")).astype("Int64").to_numpy()
    out["site_score"] = scores.score.reindex(sid.fillna("")).to_numpy()
    out["site_eligible"] = scores.eligible.reindex(sid.fillna("")).astype("boolean").to_numpy()
    return pd.concat([out, m.drop(columns=["site_id"])], axis=1)


def site_layers(sites: Sites, study: Study, scores: Scores) -> dict[str, gpd.GeoDataFrame]:
    """GeoDataFrames of the site GeoPackage: ``sites`` (by rank) and ``members`` (by parcel id).

    Parameters
    ----------
    sites : Sites
        The assembled sites.
    study : Study
        The site study (site geometries).
    scores : Scores
        The sites' scores.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``sites``: geometry, rank, score, eligible, excluded_by, n_parcels, member_ids,
        area_m2; ``members``: every parcel's geometry with :func:`member_table`'s columns.
    """
    frame = study.parcels
    cols = [c for c in ("n_parcels", "member_ids") if c in frame.columns]
    table = pd.DataFrame(
        {"rank": scores.rank, "score": scores.score, "eligible": scores.eligible, "excluded_by": scores.excluded_by},
        index=frame.index,
    )
    table = pd.concat([table, frame[cols]], axis=1)
    table["area_m2"] = frame.geometry.area
    site_gdf = gpd.GeoDataFrame(table, geometry=frame.geometry, crs=frame.crs).loc[scores.order]
    members = member_table(sites, scores)
    member_gdf = gpd.GeoDataFrame(members, geometry=sites.parcels.geometry.reindex(members.index), crs=frame.crs)
    return {"sites": site_gdf, "members": member_gdf}


def write_site_file(sites: Sites, study: Study, scores: Scores, key: str, path: Path) -> Path:
    """Write one site output atomically (the caller has checked ``path``).

    Parameters
    ----------
    sites : Sites
        The assembled sites.
    study : Study
        The site study.
    scores : Scores
        The sites' scores.
    key : str
        ``site_members`` (CSV) or ``sites_gpkg`` (layers of :func:`site_layers`).
    path : pathlib.Path
        Target file.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        if key == "site_members":
            write_csv(member_table(sites, scores), tmp)
        elif key == "sites_gpkg":
            for name, gdf in site_layers(sites, study, scores).items():
                gdf.reset_index().to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        else:
            msg = f"unknown site output {key!r}; known: {sorted(SITE_FILES)}"
            raise ValueError(msg)
    return path
