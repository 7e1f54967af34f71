"""Reading layers from any GDAL vector format, and writing outputs atomically.

:func:`read_layer` is the one entry point for vector input: every format GDAL reads
through pyogrio (Shapefile with its ``.cpg``/``.prj``, GeoPackage, GeoJSON, KML,
FlatGeobuf..., OGC WFS and API Features services), GeoParquet through pyarrow, CSV with
lon/lat columns, and PostGIS tables or queries (SQLAlchemy + psycopg).
Writers never leave a half-written file: they write next to the target and rename.

Modules: :mod:`~landplan.io.read` (vector layers), :mod:`~landplan.io.text` (text
encodings), :mod:`~landplan.io.csv_points` (CSV lon/lat), :mod:`~landplan.io.postgis`
(PostGIS), :mod:`~landplan.io.raster` (rasters), :mod:`~landplan.io.osm` (OpenStreetMap),
:mod:`~landplan.io.inputs` (files a
scenario reads), :mod:`~landplan.io.write` (safe writing) and :mod:`~landplan.io.tables`
(table formats). This package re-exports them.
"""

from __future__ import annotations

from landplan.io.csv_points import compact_ranges
from landplan.io.inputs import scenario_inputs
from landplan.io.osm import read_osm
from landplan.io.postgis import is_postgis_url
from landplan.io.read import read_layer
from landplan.io.tables import (
    FORMATS,
    FORMULA_TRIGGERS,
    OutputFormat,
    crs_label,
    freeze_xlsx,
    output_format,
    spreadsheet_safe,
    table_for_csv,
    write_csv,
    write_parquet_parts,
    write_table,
    write_xlsx,
)
from landplan.io.write import (
    OutputFolder,
    atomic_folder,
    atomic_path,
    check_output_path,
    clean_stale_temp_files,
    output_folder,
)

__all__ = [
    "FORMATS",
    "FORMULA_TRIGGERS",
    "OutputFolder",
    "OutputFormat",
    "atomic_folder",
    "atomic_path",
    "check_output_path",
    "clean_stale_temp_files",
    "compact_ranges",
    "crs_label",
    "freeze_xlsx",
    "is_postgis_url",
    "output_folder",
    "output_format",
    "read_layer",
    "read_osm",
    "scenario_inputs",
    "spreadsheet_safe",
    "table_for_csv",
    "write_csv",
    "write_parquet_parts",
    "write_table",
    "write_xlsx",
]
