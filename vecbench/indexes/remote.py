"""What an adapter whose index lives in a server (``Capabilities.remote``) reports beside each point.

A search over the network costs a round trip on top of the server's own work, so beside every
point the workload measures a no-op round trip, the server's own time per query where the server
reports it (PostgreSQL's ``EXPLAIN ANALYZE``), and the server processes' memory; the build reports
its load (bulk insert) and index-build phases separately.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vecbench.core.errors import UnsupportedError
from vecbench.core.params import Metric
from vecbench.indexes.base import IndexAdapter

PROBE_QUERIES = 20  # queries whose server-side time is asked for after each point
ROUND_TRIPS = 50  # no-op round trips timed after each point


@dataclass
class RemoteProbe:
    """Samples taken after a point: no-op round trips and server-side times (ns), server memory."""

    roundtrip_ns: np.ndarray
    server_ns: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    server_memory_bytes: int | None = None


class RemoteAdapter(IndexAdapter):
    """Base of adapters over a database server. ``close`` stops what the adapter started."""

    load_s: float | None = None  # bulk insert, timed inside build
    index_build_s: float | None = None  # index creation, timed inside build
    max_masks: int = 16  # server-side filter forms per build (a mask per query would need one each)

    def __init__(self, metric: Metric | str, **build_params: Any) -> None:
        super().__init__(metric, **build_params)
        self._masks: dict[int, tuple[np.ndarray, str]] = {}  # id(mask) -> (mask, server-side name)

    def mask_name(self, allowed: np.ndarray, push: Callable[[str, np.ndarray], None]) -> str:
        """The server-side name of one filter mask (a table, a metadata flag): ``push(name,
        passing ids)`` creates it the first time this mask is seen; handles built from the same
        mask (per-query filters share it) reuse it. More than ``max_masks`` masks is refused."""
        masks = self._masks
        known = masks.get(id(allowed))
        if known is not None and known[0] is allowed:
            return known[1]
        if len(masks) >= self.max_masks:
            raise UnsupportedError(
                f"{self.name}: more than {self.max_masks} distinct filter masks on one build (a mask per "
                "query?); use per-query excluded ids, or the post or exact-subset strategy"
            )
        name = f"pass_{len(masks)}"
        push(name, np.flatnonzero(np.asarray(allowed, dtype=bool)).astype(np.int64))
        masks[id(allowed)] = (allowed, name)
        return name

    @abc.abstractmethod
    def probe(self, queries: np.ndarray, k: int, filtered: object | None = None) -> RemoteProbe:
        """Round trips, server-side time of ``queries`` (prepared) and server memory, untimed."""

    @abc.abstractmethod
    def server_memory_bytes(self) -> int | None:
        """The server processes' memory where the server runs on this machine, else None."""
