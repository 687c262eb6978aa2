"""An exact adapter that misbehaves on request: for proving the runner survives failures.

Not registered by name; a config reaches it as ``adapter: vecbench.testing.faults:FaultInjectingAdapter``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vecbench.indexes.base import ParamSpec, SearchResult
from vecbench.indexes.exact import ExactAdapter

FAULTS = ("none", "segfault", "hang", "hang-with-child", "raise", "exit", "oom")
# hang-with-child writes its child's pid here (when set), so a test can check the child is gone
CHILD_PID_FILE_ENV = "VECBENCH_FAULT_CHILD_PID_FILE"


class FaultInjectingAdapter(ExactAdapter):
    """Exact search that can crash, hang or raise during build or search, or add a delay per query."""

    name: ClassVar[str] = "fault-injecting"
    build_param_specs: ClassVar[dict[str, ParamSpec]] = {
        "fault": ParamSpec(str, "none", "what goes wrong", choices=FAULTS),
        "fault_at": ParamSpec(str, "build", "when it goes wrong", choices=("build", "search")),
    }
    query_param_specs: ClassVar[dict[str, ParamSpec]] = {
        "delay_ms": ParamSpec(float, 0.0, "sleep added to every search call", minimum=0.0),
        "reject": ParamSpec(bool, False, "raise ValueError at this query point, as a library would"),
    }

    def _misbehave(self, stage: str) -> None:
        if self.build_params["fault_at"] != stage:
            return
        fault = self.build_params["fault"]
        if fault == "segfault":
            ctypes.string_at(0)  # reads address 0: SIGSEGV
        elif fault == "hang":
            while True:
                time.sleep(1)
        elif fault == "hang-with-child":
            # A helper process that inherits stdout (as a library's would) and outlives a plain kill.
            child = subprocess.Popen(["sleep", "600"])
            if os.environ.get(CHILD_PID_FILE_ENV):
                Path(os.environ[CHILD_PID_FILE_ENV]).write_text(str(child.pid))
            while True:
                time.sleep(1)
        elif fault == "raise":
            raise RuntimeError(f"injected failure during {stage}")
        elif fault == "oom":
            hog = np.ones(
                2**40, dtype=np.uint8
            )  # 1 TiB: fails under memory_limit_gb, or the OOM killer ends it
            raise RuntimeError(f"allocated {hog.nbytes} bytes without running out of memory")
        elif fault == "exit":
            os._exit(3)  # dies without a Python exception, like a library abort

    def _build(self, data: np.ndarray) -> None:
        self._misbehave("build")
        super()._build(data)

    def _apply_query_params(self, params: Any) -> None:
        if params["reject"]:
            raise ValueError("injected rejection of this query parameter value")

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        self._misbehave("search")
        delay = self.query_params["delay_ms"]
        if delay:
            time.sleep(delay * len(queries) / 1000.0)
        return super()._search_batch(queries, k)


_HOG = "import os, sys; os.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True: pass"


@contextlib.contextmanager
def cpu_hog(cpu: int, processes: int = 1) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Busy-looping processes pinned to ``cpu`` while the block runs: a neighbour's load, real.

    Whatever else is pinned to that core (``os.sched_setaffinity``) shares it with them, so with
    ``processes=1`` it gets about half of the core's time, with 2 about a third."""
    hogs = [subprocess.Popen([sys.executable, "-c", _HOG, str(cpu)]) for _ in range(processes)]
    try:
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@contextlib.contextmanager
def pinned(cpu: int) -> Iterator[None]:
    """Run this process, and the workers it starts in the block, on ``cpu`` only."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
