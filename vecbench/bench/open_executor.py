"""The executor a run asked for, opened for the run's length (a Ray cluster it starts is stopped).

``EXECUTORS`` is the one table of executors by the name a config or ``--executor`` gives: a new
one is its module plus one line here. Each entry opens its executor as a context manager, so what
it needs around the run (a cluster) lives as long as the run; modules of extras (Ray) are imported
only when their executor is asked for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from vecbench.bench.executor import Executor, LocalExecutor
from vecbench.bench.executor_spec import ExecutorSpec


@contextlib.contextmanager
def _local(spec: ExecutorSpec) -> Iterator[Executor]:
    yield LocalExecutor()


@contextlib.contextmanager
def _ray(spec: ExecutorSpec) -> Iterator[Executor]:
    from vecbench.bench.ray_executor import make_ray_executor, ray_cluster  # Ray is an extra

    with ray_cluster(spec.address):
        yield make_ray_executor(spec)


EXECUTORS: dict[str, Callable[[ExecutorSpec], AbstractContextManager[Executor]]] = {"local": _local, "ray": _ray}


def opened_executor(spec: ExecutorSpec) -> AbstractContextManager[Executor]:
    """The executor ``spec`` names, ready to run tasks; a Ray cluster it started is stopped on leaving."""
    return EXECUTORS[spec.name](spec)
