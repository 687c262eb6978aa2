"""The engine's loop over one worker: every point of a task ends as its measurement or its error.

Index sweeps and pipeline retrieval drive workers through this one function, so a build that
fails, a worker that crashes, exits or hangs, and a library that rejects one point are handled the
same way for every kind of measurement: each point the worker did not report gets the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from vecbench.bench.executor import Executor
from vecbench.bench.messages import Built, Ended, Failed, Finished, Measured
from vecbench.bench.worker import WorkerTask
from vecbench.bench.worker_log import with_log_tail

Outcome = Measured | str  # a point's measurement, or why it has none


def run_worker(
    executor: Executor, task: WorkerTask, timeout_s: float, on_built: Callable[[Built], None] = lambda _: None
) -> Iterator[tuple[str, Outcome]]:
    """Yield ``(point key, outcome)`` for every point of ``task``, in the order they finish.

    The worker waits while the consumer handles each yielded point (the executor releases it when
    the next one is asked for), so whatever the consumer does never overlaps a timed region.
    """
    pending = dict.fromkeys(task.point_keys())
    for message in executor.run(task, timeout_s):
        if isinstance(message, Built):
            on_built(message)
        elif isinstance(message, Measured) and message.key in pending:
            del pending[message.key]
            yield message.key, message
        elif isinstance(message, Failed) and message.key in pending:
            del pending[message.key]
            yield message.key, message.error
        elif isinstance(message, Failed | Ended | Finished):
            reason = (
                message.error if isinstance(message, Failed)
                else message.reason if isinstance(message, Ended)
                else "worker finished without reporting this point"
            )  # fmt: skip
            if pending and not isinstance(message, Failed):
                reason = with_log_tail(reason, task)  # hook: issue 17 -- a crash shows its last log lines
            for key in list(pending):
                del pending[key]
                yield key, reason
            return
