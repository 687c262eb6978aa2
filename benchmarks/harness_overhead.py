"""Harness overhead: vecbench's timed search path against a bare library loop, same process, same run.

For hnswlib and faiss-hnsw on GloVe (angular, held-out queries), it times
  bare:     the library's own batch search on pre-normalised float32 queries, single-threaded
  vecbench: ``time_batches(adapter.search_prepared, ...)``, exactly what the runner times
alternating the two ``--repeats`` times, and prints the median QPS of each and their ratio.
Target: vecbench QPS >= 0.95 x bare. Also prints the same for single-query latency loops.

    python benchmarks/harness_overhead.py [--n-base 100000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import faiss
import hnswlib
import numpy as np

from vecbench.bench.timing import time_batches, time_single_queries
from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.indexes.registry import get_adapter_class

K = 10


def bare_batch_qps(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> float:
    start = time.perf_counter_ns()
    search(queries)
    return len(queries) / ((time.perf_counter_ns() - start) / 1e9)


def bare_single_mean_us(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> float:
    rows = list(queries)
    start = time.perf_counter_ns()
    for row in rows:
        search(row.reshape(1, -1))
    return (time.perf_counter_ns() - start) / 1e3 / len(rows)


def compare(
    name: str, adapter: Any, bare_batch: Callable[[np.ndarray], Any], queries: np.ndarray, repeats: int
) -> None:
    bare_qps, vec_qps, bare_us, vec_us = [], [], [], []
    for _ in range(repeats):
        bare_qps.append(bare_batch_qps(bare_batch, queries))
        _, durations = time_batches(adapter.search_prepared, queries, K, 1)
        vec_qps.append(len(queries) / (durations[0] / 1e9))
        bare_us.append(bare_single_mean_us(bare_batch, queries))
        vec_us.append(float(time_single_queries(adapter.search_one_prepared, queries, K).mean()) / 1e3)
    ratios = [v / b for v, b in zip(vec_qps, bare_qps, strict=True)]
    lat_ratios = [v / b for v, b in zip(vec_us, bare_us, strict=True)]
    print(
        f"{name:11s} batch QPS bare {statistics.median(bare_qps):9.0f}  vecbench {statistics.median(vec_qps):9.0f}  "
        f"ratio median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})"
    )
    print(
        f"{'':11s} single-query mean us bare {statistics.median(bare_us):7.1f}  vecbench {statistics.median(vec_us):7.1f}  "
        f"latency ratio median {statistics.median(lat_ratios):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-base", type=int, default=100_000)
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    dataset = load_dataset(DatasetSpec(name="glove-6b-50", n_base=args.n_base, n_queries=args.n_queries))
    print(
        f"dataset {dataset.name}: {dataset.n_base} x {dataset.dim}, {dataset.n_queries} queries, k={K}, 1 search thread"
    )

    hnsw = get_adapter_class("hnswlib")(dataset.metric, M=16, ef_construction=200)
    hnsw.build(dataset.base)
    hnsw.set_query_params(ef=80)
    hnsw.set_num_threads(1)
    queries = hnsw.prepare_vectors(dataset.queries)
    bare_hnsw = hnswlib.Index(space="ip", dim=dataset.dim)
    bare_hnsw.init_index(max_elements=dataset.n_base, M=16, ef_construction=200, random_seed=100)
    bare_hnsw.add_items(hnsw.prepare_vectors(dataset.base))
    bare_hnsw.set_ef(80)
    bare_hnsw.set_num_threads(1)
    compare("hnswlib", hnsw, lambda q: bare_hnsw.knn_query(q, k=K, num_threads=1), queries, args.repeats)

    fhnsw = get_adapter_class("faiss-hnsw")(dataset.metric, M=16, ef_construction=100)
    fhnsw.build(dataset.base)
    fhnsw.set_query_params(ef_search=64)
    fhnsw.set_num_threads(1)
    bare_faiss = faiss.IndexHNSWFlat(dataset.dim, 16, faiss.METRIC_INNER_PRODUCT)
    bare_faiss.hnsw.efConstruction = 100
    bare_faiss.add(fhnsw.prepare_vectors(dataset.base))
    bare_faiss.hnsw.efSearch = 64
    faiss.omp_set_num_threads(1)
    compare("faiss-hnsw", fhnsw, lambda q: bare_faiss.search(q, K), queries, args.repeats)


if __name__ == "__main__":
    main()
