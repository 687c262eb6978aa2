"""The client/server split beside each point of a remote adapter (a database server), and its columns.

After a point is timed (outside its timed region) the workload asks the adapter for no-op round
trips, the server's own time for a sample of the queries (unfiltered points only: a filtered
point's handle lives in its strategy) and the server's memory; the build's load and index phases
ride along. ``remote_metrics`` turns those raw arrays into the row's columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.remote import RemoteAdapter


def remote_arrays(
    adapter: IndexAdapter, queries: np.ndarray, k: int, server_time: bool = True
) -> dict[str, np.ndarray]:
    """Raw arrays for a remote adapter's point; none for an in-process one."""
    if not adapter.capabilities.remote:
        return {}
    if not isinstance(adapter, RemoteAdapter):
        raise TypeError(f"adapter '{adapter.name}' declares remote but is no RemoteAdapter")
    probe = adapter.probe(queries if server_time else queries[:0], k)
    memory = probe.server_memory_bytes
    return {
        "roundtrip_ns": np.asarray(probe.roundtrip_ns, dtype=np.int64),
        "server_ns": np.asarray(probe.server_ns, dtype=np.int64),
        "server_memory_bytes": np.asarray([-1 if memory is None else memory], dtype=np.int64),
        "load_ns": np.asarray([int((adapter.load_s or 0.0) * 1e9)], dtype=np.int64),
        "index_build_ns": np.asarray([int((adapter.index_build_s or 0.0) * 1e9)], dtype=np.int64),
    }


def remote_metrics(raws: Sequence[Mapping[str, np.ndarray]]) -> dict[str, Any]:
    """``roundtrip_ms``, ``server_ms_p50``, ``roundtrip_share``, ``server_memory_bytes``, ``load_s``,
    ``index_build_s`` from every repetition's raw arrays; nothing for an in-process adapter."""
    if not raws or "roundtrip_ns" not in raws[0]:
        return {}
    nan = float("nan")
    trips = np.concatenate([raw["roundtrip_ns"] for raw in raws]).astype(np.float64)
    server = np.concatenate([raw["server_ns"] for raw in raws]).astype(np.float64)
    latencies = np.concatenate([raw.get("latencies_ns", np.empty(0)) for raw in raws]).astype(np.float64)
    memory = max(int(raw["server_memory_bytes"][0]) for raw in raws)
    roundtrip_ms = float(np.median(trips)) / 1e6 if trips.size else nan
    return {
        "roundtrip_ms": roundtrip_ms,
        "server_ms_p50": float(np.median(server)) / 1e6 if server.size else nan,
        "roundtrip_share": roundtrip_ms / (float(np.median(latencies)) / 1e6) if latencies.size else nan,
        "server_memory_bytes": memory if memory >= 0 else None,
        "load_s": float(np.median([raw["load_ns"][0] for raw in raws])) / 1e9,
        "index_build_s": float(np.median([raw["index_build_ns"][0] for raw in raws])) / 1e9,
    }
