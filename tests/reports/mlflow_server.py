"""A real ``mlflow server`` on loopback for tests: SQLite backend and artifacts in a temp folder.

It can be stopped and started again on the same port and store, which is how a test plays a
tracking server that dies mid-run and comes back before ``vecbench mlflow sync``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

START_TIMEOUT_S = 180.0  # the server imports much of MLflow; on 2 busy cores that takes a while


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MlflowServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = root / "server.log"

    def start(self) -> None:
        self.launch()
        self.wait_until_up()

    def launch(self) -> None:
        """Start the server process without waiting for it to answer."""
        # No background job runners (they would only compete for the CPU while the server starts).
        env = {
            **os.environ,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        }
        env.pop("MLFLOW_TRACKING_URI", None)
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", "1",
            "--backend-store-uri", f"sqlite:///{self.root / 'mlflow.db'}",
            "--artifacts-destination", str(self.root / "artifacts"),
        ]  # fmt: skip
        with open(self.log, "ab") as log:
            # Own process group, so stopping it also stops the workers it spawns.
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=env, start_new_session=True)

    def wait_until_up(self) -> None:
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited with {self.process.returncode}; see {self.log}")
            if self.healthy():
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer within {START_TIMEOUT_S} s; see {self.log}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, abruptly: bool = False) -> None:
        """SIGTERM (or SIGKILL, to play a crash) to the server's process group, then make sure
        nothing of it is left."""
        if self.process is None:
            return
        group = self.process.pid
        with contextlib.suppress(subprocess.TimeoutExpired, ProcessLookupError):
            os.killpg(group, signal.SIGKILL if abruptly else signal.SIGTERM)
            self.process.wait(15)
        with contextlib.suppress(ProcessLookupError):  # stragglers of the group, if any
            os.killpg(group, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None or not self.healthy():
            self.stop()
            self.start()
