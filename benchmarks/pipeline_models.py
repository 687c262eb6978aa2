"""Retrievers side by side on one log and split: NDCG@10 and Recall@50 with intervals, wall time.

    python benchmarks/pipeline_models.py CONFIG [--methods svd,als,two_tower,...] [--versus svd]
                                               [--learned-on svd]

Takes the log and split of a pipeline CONFIG (``configs/movielens-100k.yaml``...), then for each
method fits on the training window, retrieves 50 unseen items per request exactly (embeddings) or
from the baseline's scores, and evaluates the retrieval order with the pipeline's own metrics.
Intervals are cluster-bootstrap (users) 95% intervals of the mean; ``delta vs`` is the paired
difference against ``--versus`` on the same requests. Wall time covers fit, user vectors and
retrieval of every request, on this (shared, noisy) machine. ``--learned-on METHOD`` adds a row
``METHOD+learned``: the learned scorer (fitted on an inner split of the training window, checked
against retrieval order there, as in a pipeline run) re-orders that embedding's top
``--candidates`` into the final 50; its ``vs retrieval`` delta pairs it with the plain order.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from vecbench.bench.pipeline_config import load_pipeline_config
from vecbench.datasets.logs.registry import load_log
from vecbench.datasets.logs.split import split_log
from vecbench.indexes.base import Metric
from vecbench.metrics.distances import normalised
from vecbench.metrics.significance import paired_bootstrap
from vecbench.pipeline.baselines import BaselineData, BaselineSpec, baseline_candidates, fitted_baseline
from vecbench.pipeline.embeddings.base import EmbeddingSpec, make_embedder
from vecbench.pipeline.evaluation import EvalContext, evaluate
from vecbench.pipeline.features import ItemStats
from vecbench.pipeline.retrieval import StageFilter, exact_candidates
from vecbench.pipeline.scoring import ScorerSpec, make_scorer
from vecbench.pipeline.stages import StageInputs, run_stages
from vecbench.pipeline.training import learned_examples
from vecbench.pipeline.users import UserSpec, user_matrix

ROOT = Path(__file__).resolve().parent.parent
K = 50
EMBEDDINGS = {
    "svd": ({"kind": "svd", "dim": 32, "item_norm": 0.25}, {"kind": "mean", "half_life_days": 30}),
    "als": ({"kind": "als", "dim": 32}, {"kind": "factors", "half_life_days": None}),
    "two_tower": ({"kind": "two_tower", "dim": 64}, {"kind": "mean"}),
    "two_tower_bias": ({"kind": "two_tower", "dim": 64, "popularity_bias": True}, {"kind": "mean"}),
    "text": ({"kind": "text", "fields": "title,categories,tags"}, {"kind": "mean", "half_life_days": 30}),
    "user_text": ({"kind": "text", "fields": "title,categories,tags"}, {"kind": "text", "last_n": 10}),
}
BASELINES = {
    "popularity": {"kind": "popularity"},
    "recent_popularity": {"kind": "recent_popularity", "window_days": 7},
    "itemknn": {"kind": "itemknn"},
    "ease": {"kind": "ease"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--methods", default=",".join([*EMBEDDINGS, *BASELINES]))
    parser.add_argument("--versus", default="svd")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--two-tower", default="{}", help="JSON parameters for two_tower (e.g. epochs)")
    parser.add_argument("--learned-on", default="", help="embedding method to put the learned scorer on")
    parser.add_argument("--candidates", type=int, default=100, help="candidates the learned scorer re-orders")
    args = parser.parse_args()
    os.environ.setdefault("VECBENCH_SHARED_DATA", str(ROOT.parent / "shared" / "data"))
    config = load_pipeline_config(args.config)
    log = load_log(config.log)
    replay = split_log(log, config.split)
    requests, train = replay.requests, replay.train
    rule = StageFilter()
    print(f"{config.name}: {len(requests)} requests, {train.n_events} training events, split {replay.protocol}")
    results: dict[str, dict[str, np.ndarray]] = {}
    clusters = np.unique(requests.user, return_inverse=True)[1]
    for method in args.methods.split(","):
        started = time.perf_counter()
        if method in BASELINES:
            generator = fitted_baseline(BaselineSpec(**BASELINES[method]), BaselineData(train, log))
            found = baseline_candidates(generator, requests, K, rule)
            catalogue, unit = np.arange(log.n_items), np.zeros((log.n_items, 1), dtype=np.float32)
            inputs = None
        else:
            spec, users = EMBEDDINGS[method]
            if method.startswith("two_tower"):
                spec = {**spec, **json.loads(args.two_tower)}
            embedder = make_embedder(EmbeddingSpec(**spec))
            metric = embedder.default_metric
            vectors = embedder.fit(train, metric)
            queries, ok = user_matrix(requests, vectors, log.n_items, UserSpec(**users))
            depth = max(K, args.candidates) if method == args.learned_on else K
            found = exact_candidates(
                vectors.vectors, vectors.items, queries, ok, requests.history_items, depth, metric, rule
            )
            catalogue = vectors.items
            unit = np.zeros((log.n_items, vectors.dim), dtype=np.float32)
            unit[vectors.items] = normalised(vectors.vectors)
            inputs = (queries, vectors, metric)
        wall = time.perf_counter() - started
        ctx = EvalContext.build(requests, train, catalogue, unit, [10, 50], 10)
        stage_inputs = StageInputs(
            requests=requests,
            user_vectors=inputs[0] if inputs else np.zeros((len(requests), 1), np.float32),
            item_vectors=inputs[1].vectors if inputs else np.zeros((1, 1), np.float32),
            rows=inputs[1].rows_of(log.n_items) if inputs else np.zeros(log.n_items, np.int64),
            unit_vectors=unit,
            metric=inputs[2] if inputs else Metric.INNER_PRODUCT,
            stats=ItemStats.from_log(train),
            categories=log.items.categories,
        )
        values = evaluate(run_stages(found, stage_inputs, None, [], K), ctx)
        row = {m: np.asarray(values[("final", m, "all")], dtype=np.float64) for m in ("ndcg@10", "recall@50")}
        results[method] = row
        report(method, row, results, args, clusters, wall)
        if method == args.learned_on and method in EMBEDDINGS:
            started = time.perf_counter()
            scorer = make_scorer(ScorerSpec(kind="learned"))
            p = scorer.params
            examples = learned_examples(
                train, embedder, metric, UserSpec(**users), args.candidates, p["train_fraction"],
                p["max_requests"], p["seed"], config.split, True,
            )  # fmt: skip
            scorer.fit(examples)
            scored = evaluate(run_stages(found, stage_inputs, scorer, [], K), ctx)
            wall = time.perf_counter() - started
            row = {m: np.asarray(scored[("final", m, "all")], dtype=np.float64) for m in ("ndcg@10", "recall@50")}
            results[f"{method}+learned"] = row
            report(f"{method}+learned", row, results, args, clusters, wall, versus=method)
            print(f"{'':>18}  {scorer.note}", flush=True)


def report(
    method: str,
    row: dict[str, np.ndarray],
    results: dict[str, dict[str, np.ndarray]],
    args: argparse.Namespace,
    clusters: np.ndarray,
    wall: float,
    versus: str | None = None,
) -> None:
    """One printed line: each metric's mean and interval, the paired delta against the reference."""
    cells = []
    for m, v in row.items():
        ci = paired_bootstrap(v, np.zeros_like(v), clusters, args.bootstrap, 0)
        cells.append(f"{m} {np.nanmean(v):.4f} [{ci.low:.4f}, {ci.high:.4f}]")
    for name in dict.fromkeys([args.versus, *([versus] if versus else [])]):
        if name in results and method != name:
            d = paired_bootstrap(row["ndcg@10"], results[name]["ndcg@10"], clusters, args.bootstrap, 0)
            cells.append(f"vs {name} ndcg@10 {d.delta:+.4f} [{d.low:+.4f}, {d.high:+.4f}]")
    print(f"{method:>18}  " + "  ".join(cells) + f"  wall {wall:.1f} s", flush=True)


if __name__ == "__main__":
    main()
