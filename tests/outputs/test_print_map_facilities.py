"""The print map draws the reserved facility land with a legend entry per kind (issue 16)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import landplan
from allocation.test_facility_result import SPEC, _alloc, kg2_scenario  # noqa: F401 (fixture)
from landplan.allocation import allocate
from landplan.allocation.facilities import facility_plan
from landplan.outputs.print_map import print_map


def test_reserved_facility_land_is_drawn_with_its_legend_entry(kg2_scenario):  # noqa: F811 (the imported fixture)
    study = landplan.load_study(kg2_scenario)
    scores = landplan.score(study)
    alloc = replace(allocate(study, scores), parcels=_alloc(1000.0).parcels)
    plan = facility_plan(study, scores, alloc, spec=SPEC, reach_m=1000)
    alloc = replace(alloc, facilities=plan.programme, facility_land=plan.land, facility_existing=plan.existing)
    for lang, label in (("en", "Reserved facility land: kindergarten"), ("vi", "trường mầm non")):
        fig = print_map(study, scores, allocation=alloc, paper="A4", date="2026-01-01", lang=lang)
        texts = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        assert any(label in t for t in texts), texts
    # one square, at the point inside P1 that the allocation keeps (the 1,560 m² of kindergarten land)
    offsets = [c.get_offsets() for ax in fig.axes for c in ax.collections if len(c.get_offsets()) == 1]
    (point,) = plan.land.geometry
    assert any(np.allclose(o[0], [point.x, point.y]) for o in offsets)
    # without a programme: no such entry
    fig = print_map(study, scores, allocation=replace(alloc, facility_land=None), paper="A4", date="2026-01-01")
    texts = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert not any("Reserved facility land" in t for t in texts)
