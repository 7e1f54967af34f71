"""landplan.outputs.charts: value-function and rank-interval charts."""

from __future__ import annotations

import landplan
from landplan.config import load_scenario
from landplan.outputs.charts import plot_rank_intervals, plot_value_function
from landplan.scoring.sensitivity import monte_carlo


def test_value_function_charts_are_written(tmp_path):
    scenario = load_scenario(landplan.datasets.demo_scenario())
    for c in scenario.criteria[:3]:
        fig = plot_value_function(c.value, title=c.title, unit=c.unit_label)
        fig.savefig(tmp_path / f"{c.name}.png")
        fig.savefig(tmp_path / f"{c.name}.svg")
        assert (tmp_path / f"{c.name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in (tmp_path / f"{c.name}.svg").read_text()


def test_rank_interval_chart(random_values, tmp_path):
    r = monte_carlo(random_values, {"a": 1, "b": 1, "c": 1, "d": 1}, runs=30, top_k=10)
    fig = plot_rank_intervals(r)
    fig.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 1000
