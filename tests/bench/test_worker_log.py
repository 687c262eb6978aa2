"""Library log lines (ScaNN's absl lines) go to OUT/logs, not the terminal; a crash brings its
last log lines into the failed row's error."""

from __future__ import annotations

from pathlib import Path

import pytest

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.bench.worker_log import last_words
from vecbench.reports.store import ResultStore


@pytest.mark.slow  # about 20 s under load: two workers, ScaNN's import and a core dump
def test_scann_noise_goes_to_the_log_and_a_crash_shows_its_tail(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    config = parse_config(
        {
            "name": "quiet",
            "dataset": {"name": "synthetic", "n_base": 600, "n_queries": 20},
            "warmup_queries": 0,
            "indexes": [
                {"adapter": "scann", "build": {"num_leaves": 8}, "query": {"leaves_to_search": 2, "reorder_k": 20}},
                {"adapter": "vecbench.testing.faults:FaultInjectingAdapter", "build": {"fault": "segfault"}},
            ],
        }
    )
    out = tmp_path / "out"
    Runner(config, out, progress=False).run()
    captured = capfd.readouterr()
    assert "PartitionerFactory" not in captured.err + captured.out, "ScaNN's absl lines stay off the terminal"
    logs = sorted((out / "logs").glob("*.log"))
    assert any("PartitionerFactory" in p.read_text() for p in logs if p.name.startswith("scann-"))
    rows = ResultStore(out).read().set_index("adapter")
    assert rows.loc["scann", "status"] == "ok"
    error = rows.loc["vecbench.testing.faults:FaultInjectingAdapter", "error"]
    assert "worker log" in error and "Segmentation fault" in error and "faults.py" in error, error


def test_last_words() -> None:
    faulthandler_output = [
        "Fatal Python error: Segmentation fault",
        "Current thread 0x1 (most recent call first):",
        'File "/x/faults.py", line 46 in _misbehave',
        'File "/x/worker.py", line 9 in run_task',
        'File "<string>", line 1 in <module>',
        "Extension modules: numpy, pandas (total: 2)",
    ]
    assert last_words(faulthandler_output) == [faulthandler_output[0], *faulthandler_output[2:4]]
    assert last_words(["a", "b", "c", "d"]) == ["b", "c", "d"]
