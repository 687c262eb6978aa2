"""The conformance suite over every registered adapter, and each adapter's own checks.

``vecbench.testing.check_adapter`` runs the whole suite (shapes, dtypes, valid and unique ids,
nearest first, batch/single agreement, exact reference, recall never falling with effort, the
caller's arrays, -1 padding, declared capabilities, parameter hints) on one adapter class at the
settings its ``conformance`` grid declares, so a new adapter needs no line here. What follows are
checks specific to one adapter: exact agreement up to ties and each library's data checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest

from vecbench.errors import ConfigError
from vecbench.indexes.base import ConformanceGrid, IndexAdapter, Metric
from vecbench.indexes.faiss_indexes import FaissIVFPQAdapter
from vecbench.indexes.registry import adapter_names, get_adapter_class
from vecbench.metrics.distances import distances_to_ids
from vecbench.testing import check_adapter
from vecbench.testing.conformance import DIM, Data, K, N, make_data, recall


def installed_names() -> Iterator[Any]:
    """Every registered adapter; a skip for those whose library is not installed."""
    for name in adapter_names():
        try:
            cls = get_adapter_class(name)
        except ConfigError as exc:
            yield pytest.param(name, id=name, marks=pytest.mark.skip(reason=str(exc)))
            continue
        if cls.capabilities.remote:  # checked against the session's real servers in test_servers.py
            continue
        yield pytest.param(name, id=name)


NAMES = list(installed_names())


def adapter_class(name: str) -> type[IndexAdapter]:
    """The adapter class, or a skip when its library is not installed."""
    try:
        return get_adapter_class(name)
    except ConfigError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def data() -> Data:
    return make_data()


def build(name: str, metric: Metric, base: np.ndarray, **params: Any) -> IndexAdapter:
    cls = adapter_class(name)
    adapter = cls(metric, **{**cls.conformance.build, **params})
    adapter.set_num_threads(1)
    adapter.build(base)
    return adapter


@pytest.mark.parametrize("name", NAMES)
def test_registered_adapter_passes_the_conformance_suite(name: str) -> None:
    check_adapter(get_adapter_class(name))


class PlainIVFPQ(FaissIVFPQAdapter):
    """IVF-PQ without re-ranking: results ordered by compressed distances (the registered grid
    re-ranks, so this keeps the plain path under the suite too)."""

    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"nlist": 16, "m": 16, "nbits": 6},
        thorough={"nprobe": 16},
        effort=(1, 2, 4, 16),
        tiny_build={"nlist": 1, "m": 4, "nbits": 2},
    )


def test_ivfpq_without_refine_passes_the_conformance_suite() -> None:
    check_adapter(PlainIVFPQ)


@pytest.mark.parametrize("name", NAMES)
def test_registered_adapters_know_their_index_size(data: Data, name: str) -> None:
    """The suite accepts None (size unknown) from a plugin; every registered adapter knows it."""
    size = build(name, Metric.EUCLIDEAN, data.base).index_bytes()
    assert isinstance(size, int) and size > 0


@pytest.mark.parametrize("metric", list(Metric), ids=[m.value for m in Metric])
def test_exact_agrees_with_numpy_brute_force_up_to_ties(data: Data, metric: Metric) -> None:
    result = build("exact", metric, data.base).search_batch(data.queries, K)
    assert (result.ids >= 0).all()
    found = distances_to_ids(data.queries, data.base, result.ids, metric)
    best = np.sort(data.truth(metric), axis=1)[:, :K]
    # the same k distances (ids may differ only among equal distances)
    np.testing.assert_allclose(np.sort(found, axis=1), best, rtol=1e-4, atol=1e-4)


# ---- each adapter's own data checks ------------------------------------------------------------
def assert_refused(name: str, params: dict[str, Any], n: int, dim: int, *fragments: str) -> None:
    """check_data refuses before any work, in one line naming the fix."""
    adapter = adapter_class(name)(Metric.EUCLIDEAN, **params)
    with pytest.raises(ConfigError) as info:
        adapter.check_data(n, dim)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_faiss_ivf_refuses_more_lists_than_items() -> None:
    assert_refused("faiss-ivf", {}, 500, DIM, "nlist=1024", "500", "nlist <= 500")


def test_faiss_ivf_build_refuses_before_training(data: Data) -> None:
    adapter = adapter_class("faiss-ivf")(Metric.EUCLIDEAN, nlist=N + 1)
    with pytest.raises(ConfigError, match="nlist"):
        adapter.build(data.base)
    assert not adapter.is_built


def test_faiss_ivfpq_refuses_more_lists_than_items() -> None:
    assert_refused("faiss-ivfpq", {"nlist": 64, "m": 8}, 50, DIM, "nlist=64", "nlist <= 50")


def test_faiss_ivfpq_refuses_m_not_dividing_the_dimension() -> None:
    assert_refused("faiss-ivfpq", {"nlist": 16, "m": 6}, N, DIM, "m=6", "[1, 2, 4, 8, 16]")


def test_faiss_ivfpq_default_m_fits_odd_dimensions() -> None:
    adapter_class("faiss-ivfpq")(Metric.EUCLIDEAN, nlist=16).check_data(N, 25)


def test_faiss_ivfpq_refuses_more_codewords_than_items() -> None:
    assert_refused("faiss-ivfpq", {"nlist": 16, "m": 8, "nbits": 12}, N, DIM, "nbits=12", "nbits <= 10")


def test_faiss_ivfpq_refuses_k_factor_without_refine() -> None:
    adapter = adapter_class("faiss-ivfpq")(Metric.EUCLIDEAN, nlist=16, m=8)
    with pytest.raises(ConfigError, match="refine"):
        adapter.set_query_params(k_factor=4)
    adapter.set_query_params(k_factor=1)


def test_faiss_ivfpq_refine_reranks_a_larger_candidate_list(data: Data) -> None:
    adapter = build("faiss-ivfpq", Metric.EUCLIDEAN, data.base, m=2, nbits=8, refine=True)
    adapter.set_query_params(nprobe=16)
    truth = data.true_ids(Metric.EUCLIDEAN)
    coarse = recall(adapter.search_batch(data.queries, K), truth)
    adapter.set_query_params(k_factor=8)
    refined = recall(adapter.search_batch(data.queries, K), truth)
    assert refined > coarse
    assert refined >= 0.95


def test_scann_refuses_more_leaves_than_items() -> None:
    assert_refused("scann", {}, 500, DIM, "num_leaves=1000", "num_leaves <= 500")


def test_scann_refuses_too_few_items_to_train() -> None:
    assert_refused("scann", {"num_leaves": 2}, 10, DIM, "16", "10")


def test_scann_refuses_reorder_k_below_k(data: Data) -> None:
    adapter = build("scann", Metric.EUCLIDEAN, data.base)
    adapter.set_query_params(reorder_k=5)
    with pytest.raises(ConfigError, match="reorder_k"):
        adapter.search_batch(data.queries, K)
