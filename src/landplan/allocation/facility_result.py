"""What the facility stage keeps for the maps: where its land lies, the existing facilities after it.

Computed once in :func:`landplan.allocation.facilities.facility_plan` and carried on the
:class:`~landplan.model.Allocation` (``facility_land``, ``facility_existing``); outputs only read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

__all__ = ["EXISTING_COLUMNS", "PLACED", "FacilityPlan", "land_points"]

#: placements that reserve land (``unplaced`` and ``none needed`` do not)
PLACED = ("in site", "nearby parcel", "in site, displacing housing")
#: columns of the existing facilities after the allocation (:attr:`FacilityPlan.existing`)
EXISTING_COLUMNS = ["kind", "name", "capacity", "load", "absorbed", "free", "sites_served"]


@dataclass(frozen=True)
class FacilityPlan:
    """The second stage's result: the programme, where its land lies, the existing facilities after it.

    Attributes
    ----------
    programme : pandas.DataFrame
        One row per (housing site, kind) and per trade-union institution (:data:`PROGRAMME_COLUMNS`).
    land : geopandas.GeoDataFrame
        One point per programme row that reserves land (index: the programme's row), inside its
        host parcel (``shapely.point_on_surface``), with ``kind``, ``site``, ``zone``, ``host``,
        ``placement`` and ``land_m2``.
    existing : geopandas.GeoDataFrame
        The existing facilities of the programme's kinds: ``kind``, ``name``, ``capacity``,
        ``load``, ``absorbed``, ``free`` (places; NaN for kinds counted in sites) and
        ``sites_served``.
    """

    programme: pd.DataFrame
    land: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame


def land_points(programme: pd.DataFrame, geoms: gpd.GeoSeries) -> gpd.GeoDataFrame:
    """A point inside the host parcel of every programme row that reserves land.

    Parameters
    ----------
    programme : pandas.DataFrame
        The facility programme (``host``, ``placement``, ``land_m2``...).
    geoms : geopandas.GeoSeries
        Every parcel geometry, by parcel id.

    Returns
    -------
    geopandas.GeoDataFrame
        ``kind``, ``site``, ``zone``, ``host``, ``placement``, ``land_m2`` and a point, on the
        programme's index.
    """
    placed = programme[(programme["land_m2"] > 0) & programme["placement"].isin(PLACED)]
    pos = pd.Index(geoms.index.astype(str)).get_indexer(placed["host"].astype(str))
    points = shapely.point_on_surface(np.asarray(geoms.values)[pos]) if len(pos) else np.empty(0, dtype=object)
    cols = ["kind", "site", "zone", "host", "placement", "land_m2"]
    return gpd.GeoDataFrame(placed[cols], geometry=points, crs=geoms.crs)
