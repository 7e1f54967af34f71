"""HTML tables of the report and the score cards: translated headers, formatted numbers, escaped text.

:func:`html_table` renders a frame with its :class:`Column` list: headers through the translator,
numbers with the language's separators (``1.234,5`` in Vietnamese), shares as percentages, missing
values as an em dash, and every data text through :func:`landplan.outputs.escape.html_text`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from landplan.outputs.i18n import Translator

__all__ = ["Column", "html_table"]


@dataclass(frozen=True)
class Column:
    """One column of a report table.

    Parameters
    ----------
    key : str
        Column of the frame (``"index"`` for the frame's index).
    header : str
        Translated header text.
    kind : {"text", "int", "float", "share"}
        How values are shown: as text, whole numbers, ``decimals`` digits, or a percentage.
    decimals : int
        Digits after the decimal separator for ``float`` and ``share``.
    """

    key: str
    header: str
    kind: str = "text"
    decimals: int = 1


def _cell(tr: Translator, value: Any, column: Column) -> tuple[str, bool]:
    """The text of one cell and whether it is numeric (right-aligned)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "—", column.kind != "text"
    if column.kind == "int":
        return tr.number(float(value)), True
    if column.kind == "float":
        return tr.number(float(value), decimals=column.decimals), True
    if column.kind == "share":
        return tr.percent(float(value), decimals=column.decimals), True
    if isinstance(value, bool):
        return (tr("yes") if value else tr("no")), False
    return str(value), False


def html_table(frame: pd.DataFrame, columns: list[Column], tr: Translator, *, css: str = "") -> str:
    """A frame as an HTML table: translated headers, formatted numbers, escaped text.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to show, in order.
    columns : list of Column
        The columns to show (missing keys are skipped).
    tr : Translator
        Language of headers and numbers.
    css : str, default ""
        Class of the ``<table>`` element.

    Returns
    -------
    str
        The table's markup; every text passed :func:`landplan.outputs.escape.html_text`.
    """
    from landplan.outputs.escape import html_text

    shown = [c for c in columns if c.key == "index" or c.key in frame.columns]
    head = "".join(f"<th>{html_text(c.header)}</th>" for c in shown)
    rows = []
    for idx, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        values = dict(zip(frame.columns, row, strict=True))
        cells = []
        for c in shown:
            text, numeric = _cell(tr, idx if c.key == "index" else values[c.key], c)
            cells.append(f'<td class="num">{html_text(text)}</td>' if numeric else f"<td>{html_text(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cls = f' class="{html_text(css)}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
