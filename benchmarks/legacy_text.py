"""Decoding legacy Vietnamese text (TCVN3, VNI) and joining a table, for N features.

Usage::

    python benchmarks/legacy_text.py --sizes 10000 100000

Prints a table: decoding a text column of N cadastral names, all distinct or drawn from 500
(commune/owner names repeat), with landplan's column-wise decoding (each distinct value once;
TCVN3 by translate table, VNI by one regex) against one decode call per row; and joining an
N-row attribute table by key.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import geopandas as gpd

from landplan.io.sheets import join_table
from landplan.io.text import _decode_legacy_frame
from landplan.io.vnfonts import decode_legacy, encode_legacy

WORDS = ["Thửa", "đất", "số", "Đông", "Anh", "Sóc", "Sơn", "Mê", "Linh", "Quốc", "Oai", "Ứng", "Hòa", "Thường", "Tín"]


def names(n: int, distinct: int, encoding: str) -> list[str]:
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(WORDS), size=(distinct, 4))
    pool = [encode_legacy(" ".join(WORDS[i] for i in row) + f" {k}", encoding) for k, row in enumerate(picks)]
    return [pool[i % distinct] for i in range(n)]


def seconds(f, *args) -> float:
    t = time.perf_counter()
    f(*args)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    sizes = parser.parse_args().sizes
    print(f"{'n':>8} {'distinct':>8} {'enc':>6} {'column-wise (s)':>16} {'per-row (s)':>12}")
    for n in sizes:
        for distinct in (n, 500):
            for enc in ("tcvn3", "vni"):
                values = names(n, distinct, enc)
                gdf = gpd.GeoDataFrame({"ten": values}, geometry=gpd.points_from_xy(np.zeros(n), np.zeros(n)))
                col = seconds(_decode_legacy_frame, gdf, enc)
                row = seconds(lambda v, e=enc: [decode_legacy(x, e) for x in v], values)
                print(f"{n:>8} {distinct:>8} {enc:>6} {col:>16.3f} {row:>12.3f}")
    print(f"\n{'n':>8} {'join (s)':>9}")
    for n in sizes:
        layer = gpd.GeoDataFrame({"id": np.arange(n)}, geometry=gpd.points_from_xy(np.zeros(n), np.zeros(n)))
        table = pd.DataFrame({"id": np.arange(n)[::-1].astype(str), "workers": np.arange(n)})
        print(f"{n:>8} {seconds(lambda g=layer, t=table: join_table(g, t, on='id')):>9.3f}")


if __name__ == "__main__":
    main()
