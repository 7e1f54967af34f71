"""VN-2000: the 224 m trap reproduced and caught, the province table, the crs shorthands."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geopandas as gpd
import pyproj
import shapely

import landplan
from landplan import vn2000
from landplan.crs import check_metric
from landplan.datasets import get_path
from landplan.errors import CRSError
from landplan.io import read_layer

#: what MapInfo/MicroStation/hand-made ArcGIS exports write: a custom datum, no TOWGS84
CUSTOM_PRJ = (
    'PROJCS["HaNoi_KTT105_3do",GEOGCS["GCS_HN_custom",DATUM["D_HN_custom",SPHEROID["WGS_1984",6378137.0,'
    '298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],'
    'PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
GEOD = pyproj.Geod(ellps="WGS84")


def _tm(crs: pyproj.CRS) -> dict[str, float]:
    """Central meridian ``lon_0``, scale ``k`` and false easting ``x_0`` of a Transverse Mercator CRS."""
    base = crs.source_crs if crs.is_bound else crs
    params = {p.name: p.value for p in base.coordinate_operation.params}
    return {
        "lon_0": params["Longitude of natural origin"],
        "k": params["Scale factor at natural origin"],
        "x_0": params["False easting"],
    }


def _offsets_m(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> np.ndarray:
    """Distance (m, on the ellipsoid) between matching feature centres of two layers."""
    ca, cb = a.to_crs(32648).centroid.to_crs(4326), b.to_crs(32648).centroid.to_crs(4326)
    return np.asarray(GEOD.inv(ca.x.to_numpy(), ca.y.to_numpy(), cb.x.to_numpy(), cb.y.to_numpy())[2])


@pytest.fixture
def trap(tmp_path):
    """The demo parcels in true VN-2000 TM-3 105 coordinates, with a custom .prj and no datum shift."""
    truth = gpd.read_file(get_path("parcels"))
    path = tmp_path / "parcels_vn2000.shp"
    truth.to_crs("EPSG:5897").to_file(path, engine="pyogrio")  # PROJ applies EPSG:6960 here: the true numbers
    path.with_suffix(".prj").write_text(CUSTOM_PRJ)
    return path, truth


def test_the_naive_reading_is_off_by_about_224_m(trap):
    path, truth = trap
    naive = gpd.read_file(path)  # what geopandas/QGIS do with this .prj
    off = _offsets_m(naive, truth)
    assert off.min() > 100  # the trap is real: every parcel moved
    assert 200 < np.median(off) < 250


def test_read_layer_applies_the_official_shift_and_warns(trap):
    path, truth = trap
    gdf = read_layer(path)
    assert _offsets_m(gdf, truth).max() < 1.0
    (warning,) = gdf.attrs["warnings"]
    assert "HaNoi_KTT105_3do" in warning and "224 m" in warning and "05/2007" in warning


def test_the_scenario_reports_the_warning_on_the_layer(trap, tmp_path):
    path, _ = trap
    scn = tmp_path / "s.toml"
    scn.write_text(
        f'[scenario]\nname = "vn2000"\n[layers.parcels]\npath = "{path.name}"\nid_field = "parcel_id"\n'
        '[[criteria]]\nname = "size"\nkind = "area"\nweight = 1\nvalue = { function = "identity" }\n',
        encoding="utf-8",
    )
    report = landplan.validate(scn)
    found = [f for f in report.findings if f.level == "warning" and "VN-2000" in str(f)]
    assert found and found[0].layer == "parcels"


def test_a_declared_crs_wins_over_a_repaired_file_crs(trap):
    path, truth = trap
    gdf = read_layer(path, crs="VN-2000 Hà Nội")
    assert not gdf.attrs["warnings"]
    assert _offsets_m(gdf, truth).max() < 1.0


def test_zero_towgs84_is_missing_but_a_real_one_is_kept():
    zero = pyproj.CRS(CUSTOM_PRJ.replace("298.257223563]]", "298.257223563],TOWGS84[0,0,0,0,0,0,0]]"))
    assert vn2000.is_vn2000(zero) and vn2000.datum_shift_missing(zero)
    real = pyproj.CRS(CUSTOM_PRJ.replace("298.257223563]]", "298.257223563],TOWGS84[-191.9,-39.3,-111.45,0,0,0,0]]"))
    assert vn2000.repair(real) == (real, False)


@pytest.mark.parametrize(
    ("crs", "is_vn", "missing"),
    [
        ("EPSG:5897", True, False),  # EPSG's VN-2000: PROJ knows the shift
        ("EPSG:3405", True, False),
        ("EPSG:4756", True, False),
        ("EPSG:32648", False, None),  # WGS 84 / UTM 48N is not VN-2000
        ("EPSG:2093", False, None),  # Hanoi 1972 / GK 106 NE: Krassovsky, not VN-2000
        ("+proj=tmerc +lon_0=105.75 +k=0.9999 +x_0=500000 +ellps=WGS84 +units=m", True, True),  # by parameters
        ("+proj=tmerc +lon_0=105.75 +k=0.9996 +x_0=500000 +ellps=WGS84 +units=m", False, None),
    ],
)
def test_recognition(crs, is_vn, missing):
    c = pyproj.CRS(crs)
    assert vn2000.is_vn2000(c) is is_vn
    if is_vn:
        assert vn2000.datum_shift_missing(c) is missing


def test_the_shift_equals_epsg_6960_across_vietnam():
    """The decision's seven numbers, as landplan applies them, against PROJ's EPSG:6960 (the oracle)."""
    ours = pyproj.Transformer.from_crs(vn2000.resolve("VN-2000"), "EPSG:4326", always_xy=True)
    epsg = pyproj.Transformer.from_pipeline(
        pyproj.transformer.TransformerGroup("EPSG:4756", "EPSG:4326", always_xy=True).transformers[0].definition
    )
    assert "6960" in pyproj.transformer.TransformerGroup("EPSG:4756", "EPSG:4326").transformers[0].to_json()
    lon, lat = np.meshgrid(np.arange(102.5, 109.6, 0.5), np.arange(8.5, 23.5, 0.5))
    a = ours.transform(lon.ravel(), lat.ravel())
    b = epsg.transform(lon.ravel(), lat.ravel())
    assert np.max(GEOD.inv(a[0], a[1], b[0], b[1])[2]) < 0.001


def test_the_province_table_is_complete_and_its_epsg_codes_match():
    old = [p for p in vn2000.provinces() if p.era == "2008"]
    new = [p for p in vn2000.provinces() if p.era == "2025"]
    assert len(old) == 63 and len(new) == 34
    assert len({p.code for p in old}) == 63 and len({p.code for p in new}) == 34
    assert sorted(q for p in new for q in p.parts) == sorted(p.name for p in old)  # the merger covers everyone
    for p in old:
        d = _tm(pyproj.CRS.from_epsg(p.epsg))
        assert (d["lon_0"], d["k"], d["x_0"]) == (p.meridian, 0.9999, 500000), p


@pytest.mark.parametrize(
    ("text", "meridian"),
    [
        ("VN-2000 Hà Nội", 105.0),
        ("vn2000 ha noi", 105.0),
        ("VN-2000 HÀ NỘI", 105.0),
        ("VN-2000 01", 105.0),
        ("VN-2000 Tỉnh Quảng Ninh", 107.75),
        ("VN-2000 TP Hồ Chí Minh", 105.75),
        ("VN-2000 tphcm", 105.75),
        ("VN-2000 Đắk Lắk", 108.5),
        ("VN-2000 dak lak", 108.5),
        ("VN-2000 Huế", 107.0),
        ("VN-2000 Lào Cai 2025", 104.75),  # Lào Cai + Yên Bái share 104°45'
        ("VN-2000 105-45", 105.75),
        ("VN-2000 105°45'", 105.75),
        ("VN-2000 TM-3 105.75", 105.75),
        ("VN-2000 104.1", 104.1),  # no EPSG code: an exact definition
    ],
)
def test_shorthands(text, meridian):
    crs = vn2000.resolve(text)
    assert crs is not None and crs.is_bound
    d = _tm(crs)
    assert d["lon_0"] == pytest.approx(meridian) and d["k"] == 0.9999


def test_a_merged_province_with_two_meridians_asks_which():
    with pytest.raises(CRSError, match=r"Bắc Ninh.*105\.5.*Bắc Giang.*107"):
        vn2000.resolve("VN-2000 Bắc Ninh 2025")
    with pytest.raises(CRSError, match="VN-2000 Hà Nội"):
        vn2000.resolve("VN-2000 Atlantis")
    assert vn2000.resolve("EPSG:32648") is None


@settings(deadline=None)
@given(st.sampled_from([p for p in vn2000.provinces() if p.meridian is not None]))
def test_every_province_resolves_by_name_and_by_code(p):
    suffix = " 2025" if p.era == "2025" else ""
    by_name = vn2000.resolve(f"VN-2000 {p.name}{suffix}")
    assert by_name is not None and _tm(by_name)["lon_0"] == p.meridian
    if p.era == "2008":
        assert _tm(vn2000.resolve(f"vn2000 {p.code}"))["lon_0"] == p.meridian


def test_the_scenario_crs_takes_a_province():
    crs = check_metric("VN-2000 Hà Nội", what="scenario.crs")
    assert crs.is_projected and crs.source_crs.to_epsg() == 5897


def test_missing_crs_suggests_vn2000_for_tm3_looking_coordinates(tmp_path):
    g = gpd.GeoDataFrame(
        {"a": [1, 2]}, geometry=[shapely.Point(585000, 2325000), shapely.Point(586000, 2326000)], crs=5897
    )
    g.to_file(tmp_path / "nocrs.shp", engine="pyogrio")
    (tmp_path / "nocrs.prj").unlink()
    with pytest.raises(CRSError, match="VN-2000 Hà Nội"):
        read_layer(tmp_path / "nocrs.shp")
    g2 = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(5, 5)], crs=4326)
    g2.to_file(tmp_path / "nocrs2.shp", engine="pyogrio")
    (tmp_path / "nocrs2.prj").unlink()
    with pytest.raises(CRSError) as exc:
        read_layer(tmp_path / "nocrs2.shp")
    assert "VN-2000" not in str(exc.value)


@settings(deadline=None, max_examples=25)  # PROJ builds a transformation per example
@given(
    st.sampled_from(sorted({p.meridian for p in vn2000.provinces() if p.meridian is not None})),
    st.floats(-150_000, 150_000),
    st.floats(950_000, 2_600_000),
)
def test_a_repaired_custom_prj_equals_the_province_crs(meridian, dx, y):
    """Any provincial meridian: the repaired custom .prj maps every point where the official CRS does."""
    custom = pyproj.CRS(CUSTOM_PRJ.replace('"Central_Meridian",105.0', f'"Central_Meridian",{meridian}'))
    fixed, repaired = vn2000.repair(custom)
    assert repaired
    a = pyproj.Transformer.from_crs(fixed, 4326, always_xy=True).transform(500_000 + dx, y)
    b = pyproj.Transformer.from_crs(vn2000.tm3_crs(meridian), 4326, always_xy=True).transform(500_000 + dx, y)
    assert GEOD.inv(a[0], a[1], b[0], b[1])[2] < 0.001
