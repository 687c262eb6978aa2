"""The user's constraints from the config, and the best points of a result set that meet them.

The report's "best configuration" table answers questions such as "highest QPS with
recall@10 >= 0.95, p99 <= 5 ms and an index under 2 GB". Limits left out are not applied; the
objective's direction (higher or lower is better) comes from the metrics catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vecbench.errors import ConfigError
from vecbench.metrics.catalog import METRICS

Objective = Literal["qps", "latency_p50_ms", "latency_p99_ms", "index_bytes", "build_s", "recall"]


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
    objective: Objective = "qps"

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
    """The best point for one (dataset, k) and scope ('all adapters' or one label), or why none."""

    dataset: str
    k: int
    scope: str
    row: pd.Series | None
    candidates: int


def meets(frame: pd.DataFrame, constraints: Constraints) -> pd.Series:
    """Boolean mask of finished rows that satisfy every limit (a missing value never does)."""
    mask = frame["status"] == "ok"
    for column, op, bound in constraints.limits():
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        mask &= (values >= bound) if op == ">=" else (values <= bound)
    return mask.fillna(False).astype(bool)


def best_choices(frame: pd.DataFrame, constraints: Constraints) -> list[Choice]:
    """For each dataset and k: the best point overall, then the best point of each label."""
    if frame.empty:
        return []
    info = METRICS[constraints.objective]
    ok = frame[meets(frame, constraints)].copy()
    ok["_objective"] = pd.to_numeric(ok[constraints.objective], errors="coerce").astype("float64")
    ok = ok.dropna(subset=["_objective"])
    choices: list[Choice] = []
    for key, group in frame.groupby(["dataset", "k"], sort=True):
        dataset, k = str(key[0]), int(cast(int, key[1]))
        passing = ok[(ok["dataset"] == dataset) & (ok["k"] == k)]
        ordered = passing.sort_values("_objective", ascending=not info.higher_is_better, kind="stable")
        choices.append(Choice(dataset, k, "all adapters", _first(ordered), len(ordered)))
        for label in sorted(group["label"].dropna().unique()):
            mine = ordered[ordered["label"] == label]
            choices.append(Choice(dataset, k, str(label), _first(mine), len(mine)))
    return choices


def _first(frame: pd.DataFrame) -> pd.Series | None:
    return None if frame.empty else frame.drop(columns="_objective").iloc[0]
