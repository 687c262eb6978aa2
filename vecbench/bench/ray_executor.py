"""Workers on a Ray cluster: each task is one Ray actor with declared CPUs, driven point by point.

The actor (``PointRelay``) runs the task through ``LocalExecutor`` on its node, so a Ray worker
gets exactly the isolation of a local run: the index is built and measured in a spawned process
with the memory limit, its own peak RSS and the timeout, and a crash there costs that task only.
The driver asks the actor for one message at a time; the actor releases its worker only when
asked for the next one, so the lock-step contract of ``Executor.run`` holds across machines: no
timed region of a worker overlaps the driver's work on that worker's point.

The dataset travels by spec (each node loads it; its fingerprint is checked there). Raw arrays
are written on the worker's node in a private folder and come back with their message as bytes,
to land in the driver's output folder, so the rows and the resume logic are those of a local
run. A Ray worker killed mid-point (or its node lost) ends the task as ``Ended``: failed rows.

Several tasks run at once (``slots``): the driver holds each one's iterator in its own thread.
Those tasks run on CPUs of their own (declared to Ray); the private local cluster keeps one CPU
for the driver when the machine has more than two.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from vecbench.bench.executor import LocalExecutor
from vecbench.bench.executor_spec import ExecutorSpec
from vecbench.bench.messages import Built, Ended, EngineMessage, Failed, Finished, Measured
from vecbench.bench.worker import WorkerTask, write_record
from vecbench.core.atomic import atomic_write_bytes
from vecbench.errors import ConfigError

# Extra seconds the driver waits for an actor beyond the task's own timeout (which the actor
# enforces on its worker): scheduling and start-up of a Ray worker process.
SCHEDULING_GRACE_S = 120.0
ACTOR_PREFIX = "vecbench-point"


class PointRelay:
    """Runs one ``WorkerTask`` on a Ray node; the driver pulls its messages one by one (``next``)."""

    def __init__(self, task: WorkerTask, timeout_s: float) -> None:
        self.folder = tempfile.mkdtemp(prefix="vecbench-ray-")
        local = dataclasses.replace(task, raw_dir=self.folder)
        self.messages = LocalExecutor().run(local, timeout_s)

    def pid(self) -> int:
        """This Ray worker's process id (tests kill it to prove a lost worker is a failed row)."""
        return os.getpid()

    def next(self) -> tuple[EngineMessage, bytes | None]:
        """The worker's next message, releasing it from the previous point first; a measured
        point's raw file comes along as bytes and is removed here."""
        try:
            message = next(self.messages)
        except StopIteration:
            return Ended("worker finished without a final message"), None
        if isinstance(message, Measured):
            path = Path(message.raw_path)
            data = path.read_bytes()
            path.unlink()
            return message, data
        return message, None

    def close(self) -> None:
        if isinstance(self.messages, Generator):
            self.messages.close()  # stops the spawned worker if it is still running
        shutil.rmtree(self.folder, ignore_errors=True)


class RayExecutor:
    """Runs each task as a Ray actor; ``cluster`` must be connected while ``run`` is used."""

    def __init__(self, cpus_per_worker: int | None = None, slots: int | None = None) -> None:
        import ray

        if not ray.is_initialized():
            raise ConfigError("the Ray executor needs a connected cluster: open it with ray_cluster(address) first")
        self.ray = ray
        self.cpus_per_worker = cpus_per_worker
        total = int(ray.cluster_resources().get("CPU", 0))
        self.slots = max(1, slots if slots is not None else total // (cpus_per_worker or 1))
        self.cluster_cpus = total
        self._actor_class: Any = ray.remote(PointRelay)

    def run(self, task: WorkerTask, timeout_s: float) -> Generator[EngineMessage, None, None]:
        ray = self.ray
        cpus = self.cpus_per_worker or task.threads
        if cpus > self.cluster_cpus:
            yield Failed(
                f"a worker declares {cpus} CPUs but the Ray cluster has {self.cluster_cpus}; "
                "lower threads or executor.cpus_per_worker, or add nodes"
            )
            return
        name = (
            f"{ACTOR_PREFIX}-{task.point_keys()[0] if task.point_keys() else 'none'}-{uuid.uuid4().hex[:8]}"
        )
        actor = self._actor_class.options(num_cpus=cpus, max_restarts=0, name=name).remote(task, timeout_s)
        raw_dir = Path(task.raw_dir)
        built: Built | None = None
        try:
            while True:
                try:
                    message, data = ray.get(actor.next.remote(), timeout=timeout_s + SCHEDULING_GRACE_S)
                except ray.exceptions.GetTimeoutError:
                    message, data = Ended(f"the Ray worker did not answer within {timeout_s:g} s"), None
                except ray.exceptions.RayActorError as exc:
                    message, data = Ended(f"the Ray worker died ({_first_line(exc)})"), None
                if isinstance(message, Built):
                    built = message
                if isinstance(message, Measured) and data is not None:
                    path = raw_dir / Path(message.raw_path).name
                    atomic_write_bytes(path, data)
                    message = dataclasses.replace(message, raw_path=str(path))
                    if built is not None:  # beside the raw arrays, as a local worker leaves it
                        write_record(message, built)
                yield message
                if isinstance(message, Ended | Finished) or (
                    isinstance(message, Failed) and message.key is None
                ):
                    return
        finally:
            with contextlib.suppress(Exception):
                ray.get(actor.close.remote(), timeout=30)
            with contextlib.suppress(Exception):
                ray.kill(actor)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


@contextlib.contextmanager
def ray_cluster(address: str | None, num_cpus: int | None = None) -> Iterator[None]:
    """Connected to the cluster at ``address``, or to a private local one started (and stopped)
    here: ``num_cpus`` CPUs (default: all but one for the driver, when there are more than two)."""
    try:
        import ray
    except ImportError:
        raise ConfigError("the ray executor needs Ray: pip install 'vecbench[ray]'") from None
    if ray.is_initialized():
        yield  # someone (a test, a notebook) already connected this process
        return
    options: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
    }
    if address is None:
        cores = os.cpu_count() or 1
        options["num_cpus"] = num_cpus if num_cpus is not None else (cores - 1 if cores > 2 else cores)
    try:
        previous = signal.getsignal(signal.SIGTERM)  # ray.init replaces the driver's SIGTERM handler
        ray.init(address=address, **options)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"cannot connect to the Ray cluster at {address!r}: {_first_line(exc)}") from None
    try:
        yield
    finally:
        ray.shutdown()
        signal.signal(signal.SIGTERM, previous)


def make_ray_executor(spec: ExecutorSpec) -> RayExecutor:
    """A Ray executor for a connected cluster (``ray_cluster``)."""
    return RayExecutor(cpus_per_worker=spec.cpus_per_worker)
