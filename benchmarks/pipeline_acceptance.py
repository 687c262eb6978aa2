"""Run the pipeline configs end to end and print wall time against target and the headline figures.

    python benchmarks/pipeline_acceptance.py [--repeat N] [CONFIG ...]

Targets: MovieLens configs under 300 s, the synthetic one under 60 s (2 cores). The MovieLens
configs need VECBENCH_SHARED_DATA (default ../shared/data) to hold the logs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = {
    "configs/synthetic-pipeline.yaml": 60.0,
    "configs/movielens-100k.yaml": 300.0,
    "configs/movielens-100k-filtered.yaml": 300.0,
    "configs/movielens-latest-small.yaml": 300.0,
    "configs/movielens-100k-text.yaml": 300.0,
}


def headline(out: Path) -> str:
    frame = pd.read_parquet(out / "pipeline.parquet")
    final = frame[(frame["stage"] == "final") & (frame["cohort"] == "all") & (frame["status"] == "ok")]
    table = final[final["metric"].isin(["ndcg@10", "recall@50"])].pivot_table(
        index=["retrieval", "k_candidates"], columns="metric", values=["value", "delta", "delta_low", "delta_high"]
    )
    points = final.drop_duplicates(["retrieval", "k_candidates"]).set_index(["retrieval", "k_candidates"])
    for column in ("pass_rate", "short_result_frac"):
        if column in points.columns:
            table[(column, "")] = points[column]
    return table.round(4).to_string()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("configs", nargs="*", default=list(DEFAULT))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    for config in args.configs:
        times = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as scratch:
                start = time.monotonic()
                done = subprocess.run(
                    [sys.executable, "-m", "vecbench.cli", "run", config, "--out", scratch, "--no-progress"],
                    cwd=ROOT, capture_output=True, text=True, check=False,
                )  # fmt: skip
                times.append(time.monotonic() - start)
                if done.returncode != 0:
                    print(f"{config}: failed: {done.stderr.strip()}")
                    break
                table = headline(Path(scratch))
        else:
            target = DEFAULT.get(config, float("inf"))
            median = statistics.median(times)
            verdict = "ok" if median < target else "OVER TARGET"
            print(f"\n{config}: median wall {median:.1f} s over {len(times)} run(s) (target < {target:.0f} s): {verdict}")
            print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
