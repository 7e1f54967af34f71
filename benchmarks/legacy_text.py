"""Decoding legacy Vietnamese text (TCVN3, VNI) and joining a table, for N features.

Usage::

    python benchmarks/legacy_text.py --sizes 10000 100000

Prints a table: decoding a text column of N distinct cadastral names with landplan's
column-wise decoding (each distinct value once; TCVN3 by translate table, VNI by one regex)
against one decode call per row, and joining an N-row attribute table by key.
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


def names(n: int, encoding: str) -> list[str]:
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(WORDS), size=(n, 4))
    return [encode_legacy(" ".join(WORDS[i] for i in row) + f" {k}", encoding) for k, row in enumerate(picks)]


def per_row(values: list[str]) -> list[str]:
    """The obvious loop: one decode_legacy call (translate + NFC) per feature."""
    return [decode_legacy(v, "tcvn3") for v in values]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    sizes = parser.parse_args().sizes
    print(f"{'n':>8} {'tcvn3 (s)':>10} {'per-row tcvn3 (s)':>17} {'vni (s)':>9} {'join (s)':>9}")
    for n in sizes:
        row = [f"{n:>8}"]
        for enc in ("tcvn3", "vni"):
            gdf = gpd.GeoDataFrame({"ten": names(n, enc)}, geometry=gpd.points_from_xy(np.zeros(n), np.zeros(n)))
            t = time.perf_counter()
            _decode_legacy_frame(gdf, enc)
            row.append(f"{time.perf_counter() - t:>10.3f}" if enc == "tcvn3" else f"{time.perf_counter() - t:>9.3f}")
            if enc == "tcvn3":
                t = time.perf_counter()
                per_row(gdf["ten"].tolist())
                row.append(f"{time.perf_counter() - t:>17.3f}")
        layer = gpd.GeoDataFrame({"id": np.arange(n)}, geometry=gpd.points_from_xy(np.zeros(n), np.zeros(n)))
        table = pd.DataFrame({"id": np.arange(n)[::-1].astype(str), "workers": np.arange(n)})
        t = time.perf_counter()
        join_table(layer, table, on="id")
        row.append(f"{time.perf_counter() - t:>9.3f}")
        print(" ".join(row))


if __name__ == "__main__":
    main()
