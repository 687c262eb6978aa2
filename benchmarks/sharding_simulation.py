"""Sharding table (issue 14): recall, fan-out tail and hot partitions by split and routing policy.

Items are MovieLens-100K's movies (SVD embedding, inner product); the query stream replays the
rating log: one query per rating event, the rating user's vector, in time order, so heavy users
ask more often. The first half of the log counts requests per item (what hot_cold's hot index
holds); the queries are a sample of the second half's events.

    python benchmarks/sharding_simulation.py [--shards 4] [--queries 2000]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd

from vecbench.capacity.sharding import ShardSetup, simulate
from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.datasets.movielens_items import read_ratings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--adapter", default="faiss-hnsw")
    args = parser.parse_args()
    folder = Path(os.environ.get("VECBENCH_SHARED_DATA", "/work/shared/data")) / "movielens-100k"
    data = load_dataset(DatasetSpec(name="movielens-100k", path=str(folder)))
    ratings = read_ratings(folder / "ml-100k" if (folder / "ml-100k").is_dir() else folder)
    order = np.argsort(ratings.timestamps, kind="stable")
    half = len(order) // 2
    history = np.bincount(ratings.items[order[:half]], minlength=data.n_base).astype(np.float64)
    rng = np.random.default_rng(0)
    events = np.sort(rng.choice(order[half:], size=min(args.queries, len(order) - half), replace=False))
    queries = data.queries[ratings.users[events]]
    build = {"M": 16, "ef_construction": 80} if args.adapter == "faiss-hnsw" else {}
    query = {"ef_search": 64} if args.adapter == "faiss-hnsw" else {}
    s = args.shards
    setups = [
        ShardSetup(1, "range", adapter=args.adapter, build=build, query=query),
        ShardSetup(s, "range", adapter=args.adapter, build=build, query=query),
        ShardSetup(s, "hash", adapter=args.adapter, build=build, query=query),
        ShardSetup(s, "cluster", adapter=args.adapter, build=build, query=query),
        ShardSetup(s, "cluster", "nearest", probe=1, adapter=args.adapter, build=build, query=query),
        ShardSetup(s, "cluster", "nearest", probe=2, adapter=args.adapter, build=build, query=query),
        ShardSetup(
            s, "hash", "hot_cold", hot_items=data.n_base // 10, adapter=args.adapter, build=build, query=query
        ),
    ]
    rows = [simulate(data.base, queries, data.metric, 10, setup, history).row() for setup in setups]
    pd.set_option("display.width", 250)
    print(f"MovieLens-100K: {data.n_base} items, {len(queries)} replayed queries, adapter {args.adapter}")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
