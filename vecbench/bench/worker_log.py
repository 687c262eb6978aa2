"""A worker's own log file: what its libraries print (ScaNN/absl, faiss, warnings) goes there, not
to the user's terminal, and the last lines come back with a failure.

ScaNN logs several absl lines per build ("PartitionerFactory ran in ...") straight to file
descriptor 2 from C++, where no Python setting reaches; the worker therefore points descriptors 1
and 2 at ``OUT/logs/<adapter>-<digest>.log`` before it imports any library. The runner computes the
same path from the task, so a crash (a signal, an abort in C++) still finds its last words.
"""

from __future__ import annotations

import faulthandler
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

LOG_DIR = "logs"
TAIL_LINES = 3
TAIL_CHARS = 400


def log_path(task: Any) -> Path:
    """``OUT/logs/<adapter>-<digest of build params and repeat>.log`` (``raw_dir`` is ``OUT/raw``)."""
    params = json.dumps(task.build_params, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{task.adapter}\x1f{params}\x1f{task.repeat}".encode()).hexdigest()[:12]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in task.adapter)[-40:]
    return Path(task.raw_dir).parent / LOG_DIR / f"{safe}-{digest}.log"


def redirect_output(path: Path) -> None:
    """Send this process's descriptors 1 and 2 (and so Python's stdout/stderr) to ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError:
        return  # an unwritable folder: the output stays on the terminal, the run goes on
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    faulthandler.enable()  # a crash in C++ leaves the Python stack it happened under in the log


def with_log_tail(reason: str, task: Any) -> str:
    """A failure reason with the last lines its worker printed, and where the whole log is."""
    path = log_path(task)
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return reason
    if not lines:
        return reason
    tail = " | ".join(last_words(lines))[-TAIL_CHARS:]
    return f"{reason}; worker log {path}: {tail}"


def last_words(lines: list[str]) -> list[str]:
    """The lines that say what happened: faulthandler's error and innermost frames when it wrote
    them (not its list of extension modules), else the last few lines."""
    fatal = next((i for i, line in enumerate(lines) if line.startswith("Fatal Python error")), None)
    if fatal is None:
        return lines[-TAIL_LINES:]
    frames = [line for line in lines[fatal + 1 :] if line.startswith("File ")]
    return [lines[fatal], *frames[: TAIL_LINES - 1]]
