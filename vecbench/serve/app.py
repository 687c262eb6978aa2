"""The HTTP service in front of one built index (Starlette on uvicorn).

``POST /search`` takes ``{"vector": [...], "k": 10}`` and answers ``{"ids": [...], "distances":
[...]}``; a wrong body, dimension or k is a 4xx with a one-line message, never a crash.
``POST /noop`` reads the body and answers at once: its latency is the round trip alone (client,
network stack, HTTP and JSON), the part of a served search that is not the index. Every search
answer carries ``x-search-ns``, the server's own time in the index, so a client can split its
latency into server and round trip. Searches run on a thread pool when the adapter is declared
thread safe and releasing the GIL, else one at a time on the event loop.
"""

from __future__ import annotations

import json
import math
import threading
import time

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from vecbench.indexes.base import IndexAdapter

MAX_BODY_BYTES = 4 << 20  # a query vector of a million floats in JSON is still far below this
SEARCH_NS_HEADER = "x-search-ns"


class BadRequest(Exception):
    """A request the service refuses: HTTP ``status`` and a one-line message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_search(body: bytes, dim: int, max_k: int) -> tuple[np.ndarray, int]:
    """The query vector and k of a search body, or ``BadRequest`` naming what is wrong and the fix."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest('the body is not JSON; send {"vector": [floats], "k": 10}') from None
    if not isinstance(data, dict):
        raise BadRequest('the body must be a JSON object: {"vector": [floats], "k": 10}')
    unknown = sorted(set(data) - {"vector", "k", "filter"})
    if unknown:
        raise BadRequest(f"unknown field '{unknown[0]}'; a search takes vector and k")
    if data.get("filter") is not None:
        raise BadRequest("filter is not served: this service answers unfiltered searches only", 422)
    vector = data.get("vector")
    if not isinstance(vector, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in vector
    ):
        raise BadRequest("vector must be a JSON array of numbers", 422)
    if len(vector) != dim:
        raise BadRequest(f"vector has {len(vector)} dimensions; this index has {dim}", 422)
    if not all(math.isfinite(v) for v in vector):
        raise BadRequest("vector holds NaN or infinity; send finite numbers", 422)
    k = data.get("k", 10)
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= max_k:
        raise BadRequest(f"k must be an integer from 1 to {max_k} (the number of indexed items)", 422)
    return np.asarray(vector, dtype=np.float32), k


class IndexService:
    """One built adapter and the settings each search thread needs."""

    def __init__(self, adapter: IndexAdapter, threads: int = 1) -> None:
        self.adapter = adapter
        self.threads = threads
        caps = adapter.capabilities
        self.parallel = caps.thread_safe and caps.releases_gil
        self._configured = threading.local()
        self._lock = threading.Lock()

    def search(self, vector: np.ndarray, k: int) -> tuple[list[int], list[float | None], int]:
        if not getattr(self._configured, "done", False):  # faiss's thread count is per OS thread
            self.adapter.set_num_threads(self.threads)
            self._configured.done = True
        start = time.perf_counter_ns()
        result = self.adapter.search_one(vector, k)
        elapsed = time.perf_counter_ns() - start
        ids = np.asarray(result.ids, dtype=np.int64).ravel()
        distances = np.asarray(result.distances, dtype=np.float64).ravel()
        return ids.tolist(), [d if math.isfinite(d) else None for d in distances.tolist()], elapsed


async def _body(request: Request) -> bytes:
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > MAX_BODY_BYTES:
        raise BadRequest(f"the body is larger than {MAX_BODY_BYTES >> 20} MiB", 413)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"the body is larger than {MAX_BODY_BYTES >> 20} MiB", 413)
    return body


def make_app(service: IndexService) -> Starlette:
    adapter = service.adapter

    async def search(request: Request) -> Response:
        try:
            vector, k = parse_search(await _body(request), adapter.dim, adapter.n_items)
        except BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        try:
            if service.parallel:
                ids, distances, elapsed = await run_in_threadpool(service.search, vector, k)
            else:
                ids, distances, elapsed = service.search(vector, k)
        except Exception as exc:  # the library refused this search: the service stays up
            return JSONResponse({"error": f"search failed: {type(exc).__name__}: {exc}"}, status_code=500)
        return JSONResponse({"ids": ids, "distances": distances}, headers={SEARCH_NS_HEADER: str(elapsed)})

    async def noop(request: Request) -> Response:
        await request.body()
        return Response(b"{}", media_type="application/json")

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "adapter": adapter.name,
                "dim": adapter.dim,
                "items": adapter.n_items,
                "parallel": service.parallel,
            }
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": f"no route {request.url.path}; POST /search"}, status_code=404)

    async def wrong_method(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": f"{request.method} is not allowed here; use POST"}, status_code=405)

    return Starlette(
        routes=[
            Route("/search", search, methods=["POST"]),
            Route("/noop", noop, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers={404: not_found, 405: wrong_method},
    )
