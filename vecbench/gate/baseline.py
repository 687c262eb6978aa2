"""``vecbench baseline save``: a compact, self-contained copy of a result set for later gating.

A baseline keeps the result rows, the environment and config they came from, and, for every
finished point, only the raw timing samples the gate's statistics use (per-query latencies, batch
times, build times, calibration timings of each repetition): no neighbour ids or distances, so a
small config's baseline is a few hundred kilobytes and can be committed.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from vecbench.errors import VecbenchError
from vecbench.gate.resultset import (
    BASELINE_FORMAT,
    BASELINE_MARKER,
    PIPELINE,
    SAMPLES_DIR,
    ResultSet,
    open_result_set,
)
from vecbench.gate.samples import SAMPLED, PointSamples, summarise
from vecbench.reports.pipeline_store import PIPELINE_FILE
from vecbench.reports.store import ENVIRONMENT_FILE, RESULTS_FILE

BASELINE_VERSION = 1


@dataclass(frozen=True)
class SavedSummary:
    path: Path
    points: int  # rows: one per point for index sweeps, one per value for pipelines
    with_samples: int
    bytes: int


def save_baseline(sources: Sequence[str | Path], target: str | Path) -> SavedSummary:
    """Write a baseline of ``sources`` to ``target``, replacing an earlier baseline there atomically.

    Several sources (runs of the same config, e.g. three CI jobs) are pooled: each point's
    repetitions from every job become its samples, so the gate's interval also sees how much one
    job differs from the next, not only how much workers within one job differ.
    """
    results = [open_result_set(source, "results") for source in sources]
    first = results[0]
    if first.kind == PIPELINE and len(results) > 1:
        raise VecbenchError("pipeline results are saved one run at a time; give one directory")
    for source, result in zip(sources[1:], results[1:], strict=True):
        if result.kind != first.kind or set(result.rows["dataset_fingerprint"]) != set(
            first.rows["dataset_fingerprint"]
        ):
            raise VecbenchError(
                f"{source} was measured on other data than {sources[0]}; pool runs of the same config only"
            )
    target = Path(target)
    replaceable = (target / BASELINE_MARKER).is_file() or (target.is_dir() and not any(target.iterdir()))
    if target.exists() and not replaceable:
        raise VecbenchError(
            f"refusing to overwrite {target}: it is not a vecbench baseline; choose an empty or new path"
        )
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    rows = first.rows.copy()
    try:
        (staging / SAMPLES_DIR).mkdir(parents=True)
        with_samples = 0
        for index, row in first.rows.iterrows():
            if row["status"] != "ok" or first.kind == PIPELINE:
                continue
            samples = _pooled(results, sources, str(row["point_key"]))
            for metric, spec in SAMPLED.items():  # row values as the pooled samples give them
                if metric in rows.columns and spec.array in samples.arrays:
                    rows.loc[index, metric] = float(summarise(metric, samples.values(metric, False).ravel()))
            rows.loc[index, "repeats"] = samples.repeats
            arrays = samples.as_arrays()
            np.savez_compressed(staging / SAMPLES_DIR / f"{row['point_key']}.npz", **arrays)  # type: ignore[arg-type]
            with_samples += 1
        table = pa.Table.from_pandas(rows, preserve_index=False)
        pq.write_table(table, staging / (PIPELINE_FILE if first.kind == PIPELINE else RESULTS_FILE))
        (staging / ENVIRONMENT_FILE).write_text(json.dumps(first.environment, indent=2))
        config = Path(sources[0]) / "config.yaml"
        if config.is_file():
            shutil.copyfile(config, staging / "config.yaml")
        meta = {
            "format": BASELINE_FORMAT,
            "version": BASELINE_VERSION,
            "sources": [str(Path(source).resolve()) for source in sources],
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "points": len(rows),
        }
        (staging / BASELINE_MARKER).write_text(json.dumps(meta, indent=2))
        _replace_dir(staging, target)
    except OSError as exc:
        raise VecbenchError(f"cannot write baseline {target}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    size = sum(path.stat().st_size for path in target.rglob("*") if path.is_file())
    return SavedSummary(target, len(rows), with_samples, size)


def _pooled(results: list[ResultSet], sources: Sequence[str | Path], key: str) -> PointSamples:
    """The samples of point ``key`` from every source where it finished (the first always must)."""
    parts = []
    for source, result in zip(sources, results, strict=True):
        matches = result.rows[(result.rows["point_key"] == key) & (result.rows["status"] == "ok")]
        if matches.empty:
            continue
        samples = result.samples(matches.iloc[0])
        if samples is None:
            raise VecbenchError(
                f"raw files of point {key} are missing in {source}; "
                "re-run the config into a fresh directory and save that"
            )
        parts.append(samples)
    return PointSamples.concat(parts)


def _replace_dir(new: Path, target: Path) -> None:
    """Swap ``new`` in for ``target``: never a half-written baseline at ``target``."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
