"""Wall time to append N result rows one at a time: the old rewrite-per-append store against the new one.

    PYTHONPATH=$PWD python benchmarks/store_appends.py [--sizes 1000 10000 50000] [--old-budget-s 600]

Each row is a realistic index-sweep row (every column of ``reports.schema``, an 8-character key per
point). "before" is a copy of the algorithm the store used until round 2 (read the whole parquet
file, drop the replaced keys, concatenate, rewrite it under a temporary name), kept here only as the
reference; its cost grows with the rows already stored, so it stops after ``--old-budget-s`` and
prints how many rows it reached. "after" is ``ResultStore.append`` (one part file per append) plus
the ``compact`` a run ends with, which is timed on its own. Both sides run in the same process, one
after the other, so they see the same machine load.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vecbench.reports.schema import COLUMNS, conform
from vecbench.reports.store import ResultStore


def result_row(i: int) -> dict[str, Any]:
    """One finished index-sweep row, as the runner appends it."""
    key = hashlib.sha256(str(i).encode()).hexdigest()[:16]
    return {
        "experiment": "store-bench",
        "dataset": "synthetic(n_base=100000, dim=96)",
        "dataset_fingerprint": "f" * 16,
        "metric": "l2",
        "n_base": 100_000,
        "n_queries": 1000,
        "dim": 96,
        "adapter": "hnswlib",
        "label": "hnswlib",
        "build_params": f'{{"M": {8 + i % 32}, "ef_construction": 200}}',
        "query_params": f'{{"ef": {10 + i}}}',
        "k": 10,
        "recall": 0.9 + (i % 100) / 1000,
        "recall_ids": 0.9,
        "qps": 12000.0 + i,
        "latency_p50_ms": 0.08,
        "latency_p95_ms": 0.12,
        "latency_p99_ms": 0.2,
        "latency_p999_ms": 0.4,
        "latency_mean_ms": 0.09,
        "latency_max_ms": 1.2,
        "cpu_ms_per_query": 0.08,
        "cpu_latency_p50_ms": 0.08,
        "build_s": 3.2,
        "index_bytes": 60_000_000,
        "rss_peak_bytes": 400_000_000,
        "rss_before_build_bytes": 100_000_000,
        "distance_computations": 800.0,
        "threads": 1,
        "build_threads": 16,
        "runs": 3,
        "repeats": 1,
        "calibration_ms": 12.5,
        "status": "ok",
        "error": None,
        "point_key": key,
        "build_key": key[:8],
        "raw_path": f"raw/{key}.npz",
        "finished_at": time.time(),
    }


# ---- BEFORE: the store until round 2, kept only as the reference to measure against -------------
def old_atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def old_read_rows(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    return pq.read_table(path).to_pandas()


def old_upsert_rows(path: Path, new: pd.DataFrame, metadata: Mapping[bytes, bytes] | None = None) -> None:
    """OLD: read everything, drop replaced keys, concatenate, rewrite the whole file."""
    if new.empty:
        return
    old = old_read_rows(path)
    if not old.empty:
        old = old[~old["point_key"].isin(set(new["point_key"]))]
    frame = pd.concat([old, new], ignore_index=True) if not old.empty else new
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    old_atomic_write_bytes(path, sink.getvalue().to_pybytes())


def old_append(path: Path, row: dict[str, Any]) -> None:
    """OLD ResultStore.append (environment metadata left out on both sides)."""
    old_upsert_rows(path, conform(pd.DataFrame([row]), COLUMNS))


# ---- END OF BEFORE ---------------------------------------------------------------------------------


def time_old(n: int, folder: Path, budget_s: float) -> tuple[float, int]:
    path = folder / "results.parquet"
    started = time.perf_counter()
    for i in range(n):
        old_append(path, result_row(i))
        if time.perf_counter() - started > budget_s:
            return time.perf_counter() - started, i + 1
    return time.perf_counter() - started, n


def time_new(n: int, folder: Path) -> tuple[float, float, int]:
    store = ResultStore(folder)
    store.prepare()
    started = time.perf_counter()
    for i in range(n):
        store.append([result_row(i)])
    appended = time.perf_counter() - started
    started = time.perf_counter()
    store.compact()
    compacted = time.perf_counter() - started
    return appended, compacted, len(store.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument(
        "--old-budget-s", type=float, default=600.0, help="stop the old store after this long"
    )
    args = parser.parse_args()
    print(
        f"{'rows':>7}  {'before (rewrite per append)':>34}  {'after: appends':>15}  {'+ compact':>10}  ratio"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as old_dir, tempfile.TemporaryDirectory() as new_dir:
            new_s, compact_s, rows = time_new(n, Path(new_dir))
            assert rows == n, (rows, n)
            old_s, reached = time_old(n, Path(old_dir), args.old_budget_s)
        if reached == n:
            before = f"{old_s:10.1f} s"
            ratio = f"{old_s / (new_s + compact_s):6.1f}x"
        else:
            before = f"stopped at {old_s:.0f} s after {reached:,} rows"
            # per-row cost, old (its first `reached` rows only) over new: a lower bound, as the old
            # cost per row keeps growing with the rows stored
            ratio = f">{(old_s / reached) / ((new_s + compact_s) / n):.1f}x per row"
        print(f"{n:>7,}  {before:>34}  {new_s:13.1f} s  {compact_s:8.1f} s  {ratio}", flush=True)


if __name__ == "__main__":
    main()
