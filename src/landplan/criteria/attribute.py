"""Attribute criteria: a parcel column, or the parcel's area."""

from __future__ import annotations

import pandas as pd

import geopandas as gpd

from landplan.errors import InputError

__all__ = ["attribute", "parcel_area"]


def attribute(parcels: gpd.GeoDataFrame, field: str, *, name: str | None = None) -> pd.Series:
    """A numeric parcel column as a criterion (e.g. land price).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        The parcels.
    field : str
        The numeric column.
    name : str, optional
        Name of the returned Series (default: ``field``).

    Raises
    ------
    InputError
        If the column is missing or not numeric.
    """
    if field not in parcels.columns:
        msg = f"parcels have no column {field!r}; columns: {sorted(map(str, parcels.columns))}"
        raise InputError(msg)
    values = pd.to_numeric(parcels[field], errors="coerce")
    bad = values.isna() & parcels[field].notna()
    if bad.any():
        examples = list(parcels.loc[bad, field].astype(str).unique()[:3])
        msg = f"parcels column {field!r} is not numeric (e.g. {examples}); fix the values or use another field"
        raise InputError(msg)
    return values.astype("float64").rename(name or field)


def parcel_area(parcels: gpd.GeoDataFrame, *, name: str = "area_m2") -> pd.Series:
    """Parcel area in square metres (the CRS must be projected in metres).

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels in a projected CRS.
    name : str, default 'area_m2'
        Name of the returned Series.

    Raises
    ------
    InputError
        If the layer is in a geographic CRS.
    """
    if parcels.crs is not None and parcels.crs.is_geographic:
        msg = "parcel_area needs a projected CRS in metres; reproject to the working CRS first"
        raise InputError(msg)
    return parcels.geometry.area.astype("float64").rename(name)
