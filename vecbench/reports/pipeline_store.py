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
  ``delta_low``/``delta_high`` (paired cluster-bootstrap interval over users; catalogue metrics
  are recomputed on each resample; NaN for latencies) and ``significant`` (the interval excludes 0);
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

import pandas as pd

from vecbench.core.atomic import atomic_write_text
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
    "significant": "boolean",
    "build_s": "float64",
    "index_bytes": "Int64",
    "rss_peak_bytes": "Int64",
    "calibration_ms": "float64",
    "status": "string",
    "error": "string",
    "point_key": "string",
    "finished_at": "float64",
}


class PipelineStore:
    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.table = PartedTable(self.out_dir, PIPELINE_FILE, COLUMNS)

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
