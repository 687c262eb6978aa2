"""The executor a run asked for, opened for the run's length (a Ray cluster it starts is stopped)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from vecbench.bench.executor import Executor, LocalExecutor
from vecbench.bench.executor_spec import ExecutorSpec


@contextlib.contextmanager
def opened_executor(spec: ExecutorSpec) -> Iterator[Executor]:
    """The executor ``spec`` names, ready to run tasks; a Ray cluster it started is stopped on leaving."""
    if spec.name == "local":
        yield LocalExecutor()
        return
    from vecbench.bench.ray_executor import make_ray_executor, ray_cluster

    with ray_cluster(spec.address):
        yield make_ray_executor(spec)
