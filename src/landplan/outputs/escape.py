r"""The one way data text reaches a web page, a template engine or a matplotlib figure.

folium and branca render each map element's Jinja2 macros and then compile the *output* again as
a Jinja2 template (``MacroElement.render`` wraps it in ``Element(...)``). Any ``{{``, ``{%`` or
``{#`` that data brings into that output would be evaluated: ``{{7*7}}`` would show ``49`` and
``{{ lipsum.__globals__... }}`` would run code. ``html.escape`` does not help (it keeps ``{``, ``}``
and ``%``). landplan therefore makes template syntax from data impossible by construction:

1. **One choke point per context.** Every data text (attribute values, ids, layer keys, ``select``
   values, scenario name, description, criterion labels and units, rule-pack text) passes through
   :func:`html_text` (HTML contexts: ``& < > " '`` escaped and ``{ } %`` written as the entities
   ``&#123; &#125; &#37;``) or :func:`js_literal` (JavaScript contexts: a JSON string literal with
   ``< > & ' { } %`` written as ``\u003c \u003e \u0026 \u0027 \u007b \u007d \u0025``). Browsers
   decode both back to the original text, so people see exactly what the data says, while no byte
   of it can open a template tag or leave its HTML or script context.
2. **A structural check before rendering.** :func:`check_inert` walks every element of a folium
   figure and serialises every non-template attribute (layer names, GeoJSON data, marker rows,
   tooltip fields, legend HTML, JavaScript callbacks) once; if any ``{{``, ``{%`` or ``{#`` is
   there, rendering stops with an error instead of evaluating it. A data path that forgot step 1
   fails loudly; it can never execute.

For matplotlib, :func:`mpl_text` escapes ``$`` so a name like ``$x$`` is drawn literally instead
of being parsed as mathtext (which fails on malformed input).
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from landplan.errors import LandplanError

__all__ = ["TemplateSyntaxInData", "check_inert", "html_array", "html_text", "js_literal", "mpl_text"]

_HTML_EXTRA = str.maketrans({"{": "&#123;", "}": "&#125;", "%": "&#37;"})
_JS_EXTRA = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "'": "\\u0027",
        "{": "\\u007b",
        "}": "\\u007d",
        "%": "\\u0025",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)
#: the openers of Jinja2's default syntax (line statements are off in folium's environment)
TEMPLATE_OPENERS = re.compile(r"\{[{%#]")


class TemplateSyntaxInData(LandplanError, RuntimeError):
    """Template syntax reached a folium element: a data path bypassed the escaping choke point."""


def html_text(value: object) -> str:
    """Text for an HTML context: HTML-escaped, with ``{``, ``}`` and ``%`` as character entities.

    Parameters
    ----------
    value
        Any value; ``None`` and missing values give the empty string.

    Returns
    -------
    str
        Text that displays as ``str(value)`` and holds no ``{``, ``}``, ``%``, ``<`` or quote.

    Examples
    --------
    >>> html_text("{{7*7}} <b>")
    '&#123;&#123;7*7&#125;&#125; &lt;b&gt;'
    """
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_HTML_EXTRA)


def html_array(values: pd.Series | pd.Index) -> np.ndarray:
    """:func:`html_text` of every value (missing values as empty strings), as an object array.

    Parameters
    ----------
    values : pandas.Series or pandas.Index
        The values to escape; each is converted to text first.

    Returns
    -------
    numpy.ndarray
        Object array of escaped strings, in the order of ``values``.
    """
    text = pd.Series(values, copy=False).astype("string").fillna("")
    return text.map(html_text).to_numpy(dtype=object)


def js_literal(value: object) -> str:
    r"""A JavaScript string literal (with quotes) of ``str(value)`` that holds no template or HTML syntax.

    Parameters
    ----------
    value : object
        Any value; ``None`` gives the empty string literal ``""``.

    Returns
    -------
    str
        A double-quoted JSON/JavaScript string with ``{``, ``}``, ``%``, ``<``, ``>``, ``&``,
        ``'`` and U+2028/U+2029 written as ``\uXXXX`` escapes (``"`` and ``\`` escaped by JSON).

    Examples
    --------
    >>> js_literal("{{x}}'")
    '"\\u007b\\u007bx\\u007d\\u007d\\u0027"'
    """
    return json.dumps("" if value is None else str(value), ensure_ascii=False).translate(_JS_EXTRA)


def mpl_text(value: object) -> str:
    r"""Text for matplotlib drawn literally: ``$`` escaped so no mathtext is parsed.

    Parameters
    ----------
    value : object
        Any value; it is converted with ``str``.

    Returns
    -------
    str
        ``str(value)`` with every ``$`` written as ``\$``.
    """
    return str(value).replace("$", r"\$")


_SKIP = {"_template", "_template_str", "_template_name", "_parent", "_children", "_id", "_env"}


def _attributes(element: Any, seen: set[int], out: list[Any]) -> None:
    if id(element) in seen:
        return
    seen.add(id(element))
    from branca.element import Element

    for key, value in vars(element).items():
        if key in _SKIP:
            continue
        if isinstance(value, Element):
            _attributes(value, seen, out)
        elif callable(value) and not hasattr(value, "js_code"):
            continue  # Python callables (style functions) are evaluated into data by folium
        else:
            out.append(value)
    for child in getattr(element, "_children", {}).values():
        _attributes(child, seen, out)


def check_inert(root: Any) -> None:
    """Refuse to render a folium element tree that holds template syntax outside its templates.

    Parameters
    ----------
    root
        A folium Map or branca Figure.

    Raises
    ------
    TemplateSyntaxInData
        If any element attribute (data, names, options, JavaScript code) holds ``{{``, ``{%`` or
        ``{#``; the message quotes the offending text.
    """
    values: list[Any] = []
    _attributes(root, set(), values)
    text = json.dumps(values, default=lambda o: getattr(o, "js_code", None) or str(o), ensure_ascii=False)
    found = TEMPLATE_OPENERS.search(text)
    if found:
        start = max(found.start() - 40, 0)
        msg = (
            "refusing to render the map: template syntax from data would be evaluated near "
            f"{text[start : found.end() + 40]!r}; this is a landplan bug, please report it"
        )
        raise TemplateSyntaxInData(msg)
