"""The one protocol between a worker and the engine, for every kind of workload.

A worker sends ``Built`` once its index exists, then one ``Measured`` or ``Failed`` per point of its
workloads (waiting after each until the engine has stored it), and ``Finished`` at the end. A
``Failed`` without a key means nothing more will come (the build or the worker failed). The executor
adds ``Ended`` when a worker stops without a message (timeout, crash, exit).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Built:
    """The index is built: its build time, size and the process's memory just before building."""

    build_s: float
    index_bytes: int | None
    rss_before_build_bytes: int
    build_threads: int


@dataclass(frozen=True)
class Measured:
    """One point measured: its raw arrays on disk, the worker's peak RSS so far (VmHWM), the
    library's distance count per query where it has one, and ``label``, what actually ran (a
    filter strategy: ``auto`` reports its choice)."""

    key: str
    raw_path: str
    rss_peak_bytes: int
    distance_computations: float | None = None
    label: str | None = None


@dataclass(frozen=True)
class Failed:
    """A failure inside the worker: ``key`` None means the build itself (or the worker) failed.
    ``disk_errno`` is set when the machine failed, not the point (a full disk or quota): the engine
    stops the run instead of failing every point that follows."""

    error: str
    key: str | None = None
    disk_errno: int | None = None


@dataclass(frozen=True)
class Finished:
    """The worker ran every point it was given."""


@dataclass(frozen=True)
class Ended:
    """The worker stopped without a message: why, in words (timed out, crashed, exited)."""

    reason: str


WorkerMessage = Built | Measured | Failed | Finished
EngineMessage = Built | Measured | Failed | Finished | Ended
