"""The one atomic writer: a reader sees the old file or the new one, never half of either.

Each write goes to a temporary file with a unique name in the target's folder (so two writers never
share one, and ``os.replace`` stays a same-filesystem rename), then replaces the target in one step.
A process killed mid-write leaves at most a hidden ``.NAME.*.tmp`` file, never a damaged target.

``durable=True`` also flushes the data and the folder entry to disk before returning: for files whose
loss on power failure would lose data kept nowhere else (a compacted result file before its parts
are deleted). It costs milliseconds, so per-row writes skip it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".tmp"


def temporary_name(path: Path) -> Path:
    """A hidden name beside ``path`` that no other writer (process or thread) can pick."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}{TEMP_SUFFIX}")


@contextlib.contextmanager
def atomic_writer(path: str | Path, durable: bool = False) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces ``path`` when the block ends without an error.

    On an error the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    tmp = temporary_name(target)
    # O_EXCL: never reuse a file another writer made; mode 0o666 lets the umask decide, as open() does.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        sync_folder(target.parent)


def atomic_write_bytes(path: str | Path, data: bytes, durable: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically."""
    with atomic_writer(path, durable) as handle:
        handle.write(data)


def atomic_write_text(path: str | Path, text: str, durable: bool = False) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), durable)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename is durable only once its folder is)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
