"""Exact neighbours among the items live at every search step, maintained as the runbook plays.

Each query keeps its nearest ``depth`` live items (tags and distances) and a ``bound``: every live
item nearer than it is in the list. An insert merges the exact top of the new rows into the list;
a delete drops entries (the rest stay exact); a replace is both. Only a query whose k-th entry is
no longer within its bound (deletes emptied its list) is recomputed, over the live rows, so no
step pays a full recompute unless its deletes reach every query. Distances come from
``compute_exact`` (float32 candidates re-ranked in float64, ties ordered by tag), so the result
equals a brute-force search of the live set. Results are cached by dataset fingerprint, metric,
the runbook's scaled steps, the query count and k.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vecbench.core.atomic import atomic_writer
from vecbench.core.params import Metric
from vecbench.datasets.ground_truth import compute_exact
from vecbench.streaming.runbook import LiveState, Runbook

__all__ = ["IncrementalTruth", "StepTruth", "brute_force_truth", "streaming_truth"]


@dataclass(frozen=True)
class StepTruth:
    """Exact top-k tags (-1 pads where fewer are live) and their distances (+inf pads) per query."""

    ids: np.ndarray
    distances: np.ndarray


class IncrementalTruth:
    """Per-query nearest ``depth`` live items, updated by inserts and deletes."""

    def __init__(
        self, queries: np.ndarray, base: np.ndarray, metric: Metric, k: int, depth: int | None = None
    ):
        self.queries, self.base, self.metric, self.k = queries, base, metric, k
        self.depth = depth or 3 * k
        nq = queries.shape[0]
        self.tags = np.full((nq, self.depth), -1, dtype=np.int64)
        self.distances = np.full((nq, self.depth), np.inf, dtype=np.float32)
        self.bound = np.full(nq, np.inf, dtype=np.float32)
        self.recomputed = 0  # queries recomputed over the whole live set so far

    def insert(self, rows: np.ndarray, tags: np.ndarray) -> None:
        if rows.size == 0:
            return
        m = min(self.depth, rows.size)
        local, dist = compute_exact(self.queries, self.base[rows], self.metric, m)
        if rows.size > m:  # rows beyond the chunk's m-th may be missing: nearer ones are all here
            self.bound = np.minimum(self.bound, dist[:, m - 1])
        self._merge(tags[local], dist)

    def delete(self, tags: np.ndarray) -> None:
        if tags.size == 0:
            return
        gone = np.isin(self.tags, tags)
        self.tags[gone] = -1
        self.distances[gone] = np.inf
        self._merge(
            np.empty((self.tags.shape[0], 0), np.int64), np.empty((self.tags.shape[0], 0), np.float32)
        )

    def _merge(self, tags: np.ndarray, distances: np.ndarray) -> None:
        all_tags = np.concatenate([self.tags, tags], axis=1)
        all_dist = np.concatenate([self.distances, distances], axis=1)
        # pads (-1, +inf) sort last; equal distances by tag, as exact ground truth orders ties by id
        order = np.lexsort((np.where(all_tags < 0, np.iinfo(np.int64).max, all_tags), all_dist), axis=-1)
        all_tags = np.take_along_axis(all_tags, order, axis=1)
        all_dist = np.take_along_axis(all_dist, order, axis=1)
        if all_tags.shape[1] > self.depth:
            self.bound = np.minimum(self.bound, all_dist[:, self.depth])
        self.tags, self.distances = all_tags[:, : self.depth].copy(), all_dist[:, : self.depth].copy()

    def top(self, state: LiveState) -> StepTruth:
        """The exact top-k now; queries whose list no longer reaches k within its bound are recomputed."""
        k = self.k
        kth = self.distances[:, k - 1]
        stale = np.flatnonzero(kth > self.bound)
        if stale.size:
            live = state.live_tags()
            m = min(self.depth, live.size)
            local, dist = compute_exact(
                self.queries[stale], self.base[state.row_of_tag[live]], self.metric, m
            )
            tags = np.full((stale.size, self.depth), -1, dtype=np.int64)
            distances = np.full((stale.size, self.depth), np.inf, dtype=np.float32)
            tags[:, :m], distances[:, :m] = live[local], dist
            self.tags[stale], self.distances[stale] = tags, distances
            self.bound[stale] = dist[:, m - 1] if live.size > m else np.inf
            self.recomputed += int(stale.size)
        return StepTruth(self.tags[:, :k].copy(), self.distances[:, :k].copy())


def replay_truth(
    runbook: Runbook, queries: np.ndarray, base: np.ndarray, metric: Metric, k: int
) -> dict[int, StepTruth]:
    """Truth at every search step of the runbook, maintained incrementally."""
    truth = IncrementalTruth(queries, base, metric, k)
    state = LiveState(runbook.n_ids)
    found: dict[int, StepTruth] = {}
    for step in runbook.steps:
        if step.operation in ("delete", "replace"):
            truth.delete(step.tags())
        if step.operation in ("insert", "replace"):
            truth.insert(step.vector_rows(), step.tags())
        state.apply(step)
        if step.operation == "search":
            found[step.number] = truth.top(state)
    return found


def brute_force_truth(
    runbook: Runbook, step_number: int, queries: np.ndarray, base: np.ndarray, metric: Metric, k: int
) -> StepTruth:
    """Exact top-k at one step by searching every live row: what the incremental truth must equal."""
    state = LiveState(runbook.n_ids)
    for step in runbook.steps:
        state.apply(step)
        if step.number == step_number:
            break
    live = state.live_tags()
    m = min(k, live.size)
    local, dist = compute_exact(queries, base[state.row_of_tag[live]], metric, m)
    ids = np.full((queries.shape[0], k), -1, dtype=np.int64)
    distances = np.full((queries.shape[0], k), np.inf, dtype=np.float32)
    ids[:, :m], distances[:, :m] = live[local], dist
    return StepTruth(ids, distances)


def cache_key(fingerprint: str, metric: Metric, runbook: Runbook, n_queries: int, k: int) -> str:
    text = f"stream|{fingerprint}|{metric.value}|{runbook.digest()}|nq={n_queries}|k={k}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def streaming_truth(
    runbook: Runbook,
    queries: np.ndarray,
    base: np.ndarray,
    metric: Metric,
    k: int,
    fingerprint: str,
    cache_dir: Path | None,
) -> dict[int, StepTruth]:
    """Per-step truth from the cache, or replayed and cached (written atomically)."""
    path = (
        None
        if cache_dir is None
        else cache_dir / f"stream-{cache_key(fingerprint, metric, runbook, queries.shape[0], k)}.npz"
    )
    if path is not None:
        cached = _read(path, runbook, queries.shape[0], k)
        if cached is not None:
            return cached
    found = replay_truth(runbook, queries, base, metric, k)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"s{n}_{name}": getattr(t, name) for n, t in found.items() for name in ("ids", "distances")}
        with atomic_writer(path) as handle:
            np.savez(handle, **arrays)
    return found


def _read(path: Path, runbook: Runbook, n_queries: int, k: int) -> dict[int, StepTruth] | None:
    """The cached truth, or None when absent, unreadable or not shaped for this runbook."""
    try:
        with np.load(path) as data:
            found = {n: StepTruth(data[f"s{n}_ids"], data[f"s{n}_distances"]) for n in runbook.search_steps()}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    if any(t.ids.shape != (n_queries, k) or t.distances.shape != (n_queries, k) for t in found.values()):
        return None
    return found
