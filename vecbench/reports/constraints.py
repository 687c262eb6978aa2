"""The user's constraints from the config, and the best points of a result set that meet them.

The report's "best configuration" table answers questions such as "lowest CPU time per query with
recall@10 >= 0.95, p99 <= 5 ms and an index under 2 GB". Limits left out are not applied; the
objective's direction (higher or lower is better) comes from the metrics catalog.

The default objective is CPU time per query, not wall-clock QPS: on a shared machine QPS named three
different winners in three unchanged reruns, CPU time the same one. Points whose objective interval
(``reports.noise``) overlaps the best's are "equivalent": a rerun could put any of them first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vecbench.errors import ConfigError
from vecbench.metrics.catalog import METRICS
from vecbench.reports.noise import Interval, intervals

Objective = Literal[
    "cpu_ms_per_query", "qps", "latency_p50_ms", "latency_p99_ms", "index_bytes", "build_s", "recall"
]


class Constraints(BaseModel):
    """``constraints:`` in an experiment config; every key is optional.

    ``memory_bytes_max`` caps ``index_bytes`` (the index as the library reports it or as
    serialised), not the worker's resident memory, which also holds the dataset.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    recall_min: float = Field(default=0.9, ge=0, le=1, description="tie-aware recall@k at least this")
    p99_ms_max: float | None = Field(default=None, gt=0, description="p99 single-query latency, ms")
    memory_bytes_max: float | None = Field(default=None, gt=0, description="index size in bytes")
    build_s_max: float | None = Field(default=None, gt=0, description="index build time in seconds")
    objective: Objective = Field(
        default="cpu_ms_per_query",
        description="what the best point is best at; CPU time per query moves least under load",
    )

    def limits(self) -> list[tuple[str, str, float]]:
        """(column, comparison, bound) for each limit that is set."""
        found = [("recall", ">=", self.recall_min)]
        for column, bound in (
            ("latency_p99_ms", self.p99_ms_max),
            ("index_bytes", self.memory_bytes_max),
            ("build_s", self.build_s_max),
        ):
            if bound is not None:
                found.append((column, "<=", float(bound)))
        return found

    def describe(self) -> str:
        """'highest qps with recall >= 0.95, latency_p99_ms <= 5' in words a reader can check."""
        info = METRICS[self.objective]
        best = "highest" if info.higher_is_better else "lowest"
        limits = ", ".join(f"{column} {op} {bound:g}" for column, op, bound in self.limits())
        return f"{best} {self.objective} with {limits}"


def constraints_from(config: Mapping[str, Any] | None) -> Constraints:
    """The constraints of a stored config mapping (OUT/config.yaml); defaults when it has none."""
    raw = (config or {}).get("constraints") or {}
    try:
        return Constraints.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"])
        raise ConfigError(
            f"constraints.{where}: {err['msg']}; fix the config's constraints section"
        ) from None


@dataclass(frozen=True)
class Choice:
    """The best point for one (dataset, k) and scope ('all adapters' or one label), or why none.

    ``interval`` is the best point's objective interval; ``equivalent`` (scope 'all adapters') the
    other passing points whose interval overlaps it, best first; ``versus`` (a label's scope) is
    'best' when this label holds the overall best, 'equivalent' when its best's interval overlaps
    the overall best's, else 'worse' ('' when either is missing).
    """

    dataset: str
    k: int
    scope: str
    row: pd.Series | None
    candidates: int
    interval: Interval | None = None
    equivalent: tuple[pd.Series, ...] = ()
    versus: str = ""


def meets(frame: pd.DataFrame, constraints: Constraints) -> pd.Series:
    """Boolean mask of finished rows that satisfy every limit (a missing value never does)."""
    mask = frame["status"] == "ok"
    for column, op, bound in constraints.limits():
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        mask &= (values >= bound) if op == ">=" else (values <= bound)
    return mask.fillna(False).astype(bool)


def best_choices(frame: pd.DataFrame, constraints: Constraints, out_dir: Path | None = None) -> list[Choice]:
    """For each dataset and k: the best point overall, then the best point of each label.

    ``out_dir`` (the result set's folder) gives the raw samples for the objective's intervals;
    without it every interval is the point's value, so only exact ties are equivalent."""
    if frame.empty:
        return []
    info = METRICS[constraints.objective]
    ok = frame[meets(frame, constraints)].copy()
    ok["_objective"] = pd.to_numeric(ok[constraints.objective], errors="coerce").astype("float64")
    ok = ok.dropna(subset=["_objective"])
    bounds = intervals(ok, out_dir, constraints.objective)
    ok["_low"], ok["_high"] = bounds["low"], bounds["high"]
    choices: list[Choice] = []
    for key, group in frame.groupby(["dataset", "k"], sort=True):
        dataset, k = str(key[0]), int(cast(int, key[1]))
        passing = ok[(ok["dataset"] == dataset) & (ok["k"] == k)]
        ordered = passing.sort_values("_objective", ascending=not info.higher_is_better, kind="stable")
        best = _interval(ordered)
        equivalent = tuple(
            _clean(row)
            for _, row in ordered.iloc[1:].iterrows()
            if best is not None and _row_interval(row).overlaps(best)
        )
        choices.append(Choice(dataset, k, "all adapters", _first(ordered), len(ordered), best, equivalent))
        for label in sorted(group["label"].dropna().unique()):
            mine = ordered[ordered["label"] == label]
            own = _interval(mine)
            versus = ""
            if own is not None and best is not None:
                versus = (
                    "best"
                    if mine.index[0] == ordered.index[0]
                    else "equivalent"
                    if own.overlaps(best)
                    else "worse"
                )
            choices.append(Choice(dataset, k, str(label), _first(mine), len(mine), own, (), versus))
    return choices


def _row_interval(row: pd.Series) -> Interval:
    low, high = float(row["_low"]), float(row["_high"])
    value = float(row["_objective"])
    return Interval(low if low == low else value, high if high == high else value)


def _interval(frame: pd.DataFrame) -> Interval | None:
    return None if frame.empty else _row_interval(frame.iloc[0])


def _clean(row: pd.Series) -> pd.Series:
    return row.drop(labels=["_objective", "_low", "_high"])


def _first(frame: pd.DataFrame) -> pd.Series | None:
    return None if frame.empty else _clean(frame.iloc[0])
