"""Neighbour-set stability of the item embedding across the replay's time windows (``drift:``),
and against a second embedding: rows of the pipeline table with stage ``embedding``."""

from __future__ import annotations

from typing import Any

import numpy as np

from vecbench.datasets.logs.split import Replay
from vecbench.indexes.base import Metric
from vecbench.metrics.drift import neighbour_stability
from vecbench.pipeline.embeddings.base import ItemEmbedder, ItemVectors, make_embedder


def drift_rows(
    spec: Any, embedder: ItemEmbedder, replay: Replay, vectors: ItemVectors, metric: Metric, base: dict[str, Any]
) -> list[dict[str, Any]]:
    """One row per compared pair of embedding versions; none when the config asks for no drift."""
    if spec is None:
        return []
    log = replay.log
    end = int(log.timestamp[-1]) + 1
    times = [*replay.step_times, end] if replay.step_times else [end]
    versions = [(vectors.items, vectors.vectors)]
    versions += [
        (v.items, v.vectors)
        for v in (embedder.fit(log.before(t), metric) for t in times[1 if replay.step_times else 0 :])
    ]
    common = vectors.items
    for items, _ in versions[1:]:
        common = np.intersect1d(common, items)
    rng = np.random.default_rng(spec.seed)
    probes = np.sort(rng.choice(common, size=min(spec.probe_items, common.size), replace=False))
    pairs = [(0, j) for j in range(1, len(versions))] + [(j - 1, j) for j in range(2, len(versions))]
    rows = [
        _row(base, spec.k, f"versions:{a}-{b}", neighbour_stability(versions[a], versions[b], probes, spec.k, metric))
        for a, b in pairs
    ]
    if spec.versus is not None:
        other_embedder = make_embedder(spec.versus)
        other = other_embedder.fit(replay.train, other_embedder.default_metric)
        shared = np.intersect1d(vectors.items, other.items)
        picked = np.sort(rng.choice(shared, size=min(spec.probe_items, shared.size), replace=False))
        values = neighbour_stability(
            (vectors.items, vectors.vectors), (other.items, other.vectors), picked, spec.k, metric, other.metric
        )
        rows.append(_row(base, spec.k, f"versus:{spec.versus.kind}", values))
    return rows


def _row(base: dict[str, Any], k: int, cohort: str, values: np.ndarray) -> dict[str, Any]:
    return {**base, "stage": "embedding", "metric": f"neighbour_jaccard@{k}", "cohort": cohort,
            "higher_is_better": True, "value": float(values.mean()), "n_requests": int(values.size)}  # fmt: skip
