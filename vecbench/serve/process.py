"""Run the service: in the foreground (``vecbench serve``) or forked beside a load worker.

The forked server shares the built index with the worker copy-on-write, so the served figures are
of the same index the in-process figures measure, without a second build; the load clients talk
to it over a real socket on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from vecbench.indexes.base import IndexAdapter
from vecbench.load.fork import fork, reap
from vecbench.serve.app import IndexService, make_app

READY_TIMEOUT_S = 30.0


def _config(service: IndexService) -> uvicorn.Config:
    # h11 and asyncio: the pure-Python defaults, installed everywhere uvicorn is
    return uvicorn.Config(make_app(service), log_level="warning", access_log=False, lifespan="off")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, or OSError (the caller words it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: uvicorn's h11 server writes head and body separately, and
    # Nagle's algorithm would hold the body until the client's delayed ACK (40 ms on Linux)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve_forever(service: IndexService, sock: socket.socket) -> None:
    """Answer requests on ``sock`` until SIGINT or SIGTERM."""
    uvicorn.Server(_config(service)).run(sockets=[sock])


@dataclass(frozen=True)
class Served:
    host: str
    port: int
    pid: int


def wait_ready(host: str, port: int, timeout_s: float = READY_TIMEOUT_S) -> dict[str, object]:
    """Poll ``GET /health`` until the service answers; its answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", "/health")
            response = conn.getresponse()
            body = response.read()
            conn.close()
            if response.status == 200:
                return dict(json.loads(body))
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the index service on {host}:{port} did not answer within {timeout_s:g} s")
        time.sleep(0.05)


@contextlib.contextmanager
def forked_service(adapter: IndexAdapter, threads: int = 1, host: str = "127.0.0.1") -> Iterator[Served]:
    """The built ``adapter`` served by a forked process on a free port of ``host``; stopped on exit."""
    sock = bind(host, 0)
    port = int(sock.getsockname()[1])
    pid = fork(serve_forever, IndexService(adapter, threads), sock)
    sock.close()
    try:
        wait_ready(host, port)
        yield Served(host, port, pid)
    finally:
        reap(pid)


def process_cpu_ns(pid: int) -> int:
    """User + system CPU time of process ``pid`` so far, from /proc (0 where unreadable)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        return ticks * 10**9 // os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0
