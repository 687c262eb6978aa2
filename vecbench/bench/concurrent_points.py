"""Several build points at once, where the executor has room for them (a Ray cluster).

The runner's per-point function stays what it is; here it runs in up to ``slots`` driver threads,
each holding one worker's message iterator (each waits in Ray most of the time, so the driver's
threads share its CPU without contention). With one slot it is the plain sequential loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from vecbench.bench.executor import Executor

P = TypeVar("P")
R = TypeVar("R")


def point_slots(executor: Executor) -> int:
    """How many tasks ``executor`` runs at once: a Ray executor's slots, else one."""
    from vecbench.bench.ray_executor import RayExecutor  # no Ray import: that module loads it lazily

    return executor.slots if isinstance(executor, RayExecutor) else 1


def each_point(points: Sequence[P], run_point: Callable[[P], R], slots: int) -> Iterator[R]:
    """``run_point`` of every point, yielded as each finishes; the first error stops the rest."""
    if slots <= 1:
        for point in points:
            yield run_point(point)
        return
    pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="vecbench-point")
    pending: set[Future[R]] = set()
    try:
        queue = list(points)
        while queue or pending:
            while queue and len(pending) < slots:
                pending.add(pool.submit(run_point, queue.pop(0)))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)
