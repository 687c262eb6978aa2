"""Pipeline point keys stay what round 1 wrote, so its results resume and its baselines match.

The config below is round 1's ``configs/synthetic-pipeline.yaml``; the keys are those its rows got
from round 1's code (measured by running it). Options added since (corrections, permutations, cold
start, as_of, ...) leave them unchanged at their defaults.
"""

from __future__ import annotations

import yaml

from vecbench.bench.pipeline_config import parse_pipeline_config
from vecbench.bench.recsys_plan import EXACT, RunKeys, config_fingerprint, expand_points, planned_runs
from vecbench.datasets.logs.registry import load_log
from vecbench.indexes.base import Metric
from vecbench.pipeline.stage_filter import stage_filter_from_config

ROUND_ONE = """
kind: pipeline
name: synthetic-pipeline
log: {name: synthetic, seed: 0, options: {n_users: 600, n_items: 600}}
split: {kind: global_time, train_fraction: 0.8, replay_steps: 2, min_history: 3}
embedding: {kind: svd, dim: 16}
users: {kind: mean, half_life_days: 30}
retrieval:
  k_candidates: [100]
  indexes:
    - adapter: hnswlib
      build: {M: [4, 16], ef_construction: 16, build_threads: 1}
      query: {ef: [10, 200]}
    - adapter: faiss-ivf
      build: {nlist: 32}
      query: {nprobe: [1, 8]}
scorer: {kind: learned}
rerank:
  - {kind: mmr, lambda: 0.8, pool: 100}
  - {kind: category_cap, max_per_category: 4}
baselines: [popularity]
evaluation: {cutoffs: [10, 50]}
drift: {probe_items: 200, k: 10}
"""

ROUND_ONE_KEYS = {
    "exact": "ae433c648594d93c",
    "hnswlib M=4 ef_construction=16 ef=10 post-adaptive": "3286cf281b3c242c",
    "hnswlib M=16 ef_construction=16 ef=200 post-adaptive": "199bc122e5c5c679",
    "faiss-ivf nlist=32 nprobe=8 post-adaptive": "1c029b5b4afb7a27",
}


def test_round_one_pipeline_keys_are_unchanged() -> None:
    config = parse_pipeline_config(yaml.safe_load(ROUND_ONE))
    fingerprint = config_fingerprint(config)
    assert fingerprint == "41c6fdeb1db7eb54"
    stage = stage_filter_from_config(config.retrieval, load_log(config.log))
    keys = RunKeys(config.name, fingerprint, stage.text)
    runs = planned_runs(EXACT, (100,), keys, exact=True)
    for point in expand_points(config, Metric.ANGULAR):
        runs += planned_runs(point, (100,), keys)
    found = {run.identity.label: run.key for run in runs}
    assert {label: found[label] for label in ROUND_ONE_KEYS} == ROUND_ONE_KEYS
