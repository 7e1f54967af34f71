"""Every file landplan can write, by key: one :class:`Product` (a file name and one function).

``landplan run`` writes the products its scenario asks for into a folder; ``rank``, ``map``,
``report`` and ``allocate`` write one or a few of the same products to the paths given. A new
output is one function and one entry in :data:`PRODUCTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from landplan.config import Scenario
from landplan.errors import InputError
from landplan.io import FORMATS, atomic_path, write_csv, write_parquet_parts, write_table
from landplan.model import Result
from landplan.outputs.sites import SITE_FILES, write_site_file
from landplan.outputs.tables import ALLOCATION_FILES, write_allocation_file

if TYPE_CHECKING:
    import geopandas as gpd

    from landplan.scoring.sensitivity import SensitivityResult

__all__ = ["PRODUCTS", "Product", "Render", "folder_targets", "write_product"]


@dataclass
class Render:
    """What the writers of one run share: the result, options, and pages rendered once.

    Attributes
    ----------
    result : Result
        The computed run (study, scores, wide ranking, allocation, manifest).
    top : int or None
        Ranked tables: only the ``top`` best eligible parcels (None: every parcel).
    pages : dict
        Rendered pages kept for reuse (the offline map page is drawn once for map and report).
    """

    result: Result
    top: int | None = None
    pages: dict[str, str] = field(default_factory=dict)
    _sensitivity: list[SensitivityResult | None] = field(default_factory=list, repr=False)

    def sensitivity(self) -> SensitivityResult | None:
        """The Monte-Carlo weight sensitivity charted in the report, drawn once for HTML and PDF.

        Returns
        -------
        SensitivityResult or None
            None when ``[output] sensitivity_runs`` is 0 or no parcel is eligible.
        """
        if not self._sensitivity:
            from landplan.scoring.sensitivity import monte_carlo

            r = self.result
            out = r.study.scenario.output
            result = None
            if out.sensitivity_runs and r.scores.eligible.any():
                result = monte_carlo(
                    r.scores.values,
                    r.scores.weights,
                    eligible=r.scores.eligible,
                    runs=out.sensitivity_runs,
                    top_k=out.cards,
                    rank_parcels=out.cards,  # the report charts only these: no parcels x runs table
                )
            self._sensitivity.append(result)
        return self._sensitivity[0]

    def map_page(self, *, offline: bool) -> str:
        """The scenario's HTML map page, rendered once per mode.

        Parameters
        ----------
        offline : bool
            Inline every asset and draw no web tiles (``[output] assets = "inline"``).

        Returns
        -------
        str
            The HTML page.
        """
        key = "offline" if offline else "online"
        if key not in self.pages:
            from landplan.outputs.webmap import map_html, scenario_map

            r = self.result
            out = r.study.scenario.output
            m = scenario_map(
                r.study,
                r.scores,
                ranked=r.ranked,
                top=out.top,
                allocation=r.allocation,
                offline=offline,
                classification=out.classification,
                sites=r.sites,
            )
            self.pages[key] = map_html(m, offline=offline)
        return self.pages[key]


Writer = Callable[[Render, Path], None]


@dataclass(frozen=True)
class Product:
    """One output file: its default name and the function that writes it atomically."""

    key: str
    filename: str
    write: Writer
    needs_allocation: bool = False
    needs_sites: bool = False


def _ranked(fmt: str) -> Writer:
    def write(render: Render, path: Path) -> None:
        r = render.result
        table = r.ranked if render.top is None else r.ranked.loc[r.scores.top(render.top)]
        net = r.scores.net
        if net is not None and net.subtracted:  # GeoParquet: a column; GeoPackage: layer ranking_net
            table = table.assign(net_geometry=net.geometry.reindex(table.index))
        bom = r.study.scenario.output.csv_bom
        if fmt == "xlsx":  # read by people: headers in the run's language
            table = _translated(table, r)
        compute = r.study.scenario.compute
        if fmt == "parquet" and compute.partitioned_output:  # a folder of parts (issue 15)
            write_parquet_parts(table, path, rows_per_part=compute.partition_parcels, overwrite=True)
            return
        if fmt != "gpkg":
            write_table(table, path, format=fmt, overwrite=True, csv_bom=bom)
            return
        from landplan.outputs.qgis import add_layer_styles, result_renderers, styles_qml

        with atomic_path(path) as tmp:  # the QGIS style goes in before the file is published
            write_table(table, tmp, format=fmt, overwrite=True)
            add_layer_styles(tmp, styles_qml(result_renderers(r)["ranked_gpkg"]))

    return write


def _translated(table: gpd.GeoDataFrame, r: Result) -> gpd.GeoDataFrame:
    """A table with its headers (and index name) in the scenario's output language."""
    from landplan.outputs.headers import spreadsheet_headers
    from landplan.outputs.i18n import scenario_words, translator
    from landplan.outputs.wording import translated_values

    s = r.study.scenario
    tr = translator(s.output.language, data=scenario_words(s, s.output.language))
    table = translated_values(table, r, tr)
    names = spreadsheet_headers([*table.columns, table.index.name], s, tr)
    out = table.rename(columns=names)
    out.index.name = names.get(table.index.name, table.index.name)
    return out


def _allocation(key: str) -> Writer:
    def write(render: Render, path: Path) -> None:
        r = render.result
        if r.allocation is None:  # pragma: no cover - refused when targets are planned
            msg = f"{key}: the run has no allocation"
            raise ValueError(msg)
        if key != "allocation_gpkg":
            write_allocation_file(r.allocation, r.study, key, path, csv_bom=r.study.scenario.output.csv_bom)
            return
        from landplan.outputs.qgis import add_layer_styles, result_renderers, styles_qml

        with atomic_path(path) as tmp:
            write_allocation_file(r.allocation, r.study, key, tmp)
            add_layer_styles(tmp, styles_qml(result_renderers(r)["allocation_gpkg"]))

    return write


def _sites(key: str) -> Writer:
    def write(render: Render, path: Path) -> None:
        r = render.result
        if r.sites is None:
            msg = f"{key}: the scenario has no [sites] table"
            raise InputError(msg)
        write_site_file(r.sites, r.study, r.scores, key, path)

    return write


def _large(r: Result) -> bool:
    """Whether the run has more parcels than ``[output] tiles_above`` (tiled map, no map in the report)."""
    return len(r.ranked) > r.study.scenario.output.tiles_above


def _map(render: Render, path: Path) -> None:
    from landplan.outputs.webmap import save_page, scenario_tiled_map

    r = render.result
    out = r.study.scenario.output
    if _large(r):  # map.html + map_files/: vector tiles, always offline
        scenario_tiled_map(
            r.study,
            r.scores,
            path,
            ranked=r.ranked,
            top=out.top,
            allocation=r.allocation,
            classification=out.classification,
        )
        return
    save_page(render.map_page(offline=out.inline_assets), path)


def _map_png(render: Render, path: Path) -> None:
    _print_map(render, path)


def _print_map(render: Render, path: Path) -> None:
    from landplan.outputs.print_map import save_print_map

    r = render.result
    out = r.study.scenario.output
    save_print_map(
        r.study,
        r.scores,
        path,
        ranked=r.ranked,
        allocation=r.allocation,
        paper=out.paper,
        classification=out.classification,
        top=out.top,
        lang=out.language,
    )


def _qgis_project(render: Render, path: Path) -> None:
    from landplan.outputs.qgis import project_layers, write_project

    r = render.result
    files = {"ranked_gpkg": PRODUCTS["ranked_gpkg"].filename}
    if r.allocation is not None:
        files["allocation_gpkg"] = PRODUCTS["allocation_gpkg"].filename
    authid = r.study.crs.to_string() if r.study.crs is not None else ""
    with atomic_path(path) as tmp:
        write_project(
            tmp,
            title=r.study.scenario.scenario.title_in(r.study.scenario.output.language),
            authid=authid,
            layers=project_layers(r, files),
            qgs_name=path.with_suffix(".qgs").name,
        )


def _facility_programme(render: Render, path: Path) -> None:
    r = render.result
    if r.allocation is None or r.allocation.facilities is None:
        msg = "facility_programme: the run has no facility programme; add [allocation.facilities] to the scenario"
        raise InputError(msg)
    with atomic_path(path) as tmp:
        write_csv(r.allocation.facilities, tmp, index=False, bom=r.study.scenario.output.csv_bom)


def _report(render: Render, path: Path) -> None:
    from landplan.outputs.report import write_report

    r = render.result
    write_report(
        path,
        r.study,
        r.scores,
        ranked=r.ranked,
        allocation=r.allocation,
        manifest=r.manifest,
        sensitivity=render.sensitivity(),
        top=r.study.scenario.output.cards,
        map_page=None if _large(r) else render.map_page(offline=True),
        interactive_map=not _large(r),
        map_beside=PRODUCTS["map"].filename if _large(r) else None,
        sites=r.sites,
    )


def _report_pdf(render: Render, path: Path) -> None:
    from landplan.outputs.report import write_report_pdf

    r = render.result
    write_report_pdf(
        path,
        r.study,
        r.scores,
        ranked=r.ranked,
        allocation=r.allocation,
        manifest=r.manifest,
        sensitivity=render.sensitivity(),
        top=r.study.scenario.output.cards,
        map_beside=PRODUCTS["map"].filename if _large(r) else None,
    )


#: every product by key
PRODUCTS: dict[str, Product] = {
    **{f"ranked_{fmt}": Product(f"ranked_{fmt}", f"ranked{suffix}", _ranked(fmt)) for fmt, suffix in FORMATS.items()},
    **{key: Product(key, name, _allocation(key), needs_allocation=True) for key, name in ALLOCATION_FILES.items()},
    **{key: Product(key, name, _sites(key), needs_sites=True) for key, name in SITE_FILES.items()},
    "facility_programme": Product(
        "facility_programme", "facility_programme.csv", _facility_programme, needs_allocation=True
    ),
    "map": Product("map", "map.html", _map),
    "map_png": Product("map_png", "map.png", _map_png),
    "print_map": Product("print_map", "map.pdf", _print_map),
    "report": Product("report", "report.html", _report),
    "report_pdf": Product("report_pdf", "report.pdf", _report_pdf),
    "qgis_project": Product("qgis_project", "project.qgz", _qgis_project),
}


def folder_targets(s: Scenario, out_dir: Path, *, formats: list[str], write_map: bool) -> dict[str, Path]:
    """The products ``landplan run`` writes into ``out_dir`` for a scenario, by key.

    Parameters
    ----------
    s : Scenario
        The scenario (its ``[output]``, ``[allocation]`` and ``[sites]`` tables).
    out_dir : pathlib.Path
        The output folder.
    formats : list of str
        Formats of the ranked list.
    write_map : bool
        Whether to draw the HTML map.

    Returns
    -------
    dict of str to pathlib.Path
        Product key -> file (the manifest is not a product: the pipeline writes it last).
    """
    keys = [f"ranked_{fmt}" for fmt in formats]
    if s.allocation is not None:
        keys += list(ALLOCATION_FILES)
    if s.sites is not None:
        keys += list(SITE_FILES)
    if s.allocation is not None and s.allocation.facilities is not None:
        keys.append("facility_programme")
    if write_map:
        keys.append("map")
    if s.output.report:
        keys.append("report")
    if s.output.report and s.output.pdf:
        keys.append("report_pdf")
    if "gpkg" in formats:
        keys.append("qgis_project")
    return {key: out_dir / PRODUCTS[key].filename for key in keys}


def write_product(render: Render, key: str, path: Path) -> None:
    """Write one product to ``path`` (atomically; the caller has checked the path).

    Parameters
    ----------
    render : Render
        The run's shared writer state.
    key : str
        A key of :data:`PRODUCTS`.
    path : pathlib.Path
        Target file.
    """
    PRODUCTS[key].write(render, path)
