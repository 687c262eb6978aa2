"""Baselines an ANN result must beat, each a stage-1 candidate generator behind one protocol.

- ``popularity``: the most interacted-with training items (static, fitted on the training log).
- ``recent_popularity``: counts over a trailing window (``window_days``) or exponentially decayed
  (``half_life_days``), computed from the whole log's events strictly before each request's time,
  so a trend is followed as the replay moves and nothing at or after the request is counted.
- ``itemknn``: item-item cosine over training co-occurrence (users who had both), a request's
  items scored by the summed similarity to its history (Sarwar et al. 2001 / Deshpande-Karypis).
- ``ease``: the closed-form linear autoencoder of Steck (2019), B = I - P / diag(P) with
  P = (X'X + lambda I)^-1 over the training items, scores = history row x B.

A generator is fitted once per run (``fit``) and gives every request a score per item (``scores``,
``-inf`` for items it never returns); one function turns scores into candidates under the stage
filter, timed per request. Adding a baseline is one line in ``BASELINES`` and one class.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from vecbench.core.registry import Registry
from vecbench.datasets.logs.base import InteractionLog
from vecbench.datasets.logs.split import Requests
from vecbench.errors import DatasetError
from vecbench.indexes.base import ParamSpec, resolve_params
from vecbench.pipeline.components import ComponentSpec
from vecbench.pipeline.embeddings.base import interaction_matrix
from vecbench.pipeline.retrieval import Candidates, StageFilter

DAY_S = 86_400.0


class BaselineSpec(ComponentSpec):
    """``popularity`` or ``{kind: recent_popularity, window_days: 7}``; ``score: true`` also sends
    its candidates through the pipeline's scorer and re-rankers (the baseline as stage 1)."""


@dataclass(frozen=True)
class BaselineData:
    """What a generator may learn from: the training log, and the whole log for statistics taken
    strictly before each request's time (never at or after it)."""

    train: InteractionLog
    log: InteractionLog
    as_of_request: bool = False  # split.as_of: request: statistics from events before each request


class CandidateGenerator(abc.ABC):
    """Base class of baselines: declare ``name`` and ``param_specs``; ``fit`` then ``scores``."""

    name: ClassVar[str]
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {}
    common_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "score": ParamSpec(bool, False, "also score and re-rank its candidates (a stage-1 retriever)"),
    }

    def __init__(self, **params: Any) -> None:
        self.params = resolve_params(f"baseline {self.name}", {**self.common_specs, **self.param_specs}, params)

    @property
    def label(self) -> str:
        """The row label: the kind, with the parameters that differ from their defaults."""
        shown = [f"{k}={v}" for k, v in self.params.items() if k != "score" and v != self._default(k)]
        return " ".join([self.name, *shown]) + ("+scored" if self.params["score"] else "")

    def _default(self, name: str) -> Any:
        return {**self.common_specs, **self.param_specs}[name].default

    @abc.abstractmethod
    def fit(self, data: BaselineData) -> None:
        """Learn what the scores need (untimed)."""

    @abc.abstractmethod
    def scores(self, requests: Requests, r: int) -> np.ndarray:
        """Float scores over every dense item for request ``r``; ``-inf`` where never returned."""


class PopularityBaseline(CandidateGenerator):
    """Training-log counts; under ``split.as_of: request`` the counts of every event before the request."""

    name: ClassVar[str] = "popularity"

    def fit(self, data: BaselineData) -> None:
        counts = data.train.item_counts().astype(np.float64)
        self._scores = np.where(counts > 0, counts, -np.inf)
        self._log = data.log if data.as_of_request else None
        self._memo: tuple[int, np.ndarray] | None = None

    def scores(self, requests: Requests, r: int) -> np.ndarray:
        if self._log is None:
            return self._scores
        now = int(requests.time[r])
        if self._memo is None or self._memo[0] != now:
            end = int(np.searchsorted(self._log.timestamp, now, side="left"))  # strictly before now
            counts = np.bincount(self._log.item[:end], minlength=self._log.n_items).astype(np.float64)
            self._memo = (now, np.where(counts > 0, counts, -np.inf))
        return self._memo[1]


class RecentPopularityBaseline(CandidateGenerator):
    name: ClassVar[str] = "recent_popularity"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "window_days": ParamSpec(float, 7.0, "count events of the trailing window", minimum=0.0),
        "half_life_days": ParamSpec(
            float, 0.0, "instead of a window: decay every past event by 0.5^(age / half-life) (0: off)", minimum=0.0
        ),
    }

    def fit(self, data: BaselineData) -> None:
        p = self.params
        if p["window_days"] <= 0 and p["half_life_days"] <= 0:
            raise DatasetError("baseline recent_popularity: give window_days > 0 or half_life_days > 0")
        self._log = data.log  # sorted by time; read strictly before each request
        self._memo: dict[int, np.ndarray] = {}

    def scores(self, requests: Requests, r: int) -> np.ndarray:
        now = int(requests.time[r])
        cached = self._memo.get(now)
        if cached is not None:  # requests of one replay window share their time
            return cached
        log, p = self._log, self.params
        end = int(np.searchsorted(log.timestamp, now, side="left"))  # events strictly before now
        if p["half_life_days"] > 0:
            ages = (now - log.timestamp[:end]).astype(np.float64)
            weights = np.power(0.5, ages / (p["half_life_days"] * DAY_S))
            counts = np.bincount(log.item[:end], weights=weights, minlength=log.n_items)
        else:
            start = int(np.searchsorted(log.timestamp, now - p["window_days"] * DAY_S, side="left"))
            counts = np.bincount(log.item[start:end], minlength=log.n_items).astype(np.float64)
        out = np.where(counts > 0, counts, -np.inf)
        self._memo = {now: out}
        return out


class _HistoryModel(CandidateGenerator):
    """A model scoring items from the request's history through an item x item matrix."""

    def _known(self, train: InteractionLog, min_count: int) -> np.ndarray:
        items = np.flatnonzero(train.item_counts() >= min_count)
        if items.size < 2:
            raise DatasetError(
                f"baseline {self.name}: only {items.size} item(s) have >= {min_count} training events; "
                "lower min_count or train on more of the log"
            )
        return items

    def _set(self, n_items: int, items: np.ndarray, weights: np.ndarray) -> None:
        self._items = items
        self._column = np.full(n_items, -1, dtype=np.int64)
        self._column[items] = np.arange(items.size)
        self._weights = weights
        self._n_items = n_items

    def scores(self, requests: Requests, r: int) -> np.ndarray:
        cols = self._column[requests.history_items.row(r)]
        cols = np.unique(cols[cols >= 0])
        out = np.full(self._n_items, -np.inf)
        out[self._items] = self._weights[cols].sum(axis=0) if cols.size else 0.0
        return out


class ItemKnnBaseline(_HistoryModel):
    name: ClassVar[str] = "itemknn"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "neighbours": ParamSpec(int, 100, "keep each item's most similar items (0: all)", minimum=0),
        "min_count": ParamSpec(int, 1, "items need this many training events", minimum=1),
    }

    def fit(self, data: BaselineData) -> None:
        items = self._known(data.train, self.params["min_count"])
        x = interaction_matrix(data.train)[:, items].tocsc()
        co = (x.T @ x).toarray()
        norms = np.sqrt(np.maximum(np.diag(co), 1e-12))
        sim = co / norms[:, None] / norms[None, :]
        np.fill_diagonal(sim, 0.0)
        keep = self.params["neighbours"]
        if 0 < keep < sim.shape[1]:
            cut = np.partition(sim, -keep, axis=1)[:, -keep][:, None]
            sim = np.where(sim >= cut, sim, 0.0)
        self._set(data.train.n_items, items, sim.astype(np.float32))


class EaseBaseline(_HistoryModel):
    name: ClassVar[str] = "ease"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "lambda": ParamSpec(float, 500.0, "L2 regularisation of the item-item weights", minimum=0.0),
        "min_count": ParamSpec(int, 1, "items need this many training events", minimum=1),
    }

    def fit(self, data: BaselineData) -> None:
        items = self._known(data.train, self.params["min_count"])
        x = interaction_matrix(data.train)[:, items].tocsc()
        gram = (x.T @ x).toarray()
        gram[np.diag_indices_from(gram)] += self.params["lambda"]
        with threadpool_limits(2, "blas"):
            weights = np.linalg.inv(gram)
        del gram
        weights /= -np.diag(weights)[None, :]  # in place: the catalogue squared is the big cost
        np.fill_diagonal(weights, 0.0)
        self._set(data.train.n_items, items, weights.astype(np.float32))


# Adding a baseline is one line here and one class.
BASELINES: Registry[type[CandidateGenerator]] = Registry(
    "baseline kind",
    {
        "popularity": "vecbench.pipeline.baselines:PopularityBaseline",
        "recent_popularity": "vecbench.pipeline.baselines:RecentPopularityBaseline",
        "itemknn": "vecbench.pipeline.baselines:ItemKnnBaseline",
        "ease": "vecbench.pipeline.baselines:EaseBaseline",
    },
    base=CandidateGenerator,
)


def make_baseline(spec: BaselineSpec) -> CandidateGenerator:
    """Instantiate the baseline a spec names, validating its parameters."""
    cls = BASELINES.get(spec.kind)
    return cls(**spec.params())


def fitted_baseline(spec: BaselineSpec, data: BaselineData) -> CandidateGenerator:
    """The baseline a spec names, fitted on ``data`` (what the runner calls once per entry)."""
    generator = make_baseline(spec)
    generator.fit(data)
    return generator


def baseline_candidates(
    generator: CandidateGenerator, requests: Requests, k: int, stage_filter: StageFilter | None = None
) -> Candidates:
    """The ``k`` best-scored items each request may get (the stage filter, its seen items
    excluded when asked), best first, ties in item order; each request timed on its own."""
    rule = stage_filter or StageFilter()
    n = len(requests)
    out = np.full((n, k), -1, dtype=np.int64)
    latency = np.zeros(n, dtype=np.int64)
    clock = time.perf_counter_ns
    for r in range(n):
        start = clock()
        scores = generator.scores(requests, r)
        if rule.allowed is not None or rule.exclude_seen:
            scores = scores.copy()
            if rule.allowed is not None:
                scores[~rule.allowed] = -np.inf
            if rule.exclude_seen:
                scores[requests.history_items.row(r)] = -np.inf
        top = _top(scores, k)
        top = top[np.isfinite(scores[top])]
        latency[r] = clock() - start
        out[r, : top.size] = top
    return Candidates(out, latency, np.full(n, -1, dtype=np.int64))


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, ties broken by the lower index (as a stable sort)."""
    head = min(k, scores.size)
    threshold = np.partition(scores, scores.size - head)[scores.size - head]
    above = np.flatnonzero(scores > threshold)
    tied = np.flatnonzero(scores == threshold)[: head - above.size]
    top = np.concatenate([above, tied])
    return top[np.lexsort((top, -scores[top]))]
