"""False positives of the regression gate: unchanged reruns of configs/ci-gate.yaml on this machine.

Runs the config ``--reruns`` times and gates every rerun (a) against the committed baseline
(benchmarks/baselines/ci-gate, recorded earlier on this machine) and (b) against every other rerun
(all ordered pairs: no baseline is special). Nothing changed, so every failing verdict is a false
positive. Also prints, per metric, how close the worst check came to its limit: the lower end of
its interval of worsening over the limit (>= 1 fails).

    python benchmarks/gate_false_positives.py [--reruns 10] [--policy configs/gate.yaml]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from vecbench.bench.config import load_config
from vecbench.bench.runner import Runner
from vecbench.gate.checks import Check
from vecbench.gate.policy import load_policy
from vecbench.gate.verdict import Verdict, run_gate
from vecbench.metrics.catalog import parse_metric_spec

ROOT = Path(__file__).resolve().parent.parent


def closeness(check: Check) -> float | None:
    """How far into its limit a check's worsening went: its least-bad bound / limit (> 1 fails)."""
    if check.change is None or not check.limit:
        return None
    sign = -1.0 if parse_metric_spec(check.metric)[0].higher_is_better else 1.0
    bounds = [check.change] if check.low is None or check.high is None else [check.low, check.high]
    return min(sign * value for value in bounds) / check.limit


def tally(name: str, verdicts: list[Verdict]) -> None:
    failed = [v for v in verdicts if v.exit_code != 0]
    print(
        f"{name}: {len(failed)} of {len(verdicts)} verdicts failed (false-positive rate {len(failed) / len(verdicts):.1%})"
    )
    for verdict in failed:
        print(
            "   ",
            verdict.current,
            [f"{c.point.query_params} {c.metric} {c.change}" for c in verdict.failures()],
        )
    worst: dict[str, float] = defaultdict(lambda: float("-inf"))
    for verdict in verdicts:
        for check in verdict.checks:
            value = closeness(check)
            if value is not None and check.gated:
                worst[check.metric] = max(worst[check.metric], value)
    print(
        "    worst check per metric, as a share of its limit: "
        + ", ".join(f"{m} {v:.2f}" for m, v in worst.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--config", default=str(ROOT / "configs" / "ci-gate.yaml"))
    parser.add_argument("--baseline", default=str(ROOT / "benchmarks" / "baselines" / "ci-gate"))
    parser.add_argument("--policy", default=str(ROOT / "configs" / "gate.yaml"))
    args = parser.parse_args()
    policy = load_policy(args.policy)
    out = Path(tempfile.mkdtemp(prefix="gate-fp-"))
    started = time.monotonic()
    runs = []
    for rerun in range(args.reruns):
        runs.append(out / f"rerun-{rerun}")
        Runner(load_config(args.config), runs[-1], progress=False).run()
        print(f"rerun {rerun + 1}/{args.reruns} done at {time.monotonic() - started:.0f} s", flush=True)
    tally("against the committed baseline", [run_gate(args.baseline, run, policy) for run in runs])
    tally(
        "every rerun against every other",
        [run_gate(a, b, policy) for a, b in itertools.permutations(runs, 2)],
    )
    print(f"runs in {out}; {time.monotonic() - started:.0f} s in all")


if __name__ == "__main__":
    main()
