"""What a load sweep says per index: the latency-vs-offered-load curve, the saturation point (the
highest offered rate whose p99 stays under the sweep's ``p99_limit_ms``, with no errors and the
offered rate actually achieved) and the headline "max QPS with p99 <= L at recall >= R"."""

from __future__ import annotations

import pandas as pd

ACHIEVED_SHARE = 0.95  # a rate counts as sustained when at least this share of it was achieved
CURVE = ("label", "build_params", "query_params", "served", "arrivals", "burst", "clients")


def load_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if "load_mode" not in frame:
        return frame.iloc[0:0]
    return frame[frame["load_mode"].notna()]


def with_recall(frame: pd.DataFrame) -> pd.DataFrame:
    """Load rows with the recall of their query point's static row (same index, same params)."""
    loads = load_rows(frame)
    static = frame[frame["load_mode"].isna()] if "load_mode" in frame else frame
    recall = static.set_index("point_key")["recall"] if not static.empty else pd.Series(dtype=float)
    out = loads.copy()
    out["recall"] = out["query_key"].map(recall).astype("Float64")
    if "p99_limit_ms" not in out:  # written before the limit was a column: the default
        out["p99_limit_ms"] = 10.0
    return out


def saturation(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per open-loop curve: its saturation rate (NaN when even the lowest rate misses the
    limit), the QPS achieved and p99 there, and the curve's recall."""
    loads = with_recall(frame)
    loads = loads[(loads["load_mode"] == "open") & (loads["status"] == "ok")]
    rows = []
    for keys, curve in loads.groupby(list(CURVE), dropna=False, sort=False):
        curve = curve.sort_values("offered_rate")
        sustained = (
            (curve["load_p99_ms"] <= curve["p99_limit_ms"])
            & (curve["errors"] == 0)
            & (curve["achieved_qps"] >= ACHIEVED_SHARE * curve["offered_rate"])
        )
        # the curve up to its first unsustained rate: a lucky higher rate past a failure is noise
        held = curve[sustained.cummin().astype(bool)]
        best = held.iloc[-1] if not held.empty else None
        rows.append(
            {
                **dict(zip(CURVE, keys, strict=True)),
                "recall": curve["recall"].iloc[0],
                "p99_limit_ms": curve["p99_limit_ms"].iloc[0],
                "rates": len(curve),
                "saturation_rate": float("nan") if best is None else float(best["offered_rate"]),
                "saturation_qps": float("nan") if best is None else float(best["achieved_qps"]),
                "p99_at_saturation_ms": float("nan") if best is None else float(best["load_p99_ms"]),
            }
        )
    return pd.DataFrame(rows)


def headline(frame: pd.DataFrame, recall_min: float) -> pd.DataFrame:
    """Per index (label, build) and path (in-process or served): the highest saturation QPS among
    its query points with recall >= ``recall_min``."""
    curves = saturation(frame)
    if curves.empty:
        return curves
    eligible = curves[(curves["recall"] >= recall_min) & curves["saturation_qps"].notna()]
    rows = []
    for (label, build, served), group in curves.groupby(["label", "build_params", "served"], sort=False):
        mine = eligible[
            (eligible["label"] == label)
            & (eligible["build_params"] == build)
            & (eligible["served"] == served)
        ]
        best = mine.sort_values("saturation_qps").iloc[-1] if not mine.empty else None
        rows.append(
            {
                "label": label,
                "build_params": build,
                "served": served,
                "p99_limit_ms": group["p99_limit_ms"].iloc[0],
                "recall_min": recall_min,
                "max_qps": float("nan") if best is None else best["saturation_qps"],
                "at_query_params": None if best is None else best["query_params"],
                "recall": float("nan") if best is None else best["recall"],
            }
        )
    return pd.DataFrame(rows)
