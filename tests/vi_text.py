"""English words in the visible text of a Vietnamese deliverable (report, map, PDF, print map).

A word is every run of two or more ASCII letters that touches no other letter (so the ASCII letters
inside Vietnamese words such as ``Đường`` do not count) and sits in no token with a digit, a path
separator or an underscore (ids like ``P00855``, paths, column names). A word passes when it is
Vietnamese (it occurs in a Vietnamese translation of the catalog and in no English source message,
or it is one of the few ASCII Vietnamese syllables listed below), a code or unit listed below, or a
word of the run's data (names and layer ids the scenario gave). Everything else is English.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

import landplan

#: units, codes and names that are the same in Vietnamese documents (each a unit, a standard's or
#: an agency's code, a file format or a proper name)
CODES = frozenset(
    {
        # units
        "ha", "km", "m2", "min", "mm", "vnd", "kmh",
        # coordinate systems and checksums
        "epsg", "wgs", "utm", "crs", "sha",
        # Vietnamese abbreviations (khu công nghiệp, cụm công nghiệp, công nghệ cao, nhà ở xã hội, ...)
        "kcn", "ccn", "cnc", "noxh", "thcs", "thpt",
        # hazard classes I-V (TCVN 4449:1987)
        "ii", "iii", "iv",
        # standards and issuing bodies (QCVN 01:2021/BXD, TCVN 4449:1987, Nghị định .../NĐ-CP, VGCL)
        "qcvn", "tcvn", "bxd", "btnmt", "nd", "cp", "qd", "vgcl",
        # file formats and software
        "landplan", "toml", "json", "pdf", "html", "csv", "xlsx", "gpkg", "qgis", "readme", "milp", "highs",
        "osm", "openstreetmap", "leaflet", "esri", "dejavu",
        # proper names of methods
        "monte", "carlo", "kendall", "tau",
    }
)  # fmt: skip

#: Vietnamese syllables written in ASCII letters that English messages also use (so the catalog
#: cannot tell): "so với" (compared with), "phóng to" (zoom in)
VIETNAMESE_ASCII = frozenset({"so", "to"})

_WORD = re.compile(r"(?<![^\W\d_])[A-Za-z]{2,}(?![^\W\d_])")
_SKIP = re.compile(r"[\d/\\_@]|[A-Za-z]\.[A-Za-z]")  # ids, paths, snake_case names, file names (parcels.shp)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
#: a scenario setting quoted in a fix (``outside = "neutral"``): code, as in the TOML file
_SETTING = re.compile(r"\b[a-z_]+ = (\"[^\"]*\"|[\w.]+)")


def words(text: str, *, lower: bool = True) -> list[str]:
    """The ASCII words of a text, in order (tokens with digits, slashes, underscores or a file suffix skipped)."""
    text = _SETTING.sub(" ", text)
    found = [w for token in text.split() if not _SKIP.search(token) for w in _WORD.findall(token)]
    return [w.lower() for w in found] if lower else found


@functools.cache
def vietnamese_words() -> frozenset[str]:
    """ASCII words of the catalog's Vietnamese translations that no English source message uses."""
    from babel.messages.pofile import read_po

    po = Path(landplan.__file__).parent / "locale" / "vi" / "LC_MESSAGES" / "landplan.po"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    english: set[str] = set()
    vietnamese: set[str] = set()
    for m in catalog:
        if m.id and m.string:
            english |= {w.lower() for w in re.findall(r"[A-Za-z]+", re.sub(r"\{[^}]*\}", " ", str(m.id)))}
            vietnamese |= set(words(re.sub(r"\{[^}]*\}", " ", str(m.string))))
    return frozenset(vietnamese - english)


def english_words(text: str, *, data: Iterable[str] = ()) -> list[str]:
    """The English words of a Vietnamese text, sorted, each once.

    Parameters
    ----------
    text : str
        Visible text (``document.body.innerText``, or text extracted from a PDF).
    data : iterable of str
        Data text of the run (zone and facility names, layer ids): its words pass.
    """
    allowed = vietnamese_words() | VIETNAMESE_ASCII | CODES | {w for d in data for w in words(str(d))}
    english = set()
    for word in words(text, lower=False):
        # labels a PDF places side by side come out glued ("Quốc OaiKhu CNC"): check each part
        parts = [word] if word.lower() in allowed else _CAMEL.split(word)
        english |= {p.lower() for p in parts if p.lower() not in allowed}
    return sorted(english)


def run_data_text(study) -> list[str]:
    """The data text of a study a Vietnamese document may show as it is.

    Names (zones, features), the scenario's ids (layers, rasters, criteria, fields and the values
    its attribute constraints test), the scenario's own Vietnamese words (``names``,
    ``descriptions``, ``labels``, ``units``) and the rule pack's Vietnamese citations.
    """
    s = study.scenario
    texts = [*map(str, study.zone_names), *s.layers.model_dump(), *s.rasters, s.scenario.rule_pack]
    texts += [s.scenario.title_in("vi"), s.scenario.description_in("vi"), study.crs.name]  # the CRS's EPSG name
    for c in s.criteria:
        texts += [c.name, c.labels.get("vi", ""), c.units.get("vi", "")]
    for k in s.constraints:
        texts += [getattr(k, "field", ""), *map(str, getattr(k, "not_in", None) or getattr(k, "in_", None) or [])]
        texts.append(getattr(k, "labels", {}).get("vi", ""))
    texts += [str(v) for v in _source_vi(study.rules.model_dump())]
    for name, frame in study.features.items():
        field = getattr(getattr(s.layers, name, None), "name_field", None)
        if field and field in frame:
            texts.extend(map(str, frame[field].dropna()))
    return texts


def _source_vi(tree):
    """Every ``source_vi`` text of a rule pack (a nested dict)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "source_vi":
                yield value
            else:
                yield from _source_vi(value)
