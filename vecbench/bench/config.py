"""The YAML experiment config: models, loading, and one-line errors for malformed input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vecbench.core.config import read_yaml, shown, validation_message
from vecbench.datasets.spec import DatasetSpec
from vecbench.errors import ConfigError
from vecbench.reports.constraints import Constraints

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
