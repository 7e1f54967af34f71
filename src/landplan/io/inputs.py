"""Every file a scenario's run reads, sidecars included (for output-path safety checks)."""

from __future__ import annotations

from pathlib import Path

from landplan.config import Scenario

__all__ = ["scenario_inputs"]

#: files beside a layer or raster that GDAL reads with it (same stem, these suffixes)
_SIDECARS = {
    ".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".fbn", ".fbx", ".ain", ".aih", ".atx",
    ".ixs", ".mxs", ".qmd", ".tfw", ".tifw", ".tiffw", ".wld", ".jgw", ".pgw", ".ovr", ".msk", ".rrd", ".aux",
}  # fmt: skip


def scenario_inputs(scenario: Scenario) -> list[Path]:
    """Every file the run reads (for output-path safety checks).

    The scenario, the rule pack file, every layer and raster file, and their
    sidecars: files with the same stem and a sidecar suffix (shapefile
    ``.shx``/``.dbf``/``.prj``/``.cpg``, world files) and files named after the whole
    file (``.aux.xml``, ``.shp.xml``, GeoPackage ``-wal``/``-shm``).

    Parameters
    ----------
    scenario
        The loaded scenario; its folder is listed to find the sidecars.

    Returns
    -------
    list of pathlib.Path
        Resolved paths without repeats, in first-seen order.
    """
    s = scenario
    paths = [p for name in s.layers.names() if isinstance(p := s.layer_path(name), Path)]
    paths += [s.raster_path(name) for name in s.rasters]
    paths += [s.join_path(name) for name, spec in s.layers.items() if spec.join is not None]
    siblings: list[Path] = []
    for p in paths:
        if not p.parent.is_dir():
            continue
        stem, name = p.stem.lower(), p.name.lower()
        siblings += [
            q.resolve()
            for q in p.parent.iterdir()
            if (q.stem.lower() == stem and q.suffix.lower() in _SIDECARS) or q.name.lower().startswith(name)
        ]
    paths += siblings
    if (pack := s.rule_pack_path()) is not None:
        paths.append(pack)
    if s.source != "<memory>":
        paths.append(Path(s.source).resolve())
    return list(dict.fromkeys(paths))
