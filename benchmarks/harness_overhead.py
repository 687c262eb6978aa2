"""Harness overhead: vecbench's timed search paths against bare library loops, for every adapter.

Each adapter is built once on GloVe (angular, held-out queries, 1 search thread); the "bare" side
calls the same library object the adapter built (so both search one index), as a bare script or
ann-benchmarks' wrapper would. Every figure is process CPU time, so the ratios hold on a loaded
machine (wall time there measures the neighbours). Alternating the two ``--repeats`` times, it
prints medians of
  batch:         bare library batch call  vs  ``time_batches(adapter.search_prepared, ...)``
  single query:  bare one-row call        vs  ``time_single_queries(adapter.search_one_raw, ...)``
                 (what the runner times) and ``adapter.search_one_prepared`` (converted to a
                 SearchResult, what the runner timed before issue 17)
Target: vecbench >= 0.95 x bare on batch throughput; single-query ratios (bare / vecbench) near 1.

    python benchmarks/harness_overhead.py [--n-base 100000] [--repeats 7] [--adapters scann,hnswlib]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from vecbench.bench.timing import time_batches_with_cpu, time_single_queries_with_cpu
from vecbench.core.timing import gc_paused
from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.indexes.registry import get_adapter_class

K = 10
Bare = Callable[[Any], tuple[Callable[[np.ndarray], Any], Callable[[np.ndarray], Any]]]


@dataclass(frozen=True)
class Case:
    build: dict[str, Any]
    query: dict[str, Any]
    bare: Bare  # adapter -> (batch search of a 2-d array, single search of a 1-d row)


def _faiss(adapter: Any) -> tuple[Callable[[np.ndarray], Any], Callable[[np.ndarray], Any]]:
    index = adapter.index
    return (lambda q: index.search(q, K)), (lambda row: index.search(row.reshape(1, -1), K))


def _hnswlib(adapter: Any) -> tuple[Callable[[np.ndarray], Any], Callable[[np.ndarray], Any]]:
    index = adapter.index
    return (lambda q: index.knn_query(q, k=K, num_threads=1)), (lambda row: index.knn_query(row, k=K, num_threads=1))


def _annoy(adapter: Any) -> tuple[Callable[[np.ndarray], Any], Callable[[np.ndarray], Any]]:
    index, search_k = adapter.index, adapter.search_k
    one = lambda row: index.get_nns_by_vector(row, K, search_k, True)  # noqa: E731
    return (lambda q: [one(row) for row in q]), one


def _scann(adapter: Any) -> tuple[Callable[[np.ndarray], Any], Callable[[np.ndarray], Any]]:
    searcher, leaves, reorder = adapter.searcher, adapter.leaves, adapter.reorder_k
    return (
        lambda q: searcher.search_batched(q, K, reorder, leaves),
        lambda row: searcher.search(row, final_num_neighbors=K, pre_reorder_num_neighbors=reorder, leaves_to_search=leaves),
    )


CASES: dict[str, Case] = {
    "exact": Case({}, {}, _faiss),
    "faiss-hnsw": Case({"M": 16, "ef_construction": 100}, {"ef_search": 64}, _faiss),
    "faiss-ivf": Case({"nlist": 1024}, {"nprobe": 16}, _faiss),
    "faiss-ivfpq": Case({"nlist": 1024, "m": 25, "nbits": 8, "refine": True}, {"nprobe": 16, "k_factor": 10}, _faiss),
    "hnswlib": Case({"M": 16, "ef_construction": 200}, {"ef": 80}, _hnswlib),
    "annoy": Case({"n_trees": 50}, {"search_k": 2000}, _annoy),
    "scann": Case({"num_leaves": 1000, "reorder": True}, {"leaves_to_search": 20, "reorder_k": 100}, _scann),
}


def batch_qps(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> float:
    """Queries per CPU-second of one bare batch call."""
    start = time.process_time_ns()
    search(queries)
    return len(queries) / ((time.process_time_ns() - start) / 1e9)


def single_mean_us(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> float:
    """Mean CPU microseconds of one bare one-row call (gc paused, as the harness does)."""
    rows = list(queries)
    with gc_paused():
        start = time.process_time_ns()
        for row in rows:
            search(row)
        spent = time.process_time_ns() - start
    return spent / 1e3 / len(rows)


def timed_us(search: Callable[[np.ndarray, int], Any], queries: np.ndarray) -> float:
    """Mean CPU microseconds per call of vecbench's single-query loop (what the runner records)."""
    return float(time_single_queries_with_cpu(search, queries, K)[1].mean()) / 1e3


def measure(name: str, adapter: Any, case: Case, queries: np.ndarray, repeats: int) -> None:
    bare_batch, bare_one = case.bare(adapter)
    rows: dict[str, list[float]] = {"bare_qps": [], "qps": [], "bare_us": [], "raw_us": [], "converted_us": []}
    for _ in range(repeats):
        rows["bare_qps"].append(batch_qps(bare_batch, queries))
        _, _, cpu = time_batches_with_cpu(adapter.search_prepared, queries, K, 1)
        rows["qps"].append(len(queries) / (cpu[0] / 1e9))
        rows["bare_us"].append(single_mean_us(bare_one, queries))
        rows["raw_us"].append(timed_us(adapter.search_one_raw, queries))
        rows["converted_us"].append(timed_us(adapter.search_one_prepared, queries))
    med = {key: statistics.median(values) for key, values in rows.items()}
    ratio = statistics.median(v / b for v, b in zip(rows["qps"], rows["bare_qps"], strict=True))
    raw = statistics.median(b / v for v, b in zip(rows["raw_us"], rows["bare_us"], strict=True))
    converted = statistics.median(b / v for v, b in zip(rows["converted_us"], rows["bare_us"], strict=True))
    print(
        f"{name:12s} batch q/CPU-s bare {med['bare_qps']:9.0f} vecbench {med['qps']:9.0f} ratio {ratio:.3f} | "
        f"single CPU us bare {med['bare_us']:6.1f} timed {med['raw_us']:6.1f} (ratio {raw:.3f}) "
        f"converted {med['converted_us']:6.1f} (ratio {converted:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-base", type=int, default=100_000)
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--adapters", default=",".join(CASES), help="comma-separated (default: all)")
    args = parser.parse_args()

    dataset = load_dataset(DatasetSpec(name="glove-6b-50", n_base=args.n_base, n_queries=args.n_queries))
    print(f"dataset {dataset.name}: {dataset.n_base} x {dataset.dim}, {dataset.n_queries} queries, k={K}, 1 search thread")
    print("ratios: bare cost / vecbench cost (1.000 = no overhead); medians of", args.repeats, "alternating repeats")
    faiss.omp_set_num_threads(1)
    for name in args.adapters.split(","):
        case = CASES[name]
        adapter = get_adapter_class(name)(dataset.metric, **case.build)
        adapter.build(dataset.base)
        adapter.set_query_params(**case.query)
        adapter.set_num_threads(1)
        measure(name, adapter, case, adapter.prepare_vectors(dataset.queries), args.repeats)


if __name__ == "__main__":
    main()
