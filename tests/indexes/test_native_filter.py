"""The native_filter capability, honoured: declared adapters search only allowed items, others refuse."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.errors import ConfigError, UnsupportedError
from vecbench.indexes.base import IndexAdapter, Metric
from vecbench.indexes.registry import adapter_names, get_adapter_class
from vecbench.metrics.distances import pairwise_distances

N, DIM, NQ, K = 1500, 16, 20, 10


def installed() -> list[type[IndexAdapter]]:
    """The registered in-process adapters whose libraries are installed (the remote ones are
    checked against the session's real servers in test_servers.py)."""
    found = []
    for name in adapter_names():
        try:
            cls = get_adapter_class(name)
        except ConfigError:
            continue
        if not cls.capabilities.remote:
            found.append(cls)
    return found


# Adapters that declare native filtering; the padding and sharing checks below apply to them.
NATIVE = [cls.name for cls in installed() if cls.capabilities.native_filter]


def built(name: str, metric: Metric) -> tuple[IndexAdapter, np.ndarray, np.ndarray]:
    """The adapter at its conformance grid's build and thorough settings, over seeded data."""
    rng = np.random.default_rng(7)
    base = rng.standard_normal((N, DIM)).astype(np.float32)
    queries = rng.standard_normal((NQ, DIM)).astype(np.float32)
    cls = get_adapter_class(name)
    adapter = cls(metric, **cls.conformance.build)
    adapter.build(base)
    adapter.set_query_params(**cls.conformance.thorough)
    return adapter, base, queries


@pytest.mark.parametrize("name", [cls.name for cls in installed()])
def test_native_filter_is_honoured_or_refused(name: str) -> None:
    cls = get_adapter_class(name)
    metric = Metric.ANGULAR
    adapter, base, queries = built(name, metric)
    allowed = np.random.default_rng(1).random(N) < 0.2
    excluded = np.flatnonzero(allowed)[:5]
    if not cls.capabilities.native_filter:
        with pytest.raises(
            UnsupportedError, match="no native filtered search; use the post, partition or exact-subset"
        ):
            adapter.filter_handle(allowed)
        return
    handle = adapter.filter_handle(allowed, excluded)
    prepared = adapter.prepare_vectors(queries)
    batch = adapter.search_filtered(prepared, K, handle)
    ones = np.stack([adapter.search_one_filtered(q, K, handle).ids for q in prepared])
    assert batch.ids.shape == (NQ, K) and batch.ids.dtype == np.int64
    assert np.array_equal(batch.ids, ones)
    found = batch.ids[batch.ids >= 0]
    assert allowed[found].all() and not np.isin(found, excluded).any()
    # With thorough settings the filtered search finds (nearly) the exact filtered neighbours.
    d = pairwise_distances(queries, base, metric)
    d[:, ~allowed] = np.inf
    d[:, excluded] = np.inf
    truth = np.argsort(d, axis=1)[:, :K]
    recall = np.mean([len(set(a) & set(b)) / K for a, b in zip(batch.ids, truth, strict=True)])
    assert recall >= (1.0 if name == "exact" else 0.9), recall


@pytest.mark.parametrize("name", NATIVE)
def test_fewer_allowed_than_k_pads_with_minus_one(name: str) -> None:
    adapter, _, queries = built(name, Metric.EUCLIDEAN)
    allowed = np.zeros(N, dtype=bool)
    allowed[[3, 77, 500]] = True
    result = adapter.search_filtered(adapter.prepare_vectors(queries), K, adapter.filter_handle(allowed))
    assert (result.ids[:, 3:] == -1).all() and np.isin(result.ids[:, :3], [-1, 3, 77, 500]).all()
    if name != "faiss-hnsw":  # faiss's HNSW visits about ef_search nodes and may miss isolated ones
        assert (np.sort(result.ids[:, :3], axis=1) == [3, 77, 500]).all()


@pytest.mark.parametrize("name", NATIVE)
def test_per_query_handles_share_the_mask_and_keep_their_own_exclusions(name: str) -> None:
    """One handle per query (exclude what each user has seen) must not copy the n-item mask."""
    adapter, _, queries = built(name, Metric.EUCLIDEAN)
    allowed = np.ones(N, dtype=bool)
    prepared = adapter.prepare_vectors(queries[:1])
    nearest = adapter.search_filtered(prepared, K, adapter.filter_handle(allowed)).ids[0]
    first = adapter.filter_handle(allowed, nearest[:3])
    second = adapter.filter_handle(allowed, nearest[3:6])
    shared = (first.mask, second.mask) if name == "hnswlib" else (first.bitmap, second.bitmap)
    assert shared[0] is shared[1]
    got_first = adapter.search_filtered(prepared, K, first).ids[0]
    got_second = adapter.search_filtered(prepared, K, second).ids[0]
    assert not np.isin(got_first, nearest[:3]).any() and np.isin(nearest[3:6], got_first).all()
    assert not np.isin(got_second, nearest[3:6]).any() and np.isin(nearest[:3], got_second).all()
    assert first.count == second.count == N - 3
