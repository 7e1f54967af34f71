"""The wide ranking table and the allocation tables, made only when writing.

:func:`ranked_table` turns :class:`~landplan.model.Scores` into the one-row-per-parcel frame of
the ranked list (``rank``, ``score``, ``eligible``, ``excluded_by``, ``top_drivers``,
``area_m2`` (with subtract constraints: ``net_area_m2``, ``removed_share``, ``removed_by``; the
files add the net geometry, see :mod:`landplan.outputs.products`), then ``<name>_raw``,
``<name>_value``, ``<name>_contrib`` per criterion, then the parcel's own columns);
:func:`allocation_layers` and :func:`write_allocation_file` write an allocation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from landplan.io import atomic_path, freeze_xlsx, spreadsheet_safe, write_csv
from landplan.model import Allocation, Scores, Study

__all__ = ["ALLOCATION_FILES", "allocation_layers", "ranked_table", "write_allocation_file"]

#: allocation outputs: key -> file name (see write_allocation_file)
ALLOCATION_FILES = {
    "allocation_parcels": "allocation_parcels.csv",
    "allocation_zones": "allocation_zones.csv",
    "allocation_xlsx": "allocation.xlsx",
    "allocation_gpkg": "allocation.gpkg",
}


def ranked_table(study: Study, scores: Scores) -> gpd.GeoDataFrame:
    """The ranked list as one wide GeoDataFrame, in output order.

    Parameters
    ----------
    study : Study
        The loaded study (parcels and their own columns).
    scores : Scores
        Its scores.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by parcel id, sorted by rank (eligible parcels first, then excluded ones by
        id), in the working CRS.
    """
    parcels = study.parcels
    out = pd.DataFrame(index=parcels.index)
    out["rank"] = scores.rank
    out["score"] = scores.score
    out["eligible"] = scores.eligible
    out["excluded_by"] = scores.excluded_by
    out["top_drivers"] = scores.top_drivers
    out["area_m2"] = parcels.geometry.area
    net = scores.net
    if net is not None and net.subtracted:  # only then: a scenario without subtraction keeps its columns
        out["net_area_m2"] = net.area_m2
        out["removed_share"] = net.share_removed
        out["removed_by"] = net.removed_by
    for name in scores.criteria:
        out[f"{name}_raw"] = scores.raw[name]
        out[f"{name}_value"] = scores.values[name]
        out[f"{name}_contrib"] = scores.contributions[name]
    own = [col for col in parcels.columns if col != parcels.geometry.name and col not in out.columns]
    out = pd.concat([out, parcels[own]], axis=1)
    ranked = gpd.GeoDataFrame(out, geometry=parcels.geometry, crs=parcels.crs)
    ranked.index.name = parcels.index.name
    return ranked.loc[scores.order]


def allocation_layers(allocation: Allocation, study: Study) -> dict[str, gpd.GeoDataFrame]:
    """GeoDataFrames of an allocation: allocated parcels, zones with demand, zone-to-parcel lines.

    Parameters
    ----------
    allocation : Allocation
        From :func:`landplan.allocation.allocate`.
    study : Study
        The study it was made for (geometries).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``allocated_parcels`` (one row per reserved piece; a piece smaller than its parcel is drawn
        as the strip of the parcel facing its zone, see :mod:`landplan.allocation.pieces`),
        ``zones`` and ``links`` in the working CRS.
    """
    from landplan.allocation.pieces import piece_geometries

    parcels = study.parcels
    zones = study.require_zones("an allocation")
    sel = allocation.parcels
    drawn = piece_geometries(sel, parcels.geometry, zones.geometry)  # reserved pieces, not whole parcels
    allocated = gpd.GeoDataFrame(sel.copy(), geometry=drawn, crs=parcels.crs)
    zone_table = gpd.GeoDataFrame(
        allocation.zones.copy(), geometry=zones.geometry.reindex(allocation.zones.index).to_numpy(), crs=zones.crs
    )
    start = shapely.get_coordinates(shapely.point_on_surface(zones.geometry.reindex(sel["zone"]).to_numpy()))
    end = shapely.get_coordinates(shapely.point_on_surface(drawn))
    lines = shapely.linestrings(np.stack([start, end], axis=1))
    links = gpd.GeoDataFrame(
        {
            "parcel": sel.index.astype(str),
            "zone": sel["zone"].astype(str).to_numpy(),
            "units": sel["units"].to_numpy(),
            "commute_m": sel["commute_m"].to_numpy(),
            **({"commute_min": sel["commute_min"].to_numpy()} if "commute_min" in sel else {}),
        },
        geometry=lines,
        crs=parcels.crs,
    )
    return {"allocated_parcels": allocated, "zones": zone_table, "links": links}


def write_allocation_file(alloc: Allocation, study: Study, key: str, path: Path, *, csv_bom: bool = True) -> Path:
    """Write one allocation output atomically (the caller has checked ``path``).

    Parameters
    ----------
    alloc : Allocation
        The allocation.
    study : Study
        The study it was made for (geometries for the GeoPackage).
    key : str
        ``allocation_parcels`` or ``allocation_zones`` (CSV), ``allocation_xlsx``,
        ``allocation_gpkg`` (layers of :func:`allocation_layers`).
    path : pathlib.Path
        Target file.
    csv_bom : bool, default True
        Start the CSV files with a UTF-8 byte-order mark (``[output] csv_bom``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        if key == "allocation_parcels":
            write_csv(alloc.parcels, tmp, bom=csv_bom)
        elif key == "allocation_zones":
            write_csv(alloc.zones, tmp, bom=csv_bom)
        elif key == "allocation_xlsx":
            from landplan.outputs.headers import spreadsheet_headers
            from landplan.outputs.i18n import translator

            tr = translator(study.scenario.output.language)
            frames = {"zones": alloc.zones, "parcels": alloc.parcels}
            if alloc.phases is not None:
                frames["phases"] = alloc.phases
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                for sheet, frame in frames.items():  # read by people: headers in the run's language
                    names = spreadsheet_headers(frame.columns, study.scenario, tr)
                    spreadsheet_safe(frame.rename(columns=names)).to_excel(xl, sheet_name=sheet)
            freeze_xlsx(tmp)
        elif key == "allocation_gpkg":
            for name, gdf in allocation_layers(alloc, study).items():
                gdf.reset_index().to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        else:
            msg = f"unknown allocation output {key!r}; known: {sorted(ALLOCATION_FILES)}"
            raise ValueError(msg)
    return path
