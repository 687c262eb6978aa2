"""Result rows of one pipeline run, and the paired tests of its difference from another run.

One place turns evaluated metrics into store rows, whatever the comparison: a configuration
against exact retrieval with the same k, one configuration against another (``compare:`` pairs),
one stage against another stage (``exact/scoring`` against ``exact/retrieval``: does the scorer
help?), or a run against a run of another output folder (``vecbench report A --compare B``). Each
paired row gets the same tests: the delta, its cluster-bootstrap interval (always holding the
delta) and the p of the paired randomisation test, users as clusters. ``p_adjusted`` and
``significant`` are set by the store across the whole run (``reports.pipeline_store.correct_rows``),
since a family of tests is only known once every configuration has run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from vecbench.metrics.recsys_catalog import describe
from vecbench.metrics.significance import (
    paired_bootstrap,
    paired_bootstrap_statistic,
    paired_permutation_statistics,
    paired_permutations,
)
from vecbench.pipeline.evaluation import CatalogueValue, Key, Value

Results = Mapping[Key, Value]
STAGES = ("retrieval", "scoring", "final")


@dataclass(frozen=True)
class TestSettings:
    """How paired differences are judged: resamples of the interval, draws of the test, level, seed."""

    bootstrap: int = 1000
    permutations: int = 2000
    level: float = 0.95
    seed: int = 0


def metric_rows(
    base: Mapping[str, Any],
    results: Results,
    reference: Results | None,
    clusters: np.ndarray,
    tests: TestSettings,
) -> list[dict[str, Any]]:
    """One row per metric key of ``results``; with a ``reference``, the paired difference from it.

    ``exact_value`` holds the reference's value (exact retrieval, or the compared-with side).
    """
    per_request = [
        key
        for key, value in results.items()
        if reference is not None and isinstance(value, np.ndarray) and isinstance(reference.get(key), np.ndarray)
    ]
    p_values: dict[Key, float] = {}
    if per_request and reference is not None:
        a = np.stack([np.asarray(results[key], np.float64) for key in per_request], axis=1)
        b = np.stack([np.asarray(reference[key], np.float64) for key in per_request], axis=1)
        found = paired_permutations(a, b, clusters, tests.permutations, tests.seed)
        p_values = dict(zip(per_request, found.tolist(), strict=True))
    rows = []
    for (stage, metric_name, cohort), value in results.items():
        info, _ = describe(metric_name)
        row: dict[str, Any] = {
            **base,
            "stage": stage,
            "metric": metric_name,
            "cohort": cohort,
            "higher_is_better": info.higher_is_better,
        }
        other = None if reference is None else reference.get((stage, metric_name, cohort))
        if isinstance(value, np.ndarray):
            finite = np.isfinite(value)
            row.update(
                value=float(value[finite].mean()) if finite.any() else float("nan"),
                n_requests=int(finite.sum()),
            )
            if isinstance(other, np.ndarray):
                paired = paired_bootstrap(value, other, clusters, tests.bootstrap, tests.seed, tests.level)
                both = finite & np.isfinite(other)
                row.update(
                    exact_value=float(other[both].mean()) if both.any() else float("nan"),
                    delta=paired.delta, delta_low=paired.low, delta_high=paired.high,
                    p_value=p_values[(stage, metric_name, cohort)],
                )  # fmt: skip
        elif isinstance(value, CatalogueValue):
            row.update(value=value.value, n_requests=len(clusters))
            if isinstance(other, CatalogueValue):
                paired = paired_bootstrap_statistic(
                    value.lists, other.lists, clusters, value.statistic, tests.bootstrap, tests.seed, tests.level
                )
                p = paired_permutation_statistics(
                    value.lists, other.lists, clusters, {"": value.statistic}, tests.permutations, tests.seed
                )[""]
                row.update(
                    exact_value=other.value, delta=paired.delta, delta_low=paired.low, delta_high=paired.high,
                    p_value=p,
                )  # fmt: skip
        else:  # latencies: timings of this machine, not a sample of users, so no interval and no test
            row.update(value=float(value), n_requests=len(clusters))
            if other is not None and not isinstance(other, np.ndarray | CatalogueValue):
                row.update(exact_value=float(other), delta=float(value) - float(other))
        rows.append(row)
    return rows


def parse_side(text: str) -> tuple[str, str | None]:
    """``LABEL`` (every stage) or ``LABEL/STAGE`` (one stage): one side of a ``compare:`` pair."""
    label, _, stage = text.rpartition("/")
    if label and stage in STAGES:
        return label, stage
    return text, None


def paired_stages(
    a: Results, b: Results, a_stage: str | None, b_stage: str | None
) -> tuple[dict[Key, Value], dict[Key, Value]]:
    """The keys both sides share, A's and B's values under A's key: every stage when neither side
    names one, else A's stage against B's stage (a side without one means the same stage)."""
    if a_stage is None and b_stage is None:
        shared = [key for key in a if key in b]
        return {key: a[key] for key in shared}, {key: b[key] for key in shared}
    sa = a_stage if a_stage is not None else str(b_stage)
    sb = b_stage if b_stage is not None else sa
    left, right = {}, {}
    for (stage, metric, cohort), value in a.items():
        other = (sb, metric, cohort)
        if stage == sa and other in b:
            left[(stage, metric, cohort)], right[(stage, metric, cohort)] = value, b[other]
    return left, right


def pair_label(a: str, b: str) -> str:
    """The ``retrieval`` label of a comparison's rows."""
    return f"{a} vs {b}"
