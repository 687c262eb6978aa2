"""Injected regressions of several sizes, and what the regression gate says about each.

On real data (GloVe 6B 50-d, 20,000 base vectors, 500 held-out queries), hnswlib behind
``vecbench.testing.drift.DriftingAdapter`` is run once as the baseline and once per injection, with
the config unchanged (so every point matches), and gated under the default policy. Injections:
query effort lowered (ef // n), extra CPU work per query (spin), waiting per query (sleep), a bigger
index (M x f), a crash in search. Prints one line per injection: the exit code and the failing
checks with the measured change, so the smallest detected size of each kind can be read off.

    python benchmarks/gate_injected.py [--out NEW_DIR] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.gate.checks import Status
from vecbench.gate.policy import GatePolicy
from vecbench.gate.verdict import Verdict, run_gate
from vecbench.testing.drift import ENV_VAR

INJECTIONS = [
    ("", "nothing (control rerun)"),
    ("ef_divisor=2", "query effort halved (ef 16->8, 64->32)"),
    ("ef_divisor=4", "query effort / 4"),
    ("spin_us=2", "+2 us CPU work per query"),
    ("spin_us=5", "+5 us CPU work per query"),
    ("spin_us=10", "+10 us CPU work per query"),
    ("spin_us=25", "+25 us CPU work per query"),
    ("sleep_us=100", "100 us sleep per query (waiting, no CPU)"),
    ("m_factor=1.25", "index built with M 12->15"),
    ("m_factor=2", "index built with M 12->24"),
    ("fail=1", "search raises"),
]


def config(repeats: int) -> Any:
    return parse_config(
        {
            "name": "gate-injected",
            "dataset": {"name": "glove-6b-50", "n_base": 20000, "n_queries": 500, "seed": 0},
            "k": 10,
            "repeats": repeats,
            "runs": 3,
            "indexes": [
                {
                    "adapter": "vecbench.testing.drift:DriftingAdapter",
                    "build": {"M": 12, "ef_construction": 100, "build_threads": 1},
                    "query": {"ef": [16, 64]},
                }
            ],
        }
    )


def run(out: Path, drift: str, repeats: int) -> Path:
    os.environ[ENV_VAR] = drift  # the spawned workers read it
    try:
        Runner(config(repeats), out, progress=False).run()
    finally:
        del os.environ[ENV_VAR]
    return out


def summary(verdict: Verdict) -> str:
    """'latency_p50_ms +31% [+25%, +38%] (ef=16), ...' for the failing checks, worst per metric."""
    worst: dict[str, Any] = {}
    for check in verdict.failures():
        previous = worst.get(check.metric)
        if previous is None or abs(check.change or 0) > abs(previous.change or 0):
            worst[check.metric] = check
    parts = []
    for metric, check in worst.items():
        if check.change is None:
            parts.append(f"{metric} {check.status.value} ({check.point.query_params})")
            continue
        change = f"{check.change:+.1%}" if check.relative else f"{check.change:+.4f}"
        interval = "" if check.low is None else f" [{check.low:+.0%}, {check.high:+.0%}]"
        parts.append(f"{metric} {change}{interval}")
    return "; ".join(parts) or "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", help="a new directory for the runs (default: a temporary one)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="gate-injected-"))
    if out.exists() and any(out.iterdir()):
        parser.error(f"{out} is not empty: results there would be resumed, not measured")
    started = time.monotonic()
    baseline = run(out / "baseline", "", args.repeats)
    print(
        f"{'injection':15s} {'what':42s} exit  failing checks (worst point per metric; change [95% interval])"
    )
    for drift, what in INJECTIONS:
        current = run(out / (drift.replace("=", "-") or "control"), drift, args.repeats)
        verdict = run_gate(baseline, current, GatePolicy())
        warned = sorted({c.metric for c in verdict.checks if c.gated and c.status is Status.WARN})
        print(
            f"{drift or 'none':15s} {what:42s} {verdict.exit_code:4d}  {summary(verdict)} | {', '.join(warned) or '-'}",
            flush=True,
        )
    print(f"\n{len(INJECTIONS) + 1} runs of {args.repeats} repeats in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
