"""The planner's notebook runs top to bottom on the demo data (so it cannot rot)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "scoring.ipynb"


@pytest.mark.slow
def test_scoring_notebook_executes():
    nbformat = pytest.importorskip("nbformat", reason="notebook tests need the [test] extra")
    nbclient = pytest.importorskip("nbclient", reason="notebook tests need the [test] extra")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
    texts = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    assert "0 error(s)" in texts
    assert "working CRS: WGS 84 / UTM zone 48N" in texts
    assert "parcels in both rankings" in texts
    assert "CR = " in texts and "consistent" in texts  # AHP section
    assert "excluded by the flood rule:" in texts  # raster section
    assert "mean_top_k_overlap" in texts  # sensitivity section
    assert "Constraints:" in texts and "[pass]" in texts  # score card
    assert "milp (optimal" in texts and "objective: MILP" in texts  # allocation
    # the map cell renders a folium map
    html = [o for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert any("leaflet" in o["data"]["text/html"].lower() for o in html)
