"""Stage 1's filter from a pipeline config: the attribute filter checked against the log's items.

The filter is parsed and validated against the catalogue's attributes as soon as the log is
loaded, so a misspelt attribute or genre fails with one line before any embedding is trained or
index built; a filter that no item passes is refused the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from vecbench.datasets.logs.base import InteractionLog
from vecbench.errors import ConfigError
from vecbench.filters.evaluate import evaluate
from vecbench.filters.parse import parse_filter
from vecbench.filters.validate import validate_filter
from vecbench.pipeline.retrieval import StageFilter

WHERE = "retrieval.filter"


class FilterSettings(Protocol):
    """The fields of a pipeline's ``retrieval:`` section this module reads (so it never imports bench/)."""

    @property
    def filter(self) -> Any: ...
    @property
    def filter_name(self) -> str | None: ...
    @property
    def exclude_seen(self) -> bool: ...


@dataclass(frozen=True)
class StageFilterSetup:
    """The filter itself, its canonical text as index sweeps write it (``... and not seen``, ``not
    seen``, or ``none``) and the name rows carry."""

    rule: StageFilter
    text: str
    name: str


def stage_filter_from_config(retrieval: FilterSettings, log: InteractionLog) -> StageFilterSetup:
    """Parse, validate and evaluate ``retrieval.filter`` over every catalogue item of ``log``."""
    if retrieval.filter is None:
        if retrieval.filter_name is not None:
            raise ConfigError("retrieval.filter_name names a filter, but retrieval.filter is not set")
        text = "not seen" if retrieval.exclude_seen else "none"
        return StageFilterSetup(StageFilter(None, retrieval.exclude_seen), text, text)
    expr = parse_filter(retrieval.filter, WHERE)
    attributes = log.items.attributes
    if attributes is None or not list(attributes):
        raise ConfigError(
            f"{WHERE}: log '{log.name}' has no item attributes to filter on; "
            "for a table log give items: a catalogue file with the attribute columns"
        )
    validate_filter(expr, attributes, WHERE)
    allowed = evaluate(expr, attributes, check=False)
    if not allowed.any():
        raise ConfigError(f"{WHERE}: no item of log '{log.name}' passes {expr}; loosen the filter")
    text = expr.canonical() + (" and not seen" if retrieval.exclude_seen else "")
    return StageFilterSetup(StageFilter(allowed, retrieval.exclude_seen), text, retrieval.filter_name or text)
