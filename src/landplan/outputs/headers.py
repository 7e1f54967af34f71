"""Spreadsheet headers in the run's language (the XLSX files a planner opens).

CSV, GeoPackage and GeoParquet keep landplan's English machine names (scripts read them); the XLSX
files, which people read, get headers in ``[output] language``: fixed columns by name, criterion
columns as ``<criterion title> (measured | 0–1 value | contribution)``. Unknown columns (the
parcels' own attributes) keep their names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from landplan.config import Scenario
    from landplan.outputs.i18n import Translator

__all__ = ["spreadsheet_headers"]


def _fixed(tr: Translator) -> dict[str, str]:
    return {
        "rank": tr("Rank"),
        "score": tr("Score"),
        "eligible": tr("Eligible"),
        "excluded_by": tr("Excluded by"),
        "top_drivers": tr("Top drivers"),
        "area_m2": tr("Area (m²)"),
        "net_area_m2": tr("Net area (m²)"),
        "removed_share": tr("Share removed"),
        "removed_by": tr("Removed by"),
        "centroid_lon": tr("Centroid longitude"),
        "centroid_lat": tr("Centroid latitude"),
        "zone": tr("Industrial zone"),
        "phase": tr("Phase"),
        "units": tr("Units"),
        "capacity_units": tr("Capacity (units)"),
        "commute_m": tr("Commute (m)"),
        "commute_min": tr("Commute (min)"),
        "area_ha": tr("Area (ha)"),
        "reserved_ha": tr("Reserved (ha)"),
        "workers": tr("Workers"),
        "workers_estimated": tr("Workers estimated"),
        "existing_units": tr("Existing units"),
        "units_needed": tr("Units needed by the workers"),
        "demand_units": tr("Units needed"),
        "allocated_units": tr("Units allocated"),
        "unmet_units": tr("Units unmet"),
        "unmet_share": tr("Unmet share"),
        "mean_commute_m": tr("Mean commute (m)"),
        "max_commute_m": tr("Longest commute (m)"),
        "mean_commute_min": tr("Mean commute (min)"),
        "max_commute_min": tr("Longest commute (min)"),
        "land_ha": tr("Land reserved (ha)"),
        "land_used_ha": tr("Land needed (ha)"),
        "over_reservation": tr("Reserved / needed"),
        "sites": tr("Parcels or sites"),
        "zone_id": tr("Zone id"),
        "parcel_id": tr("Parcel"),
        "name": tr("Name"),
        "units_gross": tr("Units needed before existing housing"),
        "floor_area_m2": tr("Floor area needed (m²)"),
        "land_needed_ha": tr("Land the units need (ha)"),
        "nearest_eligible_min_reach": tr("Nearest eligible parcel (min)"),
        "eligible_parcels_within_reach": tr("Eligible parcels within reach"),
        "eligible_ha_within_reach": tr("Eligible land within reach (ha)"),
        "workers_within_reach": tr("Workers within reach"),
    }


def spreadsheet_headers(columns: Iterable[object], scenario: Scenario, tr: Translator) -> dict[object, str]:
    """Header of each column in the translator's language (identity in English).

    Parameters
    ----------
    columns : iterable
        Column names of a table to write (the index name included by the caller if wanted).
    scenario : Scenario
        The scenario (criterion titles for ``<name>_raw/_value/_contrib`` columns).
    tr : Translator
        The language.

    Returns
    -------
    dict
        Column -> header, for :meth:`pandas.DataFrame.rename`; only the columns it knows.
    """
    if tr.lang == "en":
        return {}
    fixed = _fixed(tr)
    suffixes = {"_raw": tr("measured"), "_value": tr("value (0..1)"), "_contrib": tr("contribution")}
    titles = {c.name: c.title for c in scenario.criteria}
    out: dict[object, str] = {}
    for col in columns:
        name = str(col)
        if name in fixed:
            out[col] = fixed[name]
            continue
        for suffix, label in suffixes.items():
            base = name.removesuffix(suffix)
            if name.endswith(suffix) and base in titles:
                out[col] = f"{titles[base]} ({label})"
                break
    return out
