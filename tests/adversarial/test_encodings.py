"""Text encodings of real files: Vietnamese Windows shapefiles (cp1258), UTF-8, and garbled text.

The fixture shapefiles are written here byte by byte: geometry by pyogrio, the DBF table by
:func:`write_dbf` in the code page under test, so no library recodes the text on the way in.
cp1258 has no precomposed letters for most toned vowels: it stores the tone as a combining
mark after the base letter (``ế`` = ``ê`` + U+0301), and landplan must return NFC text.
"""

from __future__ import annotations

import csv
import struct
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

import geopandas as gpd
import shapely

from adversarial.helpers import assert_bad_input, assert_nothing_left, run_cli, tree_hashes
from conftest import CRS, box
from landplan.io import read_layer

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, huyền, sắc, hỏi, ngã, nặng
CONSONANTS = "bcdđghklmnpqrstvx"


def vietnamese_rows() -> list[str]:
    """Every Vietnamese letter with every tone, lower and upper case: one text per base vowel (+ consonants)."""
    rows = []
    for v in VOWELS:
        toned = "".join(unicodedata.normalize("NFC", v + t) for t in TONES)
        rows.append(f"{toned} {toned.upper()}")
    rows.append(f"{CONSONANTS} {CONSONANTS.upper()}")
    return rows


def to_cp1258(text: str) -> bytes:
    """Encode like Vietnamese Windows: precomposed where cp1258 has the letter, else base + combining tone."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out += base.encode("cp1258") + "".join(c for c in parts if c in TONES).encode("cp1258")
    return bytes(out)


def to_utf8(text: str) -> bytes:
    """UTF-8 bytes."""
    return text.encode("utf-8")


def write_dbf(path: Path, fields: Sequence[str], rows: Sequence[Sequence[str]], encode: Callable[[str], bytes]) -> None:
    """A dBASE III table of text fields, encoded with ``encode`` (no language driver id)."""
    data = [[encode(v) for v in row] for row in rows]
    names = [encode(f) for f in fields]
    widths = [max([1, *(len(r[i]) for r in data)]) for i in range(len(fields))]
    assert all(len(n) <= 10 for n in names) and all(w <= 254 for w in widths)
    header = struct.pack("<BBBBIHH20x", 3, 126, 1, 1, len(rows), 32 + 32 * len(fields) + 1, 1 + sum(widths))
    desc = b"".join(struct.pack("<11sc4xBB14x", n, b"C", w, 0) for n, w in zip(names, widths, strict=True))
    body = b"".join(b" " + b"".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in data)
    path.write_bytes(header + desc + b"\r" + body + b"\x1a")


def write_shapefile(
    shp: Path,
    fields: Sequence[str],
    rows: Sequence[Sequence[str]],
    encode: Callable[[str], bytes],
    *,
    geometry: Sequence[shapely.Geometry] | None = None,
    cpg: str | None = None,
) -> Path:
    """A shapefile whose DBF text is exactly ``encode(value)``; ``cpg`` is written to the .cpg (none if None)."""
    geoms = geometry if geometry is not None else [shapely.Point(580_000 + 10 * i, 2_330_000) for i in range(len(rows))]
    gpd.GeoDataFrame({"tmp": range(len(rows))}, geometry=list(geoms), crs=CRS).to_file(shp, engine="pyogrio")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    write_dbf(shp.with_suffix(".dbf"), fields, rows, encode)
    if cpg is not None:
        shp.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    return shp


FIELDS = ["ma_so", "tên_xã", "ghi_chú"]  # the last two are Vietnamese field names


def _rows() -> list[list[str]]:
    return [[f"R{i}", text, text[::-1]] for i, text in enumerate(vietnamese_rows())]


@pytest.mark.parametrize(
    ("encode", "cpg", "encoding"),
    [
        (to_cp1258, "1258", None),
        (to_cp1258, "CP1258", None),
        (to_cp1258, "ANSI 1258\r\n", None),
        (to_cp1258, None, "cp1258"),
        (to_cp1258, "UTF-8", "cp1258"),  # the scenario's key wins over a wrong .cpg
        (to_utf8, "UTF-8", None),
        (to_utf8, None, None),
        (to_utf8, None, "utf-8"),
    ],
    ids=[
        "cpg-1258",
        "cpg-CP1258",
        "cpg-ANSI-1258",
        "encoding-key",
        "key-over-cpg",
        "utf8-cpg",
        "utf8-bare",
        "utf8-key",
    ],
)
def test_every_vietnamese_letter_round_trips(tmp_path, encode, cpg, encoding):
    rows = _rows()
    shp = write_shapefile(tmp_path / "xa.shp", FIELDS, rows, encode, cpg=cpg)
    before = tree_hashes(tmp_path)
    gdf = read_layer(shp, encoding=encoding)
    assert [c for c in gdf.columns if c != "geometry"] == FIELDS
    for i, field in enumerate(FIELDS):
        assert gdf[field].tolist() == [r[i] for r in rows]
    assert all(unicodedata.is_normalized("NFC", v) for v in gdf["tên_xã"])
    assert gdf.attrs["warnings"] == []
    assert_nothing_left(tmp_path, before)


def _zones_scenario(scenario_dir: Path, encode: Callable[[str], bytes], *, cpg: str | None, key: str | None) -> Path:
    """The grid scenario with its zones as a shapefile written with ``encode``."""
    write_shapefile(
        scenario_dir / "zones.shp",
        ["zone_id", "name", "hazard", "workers"],
        [["Z1", "KCN Thăng Long", "IV", "1000"]],
        encode,
        geometry=[box(-150, 0, 100, 300)],
        cpg=cpg,
    )
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8")
    new = 'path = "zones.shp"' + (f'\nencoding = "{key}"' if key else "")
    (scenario_dir / "scenario.toml").write_text(text.replace('path = "zones.geojson"', new), encoding="utf-8")
    return scenario_dir / "scenario.toml"


@pytest.mark.parametrize(("cpg", "key"), [("1258", None), ("CP1258", None), (None, "cp1258")])
def test_cp1258_zones_keep_ids_and_hazard_classes(scenario_dir, tmp_path, cpg, key):
    # before: GDAL's recoding dropped the last character: zone_id -> zone_i, hazard IV -> I (1,000 m)
    scenario = _zones_scenario(scenario_dir, to_cp1258, cpg=cpg, key=key)
    before = tree_hashes(scenario_dir)
    out = run_cli("run", scenario, "-o", tmp_path / "out")
    assert out.code == 0, out.stderr
    with (tmp_path / "out" / "ranked.csv").open(encoding="utf-8-sig", newline="") as fh:
        table = {row["parcel_id"]: row for row in csv.DictReader(fh)}
    assert sorted(p for p, row in table.items() if row["eligible"] == "True") == ["P1", "P4", "P7"]
    assert "KCN Thăng Long (class IV)" in table["P0"]["excluded_by"]
    assert_nothing_left(scenario_dir, before)


def test_unknown_code_page_in_cpg(scenario_dir, tmp_path):
    scenario = _zones_scenario(scenario_dir, to_cp1258, cpg="VN-KLINGON", key=None)
    before = tree_hashes(scenario_dir)
    out = run_cli("run", scenario, "-o", tmp_path / "out")
    assert_bad_input(out, "zones.shp", "VN-KLINGON", "zones.cpg", "cp1258")
    assert_nothing_left(scenario_dir, before)
    assert not (tmp_path / "out").exists()


def test_unknown_encoding_key(scenario_dir, tmp_path):
    scenario = _zones_scenario(scenario_dir, to_cp1258, cpg=None, key="windows-vietnam")
    out = run_cli("run", scenario, "-o", tmp_path / "out")
    assert_bad_input(out, "zones.shp", "windows-vietnam", "`encoding`")
    assert not (tmp_path / "out").exists()


def _warnings(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("warning:")]


def test_undeclared_cp1258_is_a_validation_warning(scenario_dir):
    scenario = _zones_scenario(scenario_dir, to_cp1258, cpg=None, key=None)
    before = tree_hashes(scenario_dir)
    out = run_cli("validate", scenario)
    assert out.code == 0, out.stdout + out.stderr
    (warning,) = _warnings(out.stdout)
    for text in ("zones", "zones.shp", "not UTF-8", "no .cpg", 'encoding = "cp1258"'):
        assert text in warning
    assert "Traceback" not in out.stderr
    assert_nothing_left(scenario_dir, before)


def test_cpg_that_lies_about_utf8_is_a_validation_warning(scenario_dir):
    scenario = _zones_scenario(scenario_dir, to_cp1258, cpg="UTF-8", key=None)
    out = run_cli("validate", scenario)
    (warning,) = _warnings(out.stdout)
    assert "zones.shp" in warning and "not valid utf-8" in warning and "zones.cpg" in warning


def test_utf8_read_as_latin1_is_reported_as_garbled(scenario_dir):
    # the user forces the wrong code page on a UTF-8 file: every Vietnamese letter becomes two
    scenario = _zones_scenario(scenario_dir, to_utf8, cpg=None, key="latin-1")
    out = run_cli("validate", scenario)
    (warning,) = _warnings(out.stdout)
    assert "garbled" in warning and "'name'" in warning and "KCN Th" in warning


def test_double_encoded_geojson_is_reported_as_garbled(scenario_dir):
    zones = gpd.read_file(scenario_dir / "zones.geojson")
    zones["name"] = ["KCN Thăng Long".encode().decode("cp1252", errors="replace")]  # "KCN ThÄƒng Long"
    zones.to_file(scenario_dir / "zones.geojson", engine="pyogrio")
    out = run_cli("validate", scenario_dir / "scenario.toml")
    (warning,) = _warnings(out.stdout)
    assert "zones" in warning and "garbled" in warning and "KCN ThÄƒng Long" in warning


def test_garbled_field_name_in_geopackage_is_reported(scenario_dir, grid):
    parcels = grid.reset_index()
    parcels["tÃªn"] = "x"  # "tên" in UTF-8 shown as latin-1
    parcels.to_file(scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio")
    out = run_cli("validate", scenario_dir / "scenario.toml")
    (warning,) = _warnings(out.stdout)
    assert "parcels" in warning and "field names" in warning and "tÃªn" in warning


def test_replacement_characters_are_reported(scenario_dir):
    zones = gpd.read_file(scenario_dir / "zones.geojson")
    zones["name"] = ["KCN Th\ufffdng Long"]
    zones.to_file(scenario_dir / "zones.geojson", engine="pyogrio")
    out = run_cli("validate", scenario_dir / "scenario.toml")
    (warning,) = _warnings(out.stdout)
    assert "garbled" in warning


def test_clean_vietnamese_text_gives_no_warning(scenario_dir):
    # the fixtures hold "KCN Thăng Long", "Trường A", "Trạm Y tế", "Hồ": none is garbled
    out = run_cli("validate", scenario_dir / "scenario.toml")
    assert out.code == 0 and _warnings(out.stdout) == []


@pytest.mark.parametrize(("encode", "cpg"), [(to_cp1258, "1258"), (to_utf8, None)], ids=["cp1258", "utf8"])
def test_where_filter_with_vietnamese_text_matches(tmp_path, encode, cpg):
    rows = _rows()
    shp = write_shapefile(tmp_path / "xa.shp", FIELDS, rows, encode, cpg=cpg)
    wanted = rows[4][1]  # every tone of "ê", both cases: cp1258 stores most of them as ê + combining mark
    gdf = read_layer(shp, where=f"\"tên_xã\" = '{wanted}'")
    assert gdf["ma_so"].tolist() == ["R4"] and gdf["tên_xã"].tolist() == [wanted]
