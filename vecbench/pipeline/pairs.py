"""``compare:`` pairs of a pipeline run: one configuration (or stage) against another, paired by request.

A pair is ``[A, B]``; each side is a ``retrieval`` label of the run (``exact``, ``popularity``,
``hnswlib M=16 ef_construction=40 ef=400 pre``) compared stage by stage, or ``LABEL/STAGE`` for one
stage (``exact/scoring`` against ``exact/retrieval`` is the scorer's own effect). Both sides are
re-evaluated from the ranked lists the run stored (``OUT/pipeline_raw/<point_key>.npz``), so a
pair added to a finished run's config is computed on the next run without re-running anything.
The rows get ``retrieval`` = ``A vs B``, ``adapter`` = ``compare``, ``compared_with`` = B, one set
per k_candidates both sides ran with, and the same tests as the rows against exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vecbench.errors import ConfigError, closest_hint
from vecbench.pipeline.comparison import (
    Results,
    TestSettings,
    metric_rows,
    pair_label,
    paired_stages,
    parse_side,
)
from vecbench.pipeline.evaluation import EvalContext, evaluate
from vecbench.pipeline.stages import StageLists

SCORER_CHECK = ("exact/scoring", "exact/retrieval")  # does the scorer beat retrieval order? always asked
BaseRow = Callable[[str, int | None], dict[str, Any]]


def pairs_of(compare: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """The configured pairs, and the scorer check, each once, in order."""
    pairs = [(str(a), str(b)) for a, b in compare]
    return list(dict.fromkeys([*pairs, SCORER_CHECK]))


def check_pairs(pairs: Iterable[tuple[str, str]], labels: Iterable[str]) -> None:
    """Refuse, before anything runs, a side naming no configuration of the run (closest named)."""
    known = set(labels)
    for pair in pairs:
        for side in pair:
            label, _ = parse_side(side)
            if label not in known and not _auto_of(label, known):
                raise ConfigError(
                    f"compare: '{side}' names no configuration of this run{closest_hint(label, sorted(known))}; "
                    "a side is a retrieval label as pipeline.parquet shows it, optionally /retrieval, /scoring or /final"
                )


def stored_lists(raw_dir: Path, point_key: str) -> StageLists:
    """One configuration's ranked lists and latencies per stage, as the run stored them."""
    with np.load(raw_dir / f"{point_key}.npz") as raw:
        return StageLists(
            retrieval=raw["retrieval_items"],
            scoring=raw["scoring_items"],
            final=raw["final_items"],
            latency_ns={s: raw[f"{s}_latency_ns"] for s in ("retrieval", "scoring", "final")},
        )


def compare_rows(
    pairs: Sequence[tuple[str, str]],
    frame: pd.DataFrame,
    raw_dir: Path,
    ctx: EvalContext,
    tests: TestSettings,
    base_of: BaseRow,
) -> list[dict[str, Any]]:
    """Rows of every pair at every k both sides ran with; a side missing from the results gives a
    failed row that says so (an ``auto`` strategy shows its choice in the label: ``auto:pre``).
    ``frame`` is the run's pipeline.parquet and ``raw_dir`` its pipeline_raw folder."""
    if frame.empty:
        return []
    done = frame[(frame["status"] == "ok") & (frame["adapter"] != "compare") & (frame["stage"] != "embedding")]
    points = done.drop_duplicates(["retrieval", "k_candidates"]).set_index(["retrieval", "k_candidates"])["point_key"]
    cache: dict[str, Results] = {}

    def results(key: str) -> Results:
        if key not in cache:
            cache[key] = evaluate(stored_lists(raw_dir, key), ctx)
        return cache[key]

    rows: list[dict[str, Any]] = []
    for a, b in pairs:
        (la, sa), (lb, sb) = parse_side(a), parse_side(b)
        label = pair_label(a, b)
        ks = _shared_ks(points, la, lb)
        if not ks:
            missing = [x for x in (la, lb) if x not in points.index.get_level_values(0)]
            row = base_of(label, None)
            row.update(status="failed", stage="-", metric="-", cohort="-", compared_with=b,
                       error=f"compare: no finished configuration labelled {' or '.join(map(repr, missing or [la, lb]))} "
                       "at a k_candidates both sides ran with")  # fmt: skip
            rows.append(row)
            continue
        for k in ks:
            left, right = paired_stages(results(points[(la, k)]), results(points[(lb, k)]), sa, sb)
            base = {**base_of(label, k), "compared_with": b}
            rows.extend(metric_rows(base, left, right, ctx.clusters, tests))
    return rows


def _shared_ks(points: pd.Series, a: str, b: str) -> list[int]:
    labels = points.index.get_level_values(0)
    ks_a = set(points.index[labels == a].get_level_values(1))
    ks_b = set(points.index[labels == b].get_level_values(1))
    return sorted(int(k) for k in ks_a & ks_b)


def _auto_of(label: str, known: set[str]) -> bool:
    """``... auto:pre`` names a configuration whose requested strategy is ``auto``."""
    head, _, chosen = label.rpartition(":")
    return bool(chosen) and head in known and head.endswith("auto")
