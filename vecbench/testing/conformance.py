"""The adapter conformance suite, runnable on any adapter class: vecbench's own and a user's plugin.

``check_adapter(MyAdapter)`` builds the adapter on small seeded clustered data (2,000 x 16, made
here) at the settings of its ``conformance`` grid, for every metric it declares, and checks what
the harness relies on: shapes and dtypes, valid ids, no duplicates, results sorted by distance,
batch and single search agreeing, agreement with the exact (numpy) reference, recall never falling
as the effort parameter rises, the caller's arrays left alone, -1 padding, and every declared
capability honoured (threads, add/delete, native filtering, size, counters). It returns quietly for
a correct adapter and raises ``AssertionError`` naming the first check that failed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vecbench.core.errors import ConfigError, UnsupportedError
from vecbench.indexes.base import IndexAdapter, Metric, SearchResult
from vecbench.metrics.distances import distances_to_ids, pairwise_distances

N, DIM, NQ, K = 2000, 16, 50, 10
# Lowest recall@10 at the grid's thorough settings: catches a wrong metric mapping (near 0).
MIN_THOROUGH_RECALL = 0.6
# Lowest recall@10 of a native filtered search at thorough settings, against the exact filtered
# truth; an index whose unfiltered recall there is lower may lose at most FILTER_LOSS to the filter.
MIN_FILTERED_RECALL = 0.9
FILTER_LOSS = 0.1
# Share of result rows whose first hit may lie farther (true distance) than their last, where an
# adapter's own distances carry no order to judge by; a reversed order fails every row.
MAX_MISORDERED_ROWS = 0.05


def clustered(rng: np.random.Generator, centers: np.ndarray, n: int) -> np.ndarray:
    """Gaussian blobs around the centers, rows scaled so inner product differs from angular."""
    labels = rng.integers(len(centers), size=n)
    points = centers[labels] + 0.35 * rng.standard_normal((n, centers.shape[1]))
    return (points * rng.uniform(0.5, 1.5, size=(n, 1))).astype(np.float32)


@dataclass
class Data:
    """Base vectors and queries, with their exact distances computed once per metric."""

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
    """Seeded clustered data: 20 centres in 16 dimensions."""
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((20, DIM))
    return Data(clustered(rng, centers, n), clustered(rng, centers, nq))


def recall(result: SearchResult, true_ids: np.ndarray) -> float:
    """Share of the true neighbours found (-1 pads count as misses)."""
    hits = [
        len(set(row[row >= 0].tolist()) & set(truth.tolist()))
        for row, truth in zip(result.ids, true_ids, strict=True)
    ]
    return float(np.mean(hits)) / true_ids.shape[1]


def defaults(cls: type[IndexAdapter]) -> dict[str, Any]:
    return {name: spec.default for name, spec in cls.query_param_specs.items()}


def build(cls: type[IndexAdapter], metric: Metric, base: np.ndarray, **params: Any) -> IndexAdapter:
    """The adapter built over ``base`` with its grid's build parameters (overridden by ``params``)."""
    adapter = cls(metric, **{**cls.conformance.build, **params})
    adapter.set_num_threads(1)  # process-wide for some libraries (faiss): the last check may have left 2
    adapter.build(base)
    return adapter


# ---- the checks: each raises AssertionError saying what is wrong ----------------------------------
def check_declarations(cls: type[IndexAdapter]) -> None:
    caps = cls.capabilities
    assert isinstance(cls.name, str) and cls.name, "the class declares no name"
    assert caps.metrics, "capabilities declare no metric"
    assert all(isinstance(library, str) for library in cls.libraries), "libraries must be distribution names"
    grid = cls.conformance
    if caps.effort_param is not None:
        assert caps.effort_param in cls.query_param_specs, (
            f"effort_param '{caps.effort_param}' is not one of its query parameters "
            f"{sorted(cls.query_param_specs)}"
        )
        assert len(grid.effort) >= 2, (
            "an effort_param is declared but conformance.effort has fewer than 2 values"
        )
    unknown = set(grid.thorough) - set(cls.query_param_specs)
    assert not unknown, f"conformance.thorough names unknown query parameters {sorted(unknown)}"


def check_shapes(result: SearchResult, nq: int, k: int) -> None:
    assert isinstance(result, SearchResult), f"search returned {type(result).__name__}, not a SearchResult"
    assert result.ids.dtype == np.int64, f"ids are {result.ids.dtype}, not int64"
    assert result.ids.shape == (nq, k), f"ids have shape {result.ids.shape}, not {(nq, k)}"
    assert result.distances.dtype == np.float32, f"distances are {result.distances.dtype}, not float32"
    assert result.distances.shape == (nq, k), f"distances have shape {result.distances.shape}, not {(nq, k)}"


def check_valid_ids(result: SearchResult, n_items: int) -> None:
    bad = (result.ids < -1) | (result.ids >= n_items)
    assert not bad.any(), f"ids outside [-1, {n_items}): {np.unique(result.ids[bad])[:5].tolist()}"
    for row in result.ids:
        found = int((row >= 0).sum())
        assert (row[:found] >= 0).all(), f"a -1 pad before a real id in {row.tolist()}"


def check_no_duplicates(result: SearchResult) -> None:
    for row in result.ids:
        found = row[row >= 0]
        assert len(np.unique(found)) == len(found), f"duplicate ids in {row.tolist()}"


def check_well_formed(result: SearchResult, n_items: int, nq: int, k: int) -> None:
    check_shapes(result, nq, k)
    check_valid_ids(result, n_items)
    check_no_duplicates(result)


def check_sorted(result: SearchResult, data: Data, metric: Metric) -> None:
    """Rows run nearest first, in the adapter's own distances (which may be scores, larger nearer).

    Which way is "nearer" is read from the data: the adapter's distances of the returned items are
    correlated (per row, centred) with their true distances; positively for distances, negatively for
    scores. Rows must rise or fall monotonically, and where that correlation is clear (|r| >= 0.5),
    the way it says is nearer first. Compressed indexes (IVF-PQ) order by their own approximate
    distances, so the true distances themselves need not be sorted.
    """
    found = result.ids >= 0
    own = np.where(found, result.distances.astype(np.float64), np.nan)
    true = np.where(found, distances_to_ids(data.queries, data.base, result.ids, metric), np.nan)
    with np.errstate(invalid="ignore"):
        own_c = own - np.nanmean(own, axis=1, keepdims=True)
        true_c = true - np.nanmean(true, axis=1, keepdims=True)
    usable = np.isfinite(own_c) & np.isfinite(true_c)
    spread = float(np.sqrt((own_c[usable] ** 2).sum() * (true_c[usable] ** 2).sum()))
    correlation = float((own_c[usable] * true_c[usable]).sum()) / spread if spread > 0 else 0.0
    rising, falling = True, True
    for row_ids, row in zip(result.ids, result.distances, strict=True):
        values = row[row_ids >= 0].astype(np.float64)
        steps, slack = np.diff(values), 1e-5 * (1.0 + np.abs(values[1:]))
        rising = rising and bool((steps >= -slack).all())
        falling = falling and bool((steps <= slack).all())
    assert rising or falling, "the adapter's own distances neither rise nor fall along every row"
    if abs(correlation) >= 0.5:  # the data says which way is nearer: rows must run that way
        nearer_first = rising if correlation > 0 else falling
        assert nearer_first, (
            f"results come farthest first: the adapter's distances {'rise' if rising else 'fall'} "
            f"along the rows but {'smaller' if correlation > 0 else 'larger'} ones are nearer "
            f"(correlation with true {metric.value} distance {correlation:+.2f})"
        )
    elif rising and falling:  # constant distances carry no order: judge the ids by true distance
        misordered, rows = 0, 0
        for row_ids, row in zip(result.ids, true, strict=True):
            hits = row[row_ids >= 0]
            if len(hits) >= 2:
                rows += 1
                misordered += int(hits[0] > hits[-1] + 1e-4 * (1.0 + abs(hits[-1])))
        assert misordered <= MAX_MISORDERED_ROWS * max(rows, 1), (
            f"in {misordered} of {rows} rows the first result is farther than the last (by true "
            f"{metric.value} distance): results must come nearest first"
        )


def check_one_agrees(adapter: IndexAdapter, data: Data) -> None:
    batch = adapter.search_batch(data.queries, K)
    for row, query in enumerate(data.queries[:10]):
        one = adapter.search_one(query, K)
        assert one.ids.dtype == np.int64 and one.ids.shape == (K,), (
            f"search_one ids are {one.ids.dtype} {one.ids.shape}, not int64 {(K,)}"
        )
        assert one.distances.shape == (K,), f"search_one distances have shape {one.distances.shape}"
        assert np.array_equal(one.ids, batch.ids[row]), (
            f"query {row}: search_one {one.ids.tolist()} != search_batch {batch.ids[row].tolist()}"
        )
        assert np.allclose(one.distances, batch.distances[row], rtol=1e-5, atol=1e-5), (
            f"query {row}: search_one distances differ from search_batch"
        )


def check_reference(adapter: IndexAdapter, data: Data, metric: Metric) -> None:
    adapter.set_query_params(**adapter.conformance.thorough)
    got = recall(adapter.search_batch(data.queries, K), data.true_ids(metric))
    assert got >= MIN_THOROUGH_RECALL, (
        f"recall@{K} {got:.3f} against numpy brute force at {dict(adapter.conformance.thorough)} is "
        f"below {MIN_THOROUGH_RECALL} (a wrong metric mapping?)"
    )


def check_effort(adapter: IndexAdapter, data: Data, metric: Metric) -> None:
    effort = adapter.capabilities.effort_param
    if effort is None:
        return
    truth, grid, recalls = data.true_ids(metric), adapter.conformance.effort, []
    for value in grid:
        adapter.set_query_params(**{effort: value})
        recalls.append(recall(adapter.search_batch(data.queries, K), truth))
    assert all(b >= a for a, b in itertools.pairwise(recalls)), (
        f"recall@{K} at {effort}={list(grid)}: {[round(r, 3) for r in recalls]}"
    )


def check_threads(adapter: IndexAdapter, data: Data) -> None:
    if not adapter.capabilities.thread_control:
        try:
            adapter.set_num_threads(2)
        except UnsupportedError:
            return
        raise AssertionError("set_num_threads(2) was accepted without thread_control declared")
    single = adapter.search_batch(data.queries, K)
    adapter.set_num_threads(2)
    try:
        parallel = adapter.search_batch(data.queries, K)
    finally:
        adapter.set_num_threads(1)
    assert np.array_equal(parallel.ids, single.ids), "2 threads return other ids than 1 thread"


def check_index_size(adapter: IndexAdapter, data: Data) -> None:
    before = adapter.search_batch(data.queries, K)
    size = adapter.index_bytes()
    assert size is None or (isinstance(size, int) and size > 0), f"index_bytes() is {size!r}"
    after = adapter.search_batch(data.queries, K)
    assert np.array_equal(after.ids, before.ids), "results changed after index_bytes()"


def check_counters(adapter: IndexAdapter, data: Data) -> None:
    adapter.reset_counters()
    if adapter.distance_computations() is None:
        return
    assert adapter.distance_computations() == 0, "distance counter is not 0 after reset_counters()"
    adapter.search_batch(data.queries, K)
    assert (adapter.distance_computations() or 0) > 0, "distance counter did not move during a search"
    adapter.reset_counters()
    assert adapter.distance_computations() == 0, "distance counter is not 0 after reset_counters()"


def check_native_filter(adapter: IndexAdapter, data: Data, metric: Metric) -> None:
    allowed = np.random.default_rng(1).random(adapter.n_items) < 0.2
    excluded = np.flatnonzero(allowed)[:5]
    if not adapter.capabilities.native_filter:
        try:
            adapter.filter_handle(allowed)
        except UnsupportedError:
            return
        raise AssertionError("filter_handle() was accepted without native_filter declared")
    adapter.set_query_params(**adapter.conformance.thorough)
    handle = adapter.filter_handle(allowed, excluded)
    prepared = adapter.prepare_vectors(data.queries)
    batch = adapter.search_filtered(prepared, K, handle)
    check_well_formed(batch, adapter.n_items, len(prepared), K)
    found = batch.ids[batch.ids >= 0]
    assert allowed[found].all(), "filtered search returned ids the filter rejects"
    assert not np.isin(found, excluded).any(), "filtered search returned excluded ids"
    ones = np.stack([adapter.search_one_filtered(q, K, handle).ids for q in prepared])
    assert np.array_equal(ones, batch.ids), "search_one_filtered disagrees with search_filtered"
    d = data.truth(metric).copy()
    d[:, ~allowed] = np.inf
    d[:, excluded] = np.inf
    got = recall(batch, np.argsort(d, axis=1, kind="stable")[:, :K])
    unfiltered = recall(adapter.search_batch(data.queries, K), data.true_ids(metric))
    floor = min(MIN_FILTERED_RECALL, unfiltered - FILTER_LOSS)
    assert got >= floor, (
        f"filtered recall@{K} {got:.3f} at {dict(adapter.conformance.thorough)} is below {floor:.3f} "
        f"(unfiltered: {unfiltered:.3f})"
    )


def check_callers_arrays(cls: type[IndexAdapter], metric: Metric) -> None:
    data = make_data(seed=11, n=500, nq=5)
    base, queries = data.base.copy(), data.queries.copy()
    adapter = build(cls, metric, base)
    adapter.search_batch(queries, K)
    adapter.search_one(queries[0], K)
    assert np.array_equal(base, data.base), "build() modified the caller's array"
    assert np.array_equal(queries, data.queries), "search modified the caller's queries"


def check_short_results(cls: type[IndexAdapter]) -> None:
    """Lowest effort and k larger than a partition holds: fewer than k found must pad with -1."""
    data = make_data(seed=13, n=300, nq=20)
    adapter = build(cls, first_metric(cls), data.base)
    effort = cls.capabilities.effort_param
    if effort is not None:
        adapter.set_query_params(**{effort: cls.conformance.effort[0]})
    check_well_formed(adapter.search_batch(data.queries, 50), 300, 20, 50)


def check_k_above_n(cls: type[IndexAdapter]) -> None:
    data = make_data(seed=3, n=5, nq=4)
    adapter = cls(first_metric(cls), **cls.conformance.tiny_build)
    adapter.set_num_threads(1)
    try:
        adapter.build(data.base)
    except ConfigError as exc:  # the library cannot index 5 items: the message must say why
        message = str(exc)
        assert "\n" not in message and "5" in message, (
            f"refusal is not one line naming the 5 items: {message}"
        )
        return
    adapter.set_query_params(**cls.conformance.thorough)
    result = adapter.search_batch(data.queries, K)
    check_well_formed(result, 5, 4, K)
    assert (result.ids[:, 5:] == -1).all(), "k > n: the columns past the 5 items are not -1"
    assert all(sorted(row[:5].tolist()) == list(range(5)) for row in result.ids), (
        f"k > n at thorough settings: not all 5 items found: {result.ids.tolist()}"
    )
    one = adapter.search_one(data.queries[0], K)
    assert np.array_equal(one.ids, result.ids[0]), "k > n: search_one disagrees with search_batch"


def check_add_delete(cls: type[IndexAdapter]) -> None:
    data = make_data(seed=5, n=1000, nq=5)
    adapter = build(cls, first_metric(cls), data.base)
    adapter.set_query_params(**cls.conformance.thorough)
    new = data.queries + 0.0  # the queries themselves become items: each must find itself
    if cls.capabilities.add:
        ids = adapter.add(new)
        assert ids.dtype == np.int64, f"add() returned {ids.dtype} ids, not int64"
        assert np.array_equal(ids, np.arange(1000, 1005)), (
            f"add() returned ids {ids.tolist()}, not 1000..1004"
        )
        assert adapter.n_items == 1005, f"n_items is {adapter.n_items} after adding 5 to 1000"
        result = adapter.search_batch(data.queries, K)
        check_well_formed(result, 1005, 5, K)
        assert all(i in row for i, row in zip(ids.tolist(), result.ids, strict=True)), (
            "an added item is not found by a search for itself"
        )
    else:
        refuses(lambda: adapter.add(new), "add() was accepted without add declared")
    nearest = adapter.search_batch(data.queries, K).ids[:, 0]
    if cls.capabilities.delete:
        adapter.delete(nearest)
        result = adapter.search_batch(data.queries, K)
        assert not np.isin(result.ids, nearest).any(), "deleted items are still returned"
        check_well_formed(result, adapter.n_items, 5, K)
    else:
        refuses(lambda: adapter.delete(nearest), "delete() was accepted without delete declared")


def check_unknown_params(cls: type[IndexAdapter]) -> None:
    metric = first_metric(cls)
    cases: list[tuple[Any, Callable[[dict[str, Any]], Any]]] = [
        (cls.build_param_specs, lambda p: cls(metric, **p)),
        (cls.query_param_specs, lambda p: cls(metric).set_query_params(**p)),
    ]
    for specs, apply in cases:
        target = max(specs, key=len) if specs else None
        given = misspelt(target) if target else "no_such_param"
        try:
            apply({given: 1})
        except ConfigError as exc:
            expected = f"did you mean '{target}'" if target else "unknown parameter"
            assert expected in str(exc), f"parameter '{given}' refused without the hint: {exc}"
            continue
        raise AssertionError(f"unknown parameter '{given}' was accepted")


def refuses(call: Callable[[], Any], message: str) -> None:
    try:
        call()
    except UnsupportedError:
        return
    raise AssertionError(message)


def misspelt(name: str) -> str:
    return name[:-1] + ("x" if name[-1] != "x" else "y") if len(name) > 2 else name + "_x"


def first_metric(cls: type[IndexAdapter]) -> Metric:
    """Euclidean where declared, else the first declared metric."""
    metrics = sorted(cls.capabilities.metrics, key=lambda m: m.value)
    return Metric.EUCLIDEAN if Metric.EUCLIDEAN in metrics else metrics[0]


def filter_metric(cls: type[IndexAdapter]) -> Metric:
    """Angular where declared (graph indexes filter inner product poorly: it is no metric), else the first."""
    return Metric.ANGULAR if Metric.ANGULAR in cls.capabilities.metrics else first_metric(cls)


# ---- the runner -----------------------------------------------------------------------------------
@contextmanager
def checking(cls: type[IndexAdapter], check: str, metric: Metric | None = None) -> Iterator[None]:
    """Re-raise any failure inside as an AssertionError naming the adapter, the check and the metric."""
    where = f"{getattr(cls, 'name', cls.__name__)}" + (f" ({metric.value})" if metric is not None else "")
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(f"{where}: check '{check}' failed: {exc}") from exc
    except Exception as exc:
        raise AssertionError(f"{where}: check '{check}' raised {type(exc).__name__}: {exc}") from exc


def check_adapter(cls: type[IndexAdapter]) -> None:
    """Run the conformance suite on ``cls``; returns quietly, or raises AssertionError naming the check.

    The adapter is built at its ``conformance`` grid's settings (``ConformanceGrid`` in
    vecbench.indexes.base), once per declared metric plus a few tiny builds. A few seconds at most.
    """
    with checking(cls, "declarations"):
        assert isinstance(cls, type) and issubclass(cls, IndexAdapter), (
            f"{cls!r} is not an IndexAdapter subclass"
        )
        check_declarations(cls)
    data = make_data()
    for metric in sorted(cls.capabilities.metrics, key=lambda m: m.value):
        with checking(cls, "build", metric):
            adapter = build(cls, metric, data.base)
            adapter.set_query_params(**defaults(cls))
            result = adapter.search_batch(data.queries, K)
        with checking(cls, "shapes and dtypes", metric):
            check_shapes(result, NQ, K)
        with checking(cls, "valid ids", metric):
            check_valid_ids(result, N)
        with checking(cls, "no duplicates", metric):
            check_no_duplicates(result)
        with checking(cls, "sorted by distance", metric):
            check_sorted(result, data, metric)
        with checking(cls, "search_one agrees with search_batch", metric):
            check_one_agrees(adapter, data)
        with checking(cls, "agreement with the exact reference", metric):
            check_reference(adapter, data, metric)
        with checking(cls, "recall never falls as effort rises", metric):
            check_effort(adapter, data, metric)
        adapter.set_query_params(**defaults(cls))
        if metric is filter_metric(cls):
            with checking(cls, "native filter", metric):
                check_native_filter(adapter, data, metric)
            adapter.set_query_params(**defaults(cls))
        if metric is first_metric(cls):
            with checking(cls, "thread control", metric):
                check_threads(adapter, data)
            with checking(cls, "index size", metric):
                check_index_size(adapter, data)
            with checking(cls, "distance counters", metric):
                check_counters(adapter, data)
    with checking(cls, "caller's arrays unchanged"):
        check_callers_arrays(cls, filter_metric(cls))
    with checking(cls, "short results padded with -1"):
        check_short_results(cls)
    with checking(cls, "k above n"):
        check_k_above_n(cls)
    with checking(cls, "add and delete"):
        check_add_delete(cls)
    with checking(cls, "unknown parameters refused"):
        check_unknown_params(cls)
