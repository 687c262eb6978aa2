"""Plain-text view of pipeline results: each retrieval configuration against exact retrieval."""

from __future__ import annotations

import pandas as pd


def _fmt_delta(row: pd.Series) -> str:
    if pd.isna(row.get("delta")):
        return "-"
    low, high = row.get("delta_low"), row.get("delta_high")
    interval = "" if pd.isna(low) else f" [{low:+.4f}, {high:+.4f}]"
    flag = row.get("significant")
    star = "*" if not pd.isna(flag) and bool(flag) else ""
    return f"{row['delta']:+.4f}{interval}{star}"


def format_pipeline(frame: pd.DataFrame) -> str:
    """Headline relevance per configuration with deltas vs exact, candidate recall, latency, worst cohort."""
    if frame.empty:
        return "no pipeline results yet"
    ok = frame[(frame["status"] == "ok") & (frame["stage"] != "embedding")]
    cutoffs = sorted({int(m.split("@")[1]) for m in ok["metric"] if m.startswith("ndcg@")})
    if not cutoffs:
        return "no pipeline results yet"
    first, last = f"ndcg@{cutoffs[0]}", f"recall@{cutoffs[-1]}"
    lines = []
    records = []
    for (label, k), group in ok.groupby(["retrieval", "k_candidates"], sort=False):
        final = group[group["stage"] == "final"].set_index(["metric", "cohort"])
        retrieval = group[group["stage"] == "retrieval"].set_index(["metric", "cohort"])
        cohorts = final.xs(first, level="metric")
        cohorts = cohorts[cohorts.index.str.startswith("activity:")]
        worst = cohorts["value"].idxmin() if not cohorts.empty else "-"
        candidate = retrieval[retrieval.index.get_level_values(0).str.startswith("candidate_recall")]
        records.append(
            {
                "retrieval": label,
                "k": int(k),
                first: final.loc[(first, "all"), "value"],
                f"Δ{first} [CI]": _fmt_delta(final.loc[(first, "all")]),
                last: final.loc[(last, "all"), "value"],
                f"Δ{last} [CI]": _fmt_delta(final.loc[(last, "all")]),
                "cand_recall": candidate["value"].iloc[0] if not candidate.empty else float("nan"),
                "retr_p50_ms": retrieval.loc[("latency_p50_ms", "all"), "value"],
                "worst cohort": f"{worst.split(':')[1]} {cohorts.loc[worst, 'value']:.4f}" if worst != "-" else "-",
            }
        )
    lines.append(pd.DataFrame(records).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    lines.append("Δ: value - exact retrieval (same k), paired bootstrap interval over users; * excludes 0.")
    drift = frame[(frame["status"] == "ok") & (frame["stage"] == "embedding")]
    for _, row in drift.iterrows():
        lines.append(f"drift {row['metric']} {row['cohort']}: {row['value']:.4f} over {row['n_requests']} probe items")
    failed = frame[frame["status"] != "ok"]
    for _, row in failed.iterrows():
        lines.append(f"failed: {row['retrieval']} k={row['k_candidates']}: {row['error']}")
    return "\n".join(lines)
