"""Assertions over a result set, for users' own test suites (``recall@10 >= 0.95`` and the like).

``Results`` wraps an output directory of ``vecbench run``; ``assert_metric`` fails with one line per
point that misses the bound, naming the point, so a failing CI job says what got worse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from vecbench.errors import ConfigError
from vecbench.gate.render import format_terminal
from vecbench.gate.verdict import EXIT_PASS, Verdict
from vecbench.metrics.catalog import parse_metric_spec
from vecbench.reports.store import ResultStore


class Results:
    """The rows of one result directory, with selection by column or by parameter name."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.frame = ResultStore(self.path).read()
        if self.frame.empty:
            raise ConfigError(f"no results in {self.path}; run the config first")

    def select(self, **where: Any) -> pd.DataFrame:
        """Rows whose column (``adapter``, ``label``, ``k``...) or build/query parameter equals each value."""
        rows = self.frame
        for name, value in where.items():
            rows = _narrow(rows, name, value)
        return rows

    def no_match(self, where: dict[str, Any]) -> str:
        """Why ``select(**where)`` is empty: the first selector that leaves no point, and the
        values it could have had ('adapter='hnsw' matches no point; known adapters: ...')."""
        rows = self.frame
        for name, value in where.items():
            narrowed = _narrow(rows, name, value)
            if narrowed.empty:
                known = _known_values(rows, name)
                if not known:
                    return f"{name}={value!r} matches no point: no point has a column or parameter '{name}'"
                plural = "es" if name.endswith("s") else "s"
                return f"{name}={value!r} matches no point; known {name}{plural}: {', '.join(known)}"
            rows = narrowed
        return f"no point matches {where} in {self.path}"

    def assert_metric(
        self,
        spec: str,
        *,
        at_least: float | None = None,
        at_most: float | None = None,
        **where: Any,
    ) -> pd.DataFrame:
        """Assert ``spec`` (e.g. ``recall@10``, ``latency_p99_ms``) is within bounds at every selected point.

        ``where`` selects points as in ``select``; a failed point fails the assertion too. Returns
        the checked rows, so a test can go on to look at them.
        """
        if at_least is None and at_most is None:
            raise ConfigError("assert_metric needs at_least=, at_most= or both")
        info, k = parse_metric_spec(spec)
        rows = self.select(**where)
        if rows.empty and where:
            raise AssertionError(f"{spec}: {self.no_match(where)}")
        if k is not None:
            measured = sorted(set(rows["k"].dropna().astype(int)))
            rows = rows[rows["k"] == k]
            if rows.empty:
                raise AssertionError(f"{spec}: no point was measured at k={k} (measured at k={measured})")
        if rows.empty:
            raise AssertionError(f"{spec}: no point matches {where or 'the results'} in {self.path}")
        problems = []
        for _, row in rows.iterrows():
            value = row[info.name] if row["status"] == "ok" else None
            if value is None or pd.isna(value):
                problems.append(f"{describe(row)}: {row['status']} ({row['error']})")
            elif at_least is not None and value < at_least:
                problems.append(f"{describe(row)}: {value:.4g} < {at_least:g}")
            elif at_most is not None and value > at_most:
                problems.append(f"{describe(row)}: {value:.4g} > {at_most:g}")
        if problems:
            bounds = [f">= {at_least:g}"] if at_least is not None else []
            bounds += [f"<= {at_most:g}"] if at_most is not None else []
            bound = " and ".join(bounds)
            listing = "\n  ".join(problems)
            raise AssertionError(
                f"{spec} {bound} fails at {len(problems)} of {len(rows)} point(s):\n  {listing}"
            )
        return rows


def describe(row: pd.Series) -> str:
    """'hnswlib M=16 | ef=10' for messages."""
    build = " ".join(f"{k}={v}" for k, v in json.loads(row["build_params"] or "{}").items())
    query = " ".join(f"{k}={v}" for k, v in json.loads(row["query_params"] or "{}").items())
    return f"{row['label']} {build} | {query}".strip()


def _narrow(rows: pd.DataFrame, name: str, value: Any) -> pd.DataFrame:
    if name in rows.columns:
        return rows[rows[name] == value]
    return rows[[_param(row, name) == value for _, row in rows.iterrows()]]


def _known_values(rows: pd.DataFrame, name: str) -> list[str]:
    """The distinct values of a column or parameter among ``rows``, as text, sorted."""
    if name in rows.columns:
        values = rows[name].dropna().tolist()
    else:
        values = [v for v in (_param(row, name) for _, row in rows.iterrows()) if v is not None]
    return sorted({repr(v) if isinstance(v, str) else str(v) for v in values})


def _param(row: pd.Series, name: str) -> Any:
    for column in ("query_params", "build_params"):
        params = json.loads(row[column] or "{}")
        if name in params:
            return params[name]
    return None


def assert_gate_passes(verdict: Verdict) -> None:
    """Fail with the gate's own table when a verdict is a regression, an error or inconclusive."""
    if verdict.exit_code != EXIT_PASS:
        raise AssertionError(format_terminal(verdict))
