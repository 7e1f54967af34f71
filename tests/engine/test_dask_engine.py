"""The dask engine gives the in-memory engine's results, byte for byte, on a cluster it starts or is given.

Every test starts its own ``distributed`` cluster on 127.0.0.1 (or uses the module's) and closes it:
no process is left behind (checked).
"""

from __future__ import annotations

import multiprocessing
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

pytest.importorskip("distributed", reason="the dask extra is not installed: pip install 'landplan[dask]'")
pytest.importorskip("dask_geopandas", reason="the dask extra is not installed: pip install 'landplan[dask]'")

from distributed import LocalCluster
from tests.engine.synthetic import frame_of, write_city, write_scenario

from landplan import datasets
from landplan.config import ComputeSpec, load_scenario
from landplan.engine.partitioned import cluster_client, halo_radii, hilbert_order
from landplan.errors import InputError
from landplan.io import read_layer
from landplan.load import load_study
from landplan.pipeline import produce, run


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two single-threaded worker processes on 127.0.0.1, closed after the module."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0", processes=True
    ) as c:
        yield c


def _with_dask(path: Path, address: str, *, partition: int) -> object:
    s = load_scenario(path)
    spec = s.compute.model_copy(update={"engine": "dask", "scheduler": address, "partition_parcels": partition})
    return s.model_copy(update={"compute": spec})


def test_demo_ranked_csv_is_byte_identical(cluster: LocalCluster, tmp_path: Path) -> None:
    demo = datasets.demo_scenario()
    produce(demo, {"ranked_csv": tmp_path / "memory.csv"}, allocate=False)
    dask = _with_dask(Path(demo), cluster.scheduler_address, partition=400)  # 3,719 parcels: 10 partitions
    result = produce(dask, {"ranked_csv": tmp_path / "dask.csv"}, allocate=False)
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "memory.csv").read_bytes()
    assert len(result.ranked) == 3719


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("city")
    write_city(folder, 3000, parts=3)
    return folder


def test_synthetic_city_identical_with_halos_net_area_and_neutral_medians(cluster: LocalCluster, city: Path) -> None:
    memory = produce(
        write_scenario(city, engine="in-memory", partition=1, name="m.toml"),
        {"ranked_csv": city / "m.csv"},
        overwrite=True,
    )
    s = _with_dask(
        write_scenario(city, engine="dask", partition=1, name="d.toml"), cluster.scheduler_address, partition=250
    )
    dask = produce(s, {"ranked_csv": city / "d.csv"}, overwrite=True)
    assert (city / "d.csv").read_bytes() == (city / "m.csv").read_bytes()
    assert memory.scores.net.subtracted  # the water cut some parcels: criteria measured on net geometry
    assert 0 < int(memory.scores.eligible.sum()) < 3000
    pd.testing.assert_frame_equal(dask.scores.raw, memory.scores.raw, check_exact=True)
    pd.testing.assert_frame_equal(dask.scores.reasons, memory.scores.reasons)
    assert shapely.equals_exact(
        np.asarray(dask.scores.net.geometry.array), np.asarray(memory.scores.net.geometry.array), tolerance=0
    ).all()


def test_halo_keeps_only_radius_layers_and_trims_far_features(city: Path) -> None:
    study = load_study(write_scenario(city, engine="dask", partition=250, name="h.toml"))
    # facilities: a coverage (500 m) and a count (800 m); water: a 20 m buffer; zones: whole (distance)
    assert halo_radii(study) == {"facilities": 800.0, "water": 20.0}
    from landplan.engine.partitioned import _halo_layer

    fac = study.features["facilities"]
    box = np.array([X := 561_000.0, Y := 2_301_000.0, X + 500, Y + 500])
    kept = _halo_layer(fac, box, 800.0, [])
    # brute force: a feature within 800 m of the box has its own box within 800 m of it
    dist = shapely.distance(np.asarray(fac.geometry.array), shapely.box(*box))
    assert set(fac.index[dist <= 800]) <= set(kept.index)
    assert len(kept) < len(fac)
    assert kept.index.equals(fac.index[np.isin(fac.index, kept.index)])  # original order kept


def test_hilbert_order_is_a_stable_permutation_with_empties_last() -> None:
    geoms = [shapely.box(0, 0, 1, 1), shapely.Polygon(), shapely.box(100, 100, 101, 101), shapely.box(0, 0, 1, 1)]
    gdf = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:32648")
    order = hilbert_order(gdf)
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    assert order[-1] == 1  # the empty one
    assert order.tolist().index(0) < order.tolist().index(3)  # ties keep their order


def test_partitioned_parcels_in_and_partitioned_ranked_out(cluster: LocalCluster, city: Path) -> None:
    """Parcels read from a folder of parts equal one file; ranked GeoParquet written as parts, atomically."""
    whole = read_layer(city / "parcels")
    assert len(whole) == 3000
    assert whole["parcel_id"].tolist() == [f"P{i:07d}" for i in range(3000)]
    s = _with_dask(
        write_scenario(city, engine="dask", partition=1, extra="partitioned_output = true", name="p.toml"),
        cluster.scheduler_address,
        partition=700,
    )
    s = s.model_copy(update={"output": s.output.model_copy(update={"formats": ["parquet"], "map": False})})
    out = city / "out"
    result = run(s, out_dir=out, write_map=False)
    folder = out / "ranked.parquet"
    assert folder.is_dir()
    assert sorted(p.name for p in folder.iterdir()) == ["_parts.json", *(f"part-{k:05d}.parquet" for k in range(5))]
    back = frame_of(folder)
    assert back["parcel_id"].tolist() == result.ranked.index.tolist()  # parts in rank order
    assert result.manifest["output_sha256"]["ranked_parquet"]
    run(s, out_dir=out, write_map=False, overwrite=True)  # a folder of parts is replaced
    assert frame_of(out / "ranked.parquet").equals(back)
    assert not list(out.parent.glob(".*.tmp")) and not list(out.glob(".*"))


def test_local_cluster_is_started_and_closed_by_landplan() -> None:
    before = set(multiprocessing.active_children())
    with cluster_client(ComputeSpec(engine="dask", workers=1, memory_limit_gb=1.0)) as client:
        info = client.scheduler_info()
        assert len(info["workers"]) == 1
        assert all(w.startswith("tcp://127.0.0.1:") for w in info["workers"])
        assert set(multiprocessing.active_children()) - before
    assert set(multiprocessing.active_children()) <= before


def test_unreachable_scheduler_is_an_input_error() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(InputError, match=r"scheduler tcp://127\.0\.0\.1:\d+: cannot connect"):
        with cluster_client(ComputeSpec(engine="dask", scheduler=f"tcp://127.0.0.1:{port}")):
            pass


def test_scheduler_address_is_checked() -> None:
    with pytest.raises(ValueError, match="scheduler must be an address like tcp://host:8786"):
        ComputeSpec(scheduler="localhost:8786")


@pytest.mark.slow
def test_200000_parcels_identical(cluster: LocalCluster, tmp_path: Path) -> None:
    write_city(tmp_path, 200_000, parts=4)
    produce(write_scenario(tmp_path, engine="in-memory", partition=1), {"ranked_csv": tmp_path / "m.csv"})
    s = _with_dask(
        write_scenario(tmp_path, engine="dask", partition=1, name="d.toml"), cluster.scheduler_address, partition=25_000
    )
    produce(s, {"ranked_csv": tmp_path / "d.csv"})
    assert (tmp_path / "d.csv").read_bytes() == (tmp_path / "m.csv").read_bytes()


def test_cli_rank_on_a_given_scheduler_prints_the_in_memory_csv(cluster: LocalCluster, city: Path) -> None:
    from typer.testing import CliRunner

    from landplan.cli import app

    scenario = str(write_scenario(city, engine="in-memory", partition=400, name="cli.toml"))
    memory = CliRunner().invoke(app, ["rank", scenario])
    dask = CliRunner().invoke(app, ["rank", scenario, "--scheduler", cluster.scheduler_address])
    assert memory.exit_code == 0 and dask.exit_code == 0, dask.output
    assert dask.stdout == memory.stdout
    assert memory.stdout.count("\n") == 3001


def test_cli_refuses_a_scheduler_that_is_not_an_address(city: Path) -> None:
    from typer.testing import CliRunner

    from landplan.cli import app

    scenario = str(write_scenario(city, engine="in-memory", partition=400, name="cli.toml"))
    r = CliRunner().invoke(app, ["rank", scenario, "--scheduler", "localhost:8786"])
    assert r.exit_code == 2
    assert "scheduler must be an address like tcp://host:8786" in r.output


def test_cli_explain_and_map_take_the_engine_options_too(cluster: LocalCluster, city: Path, tmp_path: Path) -> None:
    """``explain`` prints the same card whether scored in memory or on the cluster; ``map`` takes the options too."""
    from typer.testing import CliRunner

    from landplan.cli import app

    scenario = str(write_scenario(city, engine="in-memory", partition=400, name="cli.toml"))
    best = CliRunner().invoke(app, ["rank", scenario, "--top", "1"]).stdout.splitlines()[1].split(",")[0]
    memory = CliRunner().invoke(app, ["explain", scenario, best])
    dask = CliRunner().invoke(app, ["explain", scenario, best, "--scheduler", cluster.scheduler_address])
    assert memory.exit_code == 0 and dask.exit_code == 0, dask.output
    assert dask.stdout == memory.stdout and best in memory.stdout
    out = tmp_path / "m.png"
    args = ["map", scenario, "--png", "--output", str(out), "--engine", "dask"]
    args += ["--scheduler", cluster.scheduler_address]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
