"""How a config names a dataset: a registered name with options, or a path with a format."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vecbench.datasets.attribute_spec import AttributeSpec


class DatasetSpec(BaseModel):
    """``{name: glove-6b-50, n_base: 100000}`` or ``{path: x.npy, format: npy, metric: angular}``.

    ``name`` with ``path`` means a registered dataset read from a local copy (``mnist-test`` needs
    one; ``glove-6b-50`` may take ``glove.6B.50d.txt`` or a folder of .npy files).
    ``vecbench.datasets.dataset_info(name)`` lists the fields each registered dataset accepts.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    path: str | None = None
    format: str | None = None
    # A second file of the same format holding the queries (e.g. sift_query.fvecs beside sift_base.fvecs).
    queries_path: str | None = None
    metric: str | None = None
    n_base: int | None = Field(default=None, ge=1)
    n_queries: int | None = Field(default=None, ge=1)
    seed: int = 0
    # Generator options for synthetic data (dim, n_clusters, cluster_std); file datasets refuse them.
    options: dict[str, Any] = {}
    # Item attributes for filters: a file beside the vectors or generated ones (any dataset takes it).
    attributes: AttributeSpec | None = None

    @model_validator(mode="after")
    def _name_or_path(self) -> DatasetSpec:
        if self.name is None and self.path is None:
            raise ValueError(
                "give 'name' (a registered dataset), 'path' (a file), or both (a dataset's local copy)"
            )
        return self

    def label(self) -> str:
        """Short human name for tables and reports."""
        return self.name if self.name is not None else str(self.path)
