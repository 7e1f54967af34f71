"""The deliverables' languages: catalog completeness and number formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

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
