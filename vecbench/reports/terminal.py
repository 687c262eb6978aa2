"""What the terminal shows: tables that fit its width (rich), short numbers, short labels.

Numbers read at a glance (23.6k QPS, 0.0412 ms), parameter labels leave out the values an
adapter would use anyway (``build_threads=0 seed=100``), sizes are MiB everywhere, and no ANSI
colour is written, so a log file or a pipe holds the same text as the screen.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from vecbench.reports.escape import terminal_text

MIB = 2**20
DEFAULT_WIDTH = 200  # not a terminal (a pipe, a CI log): nothing wraps there
Row = Mapping[Any, Any] | pd.Series  # a result row: a record dict or a DataFrame row


def human(value: Any) -> str:
    """23,649 -> '23.6k', 1,234,567 -> '1.23M', 0.04123 -> '0.0412'; '-' for a missing value."""
    if value is None or pd.isna(value):
        return "-"
    number = float(value)
    size = abs(number)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{number / limit:.3g}{suffix}"
    return f"{number:.3g}"


def mib(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else f"{float(value) / MIB:.3g}"


@functools.cache
def _defaults(adapter: str) -> dict[str, Any]:
    """Every build and query parameter's default for a registered adapter ({} when unknown)."""
    from vecbench.indexes.registry import get_adapter_class

    try:
        cls = get_adapter_class(adapter)
    except Exception:  # a plugin that no longer imports: show every parameter
        return {}
    specs = {**cls.build_param_specs, **cls.query_param_specs}
    return {name: spec.default for name, spec in specs.items()}


def _params(text: Any) -> dict[str, Any]:
    return json.loads(text) if isinstance(text, str) and text else {}


def short_params(adapter: str, text: Any, varying: frozenset[str] = frozenset()) -> str:
    """'{"M":16,"build_threads":0,"seed":100}' -> 'M=16': the values that differ from the default,
    and those in ``varying`` (parameters that tell the rows of a table apart) whatever their value."""
    defaults = _defaults(str(adapter))
    kept = {k: v for k, v in _params(text).items() if k in varying or k not in defaults or defaults[k] != v}
    return " ".join(f"{key}={value}" for key, value in kept.items())


def varying_params(rows: Sequence[Row]) -> dict[str, frozenset[str]]:
    """Per adapter, the parameters whose value differs between its rows."""
    seen: dict[str, dict[str, set[str]]] = {}
    for row in rows:
        values = seen.setdefault(str(row.get("adapter")), {})
        for column in ("build_params", "query_params"):
            for key, value in _params(row.get(column)).items():
                values.setdefault(key, set()).add(json.dumps(value, sort_keys=True))
    return {adapter: frozenset(k for k, v in values.items() if len(v) > 1) for adapter, values in seen.items()}


def written_params(config: Mapping[str, Any] | None) -> dict[str, frozenset[str]]:
    """Per adapter, the parameter names the config wrote (under build: or query:, grid or list)."""
    names: dict[str, set[str]] = {}
    entries = (config or {}).get("indexes") or []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        found = names.setdefault(str(entry.get("adapter")), set())
        for section in (entry.get("build"), entry.get("query")):
            for item in section if isinstance(section, list) else [section]:
                if isinstance(item, Mapping):
                    found.update(str(key) for key in item)
    return {adapter: frozenset(found) for adapter, found in names.items()}


def shown_params(*tables: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """The union, per adapter, of several 'always show these parameters' tables."""
    merged: dict[str, frozenset[str]] = {}
    for table in tables:
        for adapter, names in table.items():
            merged[adapter] = merged.get(adapter, frozenset()) | names
    return merged


def configuration(row: Row, varying: Mapping[str, frozenset[str]] | None = None) -> str:
    """'hnswlib M=16 | ef=80': the label (or adapter), then what was set at build | at query time."""
    adapter = str(row.get("adapter"))
    label = row.get("label")
    name = str(label) if isinstance(label, str) and label else adapter
    differ = (varying or {}).get(adapter, frozenset())
    build = short_params(adapter, row.get("build_params"), differ)
    query = short_params(adapter, row.get("query_params"), differ)
    parts = [name, build] if build else [name]
    return " ".join(parts) + (f" | {query}" if query else "")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Row], str]
    numeric: bool = True


def width() -> int:
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


MIN_LABEL = 18  # the folding label column never gets narrower than this


def render(
    rows: Sequence[Row], columns: Sequence[Column], title: str | None = None, droppable: Sequence[str] = ()
) -> str:
    """A table no wider than the terminal: text columns fold, numbers never do; where even that
    cannot fit, the ``droppable`` columns go first (in their order)."""
    columns = list(columns)
    cells = [[terminal_text(column.value(row)) for column in columns] for row in rows]
    widths = [max([len(c.header)] + [len(r[i]) for r in cells]) + 2 for i, c in enumerate(columns)]
    needed = lambda: sum(w if c.numeric else MIN_LABEL for c, w in zip(columns, widths, strict=True))  # noqa: E731
    for header in droppable:
        if needed() <= width():
            break
        at = next((i for i, c in enumerate(columns) if c.header == header), None)
        if at is not None:
            del columns[at], widths[at]
            for row_cells in cells:
                del row_cells[at]
    crowded = needed() > width()  # still too wide: figures wrap too, rather than labels vanish
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False)
    for column in columns:
        table.add_column(
            column.header,
            justify="right" if column.numeric else "left",
            no_wrap=column.numeric and not crowded,
            overflow="fold",
            ratio=None if column.numeric else 1,
            min_width=None if column.numeric else MIN_LABEL,
        )
    for row_cells in cells:
        table.add_row(*row_cells)
    buffer = io.StringIO()
    Console(file=buffer, width=width(), color_system=None, force_terminal=False, highlight=False).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").split("\n"))


def headline(row: Row, written: Mapping[str, frozenset[str]] | None = None) -> str:
    """One finished point in one line, as the progress bar passes it."""
    name = configuration(row, written)
    if row.get("status") != "ok":
        return terminal_text(f"failed  {name}: {row.get('error')}")
    return terminal_text(
        f"done    {name}: recall {human(row.get('recall'))}, {human(row.get('qps'))} QPS, "
        f"{human(row.get('cpu_ms_per_query'))} ms CPU/query, p99 {human(row.get('latency_p99_ms'))} ms, "
        f"index {mib(row.get('index_bytes'))} MiB"
    )


@contextlib.contextmanager
def stage(text: str, show: bool = True) -> Iterator[None]:
    """'loading dataset glove-6b-50 ...' before a silent step, and '... done in 3.2 s' after it."""
    if not show:
        yield
        return
    from vecbench.reports.sinks import warn_line

    started = time.monotonic()
    warn_line(f"{text} ...")
    yield
    warn_line(f"{text}: done in {time.monotonic() - started:.1f} s")
