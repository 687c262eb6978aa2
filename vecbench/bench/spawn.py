"""Worker processes: spawn one with a pipe back, make it die with its parent, and say in words
why it ended early. Index sweeps and pipeline points both run library code this way, so a crash,
an exit or a hang costs one worker, never the run."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from vecbench.bench.messages import Ended

POLL_SECONDS = 0.2  # how often a waiting runner looks up from the pipe


def next_message(process: BaseProcess, receiver: Connection, deadline: float, timeout_s: float) -> Any:
    """The worker's next message, or ``Ended`` once ``deadline`` (monotonic) passes (the worker is
    killed) or the worker dies."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            kill_group(process)
            return Ended(exit_reason(None, timeout_s))
        if receiver.poll(min(remaining, POLL_SECONDS)):
            try:
                return receiver.recv()
            except EOFError:
                process.join(5)
                return Ended(exit_reason(process.exitcode))


@contextlib.contextmanager
def spawned(
    target: Callable[..., None], *args: Any, duplex: bool = False
) -> Iterator[tuple[BaseProcess, Connection]]:
    """Run ``target(*args, connection)`` in a spawned process; yield it and the runner's end of the
    pipe. On leaving, the pipe is closed and the process joined, or killed if it is still alive."""
    context = mp.get_context("spawn")
    receiver, sender = context.Pipe(duplex=duplex)
    process = context.Process(target=target, args=(*args, sender), daemon=True)
    try:
        with interrupts_deferred():
            process.start()
    except KeyboardInterrupt:  # held back while it started: the worker is whole, so stop it
        if process.pid is not None:
            kill_group(process)
            process.join()
        raise
    finally:
        sender.close()
    try:
        yield process, receiver
    except (KeyboardInterrupt, GeneratorExit):
        # Ctrl-C, or the engine stopped reading (it failed): the worker ignores Ctrl-C
        # (ignore_interrupts) and may be waiting to be released, so stop it now, not in 5 s.
        process.kill()
        raise
    finally:
        receiver.close()
        try:
            process.join(5)
        except KeyboardInterrupt:  # Ctrl-C while the worker winds down: stop it, then stop
            kill_group(process)
            process.join()
            raise
        if process.is_alive():
            kill_group(process)
            process.join()
        else:
            kill_group(process)  # children it left behind (a library's helper processes)


def kill_group(process: BaseProcess) -> None:
    """SIGKILL the worker and every process it started: a worker leads its own process group
    (``lead_own_group``), so a child holding a piped stdout open cannot outlive it."""
    if process.pid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.kill()


def lead_own_group() -> None:
    """Make this worker the leader of a new process group, so the runner can end it with all its
    children at once, and a terminal's Ctrl-C reaches the runner alone (which then stops it)."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the runner dies, so no orphan keeps running."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl-C while a worker starts; it is raised as soon as the worker is up.

    Two holds, because either alone leaks: SIGINT is blocked in this thread, and the worker inherits
    the block, so a Ctrl-C during its imports cannot raise there (before ``ignore_interrupts``
    runs); and Python's handler only records it meanwhile, because another thread (a progress bar's
    monitor) may still take the signal, and Python would raise in this thread in the middle of
    handing the worker its task (the worker then dies on a half-sent task with a traceback).
    """
    received: list[int] = []
    in_main = threading.current_thread() is threading.main_thread()
    handler = signal.signal(signal.SIGINT, lambda signum, _: received.append(signum)) if in_main else None
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        if in_main:
            signal.signal(signal.SIGINT, handler)
    if received:
        raise KeyboardInterrupt


def ignore_interrupts() -> None:
    """Leave Ctrl-C to the runner: the terminal sends SIGINT to the whole process group, and a
    worker that took it would die mid-measurement with its own traceback. The runner stops the
    workers it started and says what was kept."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def exit_reason(exitcode: int | None, timeout_s: float | None = None) -> str:
    """Why a worker ended without finishing, in words a user can act on."""
    if timeout_s is not None:
        return f"timed out after {timeout_s:g} s (raise timeout_s in the config)"
    if exitcode is None:
        return "worker ended without reporting"
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        if name == "SIGKILL":
            return "worker was killed (SIGKILL), most likely by the out-of-memory killer"
        return f"worker crashed with signal {name}"
    return f"worker exited with code {exitcode} before finishing"
