"""The outcome of comparing one metric of one point (or a point's presence): a small record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pandas as pd


class Status(str, Enum):
    PASS = "pass"  # within the limit (or not confidently beyond it, see WARN)
    WARN = "warn"  # the estimate is beyond the limit but its interval reaches back inside it
    IMPROVED = "improved"  # confidently better by more than the limit
    REGRESSION = "regression"  # confidently worse by more than the limit
    MISSING = "missing"  # finished in the baseline, absent from the current results
    FAILED = "failed"  # finished in the baseline, failed now
    FIXED = "fixed"  # failed in the baseline, finished now
    STILL_FAILING = "still failing"
    NEW = "new"  # only in the current results
    NOT_MEASURED = "not measured"  # one side lacks the metric (e.g. latency was switched off)
    INCONCLUSIVE = "inconclusive"  # worse by more than the limit, but one side's machine was busy


FAILING = frozenset({Status.REGRESSION, Status.MISSING, Status.FAILED})
ATTENTION = FAILING | {Status.WARN, Status.INCONCLUSIVE}  # what the terminal shows without --all
POINT_LEVEL = "(point)"  # the metric name of presence and failure checks


@dataclass(frozen=True)
class PointRef:
    """What identifies a point to a reader: dataset, adapter (label), parameters, k."""

    key: str
    dataset: str
    label: str
    build_params: str
    query_params: str
    k: int
    scope: str = ""  # filtered rows: 'filter | strategy'

    @classmethod
    def from_row(cls, row: pd.Series) -> PointRef:
        return cls(
            key=str(row["point_key"]),
            dataset=str(row["dataset"]),
            label=str(row["label"]),
            build_params=str(row["build_params"]),
            query_params=str(row["query_params"]),
            k=int(row["k"]),
            scope=_filter_scope(row),
        )

    def describe(self) -> str:
        """'hnswlib M=8 ef_construction=200 | ef=40' for tables (then '| filter | strategy' if filtered)."""
        text = f"{self.label} {_compact(self.build_params)} | {_compact(self.query_params)}".strip()
        return f"{text} | {self.scope}" if self.scope else text


def _filter_scope(row: pd.Series) -> str:
    """The filter (its name where it has one) and the strategy of a filtered row; '' otherwise."""
    text = row.get("filter")
    if not isinstance(text, str):
        return ""
    name = row.get("filter_name")
    strategy = str(row.get("strategy"))
    if '"name":"auto"' in str(row.get("strategy_spec")):
        strategy = f"auto->{strategy}"
    return f"{name if isinstance(name, str) and name else text} | {strategy}"


@dataclass(frozen=True)
class Check:
    """One comparison. ``change`` and its interval are relative (0.1 = +10 %) or absolute differences
    current - baseline, in the metric's own direction; ``gated`` says whether it can fail the gate."""

    point: PointRef
    metric: str
    status: Status
    gated: bool
    baseline: float | None = None
    current: float | None = None
    change: float | None = None
    low: float | None = None
    high: float | None = None
    limit: float | None = None
    relative: bool = True
    normalized: bool = False
    note: str = ""

    @property
    def fails(self) -> bool:
        return self.gated and self.status in FAILING

    @property
    def inconclusive(self) -> bool:
        return self.gated and self.status is Status.INCONCLUSIVE

    def to_dict(self) -> dict[str, Any]:
        return {
            "point_key": self.point.key,
            "point": self.point.describe(),
            "dataset": self.point.dataset,
            "label": self.point.label,
            "build_params": json.loads(self.point.build_params or "{}"),
            "query_params": json.loads(self.point.query_params or "{}"),
            "k": self.point.k,
            "metric": self.metric,
            "status": self.status.value,
            "gated": self.gated,
            "fails": self.fails,
            "baseline": self.baseline,
            "current": self.current,
            "change": self.change,
            "interval": None if self.low is None else [self.low, self.high],
            "limit": self.limit,
            "comparison": "relative" if self.relative else "absolute",
            "normalized": self.normalized,
            "note": self.note,
        }


def _compact(text: str) -> str:
    params = json.loads(text) if text else {}
    return " ".join(f"{key}={value}" for key, value in params.items())
