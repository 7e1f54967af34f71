"""Legacy Vietnamese font encodings (TCVN3, VNI): tables, round trips, every layer format, heuristics."""

from __future__ import annotations

import subprocess
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

import geopandas as gpd
import shapely

from landplan.io import read_layer
from landplan.io.vnfonts import decode_legacy, encode_legacy, looks_like_legacy, vietnamese_letters

LETTERS = vietnamese_letters()
ICONV = ["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"]
NAMES = ["Hà Nội", "Đông Anh", "Sóc Sơn", "Mê Linh", "Khu công nghiệp Thăng Long", "Trường Mầm non Quỳnh Lôi"]


def test_every_letter_is_there_once():
    assert len(LETTERS) == 134 and len(set(LETTERS)) == 134  # 67 lower-case, 67 upper-case
    assert all(unicodedata.is_normalized("NFC", c) for c in LETTERS)


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
@pytest.mark.parametrize("letter", LETTERS)
def test_every_letter_round_trips(encoding, letter):
    raw = encode_legacy(letter, encoding)
    assert all(ord(c) < 256 for c in raw)
    assert decode_legacy(raw, encoding) == letter


@pytest.mark.parametrize(
    ("raw", "encoding", "text"),
    [
        ("Hµ Néi", "tcvn3", "Hà Nội"),  # as a Windows editor shows a TCVN3 file
        ("ViÖt Nam", "tcvn3", "Việt Nam"),
        ("§«ng Anh", "tcvn3", "Đông Anh"),
        ("Haø Noäi", "vni", "Hà Nội"),
        ("Vieät Nam", "vni", "Việt Nam"),
        ("Ñoâng Anh", "vni", "Đông Anh"),
        ("AÙNH", "vni", "ÁNH"),
        ("Aùnh", "vni", "Ánh"),  # title case mixes an upper-case base with a lower-case mark
    ],
)
def test_known_spellings(raw, encoding, text):
    assert decode_legacy(raw, encoding) == text


def test_the_tcvn3_table_agrees_with_glibc():
    """Oracle: glibc's TCVN5712-1 charmap (the standard's VN1 table) for every byte 0x80-0xFF."""
    try:
        out = [subprocess.run(ICONV, input=bytes([b]), capture_output=True, check=True) for b in range(0x80, 0x100)]
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip("glibc iconv with TCVN5712-1 is not available")
    for b, r in zip(range(0x80, 0x100), out, strict=True):
        assert decode_legacy(chr(b), "tcvn3") == unicodedata.normalize("NFC", r.stdout.decode()), hex(b)


def test_cp1252_readings_decode_too():
    # byte 0x80 is U+20AC in Windows-1252 and U+0080 in Latin-1: both are TCVN3's "À"
    assert decode_legacy("\u20ac", "tcvn3") == decode_legacy("\x80", "tcvn3") == "À"


VIET = st.text(alphabet=st.sampled_from([*LETTERS, *"abcdeghiklmnopqrstuvxyABCDEGHIKLMNOPQRSTUVXY 0123456789-,."]))


@given(VIET, st.sampled_from(["tcvn3", "vni"]))
def test_round_trip_any_text(text, encoding):
    assert decode_legacy(encode_legacy(text, encoding), encoding) == text


ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "p", "ph",
          "qu", "r", "s", "t", "th", "tr", "v", "x"]  # fmt: skip
NUCLEI = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây", "eo",
          "ia", "iê", "oa", "oă", "oe", "oi", "ôi", "ơi", "ua", "uâ", "uê", "ui", "uô", "uy", "ưa", "ưi", "ươ", "ưu",
          "yê"]  # fmt: skip
CODAS = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t"]
TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]


#: nuclei ending in an off-glide (or the diphthongs ia/ua/ưa) take no final consonant
OPEN = {"ai", "ao", "au", "ay", "âu", "ây", "eo", "oi", "ôi", "ơi", "ui", "ưi", "ưu", "ia", "ua", "ưa"}


@st.composite
def syllables(draw):
    """A Vietnamese syllable (onset, nucleus, coda, tone on its main vowel), in lower, title or upper case."""
    onset, nucleus = draw(st.sampled_from(ONSETS)), draw(st.sampled_from(NUCLEI))
    coda = "" if nucleus in OPEN else draw(st.sampled_from(CODAS))
    modified = [i for i, c in enumerate(nucleus) if c in "ăâêôơư"]
    at = modified[-1] if modified else (len(nucleus) - 1 if coda or nucleus in {"oa", "oe", "uy"} else 0)
    word = onset + nucleus[:at] + nucleus[at] + draw(st.sampled_from(TONES)) + nucleus[at + 1 :] + coda
    word = unicodedata.normalize("NFC", word)
    return draw(st.sampled_from([word, word.capitalize(), word.upper()]))


@given(st.lists(syllables(), min_size=1, max_size=12))
def test_unicode_vietnamese_is_never_taken_for_legacy(words):
    assert looks_like_legacy(words) is None


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_the_heuristic_names_the_encoding(encoding):
    raw = [encode_legacy(n, encoding) for n in NAMES]
    assert looks_like_legacy(raw) == encoding
    assert looks_like_legacy(NAMES) is None


def _layer(encoding: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": range(len(NAMES)), encode_legacy("tên", encoding): [encode_legacy(n, encoding) for n in NAMES]},
        geometry=[shapely.Point(105.8 + i / 100, 21.0) for i in range(len(NAMES))],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
@pytest.mark.parametrize("suffix", [".shp", ".gpkg", ".geojson", ".csv", ".xlsx"])
def test_every_format_decodes_and_warns(tmp_path, encoding, suffix):
    gdf = _layer(encoding)
    path = tmp_path / f"layer{suffix}"
    if suffix == ".shp":  # the DBF holds the font bytes, no .cpg (as the land office writes it)
        gdf.to_file(path, engine="pyogrio", encoding="ISO-8859-1")
        path.with_suffix(".cpg").unlink(missing_ok=True)
    elif suffix in {".csv", ".xlsx"}:  # a legacy sheet saved by Excel: the font characters as Unicode text
        table = gdf.drop(columns="geometry").assign(lon=gdf.geometry.x, lat=gdf.geometry.y)
        if suffix == ".csv":
            table.to_csv(path, index=False, encoding="utf-8")
        else:
            table.to_excel(path, index=False)
    else:
        gdf.to_file(path, engine="pyogrio")
    (warning,) = read_layer(path).attrs["warnings"]
    assert f'encoding = "{encoding}"' in warning
    out = read_layer(path, encoding=encoding.upper())
    assert out["tên"].tolist() == NAMES
    assert not out.attrs["warnings"]


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_a_where_filter_is_written_in_unicode(tmp_path, encoding):
    path = tmp_path / "layer.shp"
    _layer(encoding).to_file(path, engine="pyogrio", encoding="ISO-8859-1")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    out = read_layer(path, where="tên = 'Sóc Sơn'", encoding=encoding)  # names and values as decoded
    assert out["tên"].tolist() == ["Sóc Sơn"]
