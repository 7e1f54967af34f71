"""Language of the deliverables: gettext catalogs (Babel) and per-language number formats.

Every user-facing word of the map, the report, the static map, terminal tables and spreadsheet
headers goes through a :class:`Translator`::

    tr = translator("vi")
    tr("Suitability score")            # 'Điểm phù hợp'
    tr("{n} parcels", n=3)             # formatted after translation
    tr.number(1234.5, decimals=1)      # '1.234,5'

English is the source language: its catalog is the identity. The Vietnamese catalog is
``landplan/locale/vi/LC_MESSAGES/landplan.po``, read with Babel at run time (no compile step, so an
editable install and a wheel behave the same). Terms follow ``GLOSSARY-vi.md`` of the project's
shared material. ``tests/outputs/test_i18n.py`` extracts every ``tr("...")`` message from the source
with Babel and fails on any message the Vietnamese catalog lacks.

Data text (names, ids) is never translated and never used as a message id.
"""

from __future__ import annotations

import functools
import math
import re
import string
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Final, Literal

from babel import Locale
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from landplan.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from landplan.config import Scenario
    from landplan.validation import Finding

Language = Literal["en", "vi"]
LANGUAGES: Final[tuple[Language, ...]] = ("en", "vi")
#: the Babel keyword that marks a message in the source (``tr("...")``)
KEYWORD: Final = "tr"
_LOCALES: Final[dict[str, str]] = {"en": "en_GB", "vi": "vi_VN"}


@functools.cache
def _catalog(lang: str) -> dict[str, str]:
    if lang == "en":
        return {}
    po = resources.files("landplan") / "locale" / lang / "LC_MESSAGES" / "landplan.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=_LOCALES[lang])
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


#: an English-formatted number as a template filled it (``1,234.5``, ``0.30``, ``40%``, ``12 %``)
_NUMBER: Final = re.compile(r"(-?(?:\d{1,3}(?:,\d{3})+|\d+))(?:\.(\d+))?(\s?%)?")
_SPEC: Final = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


def _pattern(template: str) -> re.Pattern[str] | None:
    """A regular expression matching what ``template.format(...)`` gives; None without named fields."""
    parts: list[str] = []
    seen: set[str] = set()
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, name, _spec, _conv in pieces:
        parts.append(re.escape(literal))
        if name is None:
            continue
        if not name.isidentifier():
            return None
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+)")
        seen.add(name)
    return re.compile("".join(parts), re.S) if seen else None


@functools.cache
def _patterns(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The catalog's templates with placeholders, most specific (longest fixed text) first."""
    found = []
    for message in _catalog(lang):
        pattern = _pattern(message)
        if pattern is not None:
            fixed = len(_SPEC.sub("", message))
            found.append((-fixed, message, pattern))
    return tuple((p, m) for _, m, p in sorted(found, key=lambda t: (t[0], t[1])))


@dataclass(frozen=True)
class Translator:
    """Messages and number formats of one language.

    Parameters
    ----------
    lang : {"en", "vi"}
        Language code.
    """

    lang: Language
    _messages: dict[str, str] = field(repr=False, compare=False, default_factory=dict)

    @property
    def locale(self) -> Locale:
        """The Babel locale used for numbers and dates."""
        return Locale.parse(_LOCALES[self.lang])

    def __call__(self, message: str, /, **values: object) -> str:
        """Translate ``message`` and fill its ``{placeholders}`` with ``values``.

        Parameters
        ----------
        message : str
            English source text, a literal in the code (never data).
        **values : object
            Values for the placeholders, formatted after translation.

        Returns
        -------
        str
            The translated text; the English text when the catalog lacks it.
        """
        text = self._messages.get(message, message)
        return text.format(**values) if values else text

    def text(self, english: str) -> str:
        """Translate an English text built from a marked template (``N_`` or ``tr``) below the outputs.

        Config descriptions, validation findings, exclusion reasons and ``removed_by`` notes are
        built in English by layers that know no language. This matches such a text against the
        catalog's templates, translates what each placeholder captured (recursively) and writes
        the numbers it captured in this language's format; a text no template matches (data)
        comes back unchanged.

        Parameters
        ----------
        english : str
            The English text.

        Returns
        -------
        str
            The text in this language.
        """
        if self.lang == "en" or not english:
            return english
        exact = self._messages.get(english)
        if exact is not None:
            return exact
        joined = self._joined(english, every=True)
        if joined is not None:
            return joined
        for pattern, template in _patterns(self.lang):
            found = pattern.fullmatch(english)
            if found is not None:
                values = {k: self._piece(v) for k, v in found.groupdict().items()}
                return _SPEC.sub(r"{\1}", self._messages[template]).format(**values)
        return self._joined(english, every=False) or english

    def _joined(self, english: str, *, every: bool) -> str | None:
        """Reasons joined by ``"; "`` (one per rule) or ``", "`` (one per piece removed), part by part.

        With ``every``, only when each part is a known text; else when any ``"; "`` part is.
        """
        for sep in ("; ", ", ") if every else ("; ",):
            parts = english.split(sep)
            if len(parts) > 1:
                done = [self.text(p) for p in parts]
                changed = [d != p for d, p in zip(done, parts, strict=True)]
                if all(changed) if every else any(changed):
                    return sep.join(done)
        return None

    def _piece(self, value: str) -> str:
        number = _NUMBER.fullmatch(value)
        if number is None:  # a short piece is data (a zone called "N" is not the north arrow's "N")
            return self.text(value) if len(value) > 2 else value
        whole, frac, percent = number.groups()
        text = self.number(float(whole.replace(",", "") + "." + (frac or "0")), decimals=len(frac or ""))
        return text + (percent or "")

    def number(self, value: float, *, decimals: int = 0) -> str:
        """Format a number with the language's separators (``1.234,5`` in Vietnamese).

        Parameters
        ----------
        value : float
            The number; NaN gives an em dash.
        decimals : int, default 0
            Digits after the decimal separator (fixed, not trimmed).

        Returns
        -------
        str
            The formatted number.
        """
        if math.isnan(value):
            return "—"
        fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        return format_decimal(value, format=fmt, locale=self.locale)

    def percent(self, share: float, *, decimals: int = 0) -> str:
        """Format a share (0.4) as a percentage (``40 %`` / ``40%``).

        Parameters
        ----------
        share : float
            The share, 1.0 being 100 %; NaN gives an em dash.
        decimals : int, default 0
            Digits after the decimal separator.

        Returns
        -------
        str
            The formatted percentage.
        """
        if math.isnan(share):
            return "—"
        fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
        return format_percent(share, format=fmt, locale=self.locale)


def translator(lang: str, *, data: Mapping[str, str] | None = None) -> Translator:
    """Return the translator for a language code.

    Parameters
    ----------
    lang : {"en", "vi"}
        Language code, as in ``[output] language`` or ``--lang``.
    data : Mapping[str, str], optional
        The scenario's own words in this language (``labels``, ``units``, ``names``): English
        data text -> its translation, used where such text appears alone or inside a template
        (a constraint's label in an exclusion reason). See :func:`scenario_words`.

    Returns
    -------
    Translator
        Messages and number formats of that language.

    Raises
    ------
    InputError
        When the language is not one landplan ships.
    """
    if lang not in LANGUAGES:
        raise InputError(f"language {lang!r} is not available; use one of: {', '.join(LANGUAGES)}")
    if data and lang != "en":
        return Translator(lang, {**_catalog(lang), **{k: v for k, v in data.items() if k and v}})
    return Translator(lang, _catalog(lang))


def scenario_words(scenario: Scenario, lang: str) -> dict[str, str]:
    """The scenario's data text with its translation in ``lang`` (criterion and constraint labels, units, name).

    Parameters
    ----------
    scenario : Scenario
        The scenario (``labels``, ``units``, ``names``, ``descriptions`` per language).
    lang : str
        Language code.

    Returns
    -------
    dict
        English text -> translation.
    """
    words: dict[str, str] = {}
    meta = scenario.scenario
    words[meta.name] = meta.title_in(lang)
    if meta.description:
        words[meta.description] = meta.description_in(lang)
    for c in scenario.criteria:
        words[c.title] = c.labels.get(lang, "")  # type: ignore[call-overload]
        words[c.unit_label] = c.units.get(lang, "")  # type: ignore[call-overload]
    for k in scenario.constraints:
        label = getattr(k, "label", "") or getattr(k, "source", "")
        if label:
            words[label] = getattr(k, "labels", {}).get(lang, "")
    return {k: v for k, v in words.items() if v and v != k}


def finding_text(finding: Finding, tr: Translator, *, level: bool = True) -> str:
    """One validation finding in the translator's language (``str(finding)`` in English).

    Parameters
    ----------
    finding : Finding
        A finding of the run's validation report.
    tr : Translator
        Language.
    level : bool, default True
        Begin with the level (``warning: ...``); a log line already shows it.

    Returns
    -------
    str
        ``level: layer (source), field 'x': message; fix: ...``, translated.
    """
    name = {"error": tr("error"), "warning": tr("warning"), "info": tr("info")}.get(finding.level, finding.level)
    where = finding.layer + (f" ({finding.source})" if finding.source else "")
    if finding.field:
        where = tr("{layer}, field {field}", layer=where, field=repr(finding.field))
    message = tr.text(finding.message)
    text = (
        tr("{level}: {where}: {message}", level=name, where=where, message=message) if level else f"{where}: {message}"
    )
    return tr("{text}; fix: {fix}", text=text, fix=tr.text(finding.fix)) if finding.fix else text
