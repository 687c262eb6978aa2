"""Chroma: its HNSW collection in a real Chroma server, searched over HTTP.

Without a ``url`` the adapter starts its own server (``vecbench.servers.chroma``) when it builds
and stops it at ``close``; with one it creates a collection of its own (a fresh random name) on
that server and deletes only that collection at ``close``. HNSW parameters are the ones Chroma
exposes in a collection's configuration (``max_neighbors``, ``ef_construction``; ``ef_search`` is
changed on the built collection). Loading (batched ``add``) is timed; Chroma builds its graph as it
ingests, so there is no separate index-build phase. Before any search the collection is verified:
its count and an exact self-query of sampled items.

Distances are Chroma's own: squared L2, ``1 - dot`` (ip) and cosine distance.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import time
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlparse

import chromadb
import numpy as np

from vecbench.core.errors import ConfigError, UnsupportedError
from vecbench.indexes.base import Capabilities, ConformanceGrid, Metric, ParamSpec, SearchResult
from vecbench.indexes.remote import ROUND_TRIPS, RemoteAdapter, RemoteProbe
from vecbench.servers.chroma import ChromaServer, heartbeat

SPACES = {Metric.EUCLIDEAN: "l2", Metric.INNER_PRODUCT: "ip", Metric.ANGULAR: "cosine"}


def parse_url(url: str) -> tuple[str, int]:
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if not parsed.hostname:
        raise ConfigError(f"chroma: url '{url}' names no host; use url: http://HOST:PORT")
    return parsed.hostname, parsed.port or 8000


class ChromaAdapter(RemoteAdapter):
    """One Chroma collection holding the items as ids '0'..'n-1'."""

    name: ClassVar[str] = "chroma"
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), native_filter=True, remote=True, effort_param="ef_search"
    )
    libraries: ClassVar[tuple[str, ...]] = ("chromadb",)
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"max_neighbors": 8, "ef_construction": 50},
        thorough={"ef_search": 400},
        effort=(10, 40, 160, 640),
        tiny_build={"max_neighbors": 4},
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "max_neighbors": ParamSpec(int, 16, "HNSW neighbours per node (Chroma's M)", minimum=2),
        "ef_construction": ParamSpec(int, 100, "HNSW candidate list while inserting", minimum=1),
        "batch_size": ParamSpec(
            int, 100, "Chroma's brute-force buffer before items enter the graph", minimum=2
        ),
        "add_batch": ParamSpec(int, 5000, "items per add request while loading", minimum=1),
        "url": ParamSpec(
            str, "", "the user's Chroma server (http://host:port); empty: vecbench starts its own"
        ),
    }
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "ef_search": ParamSpec(int, 100, "HNSW candidate list per query", minimum=1),
    }

    def __init__(self, metric: Metric | str, **build_params: Any) -> None:
        super().__init__(metric, **build_params)
        self.server: ChromaServer | None = None
        self.client: Any = None
        self.collection: Any = None
        self.collection_name = f"vecbench_{secrets.token_hex(6)}"
        self.flags: dict[int, dict[str, int | bool]] = {}

    def address(self) -> tuple[str, int]:
        if self.build_params["url"]:
            return parse_url(str(self.build_params["url"]))
        if self.server is None:
            raise RuntimeError("chroma: no server (build first)")
        return "127.0.0.1", self.server.port

    def check_data(self, n_items: int, dim: int) -> None:
        if self.build_params["url"]:
            host, port = self.address()
            if not heartbeat(host, port):
                raise ConfigError(
                    f"chroma: no Chroma server answers at {host}:{port}; check the index entry's url:, "
                    "or remove it to let vecbench start its own server"
                )

    def _live(self) -> Any:
        """The collection, reconnected (and our own server restarted) if the server went away."""
        if self.server is not None and not self.server.running():
            self.server.restart()
            self.client = None
        if self.client is None:
            host, port = self.address()
            settings = chromadb.Settings(anonymized_telemetry=False)
            self.client = chromadb.HttpClient(host=host, port=port, settings=settings)
            if self.collection is not None:
                self.collection = self.client.get_collection(self.collection_name)
                self._apply_query_params(self.query_params)
        return self.collection

    def _build(self, data: np.ndarray) -> None:
        if not self.build_params["url"]:
            self.server = ChromaServer.start()
        self._live()
        p = self.build_params
        self.collection = self.client.create_collection(
            self.collection_name,
            configuration={
                "hnsw": {
                    "space": SPACES[self.metric],
                    "max_neighbors": p["max_neighbors"],
                    "ef_construction": p["ef_construction"],
                    "ef_search": self.query_params["ef_search"],
                    "batch_size": p["batch_size"],
                    "sync_threshold": max(p["batch_size"], 1000),
                }
            },
        )
        start = time.perf_counter()
        step = min(p["add_batch"], int(self.client.get_max_batch_size()))
        for at in range(0, data.shape[0], step):
            block = data[at : at + step]
            self.collection.add(ids=[str(i) for i in range(at, at + len(block))], embeddings=block)
        self.load_s = time.perf_counter() - start
        self.index_build_s = 0.0
        self._verify(data)

    def _verify(self, data: np.ndarray) -> None:
        count = int(self.collection.count())
        if count != data.shape[0]:
            raise RuntimeError(f"chroma: the collection holds {count} items, not {data.shape[0]}")
        rows = sorted({0, data.shape[0] // 2, data.shape[0] - 1})
        got = self.collection.get(ids=[str(r) for r in rows], include=["embeddings"])
        stored = {int(i): np.asarray(e) for i, e in zip(got["ids"], got["embeddings"], strict=True)}
        for row in rows:
            if row not in stored or not np.allclose(stored[row], data[row], atol=1e-6):
                raise RuntimeError(f"chroma: item {row} is not in the collection as loaded")

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        if self.collection is not None:
            self.collection.modify(configuration={"hnsw": {"ef_search": int(params["ef_search"])}})

    def _query(self, queries: np.ndarray, k: int, where: dict[str, Any] | None = None) -> SearchResult:
        collection = self._live()
        n = min(k, self.n_items)
        found = collection.query(query_embeddings=queries, n_results=n, where=where, include=["distances"])
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        distances = np.full((len(queries), k), np.inf, dtype=np.float32)
        for row, (row_ids, row_d) in enumerate(zip(found["ids"], found["distances"], strict=True)):
            ids[row, : len(row_ids)] = [int(i) for i in row_ids]
            distances[row, : len(row_d)] = row_d
        return SearchResult(ids, distances)

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        return self._query(queries, k)

    # ---- filters as Chroma ``where`` on a flag in each passing item's metadata ----------------
    def filter_handle(self, allowed: np.ndarray, excluded: np.ndarray | None = None) -> dict[str, Any]:
        self._require_built()

        def flag_items(flag: str, passing: np.ndarray) -> None:
            items = passing.tolist()
            for item in items:
                self.flags.setdefault(item, {"vid": item})[flag] = True
            step = int(self.client.get_max_batch_size())
            for at in range(0, len(items), step):
                block = items[at : at + step]
                self._live().update(ids=[str(i) for i in block], metadatas=[self.flags[i] for i in block])

        where: dict[str, Any] = {self.mask_name(allowed, flag_items): True}
        if excluded is not None and len(excluded):
            where = {"$and": [where, {"vid": {"$nin": [int(i) for i in np.asarray(excluded).tolist()]}}]}
        return where

    def search_filtered(self, queries: np.ndarray, k: int, handle: dict[str, Any]) -> SearchResult:
        return self._query(queries, k, handle)

    # ---- what the server reports -------------------------------------------------------------
    def probe(self, queries: np.ndarray, k: int, filtered: object | None = None) -> RemoteProbe:
        self._live()
        trips = np.empty(ROUND_TRIPS, dtype=np.int64)
        for i in range(ROUND_TRIPS):
            start = time.perf_counter_ns()
            self.client.heartbeat()
            trips[i] = time.perf_counter_ns() - start
        return RemoteProbe(trips, server_memory_bytes=self.server_memory_bytes())

    def server_memory_bytes(self) -> int | None:
        return None if self.server is None else self.server.memory_bytes()

    def index_bytes(self) -> int | None:
        return None  # Chroma reports no index size

    def kill_server(self) -> None:
        if self.server is None or self.server.proc is None:
            raise UnsupportedError("chroma: only a server vecbench started can be killed")
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.proc.wait()

    def close(self) -> None:
        """Delete the collection we created on a user's server; stop the server we started."""
        try:
            if self.build_params["url"] and self.collection is not None:
                self._live()
                self.client.delete_collection(self.collection_name)
                self.collection = None
        finally:
            self.client = None
            if self.server is not None:
                self.server.stop()
                self.server = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at shutdown: the kernel still kills our server with us
            self.close()
