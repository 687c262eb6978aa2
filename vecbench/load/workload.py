"""The load workload: each load point drives the built index with a stream of single-query
requests, in-process or through its HTTP service, and writes every client's histograms raw.

One ``LoadQueries`` runs all the load points of a build point in the normal worker, after the
static query points, so a load row shares the worker's isolation, calibration and peak-RSS
accounting with every other row.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from vecbench.bench.messages import Failed, Measured
from vecbench.bench.workloads import WorkerContext, WriteRaw, failure
from vecbench.indexes.base import IndexAdapter
from vecbench.load.clients import (
    ClientPlan,
    ClientResult,
    Request,
    RequestFactory,
    RequestTimeout,
    run_processes,
    run_threads,
)
from vecbench.load.histogram import pack
from vecbench.load.schedule import arrival_offsets_ns
from vecbench.load.spec import LoadPoint
from vecbench.serve.app import SEARCH_NS_HEADER
from vecbench.serve.process import forked_service, process_cpu_ns

NOOP_PROBE_S = 1.0  # closed-loop no-op requests before a served point: the round trip alone


def client_kind(adapter: type[IndexAdapter], served: bool) -> str:
    """Threads where searches may run at once without the GIL (declared, never probed), or where
    the clients only wait on a socket; forked processes otherwise."""
    caps = adapter.capabilities
    return "thread" if served or (caps.thread_safe and caps.releases_gil) else "process"


def client_plan(point: LoadPoint) -> ClientPlan:
    spec = point.spec
    warmup_ns, duration_ns = int(spec.warmup_s * 1e9), int(spec.duration_s * 1e9)
    schedule = None
    if spec.mode == "open":
        assert point.rate is not None
        schedule = arrival_offsets_ns(
            point.rate, spec.arrivals, spec.warmup_s + spec.duration_s, spec.burst, spec.seed
        )
    return ClientPlan(point.clients, warmup_ns, duration_ns, int(spec.timeout_s * 1e9), schedule)


def in_process(adapter: IndexAdapter, queries: np.ndarray, k: int, threads: int) -> RequestFactory:
    rows = list(queries)  # row views made once, outside the timed region
    n = len(rows)

    def factory() -> Request:
        adapter.set_num_threads(threads)  # faiss keeps its thread count per OS thread
        search = adapter.search_one_prepared

        def request(i: int) -> None:
            search(rows[i % n], k)

        return request

    return factory


def over_http(host: str, port: int, bodies: list[bytes], path: str, timeout_s: float) -> RequestFactory:
    """Each client keeps one keep-alive connection; bodies are encoded before the run."""
    n = len(bodies)
    headers = {"Content-Type": "application/json"}

    def factory() -> Request:
        conn = http.client.HTTPConnection(host, port, timeout=timeout_s)

        def request(i: int) -> int | None:
            try:
                conn.request("POST", path, body=bodies[i % n], headers=headers)
                response = conn.getresponse()
                body = response.read()
            except TimeoutError:
                conn.close()  # the next request reconnects
                raise RequestTimeout(f"no answer within {timeout_s:g} s") from None
            except (OSError, http.client.HTTPException):
                conn.close()
                raise
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {body[:120]!r}")
            server = response.getheader(SEARCH_NS_HEADER)
            return int(server) if server else None

        return request

    return factory


def _arrays(results: list[ClientResult], prefix: str) -> dict[str, np.ndarray]:
    """Every client's three histograms packed, and its counters as one array per counter."""
    out: dict[str, np.ndarray] = {}
    for name in ("latency", "service", "server"):
        packed = pack([getattr(r, name) for r in results])
        out[f"{prefix}{name}_hist"] = packed["bytes"]
        out[f"{prefix}{name}_offsets"] = packed["offsets"]
    for name in ("requests", "errors", "timeouts", "queue_ns", "latency_ns", "first_ns", "last_ns"):
        out[f"{prefix}{name}"] = np.asarray([getattr(r, name) for r in results], dtype=np.int64)
    return out


@dataclass(frozen=True)
class LoadQueries:
    """Load points of one build point: (point key, query params, load point)."""

    points: tuple[tuple[str, dict[str, Any], LoadPoint], ...]
    k: int

    def point_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _, _ in self.points)

    def run(self, ctx: WorkerContext, write_raw: WriteRaw) -> Iterator[Measured | Failed]:
        for key, params, point in self.points:
            try:
                ctx.adapter.set_query_params(**params)
                arrays, extra = ctx.calibrated(self._measure, ctx, point)
                path = ctx.raw_path(key)
                write_raw(path, **arrays, **extra)
                yield Measured(key, str(path), ctx.peak_rss(), None, str(arrays["client_kind"][0]))
            except Exception as exc:  # this load point could not run: its row says why
                yield failure(key, exc)

    def _measure(self, ctx: WorkerContext, point: LoadPoint) -> dict[str, np.ndarray]:
        plan = client_plan(point)
        kind = client_kind(ctx.adapter_class, point.spec.served)
        run = run_threads if kind == "thread" else run_processes
        if not point.spec.served:
            factory = in_process(ctx.adapter, ctx.queries, self.k, ctx.threads)
            results, t0, cpu_ns = run(plan, factory)
            end = max(r.last_ns for r in results)
            return self._common(kind, results, t0, end, cpu_ns, point) | {"server_cpu_ns": np.asarray([0])}
        bodies = [json.dumps({"vector": q.tolist(), "k": self.k}).encode() for q in ctx.data.queries]
        with forked_service(ctx.adapter, ctx.threads) as served:
            timeout = point.spec.timeout_s
            probe_s = min(NOOP_PROBE_S, point.spec.duration_s)
            probe = ClientPlan(1, int(0.1e9), int(probe_s * 1e9), plan.timeout_ns, None)
            noop, _, _ = run_threads(probe, over_http(served.host, served.port, [b"{}"], "/noop", timeout))
            server_cpu = process_cpu_ns(served.pid)
            results, t0, cpu_ns = run(plan, over_http(served.host, served.port, bodies, "/search", timeout))
            server_cpu = process_cpu_ns(served.pid) - server_cpu
        end = max(r.last_ns for r in results)
        return (
            self._common(kind, results, t0, end, cpu_ns, point)
            | _arrays(noop, "noop_")
            | {"server_cpu_ns": np.asarray([server_cpu], dtype=np.int64)}
        )

    @staticmethod
    def _common(
        kind: str, results: list[ClientResult], t0: int, end: int, cpu_ns: int, point: LoadPoint
    ) -> dict[str, np.ndarray]:
        return {
            **_arrays(results, ""),
            "client_kind": np.asarray([kind]),
            "t0_ns": np.asarray([t0], dtype=np.int64),
            "end_ns": np.asarray([end], dtype=np.int64),
            "cpu_ns": np.asarray([cpu_ns], dtype=np.int64),
            "wall_ns": np.asarray([max(end, time.perf_counter_ns()) - t0], dtype=np.int64),
            "warmup_ns": np.asarray([int(point.spec.warmup_s * 1e9)], dtype=np.int64),
            "duration_ns": np.asarray([int(point.spec.duration_s * 1e9)], dtype=np.int64),
        }
