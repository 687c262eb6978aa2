"""The terminal table: short numbers, labels without default values, MiB, a fit to the width,
a 'best:' line, headlines, stage lines and MLflow upload progress."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from vecbench.reports.constraints import Constraints
from vecbench.reports.mlflow_sync import UploadProgress
from vecbench.reports.schema import conform
from vecbench.reports.table import format_results
from vecbench.reports.terminal import configuration, headline, human, short_params, stage, written_params


def row(key: str, adapter: str, build: dict, query: dict, recall: float, cpu: float, qps: float) -> dict:
    return {
        "experiment": "t", "dataset": "d", "dataset_fingerprint": "f", "k": 10, "adapter": adapter,
        "build_params": json.dumps(build), "query_params": json.dumps(query), "recall": recall,
        "qps": qps, "cpu_ms_per_query": cpu, "latency_p50_ms": 0.05, "latency_p99_ms": 0.2,
        "build_s": 1.5, "index_bytes": 3 * 2**20, "status": "ok", "point_key": key, "repeats": 1,
    }  # fmt: skip


FRAME = conform(
    pd.DataFrame(
        [
            row("a", "hnswlib", {"M": 16, "ef_construction": 200, "seed": 100, "build_threads": 0}, {"ef": 10}, 0.91, 0.041, 23_649),
            row("b", "hnswlib", {"M": 16, "ef_construction": 200, "seed": 100, "build_threads": 0}, {"ef": 80}, 0.99, 0.12, 8_100),
            row("c", "faiss-ivf", {"nlist": 256}, {"nprobe": 1}, 0.95, 0.03, 48_328),
        ]
    )
)


def test_human_numbers() -> None:
    assert [human(v) for v in (23_649, 1_234_567, 0.04123, 999, None)] == ["23.6k", "1.23M", "0.0412", "999", "-"]


def test_labels_leave_out_defaults_unless_written_or_telling_rows_apart(tmp_path: Path) -> None:
    build = FRAME.loc[0, "build_params"]
    assert short_params("hnswlib", build) == ""  # M=16 ef_construction=200 seed=100 build_threads=0: all defaults
    assert short_params("hnswlib", build, frozenset({"M", "ef_construction"})) == "M=16 ef_construction=200"
    assert configuration(FRAME.loc[2]) == "faiss-ivf nlist=256"  # nprobe=1 is the default
    assert configuration(FRAME.loc[2], {"faiss-ivf": frozenset({"nprobe"})}) == "faiss-ivf nlist=256 | nprobe=1"
    config = {"indexes": [{"adapter": "hnswlib", "build": {"M": 16, "ef_construction": 200}, "query": [{"ef": 10}]}]}
    assert written_params(config) == {"hnswlib": frozenset({"M", "ef_construction", "ef"})}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    shown = format_results(FRAME, out_dir=tmp_path)
    assert "hnswlib M=16 ef_construction=200 | ef=10" in shown and "seed" not in shown


def test_table_fits_the_terminal_and_names_the_best(monkeypatch: pytest.MonkeyPatch) -> None:
    constraints = Constraints(recall_min=0.9)
    wide = format_results(FRAME, constraints=constraints)
    assert "23.6k" in wide and "48.3k" in wide and "index MiB" in wide and wide.split("\n")[3].endswith(" 3")
    assert "seed" not in wide and "build_threads" not in wide and "hnswlib | ef=80" in wide
    assert "best: faiss-ivf nlist=256, cpu_ms_per_query 0.03 at recall 0.9500" in wide
    monkeypatch.setenv("COLUMNS", "60")
    narrow = format_results(FRAME, constraints=constraints)
    table = narrow.split("\n\n")[0].split("\n")
    assert max(len(line) for line in table) <= 60, narrow
    assert "p50 ms" not in narrow and "recall" in narrow and "hnswlib" in narrow


def test_headline_and_stage(capsys: pytest.CaptureFixture[str]) -> None:
    assert headline(FRAME.loc[0].to_dict()).startswith("done    hnswlib: ")  # all defaults, nothing written
    line = headline(FRAME.loc[0].to_dict(), {"hnswlib": frozenset({"M", "ef_construction", "ef"})})
    assert line == "done    hnswlib M=16 ef_construction=200 | ef=10: recall 0.91, 23.6k QPS, 0.041 ms CPU/query, p99 0.2 ms, index 3 MiB"
    assert headline({"adapter": "x", "status": "failed", "error": "boom\x1b[2J"}).endswith("boom\\x1b[2J")
    with stage("loading dataset d"):
        pass
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "loading dataset d ..." and err[1].startswith("loading dataset d: done in ")


def test_upload_progress_speaks_at_start_and_every_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    heard: list[str] = []
    clock = iter([0.0, 1.0, 4.0, 4.0])  # start; step 1 at 1 s; step 2 at 4 s (read twice when it speaks)
    monkeypatch.setattr("vecbench.reports.mlflow_sync.time.monotonic", lambda: next(clock))
    progress = UploadProgress(3, heard.append)
    progress.step()  # 1 s: quiet
    progress.step()  # 4 s: a line
    assert heard == ["MLflow: uploading 3 point run(s) and the artifacts", "MLflow: 2 run(s) logged, 4 s"]
