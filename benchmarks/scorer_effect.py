"""Does the scoring stage help? Exact retrieval order against the scored order, NDCG@10 per k.

    python benchmarks/scorer_effect.py [--no-check] CONFIG ...

Runs each pipeline config with exact retrieval only (no index points, no drift) and prints the
``exact/scoring vs exact/retrieval`` rows (delta, bootstrap interval, randomisation p, Holm-adjusted
p), how many paired rows have a delta outside their interval (must be 0), the per-window NDCG@10
of the final lists and the learned scorer's own check. ``--no-check``
turns the learned scorer's check off (``validate: false``), as the scorer was before it.
The MovieLens configs need VECBENCH_SHARED_DATA (default ../shared/data).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from vecbench.bench.pipeline_config import load_pipeline_config
from vecbench.bench.pipeline_runner import PipelineRunner
from vecbench.pipeline.scoring import ScorerSpec
from vecbench.reports.pipeline_store import PipelineStore

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["k_candidates", "value", "exact_value", "delta", "delta_low", "delta_high", "p_value", "p_adjusted"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("VECBENCH_SHARED_DATA", str(ROOT.parent / "shared" / "data"))
    for path in args.configs:
        config = load_pipeline_config(path)
        update: dict[str, object] = {"retrieval": config.retrieval.model_copy(update={"indexes": []}), "drift": None}
        if args.no_check and config.scorer.kind == "learned":
            update["scorer"] = ScorerSpec(kind="learned", **{**config.scorer.params(), "validate": False})
        config = config.model_copy(update=update)
        with tempfile.TemporaryDirectory() as out:
            summary = PipelineRunner(config, out, progress=False).run()
            frame = PipelineStore(out).read()
            checks = json.loads((Path(out) / "pipeline_checks.json").read_text())
        ndcg = frame[(frame["metric"] == "ndcg@10") & (frame["cohort"] == "all")]
        check = ndcg[ndcg["retrieval"] == "exact/scoring vs exact/retrieval"]
        windows = frame[(frame["retrieval"] == "exact") & (frame["stage"] == "final") & (frame["metric"] == "ndcg@10")
                        & frame["cohort"].str.startswith("window:")]  # fmt: skip
        paired = frame[frame["delta_low"].notna()]
        outside = paired[(paired["delta"] < paired["delta_low"]) | (paired["delta"] > paired["delta_high"])]
        print(f"== {path} ({summary.wall_s:.0f} s): {checks.get('scorer') or 'no learned scorer'}")
        print(f"paired rows: {len(paired)}, delta outside [delta_low, delta_high]: {len(outside)}")
        print("scoring (value) vs retrieval order (exact_value), NDCG@10:")
        print(check[COLUMNS].round(4).to_string(index=False))
        print("final NDCG@10 per replay window:")
        print(windows[["k_candidates", "cohort", "value", "n_requests"]].round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
