"""Plain-text view of pipeline results: each retrieval configuration against exact retrieval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from vecbench.reports.terminal import Column, render


def _fmt_delta(row: Mapping[Any, Any]) -> str:
    if pd.isna(row.get("delta")):
        return "-"
    low, high = row.get("delta_low"), row.get("delta_high")
    interval = "" if pd.isna(low) else f" [{low:+.4f}, {high:+.4f}]"
    flag = row.get("significant")
    star = "*" if not pd.isna(flag) and bool(flag) else ""
    return f"{row['delta']:+.4f}{interval}{star}"


def _fmt_p(row: Mapping[Any, Any]) -> str:
    p, adjusted = row.get("p_value"), row.get("p_adjusted")
    if p is None or pd.isna(p):
        return ""
    return f", p {p:.3g}" + ("" if adjusted is None or pd.isna(adjusted) else f" (adjusted {adjusted:.3g})")


def _columns(records: list[dict[str, Any]]) -> list[Column]:
    """The table's columns in terminal form: the configuration folds, figures keep 4 decimals."""

    def cell(key: str) -> Any:
        def show(row: Any) -> str:
            value = row.get(key)
            if isinstance(value, str):
                return value
            return "-" if value is None or pd.isna(value) else f"{float(value):.4f}"

        return show

    keys = list(records[0]) if records else []
    headers = {"cand_recall": "cand recall", "retr_p50_ms": "retr p50 ms"}
    return [
        Column(headers.get(key, key), cell(key), numeric=key != "retrieval")
        if key != "k"
        else Column("k", lambda row: str(row.get("k")))
        for key in keys
    ]


def format_pipeline(frame: pd.DataFrame) -> str:
    """Headline relevance per configuration with deltas vs exact, candidate recall, latency, worst cohort."""
    if frame.empty:
        return "no pipeline results yet"
    pair = frame["adapter"] == "compare" if "adapter" in frame.columns else pd.Series(False, index=frame.index)
    ok = frame[(frame["status"] == "ok") & (frame["stage"] != "embedding") & ~pair]
    pairs = frame[(frame["status"] == "ok") & pair]
    cutoffs = sorted({int(str(m).split("@")[1]) for m in ok["metric"] if str(m).startswith("ndcg@")})
    if not cutoffs:
        return "no pipeline results yet"
    first, last = f"ndcg@{cutoffs[0]}", f"recall@{cutoffs[-1]}"
    records = []
    for (label, k), group in ok.groupby(["retrieval", "k_candidates"], sort=False):
        cells = {(r["stage"], r["metric"], r["cohort"]): r for r in group.to_dict("records")}
        cohorts = {
            c: r["value"]
            for (s, m, c), r in cells.items()
            if s == "final" and m == first and c.startswith("activity:") and pd.notna(r["value"])
        }  # a cohort without requests has no value and cannot be the worst
        worst = min(cohorts, key=lambda c: cohorts[c]) if cohorts else None
        candidate = [
            r["value"]
            for (s, m, _), r in cells.items()
            if s == "retrieval" and m.startswith("candidate_recall")
        ]
        records.append(
            {
                "retrieval": label,
                "k": k,
                first: cells[("final", first, "all")]["value"],
                f"Δ{first} [CI]": _fmt_delta(cells[("final", first, "all")]),
                last: cells[("final", last, "all")]["value"],
                f"Δ{last} [CI]": _fmt_delta(cells[("final", last, "all")]),
                "cand_recall": candidate[0] if candidate else float("nan"),
                "retr_p50_ms": cells[("retrieval", "latency_p50_ms", "all")]["value"],
                "short": cells[("retrieval", "latency_p50_ms", "all")].get("short_result_frac", float("nan")),
                "worst cohort": f"{worst.split(':')[1]} {cohorts[worst]:.4f}" if worst else "-",
            }
        )
    lines = []
    if "filter" in ok.columns and ok["filter"].notna().any():
        first_row = ok.iloc[0]
        named = "" if first_row["filter_name"] == first_row["filter"] else f" ({first_row['filter_name']})"
        lines.append(f"stage-1 filter: {first_row['filter']}{named}; pass-rate {first_row['pass_rate']:.4f}")
    lines.append(render(records, _columns(records), droppable=("short", "retr p50 ms", "worst cohort", "cand recall")))
    lines.append(
        "Δ: value - exact retrieval (same k), paired bootstrap interval over users; * significant: "
        "randomisation-test p corrected across the run's configurations (p_adjusted) below alpha. "
        "short: share of requests with fewer than k candidates."
    )
    for row in pairs[(pairs["metric"] == first) & (pairs["cohort"] == "all")].to_dict("records"):
        lines.append(
            f"compare {row['retrieval']} ({row['stage']}, k={row['k_candidates']}): {first} "
            f"{row['value']:.4f} vs {row['exact_value']:.4f}, Δ {_fmt_delta(row)}{_fmt_p(row)}"
        )
    drift = frame[(frame["status"] == "ok") & (frame["stage"] == "embedding")]
    for row in drift.to_dict("records"):
        lines.append(
            f"drift {row['metric']} {row['cohort']}: {row['value']:.4f} over {row['n_requests']} probe items"
        )
    for row in frame[frame["status"] != "ok"].to_dict("records"):
        lines.append(f"failed: {row['retrieval']} k={row['k_candidates']}: {row['error']}")
    return "\n".join(lines)
