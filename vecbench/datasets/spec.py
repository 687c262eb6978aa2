"""How a config names a dataset: a registered name with options, or a path with a format."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class DatasetSpec(BaseModel):
    """``{name: glove-6b-50, n_base: 100000}`` or ``{path: x.npy, format: npy, metric: angular}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    path: str | None = None
    format: str | None = None
    queries_path: str | None = None
    metric: str | None = None
    n_base: int | None = None
    n_queries: int | None = None
    seed: int = 0
    # Generator options for synthetic data (dim, n_clusters, ...); ignored by file loaders.
    options: dict[str, Any] = {}

    @model_validator(mode="after")
    def _name_or_path(self) -> DatasetSpec:
        if (self.name is None) == (self.path is None):
            raise ValueError("give exactly one of 'name' (a registered dataset) or 'path' (a file)")
        return self

    def label(self) -> str:
        """Short human name for tables and reports."""
        return self.name if self.name is not None else str(self.path)
