"""pytest-benchmark suite: each adapter's batch search at fixed parameters on real data.

GloVe 6B 50-d (20,000 base vectors, 200 held-out queries, angular, k=10), one search thread. Each
index is built once per session; the timed call is exactly what the runner times
(``search_prepared`` on queries prepared outside the timer). Every benchmark also checks recall
against exact ground truth, so a "speed-up" from a broken search cannot pass. Not part of the
default test run (``testpaths = tests``); run and compare as in the README:

    python -m pytest benchmarks --benchmark-autosave
    python -m pytest benchmarks --benchmark-compare --benchmark-compare-fail=min:25%
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from vecbench.datasets import Dataset, DatasetSpec, exact_ground_truth, load_dataset
from vecbench.errors import VecbenchError
from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.registry import get_adapter_class
from vecbench.metrics.recall import id_recall

K = 10
# adapter -> (build parameters, query parameters, recall@10 floor at those parameters)
POINTS: dict[str, tuple[dict[str, Any], dict[str, Any], float]] = {
    "exact": ({}, {}, 0.999),
    "faiss-hnsw": ({"M": 16, "ef_construction": 100}, {"ef_search": 32}, 0.9),
    "faiss-ivf": ({"nlist": 256}, {"nprobe": 8}, 0.8),
    "faiss-ivfpq": ({"nlist": 256, "m": 25, "nbits": 8, "refine": True}, {"nprobe": 16, "k_factor": 4}, 0.8),
    "hnswlib": ({"M": 16, "ef_construction": 100}, {"ef": 32}, 0.9),
    "annoy": ({"n_trees": 20}, {"search_k": 2000}, 0.6),
    "scann": ({"num_leaves": 200, "reorder": True}, {"leaves_to_search": 20, "reorder_k": 100}, 0.8),
}


@pytest.fixture(scope="session")
def glove() -> Dataset:
    try:
        return load_dataset(DatasetSpec(name="glove-6b-50", n_base=20000, n_queries=200, seed=0))
    except VecbenchError as exc:
        pytest.skip(f"GloVe unavailable: {exc}")


@pytest.fixture(scope="session")
def truth(glove: Dataset) -> np.ndarray:
    return exact_ground_truth(glove, K, None).ids


@pytest.fixture(scope="session")
def built() -> dict[str, IndexAdapter]:
    """Indexes built so far, kept for the session (each adapter is built once)."""
    return {}


@pytest.mark.parametrize("name", list(POINTS))
def test_search(
    benchmark: Any, name: str, glove: Dataset, truth: np.ndarray, built: dict[str, IndexAdapter]
) -> None:
    build, query, floor = POINTS[name]
    try:
        cls = get_adapter_class(name)
    except VecbenchError as exc:
        pytest.skip(str(exc))
    if name not in built:
        adapter = cls(glove.metric, **build)
        adapter.build(glove.base)
        built[name] = adapter
    adapter = built[name]
    adapter.set_query_params(**query)
    adapter.set_num_threads(1)
    queries = adapter.prepare_vectors(glove.queries)
    benchmark.extra_info.update(adapter=name, build=build, query=query, n_queries=len(queries))
    result = benchmark.pedantic(adapter.search_prepared, args=(queries, K), rounds=15, warmup_rounds=2)
    recall = float(id_recall(result.ids, truth, K).mean())
    benchmark.extra_info["recall"] = recall
    assert recall >= floor, f"{name}: recall@{K} {recall:.3f} below {floor} at {query}"
