"""A runner killed with SIGKILL mid-sweep loses nothing written and resumes only what was missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT
from vecbench.reports.store import ResultStore


@pytest.mark.slow  # kept out of the default run for its time; run before resolving
def test_sigkill_mid_sweep_then_resume(tmp_path: Path) -> None:
    config = {
        "name": "kill",
        "dataset": {"name": "synthetic", "n_base": 1000, "n_queries": 40, "seed": 2, "options": {"dim": 8}},
        "k": 5,
        "warmup_queries": 0,
        "indexes": [
            {
                "adapter": "vecbench.testing.faults:FaultInjectingAdapter",
                "query": {"delay_ms": [5.0, 5.5, 6.0, 6.5, 7.0, 7.5]},
            }
        ],
    }
    config_path = tmp_path / "kill.yaml"
    config_path.write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "vecbench.cli",
        "run",
        str(config_path),
        "--out",
        str(out),
        "--no-progress",
    ]
    runner = subprocess.Popen(
        command, cwd=REPO_ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    store = ResultStore(out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not store.exists() or len(store.read()) < 2):
        assert runner.poll() is None, runner.stderr.read().decode() if runner.stderr else ""
        time.sleep(0.05)
    os.kill(runner.pid, signal.SIGKILL)  # only the runner: its worker must die with it
    runner.wait()
    killed = store.read()
    assert 2 <= len(killed) < 6
    assert (killed["status"] == "ok").all()

    resumed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert f"{6 - len(killed)} point(s) run, {len(killed)} already done" in resumed.stdout
    final = store.read()
    assert len(final) == 6 and (final["status"] == "ok").all()
    kept = final.set_index("point_key").loc[killed["point_key"], "finished_at"]
    assert list(kept) == list(killed["finished_at"])  # the finished rows were not re-run
