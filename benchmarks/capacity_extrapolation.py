"""Capacity fits, validated: run a size sweep, fit each configuration's costs on all sizes but the
largest, predict the largest and print the errors against issue 14's targets (memory within 10%,
p99 and build time within 25%, recall at fixed parameters within 0.02), then the planner's answer
for 10M and 100M items at 1,000 QPS / p99 10 ms / recall 0.95.

    python benchmarks/capacity_extrapolation.py [CONFIG] [--out DIR]

Default CONFIG: configs/capacity-synthetic.yaml (synthetic, up to 1M items). Re-running resumes.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

from vecbench.bench.config import load_config
from vecbench.bench.runner import Runner
from vecbench.capacity.fits import effort_for_recall, fit_results, fit_table, memory_constants
from vecbench.capacity.plan_cli import plain
from vecbench.capacity.planner import Target, format_plan, plan
from vecbench.capacity.prices import machines_for
from vecbench.capacity.report import plan_markdown
from vecbench.reports.store import ResultStore

# metric -> (limit, "rel" or "abs") of the held-out error at the largest size
TARGETS = {
    "index_bytes": (0.10, "rel"),
    "rss_peak_bytes": (0.10, "rel"),
    "latency_p99_ms": (0.25, "rel"),
    "build_s": (0.25, "rel"),
    "recall": (0.02, "abs"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("config", nargs="?", default="configs/capacity-synthetic.yaml")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    config = load_config(args.config)
    out = Path(args.out or f"runs/{config.name}")
    Runner(config, out, progress=False).run()
    frame = ResultStore(out).read()
    fits = fit_results(frame)
    table = fit_table(fits)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_colwidth", 40)
    print(f"sizes measured: {sorted(frame['n_base'].unique().tolist())}")
    print(table[["adapter", "build_params", "query_params", "metric", "model", "a", "b", "heldout_n",
                 "heldout_predicted", "heldout_measured", "heldout_rel_error", "heldout_abs_error",
                 "heldout_inside_pi"]].to_string(index=False))  # fmt: skip
    print("\nquery effort needed for recall >= 0.95 at each size:")
    for row in effort_for_recall(frame, 0.95):
        print(f"  {row}")
    print("\nbytes per vector, fitted vs formulas:")
    print(pd.DataFrame(memory_constants(frame, fits)).to_string(index=False))
    print("\nheld-out error at the largest size against the targets:")
    for metric, (limit, kind) in TARGETS.items():
        rows = table[table["metric"] == metric]
        errors = rows["heldout_abs_error" if kind == "abs" else "heldout_rel_error"].abs()
        met = int((errors <= limit).sum())
        worst = float(errors.max()) if len(errors) else math.nan
        print(
            f"  {metric:<16} {met}/{len(rows)} within {limit:g} ({kind}); median {errors.median():.3f}, worst {worst:.3f}"
        )
    for items in (10_000_000, 100_000_000):
        answer = plan(frame, Target(items, 1000, 10, 0.95), machines_for(None, None), None, out)
        print()
        print(format_plan(answer))
        (out / f"plan-{items}.json").write_text(json.dumps(plain(answer), indent=2, allow_nan=False))
    (out / "capacity.md").write_text(plan_markdown(frame, answer))


if __name__ == "__main__":
    main()
