"""Facility catchments along the roads (by hand and against networkx) and from a population raster.

Streets every 100 m (x and y = -200 .. 500) around the 3 x 3 parcel grid of conftest, walking.
A housing site of 1,000 units on P4 (100..200 x 100..200) needs 150 kindergarten places
(3 persons per unit, 50 per 1,000); the kindergarten's radius is 300 m.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import rasterio
import shapely
from rasterio.transform import from_origin

import landplan
from conftest import CRS, X0, Y0, pt
from landplan.allocation.catchment import raster_residents, service_pairs
from landplan.allocation.facilities import plan_facilities
from landplan.config import FacilitiesSpec
from landplan.errors import InputError
from landplan.model import Allocation

STEPS = range(-200, 501, 100)


def streets() -> gpd.GeoDataFrame:
    lines = [shapely.LineString([(X0 + x, Y0 + y) for x in STEPS]) for y in STEPS]
    lines += [shapely.LineString([(X0 + x, Y0 + y) for y in STEPS]) for x in STEPS]
    return gpd.GeoDataFrame(
        {"highway": ["residential"] * len(lines), "oneway": ["no"] * len(lines)}, geometry=lines, crs=CRS
    )


def _alloc(units: float = 1000.0) -> Allocation:
    parcels = pd.DataFrame(
        {"zone": ["Z1"], "units": [units], "capacity_units": [1000.0], "area_ha": [1.0], "score": [0.8]},
        index=pd.Index(["P4"], name="parcel_id"),
    )
    zones = pd.DataFrame({"workers": [1000.0], "land_ha": [1.0]}, index=pd.Index(["Z1"], name="zone_id"))
    return Allocation(parcels, zones, method="given", status="", objective=0.0, gap=None, seconds=0.0, pairs=1)


@pytest.fixture
def kg_net(alloc_scenario):
    """Kindergarten K1 at the street crossing (400, 400): 100 places, 80 taken; roads and a walking network."""
    d = alloc_scenario.parent
    kg = gpd.GeoDataFrame(
        {"kg_id": ["K1"], "kind": ["kindergarten"], "places": [100], "taken": [80]}, geometry=[pt(400, 400)], crs=CRS
    )
    kg.to_file(d / "kg.gpkg", engine="pyogrio")
    streets().to_file(d / "roads.gpkg", engine="pyogrio")
    text = alloc_scenario.read_text().replace("persons_per_unit = 1.0", "persons_per_unit = 3.0")
    layers = (
        '[layers.kg]\npath = "kg.gpkg"\nid_field = "kg_id"\n\n'
        '[layers.roads]\npath = "roads.gpkg"\ngeometry = "line"\n\n'
        '[network]\nlayer = "roads"\nmode = "walk"\nmax_snap_m = 150\n\n[demand]'
    )
    # the scenario asks for network service areas, so loading joins the kindergartens to the roads
    facilities = '\n[allocation.facilities]\nlayer = "kg"\nservice = "network"\nkinds = ["kindergarten"]\n'
    alloc_scenario.write_text(text.replace("[demand]", layers) + facilities)
    return alloc_scenario


KG = FacilitiesSpec(layer="kg", capacity_field="places", load_field="taken", kinds=["kindergarten"], trade_union=False)


def _plan(scenario, alloc, spec):
    study = landplan.load_study(scenario)
    return plan_facilities(study, landplan.score(study), alloc, spec=spec, reach_m=1000)


def test_the_roads_are_longer_than_the_straight_line(kg_net):
    # P4's corner (200, 200) -> K1 (400, 400): 283 m straight (within 300 m), 400 m along the streets
    (straight,) = _plan(kg_net, _alloc(), KG).itertuples()
    assert (straight.needed, straight.absorbed, straight.to_build) == (150, 20, 130)
    spec = KG.model_copy(update={"service": "network"})
    (network,) = _plan(kg_net, _alloc(), spec).itertuples()
    assert (network.needed, network.absorbed, network.to_build) == (150, 0, 150)
    # 400 m of walking at 4.5 km/h is 5.33 minutes: a 6-minute catchment takes K1 in again
    (minutes,) = _plan(kg_net, _alloc(), spec.model_copy(update={"service_minutes": {"kindergarten": 6}})).itertuples()
    assert minutes.absorbed == 20


@pytest.mark.parametrize("radius_m", [100.0, 170.0, 250.0, 400.0, 650.0])
def test_network_service_pairs_equal_networkx(kg_net, radius_m):
    study = landplan.load_study(kg_net)
    spec = KG.model_copy(update={"service": "network"})
    fac = gpd.GeoSeries([pt(400, 400), pt(100, 30), pt(250, -200)], index=pd.Index(["K1", "K2", "K3"]), crs=CRS)
    # the oracle needs the three facilities joined: rebuild the network with them as the "kg" layer
    from landplan.network.study import study_network

    layers = {"parcels": study.parcels, "kg": gpd.GeoDataFrame(geometry=fac)}
    net = study_network(study.scenario.network, study.layer("roads"), layers, study.rules)
    study = type(study)(**{**study.__dict__, "network": net})
    sites = study.parcels.geometry
    si, fj = service_pairs(study, spec, sites, fac, kind="kindergarten", radius_m=radius_m)
    graph = nx.from_scipy_sparse_array(net.graph.distance_m, create_using=nx.DiGraph)
    p, f = net.graph.places["parcels"], net.graph.places["kg"]
    expected = set()
    for j, target in enumerate(f.in_node):
        reach = nx.single_source_dijkstra_path_length(graph.reverse(copy=False), int(target), cutoff=radius_m)
        expected |= {(i, j) for i, origin in enumerate(p.out_node) if int(origin) in reach}
    assert set(zip(si.tolist(), fj.tolist(), strict=True)) == expected
    assert expected  # something is within reach at every radius


def test_network_service_needs_a_network(kg_net):
    text = kg_net.read_text().replace('service = "network"\n', "")
    kg_net.write_text(text.split("[network]")[0] + "[demand]" + text.split("[demand]", 1)[1])
    with pytest.raises(InputError, match="needs a \\[network\\]"):
        _plan(kg_net, _alloc(), KG.model_copy(update={"service": "network"}))


# ------------------------------------------------------------------ population raster


@pytest.fixture
def kg_raster(alloc_scenario):
    """K1 (100 places, no load attribute) in P4 at (150, 150); 2 residents per 10 m cell around it."""
    d = alloc_scenario.parent
    kg = gpd.GeoDataFrame(
        {"kg_id": ["K1"], "kind": ["kindergarten"], "places": [100]}, geometry=[pt(150, 150)], crs=CRS
    )
    kg.to_file(d / "kg.gpkg", engine="pyogrio")
    profile = {"driver": "GTiff", "width": 100, "height": 100, "count": 1, "dtype": "float32", "crs": CRS}
    with rasterio.open(d / "pop.tif", "w", transform=from_origin(X0 - 350, Y0 + 650, 10, 10), **profile) as dst:
        dst.write(np.full((1, 100, 100), 2.0, dtype="float32"))
    text = alloc_scenario.read_text().replace("persons_per_unit = 1.0", "persons_per_unit = 3.0")
    extra = '[layers.kg]\npath = "kg.gpkg"\nid_field = "kg_id"\n\n[rasters.pop]\npath = "pop.tif"\n\n[demand]'
    alloc_scenario.write_text(text.replace("[demand]", extra))
    return alloc_scenario


RASTER = FacilitiesSpec(
    layer="kg", capacity_field="places", population_raster="pop", kinds=["kindergarten"], trade_union=False
)


def test_raster_residents_are_summed_in_the_catchment(kg_raster):
    study = landplan.load_study(kg_raster)
    fac = study.layer("kg").geometry
    got = raster_residents(study, RASTER, fac, radius_m=300.0)
    # the disc is a 64-gon (quad_segs 16): 32 x 300^2 x sin(2 pi / 64) m2 = 282,289 m2 -> 2,822.9 cells x 2
    disc = 32 * 300.0**2 * np.sin(2 * np.pi / 64)
    assert got[0] == pytest.approx(disc / 100.0 * 2.0, rel=1e-6)


def test_raster_residents_compete_for_the_free_places(kg_raster):
    # residents in K1's catchment: 5,645.8 x 50 / 1,000 -> 283 places; the site needs 150; K1's 100 free places
    # (the raster gives the load, so none is assumed taken) are shared 150 : 283 -> 34.6 -> 34 absorbed
    (row,) = _plan(kg_raster, _alloc(), RASTER).itertuples()
    assert (row.needed, row.absorbed, row.to_build) == (150, 34, 116)


def test_raster_settings_are_checked(kg_raster):
    with pytest.raises(InputError, match="not declared under \\[rasters\\]"):
        _plan(kg_raster, _alloc(), RASTER.model_copy(update={"population_raster": "people"}))
    with pytest.raises(InputError, match="counted twice"):
        _plan(kg_raster, _alloc(), RASTER.model_copy(update={"load_field": "places"}))
