"""A private Chroma server (``chroma run``) on 127.0.0.1 and a free port, in a temporary folder.

Started like the PostgreSQL server (``vecbench.servers.process``): a direct child the kernel kills
when its owner dies, its folder removed at ``stop``.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path

from vecbench.servers.process import ManagedServer, start_tied, tail

PREFIX = "vecbench-chroma-"
START_TIMEOUT_S = 60.0
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def heartbeat(host: str, port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{host}:{port}/api/v2/heartbeat", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class ChromaServer(ManagedServer):
    """One ``chroma run`` process; ``url`` is where a client reaches it."""

    prefix = PREFIX
    stop_signal = signal.SIGTERM  # its clean shutdown

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.log = folder / "chroma.log"
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @classmethod
    def start(cls) -> ChromaServer:
        return cls(cls.owned_folder()).launched()

    def launch(self) -> None:
        self.port = free_port()
        argv = [
            sys.executable, "-c", "import sys; from chromadb.cli.cli import app; sys.argv[0] = 'chroma'; app()",
            "run", "--path", str(self.folder / "data"), "--host", HOST, "--port", str(self.port),
        ]  # fmt: skip
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self.proc = start_tied(argv, self.log, env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not heartbeat(HOST, self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited while starting: {tail(self.log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Chroma server did not answer in {START_TIMEOUT_S:.0f} s")
            time.sleep(0.05)
