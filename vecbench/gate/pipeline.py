"""Compare two recommendation-pipeline result sets, value by value, under the same policy.

A pipeline result row is one (point, stage, metric, cohort) value: ndcg@10 after re-ranking for all
users, candidate recall of retrieval, coverage, novelty, per-stage latency. Points match on
``point_key`` (config name, retrieval, parameters, k_candidates) within the same log, split,
embedding, scorer and re-ranking. Quality metrics are compared by their policy rule on the value;
per-stage latencies are reported but never fail the gate: a pipeline run is one measurement with
no repeats or calibration, so it cannot tell a slower stage from a busier machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pandas as pd

from vecbench.errors import VecbenchError
from vecbench.gate.checks import POINT_LEVEL, Check, PointRef, Status
from vecbench.gate.compare import decide, presence_check, value_of
from vecbench.gate.policy import GatePolicy
from vecbench.gate.resultset import ResultSet
from vecbench.metrics.catalog import MetricKind
from vecbench.metrics.recsys_catalog import describe

IDENTITY = ("log", "split", "embedding", "scorer", "rerank")
NOT_GATED = "pipeline latency: one run without repeats, reported only"


def point_ref(row: pd.Series) -> PointRef:
    return PointRef(
        key=str(row["point_key"]),
        dataset=str(row["log"]),
        label=str(row["retrieval"]) if pd.isna(row["adapter"]) or not row["adapter"] else str(row["adapter"]),
        build_params=str(row["build_params"] or "{}"),
        query_params=str(row["query_params"] or "{}"),
        k=0 if pd.isna(row["k_candidates"]) else int(row["k_candidates"]),  # drift rows have none
    )


def _points(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(key): group for key, group in rows.groupby("point_key", sort=False)}


def _identity(group: pd.DataFrame) -> tuple[str, ...]:
    return tuple(str(group[column].iloc[0]) for column in IDENTITY)


class PipelineComparator:
    """Compares two pipeline result sets; ``checks()`` returns every outcome."""

    def __init__(self, baseline: ResultSet, current: ResultSet, policy: GatePolicy) -> None:
        self.baseline = baseline
        self.current = current
        self.policy = policy
        self.normalization = "pipeline results: values compared as measured (no timing samples)"

    def checks(self) -> list[Check]:
        base, cur = _points(self.baseline.rows), _points(self.current.rows)
        matched = [key for key in base if key in cur]
        if not matched:
            raise VecbenchError(
                "nothing to compare: no pipeline point of the current results matches a baseline point "
                "(same config name, retrieval, parameters, stage-1 filter, strategy and k_candidates); "
                "run the baseline's config"
            )
        for key in matched:
            if _identity(base[key]) != _identity(cur[key]):
                pairs = zip(IDENTITY, _identity(base[key]), _identity(cur[key]), strict=True)
                differs = [f"{name} {b!r} vs {c!r}" for name, b, c in pairs if b != c]
                raise VecbenchError(
                    f"mismatched datasets: the baseline and current pipelines differ in {'; '.join(differs)}; "
                    "compare runs of the same pipeline or record a new baseline"
                )
        out: list[Check] = []
        for key, b in base.items():
            c = cur.get(key)
            point = point_ref(b.iloc[0])
            b_ok = bool((b["status"] == "ok").all())
            c_ok = None if c is None else bool((c["status"] == "ok").all())
            error = "" if c is None else "; ".join(sorted(set(c["error"].dropna().astype(str))))
            presence = presence_check(point, b_ok, c_ok, error, self.policy)
            if presence is not None:
                out.append(presence)
            elif c is not None:
                out.extend(self._value_checks(point, b, c))
        for key, c in cur.items():
            if key not in base:
                out.append(Check(point_ref(c.iloc[0]), POINT_LEVEL, Status.NEW, False))
        return out

    def _value_checks(self, point: PointRef, b: pd.DataFrame, c: pd.DataFrame) -> Iterator[Check]:
        every_cohort = "*" in self.policy.cohorts
        current = {(r["stage"], r["metric"], r["cohort"]): r for _, r in c.iterrows()}
        rules = self.policy.rules()
        for _, row in b.iterrows():
            if not every_cohort and row["cohort"] not in self.policy.cohorts:
                continue
            info, k = describe(str(row["metric"]))
            label = f"{row['stage']} {row['metric']}" + (
                "" if row["cohort"] == "all" else f" [{row['cohort']}]"
            )
            other = current.get((row["stage"], row["metric"], row["cohort"]))
            for _, rule_info, rule_k, rule in rules:
                if rule_info.name != info.name or (rule_k is not None and rule_k != k):
                    continue
                base_value = value_of(row, "value")
                cur_value = None if other is None else value_of(other, "value")
                if base_value is None or cur_value is None:
                    note = "not in the current results" if base_value is not None else "not in the baseline"
                    if base_value is not None or cur_value is not None:
                        yield Check(
                            point, label, Status.NOT_MEASURED, False, base_value, cur_value, note=note
                        )
                    continue
                check = decide(point, label, info, rule, base_value, cur_value, None, "")
                if info.kind is MetricKind.SPEED:
                    check = replace(check, gated=False, note=NOT_GATED)
                yield check
