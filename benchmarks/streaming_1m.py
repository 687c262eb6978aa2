"""The 1M-vector streaming target: 20 inserts and 10 deletes on hnswlib, incremental, on 2 cores.

    python benchmarks/streaming_1m.py [--out runs/streaming-1m] [--queries 1000] [--n 1000000]

Writes a runbook in big-ann's schema (``OUT/runbook.yaml``, key ``synthetic-1M``): 20 inserts of
n/20 ids each, a delete of the oldest n/40 live ids after every second insert
(10 deletes, a sliding window), and a search after every update step. The data are vecbench's
seeded clustered Gaussian blobs, 64-d. It runs through the normal runner and prints the wall
time, the worker's peak RSS, the index size and the per-step table; the target is at most 30
minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.reports.store import ResultStore
from vecbench.streaming.runner import STEPS_FILE


def sliding_runbook(n: int, inserts: int = 20, deletes: int = 10) -> dict[str, Any]:
    """Inserts of n/inserts ids; after every second insert, delete the oldest n/(2*deletes)."""
    chunk, cut = n // inserts, n // (2 * deletes)
    steps: dict[int, dict[str, Any]] = {}
    deleted = 0
    for i in range(inserts):
        steps[len(steps) + 1] = {"operation": "insert", "start": i * chunk, "end": (i + 1) * chunk}
        steps[len(steps) + 1] = {"operation": "search"}
        if i % 2 == 1 and deleted < deletes:
            steps[len(steps) + 1] = {
                "operation": "delete",
                "start": deleted * cut,
                "end": (deleted + 1) * cut,
            }
            steps[len(steps) + 1] = {"operation": "search"}
            deleted += 1
    return {"synthetic-1M": {"max_pts": n, **steps}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/streaming-1m")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "runbook.yaml"
    path.write_text(yaml.safe_dump(sliding_runbook(args.n)))
    config = parse_config(
        {
            "name": "streaming-1m",
            "dataset": {
                "name": "synthetic",
                "n_base": args.n,
                "n_queries": args.queries,
                "seed": 7,
                "options": {"dim": 64, "n_clusters": 256},
            },
            "k": 10,
            "warmup_queries": 50,
            "timeout_s": 3600,
            "runbook": {"path": str(path), "key": "synthetic-1M"},
            "indexes": [
                {
                    "adapter": "hnswlib",
                    "build": {"M": 16, "ef_construction": 100},
                    "query": {"ef": 64},
                    "policy": "incremental",
                }
            ],
        }
    )
    started = time.monotonic()
    Runner(config, out).run()
    wall = time.monotonic() - started
    row = ResultStore(out).read().iloc[0]
    steps = pd.read_parquet(out / STEPS_FILE)
    pd.set_option("display.width", 200)
    print(
        steps[
            [
                "step",
                "operation",
                "live_count",
                "recall",
                "deleted_returned",
                "latency_p50_ms",
                "qps",
                "rows",
                "seconds",
            ]
        ].to_string(index=False)
    )
    print(
        f"\n{args.n:,} vectors, 64-d: wall {wall / 60:.1f} min (target <= 30), status {row['status']}, "
        f"peak RSS {row['rss_peak_bytes'] / 2**30:.2f} GiB, index {row['index_bytes'] / 2**20:.0f} MiB, "
        f"recall mean {row['recall_mean']:.3f} min {row['recall_min']:.3f} (step {row['worst_step']}), "
        f"insert {row['insert_rows_per_s']:.0f} rows/s, delete {row['delete_rows_per_s']:.0f} rows/s, "
        f"visible p50 {row['visible_p50_ms']:.0f} ms p99 {row['visible_p99_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
