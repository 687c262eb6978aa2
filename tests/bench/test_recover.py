"""A results file lost after compaction is rebuilt from raw/ alone, with the rows the run wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.cli import main
from vecbench.reports.store import ResultStore

COLUMNS = ["point_key", "status", "recall", "recall_ids", "qps", "latency_p99_ms", "rss_peak_bytes",
           "build_s", "index_bytes", "calibration_ms", "strategy", "raw_path"]  # fmt: skip


def test_repair_rebuilds_every_measured_row_from_the_raw_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = parse_config(
        {
            "name": "recover",
            "dataset": {"name": "synthetic", "n_base": 600, "n_queries": 15, "options": {"dim": 8},
                        "attributes": {"generate": {}}},
            "k": 5,
            "warmup_queries": 2,
            "repeats": 2,
            "indexes": [{"adapter": "exact"}, {"adapter": "hnswlib", "query": {"ef": [8, 16]}}],
            "filters": [{"pass_rate": 0.3}],
            "strategies": ["post"],
        }
    )
    Runner(config, tmp_path, progress=False).run()
    store = ResultStore(tmp_path)
    written = store.read().sort_values("point_key")[COLUMNS].reset_index(drop=True)
    assert len(written) == 6 and (written["status"] == "ok").all()
    store.results_path.unlink()  # lost after its parts were folded in: only raw/ is left

    assert main(["results", "repair", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"6 row(s) rebuilt from the raw arrays in {tmp_path}/raw")
    rebuilt = store.read().sort_values("point_key")[COLUMNS].reset_index(drop=True)
    assert rebuilt.equals(written)

    assert main(["results", "repair", str(tmp_path)]) == 0  # nothing left to rebuild: no duplicates
    assert len(store.read()) == 6
