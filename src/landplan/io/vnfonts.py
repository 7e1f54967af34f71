"""Legacy Vietnamese font encodings: TCVN3 (ABC) and VNI, decoded to Unicode NFC.

Before Unicode, Vietnamese text was typed with 8-bit "font encodings": the byte values are
ordinary Windows-1252/Latin-1 positions, drawn as Vietnamese letters by special fonts
(.VnTime for TCVN3, VNI-Times for VNI). A land office's DBF, MapInfo table or Excel sheet
keeps those bytes; read as Windows text they look like ``Hµ Néi`` (TCVN3) or ``Haø Noäi``
(VNI) for *Hà Nội*.

- **TCVN3** is TCVN 5712:1993 (table VN3, as in the ABC fonts; one byte per letter). The table
  here is the standard's VN1 table (glibc's ``TCVN5712-1`` charmap, which implements the
  standard), a superset of VN3: the VN3 bytes decode the same, and VN1's extra positions for
  upper-case toned letters (0x01-0x17 and 0x80-0xFF) are decoded too. VN3 text written in an
  upper-case font (.VnTimeH) uses the lower-case codes: its case cannot be recovered.
- **VNI** (VNI Software's VNI-Windows fonts): a base letter followed by one mark character
  (``a`` + ``ø`` = *à*, ``a`` + ``ä`` = *ậ*); *đ*, *ơ*, *ư*, the toned *i* and *ỵ* are single
  characters.

Decoding works on text that was read with a Western code page (each byte one character, as
GDAL gives a DBF read as ISO-8859-1, or as Excel shows cp1252), maps it back and returns NFC.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pandas as pd

__all__ = [
    "LEGACY_ENCODINGS",
    "decode_legacy",
    "decode_legacy_series",
    "encode_legacy",
    "looks_like_legacy",
    "vietnamese_letters",
]

#: ``encoding`` values handled here instead of by a codec
LEGACY_ENCODINGS = ("tcvn3", "vni")

#: TCVN 5712:1993 (VN1) bytes 0x80-0xFF; combining tone marks at 0xB0-0xB4
_TCVN_HIGH = (
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"  # 0x80-0x9F
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"  # 0xA0-0xBF
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịò"  # 0xC0-0xDF
    "ỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"  # 0xE0-0xFF
)
#: VN1's upper-case toned letters in C0 control positions
_TCVN_LOW = {0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ",
             0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ"}  # fmt: skip

#: VNI: marks after a vowel, lower-case and upper-case forms (same meaning), as NFD marks
_VNI_MARKS = {
    "ø": "\u0300", "ù": "\u0301", "û": "\u0309", "õ": "\u0303", "ï": "\u0323",  # tones
    "â": "\u0302", "à": "\u0302\u0300", "á": "\u0302\u0301", "å": "\u0302\u0309", "ã": "\u0302\u0303",
    "ä": "\u0302\u0323",  # circumflex (+ tone)
    "ê": "\u0306", "è": "\u0306\u0300", "é": "\u0306\u0301", "ú": "\u0306\u0309", "ü": "\u0306\u0303",
    "ë": "\u0306\u0323",  # breve (+ tone)
}  # fmt: skip
#: VNI single characters: lower case (upper case is the same letter upper-cased)
_VNI_SINGLE = {"ñ": "đ", "ô": "ơ", "ö": "ư", "ì": "ì", "í": "í", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}
_TONES = "øùûõï"
_NFD_TONES = {"\u0300": "ø", "\u0301": "ù", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_NFD_CIRC = {"": "â", "\u0300": "à", "\u0301": "á", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_NFD_BREVE = {"": "ê", "\u0300": "è", "\u0301": "é", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}


def _vni_of(letter: str) -> str:
    """The VNI spelling of one NFC letter (itself when VNI spells it as is)."""
    lower = letter.lower()
    upper = letter != lower
    parts = unicodedata.normalize("NFD", lower)
    base, marks = parts[0], parts[1:]
    tone = next((m for m in marks if m in _NFD_TONES), "")
    if lower == "đ":
        out = "ñ"
    elif base == "i" and tone:
        out = {"\u0300": "ì", "\u0301": "í", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}[tone]
    elif lower == "ỵ":
        out = "î"
    elif "\u031b" in marks:  # horn: ơ ư
        out = {"o": "ô", "u": "ö"}[base] + _NFD_TONES.get(tone, "")
    elif "\u0302" in marks:
        out = base + _NFD_CIRC[tone]
    elif "\u0306" in marks:
        out = base + _NFD_BREVE[tone]
    elif tone and base in "aeouy":
        out = base + _NFD_TONES[tone]
    else:
        return letter
    return out.upper() if upper else out


def vietnamese_letters() -> list[str]:
    """Every Vietnamese letter that is not plain ASCII, lower then upper case (NFC).

    Returns
    -------
    list of str
        The 67 lower-case letters (vowels with every tone, ă â ê ô ơ ư đ) and their upper case.
    """
    lower = []
    for base in ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"):
        for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            ch = unicodedata.normalize("NFC", base + tone)
            if not ch.isascii():
                lower.append(ch)
    lower.append("đ")
    return lower + [c.upper() for c in lower]


@lru_cache(maxsize=1)
def _tables() -> tuple[str, dict[str, str], re.Pattern[str], dict[str, str]]:
    """TCVN3 decode map (by code point), TCVN3 encode map, VNI decode pattern and map."""
    tcvn: dict[int, str] = {}
    for i, uni in enumerate(_TCVN_HIGH):
        byte = bytes([0x80 + i])
        for ch in {byte.decode("latin-1"), byte.decode("cp1252", errors="ignore")} - {""}:
            tcvn[ord(ch)] = uni
    tcvn.update(_TCVN_LOW)
    # a str indexed by code point is a table str.translate reads in C (no dict lookups); code points
    # past its end raise IndexError, which str.translate takes as "unchanged"
    tcvn_fast = "".join(tcvn.get(i, chr(i)) for i in range(max(tcvn) + 1))
    tcvn_encode: dict[str, str] = {}
    for i, uni in enumerate(_TCVN_HIGH):
        tcvn_encode.setdefault(uni, chr(0x80 + i))
    tcvn_encode.update({uni: chr(code) for code, uni in _TCVN_LOW.items()})
    vni: dict[str, str] = {}
    for letter in vietnamese_letters():
        seq = _vni_of(letter)
        vni[seq] = letter
        if len(seq) == 2:  # the mark in the other case too (title-case text mixes them)
            vni[seq[0] + (seq[1].lower() if seq[1].isupper() else seq[1].upper())] = letter
    pattern = re.compile("|".join(re.escape(k) for k in sorted(vni, key=lambda k: (-len(k), k))))
    return tcvn_fast, tcvn_encode, pattern, vni


def decode_legacy(text: str, encoding: str) -> str:
    """Unicode (NFC) for text written in a legacy font encoding and read as Western text.

    Parameters
    ----------
    text
        The text as read (one character per byte, Latin-1 or Windows-1252), e.g. ``"Hµ Néi"``.
    encoding
        ``"tcvn3"`` or ``"vni"``.

    Returns
    -------
    str
        E.g. ``"Hà Nội"``. ASCII passes unchanged.

    Raises
    ------
    ValueError
        For another encoding.
    """
    tcvn, _, pattern, vni = _tables()
    if encoding == "tcvn3":
        return unicodedata.normalize("NFC", text.translate(tcvn))
    if encoding == "vni":
        return unicodedata.normalize("NFC", pattern.sub(lambda m: vni[m.group(0)], text))
    msg = f"unknown legacy encoding {encoding!r}; use one of {LEGACY_ENCODINGS}"
    raise ValueError(msg)


def decode_legacy_series(values: pd.Series, encoding: str) -> pd.Series:
    """:func:`decode_legacy` over a column of text (NFC).

    Parameters
    ----------
    values
        Text values (no missing values).
    encoding
        ``"tcvn3"`` or ``"vni"``.

    Returns
    -------
    pandas.Series
        The decoded text, same index.

    Raises
    ------
    ValueError
        For another encoding.
    """
    if encoding not in LEGACY_ENCODINGS:
        msg = f"unknown legacy encoding {encoding!r}; use one of {LEGACY_ENCODINGS}"
        raise ValueError(msg)
    return pd.Series([decode_legacy(v, encoding) for v in values], index=values.index, dtype=object)


def encode_legacy(text: str, encoding: str) -> str:
    """The legacy spelling of Unicode text, one character per byte (the inverse of :func:`decode_legacy`).

    Parameters
    ----------
    text
        Unicode text.
    encoding
        ``"tcvn3"`` or ``"vni"``.

    Returns
    -------
    str
        Characters U+0000-U+00FF (``.encode("latin-1")`` gives the file's bytes).

    Raises
    ------
    ValueError
        For another encoding.
    """
    _, tcvn_encode, _, _ = _tables()
    nfc = unicodedata.normalize("NFC", text)
    if encoding == "tcvn3":
        return "".join(tcvn_encode.get(c, c) for c in nfc)
    if encoding == "vni":
        return "".join(_vni_of(c) for c in nfc)
    msg = f"unknown legacy encoding {encoding!r}; use one of {LEGACY_ENCODINGS}"
    raise ValueError(msg)


#: TCVN3 letters in 0xA1-0xBF (ă â ê ô ơ ư đ Đ à á ả ã ạ ằ ...): neither Vietnamese Unicode nor VNI uses them
_TCVN_MARKERS = re.compile("[A-Za-z][\u00a1-\u00bf]|[\u00a1-\u00bf][A-Za-z]")
#: VNI pairs Vietnamese Unicode never has: a/e + any VNI mark; o/u/y + a non-Vietnamese mark; ô/ö + a tone
_VNI_MARKERS = re.compile(
    "[aeAE][\u00f8\u00f9\u00fb\u00f5\u00ef\u00e2\u00e0\u00e1\u00e5\u00e3\u00e4\u00ea\u00e8\u00e9\u00fa\u00fc\u00eb"
    "\u00d8\u00d9\u00db\u00d5\u00cf\u00c2\u00c0\u00c1\u00c5\u00c3\u00c4\u00ca\u00c8\u00c9\u00da\u00dc\u00cb]"
    "|[ouyOUY\u00f4\u00d4][\u00f8\u00fb\u00ef\u00e5\u00e4\u00eb\u00fc\u00d8\u00db\u00cf\u00c5\u00c4\u00cb\u00dc]"
    "|[\u00f4\u00f6\u00d4\u00d6][\u00f8\u00f9\u00fb\u00f5\u00ef\u00d8\u00d9\u00db\u00d5\u00cf]|[\u00f1\u00d1][a-z]"
)


def looks_like_legacy(values: list[str]) -> str | None:
    """``"tcvn3"`` or ``"vni"`` when text looks written in that font encoding, else None.

    Parameters
    ----------
    values
        Text values of one column (or field names).

    Returns
    -------
    str or None
        The encoding whose telltale character pairs occur in more values (at least one,
        and at least a fifth of the non-ASCII values), or None.
    """
    non_ascii = [v for v in values if not v.isascii()]
    if not non_ascii:
        return None
    hits = {
        "tcvn3": sum(bool(_TCVN_MARKERS.search(v)) for v in non_ascii),
        "vni": sum(bool(_VNI_MARKERS.search(v)) for v in non_ascii),
    }
    best = max(hits, key=lambda k: hits[k])
    return best if hits[best] and hits[best] >= 0.2 * len(non_ascii) else None
