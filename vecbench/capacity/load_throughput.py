"""What one core carries at a p99 limit, measured by the load generator, for the planner.

A load sweep (``load: {mode: open, rate: [..]}``) finds the highest offered rate whose p99 stays
under a limit; the planner asks that question at *its* limit, so the curve is re-read here with the
target's p99. Throughput per busy core is the achieved QPS over the CPU the run used there
(``cpu_utilisation``, in cores), so concurrency costs (locks, queueing, the GIL) are inside the
figure, which single-thread CPU time per query leaves out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from vecbench.load.analysis import load_rows, saturation

Config = tuple[str, str, str]  # adapter, build params, query params


@dataclass(frozen=True)
class LoadThroughput:
    n_base: int
    per_core_qps: float
    saturation_qps: float
    cores_busy: float
    served: bool


def load_throughput(frame: pd.DataFrame, p99_limit_ms: float) -> dict[Config, LoadThroughput]:
    """Per configuration, the per-core throughput at the largest size with an open-loop curve that
    holds ``p99_limit_ms``; in-process curves are preferred to served ones (the service's own cost is
    the network, which a plan for an in-process index does not pay)."""
    loads = load_rows(frame)
    loads = loads[(loads["status"] == "ok") & (loads["load_mode"] == "open")] if not loads.empty else loads
    found: dict[Config, LoadThroughput] = {}
    for n_base in sorted(loads["n_base"].unique()) if not loads.empty else []:
        at_size = frame[frame["n_base"] == n_base].copy()
        at_size["p99_limit_ms"] = p99_limit_ms
        curves = saturation(at_size)
        for _, curve in curves.iterrows():
            if not math.isfinite(float(curve["saturation_qps"])):
                continue
            row = _row_at(loads[loads["n_base"] == n_base], curve)
            if row is None or not float(row["cpu_utilisation"]) > 0:
                continue
            config = (str(row["adapter"]), str(row["build_params"]), str(row["query_params"]))
            figure = LoadThroughput(
                n_base=int(n_base),
                per_core_qps=float(curve["saturation_qps"]) / float(row["cpu_utilisation"]),
                saturation_qps=float(curve["saturation_qps"]),
                cores_busy=float(row["cpu_utilisation"]),
                served=bool(curve["served"]),
            )
            known = found.get(config)
            if known is None or (known.served, -known.n_base) > (figure.served, -figure.n_base):
                found[config] = figure
    return found


def _row_at(loads: pd.DataFrame, curve: pd.Series) -> pd.Series | None:
    """The load row of ``curve`` at its saturation rate."""
    match = loads[
        (loads["label"] == curve["label"])
        & (loads["build_params"] == curve["build_params"])
        & (loads["query_params"] == curve["query_params"])
        & (loads["served"].fillna(False) == bool(curve["served"]))
        & (loads["offered_rate"] == curve["saturation_rate"])
    ]
    return None if match.empty else match.iloc[-1]
