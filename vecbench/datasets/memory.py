"""How much memory this process may still take: for refusing, up front, a dataset that cannot fit.

The smaller of the kernel's estimate of available memory (``MemAvailable``) and what the cgroup
(container) limit leaves; None where neither can be read (then nothing is refused).
"""

from __future__ import annotations

from pathlib import Path

from vecbench.errors import DatasetError

_CGROUP = Path("/sys/fs/cgroup")


def available_bytes() -> int | None:
    """Bytes this process can still allocate before the system (or its container) runs out."""
    found = [value for value in (_mem_available(), _cgroup_room()) if value is not None]
    return min(found) if found else None


def _mem_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_room() -> int | None:
    try:
        limit = (_CGROUP / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int((_CGROUP / "memory.current").read_text().strip()))
    except (OSError, ValueError):
        return None


def require_memory(needed: int, what: str, fix: str) -> None:
    """Raise a one-line DatasetError when ``needed`` bytes exceed what is available."""
    available = available_bytes()
    if available is not None and needed > available:
        raise DatasetError(
            f"{what} needs {_size(needed)} of memory and {_size(available)} is available; {fix}"
        )


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:,.1f} TiB"
