"""Forked helper processes (load clients, the index service) of a worker.

A benchmark worker is a daemonic multiprocessing process, which multiprocessing forbids to start
children; a plain ``os.fork`` has no such rule. The child shares the built index copy-on-write,
dies with its parent, and leaves through ``os._exit`` so it never runs the parent's exit handlers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from typing import Any


def fork(target: Callable[..., None], *args: Any) -> int:
    """Run ``target(*args)`` in a forked child; its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        from vecbench.bench.spawn import die_with_parent

        die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        target(*args)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def reap(pid: int, timeout_s: float = 5.0, sig: int = signal.SIGTERM) -> None:
    """Ask child ``pid`` to stop with ``sig``, wait up to ``timeout_s``, then SIGKILL it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def join(pid: int, timeout_s: float = 5.0) -> None:
    """Wait for a child that is finishing by itself; kill it after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.01)
    reap(pid, 0.0, signal.SIGKILL)
