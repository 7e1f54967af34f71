"""landplan: find, score and reserve land for workers' social housing near industrial zones.

The public API, loaded lazily so that ``import landplan`` and ``landplan --help`` stay fast:

- :func:`load_scenario` - read a TOML scenario into frozen models;
- :func:`read_layer` - read any vector layer (GDAL formats, GeoParquet, CSV lon/lat);
- :func:`load_study`, :func:`validate` - read every layer once in the working CRS, check them;
- :func:`score` - criteria, constraints, value functions, weights, ranks (:class:`Scores`);
- :func:`compute`, :func:`produce` - load, score, allocate; and write chosen outputs;
- :func:`run` - the whole pipeline, returning a :class:`Result`;
- :func:`parcel_map` - the interactive folium map;
- :mod:`landplan.criteria`, :mod:`landplan.constraints`, :mod:`landplan.scoring` - the stages.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("landplan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

_LAZY = {
    "load_scenario": "landplan.config",
    "Scenario": "landplan.config",
    "load_rule_pack": "landplan.config",
    "read_layer": "landplan.io",
    "write_table": "landplan.io",
    "load_study": "landplan.load",
    "validate": "landplan.load",
    "score": "landplan.scoring.score",
    "compute": "landplan.pipeline",
    "produce": "landplan.pipeline",
    "run": "landplan.pipeline",
    "Study": "landplan.model",
    "Scores": "landplan.model",
    "Allocation": "landplan.model",
    "Result": "landplan.model",
    "ranked_table": "landplan.outputs.tables",
    "explain": "landplan.outputs.scorecard",
    "parcel_map": "landplan.outputs.webmap",
    "LandplanError": "landplan.errors",
}

__all__ = [  # noqa: RUF022 - grouped, not sorted
    "Allocation",
    "LandplanError",
    "Result",
    "Scenario",
    "Scores",
    "Study",
    "__version__",
    "compute",
    "explain",
    "load_study",
    "load_rule_pack",
    "load_scenario",
    "parcel_map",
    "produce",
    "ranked_table",
    "read_layer",
    "run",
    "score",
    "validate",
    "write_table",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in {
        "criteria",
        "constraints",
        "scoring",
        "datasets",
        "crs",
        "io",
        "errors",
        "config",
        "mapping",
        "pipeline",
        "validation",
    }:
        return importlib.import_module(f"landplan.{name}")
    msg = f"module 'landplan' has no attribute {name!r}"
    raise AttributeError(msg)
