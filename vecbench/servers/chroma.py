"""A private Chroma server (``chroma run``) on 127.0.0.1 and a free port, in a temporary folder.

Started like the PostgreSQL server (``vecbench.servers.process``): a direct child the kernel kills
when its owner dies, its folder removed at ``stop``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vecbench.servers.postgres import tail
from vecbench.servers.process import alive, start_tied, stop_process, tree_memory_bytes

PREFIX = "vecbench-chroma-"
START_TIMEOUT_S = 60.0
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def remove_stale() -> None:
    for folder in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            owner = int((folder / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if not alive(owner):
            shutil.rmtree(folder, ignore_errors=True)


def heartbeat(host: str, port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{host}:{port}/api/v2/heartbeat", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class ChromaServer:
    """One ``chroma run`` process; ``url`` is where a client reaches it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.log = folder / "chroma.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @classmethod
    def start(cls) -> ChromaServer:
        remove_stale()
        folder = Path(tempfile.mkdtemp(prefix=PREFIX))
        (folder / "owner.pid").write_text(str(os.getpid()))
        server = cls(folder)
        try:
            server.launch()
        except BaseException:
            server.stop()
            raise
        return server

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

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def restart(self) -> None:
        """Start again on the same folder after the server died (its data persisted there)."""
        if self.proc is not None:
            stop_process(self.proc, signal.SIGTERM)
        self.launch()

    def memory_bytes(self) -> int | None:
        return tree_memory_bytes(self.proc.pid) if self.running() and self.proc is not None else None

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, signal.SIGTERM)
        shutil.rmtree(self.folder, ignore_errors=True)
