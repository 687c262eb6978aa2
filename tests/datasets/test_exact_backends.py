"""Ground-truth backends: torch (CPU here) and faiss give numpy's exact neighbours, ties included;
the cache is shared by every backend; a wrong backend name is a one-line error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vecbench.bench.config import parse_config
from vecbench.core.params import Metric
from vecbench.datasets.base import Dataset
from vecbench.datasets.exact_backends import resolve_backend
from vecbench.datasets.ground_truth import compute_exact, exact_ground_truth
from vecbench.errors import ConfigError

METRICS = [Metric.EUCLIDEAN, Metric.ANGULAR, Metric.INNER_PRODUCT]


def _data(seed: int, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if ties:  # 64 distinct binary rows, ~23 copies each: ties run far past the re-rank margin
        base = rng.integers(0, 2, size=(1500, 6)).astype(np.float32)
        return base, rng.integers(0, 3, size=(40, 6)).astype(np.float32)
    return rng.standard_normal((3000, 24), dtype=np.float32), rng.standard_normal((80, 24), dtype=np.float32)


@pytest.mark.parametrize("backend", ["torch", "faiss"])
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("ties", [False, True])
def test_backends_give_numpy_neighbours(backend: str, metric: Metric, ties: bool) -> None:
    if backend == "torch":
        pytest.importorskip("torch")
    base, queries = _data(7, ties)
    ids, distances = compute_exact(queries, base, metric, 100, block_size=32, backend="numpy")
    their_ids, their_distances = compute_exact(queries, base, metric, 100, block_size=32, backend=backend)
    np.testing.assert_array_equal(their_ids, ids)
    np.testing.assert_array_equal(their_distances, distances)


def test_the_cache_does_not_depend_on_the_backend(tmp_path: Path) -> None:
    base, queries = _data(3, False)
    dataset = Dataset(
        name="seeded", base=base, queries=queries, metric=Metric.EUCLIDEAN, fingerprint="f" * 16
    )
    first = exact_ground_truth(dataset, 10, tmp_path, backend="numpy")
    files = sorted(tmp_path.rglob("*"))
    second = exact_ground_truth(dataset, 10, tmp_path, backend="torch")
    assert sorted(tmp_path.rglob("*")) == files  # read from the numpy entry, nothing new written
    np.testing.assert_array_equal(first.ids, second.ids)


def test_unknown_backends_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="unknown ground-truth backend 'cuda'; choose one of auto, numpy"):
        resolve_backend("cuda")
    with pytest.raises(ConfigError, match=r"ground_truth\.backend"):
        parse_config(
            {
                "name": "x",
                "dataset": {"name": "synthetic"},
                "indexes": [{"adapter": "exact"}],
                "ground_truth": {"backend": "gpu"},
            }
        )
    assert resolve_backend("auto") in ("torch", "faiss")
