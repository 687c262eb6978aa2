"""Index adapters: one protocol, one module per library family, a lazy registry."""

from vecbench.indexes.base import (
    Capabilities,
    ConformanceGrid,
    IndexAdapter,
    Metric,
    ParamSpec,
    SearchResult,
)
from vecbench.indexes.registry import adapter_names, get_adapter_class

__all__ = [
    "Capabilities",
    "ConformanceGrid",
    "IndexAdapter",
    "Metric",
    "ParamSpec",
    "SearchResult",
    "adapter_names",
    "get_adapter_class",
]
