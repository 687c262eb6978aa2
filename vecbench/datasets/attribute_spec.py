"""How a dataset spec asks for item attributes: a file beside the vectors, or generated ones."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class AttributeSpec(BaseModel):
    """``attributes: items.parquet``, ``{path: items.csv, types: {genres: tags}}`` or ``{generate: {...}}``.

    A file holds one row per base item, or one row per row of the vector file (then the same rows
    the dataset keeps are kept). ``generate`` makes synthetic attributes from the base vectors
    (options: ``vecbench.datasets.synthetic_attributes.OPTIONS``). Both may be given: the columns merge.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = None
    format: str | None = None
    types: dict[str, str] = {}
    tag_separator: str = "|"
    generate: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"path": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _something(self) -> AttributeSpec:
        if self.path is None and self.generate is None:
            raise ValueError(
                "give attributes a path (parquet, npz or csv) or generate: {} for synthetic ones"
            )
        return self
