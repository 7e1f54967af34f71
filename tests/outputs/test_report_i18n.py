"""The report as a dossier document: its language, formatted tables, reserved land, norms and PDF."""

from __future__ import annotations

import html
import re
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

import landplan
from landplan import datasets
from landplan.config import load_scenario
from landplan.model import Result
from landplan.outputs.i18n import translator
from landplan.outputs.report import _is_demo, render_report, write_report_pdf
from landplan.outputs.report_tables import Column, html_table, norm_rows


def _visible(page: str) -> str:
    """The text a reader sees: markup, styles, charts and data URIs removed, entities decoded."""
    page = re.sub(r"<(style|svg|script)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<details\b.*?</details>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _compute(path: Path, lang: str) -> Result:
    s = load_scenario(path)
    s = s.model_copy(update={"output": s.output.model_copy(update={"language": lang})})
    return landplan.compute(s)


@pytest.fixture
def vi_result(alloc_scenario: Path) -> Result:
    return _compute(alloc_scenario, "vi")


def test_a_vietnamese_report_speaks_vietnamese_with_vietnamese_numbers(vi_result: Result) -> None:
    r = vi_result
    page = render_report(r.study, r.scores, ranked=r.ranked, allocation=r.allocation, interactive_map=False)
    text = _visible(page)
    assert '<html lang="vi">' in page
    for heading in ("Tóm tắt", "Quỹ đất được bố trí", "Nhu cầu và phân bổ theo khu công nghiệp", "Mục lục"):
        assert heading in text
    # the grid parcels are 100 x 100 m: 1 ha, written with a decimal comma
    assert "1,00" in text
    assert not re.search(r"\b(nan|NaN|None)\b", text)


def test_the_reserved_list_names_every_reserved_parcel_once_by_zone(vi_result: Result) -> None:
    r = vi_result
    assert r.allocation is not None and len(r.allocation.parcels) > 0
    page = render_report(r.study, r.scores, ranked=r.ranked, allocation=r.allocation, interactive_map=False)
    table = page.split('<table class="reserved">')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>([^<]*)</td>", table.split("<tbody>")[1])
    assert sorted(rows) == sorted(str(i) for i in r.allocation.parcels.index)
    assert len(rows) == len(set(rows))
    assert "KCN Thăng Long" in table  # the zone's name, not only its id


def test_english_stays_the_default(alloc_scenario: Path) -> None:
    r = landplan.compute(alloc_scenario)
    text = _visible(render_report(r.study, r.scores, ranked=r.ranked, allocation=r.allocation, interactive_map=False))
    assert "Reserved land" in text and "Quỹ đất" not in text


def test_the_illustrative_notice_is_only_for_the_bundled_demo_data(tmp_path: Path) -> None:
    demo = {"inputs": [{"path": str(datasets.get_path("parcels"))}]}
    own = {"inputs": [{"path": str(tmp_path / "parcels.gpkg")}]}
    assert _is_demo(demo)
    assert not _is_demo(own)
    assert not _is_demo({"inputs": [{"path": "postgresql://db/parcels"}]})


def test_real_data_gets_no_illustrative_notice(vi_result: Result) -> None:
    r = vi_result
    page = render_report(r.study, r.scores, ranked=r.ranked, interactive_map=False)
    assert 'class="notice"' not in page
    assert "Dữ liệu minh họa: lần chạy này" not in html.unescape(page)


def test_the_norms_table_holds_every_cited_number_of_the_pack(vi_result: Result) -> None:
    pack = tomllib.loads((resources.files("landplan") / "rules" / "vn.toml").read_text(encoding="utf-8"))
    cited = {"value", "source", "verified"}
    expected = {
        (table, key)
        for table, entries in pack.items()
        if isinstance(entries, dict)
        for key, v in entries.items()
        if isinstance(v, dict) and cited <= v.keys()
    } | {  # [facility.<kind>.<param>]: one more level
        (table, f"{key}.{sub}")
        for table, entries in pack.items()
        if isinstance(entries, dict)
        for key, v in entries.items()
        if isinstance(v, dict) and not cited <= v.keys()
        for sub, w in v.items()
        if isinstance(w, dict) and cited <= w.keys()
    }
    rows = norm_rows(vi_result.study.rules)
    assert set(zip(rows["table"], rows["key"], strict=True)) == expected
    assert rows["verified"].map(type).eq(bool).all()
    page = render_report(vi_result.study, vi_result.scores, interactive_map=False)
    assert "TCVN 4449:1987" in page and "Đã kiểm chứng" in page


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("vi", ["1.234,5", "40%", "—", "có"]), ("en", ["1,234.5", "40%", "—", "yes"])],
)
def test_table_cells_are_formatted_per_language(lang: str, expected: list[str]) -> None:
    frame = pd.DataFrame({"x": [1234.5, np.nan], "s": [0.4, None], "b": [True, None]}, index=["a", "b"])
    cols = [Column("x", "x", "float"), Column("s", "s", "share", 0), Column("b", "b")]
    table = html.unescape(html_table(frame, cols, translator(lang)).replace("\xa0", " "))
    for text in expected:
        assert text in table
    assert "nan" not in table.lower() and "None" not in table


def test_table_cells_from_data_are_escaped() -> None:
    frame = pd.DataFrame({"name": ["<b>{{7*7}}</b>"]})
    table = html_table(frame, [Column("name", "name")], translator("en"))
    assert "<b>" not in table and "{{" not in table


def test_the_pdf_is_paginated_with_a_numbered_contents_and_the_same_bytes_twice(
    vi_result: Result, tmp_path: Path
) -> None:
    r = vi_result
    a = write_report_pdf(tmp_path / "a.pdf", r.study, r.scores, ranked=r.ranked, allocation=r.allocation)
    b = write_report_pdf(tmp_path / "b.pdf", r.study, r.scores, ranked=r.ranked, allocation=r.allocation)
    assert a.read_bytes() == b.read_bytes()
    reader = PdfReader(a)
    n = len(reader.pages)
    assert n >= 3
    first = reader.pages[0].extract_text()
    assert "grid test" in first and "Mục lục" in first
    assert f"1 / {n}" in first
    assert f"{n} / {n}" in reader.pages[-1].extract_text()
    # the contents give a page number for each section, the last one on the last page or before
    numbers = [int(m) for m in re.findall(r"\.\s*(\d+)\s*$", first, flags=re.M)]
    assert numbers and numbers == sorted(numbers) and max(numbers) <= n
    assert not (tmp_path / "a.pdf.tmp").exists()
