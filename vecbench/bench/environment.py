"""What machine and software produced a result: stored beside every result set."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import vecbench
from vecbench.indexes.registry import adapter_libraries

# Recorded beside the libraries every registered adapter declares (vecbench.indexes.registry).
CORE_LIBRARIES = ("numpy", "pandas", "pyarrow")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")


def libraries() -> list[str]:
    """numpy, the adapters' libraries (as their adapters declare them), then pandas and pyarrow."""
    return [CORE_LIBRARIES[0], *adapter_libraries(), *CORE_LIBRARIES[1:]]


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in libraries():
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(directory: Path) -> str | None:
    """Commit of the checkout holding ``directory`` (the user's project or vecbench's own)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def collect_environment(search_threads: int) -> dict[str, Any]:
    """A snapshot of versions, CPU, cores, thread settings and commit, for one run."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count() or 1
    return {
        "vecbench_version": vecbench.__version__,
        "git_commit": git_commit(Path.cwd()) or git_commit(Path(vecbench.__file__).parent),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "search_threads": search_threads,
        "build_threads": os.cpu_count(),
        "thread_env": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        "libraries": library_versions(),
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
