"""The pipeline result store: ``OUT/pipeline.parquet``, long format, one part file per append (compacted at the end).

One row per (retrieval configuration, k_candidates, stage, metric, cohort). Columns:

- identity: ``experiment``, ``log``, ``split``, ``embedding``, ``scorer``, ``rerank``,
  ``config_fingerprint`` (everything but the index list: a rerun resumes only the same config),
  ``retrieval`` (a label: ``exact``, ``popularity``, or the adapter with its parameters),
  ``adapter``, ``build_params``, ``query_params`` (canonical JSON), ``k_candidates``, ``point_key``;
- stage 1's filter: ``filter`` (canonical text, ``... and not seen`` when seen items are excluded,
  ``none`` without any), ``filter_name``, ``pass_rate`` (mean share of indexed items a request may
  get), ``strategy`` (how the index honoured it: ``exact-subset`` for exact, ``post-adaptive``,
  ``pre``, ...), ``short_result_frac`` (requests with fewer than k_candidates candidates) and
  ``overfetch_mean`` (candidates asked of the index per request, as a multiple of k; NaN when
  brute-forced);
- ``stage``: ``retrieval`` (candidates in index order), ``scoring`` (candidates after the
  scorer), ``final`` (after re-ranking), or ``embedding`` for drift rows (``retrieval`` is ``-``);
- ``metric``: a name from ``metrics.recsys_catalog`` with its cut-off, e.g. ``ndcg@10``;
  ``higher_is_better`` copies its direction;
- ``cohort``: ``all``, ``activity:cold|medium|heavy``, ``popularity:head|torso|tail``, or for
  drift ``versions:A-B`` (time windows) and ``versus:KIND``;
- ``value`` (mean over requests for per-request metrics), ``n_requests`` (requests in the mean);
- against exact retrieval with the same k_candidates: ``exact_value``, ``delta`` (value - exact),
  ``delta_low``/``delta_high`` (paired cluster-bootstrap interval over users, always holding
  ``delta``; catalogue metrics are recomputed on each resample; NaN for latencies), ``p_value``
  (paired randomisation test, users swapped as a whole: exact when few users differ),
  ``p_adjusted`` (corrected across the run's family, see ``correct_rows``) and ``significant``
  (``p_adjusted`` < ``alpha`` = 1 - evaluation.level, under ``correction`` holm, bh or none);
- comparisons between configurations of the run (``compare:`` pairs, and always
  ``exact/scoring vs exact/retrieval``): ``retrieval`` is ``A vs B``, ``adapter`` ``compare``,
  ``compared_with`` B, and ``exact_value`` holds B's value; rows against exact have
  ``compared_with`` NA;
- cohorts also include ``window:I`` for each replay window of a ``global_time`` split with more
  than one (relevance metrics), so drift over time shows in the metrics themselves;
- from the retrieval worker (exact retrieval's too): ``build_s``, ``index_bytes``,
  ``rss_peak_bytes`` (the worker's VmHWM) and ``calibration_ms`` (the calibration kernel beside the run);
- ``status`` (``ok``/``failed``), ``error``, ``finished_at``.

Ranked lists and latencies per stage are kept in ``OUT/pipeline_raw/`` so metrics can be recomputed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vecbench.core.atomic import atomic_write_text
from vecbench.errors import ConfigError
from vecbench.metrics.significance import Correction, adjust
from vecbench.reports.parts import PartedTable, Repaired
from vecbench.reports.store import make_directory

PIPELINE_FILE = "pipeline.parquet"
CHECKS_FILE = "pipeline_checks.json"
RAW_DIR = "pipeline_raw"

COLUMNS: dict[str, str] = {
    "experiment": "string",
    "log": "string",
    "split": "string",
    "embedding": "string",
    "scorer": "string",
    "rerank": "string",
    "config_fingerprint": "string",
    "retrieval": "string",
    "adapter": "string",
    "build_params": "string",
    "query_params": "string",
    "k_candidates": "Int64",
    "filter": "string",
    "filter_name": "string",
    "pass_rate": "float64",
    "strategy": "string",
    "short_result_frac": "float64",
    "overfetch_mean": "float64",
    "stage": "string",
    "metric": "string",
    "cohort": "string",
    "higher_is_better": "boolean",
    "value": "float64",
    "n_requests": "Int64",
    "exact_value": "float64",
    "delta": "float64",
    "delta_low": "float64",
    "delta_high": "float64",
    "p_value": "float64",
    "p_adjusted": "float64",
    "significant": "boolean",
    "build_s": "float64",
    "index_bytes": "Int64",
    "rss_peak_bytes": "Int64",
    "calibration_ms": "float64",
    "correction": "string",
    "alpha": "float64",
    "compared_with": "string",
    "status": "string",
    "error": "string",
    "point_key": "string",
    "finished_at": "float64",
}


class PipelineStore:
    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        # p-values are corrected over the whole run whenever it is read or compacted: a new
        # configuration joins every family, and appends stay O(rows).
        self.table = PartedTable(self.out_dir, PIPELINE_FILE, COLUMNS, finish=correct_rows)

    @property
    def path(self) -> Path:
        return self.out_dir / PIPELINE_FILE

    @property
    def raw_dir(self) -> Path:
        return self.out_dir / RAW_DIR

    def prepare(self) -> None:
        make_directory(self.raw_dir)

    def exists(self) -> bool:
        return self.table.exists()

    def read(self) -> pd.DataFrame:
        """Every row (compacted file and parts); an append replaces all earlier rows of its point_keys."""
        return self.table.read()

    def append(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add rows as one part file; O(rows), whatever the table holds."""
        self.table.append(rows)

    def compact(self) -> int:
        """Fold the part files into pipeline.parquet (end of a run); returns how many were folded."""
        return self.table.compact()

    def repair(self) -> Repaired:
        """Rebuild an unreadable pipeline.parquet from the part files (the damaged file is kept)."""
        return self.table.repair()

    def write_checks(self, checks: Mapping[str, Any]) -> None:
        atomic_write_text(self.out_dir / CHECKS_FILE, json.dumps(checks, indent=2, default=str))


# Rows with a p-value are corrected together when they share these: one run, stage, metric, cohort.
FAMILY = ("config_fingerprint", "correction", "stage", "metric", "cohort")


def correct_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """``p_adjusted`` and ``significant`` for every row with a p-value, family by family.

    A family is every comparison of one run on one stage, metric and cohort: each configuration
    and k against exact, and each ``compare`` pair. ``correction`` (holm by default, bh, none)
    and ``alpha`` of the rows say how they are judged: significant when p_adjusted < alpha.
    Rows without a p-value (references, latencies, drift, failures) keep NA.
    """
    if frame.empty or "p_value" not in frame.columns:
        return frame
    out = frame.copy()
    out["p_adjusted"] = np.nan
    out["significant"] = pd.array([pd.NA] * len(out), dtype="boolean")
    tested = out[out["p_value"].notna() & out["status"].eq("ok")]
    if tested.empty:
        return out
    families = tested[list(FAMILY)].astype("string").fillna("")
    for _, index in families.groupby(list(FAMILY), sort=False).groups.items():
        rows = tested.loc[index]
        adjusted = adjust(rows["p_value"].to_numpy(np.float64), _method(rows["correction"].iloc[0]))
        out.loc[index, "p_adjusted"] = adjusted
        out.loc[index, "significant"] = adjusted < rows["alpha"].fillna(0.05).to_numpy(np.float64)
    return out


def _method(name: Any) -> Correction:
    if pd.isna(name) or name == "holm":
        return "holm"
    if name == "bh" or name == "none":
        return "bh" if name == "bh" else "none"
    raise ConfigError(f"unknown correction '{name}' in the pipeline results; use holm, bh or none")
