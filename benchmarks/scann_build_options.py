"""Which of ann-benchmarks' ScaNN tree options explains its higher recall: spherical, quantize_centroids?

ann-benchmarks builds ScaNN's tree with ``spherical=True, quantize_centroids=True``; vecbench's
defaults are ScaNN's own (both False). This runs the four combinations on GloVe 6B 50-d (angular,
100,000 base, 1,000 held-out queries) with the same (leaves_to_search, reorder_k) pairs, all on one
build each (a ``query:`` list), ``--repeats`` times, and prints the median recall@10 and CPU time
per query of each combination at each pair.

    python benchmarks/scann_build_options.py [--n-base 100000] [--num-leaves 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

import vecbench

PAIRS = [(2, 35), (4, 35), (8, 35), (12, 35), (20, 50), (40, 100)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-base", type=int, default=100_000)
    parser.add_argument("--num-leaves", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = {
        "name": "scann-build-options",
        "dataset": {"name": "glove-6b-50", "n_base": args.n_base, "n_queries": 1000, "seed": 0},
        "k": 10,
        "repeats": args.repeats,
        "indexes": [
            {
                "adapter": "scann",
                "build": {"num_leaves": args.num_leaves, "spherical": [False, True], "quantize_centroids": [False, True]},
                "query": [{"leaves_to_search": leaves, "reorder_k": reorder} for leaves, reorder in PAIRS],
            }
        ],
    }
    with tempfile.TemporaryDirectory(prefix="scann-options-") as scratch:
        frame = vecbench.run(config, out=Path(scratch) / "out", report=False)
    ok = frame[frame["status"] == "ok"]
    print(f"{len(ok)} of {len(frame)} points; {ok['build_key'].nunique()} builds; repeats {args.repeats}")
    ok = ok.assign(option=[f"spherical={s} quantize_centroids={q}" for s, q in zip(ok["spherical"], ok["quantize_centroids"], strict=True)])
    for column, digits in (("recall", 4), ("cpu_ms_per_query", 4)):
        table = ok.pivot_table(index=["leaves_to_search", "reorder_k"], columns="option", values=column, aggfunc="median")
        print(f"\nmedian {column}:")
        print(table.round(digits).to_string())
    print("\nbuild_s (median):")
    print(ok.groupby("option")["build_s"].median().round(2).to_string())


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
