"""Fits of each index configuration's costs against base size, with honest held-out errors.

For every configuration measured at three or more sizes: index bytes and peak RSS (linear in n),
build time (n log n or a power law), single-query p50/p99 latency and CPU time per query, and
recall, each at fixed build and query parameters. Where a metric has more than one candidate
model, the choice is made by the error predicting the second-largest size from the smaller ones,
so the largest size stays unseen; the validation then fits the chosen model on all but the
largest size and reports its error there. The final fit uses every size.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vecbench.capacity.formulas import formula_bytes_per_vector
from vecbench.capacity.models import LEVEL, MODELS, Fitted, fit

# Metric -> candidate models (first is the default when too few sizes allow a choice) and scope:
# "build" metrics are one value per build (any query row), "query" metrics one per query point.
CANDIDATES: dict[str, tuple[tuple[str, ...], str]] = {
    "index_bytes": (("linear",), "build"),
    "rss_peak_bytes": (("linear",), "build"),
    "build_s": (("nlogn", "power"), "build"),
    "latency_p50_ms": (("power", "log", "linear"), "query"),
    "latency_p99_ms": (("power", "log", "linear"), "query"),
    "cpu_ms_per_query": (("power", "log", "linear"), "query"),
    "recall": (("recall_log", "recall_linear"), "query"),
}
MIN_SIZES = 3


@dataclass(frozen=True)
class HeldOut:
    """The chosen model fitted without the largest size, predicting it."""

    n: int
    predicted: float
    lower: float
    upper: float
    measured: float

    @property
    def abs_error(self) -> float:
        return self.predicted - self.measured

    @property
    def rel_error(self) -> float:
        return self.abs_error / self.measured if self.measured else float("nan")

    @property
    def inside(self) -> bool | None:
        """Whether the 90% interval held the measurement; None when too few sizes gave an interval."""
        if not (np.isfinite(self.lower) and np.isfinite(self.upper)):
            return None
        return bool(self.lower <= self.measured <= self.upper)


@dataclass(frozen=True)
class MetricFit:
    """One metric of one configuration: the chosen model on all sizes, and its validation."""

    adapter: str
    build_params: str
    query_params: str
    metric: str
    fitted: Fitted
    chosen_by: str  # "held-out error" or why the default was kept
    held_out: HeldOut | None
    measured: dict[int, float]

    def predict(self, n: float) -> tuple[float, float, float]:
        return self.fitted.predict(n)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "adapter": self.adapter,
            "build_params": self.build_params,
            "query_params": self.query_params,
            "metric": self.metric,
            "model": self.fitted.model.name,
            "formula": self.fitted.model.formula,
            "a": self.fitted.coef[0],
            "b": self.fitted.coef[1],
            "chosen_by": self.chosen_by,
            "sizes": list(self.fitted.sizes),
        }
        if self.held_out is not None:
            h = self.held_out
            out.update(
                heldout_n=h.n,
                heldout_predicted=h.predicted,
                heldout_measured=h.measured,
                heldout_rel_error=h.rel_error,
                heldout_abs_error=h.abs_error,
                heldout_inside_pi=h.inside,
            )
        return out


def _series(frame: pd.DataFrame, metric: str, scope: str) -> list[tuple[tuple[str, str, str], pd.Series]]:
    """(configuration, value per n_base) for one metric: medians over the plain query points of a
    size (a filtered or a load row of the same parameters measures something else)."""
    ok = frame[(frame["status"] == "ok") & frame[metric].notna()]
    for column in ("pass_rate", "load_mode"):
        if column in ok:
            ok = ok[ok[column].isna()]
    keys = ["adapter", "build_params"] + (["query_params"] if scope == "query" else [])
    out = []
    for key, group in ok.groupby(keys, sort=True):
        parts = tuple(str(v) for v in (key if isinstance(key, tuple) else (key,)))
        config = (parts[0], parts[1], parts[2] if scope == "query" else "")
        per_size = group.groupby("n_base")[metric].median().astype(float)
        out.append((config, per_size))
    return out


def _held_out(name: str, sizes: np.ndarray, values: np.ndarray) -> tuple[float, Fitted | None]:
    """Error (relative, or absolute for recall) of the model fitted without the last size."""
    fitted = fit(MODELS[name], sizes[:-1], values[:-1])
    if fitted is None:
        return float("inf"), None
    predicted = fitted.predict(sizes[-1])[0]
    if predicted <= 0 < values[-1]:  # a line extrapolated below zero: no use for a positive cost
        return float("inf"), fitted
    error = abs(predicted - values[-1])
    return (error if MODELS[name].clip else error / abs(values[-1] or 1.0)), fitted


def choose(candidates: Sequence[str], sizes: np.ndarray, values: np.ndarray) -> tuple[str, str]:
    """The candidate predicting the second-largest size best from the smaller ones (largest unseen)."""
    if len(candidates) == 1:
        return candidates[0], "the only model"
    if len(sizes) < 4:
        return candidates[0], f"default ({len(sizes)} sizes are too few to choose by held-out error)"
    errors = {name: _held_out(name, sizes[:-1], values[:-1])[0] for name in candidates}
    best = min(errors, key=lambda name: errors[name])
    return best, "held-out error at the second-largest size"


def fit_metric(config: tuple[str, str, str], metric: str, per_size: pd.Series) -> MetricFit | None:
    """Choose, validate and fit one metric's series; None below MIN_SIZES sizes or when no model fits."""
    if len(per_size) < MIN_SIZES:
        return None
    sizes = per_size.index.to_numpy(dtype=np.float64)
    values = per_size.to_numpy(dtype=np.float64)
    candidates = tuple(
        name for name in CANDIDATES[metric][0] if not (MODELS[name].log_y and (values <= 0).any())
    )
    if not candidates:
        return None
    name, why = choose(candidates, sizes, values)
    fitted = fit(MODELS[name], sizes, values)
    if fitted is None:
        return None
    _, without_largest = _held_out(name, sizes, values)
    held = None
    if without_largest is not None:
        centre, low, high = without_largest.predict(sizes[-1])
        held = HeldOut(int(sizes[-1]), centre, low, high, float(values[-1]))
    return MetricFit(
        adapter=config[0],
        build_params=config[1],
        query_params=config[2],
        metric=metric,
        fitted=fitted,
        chosen_by=why,
        held_out=held,
        measured={int(n): float(v) for n, v in zip(sizes, values, strict=True)},
    )


def fit_results(frame: pd.DataFrame, metrics: Sequence[str] = tuple(CANDIDATES)) -> list[MetricFit]:
    """Every metric of every configuration measured at MIN_SIZES or more sizes."""
    fits: list[MetricFit] = []
    for metric in metrics:
        if metric not in frame.columns:
            continue
        for config, per_size in _series(frame, metric, CANDIDATES[metric][1]):
            result = fit_metric(config, metric, per_size)
            if result is not None:
                fits.append(result)
    return fits


def memory_constants(frame: pd.DataFrame, fits: Sequence[MetricFit]) -> list[dict[str, Any]]:
    """The fitted bytes per vector (slope of index bytes in n) beside the closed-form formulas."""
    dims = frame.groupby("adapter")["dim"].first().to_dict() if "dim" in frame else {}
    rows = []
    for f in fits:
        if f.metric != "index_bytes":
            continue
        dim = int(dims.get(f.adapter, 0))
        formulas = formula_bytes_per_vector(f.adapter, json.loads(f.build_params), dim)
        row: dict[str, Any] = {
            "adapter": f.adapter,
            "build_params": f.build_params,
            "fitted_bytes_per_vector": f.fitted.coef[1],
            "fixed_bytes": f.fitted.coef[0],
        }
        for source, value in formulas.items():
            row[f"{source}_bytes_per_vector"] = value
            row[f"{source}_ratio"] = f.fitted.coef[1] / value if value else float("nan")
        rows.append(row)
    return rows


def fit_table(fits: Sequence[MetricFit]) -> pd.DataFrame:
    """One row per (configuration, metric): model, coefficients, held-out error at the largest size."""
    return pd.DataFrame([f.as_dict() for f in fits])


__all__ = ["CANDIDATES", "LEVEL", "HeldOut", "MetricFit", "fit_results", "fit_table", "memory_constants"]


def effort_for_recall(frame: pd.DataFrame, target: float) -> list[dict[str, Any]]:
    """Per build configuration: the smallest measured value of its effort parameter (``ef_search``,
    ``nprobe``: the adapter's declared ``effort_param``) whose recall reaches ``target``, at each
    size; with three or more sizes reaching it, a power law of that value in n extrapolates it.
    A size where no measured value reaches the target is reported as None (measure higher effort)."""
    from vecbench.indexes.registry import get_adapter_class

    rows: list[dict[str, Any]] = []
    ok = frame[(frame["status"] == "ok") & frame["recall"].notna()]
    for (adapter, build), group in ok.groupby(["adapter", "build_params"], sort=True):
        param = get_adapter_class(str(adapter)).capabilities.effort_param
        if param is None:
            continue
        needed: dict[int, float | None] = {}
        for n, at_size in group.groupby("n_base"):
            efforts = [
                (float(json.loads(q).get(param, np.nan)), float(r))
                for q, r in zip(at_size["query_params"], at_size["recall"], strict=True)
            ]
            enough = sorted(e for e, r in efforts if r >= target and np.isfinite(e))
            needed[int(str(n))] = enough[0] if enough else None
        known = {n: v for n, v in needed.items() if v is not None}
        row: dict[str, Any] = {"adapter": adapter, "build_params": build, "param": param, "target": target,
                               "needed": needed}  # fmt: skip
        unreached = [n for n, v in needed.items() if v is None]
        if unreached:  # extrapolating past a size that already misses the target would mislead
            row["unreached_at"] = unreached
            rows.append(row)
            continue
        fitted = fit(MODELS["power"], np.array(list(known), float), np.array(list(known.values()), float))
        if len(known) >= MIN_SIZES and fitted is not None:
            row.update(model=fitted.model.formula, a=fitted.coef[0], b=fitted.coef[1])
        rows.append(row)
    return rows
