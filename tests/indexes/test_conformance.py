"""One conformance suite over every registered adapter, on small seeded synthetic data.

Every adapter must return (nq, k) int64 ids that are valid, unique per row and padded with -1 only
where fewer than k items exist; agree with itself between batch and single search; never lose
recall as its declared effort parameter rises; honour its declared capabilities; and reject bad
parameters with one-line ConfigErrors. Adapters are built once per (name, metric) per module.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from vecbench.errors import ConfigError, UnsupportedError
from vecbench.indexes.base import IndexAdapter, Metric, SearchResult
from vecbench.indexes.registry import adapter_names, get_adapter_class
from vecbench.metrics.distances import distances_to_ids, pairwise_distances

N, DIM, NQ, K = 2000, 16, 50, 10

# Small build parameters so the whole suite runs in seconds; a new adapter adds one line to each table.
SMALL_BUILD: dict[str, dict[str, Any]] = {
    "exact": {},
    "faiss-hnsw": {"M": 16, "ef_construction": 40},
    "faiss-ivf": {"nlist": 16},
    "faiss-ivfpq": {"nlist": 16, "m": 16},
    "hnswlib": {"M": 8, "ef_construction": 50},
    "annoy": {"n_trees": 10},
    "scann": {"num_leaves": 20},
}
# Query parameters at which each adapter searches (nearly) everything it indexed.
THOROUGH: dict[str, dict[str, Any]] = {
    "exact": {},
    "faiss-hnsw": {"ef_search": 400},
    "faiss-ivf": {"nprobe": 16},
    "faiss-ivfpq": {"nprobe": 16},
    "hnswlib": {"ef": 400},
    "annoy": {"search_k": 100_000},
    "scann": {"leaves_to_search": 20},
}
# A generous grid for the declared effort parameter: big steps, so noise cannot hide a real drop.
EFFORT_GRID: dict[str, list[int]] = {
    "faiss-hnsw": [10, 40, 160, 640],
    "faiss-ivf": [1, 2, 4, 16],
    "faiss-ivfpq": [1, 2, 4, 16],
    "hnswlib": [10, 40, 160, 640],
    "annoy": [10, 100, 1000, 10_000],
    "scann": [1, 2, 5, 20],
}
# Build parameters that fit a 5-item index, for k > n.
TINY_BUILD: dict[str, dict[str, Any]] = {
    "exact": {},
    "faiss-hnsw": {"M": 4},
    "faiss-ivf": {"nlist": 2},
    "faiss-ivfpq": {"nlist": 1, "m": 4, "nbits": 2},
    "hnswlib": {"M": 4},
    "annoy": {"n_trees": 2},
    "scann": {"num_leaves": 2},
}
# Lowest recall@10 at THOROUGH settings: catches a wrong metric mapping (which scores near 0).
MIN_THOROUGH_RECALL = 0.6


def adapter_cases() -> Iterator[Any]:
    """(name, metric) for every registered adapter and each metric it declares."""
    for name in adapter_names():
        try:
            cls = get_adapter_class(name)
        except ConfigError as exc:  # its library is not installed
            yield pytest.param(name, None, id=name, marks=pytest.mark.skip(reason=str(exc)))
            continue
        for metric in sorted(cls.capabilities.metrics, key=lambda m: m.value):
            yield pytest.param(name, metric, id=f"{name}-{metric.value}")


def adapter_names_installed() -> Iterator[Any]:
    for name in adapter_names():
        try:
            get_adapter_class(name)
        except ConfigError as exc:
            yield pytest.param(name, id=name, marks=pytest.mark.skip(reason=str(exc)))
            continue
        yield pytest.param(name, id=name)


CASES = list(adapter_cases())
NAMES = list(adapter_names_installed())


def adapter_class(name: str) -> type[IndexAdapter]:
    """The adapter class, or a skip when its library is not installed."""
    try:
        return get_adapter_class(name)
    except ConfigError as exc:
        pytest.skip(str(exc))


def clustered(rng: np.random.Generator, centers: np.ndarray, n: int) -> np.ndarray:
    """Gaussian blobs around the centers, rows scaled so inner product differs from angular."""
    labels = rng.integers(len(centers), size=n)
    points = centers[labels] + 0.35 * rng.standard_normal((n, centers.shape[1]))
    return (points * rng.uniform(0.5, 1.5, size=(n, 1))).astype(np.float32)


@dataclass
class Data:
    base: np.ndarray
    queries: np.ndarray
    _truth: dict[Metric, np.ndarray] = field(default_factory=dict)

    def truth(self, metric: Metric) -> np.ndarray:
        """True distances (nq, n) by numpy brute force."""
        if metric not in self._truth:
            self._truth[metric] = pairwise_distances(self.queries, self.base, metric)
        return self._truth[metric]

    def true_ids(self, metric: Metric, k: int = K) -> np.ndarray:
        return np.argsort(self.truth(metric), axis=1, kind="stable")[:, :k]


def make_data(seed: int = 7, n: int = N, nq: int = NQ) -> Data:
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((20, DIM))
    return Data(clustered(rng, centers, n), clustered(rng, centers, nq))


@pytest.fixture(scope="module")
def data() -> Data:
    return make_data()


class Built:
    """Adapters built once per (name, metric); each ``get`` resets query params and threads."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.cache: dict[tuple[str, Metric], IndexAdapter] = {}

    def get(self, name: str, metric: Metric) -> IndexAdapter:
        key = (name, metric)
        if key not in self.cache:
            self.cache[key] = build(name, metric, self.data.base)
        adapter = self.cache[key]
        adapter.set_num_threads(1)
        adapter.set_query_params(**defaults(adapter))
        return adapter


@pytest.fixture(scope="module")
def built(data: Data) -> Built:
    return Built(data)


def build(name: str, metric: Metric, base: np.ndarray, **params: Any) -> IndexAdapter:
    adapter = adapter_class(name)(metric, **{**SMALL_BUILD[name], **params})
    adapter.build(base)
    return adapter


def defaults(adapter: IndexAdapter) -> dict[str, Any]:
    return {name: spec.default for name, spec in adapter.query_param_specs.items()}


def recall(result: SearchResult, true_ids: np.ndarray) -> float:
    hits = [
        len(set(row[row >= 0].tolist()) & set(truth.tolist()))
        for row, truth in zip(result.ids, true_ids, strict=True)
    ]
    return float(np.mean(hits)) / true_ids.shape[1]


def assert_well_formed(result: SearchResult, n_items: int, nq: int, k: int) -> None:
    assert result.ids.dtype == np.int64
    assert result.ids.shape == (nq, k)
    assert result.distances.shape == (nq, k)
    assert ((result.ids >= -1) & (result.ids < n_items)).all()
    for row in result.ids:
        found = row[row >= 0]
        assert len(set(found.tolist())) == len(found), f"duplicate ids in {row}"
        # -1 pads only trail the real results
        assert (row[: len(found)] >= 0).all(), f"-1 before a real id in {row}"


# ---- results: shapes, validity, agreement ------------------------------------------------------
@pytest.mark.parametrize(("name", "metric"), CASES)
def test_search_returns_valid_ids_of_the_right_shape(
    built: Built, data: Data, name: str, metric: Metric
) -> None:
    adapter = built.get(name, metric)
    assert_well_formed(adapter.search_batch(data.queries, K), N, NQ, K)
    one = adapter.search_one(data.queries[0], K)
    assert one.ids.dtype == np.int64
    assert one.ids.shape == (K,)
    assert one.distances.shape == (K,)


@pytest.mark.parametrize("metric", list(Metric), ids=[m.value for m in Metric])
def test_exact_agrees_with_numpy_brute_force_up_to_ties(built: Built, data: Data, metric: Metric) -> None:
    result = built.get("exact", metric).search_batch(data.queries, K)
    assert (result.ids >= 0).all()
    found = distances_to_ids(data.queries, data.base, result.ids, metric)
    best = np.sort(data.truth(metric), axis=1)[:, :K]
    # the same k distances (ids may differ only among equal distances)
    np.testing.assert_allclose(np.sort(found, axis=1), best, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("name", "metric"), CASES)
def test_thorough_search_finds_most_true_neighbours(
    built: Built, data: Data, name: str, metric: Metric
) -> None:
    adapter = built.get(name, metric)
    adapter.set_query_params(**THOROUGH[name])
    got = recall(adapter.search_batch(data.queries, K), data.true_ids(metric))
    assert got >= MIN_THOROUGH_RECALL, f"{name}/{metric.value}: recall@{K} {got:.3f} at {THOROUGH[name]}"


@pytest.mark.parametrize(("name", "metric"), CASES)
def test_recall_never_falls_as_effort_rises(built: Built, data: Data, name: str, metric: Metric) -> None:
    adapter = built.get(name, metric)
    effort = adapter.capabilities.effort_param
    if effort is None:
        pytest.skip(f"{name} declares no effort parameter")
    assert effort in adapter.query_param_specs
    truth = data.true_ids(metric)
    recalls = []
    for value in EFFORT_GRID[name]:
        adapter.set_query_params(**{effort: value})
        recalls.append(recall(adapter.search_batch(data.queries, K), truth))
    assert all(b >= a for a, b in itertools.pairwise(recalls)), f"{effort}={EFFORT_GRID[name]}: {recalls}"


@pytest.mark.parametrize(("name", "metric"), CASES)
def test_search_one_agrees_with_search_batch(built: Built, data: Data, name: str, metric: Metric) -> None:
    adapter = built.get(name, metric)
    batch = adapter.search_batch(data.queries, K)
    for row, query in enumerate(data.queries[:10]):
        one = adapter.search_one(query, K)
        np.testing.assert_array_equal(one.ids, batch.ids[row])
        np.testing.assert_allclose(one.distances, batch.distances[row], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_callers_arrays_are_not_modified(name: str) -> None:
    data = make_data(seed=11, n=500, nq=5)
    base, queries = data.base.copy(), data.queries.copy()
    adapter = build(name, Metric.ANGULAR, base, **({"num_leaves": 10} if name == "scann" else {}))
    adapter.search_batch(queries, K)
    adapter.search_one(queries[0], K)
    np.testing.assert_array_equal(base, data.base)
    np.testing.assert_array_equal(queries, data.queries)


@pytest.mark.parametrize("name", NAMES)
def test_short_results_are_padded_with_minus_one(name: str) -> None:
    # Lowest effort and a k larger than one partition holds: partitioned indexes find fewer than k.
    data = make_data(seed=13, n=300, nq=20)
    adapter = build(name, Metric.EUCLIDEAN, data.base)
    effort = adapter.capabilities.effort_param
    if effort is not None:
        adapter.set_query_params(**{effort: EFFORT_GRID[name][0]})
    result = adapter.search_batch(data.queries, 50)
    assert_well_formed(result, 300, 20, 50)


@pytest.mark.parametrize("name", NAMES)
def test_k_above_n_pads_with_minus_one_or_refuses_clearly(name: str) -> None:
    data = make_data(seed=3, n=5, nq=4)
    adapter = adapter_class(name)(Metric.EUCLIDEAN, **TINY_BUILD[name])
    try:
        adapter.build(data.base)
    except ConfigError as exc:  # the library cannot index 5 items: the message must say why
        assert "\n" not in str(exc)
        assert "5" in str(exc)
        return
    adapter.set_query_params(**THOROUGH[name])
    result = adapter.search_batch(data.queries, K)
    assert_well_formed(result, 5, 4, K)
    assert (result.ids[:, 5:] == -1).all()
    assert all(sorted(row[:5].tolist()) == list(range(5)) for row in result.ids)
    one = adapter.search_one(data.queries[0], K)
    np.testing.assert_array_equal(one.ids, result.ids[0])


# ---- declared capabilities ---------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_thread_control_is_honoured(built: Built, data: Data, name: str) -> None:
    adapter = built.get(name, Metric.EUCLIDEAN)
    if not adapter.capabilities.thread_control:
        with pytest.raises(UnsupportedError):
            adapter.set_num_threads(2)
        return
    single = adapter.search_batch(data.queries, K)
    adapter.set_num_threads(2)
    try:
        parallel = adapter.search_batch(data.queries, K)
    finally:
        adapter.set_num_threads(1)
    np.testing.assert_array_equal(parallel.ids, single.ids)


@pytest.mark.parametrize("name", NAMES)
def test_add_and_delete_work_where_declared_and_refuse_elsewhere(name: str) -> None:
    data = make_data(seed=5, n=1000, nq=5)
    adapter = build(name, Metric.EUCLIDEAN, data.base, **({"num_leaves": 10} if name == "scann" else {}))
    adapter.set_query_params(**THOROUGH[name])
    new = data.queries + 0.0  # the queries themselves become items: each must find itself
    if adapter.capabilities.add:
        ids = adapter.add(new)
        assert ids.dtype == np.int64
        np.testing.assert_array_equal(ids, np.arange(1000, 1005))
        assert adapter.n_items == 1005
        result = adapter.search_batch(data.queries, K)
        assert_well_formed(result, 1005, 5, K)
        assert all(i in row for i, row in zip(ids.tolist(), result.ids, strict=True))
    else:
        with pytest.raises(UnsupportedError):
            adapter.add(new)
    nearest = adapter.search_batch(data.queries, K).ids[:, 0]
    if adapter.capabilities.delete:
        adapter.delete(nearest)
        result = adapter.search_batch(data.queries, K)
        assert not np.isin(result.ids, nearest).any()
        assert_well_formed(result, adapter.n_items, 5, K)
    else:
        with pytest.raises(UnsupportedError):
            adapter.delete(nearest)


# ---- parameters and costs ----------------------------------------------------------------------
def misspelt(name: str) -> str:
    return name[:-1] + ("x" if name[-1] != "x" else "y") if len(name) > 2 else name + "_x"


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameters_are_refused_with_a_hint(name: str) -> None:
    cls = adapter_class(name)
    for specs, apply in (
        (cls.build_param_specs, lambda p: cls(Metric.EUCLIDEAN, **p)),
        (cls.query_param_specs, lambda p: cls(Metric.EUCLIDEAN).set_query_params(**p)),
    ):
        if not specs:
            with pytest.raises(ConfigError, match="unknown parameter"):
                apply({"no_such_param": 1})
            continue
        target = max(specs, key=len)
        with pytest.raises(ConfigError, match=f"did you mean '{target}'"):
            apply({misspelt(target): 1})


@pytest.mark.parametrize("name", NAMES)
def test_index_bytes_is_a_positive_int_and_leaves_results_alone(built: Built, data: Data, name: str) -> None:
    adapter = built.get(name, Metric.EUCLIDEAN)
    before = adapter.search_batch(data.queries, K)
    size = adapter.index_bytes()
    assert isinstance(size, int)
    assert size > 0
    np.testing.assert_array_equal(adapter.search_batch(data.queries, K).ids, before.ids)


@pytest.mark.parametrize("name", NAMES)
def test_distance_counters_move_and_reset(built: Built, data: Data, name: str) -> None:
    adapter = built.get(name, Metric.EUCLIDEAN)
    adapter.reset_counters()
    if adapter.distance_computations() is None:
        pytest.skip(f"{name} exposes no distance counter")
    assert adapter.distance_computations() == 0
    adapter.search_batch(data.queries, K)
    assert (adapter.distance_computations() or 0) > 0
    adapter.reset_counters()
    assert adapter.distance_computations() == 0


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
    adapter = build("faiss-ivfpq", Metric.EUCLIDEAN, data.base, m=2, refine=True)
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


def test_scann_refuses_reorder_k_below_k(built: Built, data: Data) -> None:
    adapter = built.get("scann", Metric.EUCLIDEAN)
    adapter.set_query_params(reorder_k=5)
    with pytest.raises(ConfigError, match="reorder_k"):
        adapter.search_batch(data.queries, K)
