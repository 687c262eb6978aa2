"""Evaluate a validated filter over every item at once: a boolean mask, True where the item passes.

Vectorised per node (codes for categories, CSR counts for tags), so a filter over a million items
costs milliseconds. A missing value fails every comparison, and ``not`` is plain negation.
"""

from __future__ import annotations

import numpy as np

from vecbench.datasets.attributes import (
    Attributes,
    BooleanColumn,
    CategoricalColumn,
    Column,
    NumericColumn,
    TagsColumn,
    TimestampColumn,
)
from vecbench.filters.expr import And, Compare, Contains, Expr, In, Literal, Not, Or
from vecbench.filters.validate import timestamp_literal, validate_filter


def evaluate(expr: Expr, attributes: Attributes, check: bool = True) -> np.ndarray:
    """Boolean mask (n,) of the items that pass ``expr``; validates first unless ``check`` is False."""
    if check:
        validate_filter(expr, attributes)
    return _eval(expr, attributes)


def _eval(expr: Expr, attributes: Attributes) -> np.ndarray:
    if isinstance(expr, And):
        out = np.ones(attributes.n, dtype=bool)
        for item in expr.items:
            out &= _eval(item, attributes)
        return out
    if isinstance(expr, Or):
        out = np.zeros(attributes.n, dtype=bool)
        for item in expr.items:
            out |= _eval(item, attributes)
        return out
    if isinstance(expr, Not):
        return ~_eval(expr.item, attributes)
    if isinstance(expr, Compare):
        return _compare(attributes[expr.attribute], expr.op, expr.value)
    if isinstance(expr, In):
        column = attributes[expr.attribute]
        out = np.zeros(attributes.n, dtype=bool)
        for value in expr.values:
            out |= _compare(column, "eq", value)
        return out
    if isinstance(expr, Contains):
        column = attributes[expr.attribute]
        assert isinstance(column, TagsColumn)  # guaranteed by validation
        return _contains(column, expr.mode, expr.values)
    raise TypeError(f"not a filter node: {expr!r}")


def _compare(column: Column, op: str, value: Literal) -> np.ndarray:
    if isinstance(column, CategoricalColumn):
        code = column.code_of(str(value))
        hit = column.codes == code if code >= 0 else np.zeros(len(column), dtype=bool)
        return hit if op == "eq" else ~hit & (column.codes >= 0)
    if isinstance(column, BooleanColumn):
        return column.values == bool(value) if op == "eq" else column.values != bool(value)
    if isinstance(column, TimestampColumn):
        stamp = timestamp_literal(value)
        return _ordered(column.values, op, stamp) & ~np.isnat(column.values)
    if isinstance(column, NumericColumn):
        assert isinstance(value, int | float)  # guaranteed by validation
        return _ordered(column.values, op, float(value)) & ~np.isnan(column.values)
    raise TypeError(f"cannot compare a {column.kind.value} attribute")


def _ordered(values: np.ndarray, op: str, operand: object) -> np.ndarray:
    if op == "eq":
        return np.asarray(values == operand)
    if op == "ne":
        return np.asarray(values != operand)
    if op == "lt":
        return np.asarray(values < operand)
    if op == "lte":
        return np.asarray(values <= operand)
    if op == "gt":
        return np.asarray(values > operand)
    return np.asarray(values >= operand)


def _contains(column: TagsColumn, mode: str, values: tuple[Literal, ...]) -> np.ndarray:
    wanted = np.array(sorted({column.vocabulary.index(str(v)) for v in values}), dtype=np.int64)
    hits = np.isin(column.codes, wanted)
    counts = np.bincount(column.entry_rows()[hits], minlength=len(column))
    return counts > 0 if mode == "any" else counts == wanted.shape[0]
