"""Output folders: one run at a time, never someone else's folder or files, never outside runs/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from markupsafe import Markup

from tests.conftest import REPO_ROOT
from vecbench.cli import main
from vecbench.errors import ConfigError
from vecbench.reports.html.report import write_plots
from vecbench.reports.lock import FolderBusy, RunLock
from vecbench.reports.result_folder import MARKER_FILE, check_same_experiment, default_out_dir, safe_name
from vecbench.reports.store import ResultStore

TINY: dict[str, Any] = {
    "name": "tiny",
    "dataset": {"name": "synthetic", "n_base": 300, "n_queries": 10, "seed": 3, "options": {"dim": 4}},
    "k": 5,
    "warmup_queries": 0,
    "indexes": [{"adapter": "exact"}],
}


def write_config(folder: Path, **changes: Any) -> Path:
    path = folder / f"config-{len(list(folder.glob('config-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump({**TINY, **changes}))
    return path


def run_cli(config: Path, *extra: str) -> int:
    return main(["run", str(config), "--no-progress", "--no-mlflow", *extra])


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_non_empty_folder_that_is_not_a_result_set_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    assert run_cli(write_config(tmp_path), "--out", str(folder)) == 2
    assert "is not empty and is not a vecbench result set" in one_error_line(capsys)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_run_marks_its_folder_and_the_same_config_resumes_into_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, config = tmp_path / "out", write_config(tmp_path)
    assert run_cli(config, "--out", str(out)) == 0
    assert (out / MARKER_FILE).is_file() and (out / "results.parquet").is_file()
    assert not (out / "parts").exists()  # compacted at the end of the run
    assert run_cli(config, "--out", str(out)) == 0
    assert "0 point(s) run, 1 already done" in capsys.readouterr().out


def test_another_experiment_or_dataset_in_the_same_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run_cli(write_config(tmp_path), "--out", str(out)) == 0
    capsys.readouterr()
    assert run_cli(write_config(tmp_path, name="other"), "--out", str(out)) == 2
    assert "holds results of experiment 'tiny'" in one_error_line(capsys)
    other_data = {**TINY["dataset"], "seed": 4}
    assert run_cli(write_config(tmp_path, dataset=other_data), "--out", str(out)) == 2
    assert "give another --out" in one_error_line(capsys)
    assert len(ResultStore(out).read()) == 1


def test_check_same_experiment_accepts_the_same_and_refuses_a_pipeline_folder(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.append([{"point_key": "a", "experiment": "e", "dataset": "d", "dataset_fingerprint": "f1"}])
    check_same_experiment(store, "e", "d", "f1")
    with pytest.raises(ConfigError, match="fingerprint f1"):
        check_same_experiment(store, "e", "d", "f2")
    from vecbench.reports.pipeline_store import PipelineStore

    PipelineStore(tmp_path / "p").append([{"point_key": "x", "status": "ok"}])
    with pytest.raises(ConfigError, match="holds pipeline results"):
        check_same_experiment(ResultStore(tmp_path / "p"), "e", "d", "f1")


@pytest.mark.parametrize("name", ["../../x", "/abs/dir", "a/../../b", "..", "ok name"])
def test_a_config_name_never_leads_the_default_folder_outside_runs(name: str) -> None:
    folder = default_out_dir(name)
    assert folder.parent == Path("runs") and safe_name(name) not in ("", ".", "..")
    assert "/" not in safe_name(name)


def test_a_config_name_with_dots_runs_inside_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert run_cli(write_config(tmp_path, name="../../escape")) == 0
    assert (tmp_path / "work" / "runs" / "escape" / "results.parquet").is_file()
    assert not (tmp_path.parent / "escape").exists()


def test_plots_vecbench_did_not_write_are_never_deleted(tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "mine.svg").write_text("<svg/>")
    write_plots(tmp_path, {"recall": Markup("<svg/>")})
    write_plots(tmp_path, {"latency": Markup("<svg/>")})  # recall.svg is now stale: vecbench's own
    assert sorted(p.name for p in plots.iterdir()) == ["latency.svg", "mine.svg"]


HOLD = (
    "import sys, time; from vecbench.reports.lock import RunLock; "
    "RunLock(sys.argv[1], ['vecbench', 'run', 'holder.yaml']).acquire(); print('held', flush=True); time.sleep(120)"
)


def test_a_locked_folder_is_refused_naming_the_holder_and_a_killed_holder_leaves_no_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert run_cli(write_config(tmp_path), "--out", str(out)) == 2
        line = one_error_line(capsys)
        assert f"in use by pid {holder.pid} (vecbench run holder.yaml)" in line
        with pytest.raises(FolderBusy):
            RunLock(out).acquire()
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    with RunLock(out):  # the kernel dropped the dead holder's lock: nothing stale to clean up
        pass


def test_wait_takes_the_folder_once_the_holder_is_gone(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    killer = threading.Timer(0.5, os.kill, (holder.pid, signal.SIGKILL))
    killer.start()
    started = time.monotonic()
    with RunLock(tmp_path, wait=True):
        waited = time.monotonic() - started
    holder.wait()
    killer.join()
    assert waited >= 0.4


CONCURRENT: dict[str, Any] = {
    **TINY,
    "name": "concurrent",
    "indexes": [
        {
            "adapter": "vecbench.testing.faults:FaultInjectingAdapter",
            "query": {"delay_ms": [20.0, 21.0, 22.0]},
        }
    ],
}


@pytest.mark.slow
def test_three_concurrent_runs_one_wins_two_exit_2_naming_it_nothing_lost(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(CONCURRENT))
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "vecbench.cli",
        "run",
        str(config),
        "--out",
        str(out),
        "--no-progress",
        "--no-mlflow",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    started = time.monotonic()
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [(run.pid, *run.communicate(timeout=300), run.returncode) for run in runs]
    codes = sorted(code for *_, code in results)
    assert codes == [0, 2, 2], results
    winner = next(pid for pid, _, _, code in results if code == 0)
    for _, _, err, code in results:
        if code == 2:
            assert err.count("\n") == 1 and f"in use by pid {winner}" in err, err
    frame = ResultStore(out).read()
    assert len(frame) == 3 and (frame["status"] == "ok").all()
    print(
        f"three runs: exit codes {codes}, winner pid {winner}, {len(frame)} rows, {time.monotonic() - started:.1f} s"
    )
