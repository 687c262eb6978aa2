"""Parse filters written as YAML / Python mappings into the expression tree.

    {and: [{genres: {any: [Comedy, Drama]}}, {year: {gte: 1990, lt: 2000}}, {not: {available: false}}]}

A mapping's keys are ``and`` / ``or`` (a list of filters), ``not`` (one filter) or attribute names;
several keys in one mapping all have to hold. An attribute maps to a value (equality) or to
operators: ``eq ne lt lte gt gte`` (one value), ``in`` (a list: one of these values), ``any`` / ``all``
(a list: a tags attribute holds any / all of them). Structural mistakes fail here with one line;
attribute names and types are checked against the data by ``validate``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from vecbench.core.config import shown
from vecbench.errors import ConfigError, closest_hint
from vecbench.filters.expr import COMPARISONS, And, Compare, Contains, Expr, In, Literal, Not, Or

LOGICAL = ("and", "or", "not")
LIST_OPERATORS = ("in", "any", "all")
OPERATORS = (*COMPARISONS, *LIST_OPERATORS)


def parse_filter(spec: Any, where: str = "filter") -> Expr:
    """An Expr from a mapping (or an Expr, returned as is); one-line ConfigError on bad structure."""
    if isinstance(spec, Expr):
        return spec
    if not isinstance(spec, Mapping) or not spec:
        raise ConfigError(
            f"{where}: a filter is a non-empty mapping such as {{year: {{gte: 1990}}}}, got {shown(spec)}"
        )
    parts = [_parse_key(str(key), value, f"{where}.{key}") for key, value in spec.items()]
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _parse_key(key: str, value: Any, where: str) -> Expr:
    if key in ("and", "or"):
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{where}: '{key}' takes a non-empty list of filters")
        items = tuple(parse_filter(item, f"{where}[{i}]") for i, item in enumerate(value))
        return And(items) if key == "and" else Or(items)
    if key == "not":
        return Not(parse_filter(value, where))
    if isinstance(value, Mapping):
        if not value:
            raise ConfigError(f"{where}: give an operator ({', '.join(OPERATORS)}) or a value")
        leaves = [_leaf(key, str(op), operand, f"{where}.{op}") for op, operand in value.items()]
        return leaves[0] if len(leaves) == 1 else And(tuple(leaves))
    if isinstance(value, list):
        raise ConfigError(
            f"{where}: a bare list is ambiguous; write {{in: [...]}} (one of these values) "
            "or, for a tags attribute, {any: [...]} / {all: [...]}"
        )
    return Compare(key, "eq", _literal(value, where))


def _leaf(attribute: str, op: str, operand: Any, where: str) -> Expr:
    if op in COMPARISONS:
        if isinstance(operand, list | Mapping):
            raise ConfigError(f"{where}: '{op}' compares with one value, got {shown(operand)}")
        return Compare(attribute, op, _literal(operand, where))
    if op in LIST_OPERATORS:
        values = operand if isinstance(operand, list | tuple) else None
        if values is None:
            raise ConfigError(f"{where}: '{op}' takes a list of values, got {shown(operand)}")
        if not values:
            raise ConfigError(f"{where}: '{op}' needs at least one value; an empty list matches nothing")
        literals = tuple(_literal(v, f"{where}[{i}]") for i, v in enumerate(values))
        if op == "in":
            return In(attribute, literals)
        return Contains(attribute, op, literals)
    hint = closest_hint(op, OPERATORS)
    if op in LOGICAL:
        hint = f"; '{op}' goes above attribute names, e.g. {{{op}: [...]}}"
    raise ConfigError(f"{where}: unknown operator '{op}'{hint}")


def _literal(value: Any, where: str) -> Literal:
    if isinstance(value, str | bool | int | float | dt.date | dt.datetime):
        return value
    raise ConfigError(
        f"{where}: {shown(value)} is not a value a filter can compare with (text, number, boolean, date)"
    )
