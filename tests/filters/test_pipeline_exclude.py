"""The pipeline's exclude-seen seam with native filtered search: same answer as over-fetching for exact."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.datasets.logs.split import Ragged
from vecbench.errors import UnsupportedError
from vecbench.filters.pipeline_exclude import NativeExclude
from vecbench.indexes.annoy_index import AnnoyAdapter
from vecbench.indexes.base import Metric
from vecbench.indexes.exact import ExactAdapter
from vecbench.indexes.hnswlib_index import HnswlibAdapter
from vecbench.pipeline.retrieval import OverFetch, retrieve

RNG = np.random.default_rng(4)
ITEMS = np.arange(0, 1000, 2)
VECTORS = RNG.normal(size=(500, 16)).astype(np.float32)
USERS = RNG.normal(size=(30, 16)).astype(np.float32)
HISTORIES = Ragged.from_rows([RNG.choice(1000, size=RNG.integers(1, 120), replace=False) for _ in range(30)])


def test_native_exclusion_matches_over_fetching_on_exact_search() -> None:
    index = ExactAdapter(Metric.INNER_PRODUCT)
    index.build(VECTORS)
    native = retrieve(index, ITEMS, USERS, np.ones(30, bool), HISTORIES, 25, exclude=NativeExclude())
    fetched = retrieve(index, ITEMS, USERS, np.ones(30, bool), HISTORIES, 25, exclude=OverFetch())
    assert np.array_equal(native.items, fetched.items)


def test_native_exclusion_on_hnswlib_returns_only_unseen_items() -> None:
    index = HnswlibAdapter(Metric.INNER_PRODUCT, M=8, ef_construction=40, build_threads=1)
    index.build(VECTORS)
    index.set_query_params(ef=50)
    found = retrieve(index, ITEMS, USERS, np.ones(30, bool), HISTORIES, 20, exclude=NativeExclude())
    for r in range(30):
        assert (found.items[r] >= 0).all() and not np.isin(found.items[r], HISTORIES.row(r)).any()


def test_adapters_without_native_filtering_refuse() -> None:
    index = AnnoyAdapter(Metric.INNER_PRODUCT, n_trees=2)
    index.build(VECTORS)
    with pytest.raises(UnsupportedError, match="no native filtered search"):
        retrieve(index, ITEMS, USERS, np.ones(30, bool), HISTORIES, 5, exclude=NativeExclude())
