"""A minimal headless-Chromium driver over the DevTools protocol, for opening reports in tests.

It starts Debian's ``/usr/bin/chromium`` with a fresh profile and no network features, attaches to
one page and records console errors, uncaught exceptions and JavaScript dialogs (an ``alert``
would mean injected script ran). Nothing is downloaded: the browser is the system package.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import websocket

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)


class Page:
    """One browser tab: send DevTools commands, collect the events that signal problems."""

    def __init__(self, socket: websocket.WebSocket, session: str) -> None:
        self.socket = socket
        self.session = session
        self.next_id = 1000
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        self.events: list[str] = []

    def send(self, method: str, timeout_s: float = 30.0, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message_id = self.next_id
        self.socket.send(
            json.dumps({"id": message_id, "method": method, "params": params, "sessionId": self.session})
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            reply = self._receive(deadline)
            if reply is not None and reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
        raise TimeoutError(f"no reply to {method} within {timeout_s} s")

    def wait_for(self, event: str, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while event not in self.events:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{event} did not arrive within {timeout_s} s")
            self._receive(deadline)

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        self.socket.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            message = json.loads(self.socket.recv())
        except websocket.WebSocketTimeoutException:
            return None
        method, params = message.get("method"), message.get("params", {})
        if method:
            self.events.append(method)
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.console_errors.append(
                " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            )
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(str(params.get("exceptionDetails", {}).get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.console_errors.append(str(params["entry"].get("text")))
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(str(params.get("message")))
            self.socket.send(
                json.dumps(
                    {
                        "id": 1,
                        "method": "Page.handleJavaScriptDialog",
                        "params": {"accept": True},
                        "sessionId": self.session,
                    }
                )
            )
        return message

    def open(self, url: str, width: int = 1366, height: int = 900) -> None:
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        time.sleep(0.3)  # let late console messages arrive
        self.drain()

    def drain(self) -> None:
        self._receive(time.monotonic() + 0.2)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path


@contextmanager
def chromium_page(profile_dir: Path) -> Iterator[Page]:
    """Start Chromium with a fresh profile in ``profile_dir`` and yield one attached page."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    port_file = profile_dir / "DevToolsActivePort"
    port_file.unlink(missing_ok=True)  # a stale file from an earlier browser would name a dead port
    process = subprocess.Popen(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = None
    try:
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        socket = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=30, suppress_origin=True)
        socket.send(json.dumps({"id": 1, "method": "Target.createTarget", "params": {"url": "about:blank"}}))
        target = _reply(socket, 1)["targetId"]
        socket.send(
            json.dumps(
                {"id": 2, "method": "Target.attachToTarget", "params": {"targetId": target, "flatten": True}}
            )
        )
        session = _reply(socket, 2)["sessionId"]
        yield Page(socket, session)
    finally:
        if socket is not None:
            socket.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _reply(socket: websocket.WebSocket, message_id: int) -> dict[str, Any]:
    while True:
        message = json.loads(socket.recv())
        if message.get("id") == message_id:
            if "error" in message:
                raise RuntimeError(str(message["error"]))
            return dict(message["result"])
