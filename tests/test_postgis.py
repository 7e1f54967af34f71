"""PostGIS in and out, against a real server (the session's private cluster, tests/postgis_server.py).

Every test works in its own schema, so tests do not see each other's tables.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import geopandas as gpd
import shapely

from conftest import CRS, pt
from landplan.cli import app
from landplan.config import load_scenario
from landplan.errors import ConfigError, CRSError, InputError, LayerReadError, OutputExistsError, redact
from landplan.io import read_layer
from landplan.io.postgis import connect
from landplan.outputs.postgis import _write_table
from landplan.pipeline import run
from postgis_server import PostgisServer, ensure_installed


@pytest.fixture(scope="module")
def engine(postgis_server: PostgisServer) -> Iterator[sqlalchemy.Engine]:
    eng = sqlalchemy.create_engine(postgis_server.sqlalchemy_url)
    yield eng
    eng.dispose()


@pytest.fixture
def schema(engine: sqlalchemy.Engine) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    yield name
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")


def sql(engine: sqlalchemy.Engine, text: str) -> list[tuple]:
    with engine.begin() as conn:
        result = conn.exec_driver_sql(text)
        return [tuple(r) for r in result.fetchall()] if result.returns_rows else []


def put(gdf: gpd.GeoDataFrame, engine: sqlalchemy.Engine, schema: str, name: str) -> None:
    gdf.to_postgis(name, engine, schema=schema, index=False)


# ------------------------------------------------------------------ the server


def test_server_is_postgis_on_localhost(engine: sqlalchemy.Engine, postgis_server: PostgisServer) -> None:
    assert sql(engine, "SELECT PostGIS_Lib_Version()")[0][0].startswith("3.")
    assert postgis_server.host == "127.0.0.1"
    assert sql(engine, "SELECT current_setting('listen_addresses')") == [("127.0.0.1",)]
    assert sql(engine, "SELECT ST_Area(ST_MakeEnvelope(0, 0, 10, 20))") == [(200.0,)]


def test_server_needs_the_password(postgis_server: PostgisServer) -> None:
    wrong = postgis_server.sqlalchemy_url.replace(postgis_server.password, "not-it")
    with pytest.raises(sqlalchemy.exc.OperationalError, match="password authentication failed"):
        sqlalchemy.create_engine(wrong).connect()


def _free_folder() -> Path:
    """A folder name under /tmp (pytest's tmp_path is private to root: the postgres user cannot enter it)."""
    return Path(tempfile.gettempdir()) / f"landplan-pg-test-{uuid.uuid4().hex[:8]}"


def test_a_second_server_stops_and_removes_its_folder() -> None:
    if ensure_installed() is not None:
        pytest.skip(str(ensure_installed()))
    folder = _free_folder()
    with PostgisServer(folder) as pg:
        assert (folder / "data" / "postmaster.pid").is_file()
        port = pg.port
    assert not folder.exists()
    with pytest.raises(sqlalchemy.exc.OperationalError):
        sqlalchemy.create_engine(f"postgresql+psycopg://landplan:x@127.0.0.1:{port}/landplan").connect()


def test_shell_helper_start_url_stop() -> None:
    if ensure_installed() is not None:
        pytest.skip(str(ensure_installed()))
    script = Path(__file__).parent / "postgis_server.py"
    folder = _free_folder()
    started = subprocess.run([sys.executable, script, "start", folder], capture_output=True, text=True, check=True)
    try:
        url = subprocess.run([sys.executable, script, "url", folder], capture_output=True, text=True, check=True)
        assert url.stdout.strip() == started.stdout.strip()
        eng = sqlalchemy.create_engine(url.stdout.strip().replace("postgresql://", "postgresql+psycopg://"))
        with eng.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        eng.dispose()
    finally:
        subprocess.run([sys.executable, script, "stop", folder], check=True)
    assert not folder.exists()


# ------------------------------------------------------------------ reading


def test_table_reads_like_the_file(grid, engine, schema, postgis_url) -> None:
    put(grid.reset_index(), engine, schema, "parcels")
    got = read_layer(postgis_url, table=f"{schema}.parcels")
    assert got.crs.to_epsg() == 32648
    assert list(got.columns) == ["parcel_id", "landuse", "price", "geometry"]
    assert got["parcel_id"].tolist() == [f"P{i}" for i in range(9)]
    assert got["price"].tolist() == grid["price"].tolist()
    assert shapely.equals_exact(got.geometry.to_numpy(), grid.geometry.to_numpy(), tolerance=0).all()
    assert "***" in got.attrs["source"] and ":" + postgis_url.split(":")[2].split("@")[0] not in got.attrs["source"]


def test_sql_with_percent_and_where(grid, engine, schema, postgis_url) -> None:
    put(grid.reset_index(), engine, schema, "parcels")
    query = f"SELECT parcel_id, price, geometry AS g FROM {schema}.parcels WHERE landuse LIKE 'vac%'"
    vacant = read_layer(postgis_url, sql=query)  # P0 P1 P3 P5 P6 P7
    assert sorted(vacant["parcel_id"]) == ["P0", "P1", "P3", "P5", "P6", "P7"]
    assert vacant.geometry.name == "geometry"
    dear = read_layer(postgis_url, sql=query, where="price > 15")  # 16, 20, 22, 24
    assert sorted(dear["parcel_id"]) == ["P3", "P5", "P6", "P7"]
    only = read_layer(postgis_url, table=f"{schema}.parcels", columns=["price"])
    assert list(only.columns) == ["price", "geometry"]


def test_crs_comes_from_the_srid(grid, engine, schema, postgis_url) -> None:
    put(grid.to_crs(4326).reset_index(), engine, schema, "wgs")
    assert read_layer(postgis_url, table=f"{schema}.wgs").crs.to_epsg() == 4326
    sql(engine, f"CREATE TABLE {schema}.nosrid AS SELECT parcel_id, ST_SetSRID(geometry, 0) AS geom FROM {schema}.wgs")
    with pytest.raises(CRSError, match="no CRS"):
        read_layer(postgis_url, table=f"{schema}.nosrid")
    declared = read_layer(postgis_url, table=f"{schema}.nosrid", crs="EPSG:4326")
    assert declared.crs.to_epsg() == 4326 and len(declared) == 9
    # a CRS of the database's own (not EPSG): its WKT is used
    sql(
        engine,
        "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) SELECT 990001, 'LOCAL', "
        "990001, srtext, proj4text FROM spatial_ref_sys WHERE srid = 32648 ON CONFLICT DO NOTHING",
    )
    moved = "ST_SetSRID(ST_Transform(geometry, 32648), 990001)"
    sql(engine, f"CREATE TABLE {schema}.local AS SELECT {moved} AS geom FROM {schema}.wgs")
    local = read_layer(postgis_url, table=f"{schema}.local")
    assert local.crs.equals(gpd.GeoSeries(crs=CRS).crs)


def test_mixed_srids_are_refused(engine, schema, postgis_url) -> None:
    sql(engine, f"CREATE TABLE {schema}.mix AS SELECT 1 AS id, ST_SetSRID(ST_Point(0, 0), 4326) AS geom")
    sql(engine, f"INSERT INTO {schema}.mix SELECT 2, ST_SetSRID(ST_Point(580000, 2330000), 32648)")
    with pytest.raises(LayerReadError, match=r"different SRIDs \(4326, 32648\).*ST_Transform"):
        read_layer(postgis_url, table=f"{schema}.mix")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"table": "{schema}.nope"}, r"no table or view '\S+\.nope' in this database; tables with geometry: .*parcels"),
        ({"sql": "SELEC * FROM {schema}.parcels"}, r"the SQL query failed \(syntax error"),
        ({"table": "{schema}.parcels", "where": "bogus > 1"}, r"where='bogus > 1' failed \(column \"bogus\""),
        ({"sql": "SELECT 1 AS a"}, r"no geometry column among \['a'\]"),
        ({"sql": "SELECT geometry AS a, geometry AS b FROM {schema}.parcels"}, r"2 geometry columns \(a, b\)"),
        ({"table": "{schema}.parcels", "columns": ["nope"]}, r"no column \['nope'\]"),
    ],
)
def test_read_errors_are_one_line_without_password(grid, engine, schema, postgis_url, *, kwargs, message) -> None:
    put(grid.reset_index(), engine, schema, "parcels")
    kwargs = {k: v.format(schema=schema) if isinstance(v, str) else v for k, v in kwargs.items()}
    with pytest.raises(LayerReadError, match=message) as info:
        read_layer(postgis_url, **kwargs)
    text = str(info.value)
    assert "\n" not in text and text.startswith("postgresql://landplan:***@127.0.0.1")
    assert _password(postgis_url) not in text and _password(postgis_url) not in repr(info.value)


def test_unreachable_server_and_bad_credentials(postgis_server) -> None:
    closed = f"postgresql://landplan:s3cret-pw@127.0.0.1:{_closed_port()}/landplan"
    with pytest.raises(LayerReadError, match=r"cannot connect .*Connection refused.*PGPASSWORD") as info:
        read_layer(closed, table="parcels")
    assert "s3cret-pw" not in str(info.value) and info.value.__cause__ is None
    wrong = postgis_server.url.replace("landplan@", "landplan:s3cret-pw@")
    with pytest.raises(LayerReadError, match="password authentication failed") as info:
        read_layer(wrong, table="parcels")
    assert "s3cret-pw" not in str(info.value)


def test_credentials_from_environment_and_pgpass(grid, engine, schema, postgis_server, *, monkeypatch, tmp_path):
    put(grid.reset_index(), engine, schema, "parcels")
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(LayerReadError, match=r"no password supplied.*PGPASSWORD or ~/.pgpass"):
        read_layer(postgis_server.url, table=f"{schema}.parcels")
    monkeypatch.setenv("PGPASSWORD", postgis_server.password)
    assert len(read_layer(postgis_server.url, table=f"{schema}.parcels")) == 9
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{postgis_server.port}:landplan:landplan:{postgis_server.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    monkeypatch.setenv("PGUSER", "landplan")
    no_user = f"postgresql://127.0.0.1:{postgis_server.port}/landplan"
    assert len(read_layer(no_user, table=f"{schema}.parcels")) == 9


def test_reading_cannot_change_the_database(grid, engine, schema, postgis_url) -> None:
    put(grid.reset_index(), engine, schema, "parcels")
    sql(engine, f"CREATE SEQUENCE {schema}.counter")
    sneaky = f"SELECT *, nextval('{schema}.counter') FROM {schema}.parcels"
    with pytest.raises(LayerReadError, match=r"cannot execute nextval\(\) in a read-only transaction"):
        read_layer(postgis_url, sql=sneaky)
    assert sql(engine, f"SELECT last_value, is_called FROM {schema}.counter") == [(1, False)]


def test_table_and_sql_keys_are_checked(scenario_dir) -> None:
    base = (scenario_dir / "scenario.toml").read_text()
    cases = {
        'path = "postgresql://u@h/db"': "exactly one of `table",
        'path = "postgresql://u@h/db"\ntable = "a"\nsql = "SELECT 1"': "exactly one of `table",
        'path = "postgresql://u@h/db"\nlayer = "a"\ntable = "a"': "not `layer`",
        'path = "water.fgb"\ntable = "a"': "`table` and `sql` are for PostGIS layers",
    }
    for spec, message in cases.items():
        (scenario_dir / "s.toml").write_text(base.replace('path = "water.fgb"', spec))
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_scenario(scenario_dir / "s.toml")


# ------------------------------------------------------------------ a whole run, passwords kept out


def _password(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_scenario(scenario_dir: Path, url: str, schema: str, engine) -> Path:
    """The grid scenario with its parcels and zones read from PostGIS."""
    put(read_layer(scenario_dir / "parcels.gpkg"), engine, schema, "parcels")
    put(read_layer(scenario_dir / "zones.geojson"), engine, schema, "zones")
    text = (scenario_dir / "scenario.toml").read_text()
    text = text.replace('path = "parcels.gpkg"', f'path = "{url}"\ntable = "{schema}.parcels"')
    text = text.replace('path = "zones.geojson"', f'path = "{url}"\nsql = "SELECT * FROM {schema}.zones"')
    (scenario_dir / "pg.toml").write_text(text)
    return scenario_dir / "pg.toml"


def test_run_from_postgis_keeps_the_password_out(scenario_dir, engine, schema, postgis_url, tmp_path) -> None:
    scenario = _pg_scenario(scenario_dir, postgis_url, schema, engine)
    secret = _password(postgis_url)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["-vv", "run", str(scenario), "-o", str(out)])
    assert result.exit_code == 0, result.output
    files = run(scenario_dir / "scenario.toml", out_dir=tmp_path / "files")
    assert (out / "ranked.csv").read_bytes() == (tmp_path / "files" / "ranked.csv").read_bytes()
    manifest = (out / "manifest.json").read_text()
    assert secret not in manifest and secret not in result.output and secret not in result.stderr
    inputs = {i["layer"]: i for i in json.loads(manifest)["inputs"]}
    assert inputs["parcels"]["path"].startswith("postgresql://landplan:***@") and inputs["parcels"]["features"] == 9
    assert inputs["zones"]["sql"] == f"SELECT * FROM {schema}.zones"
    assert secret not in repr(load_scenario(scenario))
    assert files.ranked.index.tolist() == pd.read_csv(out / "ranked.csv")["parcel_id"].tolist()

    # a failing run: the error names the layer and the fix, on one line, without the password
    (scenario_dir / "bad.toml").write_text(scenario.read_text().replace(f"{schema}.parcels", f"{schema}.nope"))
    bad = CliRunner().invoke(app, ["run", str(scenario_dir / "bad.toml"), "-o", str(tmp_path / "bad")])
    assert bad.exit_code == 2
    assert "no table or view" in bad.stderr and "parcels" in bad.stderr
    assert secret not in bad.output and secret not in bad.stderr


def test_redact_hides_passwords_only() -> None:
    assert redact("postgresql://u:p@ss@h:5/db?schema=x") == "postgresql://u:***@h:5/db?schema=x"
    assert redact("postgresql://u@h/db mail a@b") == "postgresql://u@h/db mail a@b"
    assert redact("PG:host=h password='a b' dbname=d") == "PG:host=h password=*** dbname=d"
    assert redact("WFS:https://host:8080/wfs?x=1@2") == "WFS:https://host:8080/wfs?x=1@2"
    assert str(InputError("see postgresql://me:pw@h/db")) == "see postgresql://me:***@h/db"


# ------------------------------------------------------------------ writing


def test_run_into_postgis_writes_indexed_tables(alloc_scenario, engine, schema, postgis_server) -> None:
    url = f"{postgis_server.url_with_password}?schema={schema}_out"
    result = CliRunner().invoke(app, ["-vv", "run", str(alloc_scenario), "-o", url])
    assert result.exit_code == 0, result.output
    assert f"{schema}_out.ranked" in result.output
    assert postgis_server.password not in result.output + result.stderr
    out = f"{schema}_out"
    tables = {r[0] for r in sql(engine, f"SELECT tablename FROM pg_tables WHERE schemaname = '{out}'")}
    assert tables == {"ranked", "allocation_parcels", "allocation_zones", "allocation_links", "manifest"}
    keys = dict(
        sql(
            engine,
            "SELECT c.conrelid::regclass::text, string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
            f"WHERE c.contype = 'p' AND c.connamespace = '{out}'::regnamespace GROUP BY 1",
        )
    )
    assert keys == {
        f"{out}.ranked": "parcel_id",
        f"{out}.allocation_parcels": "parcel_id",
        f"{out}.allocation_zones": "zone_id",
        f"{out}.allocation_links": "parcel,zone",
        f"{out}.manifest": "item",
    }
    gist = sql(
        engine,
        f"SELECT tablename FROM pg_indexes WHERE schemaname = '{out}' AND indexdef LIKE '%%USING gist%%'",
    )
    assert sorted(r[0] for r in gist) == ["allocation_links", "allocation_parcels", "allocation_zones", "ranked"]
    assert sql(engine, f"SELECT DISTINCT ST_SRID(geometry) FROM {out}.ranked") == [(32648,)]
    assert sql(engine, f"SELECT value->>'name' FROM {out}.manifest WHERE item = 'scenario'") == [("grid test",)]
    # round trip: the ranking read back is the ranking written
    expected = run(alloc_scenario).ranked
    back = read_layer(postgis_server.url_with_password, table=f"{out}.ranked").set_index("parcel_id")
    assert back.index.tolist() == expected.index.tolist()
    assert list(back.columns) == list(expected.columns)
    for col in expected.columns.drop("geometry"):
        left, right = expected[col], back[col]
        assert ((left == right) | (left.isna() & right.isna())).all(), col
    assert shapely.equals_exact(back.geometry.to_numpy(), expected.geometry.to_numpy(), tolerance=0).all()


def test_text_survives_the_round_trip(grid, scenario_dir, engine, schema, postgis_server) -> None:
    notes = ["", None, "a\tb", "line1\nline2\r", "back\\slash", "Thăng Long", "\\N", "'; DROP TABLE x; --", "=1+1"]
    grid.assign(note=notes).reset_index().to_file(scenario_dir / "parcels.gpkg", layer="parcels", engine="pyogrio")
    run(scenario_dir / "scenario.toml", out_dir=f"{postgis_server.url_with_password}?schema={schema}")
    back = read_layer(postgis_server.url_with_password, table=f"{schema}.ranked").set_index("parcel_id")
    got = back["note"].reindex(grid.index)
    assert got.isna().tolist() == [n is None for n in notes]
    assert got.dropna().tolist() == [n for n in notes if n is not None]
    assert sql(engine, f"SELECT count(*) FROM {schema}.ranked WHERE note = ''") == [(1,)]


@settings(max_examples=15, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_characters="\x00"))),
            st.one_of(st.none(), st.floats(allow_nan=False)),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_text_and_float_round_trips(postgis_url, rows) -> None:
    """Whatever text (but NUL, which PostgreSQL text cannot hold) and floats go in come back out."""
    texts, numbers = [r[0] for r in rows], [r[1] for r in rows]
    frame = gpd.GeoDataFrame(
        {"id": range(len(rows)), "text": pd.Series(texts, dtype=object), "number": pd.Series(numbers, dtype=float)},
        geometry=[pt(10 * i, 0) for i in range(len(rows))],
        crs=CRS,
    )
    with connect(postgis_url, what="test", read_only=False) as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS public.hypothesis_rows")
        _write_table(conn, "public", "hypothesis_rows", (frame, ["id"], {}), srid=32648)
    back = read_layer(postgis_url, sql="SELECT * FROM public.hypothesis_rows ORDER BY id")
    assert [None if pd.isna(v) else v for v in back["text"]] == texts
    assert [None if pd.isna(v) else v for v in back["number"]] == numbers


def test_nul_text_is_refused_not_cut(postgis_url, engine) -> None:
    frame = gpd.GeoDataFrame({"id": [1], "text": ["a\x00b"]}, geometry=[pt(0, 0)], crs=CRS)
    with pytest.raises(InputError, match="column 'text' has text with a NUL character"):
        with connect(postgis_url, what="test", read_only=False) as conn:
            _write_table(conn, "public", "nul_rows", (frame, ["id"], {}), srid=32648)
    assert sql(engine, "SELECT to_regclass('public.nul_rows')") == [(None,)]


def test_existing_tables_need_overwrite_and_a_failure_writes_nothing(scenario_dir, engine, schema, postgis_server):
    url = f"{postgis_server.url_with_password}?schema={schema}"
    first = run(scenario_dir / "scenario.toml", out_dir=url)
    assert first.outputs == {"ranked": f"{schema}.ranked", "manifest": f"{schema}.manifest"}
    again = CliRunner().invoke(app, ["run", str(scenario_dir / "scenario.toml"), "-o", url])
    assert again.exit_code == 2
    assert f"table {schema}.ranked exists; pass --overwrite" in again.stderr
    sql(engine, f"UPDATE {schema}.ranked SET score = -1")
    replaced = CliRunner().invoke(app, ["run", str(scenario_dir / "scenario.toml"), "-o", url, "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert sql(engine, f"SELECT count(*) FROM {schema}.ranked WHERE score = -1") == [(0,)]
    # a view on the ranking blocks its replacement: the run fails and both tables stay as they were
    sql(engine, f"CREATE VIEW {schema}.best AS SELECT * FROM {schema}.ranked WHERE rank <= 3")
    sql(engine, f"UPDATE {schema}.manifest SET value = '\"kept\"' WHERE item = 'scenario'")
    with pytest.raises(InputError, match=r"refused the write \(cannot drop table .*ranked.*nothing was written"):
        run(scenario_dir / "scenario.toml", out_dir=url, overwrite=True)
    assert sql(engine, f"SELECT value FROM {schema}.manifest WHERE item = 'scenario'") == [("kept",)]
    assert sql(engine, f"SELECT count(*) FROM {schema}.best") == [(3,)]


def test_an_input_table_is_never_an_output(scenario_dir, engine, schema, postgis_url) -> None:
    scenario = _pg_scenario(scenario_dir, postgis_url, schema, engine)
    text = scenario.read_text().replace(f'table = "{schema}.parcels"', f'table = "{schema}.ranked"')
    scenario.write_text(text)
    sql(engine, f"ALTER TABLE {schema}.parcels RENAME TO ranked")
    with pytest.raises(OutputExistsError, match=rf"{schema}\.ranked is an input of this scenario"):
        run(scenario, out_dir=f"{postgis_url}?schema={schema}", overwrite=True)
    assert sql(engine, f"SELECT count(*) FROM {schema}.ranked") == [(9,)]


def test_output_checks_come_before_the_work(scenario_dir, tmp_path) -> None:
    url = f"postgresql://landplan:pw-xyz@127.0.0.1:{_closed_port()}/landplan?schema=x"
    result = CliRunner().invoke(app, ["run", str(scenario_dir / "scenario.toml"), "-o", url])
    assert result.exit_code == 2
    assert "cannot connect" in result.stderr and "pw-xyz" not in result.output + result.stderr
    custom = (
        (scenario_dir / "scenario.toml")
        .read_text()
        .replace('crs = "EPSG:32648"', 'crs = "+proj=tmerc +lon_0=105 +k=0.9999 +x_0=500000 +ellps=WGS84 +units=m"')
    )
    (scenario_dir / "custom.toml").write_text(custom)
    with pytest.raises(InputError, match="has no EPSG code"):
        run(scenario_dir / "custom.toml", out_dir=url)


# ------------------------------------------------------------------ the demo, files vs PostGIS


DEMO_LAYERS = ["parcels", "industrial_zones", "facilities", "bus_stops", "main_roads", "existing_housing", "water"]


def test_demo_from_postgis_gives_the_same_ranking_bytes(engine, schema, postgis_url, tmp_path) -> None:
    from landplan import datasets

    demo = datasets.demo_scenario()
    data = demo.parent.parent / "data" / "shapefiles"
    text = demo.read_text(encoding="utf-8")
    text = text.replace('path = "../', f'path = "{demo.parent.parent.as_posix()}/')
    assert 'formats = ["csv", "gpkg"]\nmap = true\n' in text
    text = text.replace('formats = ["csv", "gpkg"]\nmap = true\n', 'formats = ["csv"]\nmap = false\nreport = false\n')
    (tmp_path / "files.toml").write_text(text, encoding="utf-8")
    for name in DEMO_LAYERS:
        put(read_layer(data / f"{name}.shp"), engine, schema, name)
        text = text.replace(
            f'path = "{data.as_posix()}/{name}.shp"', f'path = "{postgis_url}"\ntable = "{schema}.{name}"'
        )
    assert text.count("table = ") == len(DEMO_LAYERS)
    (tmp_path / "pg.toml").write_text(text, encoding="utf-8")
    from_files = run(tmp_path / "files.toml", out_dir=tmp_path / "a")
    from_db = run(tmp_path / "pg.toml", out_dir=tmp_path / "b")
    assert (tmp_path / "a" / "ranked.csv").read_bytes() == (tmp_path / "b" / "ranked.csv").read_bytes()
    assert from_db.scores.eligible.sum() == from_files.scores.eligible.sum() > 0
    assert np.array_equal(from_db.ranked["score"].to_numpy(), from_files.ranked["score"].to_numpy())


def test_sites_and_their_member_parcels_go_to_postgis(alloc_scenario, engine, schema, postgis_server) -> None:
    """With [sites] the ranking holds sites, and ``site_members`` each parcel with its site (issue 13)."""
    from sites.test_site_pipeline import MIN_AREA, SITES, WEST, _grid

    d = alloc_scenario.parent
    _grid().to_file(d / "parcels.gpkg", layer="parcels", engine="pyogrio")
    text = alloc_scenario.read_text(encoding="utf-8")
    alloc_scenario.write_text(text.replace("\n[demand]", MIN_AREA + "\n[demand]") + SITES, encoding="utf-8")
    out = f"{schema}_sites"
    result = CliRunner().invoke(
        app, ["run", str(alloc_scenario), "-o", f"{postgis_server.url_with_password}?schema={out}"]
    )
    assert result.exit_code == 0, result.output
    tables = {r[0] for r in sql(engine, f"SELECT tablename FROM pg_tables WHERE schemaname = '{out}'")}
    assert {"ranked", "site_members", "manifest"} <= tables
    west = sql(engine, f"SELECT parcel_id FROM {out}.site_members WHERE site_id = 'S0001' ORDER BY parcel_id")
    assert [r[0] for r in west] == WEST
    assert sql(engine, f"SELECT count(*) FROM {out}.site_members") == [(16,)]
    assert sql(engine, f"SELECT DISTINCT ST_SRID(geometry) FROM {out}.site_members") == [(32648,)]
    assert {r[0] for r in sql(engine, f"SELECT site_id FROM {out}.ranked")} == {"S0001", "S0002"}
