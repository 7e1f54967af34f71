"""How much travel along the roads changes the demo against straight lines.

Runs the demo scenario twice: as written (``[network]``: job access by motorbike travel time,
allocation commute in minutes along the roads) and as its straight-line variant (the lines
marked ``# network`` removed and the ``# straight-line:`` lines restored, as
``tests/test_behaviour_kept.py`` does), and prints how many parcels change eligibility, rank,
top-20 membership and allocation.

Usage::

    PYTHONPATH=src python scripts/compare_network.py [scenarios/hanoi_demo.toml]
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import landplan
from landplan.config import scenario_from_dict
from landplan.config.scenario import read_toml


def straight_line_text(text: str) -> str:
    """The scenario without its network lines (``# network``) and with ``# straight-line:`` lines restored."""
    out = []
    for line in text.splitlines():
        if re.search(r"#\s*network\b", line) and not line.lstrip().startswith("#"):
            continue
        out.append(re.sub(r"^(\s*)# straight-line: ", r"\1", line))
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> None:
    """Print the comparison table."""
    path = Path(argv[0] if argv else "scenarios/hanoi_demo.toml").resolve()
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "straight.toml"
        plain.write_text(straight_line_text(path.read_text(encoding="utf-8")), encoding="utf-8")
        data = read_toml(plain)
        straight = landplan.compute(scenario_from_dict(data, base_dir=path.parent, source=str(plain)), allocate=True)
    network = landplan.compute(path, allocate=True)
    a, b = straight.scores, network.scores
    changed_elig = int((a.eligible != b.eligible).sum())
    both = a.eligible & b.eligible
    ranks_a, ranks_b = a.rank[both], b.rank[both]
    moved = int((ranks_a != ranks_b).sum())
    moved10 = int(((ranks_a - ranks_b).abs() >= 10).sum())
    top_a, top_b = set(a.top(20)), set(b.top(20))
    print(f"parcels: {len(a.eligible)}; eligible straight {int(a.eligible.sum())}, network {int(b.eligible.sum())}")
    print(f"eligibility changed: {changed_elig}")
    print(f"rank changed (eligible in both): {moved} of {int(both.sum())}; by 10 places or more: {moved10}")
    print(f"top-20 parcels that differ: {len(top_b - top_a)}")
    if straight.allocation is not None and network.allocation is not None:
        pa, pb = straight.allocation.parcels, network.allocation.parcels
        same = pa.index.intersection(pb.index)
        rezoned = int((pa.loc[same, "zone"] != pb.loc[same, "zone"]).sum())
        print(
            f"allocation: {len(pa)} sites straight, {len(pb)} network; {len(pb.index.difference(pa.index))} new sites, "
            f"{rezoned} kept sites serve another zone; mean commute {pb['commute_min'].mean():.1f} min along the roads"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
