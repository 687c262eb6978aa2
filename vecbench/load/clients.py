"""The clients of a load run: each sends requests and records its own latency histograms.

Open loop: every client takes the next request from one shared schedule and waits for its intended
start, so when the service falls behind, requests queue and their latency, counted from the
intended start, includes the wait (a stall is charged to every request it delays, as a user would
see it). Closed loop: each client sends its next request when the last one answered and its
latency counts from the send, so a stall costs one slow request; the row says which mode it is.
Clients are threads, or forked processes for adapters that hold the GIL or are not thread safe.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vecbench.load.fork import fork, join
from vecbench.load.histogram import new_histogram, record

# A request: send request number i; return the server's own time for it in ns where it reports one.
Request = Callable[[int], "int | None"]
RequestFactory = Callable[[], Request]  # made inside each client (its own connection, thread settings)


class RequestTimeout(Exception):
    """A request gave up waiting for its answer (a socket timeout): counted as a timeout, not an error."""


SPIN_NS = 200_000  # the last stretch before an intended start is waited out without sleeping
START_MARGIN_NS = 100_000_000  # clients are ready before the first intended start


@dataclass(frozen=True)
class ClientPlan:
    """What every client of one load point does. ``schedule``: intended starts (ns after t0) of the
    open loop; None for a closed loop, which runs until ``warmup_ns + duration_ns``."""

    clients: int
    warmup_ns: int
    duration_ns: int
    timeout_ns: int
    schedule: np.ndarray | None = None


@dataclass
class ClientResult:
    """One client's measured requests (those whose intended start lies after the warm-up)."""

    latency: bytes  # encoded histogram: intended start (open) or send (closed) to answer
    service: bytes  # encoded histogram: send to answer
    server: bytes  # encoded histogram: the server's own time, where it reports one
    requests: int = 0  # answered (the latency histogram also holds those never sent: timeouts)
    errors: int = 0
    timeouts: int = 0
    queue_ns: int = 0  # sum over requests of (send - intended start)
    latency_ns: int = 0  # sum over requests of latency
    first_ns: int = 0  # earliest intended start (or send) measured, absolute perf_counter_ns
    last_ns: int = 0  # latest answer measured
    cpu_ns: int = 0  # this client process's CPU time over the run (process clients only)
    error_line: str = ""


@dataclass
class _Recorder:
    timeout_ns: int
    latency: Any = field(default_factory=new_histogram)
    service: Any = field(default_factory=new_histogram)
    server: Any = field(default_factory=new_histogram)
    requests: int = 0
    errors: int = 0
    timeouts: int = 0
    queue_ns: int = 0
    latency_ns: int = 0
    first_ns: int = 0
    last_ns: int = 0
    error_line: str = ""

    def ok(self, intended: int, start: int, end: int, server_ns: int | None, sent: bool = True) -> None:
        latency = end - intended
        record(self.latency, latency)
        self.timeouts += latency > self.timeout_ns
        if not sent:  # a lower bound on its latency; it never reached the service
            return
        record(self.service, end - start)
        if server_ns is not None:
            record(self.server, server_ns)
        self.requests += 1
        self.queue_ns += start - intended
        self.latency_ns += latency
        self.first_ns = intended if not self.first_ns else min(self.first_ns, intended)
        self.last_ns = max(self.last_ns, end)

    def failed(self, exc: Exception) -> None:
        if isinstance(exc, RequestTimeout):
            self.timeouts += 1
            return
        self.errors += 1
        self.error_line = self.error_line or f"{type(exc).__name__}: {exc}"[:200]

    def result(self, cpu_ns: int = 0) -> ClientResult:
        return ClientResult(
            self.latency.encode(), self.service.encode(), self.server.encode(), self.requests,
            self.errors, self.timeouts, self.queue_ns, self.latency_ns, self.first_ns, self.last_ns,
            cpu_ns, self.error_line,
        )  # fmt: skip


def wait_until(deadline_ns: int, busy: bool = False) -> None:
    """Sleep until shortly before ``deadline_ns``, then spin until it passes (a plain sleep
    overshoots by tens of microseconds, which would read as service latency). ``busy`` spins
    without a system call (a lone client: measured 0.3 us late at the median against 29 us when
    yielding, on a loaded 2-core machine); otherwise each spin yields the GIL, so a spinning client
    never holds up another client's return from a search for a GIL switch interval (5 ms)."""
    clock = time.perf_counter_ns
    while True:
        remaining = deadline_ns - clock()
        if remaining <= 0:
            return
        if remaining > SPIN_NS:
            time.sleep((remaining - SPIN_NS) / 1e9)
        elif not busy:
            time.sleep(0)


def open_client(
    plan: ClientPlan, request: Request, next_index: Callable[[], int], t0: int, alone: bool = False
) -> _Recorder:
    """Take requests off the shared schedule until it is empty. A request that could not even be
    sent by the end of the run plus ``timeout_ns`` (the service fell that far behind) is not sent:
    it counts as a timeout and its latency as at least the time it waited."""
    assert plan.schedule is not None
    schedule, n = plan.schedule, len(plan.schedule)
    out = _Recorder(plan.timeout_ns)
    hard_stop = t0 + int(schedule[-1] if n else 0) + plan.timeout_ns
    clock = time.perf_counter_ns
    busy = alone or plan.clients == 1  # no other client thread waits for this one's GIL
    while (i := next_index()) < n:
        offset = int(schedule[i])
        intended = t0 + offset
        wait_until(intended, busy)
        start = clock()
        measured = offset >= plan.warmup_ns
        if start > hard_stop:
            if measured:
                out.ok(intended, start, start, None, sent=False)
            continue
        try:
            server_ns = request(i)
        except Exception as exc:  # a failed request is counted, never the end of the run
            if measured:
                out.failed(exc)
            continue
        if measured:
            out.ok(intended, start, clock(), server_ns)
    return out


def closed_client(plan: ClientPlan, request: Request, client: int, t0: int) -> _Recorder:
    """Send, wait for the answer, send the next: for ``warmup_ns + duration_ns`` after ``t0``."""
    out = _Recorder(plan.timeout_ns)
    measure_from, stop = t0 + plan.warmup_ns, t0 + plan.warmup_ns + plan.duration_ns
    clock = time.perf_counter_ns
    wait_until(t0)
    for j in itertools.count():
        start = clock()
        if start >= stop:
            break
        try:
            server_ns = request(client + j * plan.clients)
        except Exception as exc:
            if start >= measure_from:
                out.failed(exc)
            continue
        if start >= measure_from:
            out.ok(start, start, clock(), server_ns)
    return out


def run_threads(plan: ClientPlan, factory: RequestFactory) -> tuple[list[ClientResult], int, int]:
    """Run ``plan.clients`` client threads; their results, the start ``t0`` and this process's CPU ns."""
    counter = itertools.count()  # next() on a count is atomic under the GIL
    results: list[_Recorder | None] = [None] * plan.clients
    errors: list[BaseException] = []
    ready = threading.Barrier(plan.clients + 1)
    t0_box: list[int] = []

    def body(client: int) -> None:
        try:
            request = factory()
            ready.wait()
            t0 = t0_box[0]
            if plan.schedule is None:
                results[client] = closed_client(plan, request, client, t0)
            else:
                results[client] = open_client(plan, request, counter.__next__, t0)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
            ready.abort()

    threads = [threading.Thread(target=body, args=(c,), daemon=True) for c in range(plan.clients)]
    for thread in threads:
        thread.start()
    t0_box.append(time.perf_counter_ns() + START_MARGIN_NS)
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    cpu_start = time.process_time_ns()
    for thread in threads:
        thread.join()
    cpu_ns = time.process_time_ns() - cpu_start
    if errors:
        raise RuntimeError(f"a load client failed: {type(errors[0]).__name__}: {errors[0]}")
    return [r.result() for r in results if r is not None], t0_box[0], cpu_ns


def _process_body(plan: ClientPlan, factory: RequestFactory, client: int, counter: Any, conn: Any) -> None:
    """A forked client: get ready, learn t0 from the parent, run, send its result back."""
    try:
        request = factory()

        def next_index() -> int:
            with counter.get_lock():
                value = int(counter.value)
                counter.value = value + 1
            return value

        conn.send("ready")
        t0 = int(conn.recv())
        cpu_start = time.process_time_ns()
        if plan.schedule is None:
            recorder = closed_client(plan, request, client, t0)
        else:
            recorder = open_client(plan, request, next_index, t0, alone=True)
        conn.send(recorder.result(time.process_time_ns() - cpu_start))
    except BaseException as exc:
        conn.send(f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def run_processes(plan: ClientPlan, factory: RequestFactory) -> tuple[list[ClientResult], int, int]:
    """Run ``plan.clients`` forked client processes (each shares the built index copy-on-write, as
    a pre-forked server would); their results, ``t0`` and their CPU ns added up."""
    context = mp.get_context("fork")
    counter = context.Value("q", 0)
    pipes, pids = [], []
    try:
        for client in range(plan.clients):
            parent, child = context.Pipe()
            pids.append(fork(_process_body, plan, factory, client, counter, child))
            child.close()
            pipes.append(parent)
        for conn in pipes:
            message = conn.recv()
            if message != "ready":
                raise RuntimeError(f"a load client process failed: {message}")
        t0 = time.perf_counter_ns() + START_MARGIN_NS
        for conn in pipes:
            conn.send(t0)
        results: list[ClientResult] = []
        for conn in pipes:
            message = conn.recv()
            if not isinstance(message, ClientResult):
                raise RuntimeError(f"a load client process failed: {message}")
            results.append(message)
        return results, t0, sum(r.cpu_ns for r in results)
    finally:
        for conn in pipes:
            conn.close()
        for pid in pids:
            join(pid)
