"""Recall/speed frontiers of a result set, ranked by a speed figure that noise moves little.

Wall-clock QPS on a shared machine swings by 2x between unchanged reruns; CPU time per query does
not count the time a search waited for the CPU, so frontiers and best choices rank by it unless the
config's objective asks for ``qps``. A point another point beats on both recall and speed is off the
frontier, unless the difference lies within the measured noise (``vecbench.reports.noise``): then it
stays, marked "within noise", since a rerun could swap the two.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vecbench.reports.noise import intervals

ROBUST_SPEED = "cpu_ms_per_query"
ON, WITHIN_NOISE = "yes", "within noise"


def speed_column(objective: str, frame: pd.DataFrame | None = None) -> str:
    """The speed figure to rank by: the objective when it is ``qps``, else CPU time per query
    (wall QPS when no finished row measured CPU time, as in result sets from older versions)."""
    if objective == "qps":
        return "qps"
    if frame is not None and not frame.empty:
        measured = pd.to_numeric(frame.get(ROBUST_SPEED, pd.Series(dtype=float)), errors="coerce")
        if not bool((measured > 0).any()):
            return "qps"
    return ROBUST_SPEED


def speed_title(column: str) -> str:
    return "CPU ms per query" if column == ROBUST_SPEED else "QPS"


def throughput(frame: pd.DataFrame, column: str) -> pd.Series:
    """Higher-is-better speed: QPS, or queries per CPU-second (1000 / CPU ms per query)."""
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return values if column == "qps" else 1000.0 / values.where(values > 0)


def usable(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Finished rows with a recall and a positive speed figure (the ones a frontier can hold)."""
    if frame.empty:
        return frame
    ok = frame[frame["status"] == "ok"]
    recall = pd.to_numeric(ok["recall"], errors="coerce")
    speed = pd.to_numeric(ok[column], errors="coerce")
    return ok[recall.notna() & (speed > 0)]


def frontier(
    frame: pd.DataFrame, column: str, by: list[str] | None = None, out_dir: Path | None = None
) -> pd.DataFrame:
    """Frontier rows of each group of ``by`` (all rows together when None), by falling recall,
    with ``frontier`` (ON or WITHIN_NOISE) and the speed interval ``speed_low``/``speed_high``
    in throughput terms (higher is better)."""
    ok = usable(frame, column)
    if ok.empty:
        return ok.assign(frontier=pd.Series(dtype="string"))
    ok = ok.copy()
    ok["_speed"] = throughput(ok, column)
    bounds = intervals(ok, out_dir, column)
    at_low = throughput(bounds.rename(columns={"low": column}), column)
    at_high = throughput(bounds.rename(columns={"high": column}), column)
    # CPU time's low end is the high end of its throughput
    ok["speed_low"], ok["speed_high"] = (at_low, at_high) if column == "qps" else (at_high, at_low)
    ok["speed_low"] = ok["speed_low"].fillna(ok["_speed"])
    ok["speed_high"] = ok["speed_high"].fillna(ok["_speed"])
    keep: dict[object, str] = {}
    groups = ok.groupby(by, sort=False, dropna=False) if by else [((), ok)]
    for _, group in groups:
        best = None  # the fastest point seen so far, all of which have at least this recall
        ordered = group.sort_values(["recall", "_speed"], ascending=[False, False], kind="stable")
        for index, row in ordered.iterrows():
            if best is None or row["_speed"] > best["_speed"]:
                keep[index] = ON
                best = row
            elif row["speed_high"] >= best["speed_low"]:
                keep[index] = WITHIN_NOISE
    chosen = ok.loc[list(keep)].drop(columns="_speed")
    chosen["frontier"] = pd.Series(keep)
    order = [*(by or []), "recall"]
    return chosen.sort_values(order, ascending=[*([True] * len(by or [])), False], kind="stable")
