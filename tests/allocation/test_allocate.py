"""landplan.allocation.allocate: a scenario's allocation, determinism, infeasible settings."""

from __future__ import annotations

import pandas as pd
import pytest

import landplan
from landplan.allocation import AllocationInfeasibleError, allocate
from landplan.config import AllocationSpec


def test_scenario_allocation(alloc_scenario):
    # zone Z1 has 1,000 workers -> 1,000 units; each 1 ha parcel holds 10,000 x 0.5 x 2 / 100 = 100 units;
    # eligible parcels P1, P4, P7 -> 300 units, 700 unmet
    study = landplan.load_study(alloc_scenario)
    scores = landplan.score(study)
    a = allocate(study, scores)
    assert sorted(a.parcels.index) == ["P1", "P4", "P7"]
    assert a.parcels["units"].sum() == 300
    z = a.zones.loc["Z1"]
    assert z["units_needed"] == 1000 and z["allocated_units"] == 300 and z["unmet_units"] == 700
    assert (a.parcels["commute_m"] == 150).all()
    # the per-zone land-access indicator: eligible land within the commute limit, workers it serves
    assert z["nearest_eligible_m_reach"] == 150 and z["eligible_parcels_within_reach"] == 3
    assert z["workers_within_reach"] == 1000


def test_allocation_is_deterministic(alloc_scenario):
    study = landplan.load_study(alloc_scenario)
    scores = landplan.score(study)
    spec = AllocationSpec(max_commute_m=1000, max_sites=2)
    a1, a2 = allocate(study, scores, spec=spec), allocate(study, scores, spec=spec)
    pd.testing.assert_frame_equal(a1.parcels, a2.parcels)
    pd.testing.assert_frame_equal(a1.zones, a2.zones)
    # with two sites the best-scored parcels win (same commute): P4 (0.8) and P1 (0.77)
    assert sorted(a1.parcels.index) == ["P1", "P4"]


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"must_use": ["P0"]}, "must_use parcels \\['P0'\\] cannot hold housing"),
        ({"must_use": ["P9"]}, "unknown parcels \\['P9'\\]"),
        ({"must_use": ["P1", "P4"], "max_sites": 1}, "2 must_use parcels but max_sites = 1; raise max_sites"),
        ({"must_use": ["P1"], "land_budget_ha": 0.4}, "cover 0.5 ha, more than land_budget_ha = 0.4"),
        ({"must_use": ["P1"], "land_budget_ha": 0.5, "unit": "whole"}, "cover 1.0 ha, more than land_budget_ha = 0.5"),
        ({"max_unmet_share": 0.5}, "zone Z1 must get at least 500 units .* only 300 units .* raise max_unmet_share"),
    ],
)
def test_infeasible_settings_say_what_to_relax(alloc_scenario, update, message):
    study = landplan.load_study(alloc_scenario)
    scores = landplan.score(study)
    with pytest.raises(AllocationInfeasibleError, match=message):
        allocate(study, scores, spec=AllocationSpec(max_commute_m=1000, **update))
