"""Server processes tied to the process that started them, so none outlives a killed run.

Each server is started with the Linux parent-death signal set to SIGKILL: when the process that
started it dies in any way (a killed worker, a killed runner, a crash), the kernel kills the
server too. The signal fires when the starting *thread* exits, so servers are started from the
thread that owns them for their whole life (the main thread of a worker or of pytest). Where
vecbench runs as root, servers that refuse root (PostgreSQL) run as the unprivileged ``nobody``.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar, TypeVar

PR_SET_PDEATHSIG = 1
S = TypeVar("S", bound="ManagedServer")


def unprivileged_ids() -> tuple[int, int] | None:
    """(uid, gid) of ``nobody`` when running as root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def _tie_to_parent(parent: int, ids: tuple[int, int] | None) -> Callable[[], None]:
    def preexec() -> None:  # runs in the child between fork and exec
        if ids is not None:
            os.setgroups([])
            os.setgid(ids[1])
            os.setuid(ids[0])
        # after the id change: changing credentials clears the parent-death signal
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was set
            os._exit(1)

    return preexec


def start_tied(
    argv: Sequence[str], log: Path, *, as_unprivileged: bool = False, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` with stdout and stderr to ``log``, killed by the kernel if we die."""
    ids = unprivileged_ids() if as_unprivileged else None
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_tie_to_parent(os.getpid(), ids),
            close_fds=True,
        )


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace_s: float = 10.0) -> None:
    """Ask the server to stop with ``sig``; kill it if it has not exited after ``grace_s``."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        except ProcessLookupError:
            pass
    else:
        proc.wait()


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, read from /proc (PostgreSQL forks one per connection)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_memory_bytes(pid: int) -> int | None:
    """Proportional set size (PSS) summed over ``pid`` and its descendants: shared memory (PostgreSQL's
    shared buffers) is split between the processes that map it, so the sum is not inflated."""
    total, seen = 0, False
    for member in descendants(pid):
        try:
            with open(f"/proc/{member}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        seen = True
                        break
        except OSError:
            continue
    return total if seen else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tail(log: Path, lines: int = 3) -> str:
    """A server log's last lines on one line, for an error that says why it did not start."""
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(text[-lines:]) or "empty log"


class ManagedServer:
    """What every server vecbench starts shares: its process, its own folder (removed at stop,
    or by a later start when its owner died without stopping it), a restart on the same folder
    after it died, and its memory. Subclasses set ``prefix`` (their folders' name), ``stop_signal``
    (the server's own clean shutdown) and ``launch`` (start and wait until it answers)."""

    prefix: ClassVar[str]
    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        raise NotImplementedError

    @classmethod
    def owned_folder(cls) -> Path:
        """A new folder for one server, marked with this process as its owner; folders of earlier
        servers whose owner died (a killed run: the kernel already killed the server) are removed."""
        for folder in Path(tempfile.gettempdir()).glob(cls.prefix + "*"):
            try:
                owner = int((folder / "owner.pid").read_text())
            except (OSError, ValueError):
                continue
            if not alive(owner):
                shutil.rmtree(folder, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(prefix=cls.prefix))
        (folder / "owner.pid").write_text(str(os.getpid()))
        return folder

    def launched(self: S) -> S:
        """This server started and answering; stopped again (folder removed) when it cannot start."""
        try:
            self.launch()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def restart(self) -> None:
        """Start again on the same folder after the server died (its data persisted there)."""
        if self.proc is not None:
            stop_process(self.proc, self.stop_signal)
        self.launch()

    def memory_bytes(self) -> int | None:
        """The server's and its children's PSS."""
        return tree_memory_bytes(self.proc.pid) if self.running() and self.proc is not None else None

    def stop(self) -> None:
        """The server's clean shutdown, then its folder removed."""
        if self.proc is not None:
            stop_process(self.proc, self.stop_signal)
        shutil.rmtree(self.folder, ignore_errors=True)
