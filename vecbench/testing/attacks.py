"""Hostile inputs tried against vecbench as a careless user or CI script would: each case says
whether vecbench held (one line and exit 2 for bad input, failed rows for a bad library, nothing
lost or clobbered) and how many result rows were lost.

``tests/test_attacks.py`` runs every case (the slow ones under ``-m slow``);
``benchmarks/attack_cases.py`` runs them all and prints "cases tried / held / data lost". A case
is a function of a scratch folder; it runs the real CLI in a subprocess wherever the CLI is what
a user meets, so a traceback, a hang or a wrong exit code shows as it would for them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from vecbench.errors import VecbenchError
from vecbench.reports.store import ResultStore

FAULTS = "vecbench.testing.faults:FaultInjectingAdapter"
SYNTH: dict[str, Any] = {"name": "synthetic", "n_base": 300, "n_queries": 20, "options": {"dim": 8}}


@dataclass(frozen=True)
class Outcome:
    held: bool
    detail: str
    rows_lost: int = 0
    skipped: bool = False  # the case needs what this machine lacks: neither held nor failed


@dataclass(frozen=True)
class Attack:
    name: str
    group: str
    run: Callable[[Path], Outcome]
    slow: bool = False


ATTACKS: list[Attack] = []


def attack(group: str, slow: bool = False) -> Callable[[Callable[[Path], Outcome]], Callable[[Path], Outcome]]:
    def register(func: Callable[[Path], Outcome]) -> Callable[[Path], Outcome]:
        ATTACKS.append(Attack(func.__name__.replace("_", " "), group, func, slow))
        return func

    return register


# --- helpers ---------------------------------------------------------------------------------


def vecbench(
    *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess, as a user runs it (PYTHONPATH and the cache folder inherited)."""
    return subprocess.run(
        [sys.executable, "-m", "vecbench.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def one_line_error(result: subprocess.CompletedProcess[str], *fragments: str, limit: int = 1100) -> Outcome:
    """Held when the command exited 2 with one 'error: ...' line naming every fragment."""
    lines = result.stderr.strip().splitlines()
    problems = []
    if result.returncode != 2:
        problems.append(f"exit {result.returncode}")
    if "Traceback" in result.stderr:
        problems.append("traceback")
    if len(lines) != 1 or not lines[0].startswith(("error: ", "vecbench gate: ERROR (exit 2)")):
        problems.append(f"{len(lines)} stderr lines")
    elif len(lines[0]) > limit:
        problems.append(f"a {len(lines[0]):,}-character line")
    missing = [f for f in fragments if not any(f in line for line in lines)]
    if missing:
        problems.append(f"no {missing[0]!r} in the message")
    first = lines[-1][:160] if lines else ""
    return Outcome(not problems, "; ".join(problems) or first)


def write_config(folder: Path, config: dict[str, Any] | str, name: str = "config.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(config if isinstance(config, str) else yaml.safe_dump({"name": "attack", **config}))
    return path


def run_config(tmp: Path, body: dict[str, Any] | str, *extra: str) -> subprocess.CompletedProcess[str]:
    path = write_config(tmp, body)
    return vecbench("run", str(path), "--out", str(tmp / "out"), "--no-progress", "--no-mlflow", *extra, cwd=tmp)


def rows_in(out: Path) -> int:
    """Rows kept in OUT: the results file and the part files not yet folded into it."""
    return len(ResultStore(out).read())


def exact_config(**changes: Any) -> dict[str, Any]:
    return {"dataset": SYNTH, "k": 5, "latency": False, "indexes": [{"adapter": "exact"}], **changes}


_RUNS: dict[Path, Path] = {}


def finished_run(tmp: Path) -> Path:
    """A small real result folder (exact search, one point) to point report and gate at."""
    out = tmp / "finished"
    result = vecbench(
        "run", str(write_config(tmp / "cfg", exact_config())), "--out", str(out), "--no-progress", "--no-mlflow",
        cwd=tmp,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the reference run failed: {result.stderr[-500:]}")
    return out


# --- resource exhaustion (issue 18, items 5, 6, 13) --------------------------------------------


def alias_bomb(levels: int) -> str:
    """A parameter value of a few hundred bytes whose aliases stand for 5 * 9^(levels-1) strings
    (8 levels: 24 million, the 312 MB error line of issue 18; every anchor inside the value, so
    no unknown key stops it before it expands)."""
    layers = ['&a0 ["xxxxxxxxxx","xxxxxxxxxx","xxxxxxxxxx","xxxxxxxxxx","xxxxxxxxxx"]']
    layers += [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    body = yaml.safe_dump(exact_config(indexes=[{"adapter": "hnswlib", "build": {"M": "BOMB"}}]))
    # [[...]]: a grid of one value (a list is a grid), the nested list that holds every layer
    return "name: attack\n" + body.replace("BOMB", f"[[{', '.join(layers)}]]")


@attack("resource exhaustion")
def yaml_alias_bomb_in_a_parameter(tmp: Path) -> Outcome:
    return one_line_error(run_config(tmp, alias_bomb(8)), "aliases")


@attack("resource exhaustion")
def yaml_alias_bomb_one_level_deeper(tmp: Path) -> Outcome:
    return one_line_error(run_config(tmp, alias_bomb(9)), "aliases")


@attack("resource exhaustion")
def recursive_yaml_alias(tmp: Path) -> Outcome:
    text = "name: attack\nloop: &loop [*loop]\n" + yaml.safe_dump(exact_config())
    return one_line_error(run_config(tmp, text), "alias")


@attack("resource exhaustion")
def config_file_of_2_mib(tmp: Path) -> Outcome:
    text = yaml.safe_dump({"name": "attack", **exact_config()}) + "# " + "x" * (2 << 20) + "\n"
    return one_line_error(run_config(tmp, text), "larger than")


@attack("resource exhaustion")
def megabyte_string_as_a_parameter_value(tmp: Path) -> Outcome:
    body = exact_config(indexes=[{"adapter": "hnswlib", "build": {"M": "x" * 500_000}}])
    return one_line_error(run_config(tmp, body), "'M'")


@attack("resource exhaustion")
def gate_bootstrap_of_10_8(tmp: Path) -> Outcome:
    policy = write_config(tmp, "bootstrap: 100000000\n", "policy.yaml")
    out = str(tmp / "nowhere")
    start = time.monotonic()
    result = vecbench("gate", "--baseline", out, "--current", out, "--policy", str(policy), cwd=tmp)
    outcome = one_line_error(result, "bootstrap")
    if time.monotonic() - start > 30:
        return Outcome(False, "took more than 30 s")
    return outcome


@attack("resource exhaustion")
def runs_and_repeats_of_10_9(tmp: Path) -> Outcome:
    return one_line_error(run_config(tmp, exact_config(runs=10**9)), "runs")


@attack("resource exhaustion")
def synthetic_dataset_of_4_pb(tmp: Path) -> Outcome:
    huge = {"name": "synthetic", "n_base": 10**12, "n_queries": 10, "options": {"dim": 1024}}
    return one_line_error(run_config(tmp, exact_config(dataset=huge)), "memory", "available")


# --- injection (items 8, 9) ---------------------------------------------------------------------

HOSTILE_LABEL = "evil\n## \u2705 vecbench gate: pass <img src=x onerror=alert(1)> \x1b[2J\x1b[31m"


@attack("injection")
def labels_with_markdown_html_and_escape_codes(tmp: Path) -> Outcome:
    body = exact_config(indexes=[{"adapter": "exact", "label": HOSTILE_LABEL}])
    out = tmp / "out"
    result = run_config(tmp, body)
    if result.returncode != 0:
        return Outcome(False, f"the run failed: {result.stderr[-200:]}")
    problems = []
    if "\x1b" in result.stdout + result.stderr:
        problems.append("escape code reached the terminal from 'vecbench run'")
    md, js = tmp / "gate.md", tmp / "gate.json"
    gate = vecbench(
        "gate", "--baseline", str(out), "--current", str(out), "--all", "--markdown", str(md), "--json", str(js),
        cwd=tmp,
    )
    if gate.returncode != 0:
        return Outcome(False, f"gate exit {gate.returncode}: {gate.stderr[-200:]}")
    if "\x1b" in gate.stdout + gate.stderr:
        problems.append("escape code reached the terminal from 'vecbench gate'")
    text = md.read_text()
    if "<img" in text:
        problems.append("HTML in the Markdown")
    if sum(line.startswith("## ") for line in text.splitlines()) != 1:
        problems.append("a forged heading in the Markdown")
    if HOSTILE_LABEL not in json.loads(js.read_text())["checks"][0]["label"]:
        problems.append("the JSON verdict lost the real label")
    return Outcome(not problems, "; ".join(problems) or "escaped in Markdown and terminal, kept in JSON")


def _dataset(name: str, base: np.ndarray, queries: np.ndarray) -> Any:
    from vecbench.datasets.base import Dataset
    from vecbench.datasets.fingerprint import fingerprint
    from vecbench.indexes.base import Metric

    return Dataset(name, base, queries, Metric.EUCLIDEAN, fingerprint(base, queries, Metric.EUCLIDEAN))


def _ground_truth_dataset() -> Any:
    rng = np.random.default_rng(5)
    base = rng.normal(size=(400, 8)).astype(np.float32)
    return _dataset("gt-attack", base, rng.normal(size=(12, 8)).astype(np.float32))


def _craft_cache(tmp: Path, forge_checksum: bool) -> Outcome:
    from vecbench.datasets import cache
    from vecbench.datasets.ground_truth import cache_source, exact_ground_truth

    dataset = _ground_truth_dataset()
    truth = exact_ground_truth(dataset, 10, None)
    wrong = np.ascontiguousarray(truth.ids[:, ::-1])  # every id of the file in the wrong order
    distances = np.ascontiguousarray(truth.distances)
    path = cache.cache_path(tmp, dataset.fingerprint, dataset.metric, truth.k)
    if forge_checksum:
        cache.write_atomic(path, wrong, distances, source=cache_source(dataset, truth.k))
    else:
        np.savez(path, ids=wrong, distances=distances)
    read = exact_ground_truth(dataset, 10, tmp)
    held = bool(np.array_equal(read.ids, truth.ids))
    return Outcome(held, "recomputed" if held else "the crafted ids were used")


@attack("injection")
def crafted_ground_truth_cache_with_wrong_ids(tmp: Path) -> Outcome:
    return _craft_cache(tmp, forge_checksum=False)


@attack("injection")
def crafted_ground_truth_cache_with_a_forged_checksum(tmp: Path) -> Outcome:
    return _craft_cache(tmp, forge_checksum=True)


@attack("injection")
def ground_truth_cache_of_another_dataset_renamed(tmp: Path) -> Outcome:
    from vecbench.datasets import cache
    from vecbench.datasets.ground_truth import exact_ground_truth

    dataset = _ground_truth_dataset()
    other = _dataset("other", dataset.base[::-1].copy(), dataset.queries)
    exact_ground_truth(other, 10, tmp / "o")
    (theirs,) = (tmp / "o").glob("gt-*.npz")
    os.replace(theirs, cache.cache_path(tmp, dataset.fingerprint, dataset.metric, 100))
    held = bool(np.array_equal(exact_ground_truth(dataset, 10, tmp).ids, exact_ground_truth(dataset, 10, None).ids))
    return Outcome(held, "recomputed" if held else "another dataset's neighbours were used")


# --- one line and exit 2 (items 10-15) ----------------------------------------------------------


@attack("one line, exit 2")
def gate_json_into_a_directory(tmp: Path) -> Outcome:
    (tmp / "d").mkdir()
    out = str(tmp / "nothing")
    return one_line_error(vecbench("gate", "--baseline", out, "--current", out, "--json", str(tmp / "d"), cwd=tmp), "directory")


@attack("one line, exit 2")
def gate_markdown_into_a_directory(tmp: Path) -> Outcome:
    (tmp / "d").mkdir()
    out = str(tmp / "nothing")
    result = vecbench("gate", "--baseline", out, "--current", out, "--markdown", str(tmp / "d"), cwd=tmp)
    return one_line_error(result, "directory")


def _results_file_replaced(tmp: Path, replace: Callable[[Path], None]) -> Outcome:
    out = finished_run(tmp)
    replace(out / "results.parquet")
    config = str(tmp / "cfg" / "config.yaml")
    for args in (
        ("results", "show", str(out)),
        ("report", str(out)),
        ("gate", "--baseline", str(out), "--current", str(out)),
        ("run", config, "--out", str(out), "--no-progress", "--no-mlflow"),
    ):
        outcome = one_line_error(vecbench(*args, cwd=tmp), "results.parquet")
        if not outcome.held:
            return Outcome(False, f"{args[0]}: {outcome.detail}")
    return Outcome(True, "run, report, results show and gate: one line, exit 2")


def _make_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "part-0.parquet").write_bytes(b"")


def _foreign_parquet(path: Path) -> None:
    pq.write_table(pa.table({"user": [1, 2, 3], "clicks": [4.0, 5.0, 6.0]}), path)


@attack("one line, exit 2", slow=True)
def results_parquet_is_a_directory(tmp: Path) -> Outcome:
    return _results_file_replaced(tmp, _make_directory)


@attack("one line, exit 2", slow=True)
def results_parquet_from_another_tool(tmp: Path) -> Outcome:
    return _results_file_replaced(tmp, _foreign_parquet)


def _movielens_zip(folder: Path) -> tuple[Path, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ml-100k/u.data", "1\t1\t5\t881250949\n")
        archive.writestr("ml-100k/u.item", "1|Toy Story (1995)|01-Jan-1995||x|0|0|0\n")
    path = folder / "ml-100k.zip"
    path.write_bytes(buffer.getvalue())
    return path, hashlib.sha256(buffer.getvalue()).hexdigest()


@attack("one line, exit 2")
def datasets_fetch_onto_a_file(tmp: Path) -> Outcome:
    archive, digest = _movielens_zip(tmp)
    (tmp / "data").write_text("my notes")
    result = vecbench(
        "datasets", "fetch", "movielens-100k", "--dest", str(tmp / "data"), "--url", archive.as_uri(),
        "--sha256", digest, cwd=tmp,
    )
    outcome = one_line_error(result, "not a folder")
    if (tmp / "data").read_text() != "my notes":
        return Outcome(False, "the user's file was changed")
    return outcome


@attack("one line, exit 2")
def datasets_fetch_into_a_symlink(tmp: Path) -> Outcome:
    archive, digest = _movielens_zip(tmp)
    mine = tmp / "my-folder"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    (tmp / "data").mkdir()
    (tmp / "data" / "ml-100k").symlink_to(mine)
    result = vecbench(
        "datasets", "fetch", "movielens-100k", "--dest", str(tmp / "data"), "--url", archive.as_uri(),
        "--sha256", digest, cwd=tmp,
    )
    outcome = one_line_error(result, "symbolic link")
    if not (mine / "keep.txt").is_file():
        return Outcome(False, "the folder behind the link lost the user's file")
    return outcome


@contextlib.contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[bool]:
    """A tmpfs of ``size`` mounted at ``path`` (yields False where mounting is not allowed)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, check=False
    )
    try:
        yield mounted.returncode == 0
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@attack("one line, exit 2", slow=True)
def disk_full_during_a_run(tmp: Path) -> Outcome:
    out = tmp / "small"
    with small_filesystem(out, "600k") as mounted:
        if not mounted:
            return Outcome(False, "cannot mount a small tmpfs here", skipped=True)
        big = {"name": "synthetic", "n_base": 3000, "n_queries": 2000, "options": {"dim": 8}}
        body = exact_config(dataset=big, k=10, indexes=[{"adapter": FAULTS, "query": {"delay_ms": [0.0, 0.001, 0.002, 0.003, 0.004, 0.005]}}])
        path = write_config(tmp, body)
        result = vecbench("run", str(path), "--out", str(out), "--no-progress", "--no-mlflow", cwd=tmp)
        outcome = one_line_error(result, "No space left", str(out))
        try:
            kept = rows_in(out)
        except (OSError, pa.ArrowInvalid, VecbenchError) as exc:
            return Outcome(False, f"results unreadable after the full disk: {exc}", rows_lost=-1)
        done = len(list((out / "raw").glob("*.npz"))) if (out / "raw").is_dir() else 0
        lost = max(0, done - kept)
        if lost:
            return Outcome(False, f"{done} points measured, {kept} rows kept", rows_lost=lost)
        return Outcome(outcome.held, f"{outcome.detail} ({kept} rows kept)")


SWEEP_OF_SLOW_POINTS = {"adapter": FAULTS, "query": {"delay_ms": [float(i) for i in range(1, 13)]}}
# One worker per build point: a Ctrl-C can land while one is starting, before it ignores SIGINT.
SWEEP_OF_WORKERS = {"adapter": "hnswlib", "build": {"M": [4, 5, 6, 7, 8, 9, 10, 11]}, "query": {"ef": [10, 20]}}


def interrupted_run(
    tmp: Path, index: dict[str, Any] = SWEEP_OF_SLOW_POINTS, after_s: float = 0.0
) -> tuple[subprocess.CompletedProcess[str] | None, int, str]:
    """A real 'vecbench run', sent SIGINT (to its whole process group, as a terminal's Ctrl-C is)
    ``after_s`` seconds after two points are in its result file."""
    body = exact_config(indexes=[index], runs=2)
    path = write_config(tmp, body)
    out = tmp / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "vecbench.cli", "run", str(path), "--out", str(out), "--no-progress", "--no-mlflow"],
        cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError, pa.ArrowInvalid, VecbenchError):
            if rows_in(out) >= 2:
                break
        time.sleep(0.1)
    time.sleep(after_s)
    if process.poll() is not None:
        return None, 0, f"the run ended before it could be interrupted (exit {process.returncode})"
    os.killpg(process.pid, signal.SIGINT)
    sent = time.monotonic()
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        return None, 0, "still running 60 s after Ctrl-C"
    stopped = f"stopped {time.monotonic() - sent:.1f} s after Ctrl-C"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), rows_in(out), stopped


@attack("one line, exit 2", slow=True)
def ctrl_c_during_a_run(tmp: Path) -> Outcome:
    return _judge_interrupt(*interrupted_run(tmp))


def _ctrl_c_among_workers(after_s: float) -> Callable[[Path], Outcome]:
    return lambda tmp: _judge_interrupt(*interrupted_run(tmp, SWEEP_OF_WORKERS, after_s))


for _after in (0.0, 0.4, 0.9, 1.5):
    ATTACKS.append(
        Attack(f"ctrl c among worker start-ups, {_after:g} s in", "one line, exit 2", _ctrl_c_among_workers(_after), True)
    )


def _judge_interrupt(result: subprocess.CompletedProcess[str] | None, kept: int, problem: str) -> Outcome:
    if result is None:
        return Outcome(False, problem)
    lines = result.stderr.strip().splitlines()
    problems = []
    if result.returncode != 130:
        problems.append(f"exit {result.returncode}")
    if "Traceback" in result.stderr:
        problems.append("traceback")
    if not lines or f"interrupted, {kept} points kept, re-run to resume" not in lines[-1]:
        problems.append(f"last line {lines[-1] if lines else ''!r}")
    return Outcome(not problems, f"{'; '.join(problems) or lines[-1]} ({problem})")


# --- smaller (item 17) --------------------------------------------------------------------------


@attack("smaller")
def duplicate_yaml_key(tmp: Path) -> Outcome:
    text = yaml.safe_dump({"name": "attack", **exact_config()}) + "k: 7\n"
    return one_line_error(run_config(tmp, text), "duplicate key 'k'", "line")


# --- held before the fixes: bad configs and data files, misbehaving libraries ---------------------

BAD_CONFIGS: dict[str, tuple[dict[str, Any], str]] = {
    "unknown adapter": ({"indexes": [{"adapter": "hnswlb"}]}, "did you mean 'hnswlib'"),
    "unknown parameter": ({"indexes": [{"adapter": "faiss-hnsw", "build": {"m": 8}}]}, "did you mean 'M'"),
    "k larger than the base set": ({"k": 1000}, "larger than the base set"),
    "unknown metric": ({"dataset": {**SYNTH, "metric": "manhatan"}}, "unknown metric 'manhatan'"),
    "negative timeout": ({"timeout_s": -1}, "timeout_s"),
    "indexes not a list": ({"indexes": "hnswlib"}, "indexes"),
}


def _bad_config(change: dict[str, Any], fragment: str) -> Callable[[Path], Outcome]:
    return lambda tmp: one_line_error(run_config(tmp, exact_config(**change)), fragment)


for _name, (_change, _fragment) in BAD_CONFIGS.items():
    ATTACKS.append(Attack(f"bad config: {_name}", "held before", _bad_config(_change, _fragment)))


def _bad_data(array: np.ndarray | bytes, fragment: str) -> Callable[[Path], Outcome]:
    def run(tmp: Path) -> Outcome:
        tmp.mkdir(parents=True, exist_ok=True)
        path = tmp / "base.npy"
        if isinstance(array, bytes):
            path.write_bytes(array)
        else:
            np.save(path, array)
        dataset = {"path": str(path), "format": "npy", "metric": "euclidean", "n_queries": 5}
        return one_line_error(run_config(tmp, exact_config(dataset=dataset)), fragment)

    return run


_GOOD = np.random.default_rng(0).normal(size=(200, 8)).astype(np.float32)
_NAN = _GOOD.copy()
_NAN[3, 1] = np.nan
BAD_DATA: dict[str, tuple[np.ndarray | bytes, str]] = {
    "NaN in the vectors": (_NAN, "NaN"),
    "empty array": (_GOOD[:0], "empty"),
    "not a numpy file": (b"not a numpy file at all", "base.npy"),
}
for _name, (_array, _fragment) in BAD_DATA.items():
    ATTACKS.append(Attack(f"bad data file: {_name}", "held before", _bad_data(_array, _fragment)))


def _misbehaving(fault: str, at: str) -> Callable[[Path], Outcome]:
    """One faulty build point beside a good one: the run finishes, the bad point is a failed row,
    the good one is kept."""

    def run(tmp: Path) -> Outcome:
        body = exact_config(
            timeout_s=20,
            memory_limit_gb=2,
            indexes=[{"adapter": FAULTS, "build": {"fault": ["none", fault], "fault_at": at}}],
        )
        result = run_config(tmp, body)
        kept = rows_in(tmp / "out")
        if result.returncode != 0 or "Traceback" in result.stderr:
            return Outcome(False, f"exit {result.returncode}: {result.stderr.strip()[-160:]}", rows_lost=max(0, 2 - kept))
        frame = pq.read_table(tmp / "out" / "results.parquet").to_pandas()
        statuses = sorted(frame["status"])
        held = statuses == ["failed", "ok"]
        return Outcome(held, f"rows {statuses}", rows_lost=max(0, 2 - kept))

    return run


for _fault, _at, _slow in (
    ("raise", "search", False),
    ("segfault", "build", True),
    ("exit", "search", True),
    ("oom", "build", True),
    ("hang", "search", True),
):
    ATTACKS.append(Attack(f"adapter: {_fault} during {_at}", "held before", _misbehaving(_fault, _at), _slow))
