"""Test-only adapters importable by dotted path from configs."""

from __future__ import annotations

from typing import ClassVar

from vecbench.indexes.base import Capabilities, Metric
from vecbench.indexes.exact import ExactAdapter


class EuclideanOnlyAdapter(ExactAdapter):
    """Declares a single metric, to prove the runner refuses the others before building."""

    name: ClassVar[str] = "euclidean-only"
    capabilities: ClassVar[Capabilities] = Capabilities(metrics=frozenset({Metric.EUCLIDEAN}))
