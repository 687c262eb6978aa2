"""Adapters with a known service time, for checking the load generator against queueing theory.

Not registered by name; a config reaches one as
``adapter: vecbench.testing.load_adapters:FixedServiceAdapter``. Each search takes ``service_ms``
(slept, releasing the GIL, so threads run side by side; the kernel's wake-up delay, tens of
microseconds, comes on top); ``service_ms: 0`` answers at once (the no-op that measures the generator's own
overhead). ``stall_at_s``/``stall_s`` inject one stall per query-point setting: the first search
starting ``stall_at_s`` or more after the first search since the query parameters were set takes
``stall_s`` longer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from vecbench.core.params import Metric, ParamSpec
from vecbench.indexes.base import Capabilities, IndexAdapter, SearchResult


class FixedServiceAdapter(IndexAdapter):
    name: ClassVar[str] = "fixed-service"
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), thread_safe=True, releases_gil=True
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "service_ms": ParamSpec(float, 1.0, "time every search takes", minimum=0.0, maximum=60_000.0),
    }
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "stall_at_s": ParamSpec(float, -1.0, "seconds after the first search of the one stall (<0: none)"),
        "stall_s": ParamSpec(float, 0.0, "how long the one stall lasts", minimum=0.0, maximum=600.0),
    }

    def _build(self, data: np.ndarray) -> None:
        self.service_ns = int(self.build_params["service_ms"] * 1e6)
        self._first: int | None = None
        self._stalled = False
        self._answers: dict[int, SearchResult] = {}

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self._first = None  # the stall clock starts at the next search
        self._stalled = False
        self._stall_at_ns = int(params["stall_at_s"] * 1e9)
        self._stall_ns = int(params["stall_s"] * 1e9)

    def _wait(self) -> None:
        start = time.perf_counter_ns()
        if self._first is None:
            self._first = start
        extra = 0
        if self._stall_at_ns >= 0 and not self._stalled and start - self._first >= self._stall_at_ns:
            self._stalled = True
            extra = self._stall_ns
        if self.service_ns or extra:
            # one sleep: no CPU used while "serving", so on a busy machine the service time stays
            # near-fixed (the kernel's wake-up delay on top) where spinning would be preempted
            time.sleep((self.service_ns + extra) / 1e9)

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        for _ in range(len(queries)):
            self._wait()
        ids = np.tile(np.arange(k, dtype=np.int64) % max(self.n_items, 1), (len(queries), 1))
        return SearchResult(ids, np.zeros((len(queries), k), dtype=np.float32))

    def _search_one(self, query: np.ndarray, k: int) -> SearchResult:
        self._wait()
        cached = self._answers.get(k)
        if cached is None:  # made once per k, so the no-op's own cost is the call alone
            ids = np.arange(k, dtype=np.int64) % max(self.n_items, 1)
            cached = self._answers[k] = SearchResult(ids, np.zeros(k, dtype=np.float32))
        return cached

    def index_bytes(self) -> int | None:
        return 0


class GilHoldingServiceAdapter(FixedServiceAdapter):
    """The same service time spent spinning in Python, holding the GIL as a pure-Python library
    would: declared so, its load clients are forked processes."""

    name: ClassVar[str] = "gil-holding-service"
    capabilities: ClassVar[Capabilities] = Capabilities(metrics=frozenset(Metric), thread_safe=True)

    def _wait(self) -> None:
        deadline = time.perf_counter_ns() + self.service_ns
        while time.perf_counter_ns() < deadline:
            pass
