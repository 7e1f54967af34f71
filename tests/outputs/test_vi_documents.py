"""The Vietnamese PDF deliverables of the demo carry no English word (text extracted with pypdf).

The report PDF comes from a real ``landplan run --lang vi`` and the print map from a real
``landplan map --print A4 --lang vi``; the word check is the one the browser tests use on the HTML
report and the map (``tests/vi_text.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

import landplan
from landplan.datasets import demo_scenario
from vi_text import english_words, run_data_text, words

pytestmark = pytest.mark.slow


def _landplan(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "landplan", "-q", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def vi_documents(tmp_path_factory) -> tuple[Path, Path, list[str]]:
    d = tmp_path_factory.mktemp("vi-documents")
    _landplan("run", str(demo_scenario()), "--lang", "vi", "-o", str(d / "run"))
    _landplan("map", str(demo_scenario()), "--print", "A4", "--lang", "vi", "-o", str(d / "map.pdf"))
    study = landplan.load_study(landplan.load_scenario(demo_scenario()))
    return d / "run" / "report.pdf", d / "map.pdf", run_data_text(study)


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_the_vietnamese_report_pdf_has_no_english_word(vi_documents) -> None:
    report, _, data = vi_documents
    text = _pdf_text(report)
    assert "Quỹ đất được bố trí" in text and "Kịch bản mẫu Hà Nội" in text
    assert "manifest.json" in text  # the machine record is named, not printed
    assert english_words(text, data=data) == []


def test_the_vietnamese_print_map_has_no_english_word(vi_documents) -> None:
    _, print_map, data = vi_documents
    text = _pdf_text(print_map)
    assert "Chú giải" in text or "chú giải" in text.lower()
    assert english_words(text, data=data) == []


def test_the_word_check_finds_english_and_passes_vietnamese() -> None:
    assert english_words("Điểm phù hợp của thửa đất P00855: 0,949") == []
    assert english_words("kindergarten coverage 0,12; Điểm") == ["coverage", "kindergarten"]
    assert english_words("KCN Thăng Long 12 ha EPSG:32648", data=["KCN Thăng Long"]) == []
    assert words("data/parcels.shp rice_protected P00855 Đường") == []


def test_glued_pdf_labels_are_checked_word_by_word() -> None:
    assert english_words("KCN Thạch Thất–Quốc OaiKhu CNC Hòa Lạc", data=["Quốc Oai", "Khu CNC Hòa Lạc"]) == []
    assert english_words("Quốc OaiSchool", data=["Quốc Oai"]) == ["school"]
