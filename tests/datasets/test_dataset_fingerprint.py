"""Fingerprints: stable for the same content, different when any value, shape or the metric changes."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from vecbench.datasets import DatasetSpec, fingerprint, load_dataset
from vecbench.indexes.base import Metric


def test_stable_across_loads_and_memory_layout(tmp_path: Path) -> None:
    data = np.random.default_rng(8).standard_normal((300, 10)).astype(np.float32)
    np.save(tmp_path / "a.npy", data)
    spec = DatasetSpec(path=str(tmp_path / "a.npy"), metric="euclidean", n_queries=30)
    first, second = load_dataset(spec), load_dataset(spec)
    assert first.fingerprint == second.fingerprint
    assert len(first.fingerprint) == 16 and int(first.fingerprint, 16) >= 0
    # A memory map and an in-memory copy of the same values agree.
    in_memory = fingerprint(np.array(first.base), np.array(first.queries), first.metric)
    assert in_memory == first.fingerprint


def test_changes_with_one_value_shape_or_metric() -> None:
    base = np.random.default_rng(9).standard_normal((200, 8)).astype(np.float32)
    queries = base[:10].copy()
    reference = fingerprint(base, queries, Metric.EUCLIDEAN)
    nudged = base.copy()
    nudged[123, 4] = np.nextafter(nudged[123, 4], np.float32(np.inf))
    assert fingerprint(nudged, queries, Metric.EUCLIDEAN) != reference
    assert fingerprint(base, queries, Metric.ANGULAR) != reference
    assert fingerprint(base[:-1], queries, Metric.EUCLIDEAN) != reference
    assert fingerprint(base.reshape(400, 4), queries.reshape(20, 4), Metric.EUCLIDEAN) != reference
    # Moving a row from base to queries changes the content hashed, not just a boundary.
    assert fingerprint(base[:-1], np.vstack([queries, base[-1:]]), Metric.EUCLIDEAN) != reference


def test_non_contiguous_views_hash_like_their_copies() -> None:
    wide = np.random.default_rng(10).standard_normal((100, 9)).astype(np.float32)
    view = wide[:, 1:]  # how .fvecs files are mapped: header column skipped
    assert fingerprint(view, view[:5], Metric.EUCLIDEAN) == fingerprint(
        view.copy(), view[:5].copy(), Metric.EUCLIDEAN
    )


def test_fast_for_100k_by_50() -> None:
    base = np.random.default_rng(11).standard_normal((100_000, 50)).astype(np.float32)
    start = time.perf_counter()
    fingerprint(base, base[:1000], Metric.ANGULAR)
    assert time.perf_counter() - start < 0.5
