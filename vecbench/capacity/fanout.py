"""The fan-out tail: a query sent to S shards waits for the slowest, so its p99 is a higher
quantile of one shard's latency: P(max of S < t) = F(t)^S, hence the 0.99^(1/S) quantile.

The quantile is read from the measured single-query latencies (the raw samples of the point at
the largest measured size) and kept as a factor over that point's p99, which the planner applies
to the p99 predicted at the shard size. Shards are taken as independent; a shared cause (a
machine-wide stall) makes the real tail heavier, never lighter. Beyond what the samples resolve
(S so large that fewer than one sample lies above the quantile) the slowest sample is used and
the factor is marked as a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vecbench.capacity.load_throughput import Config


@dataclass(frozen=True)
class FanoutTail:
    samples: np.ndarray  # single-query latencies (ms) of one shard-sized index
    n_base: int

    def quantile(self, shards: int) -> float:
        return 0.99 ** (1.0 / max(1, shards))

    def resolved(self, shards: int) -> bool:
        """Whether the samples hold at least one value above the fan-out quantile."""
        return (1.0 - self.quantile(shards)) * self.samples.size >= 1.0

    def factor(self, shards: int) -> float:
        """p99 of the slowest of ``shards`` over one shard's p99 (1.0 for one shard)."""
        p99 = float(np.quantile(self.samples, 0.99))
        tail = (
            float(np.quantile(self.samples, self.quantile(shards)))
            if self.resolved(shards)
            else float(self.samples.max())
        )
        return max(1.0, tail / p99) if p99 > 0 else 1.0


def fanout_tails(frame: pd.DataFrame, out_dir: Path) -> dict[Config, FanoutTail]:
    """Per configuration, its measured latencies at the largest size whose raw file is present."""
    ok = frame[(frame["status"] == "ok") & frame["raw_path"].notna()]
    for column in ("pass_rate", "load_mode"):
        if column in ok:
            ok = ok[ok[column].isna()]
    tails: dict[Config, FanoutTail] = {}
    for _, row in ok.sort_values("n_base").iterrows():
        path = out_dir / str(row["raw_path"])
        if not path.is_file():
            continue
        with np.load(path) as raw:
            latencies = (
                np.asarray(raw["latencies_ns"], dtype=np.float64) / 1e6 if "latencies_ns" in raw else None
            )
        if latencies is None or latencies.size < 100:
            continue
        config = (str(row["adapter"]), str(row["build_params"]), str(row["query_params"]))
        tails[config] = FanoutTail(latencies, int(row["n_base"]))  # later (larger) sizes replace earlier
    return tails
