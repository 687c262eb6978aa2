"""The YAML experiment config: models, loading, and one-line errors for malformed input."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vecbench.bench.executor_spec import ExecutorSpec
from vecbench.core.config import read_yaml, shown, validation_message
from vecbench.datasets.exact_backends import GroundTruthSpec
from vecbench.datasets.spec import DatasetSpec
from vecbench.errors import ConfigError
from vecbench.load.spec import LoadSpec  # hook: issue 12
from vecbench.reports.constraints import Constraints
from vecbench.servers.address import server_address_into_build
from vecbench.streaming.spec import PolicySpec, RunbookSpec  # hook: issue 11

ParamGrid = dict[str, Any]
# A grid, or (issue 17) a list of parameter sets taken as they are: paired values a grid cannot say.
ParamSets = ParamGrid | list[ParamGrid]
# A filter strategy: a name ("pre") or a name with parameters ({name: post, overfetch: fixed, factor: 1}).
StrategySpec = str | dict[str, Any]


class FilterEntry(BaseModel):
    """One filter, or a grid of named synthetic ones: an expression and/or a pass-rate (lists expand).

    ``pass_rate: p`` keeps the items whose generated ``uniform`` score (``clustered`` when
    ``correlated``) is below p: exactly round(p * n) items. It needs ``attributes: {generate: {}}``
    on the dataset. ``exclude_seen`` also removes, per query, the items the dataset lists as seen.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    expr: dict[str, Any] | None = None
    pass_rate: float | list[float] | None = None
    correlated: bool | list[bool] = False
    exclude_seen: bool = False


class IndexEntry(BaseModel):
    """One adapter with its build-time and query-time parameter grids (lists expand as a grid)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adapter: str
    build: ParamSets = Field(default_factory=dict)  # hook: issue 17 (was ParamGrid)
    query: ParamSets = Field(default_factory=dict)  # hook: issue 17 (was ParamGrid)
    timeout_s: float | None = Field(default=None, gt=0)
    label: str | None = None
    strategies: list[StrategySpec] | None = None  # filter strategies for this index (default: the config's)
    policy: PolicySpec | None = None  # hook: issue 11 (how a runbook's updates reach this index)
    load: LoadSpec | list[LoadSpec] | None = None  # hook: issue 12 (one more row per rate or client count)

    # hook: issue 13: a database server's address on the entry becomes the adapter's build parameter
    _server_address = model_validator(mode="before")(server_address_into_build)

    @field_validator("build", "query", mode="before")  # hook: issue 17
    @classmethod
    def _some_sets(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not value:
                raise ValueError("an empty list names no parameter set; give at least one {name: value} or leave it out")
            for number, item in enumerate(value, 1):
                if not isinstance(item, dict):
                    raise ValueError(
                        f"item {number} is {shown(item)}, not a mapping; a list here holds parameter sets "
                        "such as [{leaves_to_search: 10, reorder_k: 50}, {leaves_to_search: 40, reorder_k: 200}]"
                    )
        return value


class ExperimentConfig(BaseModel):
    """A whole experiment: one dataset, one k, a list of index entries and measurement settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dataset: DatasetSpec
    k: int = Field(default=10, ge=1)
    indexes: list[IndexEntry] = Field(min_length=1)
    # Upper bounds on every knob that multiplies the work: far above any real use, and a typo
    # such as runs: 1000000000 is a one-line error instead of a run that never ends.
    threads: int = Field(
        default=1, ge=1, le=1024, description="search threads (latency is per single query call)"
    )
    runs: int = Field(default=1, ge=1, le=1000, description="batch-throughput repetitions per query point")
    repeats: int = Field(
        default=1, ge=1, le=100, description="independent worker runs per build point (samples for the gate)"
    )
    warmup_queries: int = Field(default=100, ge=0, le=10_000_000)
    latency: bool = Field(default=True, description="time single-query calls for latency percentiles")
    timeout_s: float = Field(default=1800.0, gt=0, description="per build point, in its worker process")
    memory_limit_gb: float | None = Field(default=None, gt=0, description="address-space cap per worker")
    cache_dir: str | None = None
    constraints: Constraints = Field(default_factory=Constraints)
    # Filtered retrieval: each filter x strategy x query point is one more row per build point.
    filters: list[FilterEntry] = Field(default_factory=list)
    strategies: list[StrategySpec] = Field(default_factory=lambda: list[StrategySpec](["auto"]))
    runbook: RunbookSpec | None = None  # hook: issue 11 (a streaming experiment)
    # hook: issue 14 -- a size sweep: every index point at each base size (vecbench.capacity.sizes)
    sizes: list[Annotated[int, Field(ge=1)]] | None = Field(default=None, min_length=1)
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)  # hook: issue 15 (where workers run)
    ground_truth: GroundTruthSpec = Field(default_factory=GroundTruthSpec)  # hook: issue 15


def parse_config(data: Any, source: str = "config") -> ExperimentConfig:
    """Validate a parsed YAML mapping into an ExperimentConfig, raising one-line ConfigErrors."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with name, dataset, k and indexes")
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, source, ExperimentConfig)) from None


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate a YAML config file."""
    return parse_config(read_yaml(Path(path)), source=str(path))
