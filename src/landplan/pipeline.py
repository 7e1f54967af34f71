"""The orchestrator: scenario -> study -> scores -> allocation -> outputs.

:func:`compute`; :func:`produce` for single products; :func:`run` for a staged folder or PostGIS tables.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from landplan.allocation import allocate as allocate_demand
from landplan.config import AllocationSpec, Scenario
from landplan.engine import score_study
from landplan.io import check_output_path, is_postgis_url, output_folder, scenario_inputs
from landplan.load import as_scenario, load_study
from landplan.model import Result
from landplan.outputs.manifest import manifest, sha256
from landplan.outputs.postgis import check_database_target, write_database
from landplan.outputs.products import PRODUCTS, Render, folder_targets, write_product
from landplan.outputs.tables import ranked_table
from landplan.sites import site_study

__all__ = ["compute", "produce", "run"]

Progress = Callable[[float, str], None]


def _noop(_frac: float, _msg: str) -> None:
    return None


def compute(
    scenario: Scenario | str | os.PathLike[str],
    *,
    allocate: bool | None = None,
    allocation: AllocationSpec | None = None,
    progress: Progress | None = None,
) -> Result:
    """Load, score and allocate a scenario; nothing is written.

    Parameters
    ----------
    scenario : Scenario, str or os.PathLike
        The scenario or its TOML file.
    allocate : bool, optional
        Allocate demand (default: when the scenario has an ``[allocation]`` table).
    allocation : AllocationSpec, optional
        Allocation settings instead of the scenario's.
    progress : callable, optional
        ``f(fraction, message)``.

    Returns
    -------
    Result
        Study, scores, wide ranking, allocation, manifest; with ``[sites]``, the study's rows are sites.
    """
    progress, s = progress or _noop, as_scenario(scenario)
    study = load_study(s, progress=lambda f, m: progress(0.4 * f, m))
    study, sites = site_study(study) if s.sites is not None else (study, None)
    scores = score_study(study, progress=lambda f, m: progress(0.4 + 0.3 * f, m))
    alloc = None
    if allocate if allocate is not None else s.allocation is not None:
        progress(0.7, "allocating")
        alloc = allocate_demand(study, scores, spec=allocation)
    info, ranked = manifest(study, scores, allocation=alloc, sites=sites), ranked_table(study, scores)
    return Result(study=study, scores=scores, ranked=ranked, allocation=alloc, manifest=info, sites=sites)


def produce(
    scenario: Scenario | str | os.PathLike[str],
    targets: Mapping[str, str | os.PathLike[str]],
    *,
    overwrite: bool = False,
    top: int | None = None,
    allocate: bool | None = None,
    allocation: AllocationSpec | None = None,
    progress: Progress | None = None,
) -> Result:
    """Compute a scenario and write the products named in ``targets``, each atomically.

    Every target is checked before any work: existing files are refused unless ``overwrite``; inputs,
    links, pipes and paths under a file always.

    Parameters
    ----------
    scenario : Scenario, str or os.PathLike
        The scenario or its TOML file.
    targets : Mapping[str, path]
        Product key (see :data:`landplan.outputs.products.PRODUCTS`) -> file to write.
    overwrite : bool, default False
        Replace existing files.
    top : int, optional
        Ranked tables hold only the ``top`` best eligible parcels.
    allocate : bool, optional
        Allocate demand (default: when the scenario has an ``[allocation]`` table, or when a
        target needs it).
    allocation : AllocationSpec, optional
        Allocation settings instead of the scenario's.
    progress : callable, optional
        ``f(fraction, message)``.

    Returns
    -------
    Result
        With ``outputs`` naming every file written.
    """
    progress = progress or _noop
    s = as_scenario(scenario)
    paths = {key: Path(p) for key, p in targets.items()}
    _check_targets(s, paths.values(), overwrite=overwrite)
    allocate = True if any(PRODUCTS[key].needs_allocation for key in paths) else allocate
    result = compute(s, allocate=allocate, allocation=allocation, progress=lambda f, m: progress(0.8 * f, m))
    render = Render(result, top=top)
    for key, path in paths.items():
        progress(0.85, f"writing {path.name}")
        write_product(render, key, path)
    progress(1.0, "done")
    return Result(**{**vars(result), "outputs": paths})


def run(
    scenario: Scenario | str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    formats: list[str] | None = None,
    write_map: bool | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Result:
    """Run the whole pipeline and (when ``out_dir`` is given) write its outputs into a folder or PostGIS.

    Writes ``ranked.<fmt>`` for each format, the allocation tables, ``map.html``, ``report.html`` and
    ``manifest.json`` (with the sha256 of every output), every path checked before any work. The folder is
    locked for the run, and all files are staged beside it and moved in together only when every one
    succeeded. A ``postgresql://...?schema=name`` target gets :mod:`landplan.outputs.postgis`'s tables.

    Parameters
    ----------
    scenario : Scenario, str or os.PathLike
        The scenario or its TOML file.
    out_dir : str or os.PathLike, optional
        The output folder or database URL (nothing is written without it).
    formats : list of str, optional
        Ranked-list formats (default: the scenario's ``[output] formats``).
    write_map : bool, optional
        Draw the HTML map (default: the scenario's ``[output] map``).
    overwrite : bool, default False
        Replace existing files.
    progress : callable, optional
        ``f(fraction, message)``.

    Returns
    -------
    Result
        With ``outputs`` and the manifest as written.

    Raises
    ------
    OutputExistsError
        If an output is refused or the folder is in use by another run.
    """
    progress = progress or _noop
    s = as_scenario(scenario)
    if out_dir is None:
        return compute(s, progress=progress)
    if is_postgis_url(out_dir):
        check_database_target(s, str(out_dir), overwrite=overwrite)
        result = compute(s, progress=progress)
        return Result(**{**vars(result), "outputs": write_database(result, str(out_dir), overwrite=overwrite)})
    fmts = formats or list(s.output.formats)
    targets = folder_targets(s, Path(out_dir), formats=fmts, write_map=s.output.map if write_map is None else write_map)
    manifest_path = Path(out_dir) / "manifest.json"
    _check_targets(s, [*targets.values(), manifest_path], overwrite=overwrite)
    with output_folder(out_dir) as folder:
        _check_targets(s, [*targets.values(), manifest_path], overwrite=overwrite)  # now that no other run can
        result = compute(s, progress=lambda f, m: progress(0.8 * f, m))
        render = Render(result)
        staged = {key: folder.path(path.name) for key, path in targets.items()}
        for key, path in staged.items():
            progress(0.85, f"writing {path.name}")
            write_product(render, key, path)
        info = dict(result.manifest)
        info["outputs"] = {k: str(v) for k, v in targets.items()}
        info["output_sha256"] = {k: sha256(p) for k, p in staged.items()}
        folder.path(manifest_path.name).write_text(
            json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    progress(1.0, "done")
    return Result(**{**vars(result), "outputs": {**targets, "manifest": manifest_path}, "manifest": info})


def _check_targets(s: Scenario, paths: Iterable[Path], *, overwrite: bool) -> None:
    inputs = scenario_inputs(s)
    for path in paths:
        check_output_path(path, inputs=inputs, overwrite=overwrite)
