"""Filtered retrieval: the filter language, its evaluation and ground truth, and search strategies."""

from vecbench.filters.active import ActiveFilter, QueryFilter
from vecbench.filters.evaluate import evaluate
from vecbench.filters.expr import And, Compare, Contains, Expr, In, Not, Or, attr
from vecbench.filters.ground_truth import filtered_ground_truth
from vecbench.filters.parse import parse_filter
from vecbench.filters.validate import validate_filter

__all__ = [
    "ActiveFilter",
    "And",
    "Compare",
    "Contains",
    "Expr",
    "In",
    "Not",
    "Or",
    "QueryFilter",
    "attr",
    "evaluate",
    "filtered_ground_truth",
    "parse_filter",
    "validate_filter",
]
