"""The deliverables' languages: catalog completeness and number formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from hypothesis import given
from hypothesis import strategies as st

from landplan.errors import InputError
from landplan.outputs.i18n import KEYWORD, LANGUAGES, translator

SRC = Path(__file__).resolve().parents[2] / "src" / "landplan"


def _messages_in_code() -> set[str]:
    found = extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords={KEYWORD: None, "N_": None}, comment_tags=()
    )
    return {str(message) for _file, _line, message, _comments, _context in found}


def test_every_message_of_the_code_is_in_the_vietnamese_catalog() -> None:
    tr = translator("vi")
    in_code = _messages_in_code()
    assert "Top {n} parcels" in in_code, "extraction found no tr() call in the code"
    assert "Norms used" in in_code, "extraction found no tr() call in the report template"
    missing = sorted(m for m in in_code if tr(m) == m)
    assert not missing, f"add these to locale/vi/LC_MESSAGES/landplan.po: {missing}"


def test_english_is_the_identity_and_vietnamese_translates() -> None:
    assert translator("en")("Suitability score") == "Suitability score"
    assert translator("vi")("Suitability score") == "Điểm phù hợp"
    assert translator("vi")("not a message of landplan") == "not a message of landplan"


@pytest.mark.parametrize(
    ("lang", "value", "decimals", "expected"),
    [
        ("vi", 1234.5, 1, "1.234,5"),
        ("en", 1234.5, 1, "1,234.5"),
        ("vi", 1234567, 0, "1.234.567"),
        ("en", 0.25, 2, "0.25"),
        ("vi", float("nan"), 1, "—"),
    ],
)
def test_numbers_follow_the_language(lang: str, value: float, decimals: int, expected: str) -> None:
    assert translator(lang).number(value, decimals=decimals) == expected


def test_percent_follows_the_language() -> None:
    assert translator("en").percent(0.4) == "40%"
    assert translator("vi").percent(0.405, decimals=1).replace("\xa0", " ") in {"40,5%", "40,5 %"}


def test_placeholders_are_filled_after_translation() -> None:
    assert translator("en")("{n} parcels", n=3) == "3 parcels"


def test_unknown_language_is_an_input_error() -> None:
    with pytest.raises(InputError, match="use one of: en, vi"):
        translator("fr")
    assert set(LANGUAGES) == {"en", "vi"}


def test_texts_built_from_templates_below_the_outputs_are_translated_back() -> None:
    tr = translator("vi")
    # a constraint description (config), numbers in the language's format
    assert tr.text("overlap with water (+30 m) at most 0% of area") == (
        "phần chồng lấn với water (thêm vùng đệm 30 m) không quá 0% diện tích"
    )
    # an exclusion reason with a nested template and a number written the English way
    assert tr.text("within 300 m isolation distance of KCN A (class III) (1250 m away)") == (
        "nằm trong khoảng cách ly 300 m của KCN A (cấp III) (cách 1.250 m)"
    )
    # reasons of several rules ("; ") and notes of several pieces (", "), each part translated
    assert tr.text("area 4200 m2 below minimum 5000 m2; landuse = public not allowed") == (
        "diện tích 4.200 m2 nhỏ hơn mức tối thiểu 5.000 m2; landuse = public: không được phép"
    )
    assert tr.text("0.30 ha within 300 m of KCN A (class III), 1.25 ha overlapping water") == (
        "0,30 ha nằm trong phạm vi 300 m của KCN A (cấp III), 1,25 ha chồng lấn water"
    )
    # data no template knows comes back as it is; English is the identity
    assert tr.text("KCN Thăng Long") == "KCN Thăng Long"
    assert translator("en").text("area 4200 m2 below minimum 5000 m2") == "area 4200 m2 below minimum 5000 m2"


def test_the_scenario_words_translate_data_text_inside_templates() -> None:
    tr = translator("vi", data={"rivers and lakes": "sông và hồ"})
    assert tr.text("overlaps rivers and lakes (+30 m): 12.5 % of area") == (
        "chồng lấn sông và hồ (thêm vùng đệm 30 m): 12,5 % diện tích"
    )
    assert translator("vi").text("overlaps rivers and lakes: 12.5 % of area").startswith("chồng lấn rivers and lakes")


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_finding_reads_in_the_language(lang: str) -> None:
    from landplan.outputs.i18n import finding_text
    from landplan.validation import Finding

    f = Finding("warning", "roads", "12 roads lie farther than 5000 m from every parcel (R1, R2)", fix="")
    text = finding_text(f, translator(lang))
    assert (
        text
        == {
            "en": "warning: roads: 12 roads lie farther than 5000 m from every parcel (R1, R2)",
            "vi": "cảnh báo — roads: 12 tuyến đường nằm xa hơn 5.000 m so với mọi thửa đất (R1, R2)",
        }[lang]
    )
    assert str(f) == finding_text(f, translator("en"))


@given(
    distance=st.integers(min_value=1, max_value=5000),
    away=st.floats(min_value=0, max_value=99_999, allow_nan=False),
    zone=st.text(alphabet="KCN ĐàăâêôơưBắcThăngLongNộiBài–", min_size=1, max_size=30).map(str.strip).filter(bool),
    area=st.integers(min_value=1, max_value=10**7),
)
def test_reasons_translate_whatever_their_numbers_and_names(distance: int, away: float, zone: str, area: int) -> None:
    """Isolation and area reasons as ``constraints.rules`` writes them come back whole, numbers in Vietnamese."""
    tr = translator("vi")
    label = f"{zone} (class II)"
    reason = (
        f"within {distance} m isolation distance of {label} ({away:.0f} m away); area {area} m2 below minimum 5000 m2"
    )
    vi = tr.text(reason)
    expected_away = tr.number(float(f"{away:.0f}"))
    assert vi == (
        f"nằm trong khoảng cách ly {tr.number(distance)} m của {zone} (cấp II) (cách {expected_away} m); "
        f"diện tích {tr.number(area)} m2 nhỏ hơn mức tối thiểu 5.000 m2"
    )
