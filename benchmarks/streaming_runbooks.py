"""Rebuild vs incremental vs hybrid under big-ann's clustered and delete runbooks on GloVe-100k.

    python benchmarks/streaming_runbooks.py [--out runs/streaming-glove] [--queries 200]

Runs vecbench experiments through the normal runner (every figure measured as in any result row;
a re-run resumes): GloVe 6B 50-d, 100,000 base vectors and held-out queries, with big-ann's
``clustered_runbook.yaml`` and ``delete_runbook.yaml`` (key msturing-10M-clustered, 10M ids scaled
by 0.01 onto the 100,000 rows: ``scale: fit``). hnswlib (mark-deleted, slot reuse), faiss-IVF
(remove_ids) and faiss-HNSW (add only: tombstone filter) each run incremental, rebuild_every: 4
and, for the delete runbook, hybrid: 0.2. Then it prints one table per runbook: recall@10 mean, min
and worst step, freshness p50/p99 (ms until an inserted item is found by its own vector; until a
deleted one is no longer returned), insert/delete rows/s, rebuild count and time, deleted ids
returned, and the wall time of each point. GloVe's rows are frequency-ordered, so the runbooks'
contiguous ranges insert frequent words first (a drift, though not big-ann's cluster order).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.reports.store import ResultStore

RUNBOOKS = Path(__file__).resolve().parents[2] / "shared" / "data" / "big-ann-runbooks"
ADAPTERS: list[dict[str, Any]] = [
    {"adapter": "hnswlib", "build": {"M": 16, "ef_construction": 100}, "query": {"ef": 64}},
    {"adapter": "faiss-ivf", "build": {"nlist": 256}, "query": {"nprobe": 16}},
    {"adapter": "faiss-hnsw", "build": {"M": 16, "ef_construction": 100}, "query": {"ef_search": 64}},
]
COLUMNS = [
    "label",
    "policy",
    "recall_mean",
    "recall_min",
    "worst_step",
    "visible_p50_ms",
    "visible_p99_ms",
    "gone_p50_ms",
    "gone_p99_ms",
    "insert_rows_per_s",
    "delete_rows_per_s",
    "rebuilds",
    "rebuild_s",
    "deleted_returned",
    "build_s",
    "rss_peak_MB",
]


def experiment(runbook: str, policies: list[Any], queries: int, runbooks: Path) -> dict[str, Any]:
    return {
        "name": f"streaming-glove-{runbook.split('_')[0]}",
        "dataset": {"name": "glove-6b-50", "n_base": 100_000, "n_queries": queries},
        "k": 10,
        "warmup_queries": 20,
        "runbook": {"path": str(runbooks / runbook), "key": "msturing-10M-clustered", "scale": "fit"},
        "indexes": [{**a, "policy": p, "label": a["adapter"]} for p in policies for a in ADAPTERS],
    }


def table(out: Path) -> pd.DataFrame:
    frame = ResultStore(out).read()
    frame["rss_peak_MB"] = frame["rss_peak_bytes"] / 2**20
    return frame.sort_values(["label", "policy"])[COLUMNS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/streaming-glove", help="output folder (re-running resumes)")
    parser.add_argument("--queries", type=int, default=200, help="held-out queries per search step")
    parser.add_argument("--runbooks", type=Path, default=RUNBOOKS, help="folder of big-ann runbooks")
    args = parser.parse_args()
    plans = [
        ("clustered_runbook.yaml", ["incremental", {"rebuild_every": 4}]),
        ("delete_runbook.yaml", ["incremental", {"hybrid": 0.2}, {"rebuild_every": 4}]),
    ]
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    for runbook, policies in plans:
        out = Path(args.out) / runbook.split("_")[0]
        summary = Runner(parse_config(experiment(runbook, policies, args.queries, args.runbooks)), out).run()
        print(f"\n{runbook} (key msturing-10M-clustered, scale fit) on GloVe-100k: {summary.wall_s:.0f} s")
        print(table(out).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
