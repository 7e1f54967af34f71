"""Offline web assets: inline every script and stylesheet of a folium page.

Leaflet, jQuery and Leaflet.markercluster come from the xstatic packages on PyPI; the folium
plugins' own assets (fullscreen, minimap, measure, search) come from ``folium-offline``, which
ships folium's CDN resources keyed by URL. Images referenced by the inlined CSS become data URIs
(Leaflet's own) or are removed, so the page makes no request at all.
"""

from __future__ import annotations

import base64
import logging
import re
from functools import cache
from pathlib import Path

from landplan.errors import LandplanError

__all__ = ["inline_assets"]

logger = logging.getLogger(__name__)

# assets folium pages may reference that an offline map can do without (bootstrap styling, icon fonts)
_OPTIONAL = ("bootstrap", "glyphicons", "fontawesome", "awesome-markers", "awesome.rotate", "Leaflet.awesome")

_SCRIPT = re.compile(r'<script\s+src="(?P<url>https?://[^"]+)"\s*>\s*</script>')
_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="(?P<url>https?://[^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((?P<q>['\"]?)(?P<ref>(?!data:)[^)'\"]+)(?P=q)\)")


def _xstatic(url: str) -> str | None:
    """Contents of a known CDN URL from the xstatic packages, or None."""
    name = url.rsplit("/", 1)[-1]
    try:
        if "leaflet@" in url or ("/leaflet/" in url and "markercluster" not in url):
            import xstatic.pkg.leaflet as pkg
        elif "jquery" in url and name.startswith("jquery") and "ui" not in url:
            import xstatic.pkg.jquery as pkg
        elif "markercluster" in url:
            import xstatic.pkg.leaflet_markercluster as pkg
        else:
            return None
    except ImportError:
        return None
    path = Path(pkg.BASE_DIR) / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


@cache
def _folium_offline() -> dict[str, str]:
    try:
        from offlinefolium import elements
    except ImportError:
        return {}
    return dict(getattr(elements, "_res", {}))


def _leaflet_image(ref: str) -> str | None:
    try:
        import xstatic.pkg.leaflet as pkg
    except ImportError:
        return None
    path = Path(pkg.BASE_DIR) / "images" / ref.rsplit("/", 1)[-1]
    if not path.is_file():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _fix_css(css: str) -> str:
    def repl(match: re.Match[str]) -> str:
        data = _leaflet_image(match.group("ref"))
        return f"url({data})" if data else "none"

    return _CSS_URL.sub(repl, css)


def resolve(url: str) -> str | None:
    """Text of a web asset from installed packages (None when no package carries it)."""
    return _xstatic(url) or _folium_offline().get(url)


def inline_assets(html: str) -> str:
    """Replace every external ``<script src>`` and stylesheet ``<link>`` by inline content.

    Raises
    ------
    LandplanError
        If a required asset is not carried by any installed package (install the
        ``xstatic-leaflet``, ``xstatic-jquery``, ``xstatic-leaflet-markercluster`` and
        ``folium-offline`` packages).
    """
    missing: list[str] = []

    def script(match: re.Match[str]) -> str:
        url = match.group("url")
        body = resolve(url)
        if body is None:
            if any(key in url for key in _OPTIONAL):
                return ""
            missing.append(url)
            return ""
        return "<script>" + body.replace("</script", "<\\/script") + "</script>"

    def link(match: re.Match[str]) -> str:
        url = match.group("url")
        if any(key in url for key in _OPTIONAL):
            return ""  # styling we do not use; its fonts would be requested from the web
        body = resolve(url)
        if body is None:
            missing.append(url)
            return ""
        return "<style>" + _fix_css(body).replace("</style", "<\\/style") + "</style>"

    out = _LINK.sub(link, _SCRIPT.sub(script, html))
    if missing:
        msg = f"offline map: no installed package carries {missing}; install landplan with its dependencies"
        raise LandplanError(msg)
    return out
