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
from dataclasses import dataclass, field
from importlib import resources
from typing import Final, Literal

from babel import Locale
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from landplan.errors import InputError

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


def translator(lang: str) -> Translator:
    """Return the translator for a language code.

    Parameters
    ----------
    lang : {"en", "vi"}
        Language code, as in ``[output] language`` or ``--lang``.

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
    return Translator(lang, _catalog(lang))
