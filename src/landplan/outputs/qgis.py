"""QGIS styles and project: the outputs open in QGIS looking like the maps.

* :func:`ranking_qml` and friends build QGIS layer styles (QML): the ranking as a rule-based renderer
  with the same score classes and palette as every other map (excluded parcels grey), the reserved
  parcels by zone, zones and their links.
* :func:`add_layer_styles` stores styles in a GeoPackage's ``layer_styles`` table, the table QGIS reads
  (and writes with "Save as default") when a GeoPackage layer is opened: the style applies by itself.
* :func:`write_project` writes a ``.qgz`` project (a zip holding one ``.qgs`` XML file) with every
  output layer, styled and grouped, referenced by relative paths, so the output folder can be moved.

Everything is built with :mod:`xml.etree.ElementTree` (data text is escaped as XML, never markup) and
written without timestamps, so the same run gives the same bytes.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from landplan.model import Result
    from landplan.outputs.i18n import Translator

__all__ = [
    "QgisLayer",
    "add_layer_styles",
    "categories_qml",
    "project_layers",
    "ranking_qml",
    "result_renderers",
    "simple_qml",
    "styles_qml",
    "write_project",
]

QGIS_VERSION = "3.28.0-Firenze"
#: zone colours of the allocation layers (no red: red means a poor score on every landplan map)
ZONE_PALETTE = ["#1f78b4", "#33a02c", "#6a3d9a", "#ff7f00", "#b15928", "#a6cee3", "#b2df8a", "#cab2d6", "#fdbf6f"]


def _rgba(color: str, alpha: float = 1.0) -> str:
    c = color.lstrip("#")
    r, g, b = (int(c[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _symbol(parent: ET.Element, name: str, kind: str, color: str, *, alpha: float = 1.0, width: float = 0.26) -> None:
    """One QGIS symbol (fill or line) with a simple layer."""
    symbol = ET.SubElement(
        parent, "symbol", {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"}
    )
    layer_class = "SimpleFill" if kind == "fill" else "SimpleLine"
    layer = ET.SubElement(symbol, "layer", {"class": layer_class, "enabled": "1", "pass": "0", "locked": "0"})
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    values = (
        {"color": _rgba(color, alpha), "outline_color": "85,85,85,255", "outline_width": "0.1", "style": "solid"}
        if kind == "fill"
        else {"line_color": _rgba(color, alpha), "line_width": str(width), "line_style": "solid"}
    )
    for key, value in values.items():
        ET.SubElement(options, "Option", {"name": key, "type": "QString", "value": value})


def _document(renderer: ET.Element) -> str:
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology"})
    root.append(renderer)
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def _quote(field: str) -> str:
    return '"' + field.replace('"', '""') + '"'


def ranking_renderer(
    bins: Sequence[float] | np.ndarray, palette: Sequence[str], excluded_color: str, tr: Translator
) -> ET.Element:
    """The ranking's rule-based renderer: one rule per score class, excluded parcels grey.

    Parameters
    ----------
    bins : sequence of float
        Class upper bounds, ascending (as :func:`landplan.outputs.style.score_classes` gives them).
    palette : sequence of str
        One ``#rrggbb`` colour per class, worst to best.
    excluded_color : str
        Colour of excluded parcels.
    tr : Translator
        Language of the rule labels.

    Returns
    -------
    xml.etree.ElementTree.Element
        A ``renderer-v2`` element.
    """
    renderer = ET.Element("renderer-v2", {"type": "RuleRenderer", "symbollevels": "0", "forceraster": "0"})
    rules = ET.SubElement(renderer, "rules", {"key": "root"})
    symbols = ET.SubElement(renderer, "symbols")
    score, eligible = _quote("score"), _quote("eligible")
    ET.SubElement(
        rules, "rule", {"key": "excluded", "label": tr("Excluded"), "filter": f"NOT {eligible}", "symbol": "0"}
    )
    _symbol(symbols, "0", "fill", excluded_color)
    lows = [-np.inf, *bins[:-1]]
    for i, (lo, hi, color) in enumerate(zip(lows, bins, palette, strict=True), start=1):
        low = "" if not np.isfinite(lo) else f" AND {score} > {float(lo)!r}"
        upper = "" if i == len(bins) else f" AND {score} <= {float(hi)!r}"
        label = f"{tr('Score')} ≤ {tr.number(float(hi), decimals=2)}"
        ET.SubElement(
            rules, "rule", {"key": f"class{i}", "label": label, "filter": f"{eligible}{low}{upper}", "symbol": str(i)}
        )
        _symbol(symbols, str(i), "fill", color)
    return renderer


def ranking_qml(bins: Sequence[float] | np.ndarray, palette: Sequence[str], excluded_color: str, tr: Translator) -> str:
    """The ranking's style as a QML document (see :func:`ranking_renderer`).

    Parameters
    ----------
    bins : sequence of float
        Class upper bounds, ascending.
    palette : sequence of str
        One colour per class, worst to best.
    excluded_color : str
        Colour of excluded parcels.
    tr : Translator
        Language of the labels.

    Returns
    -------
    str
        The QML text.
    """
    return _document(ranking_renderer(bins, palette, excluded_color, tr))


def categories_renderer(field: str, values: Sequence[str], labels: Sequence[str]) -> ET.Element:
    """A categorized renderer: one colour per value of ``field`` (zones of the reserved parcels).

    Parameters
    ----------
    field : str
        The attribute.
    values : sequence of str
        Its values, in legend order.
    labels : sequence of str
        One legend label per value (zone names).

    Returns
    -------
    xml.etree.ElementTree.Element
        A ``renderer-v2`` element.
    """
    renderer = ET.Element("renderer-v2", {"type": "categorizedSymbol", "attr": field, "symbollevels": "0"})
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        ET.SubElement(cats, "category", {"value": str(value), "label": str(label), "symbol": str(i), "render": "true"})
        _symbol(symbols, str(i), "fill", ZONE_PALETTE[i % len(ZONE_PALETTE)])
    return renderer


def categories_qml(field: str, values: Sequence[str], labels: Sequence[str]) -> str:
    """:func:`categories_renderer` as a QML document.

    Parameters
    ----------
    field : str
        The attribute.
    values : sequence of str
        Its values.
    labels : sequence of str
        Their legend labels.

    Returns
    -------
    str
        The QML text.
    """
    return _document(categories_renderer(field, values, labels))


def simple_renderer(kind: str, color: str, *, alpha: float = 1.0) -> ET.Element:
    """A single-symbol renderer (zones: a translucent fill; links: a thin line).

    Parameters
    ----------
    kind : {"fill", "line"}
        Symbol type.
    color : str
        ``#rrggbb``.
    alpha : float, default 1.0
        Opacity of the colour.

    Returns
    -------
    xml.etree.ElementTree.Element
        A ``renderer-v2`` element.
    """
    renderer = ET.Element("renderer-v2", {"type": "singleSymbol", "symbollevels": "0"})
    _symbol(ET.SubElement(renderer, "symbols"), "0", kind, color, alpha=alpha)
    return renderer


def simple_qml(kind: str, color: str, *, alpha: float = 1.0) -> str:
    """:func:`simple_renderer` as a QML document.

    Parameters
    ----------
    kind : {"fill", "line"}
        Symbol type.
    color : str
        ``#rrggbb``.
    alpha : float, default 1.0
        Opacity.

    Returns
    -------
    str
        The QML text.
    """
    return _document(simple_renderer(kind, color, alpha=alpha))


_LAYER_STYLES = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME)"""


def add_layer_styles(gpkg: str | Path, styles: dict[str, str], *, geometry_column: str = "geom") -> None:
    """Store QML styles in a GeoPackage's ``layer_styles`` table, each the default of its layer.

    Parameters
    ----------
    gpkg : str or pathlib.Path
        The GeoPackage (written by landplan, not yet published: call it on the temporary file).
    styles : dict of str to str
        Layer (table) name -> QML text.
    geometry_column : str, default "geom"
        Geometry column of the layers (GDAL's default for GeoPackage).
    """
    con = sqlite3.connect(gpkg)
    try:
        with con:
            con.execute(_LAYER_STYLES)
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', '1970-01-01T00:00:00.000Z')"
            )
            for table in sorted(styles):
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (table,))
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, '', 1, 'landplan', '', NULL, '1970-01-01T00:00:00Z')",
                    (table, geometry_column, f"landplan {table}", styles[table]),
                )
    finally:
        con.close()


@dataclass(frozen=True)
class QgisLayer:
    """One layer of a QGIS project.

    Parameters
    ----------
    group : str
        Layer-tree group (translated).
    name : str
        Layer name shown in QGIS.
    path : str
        Data file relative to the project (``ranked.gpkg``).
    table : str
        Layer inside the file.
    geometry : {"Polygon", "Line", "Point"}
        Geometry type.
    renderer : xml.etree.ElementTree.Element
        Its renderer (``renderer-v2``).
    """

    group: str
    name: str
    path: str
    table: str
    geometry: str
    renderer: ET.Element


def _project_xml(title: str, authid: str, layers: list[QgisLayer]) -> str:
    root = ET.Element("qgis", {"projectname": title, "version": QGIS_VERSION})
    ET.SubElement(root, "title").text = title
    srs = ET.SubElement(ET.SubElement(root, "projectCrs"), "spatialrefsys")
    ET.SubElement(srs, "authid").text = authid
    tree = ET.SubElement(root, "layer-tree-group")
    groups: dict[str, ET.Element] = {}
    projectlayers = ET.SubElement(root, "projectlayers")
    for i, layer in enumerate(layers):
        layer_id = f"landplan_{i:02d}_{layer.table}"
        source = f"./{layer.path}|layername={layer.table}"
        if layer.group not in groups:
            groups[layer.group] = ET.SubElement(
                tree, "layer-tree-group", {"name": layer.group, "checked": "Qt::Checked", "expanded": "1"}
            )
        ET.SubElement(
            groups[layer.group],
            "layer-tree-layer",
            {"id": layer_id, "name": layer.name, "source": source, "providerKey": "ogr", "checked": "Qt::Checked"},
        )
        ml = ET.SubElement(projectlayers, "maplayer", {"type": "vector", "geometry": layer.geometry})
        ET.SubElement(ml, "id").text = layer_id
        ET.SubElement(ml, "datasource").text = source
        ET.SubElement(ml, "layername").text = layer.name
        ET.SubElement(ET.SubElement(ET.SubElement(ml, "srs"), "spatialrefsys"), "authid").text = authid
        ET.SubElement(ml, "provider", {"encoding": "UTF-8"}).text = "ogr"
        ml.append(layer.renderer)
    props = ET.SubElement(ET.SubElement(root, "properties"), "Paths")
    ET.SubElement(props, "Absolute", {"type": "bool"}).text = "false"
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def write_project(
    path: str | Path, *, title: str, authid: str, layers: list[QgisLayer], qgs_name: str | None = None
) -> Path:
    """Write a ``.qgz`` project: one ``.qgs`` XML in a zip with a fixed date (same bytes each run).

    Parameters
    ----------
    path : str or pathlib.Path
        Target ``.qgz`` (the caller makes it atomic).
    title : str
        Project title (the scenario name).
    authid : str
        The working CRS (``EPSG:32648``).
    layers : list of QgisLayer
        Layers in drawing order, top first, grouped by their ``group``.
    qgs_name : str, optional
        Name of the ``.qgs`` entry in the zip (default: the target's name with ``.qgs``; give the
        final name when ``path`` is a temporary file).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = Path(path)
    info = zipfile.ZipInfo(qgs_name or target.with_suffix(".qgs").name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr(info, _project_xml(title, authid, layers))
    return target


def result_renderers(result: Result) -> dict[str, dict[str, tuple[str, ET.Element]]]:
    """The renderer of every GeoPackage layer a run writes, by product key and layer.

    Parameters
    ----------
    result : Result
        The computed run.

    Returns
    -------
    dict
        ``{"ranked_gpkg": {"ranking": (geometry, renderer)}, "allocation_gpkg": {...}}`` (the allocation
        entry only when the run has one); geometry is ``Polygon`` or ``Line``.
    """
    from landplan.outputs.i18n import translator
    from landplan.outputs.style import EXCLUDED_COLOR, score_classes

    out = result.study.scenario.output
    tr = translator(out.language)
    ranked = result.ranked
    classes = score_classes(
        ranked["score"].to_numpy(dtype="float64"),
        ranked["eligible"].to_numpy(dtype=bool),
        scheme=out.classification,
        k=5,
        breaks=out.breaks,
    )
    styles: dict[str, dict[str, tuple[str, ET.Element]]] = {
        "ranked_gpkg": {"ranking": ("Polygon", ranking_renderer(classes.bins, classes.palette, EXCLUDED_COLOR, tr))}
    }
    if result.allocation is not None:
        zones = sorted({str(z) for z in result.allocation.parcels["zone"]})
        names = [str(result.study.zone_names.get(z, z)) for z in zones]
        styles["allocation_gpkg"] = {
            "allocated_parcels": ("Polygon", categories_renderer("zone", zones, names)),
            "zones": ("Polygon", simple_renderer("fill", "#5e3c99", alpha=0.45)),
            "links": ("Line", simple_renderer("line", "#636363")),
        }
    return styles


def project_layers(result: Result, files: dict[str, str]) -> list[QgisLayer]:
    """The project's layers for the GeoPackages a run writes, grouped and named in the run's language.

    Parameters
    ----------
    result : Result
        The computed run.
    files : dict of str to str
        Product key (``ranked_gpkg``, ``allocation_gpkg``) -> file name beside the project.

    Returns
    -------
    list of QgisLayer
        Allocation layers first (drawn on top), then the ranking.
    """
    from landplan.outputs.i18n import translator

    tr = translator(result.study.scenario.output.language)
    names = {
        "links": tr("Links to zones"),
        "zones": tr("Industrial zone"),
        "allocated_parcels": tr("Reserved land"),
        "ranking": tr("Suitability score"),
    }
    groups = {"allocation_gpkg": tr("Allocation"), "ranked_gpkg": tr("Ranking")}
    renderers = result_renderers(result)
    layers = []
    for key in ("allocation_gpkg", "ranked_gpkg"):
        if key not in files or key not in renderers:
            continue
        for table, (geometry, renderer) in renderers[key].items():
            layers.append(QgisLayer(groups[key], names[table], files[key], table, geometry, renderer))
    return layers


def styles_qml(renderers: dict[str, tuple[str, ET.Element]]) -> dict[str, str]:
    """QML documents of a file's renderers, by layer (for :func:`add_layer_styles`).

    Parameters
    ----------
    renderers : dict
        Layer -> (geometry, renderer), one entry of :func:`result_renderers`.

    Returns
    -------
    dict of str to str
        Layer -> QML text.
    """
    return {table: _document(renderer) for table, (_geometry, renderer) in renderers.items()}
