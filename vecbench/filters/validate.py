"""Check a filter against the data's attributes before any index is built: one line per mistake.

Unknown attributes suggest the closest name; an operator the attribute's kind does not support, a
literal of the wrong type and a category or tag no item has (usually a typo) are refused.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from vecbench.datasets.attributes import (
    AttributeKind,
    Attributes,
    CategoricalColumn,
    Column,
    TagsColumn,
)
from vecbench.errors import ConfigError, closest_hint
from vecbench.filters.expr import And, Compare, Contains, Expr, In, Literal, Not, Or, literal_text

# Operators each kind accepts ("in" is the In node, "any"/"all" the Contains node).
ALLOWED_OPS: dict[AttributeKind, tuple[str, ...]] = {
    AttributeKind.CATEGORICAL: ("eq", "ne", "in"),
    AttributeKind.TAGS: ("any", "all"),
    AttributeKind.NUMERIC: ("eq", "ne", "lt", "lte", "gt", "gte", "in"),
    AttributeKind.BOOLEAN: ("eq", "ne", "in"),
    AttributeKind.TIMESTAMP: ("eq", "ne", "lt", "lte", "gt", "gte", "in"),
}
EXPECTED: dict[AttributeKind, str] = {
    AttributeKind.CATEGORICAL: "text",
    AttributeKind.TAGS: "text",
    AttributeKind.NUMERIC: "a number",
    AttributeKind.BOOLEAN: "true or false",
    AttributeKind.TIMESTAMP: "a date or ISO timestamp text",
}


def validate_filter(expr: Expr, attributes: Attributes | None, where: str = "filter") -> None:
    """Raise ConfigError naming the first problem of ``expr`` against these attributes."""
    if attributes is None:
        raise ConfigError(
            f"{where}: the dataset has no item attributes; add attributes: (a file, or generate: {{}}) to it"
        )
    _check(expr, attributes, where)


def _check(expr: Expr, attributes: Attributes, where: str) -> None:
    if isinstance(expr, And | Or):
        for item in expr.items:
            _check(item, attributes, where)
        return
    if isinstance(expr, Not):
        _check(expr.item, attributes, where)
        return
    if not isinstance(expr, Compare | In | Contains):
        raise ConfigError(f"{where}: {expr!r} is not a filter expression")
    name = expr.attribute
    if name not in attributes:
        raise ConfigError(f"{where}: unknown attribute '{name}'{closest_hint(name, list(attributes))}")
    column = attributes[name]
    op = expr.op if isinstance(expr, Compare) else "in" if isinstance(expr, In) else expr.mode
    allowed = ALLOWED_OPS[column.kind]
    if op not in allowed:
        raise ConfigError(
            f"{where}: '{name}' is {column.kind.value}, which takes {', '.join(allowed)}, not '{op}'"
            + _hint(column.kind)
        )
    values = (expr.value,) if isinstance(expr, Compare) else expr.values
    for value in values:
        _check_literal(name, column, value, where)


def _hint(kind: AttributeKind) -> str:
    if kind is AttributeKind.TAGS:
        return "; write {any: [...]} or {all: [...]}"
    if kind is AttributeKind.CATEGORICAL:
        return "; write a value, {ne: ...} or {in: [...]}"
    return ""


def _check_literal(name: str, column: Column, value: Literal, where: str) -> None:
    kind = column.kind
    if not literal_fits(kind, value):
        raise ConfigError(
            f"{where}: '{name}' is {kind.value} and compares with {EXPECTED[kind]}, not {literal_text(value)}"
        )
    if isinstance(column, CategoricalColumn | TagsColumn):
        known = column.categories if isinstance(column, CategoricalColumn) else column.vocabulary
        if str(value) not in known:
            what = "category" if isinstance(column, CategoricalColumn) else "tag"
            raise ConfigError(
                f"{where}: no item has {what} {literal_text(value)} in '{name}'{closest_hint(str(value), known)}"
            )


def literal_fits(kind: AttributeKind, value: Literal) -> bool:
    """Whether a literal has a type the attribute kind can compare with."""
    if kind is AttributeKind.BOOLEAN:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is AttributeKind.NUMERIC:
        return isinstance(value, int | float)
    if kind is AttributeKind.TIMESTAMP:
        return timestamp_literal(value) is not None
    if kind is AttributeKind.CATEGORICAL:
        return isinstance(value, str | int)
    return isinstance(value, str)


def timestamp_literal(value: Literal) -> np.datetime64 | None:
    """A date, datetime or ISO text as datetime64[s]; None when it is none of these."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return np.datetime64(value, "s")
    if isinstance(value, dt.date):
        return np.datetime64(value, "s")
    if isinstance(value, str):
        try:
            return np.datetime64(value, "s")
        except ValueError:
            return None
    return None
