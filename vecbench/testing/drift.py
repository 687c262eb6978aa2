"""An hnswlib adapter that regresses on request, from outside the config: a stand-in for a bad release.

The gate compares points whose configs are identical, so a real regression comes from something the
config does not name: a new library version, a changed default, slower code. This adapter injects
one while the config (and so every point key) stays the same. Set ``VECBENCH_DRIFT`` before
``vecbench run``; each worker reads it when it creates the adapter::

    VECBENCH_DRIFT="ef_divisor=4" vecbench run my-gate.yaml      # query effort lowered: recall drops

Keys (comma-separated ``key=value``):
  ef_divisor  search with ef // ef_divisor (at least 1)
  spin_us     busy-wait this long per query, inside every search call (slower code: CPU time rises)
  cpu_spin_us burn this much CPU time per query (slower code that a busy machine cannot hide:
              unlike spin_us, it costs the same CPU whether or not the process shares its core)
  sleep_us    sleep this long per query (waiting, e.g. on I/O: wall time rises, CPU time does not)
  m_factor    build with M * m_factor (a bigger index that uses more memory)
  fail        1: raise in every search (a point that used to finish now fails)

A config names it as ``adapter: vecbench.testing.drift:DriftingAdapter`` with hnswlib's parameters.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vecbench.errors import ConfigError, closest_hint
from vecbench.indexes.base import Metric, SearchResult
from vecbench.indexes.hnswlib_index import HnswlibAdapter, HnswlibFilter

ENV_VAR = "VECBENCH_DRIFT"


@dataclass(frozen=True)
class Drift:
    ef_divisor: int = 1
    spin_us: float = 0.0
    cpu_spin_us: float = 0.0
    sleep_us: float = 0.0
    m_factor: float = 1.0
    fail: bool = False

    @classmethod
    def parse(cls, text: str) -> Drift:
        """'ef_divisor=4,spin_us=20' -> Drift; an empty text is no drift."""
        fields = {field.name for field in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, _, raw = item.partition("=")
            name = name.strip()
            if name not in fields:
                raise ConfigError(f"{ENV_VAR}: unknown key '{name}'{closest_hint(name, fields)}")
            try:
                number = float(raw)
                values[name] = (
                    int(number) if name == "ef_divisor" else bool(number) if name == "fail" else number
                )
            except ValueError:
                raise ConfigError(f"{ENV_VAR}: '{item}' needs a number, e.g. {name}=2") from None
        return cls(**values)


class DriftingAdapter(HnswlibAdapter):
    """hnswlib, plus the drift named in ``VECBENCH_DRIFT`` when the adapter is created."""

    name: ClassVar[str] = "drifting-hnswlib"

    def __init__(self, metric: Metric | str, **build_params: Any) -> None:
        self.drift = Drift.parse(os.environ.get(ENV_VAR, ""))
        super().__init__(metric, **build_params)

    def _build(self, data: np.ndarray) -> None:
        declared = self.build_params
        self.build_params = {**declared, "M": max(2, round(declared["M"] * self.drift.m_factor))}
        try:
            super()._build(data)
        finally:
            self.build_params = declared

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        super()._apply_query_params({**params, "ef": max(1, params["ef"] // self.drift.ef_divisor)})

    def _slow_down(self, n_queries: int) -> None:
        if self.drift.fail:
            raise RuntimeError("injected failure (VECBENCH_DRIFT fail=1)")
        if self.drift.sleep_us:
            time.sleep(self.drift.sleep_us * n_queries / 1e6)
        if self.drift.spin_us:
            end = time.perf_counter_ns() + int(self.drift.spin_us * n_queries * 1e3)
            while time.perf_counter_ns() < end:
                pass
        if self.drift.cpu_spin_us:
            end = time.thread_time_ns() + int(self.drift.cpu_spin_us * n_queries * 1e3)
            while time.thread_time_ns() < end:
                pass

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        self._slow_down(len(queries))
        return super()._search_batch(queries, k)

    def _search_one(self, query: np.ndarray, k: int) -> SearchResult:
        self._slow_down(1)
        return super()._search_one(query, k)

    def _filtered(self, queries: np.ndarray, k: int, handle: HnswlibFilter, threads: int) -> SearchResult:
        self._slow_down(len(queries))
        return super()._filtered(queries, k, handle, threads)
