"""The filter expression tree, with a canonical text form and a small Python builder.

A node is a frozen dataclass; its ``canonical()`` string identifies the filter in result rows and
in the filtered ground-truth cache (``and``/``or`` children are sorted, so the order they are
written in does not matter). In Python::

    from vecbench.filters import attr
    f = attr("genres").any("Comedy", "Drama") & (attr("year") >= 1990) & ~attr("adult").eq(True)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Union

# Comparison operators as they are written in configs.
COMPARISONS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

Literal = Union[str, int, float, bool, dt.date, dt.datetime]  # noqa: UP007 (a runtime alias)


def literal_text(value: Any) -> str:
    """A literal as canonical text: JSON, with dates in ISO form."""
    if isinstance(value, dt.date | dt.datetime):
        return json.dumps(value.isoformat())
    return json.dumps(value)


class Expr:
    """Base of every node: combine with ``&``, ``|`` and ``~``."""

    def canonical(self) -> str:
        raise NotImplementedError

    def __and__(self, other: Expr) -> Expr:
        return And((self, other))

    def __or__(self, other: Expr) -> Expr:
        return Or((self, other))

    def __invert__(self) -> Expr:
        return Not(self)

    def __str__(self) -> str:
        return self.canonical()


@dataclass(frozen=True)
class Compare(Expr):
    """``attribute op value`` with op one of COMPARISONS (eq, ne, lt, lte, gt, gte)."""

    attribute: str
    op: str
    value: Literal

    def canonical(self) -> str:
        return f"{self.attribute} {COMPARISONS[self.op]} {literal_text(self.value)}"


@dataclass(frozen=True)
class In(Expr):
    """The attribute's (single) value is one of ``values``."""

    attribute: str
    values: tuple[Literal, ...]

    def canonical(self) -> str:
        items = ", ".join(sorted({literal_text(v) for v in self.values}))
        return f"{self.attribute} in [{items}]"


@dataclass(frozen=True)
class Contains(Expr):
    """A tags attribute holds any (``mode='any'``) or all (``'all'``) of ``values``."""

    attribute: str
    mode: str
    values: tuple[Literal, ...]

    def canonical(self) -> str:
        items = ", ".join(sorted({literal_text(v) for v in self.values}))
        return f"{self.attribute} has {self.mode} [{items}]"


@dataclass(frozen=True)
class And(Expr):
    items: tuple[Expr, ...]

    def canonical(self) -> str:
        return "(" + " and ".join(sorted({i.canonical() for i in _flat(self)})) + ")"


@dataclass(frozen=True)
class Or(Expr):
    items: tuple[Expr, ...]

    def canonical(self) -> str:
        return "(" + " or ".join(sorted({i.canonical() for i in _flat(self)})) + ")"


def _flat(node: And | Or) -> list[Expr]:
    """Children of nested nodes of the same kind, so (a and b) and c reads as a and b and c."""
    out: list[Expr] = []
    for item in node.items:
        out.extend(_flat(item) if type(item) is type(node) else [item])
    return out


@dataclass(frozen=True)
class Not(Expr):
    item: Expr

    def canonical(self) -> str:
        return f"not {self.item.canonical()}"


def attributes_of(expr: Expr) -> list[str]:
    """Every attribute the expression reads, in order of appearance."""
    if isinstance(expr, And | Or):
        return [name for item in expr.items for name in attributes_of(item)]
    if isinstance(expr, Not):
        return attributes_of(expr.item)
    if isinstance(expr, Compare | In | Contains):
        return [expr.attribute]
    raise TypeError(f"not a filter node: {expr!r}")


@dataclass(frozen=True)
class attr:  # lower case: it reads as a function in filter code, attr("year") >= 1990
    """Builder of leaf nodes for one attribute."""

    name: str

    def eq(self, value: Literal) -> Expr:
        return Compare(self.name, "eq", value)

    def ne(self, value: Literal) -> Expr:
        return Compare(self.name, "ne", value)

    def __lt__(self, value: Literal) -> Expr:
        return Compare(self.name, "lt", value)

    def __le__(self, value: Literal) -> Expr:
        return Compare(self.name, "lte", value)

    def __gt__(self, value: Literal) -> Expr:
        return Compare(self.name, "gt", value)

    def __ge__(self, value: Literal) -> Expr:
        return Compare(self.name, "gte", value)

    def isin(self, *values: Literal) -> Expr:
        return In(self.name, tuple(values))

    def any(self, *values: Literal) -> Expr:
        return Contains(self.name, "any", tuple(values))

    def all(self, *values: Literal) -> Expr:
        return Contains(self.name, "all", tuple(values))
