"""OGC web services (WFS, OGC API Features) through GDAL: a real read from a local static server, and errors.

The OGC API Features service is a handful of JSON documents served on 127.0.0.1 by
tests/static_http.py in its own process (no network needed).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import geopandas as gpd

from landplan.errors import LayerReadError
from landplan.io import read_layer
from landplan.pipeline import run


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def oapif(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static OGC API Features service: ``(base URL, folder of its documents)``."""
    folder = tmp_path / "oapif"
    folder.mkdir()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "static_http.py"), str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base = f"http://127.0.0.1:{int(server.stdout.readline())}"
        _document(folder, "index", {"links": [{"href": f"{base}/collections", "rel": "data"}]})
        _document(folder, "collections", {"collections": [], "links": []})
        yield base, folder
    finally:
        server.kill()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()


def _document(folder: Path, path: str, body: object) -> None:
    file = folder / f"{path}.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


def _publish(base: str, folder: Path, name: str, gdf: gpd.GeoDataFrame) -> None:
    """Add a collection whose items are ``gdf`` (in WGS 84, as OGC API Features serves by default)."""
    collection = {
        "id": name,
        "title": name,
        "links": [{"href": f"{base}/collections/{name}/items", "rel": "items", "type": "application/geo+json"}],
    }
    listing = json.loads((folder / "collections.json").read_text(encoding="utf-8"))
    listing["collections"].append(collection)
    _document(folder, "collections", listing)
    _document(folder, f"collections/{name}", collection)
    features = json.loads(gdf.to_crs(4326).to_json(drop_id=True))
    _document(folder, f"collections/{name}/items", {**features, "links": []})


def test_oapif_collection_reads_like_the_file(oapif, scenario_dir) -> None:
    base, folder = oapif
    facilities = read_layer(scenario_dir / "facilities.shp")
    _publish(base, folder, "facilities", facilities)
    got = read_layer(f"OAPIF:{base}", "facilities")
    assert got.crs.to_epsg() == 4326
    assert got["fac_id"].tolist() == ["F1", "F2", "F3"]
    assert got["name"].tolist() == ["Trường A", "Trường B", "Trạm Y tế"]
    assert got.geom_equals_exact(facilities.geometry, tolerance=1e-9).all()
    schools = read_layer(f"OAPIF:{base}", "facilities", "kind = 'school'")
    assert schools["fac_id"].tolist() == ["F1", "F2"]


def test_scenario_layer_from_oapif_gives_the_same_ranking(oapif, scenario_dir, tmp_path) -> None:
    base, folder = oapif
    _publish(base, folder, "facilities", read_layer(scenario_dir / "facilities.shp"))
    _publish(base, folder, "other", read_layer(scenario_dir / "water.fgb"))  # two collections: `layer` picks one
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8")
    (scenario_dir / "web.toml").write_text(
        text.replace('path = "facilities.shp"', f'path = "OAPIF:{base}"\nlayer = "facilities"'), encoding="utf-8"
    )
    run(scenario_dir / "scenario.toml", out_dir=tmp_path / "files")
    result = run(scenario_dir / "web.toml", out_dir=tmp_path / "web")
    assert (tmp_path / "web" / "ranked.csv").read_bytes() == (tmp_path / "files" / "ranked.csv").read_bytes()
    schools = result.scores.raw["schools"]  # P4 is 71 m from both schools, P2 150 m from each
    assert schools["P4"] == 2 and schools["P2"] == 0
    listed = {i["layer"]: i for i in result.manifest["inputs"]}["facilities"]
    assert listed["path"] == f"OAPIF:{base}" and listed["features"] == 3


def test_several_collections_need_a_layer(oapif, scenario_dir) -> None:
    base, folder = oapif
    _publish(base, folder, "facilities", read_layer(scenario_dir / "facilities.shp"))
    _publish(base, folder, "water", read_layer(scenario_dir / "water.fgb"))
    with pytest.raises(LayerReadError, match=r"2 layers \('facilities', 'water'\); say which one with `layer"):
        read_layer(f"OAPIF:{base}")


@pytest.mark.parametrize("kind", ["OAPIF", "WFS"])
def test_unreachable_service_is_one_line_without_password(kind) -> None:
    url = f"{kind}:http://planner:s3cret@127.0.0.1:{_closed_port()}/service"
    with pytest.raises(LayerReadError, match=rf"the {kind} service cannot be read \(.*\); check the URL") as info:
        read_layer(url, "parcels")
    text = str(info.value)
    assert "\n" not in text and "s3cret" not in text and "planner:***@127.0.0.1" in text


def test_a_web_service_is_not_file_not_found(scenario_dir) -> None:
    text = (scenario_dir / "scenario.toml").read_text(encoding="utf-8")
    bad = f'path = "WFS:http://127.0.0.1:{_closed_port()}/wfs"\nlayer = "water"'
    (scenario_dir / "web.toml").write_text(text.replace('path = "water.fgb"', bad), encoding="utf-8")
    with pytest.raises(Exception, match="WFS service cannot be read") as info:
        run(scenario_dir / "web.toml")
    assert "file not found" not in str(info.value)
