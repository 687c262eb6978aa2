"""A small clustered dataset with generated attributes, and built adapters over it, shared by the module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vecbench.datasets import Dataset, DatasetSpec, load_dataset
from vecbench.filters.strategies.base import StrategyContext
from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.registry import get_adapter_class

N, NQ, DIM, K = 3000, 40, 16, 10

# Small builds searched thoroughly, so approximate adapters should find nearly everything.
THOROUGH: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "exact": ({}, {}),
    "faiss-hnsw": ({"M": 16, "ef_construction": 80}, {"ef_search": 256}),
    "faiss-ivf": ({"nlist": 16}, {"nprobe": 16}),
    "hnswlib": ({"M": 16, "ef_construction": 80}, {"ef": 256}),
    "annoy": ({"n_trees": 20}, {"search_k": 20_000}),
}


@pytest.fixture(scope="session")
def small() -> Dataset:
    spec = DatasetSpec(
        name="synthetic",
        n_base=N,
        n_queries=NQ,
        seed=3,
        options={"dim": DIM, "n_clusters": 30},
        attributes={"generate": {"n_clusters": 30, "n_categories": 5}},
    )
    return load_dataset(spec)


@pytest.fixture(scope="session")
def built(small: Dataset) -> Callable[[str], IndexAdapter]:
    cache: dict[str, IndexAdapter] = {}

    def get(name: str) -> IndexAdapter:
        if name not in cache:
            build, query = THOROUGH[name]
            adapter = get_adapter_class(name)(small.metric, **build)
            adapter.build(small.base)
            adapter.set_query_params(**query)
            cache[name] = adapter
        return cache[name]

    return get


def context(dataset: Dataset, adapter: IndexAdapter) -> StrategyContext:
    """A fresh strategy context over a built adapter (partition indexes are not shared between tests)."""
    return StrategyContext(
        adapter=adapter,
        adapter_class=type(adapter),
        build_params=adapter.build_params,
        base=dataset.base,
        queries=adapter.prepare_vectors(dataset.queries),
        metric=dataset.metric,
        attributes=dataset.attributes,
    )
