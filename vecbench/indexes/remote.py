"""What an adapter whose index lives in a server (``Capabilities.remote``) reports beside each point.

A search over the network costs a round trip on top of the server's own work, so beside every
point the workload measures a no-op round trip, the server's own time per query where the server
reports it (PostgreSQL's ``EXPLAIN ANALYZE``), and the server processes' memory; the build reports
its load (bulk insert) and index-build phases separately.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import numpy as np

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

    @abc.abstractmethod
    def probe(self, queries: np.ndarray, k: int, filtered: object | None = None) -> RemoteProbe:
        """Round trips, server-side time of ``queries`` (prepared) and server memory, untimed."""

    @abc.abstractmethod
    def server_memory_bytes(self) -> int | None:
        """The server processes' memory where the server runs on this machine, else None."""
