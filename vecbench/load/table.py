"""The load rows as a terminal table under the sweep's, with each index's headline."""

from __future__ import annotations

import pandas as pd

from vecbench.load.analysis import headline, load_rows

SHOWN = (
    "label", "query_params", "load_mode", "served", "client_kind", "offered_rate", "clients", "achieved_qps",
    "load_p50_ms", "load_p99_ms", "load_p999_ms", "load_max_ms", "errors", "timeouts", "queue_delay_share",
    "cpu_utilisation", "status",
)  # fmt: skip


def format_load(frame: pd.DataFrame, recall_min: float = 0.9) -> str:
    """Empty when the frame has no load rows."""
    loads = load_rows(frame)
    if loads.empty:
        return ""
    table = loads.sort_values(["label", "query_params", "served", "load_mode", "offered_rate", "clients"])
    text = table[[c for c in SHOWN if c in table]].to_string(
        index=False, float_format=lambda v: f"{v:.4g}", na_rep="-"
    )
    lines = ["", "load (open: latency from each request's intended start; closed: from its send):", text]
    top = headline(frame, recall_min)
    for _, row in top.iterrows():
        path = "served" if row["served"] else "in-process"
        if pd.isna(row["max_qps"]):
            lines.append(
                f"  {row['label']} ({path}): no offered rate kept p99 <= {row['p99_limit_ms']:g} ms "
                f"at recall >= {recall_min:g}"
            )
        else:
            lines.append(
                f"  {row['label']} ({path}): max {row['max_qps']:.4g} QPS with p99 <= "
                f"{row['p99_limit_ms']:g} ms at recall {row['recall']:.3f} >= {recall_min:g} ({row['at_query_params']})"
            )
    return "\n".join(lines)
