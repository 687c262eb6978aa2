"""Every metric of one pipeline run, per stage and cohort, from the ranked lists alone.

Per-request metrics come back as arrays (NaN where a request is outside the cohort) so that two
runs can be compared request by request; catalogue-level metrics come as a ``CatalogueValue`` (the
number with the lists and statistic behind it, so the runner can bootstrap it over users);
latencies are single numbers.
Cohorts: ``all``; ``activity:cold|medium|heavy`` (terciles of history length at request time);
``popularity:head|torso|tail`` (recall restricted to held-out items of that popularity bucket);
``window:I`` (requests of replay window I of a ``global_time`` split, when it has more than one),
so a model that ages shows as NDCG falling window after window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vecbench.datasets.logs.base import InteractionLog
from vecbench.datasets.logs.split import Requests
from vecbench.metrics import beyond_accuracy as ba
from vecbench.metrics.latency import latency_summary
from vecbench.metrics.relevance import RELEVANCE, hit_matrix
from vecbench.metrics.significance import Statistic
from vecbench.pipeline.stages import StageLists

Key = tuple[str, str, str]  # (stage, metric, cohort)
BUCKETS = ("head", "torso", "tail")
ACTIVITY = ("cold", "medium", "heavy")


@dataclass(frozen=True)
class CatalogueValue:
    """A catalogue-level metric: its value over all requests, and what recomputes it on a resample."""

    value: float
    lists: np.ndarray  # (requests, n) the item indices it was computed from, -1 pads
    statistic: Statistic  # resampled exposure counts -> the metric per resample


Value = np.ndarray | float | CatalogueValue


@dataclass(frozen=True)
class EvalContext:
    requests: Requests
    catalogue: np.ndarray
    counts: np.ndarray
    item_users: np.ndarray
    n_train_users: int
    head: np.ndarray
    buckets: np.ndarray
    unit_vectors: np.ndarray
    activity: np.ndarray
    cutoffs: tuple[int, ...]
    beyond_k: int

    @classmethod
    def build(
        cls,
        requests: Requests,
        train: InteractionLog,
        catalogue: np.ndarray,
        unit_vectors: np.ndarray,
        cutoffs: list[int],
        beyond_k: int,
    ) -> EvalContext:
        counts = train.item_counts().astype(np.float64)
        pairs = np.unique(np.stack([train.user, train.item]), axis=1)
        lengths = requests.history_items.lengths()
        edges = np.quantile(lengths, [1 / 3, 2 / 3])
        activity = np.array(ACTIVITY)[np.searchsorted(edges, lengths, side="right").clip(0, 2)]
        return cls(
            requests=requests,
            catalogue=catalogue,
            counts=counts,
            item_users=np.bincount(pairs[1], minlength=train.n_items).astype(np.float64),
            n_train_users=len(np.unique(train.user)),
            head=ba.head_items(counts),
            buckets=ba.popularity_buckets(counts),
            unit_vectors=unit_vectors,
            activity=activity,
            cutoffs=tuple(sorted(cutoffs)),
            beyond_k=beyond_k,
        )

    @property
    def windows(self) -> list[int]:
        """The replay windows that have requests, when there is more than one."""
        steps = np.unique(self.requests.step).tolist()
        return steps if len(steps) > 1 else []

    @property
    def clusters(self) -> np.ndarray:
        """Bootstrap resampling unit: the user of each request."""
        return self.requests.user


def evaluate(lists: StageLists, ctx: EvalContext) -> dict[Key, Value]:
    """All metrics of one run (see the module docstring for cohorts)."""
    targets = [ctx.requests.targets.row(r) for r in range(len(ctx.requests))]
    n_relevant = ctx.requests.targets.lengths()
    out: dict[Key, Value] = {}
    for stage, ranked in lists.lists().items():
        hits = hit_matrix(ranked, targets)
        for n in ctx.cutoffs:
            for name, fn in RELEVANCE.items():
                values = fn(hits, n_relevant, n)
                out[(stage, f"{name}@{n}", "all")] = values
                for cohort in ACTIVITY:
                    out[(stage, f"{name}@{n}", f"activity:{cohort}")] = np.where(
                        ctx.activity == cohort, values, np.nan
                    )
                for window in ctx.windows:
                    out[(stage, f"{name}@{n}", f"window:{window}")] = np.where(
                        ctx.requests.step == window, values, np.nan
                    )
            for b, bucket in enumerate(BUCKETS):
                out[(stage, f"recall@{n}", f"popularity:{bucket}")] = _bucket_recall(
                    ranked[:, :n], targets, ctx.buckets, b
                )
        if stage == "retrieval":
            out[(stage, f"candidate_recall@{ranked.shape[1]}", "all")] = RELEVANCE["recall"](
                hits, n_relevant, ranked.shape[1]
            )
        top = ranked[:, : ctx.beyond_k]
        k = ctx.beyond_k
        whole = ba.exposure(top, int(ctx.catalogue.max()) + 1)[None, ctx.catalogue]
        for name, row_wise in ba.CATALOGUE_METRICS.items():
            value = float(row_wise(whole, ctx.catalogue.size)[0])
            out[(stage, f"{name}@{k}", "all")] = CatalogueValue(
                value, top, ba.on_catalogue(row_wise, ctx.catalogue)
            )
        out[(stage, f"novelty@{k}", "all")] = ba.novelty(top, ctx.item_users, ctx.n_train_users)
        out[(stage, f"intra_list_diversity@{k}", "all")] = ba.intra_list_diversity(top, ctx.unit_vectors)
        out[(stage, f"long_tail_share@{k}", "all")] = ba.long_tail_share(top, ctx.head)
        out[(stage, f"average_popularity@{k}", "all")] = ba.average_popularity(top, ctx.counts)
        summary = latency_summary(lists.latency_ns[stage])
        for name in ("latency_p50_ms", "latency_p99_ms", "latency_mean_ms"):
            out[(stage, name, "all")] = summary[name]
    return out


def _bucket_recall(
    ranked: np.ndarray, targets: list[np.ndarray], buckets: np.ndarray, bucket: int
) -> np.ndarray:
    """Per request: share of its held-out items of this bucket found in ``ranked`` (NaN if it has none)."""
    out = np.full(len(targets), np.nan)
    for r, wanted in enumerate(targets):
        mine = wanted[buckets[wanted] == bucket]
        if mine.size:
            out[r] = np.isin(mine, ranked[r]).sum() / mine.size
    return out
