"""Kept so existing imports work; the timing loops live in ``vecbench.core.timing``."""

from vecbench.core.timing import (
    gc_paused,
    time_batches,
    time_batches_with_cpu,
    time_single_queries,
    time_single_queries_with_cpu,
)

__all__ = [
    "gc_paused",
    "time_batches",
    "time_batches_with_cpu",
    "time_single_queries",
    "time_single_queries_with_cpu",
]
