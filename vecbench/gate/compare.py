"""Match the points of two result sets and compare every metric the policy names.

Points match on ``point_key``, which hashes the dataset fingerprint, k, the adapter and its resolved
build and query parameters: exactly "the same point". Quality metrics are compared by absolute
drop from the rows; speed metrics by a bootstrap interval on the ratio of raw samples, normalised
by the calibration kernel when the policy says so; cost metrics by their relative change.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd

from vecbench.errors import VecbenchError
from vecbench.gate.checks import POINT_LEVEL, Check, PointRef, Status
from vecbench.gate.policy import GatePolicy, MetricRule
from vecbench.gate.resultset import ResultSet
from vecbench.gate.samples import SAMPLED, PointSamples, is_wall_clock
from vecbench.gate.stats import RatioEstimate, ratio_interval
from vecbench.metrics.catalog import MetricInfo


def check_comparable(baseline: ResultSet, current: ResultSet) -> list[str]:
    """Raise when the two sets cannot be compared at all; return the matched point keys."""
    base_fps = set(baseline.rows["dataset_fingerprint"].dropna())
    cur_fps = set(current.rows["dataset_fingerprint"].dropna())
    if not base_fps & cur_fps:
        raise VecbenchError(
            f"mismatched datasets: the baseline was measured on {_datasets(baseline.rows)}, "
            f"the current results on {_datasets(current.rows)}; compare runs of the same dataset "
            "or record a new baseline"
        )
    matched = sorted(set(baseline.rows["point_key"]) & set(current.rows["point_key"]))
    if not matched:
        raise VecbenchError(
            "nothing to compare: no point of the current results matches a baseline point "
            "(same dataset, k, adapter, build and query parameters); run the baseline's config"
        )
    base = baseline.rows.set_index("point_key").loc[matched, "threads"]
    cur = current.rows.set_index("point_key").loc[matched, "threads"]
    differs = base.ne(cur).fillna(False)
    if differs.any():
        key = differs[differs].index[0]
        raise VecbenchError(
            f"the baseline searched with threads={base[key]} and the current results with "
            f"threads={cur[key]}; use the same threads setting on both sides"
        )
    return matched


def _datasets(rows: pd.DataFrame) -> str:
    pairs = rows[["dataset", "dataset_fingerprint"]].drop_duplicates().itertuples(index=False)
    return ", ".join(f"{name} ({fp})" for name, fp in pairs)


def same_machine(baseline: ResultSet, current: ResultSet) -> bool:
    """Whether both sides report the same hostname and CPU model."""
    keys = ("hostname", "cpu_model")
    base = [baseline.environment.get(key) for key in keys]
    return None not in base and base == [current.environment.get(key) for key in keys]


def busy_note(policy: GatePolicy) -> str:
    """How a busy machine changes the verdict, for the report's normalisation line."""
    if policy.busy_machine == "fail":
        return "wall-clock speed checks past their limit still fail (busy_machine: fail)"
    return (
        "wall-clock speed checks past their limit are inconclusive (exit 3); "
        "CPU-time checks still decide"
    )


def decide_normalization(baseline: ResultSet, current: ResultSet, policy: GatePolicy) -> tuple[bool, str]:
    """Whether speeds are divided by the calibration kernel, and why, in words for the report.

    Calibration removes a machine's speed from the comparison but adds the kernel's own timing
    noise, so ``auto`` uses it only across machines, where the bias it removes is the larger error.
    """
    if policy.normalize == "never":
        return False, "speeds not normalised (normalize: never)"
    if policy.normalize == "auto" and same_machine(baseline, current):
        return False, "same machine on both sides: speeds compared as measured (normalize: auto)"
    return True, f"speeds normalised by the calibration kernel (normalize: {policy.normalize})"


def calibration_slowdown(baseline: ResultSet, current: ResultSet) -> float | None:
    """How many times slower the current side ran the calibration kernel than the baseline.

    The median over matched finished points of the rows' ``calibration_ms`` (the kernel timed
    beside each point), else the job calibration of ``environment.json``; None when neither side
    recorded one. Above 1: the current machine was slower (busier); below 1: the baseline's.
    """
    columns = "calibration_ms" in baseline.rows.columns and "calibration_ms" in current.rows.columns
    if columns:
        base = baseline.rows.set_index("point_key")["calibration_ms"]
        cur = current.rows.set_index("point_key")["calibration_ms"]
        base, cur = base[~base.index.duplicated()], cur[~cur.index.duplicated()]
        ratio = (cur / base.reindex(cur.index)).replace([np.inf, -np.inf], np.nan).dropna()
        ratio = ratio[ratio > 0]
        if not ratio.empty:
            return float(np.median(ratio))
    b = (baseline.environment.get("calibration") or {}).get("median_ms")
    c = (current.environment.get("calibration") or {}).get("median_ms")
    if isinstance(b, int | float) and isinstance(c, int | float) and b > 0 and c > 0:
        return float(c) / float(b)
    return None


def busy_side(slowdown: float | None, policy: GatePolicy) -> str | None:
    """'current' or 'baseline' when that side's machine ran slower than ``busy_ratio`` allows."""
    if slowdown is None or not math.isfinite(slowdown) or slowdown <= 0:
        return None
    if slowdown > policy.busy_ratio:
        return "current"
    if 1.0 / slowdown > policy.busy_ratio:
        return "baseline"
    return None


class Comparator:
    """Compares two result sets under one policy; ``checks()`` yields every outcome.

    When the calibration kernel shows one side ran on a busy machine (its median pass beyond
    ``busy_ratio`` of the other side's), a wall-clock check past its limit is ``inconclusive``
    (or a regression, ``busy_machine: fail``): the load explains it as well as the code does.
    Dividing by the kernel was tried and is worse there: under a fluctuating load the kernel,
    timed just before and after a point, differs by up to 3x from point to point in one run, so
    normalised latencies moved +130% between unchanged runs whose raw latencies agreed.
    CPU-time checks (``cpu_ms_per_query``), which waiting for the CPU does not inflate, still
    decide, so a real slowdown behind the load is still a regression.
    """

    def __init__(self, baseline: ResultSet, current: ResultSet, policy: GatePolicy) -> None:
        self.baseline = baseline
        self.current = current
        self.policy = policy
        self.rng = np.random.default_rng(policy.seed)
        self.normalize, self.normalization = decide_normalization(baseline, current, policy)
        self.slowdown = calibration_slowdown(baseline, current)
        # Across machines the kernel's ratio is the machines' speed, which normalize handles.
        mine = same_machine(baseline, current) and not self.normalize
        self.busy = busy_side(self.slowdown, policy) if mine else None
        if self.busy is not None:
            self.normalization = f"{self.busy_text()}: {busy_note(policy)}"

    def busy_text(self) -> str:
        """'the machine ran 3.7x slower on the current side (calibration kernel)'."""
        factor = self.slowdown if self.busy == "current" else 1.0 / (self.slowdown or 1.0)
        return f"the machine ran {factor:.1f}x slower on the {self.busy} side (calibration kernel)"

    def checks(self) -> list[Check]:
        check_comparable(self.baseline, self.current)
        base = {str(row["point_key"]): row for _, row in self.baseline.rows.iterrows()}
        cur = {str(row["point_key"]): row for _, row in self.current.rows.iterrows()}
        out: list[Check] = []
        for key, b in base.items():
            point = PointRef.from_row(b)
            c = cur.get(key)
            b_ok, c_ok = b["status"] == "ok", None if c is None else c["status"] == "ok"
            presence = presence_check(point, b_ok, c_ok, "" if c is None else str(c["error"]), self.policy)
            if presence is not None:
                out.append(presence)
            elif c is not None:
                out.extend(self._metric_checks(point, b, c))
        for key, c in cur.items():
            if key not in base:
                out.append(Check(PointRef.from_row(c), POINT_LEVEL, Status.NEW, False, note=str(c["status"])))
        return out

    def _metric_checks(self, point: PointRef, b: pd.Series, c: pd.Series) -> Iterator[Check]:
        samples: dict[str, PointSamples | None] = {}
        for spec, info, k, rule in self.policy.rules():
            if k is not None and k != point.k:
                continue
            base_value, cur_value = value_of(b, info.name), value_of(c, info.name)
            if base_value is None and cur_value is None:
                continue  # never measured for this adapter (e.g. distance computations)
            if base_value is None or cur_value is None:
                side = "baseline" if base_value is None else "current results"
                yield Check(
                    point, spec, Status.NOT_MEASURED, False, base_value, cur_value, note=f"not in the {side}"
                )
                continue
            if info.name in SAMPLED and rule.relative:
                if not samples:
                    samples["b"], samples["c"] = self.baseline.samples(b), self.current.samples(c)
                b_s, c_s = samples["b"], samples["c"]
                if b_s is not None and c_s is not None and b_s.has(info.name) and c_s.has(info.name):
                    yield self._sampled_check(point, spec, info, rule, base_value, cur_value, b_s, c_s)
                    continue
            note = "no raw samples: decided on the estimate" if info.name in SAMPLED and rule.relative else ""
            yield self._busy(decide(point, spec, info, rule, base_value, cur_value, None, note))

    def _busy(self, check: Check) -> Check:
        """On a busy machine, a wall-clock check that fails cannot be told from the load."""
        if self.busy is None or not is_wall_clock(check.metric.split("@")[0]):
            return check
        if check.status is not Status.REGRESSION or self.policy.busy_machine == "fail":
            return check
        note = f"inconclusive: {self.busy_text()}; {check.note}"
        return replace(check, status=Status.INCONCLUSIVE, note=note)

    def _sampled_check(
        self,
        point: PointRef,
        spec: str,
        info: MetricInfo,
        rule: MetricRule,
        base_value: float,
        cur_value: float,
        b: PointSamples,
        c: PointSamples,
    ) -> Check:
        normalize = self.normalize
        if normalize and not (b.calibrated and c.calibrated):
            side = "baseline" if not b.calibrated else "current results"
            raise VecbenchError(
                f"the {side} hold no calibration samples (recorded by an older vecbench), so speeds "
                "cannot be normalised; re-record them or set 'normalize: never' in the gate policy"
            )
        estimate = ratio_interval(
            info.name,
            b.values(info.name, normalize),
            c.values(info.name, normalize),
            paired=SAMPLED[info.name].paired and b.n_queries == c.n_queries,
            confidence=self.policy.confidence,
            resamples=self.policy.bootstrap,
            rng=self.rng,
        )
        note = f"{b.repeats}+{c.repeats} repeats"
        if normalize:
            speed = float(np.median(b.calibration_ms()) / np.median(c.calibration_ms()))
            note += f"; current ran the kernel at {speed:.2f}x the baseline's speed"
        return self._busy(decide(point, spec, info, rule, base_value, cur_value, estimate, note, normalize))


def presence_check(
    point: PointRef, base_ok: bool, current_ok: bool | None, error: str, policy: GatePolicy
) -> Check | None:
    """The point-level outcome (missing, failed, fixed, still failing), or None when both finished.

    ``current_ok`` is None when the point is absent from the current results.
    """
    if current_ok is None:
        note = "finished in the baseline, absent from the current results"
        return (
            Check(point, POINT_LEVEL, Status.MISSING, policy.missing == "fail", note=note)
            if base_ok
            else None
        )
    if base_ok and not current_ok:
        return Check(point, POINT_LEVEL, Status.FAILED, policy.failed == "fail", note=error)
    if not base_ok:
        status = Status.FIXED if current_ok else Status.STILL_FAILING
        return Check(point, POINT_LEVEL, status, False, note="" if current_ok else error)
    return None


def value_of(row: pd.Series, column: str) -> float | None:
    if column not in row.index:
        return None
    value = row[column]
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def decide(
    point: PointRef,
    spec: str,
    info: MetricInfo,
    rule: MetricRule,
    base_value: float,
    cur_value: float,
    estimate: RatioEstimate | None,
    note: str,
    normalized: bool = False,
) -> Check:
    """Status from the change (and its interval) against the rule's limit, in the worse direction.

    With an interval: a regression only when all of it is beyond the limit, so noise that merely
    reaches the limit is a warning, not a failure. Without one: the estimate against the limit.
    """
    sign = -1.0 if info.higher_is_better else 1.0  # worsening = sign * change
    low = high = None
    if not rule.relative:
        change = cur_value - base_value
    elif estimate is not None:
        change = estimate.ratio - 1.0
        if estimate.low is not None and estimate.high is not None:
            low, high = estimate.low - 1.0, estimate.high - 1.0
    elif base_value == 0.0:
        change = 0.0 if cur_value == 0.0 else math.inf
    else:
        change = cur_value / base_value - 1.0
    worse = sign * change
    limit = rule.limit
    if low is not None and high is not None:
        worse_low, worse_high = sorted((sign * low, sign * high))
        if worse_low > limit:
            status = Status.REGRESSION
        elif worse_high < -limit:
            status = Status.IMPROVED
        elif worse > limit:
            status = Status.WARN
        else:
            status = Status.PASS
    elif worse > limit:
        status = Status.REGRESSION
    elif worse < -limit:
        status = Status.IMPROVED
    else:
        status = Status.PASS
    return Check(
        point,
        spec,
        status,
        rule.gate,
        base_value,
        cur_value,
        change,
        low,
        high,
        limit,
        rule.relative,
        normalized,
        note,
    )
