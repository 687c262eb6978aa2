"""Rows rebuilt from ``raw/`` alone: the last resort when a results file is lost or damaged after
its part files were folded into it.

Every measured point of an index sweep leaves its raw arrays and, beside them, the worker's
message and build (``worker.write_record``). Planning the folder's own ``config.yaml`` again gives
each point's identity, so its row is recomputed exactly as the run computed it, from the same
arrays. Points that failed left no raw arrays and are not recovered: re-running the config
measures them again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from vecbench.bench.ann_experiment import AnnExperiment
from vecbench.bench.config import load_config
from vecbench.bench.engine import Row
from vecbench.bench.worker import read_record, record_path
from vecbench.reports.store import ResultStore, raw_file_name


def recoverable(out_dir: Path) -> bool:
    """Whether the folder has what a recovery needs: its config and at least one point record."""
    raw = ResultStore(out_dir).raw_dir
    return (out_dir / "config.yaml").is_file() and raw.is_dir() and any(raw.glob("*.json"))


def recover_rows(out_dir: Path) -> int:
    """Append the rows of every point whose raw files lie in ``raw/`` but which the results file
    does not hold; returns how many were recovered."""
    store = ResultStore(out_dir)
    experiment = AnnExperiment(load_config(out_dir / "config.yaml"), store)
    experiment.plan()
    existing = store.read()
    held = set(existing["point_key"]) if not existing.empty else set()
    rows: list[Row] = []
    for task in experiment.tasks():
        for key, point in task.points:
            paths = [store.raw_dir / raw_file_name(key, repeat) for repeat in range(task.repeats)]
            if key in held or not all(p.is_file() and record_path(p).is_file() for p in paths):
                continue
            records = [read_record(path) for path in paths]
            measured = [dataclasses.replace(m, raw_path=str(path)) for (m, _), path in zip(records, paths, strict=True)]
            rows.extend(experiment.records(task, point, measured, [built for _, built in records]))
    if rows:
        store.append(rows)
        store.compact()
    return len(rows)
