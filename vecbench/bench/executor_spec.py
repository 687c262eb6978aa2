"""Where a run's workers go, as written in a config (``executor:``) or on the command line.

``executor: ray`` or ``executor: {name: ray, address: auto, cpus_per_worker: 2}``; the command
line's ``--executor`` / ``--address`` override the config. Kept apart from the executors
themselves so that reading a config never imports Ray.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ExecutorName = Literal["local", "ray"]


class ExecutorSpec(BaseModel):
    """Which executor runs the workers and, for Ray, which cluster and how many CPUs per worker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ExecutorName = "local"
    # Ray: "auto" (the cluster this machine belongs to), "ray://host:port", "host:port";
    # None starts a private local cluster for the run and stops it afterwards.
    address: str | None = None
    # CPUs each worker declares to Ray; default: the config's search threads (one worker per CPU
    # at threads: 1), so two co-scheduled workers never time each other on one core.
    cpus_per_worker: int | None = Field(default=None, ge=1, le=1024)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data


def with_overrides(spec: ExecutorSpec, name: str | None, address: str | None) -> ExecutorSpec:
    """The config's executor with the command line's choices on top."""
    update: dict[str, Any] = {}
    if name is not None:
        update["name"] = name
    if address is not None:
        update["address"] = address
    return spec.model_copy(update=update) if update else spec
