"""landplan.scoring.score on the hand-checkable grid scenario (see conftest for the layout).

Expected values, by hand:
- zone (x -150..-50) is 50 m from column x=0..100 -> P0, P3, P6 inside the 100 m
  isolation distance of class IV; the other columns are 150 m and 250 m away.
- schools at (50, 50) and (250, 250), radius 100 m: P1 1, P4 2, P7 1 school.
- P2 is rice_protected, P8 public, P5 half covered by the lake -> excluded.
- eligible P1, P4, P7; weights 2:1:1 ->
  P1 = .5*.85 + .25*.5 + .25*.875 = 0.76875
  P4 = .5*.85 + .25*1  + .25*.5   = 0.8
  P7 = .5*.85 + .25*.5 + .25*.125 = 0.58125
"""

from __future__ import annotations

import numpy as np
import pytest

import landplan
from conftest import rank, scored
from landplan.errors import InputError
from landplan.outputs.tables import ranked_table


def test_scenario_aggregation_methods_rank_only_eligible(scenario_factory):
    results = {}
    for method in ("weighted_product", "topsis"):
        study, scores = scored(scenario_factory(aggregation={"method": method}))
        ranked = ranked_table(study, scores)
        assert set(ranked["rank"].dropna().index) == {"P1", "P4", "P7"}
        assert scores.aggregation == method
        results[method] = ranked
    product = results["weighted_product"]["score"]
    # values (zone, schools, price) with weights .5/.25/.25: P4 (.85, 1, .5), P1 (.85, .5, .875), P7 (.85, .5, .125)
    assert product["P4"] == pytest.approx(0.85**0.5 * 0.5**0.25)
    assert product["P1"] == pytest.approx(0.85**0.5 * 0.5**0.25 * 0.875**0.25)
    assert product["P7"] == pytest.approx(0.85**0.5 * 0.5**0.25 * 0.125**0.25)
    # TOPSIS by hand: column norms (1.4722, 1.2247, 1.0155); weighted schools/price
    # P1 (.1021, .2154), P4 (.2041, .1231), P7 (.1021, .0308); zone is equal for all.
    # P1: d+ .1021, d- .1846 -> .644; P4: d+ .0923, d- .1376 -> .599; P7: d- 0 -> 0
    closeness = results["topsis"]["score"]
    assert closeness["P1"] == pytest.approx(0.1846 / (0.1021 + 0.1846), abs=2e-3)
    assert closeness["P4"] == pytest.approx(0.1376 / (0.0923 + 0.1376), abs=2e-3)
    assert closeness["P7"] == pytest.approx(0.0, abs=1e-12)
    assert results["topsis"]["rank"].dropna().to_dict() == {"P1": 1, "P4": 2, "P7": 3}


def test_categorical_land_use_criterion_in_a_scenario(scenario_dir):
    text = (scenario_dir / "scenario.toml").read_text()
    text += (
        '\n[[criteria]]\nname = "use"\nkind = "attribute"\nfield = "landuse"\nweight = 1\n'
        'value = { function = "categorical", values = { vacant = 1.0, residential = 0.4 }, default = 0.0 }\n'
    )
    (scenario_dir / "scenario.toml").write_text(text)
    ranked = rank(scenario_dir / "scenario.toml")
    assert ranked.loc["P4", "use_raw"] == "residential" and ranked.loc["P4", "use_value"] == 0.4
    assert ranked.loc["P1", "use_value"] == 1.0
    # weights 2:1:1:1 -> P4 = (2*.85 + 1 + .5 + .4) / 5
    assert ranked.loc["P4", "score"] == pytest.approx((2 * 0.85 + 1 + 0.5 + 0.4) / 5)


def test_scenario_contributions_follow_the_aggregation(scenario_factory):
    for method in ("weighted_sum", "weighted_product", "topsis"):
        ranked = rank(scenario_factory(aggregation={"method": method}))
        ok = ranked[ranked["eligible"]]
        contrib = ok[["zone_distance_contrib", "schools_contrib", "price_contrib"]].sum(axis=1)
        if method == "weighted_product":
            np.testing.assert_allclose(np.exp(contrib), ok["score"], rtol=1e-12)
            # P7: price value .125 ** .25 = x0.59 lowers it most, then schools .5 ** .25 = x0.84
            assert ok.loc["P7", "top_drivers"] == "lowered by price x0.59, schools x0.84"
        else:
            np.testing.assert_allclose(contrib, ok["score"], rtol=1e-12)
    # TOPSIS, P7 sits on the anti-ideal (d- = 0): score 0, nothing drives it
    assert ranked.loc["P7", "score"] == 0 and ranked.loc["P7", "top_drivers"] == "none"


@pytest.fixture
def ranked(scenario_dir):
    return rank(scenario_dir / "scenario.toml")


def test_scores_and_ranks_match_hand_computation(ranked):
    assert ranked.loc["P4", "score"] == pytest.approx(0.8)
    assert ranked.loc["P1", "score"] == pytest.approx(0.76875)
    assert ranked.loc["P7", "score"] == pytest.approx(0.58125)
    assert ranked["rank"].dropna().to_dict() == {"P4": 1, "P1": 2, "P7": 3}
    assert list(ranked.index[:3]) == ["P4", "P1", "P7"]
    # excluded parcels follow, sorted by id
    assert list(ranked.index[3:]) == ["P0", "P2", "P3", "P5", "P6", "P8"]


def test_breakdown_columns_sum_to_score(ranked):
    contrib = ranked[[c for c in ranked.columns if c.endswith("_contrib")]].sum(axis=1)
    np.testing.assert_allclose(contrib.to_numpy(), ranked["score"].to_numpy())
    assert ranked.loc["P4", "zone_distance_raw"] == pytest.approx(150.0)
    assert ranked.loc["P4", "schools_raw"] == 2
    assert ranked.loc["P4", "schools_value"] == 1.0
    assert ranked.loc["P4", "top_drivers"].startswith("zone distance 0.42")


def test_exclusion_reasons_are_recorded(ranked):
    reasons = ranked["excluded_by"]
    assert "within 100 m isolation distance of KCN Thăng Long (class IV) (50 m away)" == reasons["P0"]
    assert reasons["P2"] == "landuse = rice_protected not allowed"
    assert reasons["P8"] == "landuse = public not allowed"
    assert reasons["P5"].startswith("overlaps lake: 50.0 %")
    assert (reasons[["P1", "P4", "P7"]] == "").all()
    assert ranked.loc[["P0", "P2", "P3", "P5", "P6", "P8"], "rank"].isna().all()
    assert ranked["eligible"].sum() == 3


def test_changing_weights_changes_ranking(scenario_dir):
    study = landplan.load_study(scenario_dir / "scenario.toml")
    price_heavy = landplan.score(study, weights={"zone_distance": 1, "schools": 1, "price": 10})
    assert price_heavy.rank.dropna().to_dict() == {"P1": 1, "P4": 2, "P7": 3}
    with pytest.raises(InputError, match="positive"):
        landplan.score(study, weights={"zone_distance": 1, "schools": 0, "price": 1})
    with pytest.raises(InputError, match="unknown criteria"):
        landplan.score(study, weights={"zone_distance": 1, "schools": 1, "price": 1, "nope": 1})
