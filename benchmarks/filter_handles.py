"""Memory of per-query filter handles: what "exclude what each user has seen" costs per request.

    python benchmarks/filter_handles.py [--items 200000] [--handles 2000] [--excluded 50]

For each adapter with native filtered search: build a small index over random vectors, then one
handle per query from one shared mask (half the items pass) minus that query's excluded ids, and
print the resident-memory growth. Handles share the mask's encoding, so the growth should track
the excluded ids, not handles x items.
"""

from __future__ import annotations

import argparse
import gc

import numpy as np

from vecbench.bench.worker import current_rss_bytes
from vecbench.indexes.base import Metric
from vecbench.indexes.registry import get_adapter_class

SMALL_BUILD = {
    "exact": {},
    "faiss-hnsw": {"M": 4, "ef_construction": 8},
    "faiss-ivf": {"nlist": 16},
    "hnswlib": {"M": 4, "ef_construction": 8, "build_threads": 1},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--handles", type=int, default=2000)
    parser.add_argument("--excluded", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(args.items, 4)).astype(np.float32)
    mask = rng.random(args.items) < 0.5
    naive = args.handles * args.items / 2**20
    print(f"{args.handles} handles over {args.items:,} items ({args.excluded} excluded each); "
          f"a copied byte mask per handle would be {naive:,.0f} MB")  # fmt: skip
    for name, params in SMALL_BUILD.items():
        adapter = get_adapter_class(name)(Metric.EUCLIDEAN, **params)
        adapter.build(vectors)
        gc.collect()
        before = current_rss_bytes()
        handles = [
            adapter.filter_handle(mask, rng.choice(args.items, args.excluded, replace=False))
            for _ in range(args.handles)
        ]
        grown = (current_rss_bytes() - before) / 2**20
        print(f"{name:12s} {grown:8.1f} MB for {len(handles)} handles ({grown * 2**20 / len(handles):,.0f} B each)")
        del handles, adapter


if __name__ == "__main__":
    main()
