"""Locks on an output folder, with ``fcntl.flock`` so a killed holder never leaves a stale lock.

- ``RunLock``: one ``vecbench run`` per output folder at a time. The lock file ``OUT/.vecbench.lock``
  stays behind after a run (an unlocked file is no lock); it names the holder's pid and command so a
  refused second run can say who holds the folder.
- ``folder_lock``: short exclusive sections on the folder itself (compacting a table), so two
  compactions never interleave. It locks the directory, not a file in it, and so adds no file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from vecbench.errors import VecbenchError

LOCK_FILE = ".vecbench.lock"


class FolderBusy(VecbenchError):
    """Another run holds the output folder."""


class RunLock:
    """The exclusive right to run into one output folder; a context manager."""

    def __init__(self, out_dir: str | Path, command: Sequence[str] | None = None, wait: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.command = " ".join(sys.argv if command is None else command)
        self.wait = wait
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        return self.out_dir / LOCK_FILE

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise VecbenchError(
                f"cannot lock {self.out_dir}: {exc.strerror}; check the folder's permissions"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise VecbenchError(f"cannot lock {self.out_dir}: {exc.strerror}") from None
            raise FolderBusy(
                f"{self.out_dir} is in use by {self.holder()}; wait for it to finish (or add --wait), "
                "or give another --out"
            ) from None
        holder = json.dumps({"pid": os.getpid(), "command": self.command, "since": time.time()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # the file stays; its content named a holder that is gone
            os.close(fd)

    def holder(self) -> str:
        """'pid N (command)' of the current holder, as far as its lock file says."""
        try:
            info = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            info = {}
        if not isinstance(info, dict) or "pid" not in info:
            return "another vecbench run (it has not written its pid yet)"
        command = " ".join(str(info.get("command", "")).split())
        if len(command) > 160:
            command = command[:157] + "..."
        return f"pid {info['pid']} ({command})"

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Exclusive among all processes that take it on ``folder``; released when the block ends."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the flock
