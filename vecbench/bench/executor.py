"""Where a worker runs. The engine hands an executor one ``WorkerTask`` and reads its messages.

``LocalExecutor`` runs each task in a spawned process on this machine, in lock-step: after each
point the worker waits until the engine has stored that point (metrics, result file, MLflow), so
the engine's own work never shares the CPU with a timed region, and the time the worker waits does
not count against its timeout. Another executor (a Ray cluster, say) is one more class with the
same ``run`` and one line in ``open_executor.EXECUTORS``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator
from typing import Any, Protocol

from vecbench.bench.messages import Ended, EngineMessage, Failed, Finished, Measured
from vecbench.bench.spawn import next_message, spawned
from vecbench.bench.worker import WorkerTask, worker_main


class Executor(Protocol):
    slots: int  # how many tasks it runs at once: 1 on this machine, a cluster's worker count

    def run(self, task: WorkerTask, timeout_s: float) -> Generator[EngineMessage, None, None]:
        """Every message of the task's worker, ending with ``Finished``, a key-less ``Failed`` or
        ``Ended``; the worker goes on after a point only when the consumer asks for the next message."""
        ...


class LocalExecutor:
    """One spawned worker process per task, released point by point."""

    slots = 1  # one worker at a time: co-scheduled workers would time each other

    def run(self, task: WorkerTask, timeout_s: float) -> Generator[EngineMessage, None, None]:
        deadline = time.monotonic() + timeout_s
        with spawned(worker_main, task, duplex=True) as (process, receiver):
            while True:
                message = next_message(process, receiver, deadline, timeout_s)
                handed_over = time.monotonic()
                yield message
                if isinstance(message, Ended | Finished) or (
                    isinstance(message, Failed) and message.key is None
                ):
                    return
                if isinstance(message, Measured | Failed):
                    deadline += time.monotonic() - handed_over
                    _release(receiver)


def _release(connection: Any) -> None:
    """Tell the waiting worker to go on; a worker that died meanwhile is handled by the loop."""
    with contextlib.suppress(BrokenPipeError, OSError):
        connection.send(True)
