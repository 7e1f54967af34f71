"""landplan.outputs.scorecard: score cards of ranked and excluded parcels."""

from __future__ import annotations

import pytest

from conftest import scored
from landplan.errors import InputError
from landplan.outputs.scorecard import explain


def test_score_card_of_a_ranked_and_an_excluded_parcel(scenario_dir):
    study, scores = scored(scenario_dir / "scenario.toml")
    card = explain(study, scores, "P4")
    assert card.rank == 1 and card.score == pytest.approx(0.8)
    row = card.criteria.set_index("criterion").loc["zone_distance"]
    assert row["raw"] == 150 and row["unit"] == "m" and row["value"] == pytest.approx(0.85)
    assert row["weight"] == 0.5 and row["contribution"] == pytest.approx(0.425)
    assert card.constraints["passed"].all()
    text = card.to_text()
    assert "Parcel P4: score 0.800" in text and "rank 1" in text and "[pass]" in text
    bad = explain(study, scores, "P0")
    assert bad.rank is None and not bad.eligible
    failed = bad.constraints[~bad.constraints["passed"]]
    assert failed["kind"].tolist() == ["isolation"]
    assert "[FAIL]" in bad.to_text() and "50 m away" in bad.to_text()
    with pytest.raises(InputError, match="no parcel with id 'P99'"):
        explain(study, scores, "P99")
