"""Escaping HTML helpers: every ``str`` passed in is escaped, only ``Markup`` passes through."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape


def join(parts: Iterable[Markup | str]) -> Markup:
    return Markup("").join(escape(part) for part in parts)


def tag(name: str, *children: Markup | str, **attrs: Any) -> Markup:
    """``<name attrs>children</name>``; attribute ``class_`` becomes ``class``; None drops it."""
    rendered = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for key, value in attrs.items()
        if value is not None
    )
    return Markup(f"<{name}{rendered}>") + join(children) + Markup(f"</{name}>")


@dataclass(frozen=True)
class Cell:
    """A table cell: shown text, an optional numeric sort key and a CSS class."""

    text: Markup | str
    sort: float | None = None
    cls: str | None = None
    title: str | None = None


def cell(value: Any, fmt: str = "{:.4g}", cls: str | None = None) -> Cell:
    """A cell for a raw value: numbers formatted and sortable, missing values as '-'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Cell("-", None, cls)
    try:
        is_missing = bool(value != value)  # pandas NA and NaT compare unequal to themselves
    except TypeError:
        is_missing = True
    if is_missing:
        return Cell("-", None, cls)
    if isinstance(value, bool):
        return Cell(str(value), None, cls)
    if isinstance(value, numbers.Real):
        number = float(value)
        text = f"{int(number):,}" if number.is_integer() and abs(number) >= 1000 else fmt.format(number)
        return Cell(text, number, cls)
    return Cell(str(value), None, cls)


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Cell]], sortable: bool = False, name: str | None = None
) -> Markup:
    head = join(tag("th", header, scope="col") for header in headers)
    body = []
    for row in rows:
        cells = [
            tag(
                "td",
                c.text,
                class_=c.cls,
                title=c.title,
                data_v=None if c.sort is None or not math.isfinite(c.sort) else repr(c.sort),
            )
            for c in row
        ]
        body.append(tag("tr", *cells))
    return tag(
        "table",
        tag("thead", tag("tr", head)),
        tag("tbody", *body),
        class_="sortable" if sortable else None,
        data_table=name,
    )


def note(text: Markup | str) -> Markup:
    return tag("p", text, class_="note")
