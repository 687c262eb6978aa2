"""The YAML config of a recommendation-pipeline experiment (``kind: pipeline``).

``vecbench run`` reads the ``kind`` key first: ``pipeline`` comes here, anything else is an index
sweep (``bench.config``). Every section has defaults, so a minimal config is a name and a log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vecbench.bench.config import IndexEntry, StrategySpec
from vecbench.core.config import read_yaml, validation_message
from vecbench.datasets.logs.registry import LogSpec
from vecbench.datasets.logs.split import SplitSpec
from vecbench.errors import ConfigError
from vecbench.pipeline.baselines import BaselineSpec, make_baseline
from vecbench.pipeline.cold_start import ColdStartSpec
from vecbench.pipeline.embeddings.base import EmbeddingSpec
from vecbench.pipeline.reranking import RerankSpec
from vecbench.pipeline.scoring import ScorerSpec
from vecbench.pipeline.users import UserSpec

PIPELINE_KIND = "pipeline"


def _or_bare(schema: dict[str, Any], bare: dict[str, Any]) -> None:
    """JSON schema of a list field whose before-validator also takes one bare value."""
    listed = {k: schema.pop(k) for k in list(schema) if k not in ("title", "description", "default")}
    schema["anyOf"] = [bare, listed]


def _bare_items(schema: dict[str, Any], bare: dict[str, Any]) -> None:
    """JSON schema of a list whose items may also be a bare value (a name for ``{kind: NAME}``)."""
    schema["items"] = {"anyOf": [bare, schema["items"]]}


class RetrievalSpec(BaseModel):
    """Indexes to compare (exact is always added as the reference), the candidate counts, and what
    stage 1 may return: unseen items (``exclude_seen``) passing ``filter``, an attribute filter in
    the filter language (``{genres: {any: [Comedy]}, year: {gte: 1990}}``) over the log's items.

    Every configuration of a run, the exact reference and the baselines included, honours the same
    filter, so their comparison stays paired. ``strategies`` says how an index honours it (``post``,
    ``pre``, ``partition``, ``auto``; an index entry's own ``strategies`` override); the exact
    reference always brute-forces the passing items. With ``targets: passing`` the held-out items
    are restricted to those the filter passes (a request left with none is dropped and counted);
    ``all`` keeps every held-out item as a target.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # hook: issue 17 -- the schema says what _listify accepts (one number or a list)
    k_candidates: list[int] = Field(
        default=[200], min_length=1, json_schema_extra=lambda s: _or_bare(s, {"type": "integer"})
    )
    indexes: list[IndexEntry] = Field(default_factory=list)
    exclude_seen: bool = True
    filter: dict[str, Any] | None = None
    filter_name: str | None = None
    targets: Literal["passing", "all"] = "passing"
    strategies: list[StrategySpec] = Field(default_factory=lambda: list[StrategySpec](["post"]), min_length=1)
    cold_start: ColdStartSpec | None = Field(
        default=None, description="reach items without training events: {source: popularity|text, every: N}"
    )

    @field_validator("k_candidates", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value

    @field_validator("k_candidates")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(k < 1 for k in value):
            raise ValueError("every k_candidates must be >= 1")
        return sorted(set(value))


class EvaluationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cutoffs: list[int] = Field(default=[10, 50], min_length=1, description="N of the @N relevance metrics")
    beyond_k: int = Field(default=10, ge=1, description="list length for beyond-accuracy metrics")
    bootstrap: int = Field(default=1000, ge=10, description="paired bootstrap resamples")
    level: float = Field(default=0.95, gt=0, lt=1, description="confidence level of the intervals")
    permutations: int = Field(
        default=2000, ge=10, description="randomisation-test draws (exact enumeration when few users differ)"
    )
    correction: Literal["holm", "bh", "none"] = Field(
        default="holm", description="multiplicity correction across the configurations of a run"
    )
    seed: int = 0


class DriftSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    probe_items: int = Field(default=200, ge=1, description="items whose neighbours are compared")
    k: int = Field(default=10, ge=1)
    versus: EmbeddingSpec | None = Field(default=None, description="a second embedding to compare with")
    seed: int = 0


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["pipeline"]
    name: str
    log: LogSpec
    split: SplitSpec = SplitSpec()
    embedding: EmbeddingSpec = EmbeddingSpec(kind="svd")
    metric: str | None = Field(default=None, description="index metric (default: the embedding's own)")
    users: UserSpec = UserSpec()
    retrieval: RetrievalSpec = RetrievalSpec()
    scorer: ScorerSpec = ScorerSpec()
    rerank: list[RerankSpec] = Field(default_factory=list)
    baselines: list[BaselineSpec] = Field(
        default_factory=lambda: [BaselineSpec(kind="popularity")],
        description="popularity, recent_popularity, itemknn, ease: a name or {kind: NAME, ...}",
        json_schema_extra=lambda s: _bare_items(s, {"type": "string"}),  # hook: issue 17 (_baseline_names)
    )
    evaluation: EvaluationSpec = EvaluationSpec()
    drift: DriftSpec | None = DriftSpec()
    memory_limit_gb: float | None = Field(
        default=None, gt=0, description="address-space cap of each retrieval worker, as in experiments"
    )
    compare: list[tuple[str, str]] = Field(
        default_factory=list,
        description="pairs [A, B] of retrieval labels (LABEL or LABEL/STAGE) compared request by request",
    )

    @field_validator("baselines", mode="before")
    @classmethod
    def _baseline_names(cls, value: Any) -> Any:
        """A bare name is ``{kind: NAME}``."""
        if isinstance(value, list):
            return [{"kind": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _distinct_baselines(self) -> PipelineConfig:
        labels = [make_baseline(spec).label for spec in self.baselines]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            raise ValueError(f"baselines: {', '.join(twice)} appear(s) twice; give each entry other parameters")
        return self


def is_pipeline_config(path: str | Path) -> bool:
    """True when the file is YAML whose top level says ``kind: pipeline``; errors are left to the loaders."""
    try:
        data = read_yaml(Path(path))  # bounded: an alias bomb is refused here too
    except ConfigError:
        return False
    return isinstance(data, dict) and data.get("kind") == PIPELINE_KIND


def parse_pipeline_config(data: Any, source: str = "config") -> PipelineConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with kind, name and log")
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, source, PipelineConfig)) from None


def load_pipeline_config(path: str | Path) -> PipelineConfig:
    return parse_pipeline_config(read_yaml(Path(path)), source=str(path))
