"""Shared fixtures: tiny layers whose answers can be checked by hand.

The parcel grid is 3 x 3 parcels of 100 m x 100 m in UTM 48N (EPSG:32648), ids P0..P8
row by row from the south-west corner at (X0, Y0):

    P6 P7 P8      y 200..300
    P3 P4 P5      y 100..200
    P0 P1 P2      y   0..100
"""

from __future__ import annotations

import json
import re
import textwrap
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st

import geopandas as gpd
import shapely

import landplan
from landplan.model import Scores, Study
from landplan.outputs.tables import ranked_table
from postgis_server import PostgisServer, ensure_installed

X0, Y0 = 580_000.0, 2_330_000.0
CRS = "EPSG:32648"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "hanoi"


def box(x: float, y: float, w: float = 100.0, h: float = 100.0) -> shapely.Polygon:
    """A box relative to the grid origin."""
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def pt(x: float, y: float) -> shapely.Point:
    """A point relative to the grid origin."""
    return shapely.Point(X0 + x, Y0 + y)


def scored(scenario: Study | str | Path, **kw: object) -> tuple[Study, Scores]:
    """Load a scenario (or take a loaded study) and score it; ``kw`` goes to :func:`landplan.score`."""
    study = scenario if isinstance(scenario, Study) else landplan.load_study(scenario)
    return study, landplan.score(study, **kw)  # type: ignore[arg-type]


def rank(scenario: Study | str | Path, **kw: object) -> gpd.GeoDataFrame:
    """The wide ranked table of a scenario or study (``<name>_raw/_value/_contrib`` columns)."""
    return ranked_table(*scored(scenario, **kw))


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    """3x3 grid of 100 m parcels, indexed by parcel_id P0..P8, with landuse and price."""
    cells = [box(x, y) for y in (0, 100, 200) for x in (0, 100, 200)]
    return gpd.GeoDataFrame(
        {
            "landuse": [
                "vacant",
                "vacant",
                "rice_protected",
                "vacant",
                "residential",
                "vacant",
                "vacant",
                "vacant",
                "public",
            ],
            "price": [10.0, 12, 14, 16, 18, 20, 22, 24, 26],
        },
        index=pd.Index([f"P{i}" for i in range(9)], name="parcel_id"),
        geometry=cells,
        crs=CRS,
    )


@pytest.fixture
def scenario_dir(tmp_path: Path, grid: gpd.GeoDataFrame) -> Path:
    """A folder with a small scenario: the grid, one zone, facilities, a lake."""
    d = tmp_path / "scn"
    d.mkdir()
    grid.reset_index().to_file(d / "parcels.gpkg", layer="parcels", engine="pyogrio")
    # a zone 50 m west of the grid (x -150..-50, y 0..300), hazard class IV (100 m isolation)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["KCN Thăng Long"], "hazard": ["IV"], "workers": [1000]},
        geometry=[box(-150, 0, 100, 300)],
        crs=CRS,
    )
    zones.to_file(d / "zones.geojson", engine="pyogrio")
    fac = gpd.GeoDataFrame(
        {
            "fac_id": ["F1", "F2", "F3"],
            "kind": ["school", "school", "clinic"],
            "name": ["Trường A", "Trường B", "Trạm Y tế"],
        },
        geometry=[pt(50, 50), pt(250, 250), pt(150, 150)],
        crs=CRS,
    ).to_crs(4326)
    fac.to_file(d / "facilities.shp", engine="pyogrio", encoding="UTF-8")
    lake = gpd.GeoDataFrame({"name": ["Hồ"]}, geometry=[box(200, 100, 100, 50)], crs=CRS)
    lake.to_file(d / "water.fgb", engine="pyogrio")
    (d / "scenario.toml").write_text(SCENARIO_TOML, encoding="utf-8")
    return d


SCENARIO_TOML = textwrap.dedent(
    """
    [scenario]
    name = "grid test"
    crs = "EPSG:32648"

    [layers.parcels]
    path = "parcels.gpkg"
    id_field = "parcel_id"

    [layers.zones]
    path = "zones.geojson"
    id_field = "zone_id"
    name_field = "name"
    hazard_field = "hazard"
    workers_field = "workers"

    [layers.facilities]
    path = "facilities.shp"
    id_field = "fac_id"
    name_field = "name"

    [layers.water]
    path = "water.fgb"

    [[criteria]]
    name = "zone_distance"
    kind = "distance"
    layer = "zones"
    weight = 2
    value = { function = "linear", lower = 0, upper = 1000, increasing = false }

    [[criteria]]
    name = "schools"
    kind = "count"
    layer = "facilities"
    select = { kind = "school" }
    radius_m = 100
    weight = 1
    value = { function = "step", mode = "at_least", thresholds = [2, 1], values = [1.0, 0.5] }

    [[criteria]]
    name = "price"
    kind = "attribute"
    field = "price"
    weight = 1
    value = { function = "linear", lower = 10, upper = 26, increasing = false }

    [[constraints]]
    kind = "isolation"

    [[constraints]]
    kind = "attribute"
    field = "landuse"
    not_in = ["rice_protected", "public"]

    [[constraints]]
    kind = "exclusion_layer"
    layer = "water"
    label = "lake"
    """
)


@pytest.fixture
def alloc_scenario(scenario_dir):
    text = (scenario_dir / "scenario.toml").read_text()
    text += (
        "\n[demand]\nshare_needing_housing = 1.0\nshare_already_housed = 0.0\npersons_per_unit = 1.0\n"
        "gfa_per_unit_m2 = 100.0\nbuildable_share = 0.5\nfloor_area_ratio = 2.0\n"
        "\n[allocation]\nmax_commute_m = 1000\n"
    )
    (scenario_dir / "scenario.toml").write_text(text)
    return scenario_dir / "scenario.toml"


def feats(*geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(geoms), crs=CRS)


coords = st.floats(-500, 1500, allow_nan=False, allow_infinity=False)


@st.composite
def layers(draw):
    n_parcels = draw(st.integers(1, 12))
    parcels = []
    for _ in range(n_parcels):
        x, y = draw(coords), draw(coords)
        w, h = draw(st.floats(5, 400)), draw(st.floats(5, 400))
        parcels.append(shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h))
    n_feats = draw(st.integers(1, 15))
    fs = []
    for _ in range(n_feats):
        x, y = draw(coords), draw(coords)
        if draw(st.booleans()):
            fs.append(shapely.Point(X0 + x, Y0 + y))
        else:
            dx, dy = draw(st.floats(1, 800)), draw(st.floats(-800, 800))  # no zero-length (invalid) lines
            fs.append(shapely.LineString([(X0 + x, Y0 + y), (X0 + x + dx, Y0 + y + dy)]))
    radius = draw(st.floats(1, 800))
    p = gpd.GeoDataFrame(geometry=parcels, crs=CRS, index=pd.Index([f"p{i}" for i in range(n_parcels)]))
    return p, gpd.GeoDataFrame(geometry=fs, crs=CRS), radius


@pytest.fixture
def random_values():
    rng = np.random.default_rng(3)
    idx = pd.Index([f"p{i:04d}" for i in range(2000)])
    return pd.DataFrame(rng.uniform(0, 1, (2000, 4)), index=idx, columns=list("abcd"))


SCENARIO: dict[str, object] = tomllib.loads(SCENARIO_TOML)
"""The grid scenario as data (what :func:`scenario_factory` starts from)."""

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k, ensure_ascii=False)


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(i) for i in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(i)}" for k, i in v.items()) + " }"
    raise TypeError(f"no TOML for {v!r}")


def _is_table_array(v: object) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(i, Mapping) for i in v)


def _table(prefix: str, table: Mapping[str, object], out: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping) and not _is_table_array(v)}
    if prefix and (scalars or not table):
        out.append(f"\n[{prefix}]")
    out.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars.items())
    for k, v in table.items():
        name = f"{prefix}.{_key(k)}" if prefix else _key(k)
        if isinstance(v, Mapping):
            _table(name, v, out)
        elif _is_table_array(v):
            for item in v:  # type: ignore[union-attr]
                out.append(f"\n[[{name}]]")
                out.extend(f"{_key(ik)} = {_value(iv)}" for ik, iv in item.items())


def toml_text(data: Mapping[str, object]) -> str:
    """TOML for a scenario as data (tables, arrays of tables, inline tables inside them)."""
    out: list[str] = []
    _table("", data, out)
    return "\n".join(out).lstrip() + "\n"


def deep_merge(base: Mapping[str, object], overrides: Mapping[str, object]) -> dict[str, object]:
    """``base`` with ``overrides`` merged in table by table; a ``None`` value removes the key."""
    out = dict(base)
    for k, v in overrides.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)  # type: ignore[arg-type]
        else:
            out[k] = v
    return out


@pytest.fixture
def scenario_factory(scenario_dir: Path) -> Callable[..., Path]:
    """Write a variant of the grid scenario into ``scenario_dir`` and return its path.

    ``scenario_factory(scenario={"crs": None}, output={"map": False})`` deep-merges the
    overrides into :data:`SCENARIO` (``None`` removes a key; lists such as ``criteria`` are
    replaced whole: extend ``SCENARIO["criteria"]`` to add one). ``name`` picks the file name
    (default ``scenario.toml``, replacing the fixture's own).
    """

    def make(name: str = "scenario.toml", **overrides: object) -> Path:
        path = scenario_dir / name
        path.write_text(toml_text(deep_merge(SCENARIO, overrides)), encoding="utf-8")
        return path

    return make


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[PostgisServer]:
    """A private PostGIS server on 127.0.0.1 for the whole session (tests/postgis_server.py).

    Debian's packages are installed when missing and the tests run as root with apt-get; the
    tests skip only when they cannot be installed. A server that is installed but fails to
    start is an error, not a skip.
    """
    reason = ensure_installed()
    if reason is not None:
        pytest.skip(reason)
    with PostgisServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgis_url(postgis_server: PostgisServer) -> str:
    """``postgresql://landplan:PASSWORD@127.0.0.1:PORT/landplan`` of the session's PostGIS server."""
    return postgis_server.url_with_password
