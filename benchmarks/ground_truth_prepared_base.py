"""The base prepared once per search against once per query block (the waste fixed in issue 15).

    PYTHONPATH=$PWD python benchmarks/ground_truth_prepared_base.py [--n-base 200000] [--dim 64]
        [--n-queries 2000] [--repeats 3]

"before" is the loop ground truth ran until then: ``pairwise_distances(block, base)`` per block of
queries, which normalises the whole base (angular) or sums its squares (euclidean) every block;
"after" is ``PreparedBase.distances`` on a base prepared once. Both compute the float32 distance
blocks only (the candidate selection and re-rank are the same on both sides) and must give equal
matrices. Sides alternate, medians of ``--repeats`` are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.exact_backends import PreparedBase, default_block_size
from vecbench.metrics.distances import pairwise_distances


def before(queries: np.ndarray, base: np.ndarray, metric: Metric, block: int) -> float:
    start = time.perf_counter()
    for i in range(0, queries.shape[0], block):
        pairwise_distances(queries[i : i + block], base, metric)
    return time.perf_counter() - start


def after(queries: np.ndarray, base: np.ndarray, metric: Metric, block: int) -> float:
    start = time.perf_counter()
    prepared = PreparedBase(base, metric)
    for i in range(0, queries.shape[0], block):
        prepared.distances(queries[i : i + block])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-base", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--n-queries", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    base = rng.standard_normal((args.n_base, args.dim), dtype=np.float32)
    queries = rng.standard_normal((args.n_queries, args.dim), dtype=np.float32)
    block = default_block_size("numpy", args.n_base)
    print(f"{args.n_queries} queries over {args.n_base} x {args.dim}, {block} queries per block")
    for metric in (Metric.ANGULAR, Metric.EUCLIDEAN):
        sample = queries[:block]
        assert np.array_equal(
            pairwise_distances(sample, base, metric), PreparedBase(base, metric).distances(sample)
        )
        old, new = [], []
        for _ in range(args.repeats):
            old.append(before(queries, base, metric, block))
            new.append(after(queries, base, metric, block))
        o, n = statistics.median(old), statistics.median(new)
        print(f"  {metric.value:<10} before {o:7.2f} s   after {n:7.2f} s   speed-up x{o / n:.2f}")


if __name__ == "__main__":
    main()
